"""Conjugate gradients as a classical cost model for Hermitian positive definite systems.

    T_CG(A, κ, ε) = k·(t_matvec(A) + c_vec(N)·N),  k = ⌈ln(2/ε) / ln((√κ + 1)/(√κ − 1))⌉ ≈ √κ·ln(2/ε)/2,

k from the standard bound ‖e_k‖_A ≤ 2·((√κ − 1)/(√κ + 1))^k·‖e_0‖_A (Saad, *Iterative Methods
for Sparse Linear Systems*, 2nd ed., Thm. 6.29), t_matvec timed on the matrix itself (best of
three products, the one timing an estimate adds), and c_vec(N) the seconds per vector element of
one iteration's other work (two dot products and three axpys, as scipy's ``cg`` does), timed at
N = 2¹², 2¹⁵, 2¹⁸, 2²⁰ once per machine (cached beside the dense model) and interpolated in
log N: vectors that fit in cache cost several times less per element than those that do not. The bound is an upper bound on the
iterations; clustered spectra converge sooner.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from qlsa.checks import check_epsilon, check_finite_nonnegative
from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

from .classical_cost import cached_fit, machine_id

VECTOR_SIZES = (1 << 12, 1 << 15, 1 << 18, 1 << 20)


@dataclass(frozen=True)
class CGCostModel:
    """c_vec [s per element per iteration] of CG's vector work at ``sizes`` on one machine."""

    sizes: tuple[int, ...]
    c_vec: tuple[float, ...]
    machine: str
    fitted_at: str
    solver: str = "cg"

    def __post_init__(self) -> None:
        if len(self.sizes) != len(self.c_vec) or not self.sizes or list(self.sizes) != sorted(self.sizes):
            raise InvalidParameterError("CG model: sizes ascending, one c_vec per size")
        for c in self.c_vec:
            check_finite_nonnegative(c, "c_vec")

    def vector_seconds(self, n: int) -> float:
        """One iteration's vector work at length n: c_vec interpolated in log n (held at the ends) × n."""
        return float(np.interp(math.log(n), np.log(self.sizes), self.c_vec)) * n

    @staticmethod
    def iterations(kappa: float, epsilon: float) -> int:
        """k = ⌈ln(2/ε)/ln((√κ + 1)/(√κ − 1))⌉ (1 for κ = 1)."""
        check_epsilon(epsilon)
        if kappa <= 1:
            return 1
        r = math.sqrt(kappa)
        return max(1, math.ceil(math.log(2 / epsilon) / math.log1p(2 / (r - 1))))

    def seconds_for(self, n: int, kappa: float, epsilon: float, matvec_seconds: float) -> float:
        return self.iterations(kappa, epsilon) * (matvec_seconds + self.vector_seconds(n))

    def to_dict(self) -> dict:
        return jsonable(self)


def matvec_seconds(A, repeats: int = 3) -> float:
    """Best of ``repeats`` timings of A @ v on the matrix as given (CSR or dense)."""
    v = np.ones(A.shape[0], dtype=A.dtype if np.iscomplexobj(A.data if hasattr(A, "data") else A) else float)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        A @ v
        best = min(best, time.perf_counter() - t0)
    return best


def _vector_work_seconds(n: int, iterations: int, rng: np.random.Generator) -> float:
    """CG's vector work per iteration at length n, fixed scalars so the vectors stay bounded."""
    x, r, p, ap = (rng.standard_normal(n) for _ in range(4))
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(iterations):
            p @ ap                              # the two dot products, values unused
            x += 1e-3 * p
            r -= 1e-3 * ap
            r @ r
            p *= 0.5
            p += r
        best = min(best, (time.perf_counter() - t0) / iterations)
    return best


def fit_cg_cost(sizes: tuple[int, ...] = VECTOR_SIZES, work: int = 1 << 21) -> CGCostModel:
    """Time CG's vector work per iteration (2 dots, 3 axpys) at each length (best of three runs of
    about ``work``/n iterations, at least 20)."""
    rng = np.random.default_rng(0)
    c = tuple(_vector_work_seconds(n, max(20, work // n), rng) / n for n in sizes)
    return CGCostModel(tuple(sizes), c, machine_id(), datetime.now(timezone.utc).isoformat(timespec="seconds"))


def cg_cost_model(refresh: bool = False) -> CGCostModel:
    """The cached CG model of this machine (fitted in well under a second on first use or when ``refresh``)."""
    def build(data: dict) -> CGCostModel:
        return CGCostModel(**{**data, "sizes": tuple(data["sizes"]), "c_vec": tuple(data["c_vec"])})
    return cached_fit("classical_cg", fit_cg_cost, build, refresh)
