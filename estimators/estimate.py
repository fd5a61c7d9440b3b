"""One-call quantum-vs-classical cost estimate of solving A x = b.

Pipeline (DESIGN.md §3): validate and scan once (n, nnz, d, ‖A‖_max, finiteness, symmetry,
f32 copy for the Lanczos passes) → the block-encoding spec of :mod:`qlsa.block_encodings`
(α_raw, ancillas, per-query gate counts from its construction; no circuit is built) → κ and
‖A‖₂ (:mod:`estimators.condition`) → α = α_raw/‖A‖₂ → Jennings Q* and Q*/p → the solve's
counts and logical qubits ⌈log₂N⌉ + a + 4 (:mod:`qlsa.solve_counts`) → quantum seconds by
:mod:`estimators.solve_time` (queries, state preparation, the solver's own gates, readout)
→ classical seconds, the fastest applicable machine-calibrated model (dense Cholesky/LU,
sparse direct, CG: :mod:`estimators.classical_solvers`) → the faster processor; with
``fault_tolerant=True`` also the Clifford+T counts and the physical estimate of
:mod:`estimators.fault_tolerant`.
A non-Hermitian A is costed through its Hermitian dilation [[0, A], [Aᴴ, 0]]
(dimension 2N: one more qubit, same κ and ‖A‖₂).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qlsa.checks import check_choice, check_epsilon, check_gate_time
from qlsa.serialization import jsonable
from qlsa.errors import ResourceLimitError

from qlsa.block_encodings import KINDS as ENCODINGS
from qlsa.block_encodings import DenseDilation, GateCounts, encoding_spec, state_preparation_counts
from qlsa.linear_system import prepare_system
from qlsa.solve_counts import SolveCounts, jennings_qubits, jennings_theorem1_counts

from .classical_cost import ClassicalCostModel
from .classical_solvers import SolveFeatures, check_classical_solver, classical_cost
from .condition import METHODS, ConditionEstimate, condition_number, uses_single_precision
from qlsa.matrices import as_matrix
from .properties import MatrixScan, scan_matrix
from .solve_time import TimeTerms, solve_time_terms, total_seconds
from .query_counts import (EPSILON_MAX, jennings_crossover_kappa, jennings_expected_query_count,
                           jennings_parameters, jennings_query_count, jennings_success_probability, system_qubits)

if TYPE_CHECKING:
    from .device_time import QueryTiming
    from .quantum_models import ModelCalls
    from .fault_tolerant import FaultTolerantEstimate

DEFAULT_GATE_TIME = 1e-18   # the paper's attosecond-gate scenario
DEFAULT_EPSILON = 1e-2


@dataclass(frozen=True)
class Estimate:
    """Everything ``qlsa estimate`` reports; ``sources`` says where each number comes from."""

    n: int
    nnz: int
    sparsity: int
    norm_2: float
    norm_max: float
    hermitian: bool
    dilated: bool
    kappa: float
    kappa_method: str
    kappa_kind: str
    kappa_rel_error: float
    alpha: float
    alpha_raw: float
    epsilon: float
    encoding: str
    block_encoding: str
    ancilla_qubits: int
    query_count: float | None
    expected_query_count: float | None
    success_probability: float
    logical_qubits: int
    per_query_counts: GateCounts
    state_preparation: GateCounts
    gate_time: float | None
    per_query_seconds: float
    time_terms: TimeTerms
    quantum_time_terms: dict[str, float] | None
    quantum_seconds: float | None
    solve_counts: SolveCounts | None
    classical_seconds: float
    classical_solver: str
    processor: str
    verdict_certain: bool
    backend: str | None = None
    device_timing: QueryTiming | None = None
    fault_tolerant: FaultTolerantEstimate | None = None
    classical_models: dict[str, float] = field(default_factory=dict)
    quantum_models: tuple[ModelCalls, ...] = ()
    algorithm: str = "jennings-v1"
    notes: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    json_properties = ("per_query_gates",)

    @property
    def per_query_gates(self) -> int:
        """Gates of one U_A call (Toffoli as 15), the unit of a uniform gate time."""
        return self.per_query_counts.gates

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ∞ is written as the string "inf"."""
        return jsonable(self)


def check_estimate_parameters(epsilon: float, gate_time: float, encoding: str = "sparse",
                              kappa_method: str = "auto", fault_tolerant: bool = False, qubit_model: str | None = None,
                              error_budget: float | None = None, algorithm: str = "jennings-v1",
                              classical: str = "auto") -> str | None:
    """Raise :class:`InvalidParameterError` for ε ∉ (0, 1), gate time ≤ 0, unknown names, an error
    budget ∉ (ε, 1), an algorithm that is unknown or a bare scaling, a classical solver that is
    unknown or not installed; return the qubit model of the fault-tolerant estimate (None
    without it)."""
    from .fault_tolerant import check_ft_options
    from .quantum_models import check_algorithm
    check_algorithm(algorithm)
    check_classical_solver(classical)
    check_epsilon(epsilon)
    check_gate_time(gate_time)
    check_choice(encoding, ENCODINGS, "encoding")
    check_choice(kappa_method, METHODS, "κ method")
    return check_ft_options(fault_tolerant, qubit_model, error_budget, epsilon)


def estimate(matrix: Any, epsilon: float = DEFAULT_EPSILON, encoding: str = "sparse",
             gate_time: float = DEFAULT_GATE_TIME, kappa_method: str = "auto", kappa_tol: float = 0.05,
             classical_model: ClassicalCostModel | None = None,
             condition: ConditionEstimate | None = None, calibration: Any = None,
             refine_kappa: bool = False, time_terms: TimeTerms | None = None, fault_tolerant: bool = False,
             qubit_model: str | None = None, error_budget: float | None = None,
             algorithm: str = "jennings-v1", classical: str = "auto", scan: MatrixScan | None = None) -> Estimate:
    """Estimate the quantum (Jennings et al.) and classical cost of solving ``matrix``·x = b.

    ``classical`` names the classical solver (default ``auto``: the fastest model that applies,
    :mod:`estimators.classical_solvers`); ``classical_model``, a caller's own dense model (the
    trainer's), replaces the cached dense fit and, under ``auto``, the choice. ``condition`` lets a
    caller that already has κ (e.g. the trainer) skip recomputing it, and ``scan`` (the
    :func:`~estimators.properties.scan_matrix` of the same matrix, made as
    :func:`~estimators.condition.condition_number` documents) its properties. With ``calibration``
    (a backend name, properties file or :class:`Calibration`), one query's time is the
    scheduled duration of the block-encoding transpiled to that device instead of
    gates × ``gate_time``. ``time_terms`` chooses the state-preparation and readout terms of
    the quantum time (default: both, one measurement per run), as ``calibrate`` does.

    κ is not refined past the κ at which the quantum solve is slower than the classical one
    whatever α ≥ 1 (Q*/p grows with both): once Lanczos certifies κ above it, the verdict is
    classical for certain and κ is reported as that lower bound (``kappa_kind``
    ``"lower-bound"``). ``refine_kappa=True`` refines it to ``kappa_tol`` all the same.

    ``fault_tolerant=True`` adds the logical Clifford+T counts of one run and of the expected
    solve and the physical estimate for ``qubit_model`` (default ``qubit_gate_ns_e3``) under the
    total ``error_budget`` (default 2ε), :mod:`estimators.fault_tolerant`.

    ``algorithm`` names the quantum cost model of the verdict (:mod:`estimators.quantum_models`;
    only bounds with explicit constants, today ``jennings-v1``); ``quantum_models`` in the result
    holds every model's expected U_A calls side by side.
    """
    qubit_model = check_estimate_parameters(epsilon, gate_time, encoding, kappa_method, fault_tolerant, qubit_model,
                                            error_budget, algorithm, classical)
    A = as_matrix(matrix, check_finite=False)          # the scan checks finiteness in its pass
    scan = scan or scan_matrix(A, single=condition is None and uses_single_precision(A, kappa_method))
    props = scan.properties
    notes: list[str] = []
    sources = {"sparsity": "count of non-zeros per row (max)"}
    dilated = not props.hermitian
    n_quantum = props.n
    if dilated:
        n_quantum = 2 * props.n
        notes.append("A is not Hermitian: costed through its dilation [[0, A], [Aᴴ, 0]] (2N, +1 qubit, same κ)")

    spec = None if encoding == "dense" else \
        encoding_spec(prepare_system(A, keep_sparse=True, hermitian=props.hermitian).matrix, encoding)
    n_sys = system_qubits(n_quantum)
    counts = spec.gate_counts() if spec is not None else DenseDilation(n_sys).gate_counts()
    ancillas = spec.ancilla_qubits if spec is not None else DenseDilation.ancilla_qubits
    prep_counts = state_preparation_counts(n_sys)
    describe = spec.describe() if spec is not None else DenseDilation(n_sys).describe()
    qubits = jennings_qubits(n_sys, ancillas)
    sources["logical_qubits"] = (f"⌈log₂N⌉ + a + 4 of the built Jennings circuit, a = {ancillas} ancillas of the "
                                 f"block-encoding spec (qlsa.solve_counts)")
    sources["per_query_counts"] = "the spec's construction, = its built circuit (Toffoli as 15 gates)"
    timing, backend, cal = None, None, None
    if calibration is not None:
        from .calibration import load_calibration
        from .device_time import device_gate_seconds, query_timing
        cal = load_calibration(calibration)
        if qubits > cal.num_qubits:
            raise ResourceLimitError(f"the Jennings solve of this N = {n_quantum} matrix needs {qubits} logical qubits; "
                                     f"{cal.backend} has {cal.num_qubits}")
        timing, backend = query_timing(cal, counts, n_sys + ancillas, what=describe), cal.backend
        per_query_seconds = timing.seconds

        def gate_seconds(g: GateCounts) -> float:
            return device_gate_seconds(g, cal)
        readout_seconds = cal.readout_seconds
        sources["per_query_seconds"] = (f"scheduled duration on {cal.backend} ({cal.snapshot_date or 'no date'}), "
                                        f"{timing.circuit}")
        if timing.exceeds_t2:
            notes.append(f"one U_A call lasts {timing.seconds:.3g} s, longer than the median T2 "
                         f"{cal.t2_seconds:.3g} s of {cal.backend}: it would decohere without error correction")
        gate_time = None
    else:
        per_query_seconds = counts.gates * gate_time

        def gate_seconds(g: GateCounts) -> float:
            return g.gates * gate_time
        readout_seconds = gate_time
        sources["per_query_seconds"] = f"{counts.gates} gates × {gate_time:g} s"
        if gate_time == DEFAULT_GATE_TIME:
            notes.append("gate time 1e-18 s: the paper's hypothetical attosecond-gate scenario (set --gate-time)")
    terms = time_terms or TimeTerms()
    if terms.readout != "none" and not math.isfinite(readout_seconds):
        notes.append(f"{backend} has no readout calibration: readout left out of the quantum time")
        terms = TimeTerms(terms.state_preparation, "none")

    @functools.cache                  # the same call counts recur (Q*, and κ at its error bar's ends)
    def run_counts(calls: float) -> SolveCounts:
        return jennings_theorem1_counts(counts, n_sys, ancillas, calls)

    def run_terms(calls: float, p: float, t: TimeTerms | None = None) -> dict[str, float]:
        return solve_time_terms(run_counts(calls), p, props.n, epsilon, per_query_seconds, gate_seconds,
                                readout_seconds, t or terms)

    bare = TimeTerms(terms.state_preparation, "none")          # the seconds each U_A call adds to a run
    call_seconds = total_seconds(run_terms(1.0, 1.0, bare)) - total_seconds(run_terms(0.0, 1.0, bare))

    features = SolveFeatures(A, props.n, props.nnz)
    # Before κ: only models that hold for any A (LU, sparse direct), so the final classical time is at most
    # this one and a quantum time above it is above the final one too (the κ early stop below).
    before = classical_cost(features, props.hermitian, None, None, epsilon, classical, classical_model)
    p = jennings_success_probability(min(epsilon, EPSILON_MAX))
    stop_above = math.inf
    if condition is None and not refine_kappa and math.isfinite(before.seconds):
        crossover = jennings_crossover_kappa(1.0, min(epsilon, EPSILON_MAX), call_seconds, before.seconds)
        stop_above = math.inf if crossover is None else crossover
    cond = condition or condition_number(A, method=kappa_method, tol=kappa_tol, scan=scan, stop_above=stop_above)
    sources["kappa"] = cond.describe()
    sources["norm_2"] = f"σ_max from {cond.method}" + (f", ±{100 * cond.sigma_max_rel_error:.2g}%"
                                                       if cond.kind in ("estimate", "lower-bound") else "")
    if cond.note and (cond.kind != "lower-bound" or cond.precision_limited):   # an early stop gets its own note
        notes.append(f"κ: {cond.note}")
    side = classical_cost(features, props.hermitian, cond.definite, cond.kappa, epsilon, classical, classical_model)
    classical_seconds, classical_models = side.seconds, side.models
    sources["classical_seconds"] = side.source

    alpha_raw = spec.alpha_raw if spec is not None else cond.sigma_max
    alpha = alpha_raw / cond.sigma_max if cond.sigma_max > 0 else math.inf
    if alpha < 1.0:  # estimated ‖A‖₂ below its true value by the estimator's error
        notes.append(f"α = {alpha:.6g} < 1 from the ‖A‖₂ estimate's error; used α = 1")
        alpha = 1.0
    sources["alpha"] = {"sparse": "α_raw/‖A‖₂, α_raw = d·‖A‖_max (sparse access, DESIGN §3.1)",
                        "lcu": "α_raw/‖A‖₂, α_raw = ‖c‖₁ of the Pauli coefficients",
                        "dense": "‖A‖₂/‖A‖₂ = 1 (unitary dilation)"}[encoding]
    common = dict(alpha_raw=alpha_raw, block_encoding=describe, ancilla_qubits=ancillas, per_query_counts=counts,
                  state_preparation=prep_counts, time_terms=terms)
    if math.isinf(cond.kappa):
        notes.append("quantum solver not applicable: A is singular (κ = ∞)")
        return Estimate(n=props.n, nnz=props.nnz, sparsity=props.sparsity, norm_2=cond.sigma_max,
                        norm_max=props.norm_max, hermitian=props.hermitian, dilated=dilated, kappa=math.inf,
                        kappa_method=cond.method, kappa_kind=cond.kind, kappa_rel_error=cond.rel_error, alpha=alpha,
                        epsilon=epsilon, encoding=encoding, query_count=None, expected_query_count=None,
                        success_probability=p, logical_qubits=qubits, gate_time=gate_time,
                        per_query_seconds=per_query_seconds, quantum_time_terms=None, quantum_seconds=None,
                        solve_counts=None,
                        classical_seconds=classical_seconds, classical_solver=side.solver, processor="classical",
                        classical_models=classical_models, verdict_certain=True, backend=backend,
                        device_timing=timing, notes=tuple(notes),
                        sources=sources, **common)

    params = jennings_parameters(cond.kappa, epsilon)
    notes.extend(params.notes)

    def breakdown(kappa: float) -> dict[str, float]:
        return run_terms(jennings_query_count(alpha, max(kappa, params.kappa), params.epsilon), p)

    q = jennings_query_count(alpha, params.kappa, params.epsilon)
    q_expected = jennings_expected_query_count(alpha, params.kappa, params.epsilon)
    at_bound = (", at κ's certified lower bound" + ("" if cond.precision_limited else " (κ not refined)")
                if cond.kind == "lower-bound" else "")
    sources["query_count"] = f"Jennings et al. 2023, Theorem 1 (DESIGN §3.1){at_bound}"
    sources["expected_query_count"] = f"Q*/p, p = 0.39 − 0.204ε{at_bound}"
    sources["quantum_seconds"] = ("Q*/p × t_query" + (" + (2Q* + 1)/p × t_Ub" if terms.state_preparation else "")
                                  + " + (Q*/4)/p walk steps' own gates"
                                  + {"none": "", "measure": " + t_readout/p", "full": " + t_readout/p, × ⌈N/ε²⌉"}[
                                      terms.readout] + f" (estimators.solve_time){at_bound}")
    time_breakdown = breakdown(cond.kappa)
    quantum_seconds = total_seconds(time_breakdown)
    processor = "quantum" if quantum_seconds < classical_seconds else "classical"
    certain = True
    if cond.precision_limited:      # the quantum time grows with κ: at the bound it is a lower bound itself
        certain = quantum_seconds >= classical_seconds
        notes.append(f"κ is not resolved in double precision; the quantum cost is given at its lower bound "
                     f"κ ≥ {cond.kappa:.3g}" + ("" if certain else ", so the verdict is not certain"))
    elif cond.kind == "lower-bound":
        notes.append(f"κ ≥ {cond.kappa:.4g} already makes the quantum solve slower than the classical one at any "
                     "α ≥ 1, so κ was not refined (refine_kappa=True, or --refine-kappa, refines it)")
    elif cond.kind == "estimate" and cond.rel_error > 0:
        # Ritz values give κ_est ≤ κ; κ ≤ κ_est·(1 + rel_error) is the error bar's top end.
        hi_t = total_seconds(breakdown(cond.kappa * (1 + cond.rel_error)))
        certain = (quantum_seconds >= classical_seconds) or (hi_t < classical_seconds)
        if not certain:
            notes.append("verdict within κ's error bar: the two processors are too close to call")
    from .quantum_models import compare
    side_by_side = compare(alpha, params.kappa, params.epsilon, n_quantum, props.sparsity)
    ft = None
    if fault_tolerant:
        from .fault_tolerant import fault_tolerant_estimate
        ft = fault_tolerant_estimate(counts, n_sys + ancillas, run_counts(q), 1 / p, epsilon, error_budget, qubit_model,
                                     classical_seconds)
        sources["fault_tolerant"] = ft.rule
    return Estimate(n=props.n, nnz=props.nnz, sparsity=props.sparsity, norm_2=cond.sigma_max, norm_max=props.norm_max,
                    hermitian=props.hermitian, dilated=dilated, kappa=cond.kappa, kappa_method=cond.method,
                    kappa_kind=cond.kind, kappa_rel_error=cond.rel_error, alpha=alpha, epsilon=epsilon,
                    encoding=encoding, query_count=q, expected_query_count=q_expected, success_probability=p,
                    logical_qubits=qubits, gate_time=gate_time, per_query_seconds=per_query_seconds,
                    quantum_time_terms=time_breakdown, quantum_seconds=quantum_seconds, solve_counts=run_counts(q),
                    classical_seconds=classical_seconds, classical_solver=side.solver, processor=processor,
                    verdict_certain=certain, backend=backend, device_timing=timing, fault_tolerant=ft,
                    classical_models=classical_models, quantum_models=side_by_side, algorithm=algorithm,
                    notes=tuple(notes), sources=sources, **common)
