"""Sparse direct factorisation as a classical cost model, fitted on this machine.

    T_direct(A) = c_f·F_env(A)^b + c_n·nnz(A),   F_env = Σᵢ wᵢ²,  wᵢ = i − min{j : (PAPᵀ)ᵢⱼ ≠ 0}

F_env is the work of an envelope (profile) Cholesky of A under the reverse Cuthill–McKee
ordering P (George & Liu, *Computer Solution of Large Sparse Positive Definite Systems*, 1981,
ch. 4), computed in O(nnz) without factorising: an upper bound on the fill that a fill-reducing
ordering (SuperLU's COLAMD, CHOLMOD's AMD) leaves, which is why the exponent b < 1 is fitted rather
than assumed. b, c_f, c_n are fitted once per machine, by least squares on log-time, to the timed
factor-and-solve of 2-D and 3-D Poisson and tridiagonal matrices, and cached like the dense model.

Solvers: ``superlu`` — SciPy's ``splu`` with COLAMD, what ``scipy.sparse.linalg.spsolve`` runs;
``cholmod`` — CHOLMOD through scikit-sparse (``sksparse.cholmod``), used when that package is
installed (it builds against SuiteSparse; the machines this was written on have neither).
"""

from __future__ import annotations

import importlib.util
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp
from scipy.optimize import least_squares
from scipy.sparse.csgraph import reverse_cuthill_mckee

from qlsa.checks import check_choice, check_finite_nonnegative
from qlsa.errors import EstimatorUnavailableError
from qlsa.matrices import to_csr
from qlsa.serialization import jsonable

from .classical_cost import cached_fit, machine_id
from .examples import laplacian_2d

SOLVERS = {"superlu": "scipy", "cholmod": "sksparse"}        # solver → the package it needs


@dataclass(frozen=True)
class SparseDirectCostModel:
    """Fitted c_f [s], b and c_n [s per non-zero] of T = c_f·F_env^b + c_n·nnz for one solver."""

    solver: str
    c_f: float
    b: float
    c_n: float
    machine: str
    fitted_at: str
    max_fit_ratio: float             # worst predicted/measured (or its inverse) on the fitting set

    def __post_init__(self) -> None:
        check_choice(self.solver, SOLVERS, "sparse direct solver")
        for name in ("c_f", "b", "c_n", "max_fit_ratio"):
            check_finite_nonnegative(getattr(self, name), name)

    def seconds_for(self, envelope_flops: float, nnz: int) -> float:
        return self.c_f * envelope_flops ** self.b + self.c_n * nnz

    def to_dict(self) -> dict:
        return jsonable(self)


def envelope_flops(A) -> float:
    """F_env = Σᵢ wᵢ² of the symmetrised pattern of A under reverse Cuthill–McKee (O(nnz))."""
    S = to_csr(A)
    S = (abs(S) + abs(S).T).tocsr()
    perm = reverse_cuthill_mckee(S, symmetric_mode=True)
    P = S[perm][:, perm].tocoo()
    first = np.arange(S.shape[0])
    np.minimum.at(first, P.row, P.col)
    w = (np.arange(S.shape[0]) - first).astype(float)
    return float(w @ w)


def installed(solver: str) -> bool:
    """Whether the package ``solver`` needs is importable."""
    return importlib.util.find_spec(SOLVERS[solver]) is not None


def require_solver(solver: str) -> None:
    """Refuse a solver whose package is not installed, with one line saying what to do."""
    check_choice(solver, SOLVERS, "sparse direct solver")
    if not installed(solver):
        raise EstimatorUnavailableError(
            f"classical solver {solver} needs the {SOLVERS[solver]} package, which is not installed "
            "(pip install scikit-sparse, which builds against SuiteSparse); use superlu, cg, cholesky or lu")


def _factor_solve(solver: str):
    if solver == "superlu":
        from scipy.sparse.linalg import splu
        return lambda A, b: splu(A.tocsc(), permc_spec="COLAMD").solve(b)
    from sksparse.cholmod import cholesky
    return lambda A, b: cholesky(A.tocsc())(b)


def _poisson_3d(m: int) -> sp.csr_matrix:
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    i = sp.identity(m)
    return sp.csr_matrix(sp.kron(sp.kron(t, i), i) + sp.kron(sp.kron(i, t), i) + sp.kron(sp.kron(i, i), t))


def calibration_matrices() -> list[sp.csr_matrix]:
    """2-D Poisson (40², 80², 160²), 3-D Poisson (10³, 14³, 18³), tridiagonal (2·10⁴, 2·10⁵)."""
    tri = [sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(n, n), format="csr") for n in (20_000, 200_000)]
    return [sp.csr_matrix(laplacian_2d(m)) for m in (40, 80, 160)] + [_poisson_3d(m) for m in (10, 14, 18)] + tri


def fit_sparse_direct_cost(solver: str = "superlu", repeats: int = 2) -> SparseDirectCostModel:
    """Time ``solver``'s factor-and-solve (best of ``repeats``) on :func:`calibration_matrices` and
    fit log T = log(c_f·F_env^b + c_n·nnz) by least squares (about 1.5 s)."""
    require_solver(solver)
    run = _factor_solve(solver)
    feats, secs = [], []
    for A in calibration_matrices():
        b = np.ones(A.shape[0])
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            run(A, b)
            best = min(best, time.perf_counter() - t0)
        feats.append((envelope_flops(A), A.nnz))
        secs.append(best)
    F, nnz = np.array(feats).T
    c_f, b, c_n, worst = fit_power_law(F, nnz, np.array(secs))
    return SparseDirectCostModel(solver, c_f, b, c_n, machine_id(),
                                 datetime.now(timezone.utc).isoformat(timespec="seconds"), worst)


def fit_power_law(F: np.ndarray, nnz: np.ndarray, t: np.ndarray) -> tuple[float, float, float, float]:
    """c_f, b, c_n minimising Σ log²(T_model/t) (b ∈ [0.3, 1.5]) and the worst ratio left."""
    def residual(p):
        return np.log((np.exp(p[0]) * F ** p[1] + np.exp(p[2]) * nnz) / t)
    fit = least_squares(residual, [math.log(1e-9), 1.0, math.log(1e-7)], bounds=([-60, 0.3, -60], [0, 1.5, 0]))
    return float(np.exp(fit.x[0])), float(fit.x[1]), float(np.exp(fit.x[2])), float(np.exp(np.abs(fit.fun).max()))


def sparse_direct_cost_model(solver: str = "superlu", refresh: bool = False) -> SparseDirectCostModel:
    """The cached model of ``solver`` on this machine, fitted on first use or when ``refresh``."""
    require_solver(solver)

    def build(data: dict) -> SparseDirectCostModel:
        model = SparseDirectCostModel(**data)
        if model.solver != solver:
            raise ValueError("another solver's model")
        return model
    return cached_fit(f"classical_{solver}", lambda: fit_sparse_direct_cost(solver), build, refresh)
