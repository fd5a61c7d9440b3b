"""Circuit benchmarks (issue: circuits).

- build + simulate time and fidelity of hhl, qsvt and jennings at N = 2, 4, 8, 16, each
  against numpy's solve of the same system in the same run;
- build time (no simulation) of the sparse block-encoding and of the jennings circuit for a
  banded matrix at N = 2¹⁰ and 2²⁰, against the N = 2¹⁰ build (construction must grow with
  the qubit count, not with N);
- counted U_A calls of the jennings circuit over the closed-form Q* across κ.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from .runner import BenchRow, benchmark, best_of

_SETTINGS = {"hhl": (10.0, 1e-2), "qsvt": (10.0, 0.05), "jennings": (4.0, 0.1)}


def _spd(n: int, kappa: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.linspace(1 / kappa, 1, n)) @ q.T


@benchmark("circuit_solvers")
def circuit_solvers() -> list[BenchRow]:
    import qlsa
    rows = []
    for method, (kappa, eps) in _SETTINGS.items():
        for n in (2, 4, 8, 16):
            A, b = _spd(n, kappa, n), np.random.default_rng(n).standard_normal(n)
            t_np, _ = best_of(lambda: np.linalg.solve(A, b), 5)
            t0 = time.perf_counter()
            r = qlsa.solve(A, b, method, epsilon=eps)
            dt = time.perf_counter() - t0
            rows.append(BenchRow(f"{method} N={n} κ={kappa:g} ε={eps:g}", dt, "numpy.linalg.solve", t_np,
                                 {"fidelity": r.fidelity, "success_p": r.success_probability, "qubits": r.qubits,
                                  "U_A_calls": r.queries}))
    return rows


def _banded(N: int) -> sp.csr_matrix:
    return sp.diags([0.5 * np.ones(N - 1), 4 * np.ones(N), 0.5 * np.ones(N - 1)], [-1, 0, 1], format="csr")


@benchmark("circuit_build_large")
def circuit_build_large() -> list[BenchRow]:
    import qlsa
    from qlsa.jennings import JenningsBuilder, count_calls
    from qlsa.qsp_angles import qsvt_angles
    qsvt_angles([0.0, 0.5])          # import PennyLane (≈ 2 s, once per process) outside the timings
    rows = []
    base = {}
    for kind in ("sparse", "jennings"):
        for n in (10, 20):
            N = 2**n
            A = _banded(N)
            b = np.zeros(N)
            b[0] = 1.0
            t0 = time.perf_counter()
            if kind == "sparse":
                qc = qlsa.block_encoding(A, "sparse").circuit
                info = {"qubits": qc.num_qubits}
            else:
                qc, plan = JenningsBuilder(A, b, 0.1, encoding="sparse").build()
                info = {"qubits": qc.num_qubits, "U_A_calls": count_calls(qc, "U_A")}
            dt = time.perf_counter() - t0
            base.setdefault(kind, dt)
            rows.append(BenchRow(f"{kind} build, banded N=2^{n}", dt, f"{kind} build at N=2^10", base[kind],
                                 {**info, "N_growth": float(N / 2**10)}))
    return rows


@benchmark("jennings_counted_over_q_star")
def jennings_counted_over_q_star() -> list[BenchRow]:
    from estimators import jennings_query_count
    from qlsa.jennings import MAX_U_A_CALLS, JenningsBuilder, count_calls
    rows: list[BenchRow] = []
    first = None
    for kappa in (2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0, 1000.0):
        t0 = time.perf_counter()
        jb = JenningsBuilder(np.diag(np.linspace(1 / kappa, 1, 4)), np.ones(4), 0.1)
        plan = jb.plan()
        if plan.u_a_calls <= MAX_U_A_CALLS:
            qc, plan = jb.build()
            calls, how = count_calls(qc, "U_A"), "counted in the circuit"
        else:
            calls, how = plan.u_a_calls, f"from the schedule: over {MAX_U_A_CALLS} calls, not built"
        dt = time.perf_counter() - t0
        q_star = jennings_query_count(jb.alpha, max(kappa, 12**0.5), 0.1)
        first = first or dt
        rows.append(BenchRow(f"κ={kappa:g} ({how})", dt, "build at κ=2", first,
                             {"counted": calls, "Q*": q_star, "counted/Q*": calls / q_star}))
    return rows
