"""Classical Newton step: Cholesky solve vs the paper code's explicit inverse then matmul,
and the scheduler's overhead (estimate + decision) as a share of the step."""

from __future__ import annotations

import time

import numpy as np

from estimators import condition_number, estimate
from estimators.classical_cost import ClassicalCostModel
from scheduler import ClassicalCholeskyCost, JenningsCost, Policy, classical_solve

from .runner import BenchRow, benchmark, best_of

_MODEL = ClassicalCostModel("cholesky", 1e-11, 0.0, "bench", "-", (1,), (1.0,))


@benchmark("newton_step_solve")
def newton_step() -> list[BenchRow]:
    rng = np.random.default_rng(0)
    rows = []
    policy = Policy("hybrid", JenningsCost(), ClassicalCholeskyCost(_MODEL))
    for n in (1000, 2000, 4000):
        x = rng.standard_normal((n, n // 2)) / np.sqrt(n)
        H = x @ x.T + 1e-2 * np.eye(n)
        g = rng.standard_normal(n)
        t_inv, _ = best_of(lambda: np.linalg.inv(H) @ g, 2)
        t_sol, _ = best_of(lambda: classical_solve(H, g), 2)
        t0 = time.perf_counter()
        e = estimate(H, gate_time=5e-15, classical_model=_MODEL, condition=condition_number(H, tol=0.05, exact_max_n=256))
        policy.decide(e)
        overhead = time.perf_counter() - t0
        rows.append(BenchRow(f"n={n}", t_sol, "explicit inverse @ g", t_inv,
                             {"scheduler_overhead_s": overhead, "overhead_share": overhead / (overhead + t_sol)}))
    return rows
