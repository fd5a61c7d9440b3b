"""Conjugate gradients as a classical cost model for Hermitian positive definite systems.

    T_CG(A, κ, ε) = k·(t_matvec(A) + c_vec·N),  k = ⌈ln(2/ε) / ln((√κ + 1)/(√κ − 1))⌉ ≈ √κ·ln(2/ε)/2,

k from the standard bound ‖e_k‖_A ≤ 2·((√κ − 1)/(√κ + 1))^k·‖e_0‖_A (Saad, *Iterative Methods
for Sparse Linear Systems*, 2nd ed., Thm. 6.29), t_matvec timed on the matrix itself (best of
three products, the one timing an estimate adds), and c_vec the seconds per vector element of
one iteration's other work (two dot products and three axpys, as scipy's ``cg`` does), fitted
once per machine and cached beside the dense model. The bound is an upper bound on the
iterations; clustered spectra converge sooner.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from qlsa.checks import check_epsilon, check_finite_nonnegative
from qlsa.serialization import jsonable

from .classical_cost import cached_fit, machine_id

VECTOR_SIZE = 1 << 20


@dataclass(frozen=True)
class CGCostModel:
    """c_vec [s per element per iteration] of CG's vector work on one machine."""

    c_vec: float
    machine: str
    fitted_at: str
    solver: str = "cg"

    def __post_init__(self) -> None:
        check_finite_nonnegative(self.c_vec, "c_vec")

    @staticmethod
    def iterations(kappa: float, epsilon: float) -> int:
        """k = ⌈ln(2/ε)/ln((√κ + 1)/(√κ − 1))⌉ (1 for κ = 1)."""
        check_epsilon(epsilon)
        if kappa <= 1:
            return 1
        r = math.sqrt(kappa)
        return max(1, math.ceil(math.log(2 / epsilon) / math.log1p(2 / (r - 1))))

    def seconds_for(self, n: int, kappa: float, epsilon: float, matvec_seconds: float) -> float:
        return self.iterations(kappa, epsilon) * (matvec_seconds + self.c_vec * n)

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


def fit_cg_cost(n: int = VECTOR_SIZE, iterations: int = 20) -> CGCostModel:
    """Time CG's vector work per iteration (2 dots, 3 axpys) at length n; best of three runs."""
    rng = np.random.default_rng(0)
    x, r, p, ap = (rng.standard_normal(n) for _ in range(4))
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        rr = r @ r
        for _ in range(iterations):
            alpha = rr / (p @ ap)
            x += alpha * p
            r -= alpha * ap
            rr, rr_old = r @ r, rr
            p *= rr / rr_old
            p += r
        best = min(best, (time.perf_counter() - t0) / iterations)
    return CGCostModel(best / n, machine_id(), datetime.now(timezone.utc).isoformat(timespec="seconds"))


def cg_cost_model() -> CGCostModel:
    """The cached CG model of this machine (fitted in well under a second on first use)."""
    return cached_fit("classical_cg", fit_cg_cost, lambda d: CGCostModel(**d))
