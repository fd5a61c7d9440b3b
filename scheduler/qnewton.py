"""Q-Newton optimizer (paper Algorithm 2): per curvature block, regularise, prune, estimate,
route to the quantum or classical solver, and step θ_b ← θ_b − lr·H_b⁻¹·g_b."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp
import torch
from threadpoolctl import ThreadpoolController

from estimators import ClassicalCostModel, Estimate, condition_number, definite_condition, estimate, load_calibration
from estimators.condition import uses_single_precision
from estimators.properties import scan_matrix
from qlsa.spectrum import extreme_eigenvalues
from hessians import HessianBlock, capture_step, prune, prune_resident, regularize
from hessians.blocks import trainable_parameters
from hessians.prune import EXACT_EIGS_MAX_N, STRATEGIES, compile_kernels
from qlsa.errors import InvalidParameterError
from qlsa.checks import check_choice, check_epsilon, check_finite_nonnegative, check_gate_time
from qlsa.matrices import as_matrix
from qlsa.serialization import jsonable

from .policies import Decision, Policy
from .solvers import classical_solve, quantum_solve

KAPPA_TOL = 0.05        # κ's relative accuracy for the routing decision (Lanczos beyond n = EXACT_EIGS_MAX_N)


@dataclass(frozen=True)
class LedgerRow:
    """One block at one step: its properties, both predictions, the decision and what it cost."""

    method: str
    step: int
    block: str
    n: int
    kappa: float
    sparsity: int
    alpha: float
    query_count: float | None
    predicted_quantum_seconds: float
    predicted_classical_seconds: float
    processor: str
    measured_solve_seconds: float
    charged_seconds: float
    damping: float
    solver: str
    loss: float
    kept_fraction: float = 1.0          # share of the block's non-zero entries that pruning kept
    prune_broke_pd: bool = False        # the pruned block was not positive definite before its repair
    capture_seconds: float = 0.0        # measured: the step's curvature + gradient capture (the same in each row)
    prune_seconds: float = 0.0          # measured: regularise + prune (+ PD repair) of this block, less the
                                        # PD test's Cholesky factorisation, which the solve reuses and is counted in
    kappa_seconds: float = 0.0          # measured: κ of this block (and any damping for indefinite curvature)
    estimate_seconds: float = 0.0       # measured: estimate + decision of this block

    def to_dict(self) -> dict:
        return jsonable(self)


@dataclass(frozen=True)
class NewtonSettings:
    """Knobs of one Newton step.

    The paper uses the exact Hessian with regularisation 1.0 on MNIST; on the small default
    network that swamps the curvature (κ ≈ 1, Newton = gradient descent), so the default is
    the PSD Gauss-Newton matrix with regularisation 10⁻² and a damped step (lr 0.3). The
    default gate time 5 fs is the regime where routing depends on the block (κ, d, n): at
    1 as every block goes quantum, at IBM's calibrated times every block goes classical.
    ``backend`` (a calibration name or properties file) replaces the gate time by the
    transpiled duration of one query on that device.

    ``resident`` keeps each block, its factor, the gradient and the update on the model's device
    (pairs chosen there by :func:`hessians.pair_rounds.greedy_pairs_rounds`): only the pruned
    block's CSR (≤ n·d entries, read by κ and the estimate), n-vectors and scalars reach the host.
    Default (None): on where the model is on CUDA, off on the CPU, where the host path (the block
    copied to host memory, pairs chosen by the compiled sequential greedy) is faster; both factorise
    and solve with torch and give the same pruning, κ, estimate and routing.
    """

    lr: float = 0.3
    regularization: float = 1e-2
    prune_d: int | None = 32
    prune_strategy: str = "symmetric"
    epsilon: float = 1e-2
    gate_time: float = 5e-15
    structure: str = "layer"
    kind: str = "ggn"
    chunk_size: int = 256
    backend: str | None = None
    resident: bool | None = None

    def __post_init__(self) -> None:
        if self.backend is not None:
            load_calibration(self.backend)   # fail fast on an unknown backend or a bad file
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise InvalidParameterError(f"Newton learning rate must be > 0, got {self.lr}")
        check_epsilon(self.epsilon)
        check_gate_time(self.gate_time)
        check_finite_nonnegative(self.regularization, "regularisation")
        if self.chunk_size < 1:
            raise InvalidParameterError(f"chunk size must be ≥ 1, got {self.chunk_size}")
        check_choice(self.prune_strategy, STRATEGIES, "pruning strategy")
        if self.prune_d is not None and self.prune_d < 1:
            raise InvalidParameterError(f"prune d must be ≥ 1, got {self.prune_d}")


class QNewton(torch.optim.Optimizer):
    """Block Newton optimizer with hybrid quantum/classical routing.

    One line with defaults: ``QNewton(model, loss_fn)`` — the ``hybrid`` policy (paper Alg. 2)
    with the Jennings cost model against this machine's cached Cholesky fit, and
    :class:`NewtonSettings` defaults; ``policy`` may be a name (``hybrid``, ``classical``,
    ``quantum``, ``threshold``) or a :class:`Policy`; ``settings`` or keyword overrides of it
    (``QNewton(model, loss_fn, gate_time=1e-9, backend="fake_sherbrooke")``).

    ``opt.step(inputs, targets)``, or ``opt.step(closure)`` with ``closure()`` returning
    ``(inputs, targets)``. Unlike ``torch.optim.LBFGS``, whose closure re-evaluates the loss
    and calls ``backward()`` itself, ours only hands over the batch: the step computes the
    gradient and the curvature blocks on it by ``torch.func``. Returns the step's ledger rows.
    During a step NumPy's and SciPy's OpenBLAS run on one thread (the step's dense algebra is
    torch's, :func:`_openblas`); the caller's setting is restored when it returns.
    """

    def __init__(self, model: torch.nn.Module, loss_fn: Callable, policy: Policy | str = "hybrid",
                 classical_model: ClassicalCostModel | None = None, settings: NewtonSettings | None = None,
                 method: str = "qnewton", seed: int = 0, **overrides):
        if settings is not None and overrides:
            raise InvalidParameterError("give either settings or keyword overrides of NewtonSettings, not both")
        try:
            settings = settings or NewtonSettings(**overrides)
        except TypeError as exc:
            raise InvalidParameterError(f"QNewton: {exc}; NewtonSettings fields are "
                                        f"{', '.join(NewtonSettings.__dataclass_fields__)}") from None
        if isinstance(policy, str):
            from estimators.classical_cost import classical_cost_model

            from .cost_models import ClassicalCholeskyCost, JenningsCost
            classical_model = classical_model or classical_cost_model("cholesky")
            policy = Policy(policy, JenningsCost(), ClassicalCholeskyCost(classical_model))
        elif classical_model is None:
            from estimators.classical_cost import classical_cost_model
            classical_model = getattr(policy.classical, "model", None) or classical_cost_model("cholesky")
        super().__init__(list(trainable_parameters(model).values()), {"lr": settings.lr})   # none: a one-line error
        if settings.prune_d is not None:
            compile_kernels()                    # numba compiles (or loads) here, not in the first timed step
        self.model, self.loss_fn, self.policy = model, loss_fn, policy
        self.classical_model, self.settings, self.method, self.seed = classical_model, settings, method, seed
        device = next(iter(self.param_groups[0]["params"])).device
        self.resident = settings.resident if settings.resident is not None else device.type == "cuda"
        self.state["step"] = 0

    @torch.no_grad()
    def step(self, closure, targets: torch.Tensor | None = None) -> list[LedgerRow]:  # type: ignore[override]
        """One Newton step on ``(closure, targets)`` as inputs and targets, or on ``closure()``."""
        if targets is None:
            if not callable(closure):
                raise InvalidParameterError("QNewton.step takes (inputs, targets) or a closure returning them")
            inputs, targets = closure()
        else:
            inputs = closure
        with _openblas().limit(limits=1):
            return self._step(inputs, targets)

    def _step(self, inputs, targets) -> list[LedgerRow]:
        """The step on a batch (OpenBLAS on one thread, :func:`_openblas`)."""
        s = self.settings
        t_capture = time.perf_counter()
        with torch.enable_grad():                 # the blocks, the gradient and the loss from the same passes
            captured = capture_step(self.model, self.loss_fn, inputs, targets, s.structure, s.kind, s.chunk_size,
                                    progress=False)
        blocks, loss = captured.blocks, captured.loss
        resident = self.resident
        g = captured.gradient.detach().double()
        g = g if resident else g.cpu().numpy()
        _synchronize(g)
        t_capture = time.perf_counter() - t_capture
        step = int(self.state["step"])
        update = torch.zeros_like(g) if resident else np.zeros_like(g)
        rows = []
        for k in range(len(blocks)):
            p = self._prepare(blocks, k, step, resident)
            gb = g[p.offset: p.offset + p.size]
            t3 = time.perf_counter()
            dense = p.dense
            if dense is None:                                        # the solvers factorise a dense H
                dense = p.H.toarray() if p.factor is None and sp.issparse(p.H) else p.H
            if p.decision.processor == "quantum":
                res = quantum_solve(dense, gb, s.epsilon, np.random.default_rng([self.seed, step, k]), p.factor)
            else:
                res = classical_solve(dense, gb, p.factor)
            _synchronize(g)
            measured = time.perf_counter() - t3 + p.factor_seconds   # the solve's factorisation, done by the PD test
            e, decision = p.estimate, p.decision
            charged = decision.quantum_seconds if decision.processor == "quantum" else measured
            update[p.offset: p.offset + p.size] = res.x
            rows.append(LedgerRow(self.method, step, p.name, p.size, e.kappa, e.sparsity, e.alpha, e.query_count,
                                  decision.quantum_seconds, decision.classical_seconds, decision.processor,
                                  measured, charged, p.damping, res.method, loss, p.kept, p.broke, t_capture,
                                  p.prune_seconds, p.kappa_seconds, p.estimate_seconds))
        self._apply(update)
        self.state["step"] = step + 1
        return rows

    def _prepare(self, blocks: list[HessianBlock | None], k: int, step: int, resident: bool) -> _Prepared:
        """Block k up to its solve: regularise and prune it, κ, the estimate and the decision. The
        block leaves ``blocks``, so that its matrix is freed once it is pruned."""
        s = self.settings
        t0 = time.perf_counter()
        b, blocks[k] = blocks[k], None
        H = b.matrix.detach()                      # as captured (float32 for a float32 model)
        name, offset, size, psd = b.name, b.offset, b.size, b.psd
        del b
        damping, kept, broke, factor, factor_seconds = s.regularization, 1.0, False, None, 0.0
        dense = None                               # resident: the block as solved, float64 on its device
        if s.prune_d is not None and s.prune_d < size:
            # Pruned as captured, H + δ·I in one pass (the diagonal is kept); the pruned block goes
            # on as CSR. The PD test's Cholesky factor, made in a float64 buffer, is reused by the
            # solve and counted in it. A PSD curvature + δ·I has λ_min ≥ δ, the repair's target.
            lam = s.regularization if psd else None
            if resident and s.prune_strategy == "symmetric":
                rp = prune_resident(H, s.prune_d, lambda_min=lam, shift=s.regularization)
                pr, dense, factor = rp.result, rp.matrix, rp.factor
                factor_seconds = pr.factor_seconds
            else:
                pr = prune(H.cpu().numpy(), d=s.prune_d, track_eigs=False, strategy=s.prune_strategy,
                           seed=self.seed + step, lambda_min=lam, shift=s.regularization)
                if resident:                       # the ablation baselines prune on the host; the solve
                    dense = torch.from_numpy(pr.matrix).to(H.device)   # factorises on the device
                else:
                    factor, factor_seconds = pr.cholesky, pr.factor_seconds
            H, damping, kept, broke = pr.sparse, damping + pr.damping, pr.kept_fraction, pr.broke_pd
        elif resident:                             # the estimator reads an unpruned block on the host
            dense = H.to(torch.float64, copy=True)
            dense.diagonal().add_(s.regularization)
            H = dense.to("cpu", copy=True).numpy()   # its own memory: the damping below shifts both
        else:
            H = regularize(H.cpu().numpy(), s.regularization)
        t1 = time.perf_counter()
        H = as_matrix(H, check_finite=False)                         # one scan, read by κ and the estimate
        scan = scan_matrix(H, single=uses_single_precision(H, "auto", EXACT_EIGS_MAX_N))
        cond = None
        if broke and pr.symmetric:     # the repair's λ_min, λ_max of H (exact, or Lanczos within KAPPA_TOL): no second run
            cond = definite_condition(*pr.eigs_after, pr.eigs_error)
        if cond is None or cond.rel_error > KAPPA_TOL:
            cond = condition_number(H, tol=KAPPA_TOL, exact_max_n=EXACT_EIGS_MAX_N, scan=scan)
        if not cond.definite and scan.properties.hermitian:      # indefinite curvature: damp to λ_min = regularisation
            lam_min = extreme_eigenvalues(H)[0]
            extra = max(s.regularization - lam_min, s.regularization)
            H = (H + extra * sp.eye(H.shape[0], format="csr")).tocsr() if sp.issparse(H) else \
                regularize(H, extra, copy=False)
            if dense is not None:
                dense.diagonal().add_(extra)
            damping += extra
            factor = None
            cond = condition_number(H, tol=KAPPA_TOL, exact_max_n=EXACT_EIGS_MAX_N)
            scan = None                                              # H has changed
        t2 = time.perf_counter()
        e = estimate(H, epsilon=s.epsilon, gate_time=s.gate_time, classical_model=self.classical_model,
                     condition=cond, calibration=s.backend, scan=scan)
        decision = self.policy.decide(e)
        return _Prepared(name, offset, size, H, dense, factor, factor_seconds, damping, kept, broke, e, decision,
                         t1 - t0 - factor_seconds, t2 - t1, time.perf_counter() - t2)

    def _apply(self, update: np.ndarray | torch.Tensor) -> None:
        lr = self.param_groups[0]["lr"]
        update = torch.as_tensor(update)                       # an ndarray's memory, or the device tensor
        off = 0
        for p in self.param_groups[0]["params"]:
            n = p.numel()
            p.sub_(lr * update[off: off + n].to(dtype=p.dtype, device=p.device).reshape(p.shape))
            off += n


@dataclass(frozen=True)
class _Prepared:
    """One block ready for its solve: the matrix as estimated (H, host) and as solved (``dense``
    on the device, resident; else H), the PD test's factor, the estimate, the decision and the
    measured seconds of its parts."""

    name: str
    offset: int
    size: int
    H: np.ndarray | sp.sparray
    dense: torch.Tensor | None
    factor: torch.Tensor | None
    factor_seconds: float
    damping: float
    kept: float
    broke: bool
    estimate: Estimate
    decision: Decision
    prune_seconds: float
    kappa_seconds: float
    estimate_seconds: float


@functools.cache
def _openblas() -> ThreadpoolController:
    """NumPy's and SciPy's OpenBLAS in this process (both loaded by now: estimators imports them).
    A step runs them on one thread: its dense algebra is torch's (MKL, OpenMP), and an OpenBLAS
    call on two threads leaves its idle worker spinning for 0.05–0.1 s on the core torch's next
    call needs. Measured on the default MLP unpruned (``--prune-d 5000``), 40 steps alternating
    with the limit off: the solve took 28–32 ms per step without it, 8.7–9.8 ms with it; the
    capture 47–54 against 38–40 ms. The limit is lifted when the step returns."""
    return ThreadpoolController().select(internal_api="openblas")


def _synchronize(x: np.ndarray | torch.Tensor) -> None:
    """Wait for x's CUDA device (its queued kernels), so that a timer read next measures them."""
    if isinstance(x, torch.Tensor) and x.device.type == "cuda":
        torch.cuda.synchronize(x.device)
