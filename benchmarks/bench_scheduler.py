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


def _step_job(which: str, queue) -> None:
    """One Newton step of the paper's MNIST shape (784-16-10, batch 256, per-layer GGN blocks of
    12 560² and 170²) in a fresh process: ``qnewton`` is ``QNewton.step`` (default settings),
    ``torch`` the hand-written step — the same capture, then torch.linalg.solve(G + δI, g) per block."""
    import resource

    import torch
    import torch.nn.functional as F

    from hessians import capture, flat_gradient
    from scheduler.models import build_model
    from scheduler.qnewton import NewtonSettings, QNewton
    model = build_model("mlp", 784, 10, 16, 0)
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(256, 784, generator=g), torch.randint(0, 10, (256,), generator=g)
    t0 = time.perf_counter()
    if which == "qnewton":
        rows = QNewton(model, F.cross_entropy, "hybrid", ClassicalCostModel("cholesky", 1e-11, 1e-4, "pinned", "-",
                                                                             (1,), (1.0,))).step(x, y)
        parts = {k: sum(getattr(r, k) for r in rows) for k in ("prune_seconds", "kappa_seconds", "estimate_seconds",
                                                              "measured_solve_seconds")}
        parts["capture_seconds"] = rows[0].capture_seconds
    else:
        s = NewtonSettings()
        blocks = capture(model, F.cross_entropy, x, y, s.structure, s.kind, progress=False)
        grad = flat_gradient(model, F.cross_entropy, x, y).detach()
        for b in blocks:
            A = b.matrix.double() + s.regularization * torch.eye(b.size, dtype=torch.float64)
            torch.linalg.solve(A, grad[b.offset: b.offset + b.size].double())
        parts = {}
    queue.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, parts))


@benchmark("newton_step_mnist_shape")
def newton_step_mnist_shape() -> list[BenchRow]:
    """A whole QNewton step on the paper's MNIST shape against a hand-written torch step, each in
    its own process (peak RSS its own); targets: ≤ 30 s, ≤ 4 GiB, ≤ 1.5× the torch step."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    out = {}
    for which in ("qnewton", "torch"):
        q = ctx.Queue()
        p = ctx.Process(target=_step_job, args=(which, q))
        p.start()
        out[which] = q.get()
        p.join()
    (t_q, mem_q, parts), (t_t, mem_t, _) = out["qnewton"], out["torch"]
    return [BenchRow("QNewton.step, 784-16-10, batch 256 (blocks 12,560² + 170²)", t_q,
                     "capture + torch.linalg.solve", t_t,
                     {"peak_GiB": mem_q / 2**30, "baseline_peak_GiB": mem_t / 2**30, "within_30s": t_q <= 30,
                      "within_4GiB": mem_q <= 4 * 2**30, **parts})]
