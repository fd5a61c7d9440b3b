"""Closed-form query counts of quantum linear solvers (DESIGN.md §3.1–3.2).

All logarithms are natural. κ and α refer to the *normalised* matrix (singular values in
[1/κ, 1]); see :mod:`estimators.normalisation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qlsa.serialization import jsonable
from qlsa.errors import InvalidParameterError
from qlsa.checks import check_epsilon

KAPPA_MIN = math.sqrt(12.0)  # Theorem 1 of Jennings et al. assumes κ ≥ √12 …
EPSILON_MAX = 0.24           # … and ε ≤ 0.24


def _check(alpha: float, kappa: float, epsilon: float) -> None:
    if not (math.isfinite(alpha) and alpha >= 1.0):
        raise InvalidParameterError(f"α must be a finite number ≥ 1 (scaled block-encoding), got {alpha}")
    if not (kappa >= 1.0) or math.isnan(kappa):
        raise InvalidParameterError(f"κ must be ≥ 1, got {kappa}")
    check_epsilon(epsilon, "ε")


def jennings_query_count(alpha: float, kappa: float, epsilon: float) -> float:
    """Q*: calls to U_A in one run (Jennings et al., arXiv:2305.11352 v1, Theorem 1).

    L = ln(2κ+3);  Q* = (1741αe/500)·√(κ²+1)·((133/125 + 4/(25κ^{1/3}))·π·L + 1)
                      + (351/50)·L²·(ln(451L²/ε) + 1) + ακ·ln(32/ε).
    Valid as stated for κ ≥ √12, ε ≤ 0.24 (use :func:`jennings_parameters` to clamp upwards).
    α enters once (the reference code's α² is a defect, DESIGN.md §5).
    """
    _check(alpha, kappa, epsilon)
    L = math.log(2 * kappa + 3)
    adiabatic = (1741 * alpha * math.e / 500) * math.sqrt(kappa**2 + 1) * (
        (133 / 125 + 4 / (25 * kappa ** (1 / 3))) * math.pi * L + 1)
    filtering = (351 / 50) * L**2 * (math.log(451 * L**2 / epsilon) + 1)
    return adiabatic + filtering + alpha * kappa * math.log(32 / epsilon)


def jennings_success_probability(epsilon: float) -> float:
    """Heralded success probability of one run: p ≥ 0.39 − 0.204ε (Theorem 1)."""
    check_epsilon(epsilon, "ε")
    return 0.39 - 0.204 * epsilon


def jennings_expected_query_count(alpha: float, kappa: float, epsilon: float) -> float:
    """Expected U_A calls when repeating until success: Q*/p."""
    return jennings_query_count(alpha, kappa, epsilon) / jennings_success_probability(epsilon)


def jennings_crossover_kappa(alpha: float, epsilon: float, per_query_seconds: float, classical_seconds: float,
                             upper: float = 1e16) -> float | None:
    """Smallest κ ≥ √12 at which Q*/p × per-query seconds reaches the classical seconds.

    √12 when quantum is no faster even there, None when it is faster up to ``upper``. The
    total increases with κ, so the root is unique: bisection in log κ to 1e-12 relative.
    """
    def excess(kappa: float) -> float:
        return jennings_expected_query_count(alpha, kappa, epsilon) * per_query_seconds - classical_seconds

    lo, hi = KAPPA_MIN, upper
    if excess(lo) >= 0:
        return KAPPA_MIN
    if excess(hi) < 0:
        return None
    while hi / lo > 1 + 1e-12:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if excess(mid) < 0 else (lo, mid)
    return math.sqrt(lo * hi)


@dataclass(frozen=True)
class JenningsParameters:
    """κ and ε as plugged into Theorem 1, with notes when they were moved to its domain."""

    kappa: float
    epsilon: float
    notes: tuple[str, ...]

    def to_dict(self) -> dict:
        return jsonable(self)


def jennings_parameters(kappa: float, epsilon: float) -> JenningsParameters:
    """Raise κ to √12 and lower ε to 0.24 where needed; both remain valid upper bounds."""
    notes = []
    if kappa < KAPPA_MIN:
        notes.append(f"κ = {kappa:.4g} raised to √12 ≈ 3.464 (Theorem 1 assumes κ ≥ √12; the count stays an upper bound)")
        kappa = KAPPA_MIN
    if epsilon > EPSILON_MAX:
        notes.append(f"ε = {epsilon:.4g} lowered to 0.24 (Theorem 1 assumes ε ≤ 0.24; the count stays an upper bound)")
        epsilon = EPSILON_MAX
    return JenningsParameters(kappa, epsilon, tuple(notes))


def system_qubits(n: int) -> int:
    """⌈log₂N⌉ qubits hold an N-dimensional vector (at least 1)."""
    return max(1, math.ceil(math.log2(n)))


def hhl_complexity(n: int, sparsity: int, kappa: float, epsilon: float) -> float:
    """HHL scaling log N · d² · κ² / ε (Harrow, Hassidim, Lloyd 2009), constant 1."""
    _check(1.0, kappa, epsilon)
    return math.log(n) * sparsity**2 * kappa**2 / epsilon


def cks_complexity(sparsity: int, kappa: float, epsilon: float) -> float:
    """Childs–Kothari–Somma scaling d·κ·polylog(dκ/ε), taken as d·κ·ln²(dκ/ε), constant 1."""
    _check(1.0, kappa, epsilon)
    return sparsity * kappa * math.log(sparsity * kappa / epsilon) ** 2


def paper_classical_time(n: int, c1: float, c2: float) -> float:
    """Q-Newton Eq. 3: T_classical(n) = c1·n³ + c2."""
    return c1 * n**3 + c2


def paper_quantum_time(n: int, kappa: float, sparsity: int, epsilon: float, q1: float, q2: float) -> float:
    """Q-Newton Eq. 4: T_quantum(n, κ, d) = q1·d·κ·ln(n/ε) + q2."""
    _check(1.0, kappa, epsilon)
    return q1 * sparsity * kappa * math.log(n / epsilon) + q2
