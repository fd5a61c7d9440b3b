"""Speed and accuracy of ``estimate``/κ against a Cholesky solve of the same matrix."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla

from estimators import condition_number, estimate
from estimators.classical_cost import ClassicalCostModel
from estimators.examples import laplacian_2d, laplacian_2d_kappa

from .runner import BenchRow, benchmark, best_of

_MODEL = ClassicalCostModel("cholesky", 1e-11, 0.0, "bench", "-", (1,), (1.0,))  # no timing inside estimate


def _spd(n: int, family: str, kappa: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    if family == "wishart":  # Hessian-like: low-rank PSD + damping δI, κ = (λ_max + δ)/δ
        x = rng.standard_normal((n, n // 2)) / math.sqrt(n)
        a = x @ x.T
        delta = np.linalg.eigvalsh(a)[-1] / (kappa - 1)
        a += delta * np.eye(n)
    else:
        eigs = np.geomspace(1 / kappa, 1, n) if family == "geom" else np.linspace(1 / kappa, 1, n)
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        a = (q * eigs) @ q.T
    a = (a + a.T) / 2
    return a, float(np.linalg.cond(a)) if n <= 4000 else kappa


def _cholesky_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return sla.cho_solve(sla.cho_factor(a, check_finite=False), b, check_finite=False)


_SETTLE = 0.3   # s of idle before each timed call (see best_of)


@benchmark("estimate_dense_4000")
def dense_4000() -> list[BenchRow]:
    """Whole estimate (classical model fixed) vs one Cholesky solve, n = 4000, κ ≤ 10³; each
    call timed from idle, best of 5 after one untimed call (the first estimates in a fresh
    process run up to 0.1 of the solve, 0.075 after). ``back_to_back`` is the ratio when the
    estimate directly follows the solve (BLAS threads still spinning), as in a Newton step."""
    rng = np.random.default_rng(0)
    rows = []
    for family, kappa in (("wishart", 1e3), ("wishart", 1e2), ("geom", 1e2), ("lin", 1e2), ("geom", 1e3),
                          ("lin", 1e3)):
        a, true = _spd(4000, family, kappa, rng)
        b = rng.standard_normal(4000)
        t_chol, _ = best_of(lambda: _cholesky_solve(a, b), 5, _SETTLE, warmup=1)
        t_est, r = best_of(lambda: estimate(a, classical_model=_MODEL), 5, _SETTLE, warmup=1)
        t_b2b, _ = best_of(lambda: (_cholesky_solve(a, b), estimate(a, classical_model=_MODEL)), 3, _SETTLE)
        rows.append(BenchRow(f"{family} κ={kappa:.0e}", t_est, "cholesky solve", t_chol,
                             {"kappa_err": abs(r.kappa / true - 1), "reported_err": r.kappa_rel_error,
                              "method": r.kappa_method, "back_to_back": (t_b2b - t_chol) / t_chol}))
    return rows


@benchmark("condition_ill_conditioned")
def ill_conditioned() -> list[BenchRow]:
    """κ up to 10⁸ (n = 2000, geometric spectrum): accuracy and time vs one Cholesky solve."""
    rng = np.random.default_rng(1)
    rows = []
    for kappa in (1e2, 1e4, 1e6, 1e8):
        a, true = _spd(2000, "geom", kappa, rng)
        b = rng.standard_normal(2000)
        t_chol, _ = best_of(lambda: _cholesky_solve(a, b), 3, _SETTLE)
        t, c = best_of(lambda: condition_number(a), 3, _SETTLE)
        rows.append(BenchRow(f"κ={kappa:.0e}", t, "cholesky solve", t_chol,
                             {"kappa_err": abs(c.kappa / true - 1), "reported_err": c.rel_error,
                              "method": c.method, "steps": c.steps}))
    return rows


@benchmark("estimate_decided_by_bound")
def decided_by_bound() -> list[BenchRow]:
    """Ill-conditioned n = 2000 at 1 ns gates, where a Lanczos lower bound on κ already makes the
    verdict classical: the estimate stops there; ``refined_ratio`` is the same estimate with κ
    refined to ±5% (``refine_kappa=True``), over the same solve."""
    rng = np.random.default_rng(2)
    rows = []
    for kappa in (1e4, 1e6, 1e8):
        a, _ = _spd(2000, "geom", kappa, rng)
        b = rng.standard_normal(2000)
        t_chol, _ = best_of(lambda: _cholesky_solve(a, b), 3, _SETTLE)
        t, r = best_of(lambda: estimate(a, gate_time=1e-9, classical_model=_MODEL), 3, _SETTLE)
        t_full, _ = best_of(lambda: estimate(a, gate_time=1e-9, classical_model=_MODEL, refine_kappa=True), 3, _SETTLE)
        rows.append(BenchRow(f"κ={kappa:.0e}", t, "cholesky solve", t_chol,
                             {"kappa_bound": r.kappa, "kind": r.kappa_kind, "processor": r.processor,
                              "refined_ratio": t_full / t_chol}))
    return rows


@benchmark("estimate_sparse_laplacian_1e6")
def sparse_laplacian() -> list[BenchRow]:
    """2-D Laplacian on a 1000×1000 grid (N = 10⁶): estimate without densifying, vs one AMG-free CG baseline."""
    import scipy.sparse.linalg as spla

    m = 1000
    a = laplacian_2d(m)
    true = laplacian_2d_kappa(m)
    b = np.ones(a.shape[0])
    t_cg, _ = best_of(lambda: spla.cg(a, b, rtol=1e-6, maxiter=100), 1)
    t, r = best_of(lambda: estimate(a, classical_model=_MODEL), 1)
    return [BenchRow("N=1e6", t, "100 CG iterations", t_cg,
                     {"kappa_err": abs(r.kappa / true - 1), "reported_err": r.kappa_rel_error,
                      "method": r.kappa_method, "under_60s": t < 60})]


@benchmark("estimate_dense_scaling")
def dense_scaling() -> list[BenchRow]:
    """Hessian-like spectrum (x·xᵀ of rank n/2 + δI, κ = 10³) at n = 2000, 4000, 8000: the
    estimate is O(n²) passes, the Cholesky solve O(n³), so the ratio falls about 2× per doubling.
    Truth: λ_min = δ exactly (rank n/2) and λ_max from ARPACK (scipy eigsh, tol 1e-12)."""
    import scipy.sparse.linalg as spla

    rng = np.random.default_rng(4)
    rows = []
    for n in (2000, 4000, 8000):
        x = rng.standard_normal((n, n // 2)) / math.sqrt(n)
        a = x @ x.T
        top = float(spla.eigsh(a, k=1, which="LA", tol=1e-12, return_eigenvectors=False)[0])
        delta = top / (1e3 - 1)
        a[np.diag_indices(n)] += delta
        true = (top + delta) / delta
        b = rng.standard_normal(n)
        t_chol, _ = best_of(lambda: _cholesky_solve(a, b), 3, _SETTLE)
        t_est, r = best_of(lambda: estimate(a, classical_model=_MODEL), 3, _SETTLE)
        rows.append(BenchRow(f"wishart n={n} κ=1e3", t_est, "cholesky solve", t_chol,
                             {"kappa_err": abs(r.kappa / true - 1), "reported_err": r.kappa_rel_error,
                              "method": r.kappa_method}))
    return rows


@benchmark("fault_tolerant_counts")
def fault_tolerant_counts() -> list[BenchRow]:
    """``estimate(..., fault_tolerant=True)`` with κ given (the trainer's path) against the same
    estimate without the fault-tolerant part: what the Clifford+T counts (and the Ross–Selinger
    synthesis at the run's δ) and the qdk physical estimate add, on the N = 2²⁰ tridiagonal and
    the 10⁶ 2-D Laplacian. Issue target: logical counts under 10 s, physical ≤ a few seconds."""
    import scipy.sparse as sp

    from estimators.fault_tolerant import fault_tolerant_estimate

    N = 2**20
    cases = {"tridiagonal N = 2^20": sp.diags([-np.ones(N - 1), 2.5 * np.ones(N), -np.ones(N - 1)], [-1, 0, 1],
                                              format="csr"),
             "2-D Laplacian 1000×1000": laplacian_2d(1000)}
    rows = []
    for name, a in cases.items():
        cond = condition_number(a)
        t_plain, _ = best_of(lambda: estimate(a, classical_model=_MODEL, condition=cond), 1)
        t_ft, r = best_of(lambda: estimate(a, classical_model=_MODEL, condition=cond, fault_tolerant=True), 1)
        ft = r.fault_tolerant
        t_phys, _ = best_of(lambda: fault_tolerant_estimate(r.per_query_counts, 0, r.solve_counts, ft.runs,
                                                            r.epsilon), 1)
        rows.append(BenchRow(name, t_ft, "estimate without --ft", t_plain, {
            "t_count_per_run": ft.per_run.t_count, "physical_qubits": ft.physical.physical_qubits,
            "code_distance": ft.physical.code_distance, "ft_seconds_added": t_ft - t_plain,
            "physical_and_synthesis_seconds": t_phys, "under_10s": t_ft < 10}))
    return rows
