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


_PINNED = ClassicalCostModel("cholesky", 1e-11, 1e-4, "pinned", "-", (1,), (1.0,))


def _qnewton_step(opt, x, y) -> tuple[float, dict]:
    """One step of ``opt`` (a ``QNewton``): its wall seconds and the ledger's parts — capture,
    solve (the factorisation included), prune, κ, estimate — and "other", everything but
    capture and solve."""
    t0 = time.perf_counter()
    rows = opt.step(x, y)
    wall = time.perf_counter() - t0
    parts = {k: sum(getattr(r, k) for r in rows) for k in ("prune_seconds", "kappa_seconds", "estimate_seconds",
                                                          "measured_solve_seconds")}
    parts["capture_seconds"] = rows[0].capture_seconds
    parts["other_seconds"] = wall - parts["capture_seconds"] - parts["measured_solve_seconds"]
    parts["other_share"] = parts["other_seconds"] / wall
    return wall, parts


def _optimizer(model):
    """QNewton with default settings and the pinned classical model (the routing does not depend
    on this machine's fit)."""
    import torch.nn.functional as F

    from scheduler.qnewton import QNewton
    return QNewton(model, F.cross_entropy, "hybrid", _PINNED)


def _torch_step(model, x, y) -> None:
    """The hand-written step on the same blocks: the same capture (blocks and gradient from its
    passes, as QNewton gets them), then torch.linalg.solve(G + δI, g)."""
    import torch
    import torch.nn.functional as F

    from hessians import capture_step
    from scheduler.qnewton import NewtonSettings
    s = NewtonSettings()
    captured = capture_step(model, F.cross_entropy, x, y, s.structure, s.kind, progress=False)
    grad = captured.gradient.detach()
    for b in captured.blocks:
        A = b.matrix.double() + s.regularization * torch.eye(b.size, dtype=torch.float64)
        torch.linalg.solve(A, grad[b.offset: b.offset + b.size].double())


def _mlp_batch(features: int):
    import torch

    from scheduler.models import build_model
    g = torch.Generator().manual_seed(1)
    return (build_model("mlp", features, 10, 16, 0), torch.rand(256, features, generator=g),
            torch.randint(0, 10, (256,), generator=g))


def _step_job(which: str, queue) -> None:
    """One Newton step of the paper's MNIST shape (784-16-10, batch 256, per-layer GGN blocks of
    12 560² and 170²) in a fresh process: ``qnewton`` or ``torch`` (the hand-written step)."""
    import resource
    model, x, y = _mlp_batch(784)
    if which == "qnewton":
        seconds, parts = _qnewton_step(_optimizer(model), x, y)   # the step alone, the optimizer built first
    else:
        t0, parts = time.perf_counter(), {}
        _torch_step(model, x, y)
        seconds = time.perf_counter() - t0
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, parts))


@benchmark("newton_step_overhead")
def newton_step_overhead() -> list[BenchRow]:
    """A QNewton step's parts on MLPs F-16-10 (batch 256) whose first GGN block is n = 16·(F + 1)
    ≈ 1000–4000, against the hand-written torch step on the same blocks; "other" (regularise,
    prune, κ, estimate, decide, update) as a share of the step. One optimizer stepping as in
    training. The two alternate in runs of 3 steps, 5 runs each, the first step of each run
    dropped (it pays for the other's thread pools and caches): both see the same machine, whose
    speed varies by 1.5–2× from minute to minute on a shared 2-core VM, each in its own steady
    state. Medians of the 10 steps kept (wall, each part, the share)."""
    rows = []
    for features in (64, 128, 256):
        model, x, y = _mlp_batch(features)
        opt = _optimizer(model)
        steps, hand = [], []
        for _ in range(5):
            steps.extend([_qnewton_step(opt, x, y) for _ in range(3)][1:])
            for k in range(3):
                t0 = time.perf_counter()
                _torch_step(model, x, y)
                if k:
                    hand.append(time.perf_counter() - t0)
        parts = {k: float(np.median([p[k] for _, p in steps])) for k in steps[0][1]}
        rows.append(BenchRow(f"QNewton.step, {features}-16-10 (blocks {16 * (features + 1)}² + 170²)",
                             float(np.median([w for w, _ in steps])), "capture + torch.linalg.solve",
                             float(np.median(hand)), parts))
    return rows


@benchmark("newton_step_resident")
def newton_step_resident() -> list[BenchRow]:
    """The resident QNewton step (blocks, factors and update on the model's device, pairs chosen in
    parallel rounds; NewtonSettings.resident) against the host step (blocks copied to the host,
    pairs chosen by the compiled sequential greedy) on the same device: CUDA where there is one,
    else the CPU, where the rounds are parallel work done serially. Alternating runs of 3 steps
    (the first of each dropped), medians."""
    import torch
    import torch.nn.functional as F

    from scheduler.qnewton import QNewton
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rows = []
    for features in (64, 256):
        model, x, y = _mlp_batch(features)
        model, x, y = model.to(device), x.to(device), y.to(device)
        opts = {resident: QNewton(model, F.cross_entropy, "hybrid", _PINNED, resident=resident)
                for resident in (True, False)}
        steps = {True: [], False: []}
        for _ in range(4):
            for resident, opt in opts.items():
                steps[resident].extend([_qnewton_step(opt, x, y) for _ in range(3)][1:])
        (wall, parts), (host, _) = ((float(np.median([w for w, _ in steps[r]])),
                                     {k: float(np.median([p[k] for _, p in steps[r]])) for k in steps[r][0][1]})
                                    for r in (True, False))
        rows.append(BenchRow(f"resident QNewton.step on {device}, {features}-16-10 (blocks {16 * (features + 1)}² + 170²)",
                             wall, f"host QNewton.step, model on {device}", host, parts))
    return rows


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
