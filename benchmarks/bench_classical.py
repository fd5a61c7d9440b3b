"""The classical model ``estimate`` chooses, against the real solve it predicts, on matrices of
different kinds that no test uses (issue 14's target: within 3× on each).

Every classical model is refitted first (:func:`estimators.classical_solvers.refresh_models`), so
prediction and measurement share the machine's state. For each matrix ``estimate`` (``auto``:
dense Cholesky/LU, SuperLU, CG, :mod:`estimators.classical_solvers`) names the fastest model and
its seconds; the baseline is that solver run for real — scipy's ``cg`` to relative residual ε
(ε = 0.01, as the estimate), ``splu`` + solve, or the trainer's dense solve
(:func:`scheduler.classical_solve`: torch's Cholesky, LU where that fails) — best of two in the
same run. ``ratio`` = predicted / measured; CG's bound is an upper bound on the
iterations, so a ratio above 1 means the spectrum let CG converge sooner than the bound.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from estimators import estimate
from estimators.classical_solvers import refresh_models
from scheduler import classical_solve

from .runner import BenchRow, benchmark

EPS = 1e-2


def _matrices() -> dict:
    import pyamg.gallery as g

    rng = np.random.default_rng(7)
    out = {"3-D Poisson 30³ (pyamg)": g.poisson((30, 30, 30), format="csr"),
           "anisotropic diffusion 200² (pyamg, ε = 0.1, θ = π/6)": sp.csr_matrix(
               g.stencil_grid(g.diffusion_stencil_2d(epsilon=0.1, theta=np.pi / 6, type="FD"), (200, 200))),
           "linear elasticity 60² (pyamg, Q1)": g.linear_elasticity((60, 60), format="csr")[0]}
    B = sp.random(3000, 3000, density=3e-3, random_state=1, format="csr")
    out["B·Bᵀ + 0.05 I, N = 3000"] = (B @ B.T + 0.05 * sp.identity(3000)).tocsr()
    M = sp.random(20000, 20000, density=4e-4, random_state=2)
    M = M + M.T
    out["random sparse SPD, N = 20 000 (diagonally shifted)"] = (M + sp.diags(np.abs(M).sum(1).A1 + 0.5)).tocsr()
    bands = [np.full(50000 - abs(k), v) for k, v in ((-2, -0.5), (-1, -1.0), (0, 4.2), (1, -1.0), (2, -0.5))]
    out["pentadiagonal SPD, N = 50 000"] = sp.diags(bands, [-2, -1, 0, 1, 2], format="csr")
    X = rng.standard_normal((1500, 1500))
    out["dense Wishart + I, n = 1500"] = X @ X.T / 1500 + np.eye(1500)
    lap = g.poisson((150, 150), format="csr")
    out["indefinite shifted 2-D Laplacian 150² (A − 0.5 I)"] = (lap - 0.5 * sp.identity(lap.shape[0])).tocsr()
    m = 120                                 # upwind convection–diffusion, −Δu + 20·∂u/∂x on m², nonsymmetric
    t = sp.diags([-1 - 20 / (m + 1), 2 + 20 / (m + 1), -1.0], [-1, 0, 1], shape=(m, m))
    lap1 = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    out["convection-diffusion 120² (upwind, nonsymmetric)"] = (sp.kron(sp.identity(m), t)
                                                               + sp.kron(lap1, sp.identity(m))).tocsr()
    Q, _ = np.linalg.qr(rng.standard_normal((2000, 2000)))
    out["dense SPD, n = 2000, κ = 1e6 (geometric spectrum)"] = (Q * np.geomspace(1e-6, 1, 2000)) @ Q.T
    return out


def _real_solve(A, solver: str) -> float:
    b = np.random.default_rng(0).standard_normal(A.shape[0])      # a generic b (ones is near an eigenvector of some)
    t0 = time.perf_counter()
    if solver == "cg":
        spla.cg(A, b, rtol=EPS, maxiter=10**6)
    elif solver == "superlu":
        spla.splu(sp.csc_matrix(A), permc_spec="COLAMD").solve(b)
    else:                                                         # the trainer's dense solve (torch)
        classical_solve(A.toarray() if sp.issparse(A) else A, b)
    return time.perf_counter() - t0


@benchmark("classical_model_vs_real_solve")
def classical_model_vs_real_solve() -> list[BenchRow]:
    refresh_models()
    rows = []
    for name, A in _matrices().items():
        r = estimate(A, epsilon=EPS)
        measured = min(_real_solve(A, r.classical_solver) for _ in range(2))
        rows.append(BenchRow(name, r.classical_seconds, f"real {r.classical_solver} solve", measured, {
            "chosen": r.classical_solver, "kappa": r.kappa,
            **{f"{k}_s": v for k, v in r.classical_models.items()}, "within_3x": 1 / 3 <= r.classical_seconds
            / measured <= 3}))
    return rows
