"""One-call quantum-vs-classical cost estimate of solving A x = b.

Pipeline (DESIGN.md §3): validate and scan once (n, nnz, d, ‖A‖_max, finiteness, symmetry,
f32 copy for the Lanczos passes) → κ and ‖A‖₂
(:mod:`estimators.condition`) → α = α_raw/‖A‖₂ of the chosen block-encoding → Jennings Q*
and Q*/p → logical qubits → quantum seconds = Q*/p × per-query gates × gate time →
classical seconds from the machine-calibrated c1·n³ + c2 → the faster processor.
A non-Hermitian A is costed through its Hermitian dilation [[0, A], [Aᴴ, 0]]
(dimension 2N: one more qubit, same κ and ‖A‖₂).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qlsa.serialization import jsonable
from qlsa.errors import InvalidParameterError, ResourceLimitError

from .block_encoding_cost import ENCODINGS, block_encoding_cost
from .classical_cost import ClassicalCostModel, classical_cost_model
from .condition import METHODS, ConditionEstimate, condition_number, uses_single_precision
from .matrix_input import as_matrix
from .properties import scan_matrix
from .query_counts import (EPSILON_MAX, jennings_crossover_kappa, jennings_expected_query_count,
                           jennings_parameters, jennings_qubits, jennings_query_count, jennings_success_probability)

if TYPE_CHECKING:
    from .device_time import QueryTiming

EXPLICIT_MAX_ENTRIES = 512   # N·d up to which a device timing transpiles the explicit U_A circuit
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
    epsilon: float
    encoding: str
    query_count: float | None
    expected_query_count: float | None
    success_probability: float
    logical_qubits: int
    per_query_gates: int
    gate_time: float
    per_query_seconds: float
    quantum_seconds: float | None
    classical_seconds: float
    classical_solver: str
    processor: str
    verdict_certain: bool
    backend: str | None = None
    device_timing: QueryTiming | None = None
    notes: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ∞ is written as the string "inf"."""
        return jsonable(self)


def check_estimate_parameters(epsilon: float, gate_time: float, encoding: str = "sparse",
                              kappa_method: str = "auto") -> None:
    """Raise :class:`InvalidParameterError` for ε ∉ (0, 1), gate time ≤ 0, unknown names."""
    if not (isinstance(epsilon, (int, float)) and 0.0 < epsilon < 1.0):
        raise InvalidParameterError(f"epsilon must lie in (0, 1), got {epsilon}")
    if not (isinstance(gate_time, (int, float)) and math.isfinite(gate_time) and gate_time > 0):
        raise InvalidParameterError(f"gate time must be a positive number of seconds, got {gate_time}")
    if encoding not in ENCODINGS:
        raise InvalidParameterError(f"unknown encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")
    if kappa_method not in METHODS:
        raise InvalidParameterError(f"unknown κ method {kappa_method!r}; choose one of {', '.join(METHODS)}")


def estimate(matrix: Any, epsilon: float = DEFAULT_EPSILON, encoding: str = "sparse",
             gate_time: float = DEFAULT_GATE_TIME, kappa_method: str = "auto", kappa_tol: float = 0.05,
             classical_model: ClassicalCostModel | None = None,
             condition: ConditionEstimate | None = None, calibration: Any = None,
             refine_kappa: bool = False) -> Estimate:
    """Estimate the quantum (Jennings et al.) and classical cost of solving ``matrix``·x = b.

    ``classical_model`` defaults to the machine-calibrated cached fit; ``condition`` lets a
    caller that already has κ (e.g. the trainer) skip recomputing it. With ``calibration``
    (a backend name, properties file or :class:`Calibration`), one query's time is the
    scheduled duration of the block-encoding transpiled to that device instead of
    gates × ``gate_time``.

    κ is not refined past the κ at which the quantum solve is slower than the classical one
    whatever α ≥ 1 (Q*/p grows with both): once Lanczos certifies κ above it, the verdict is
    classical for certain and κ is reported as that lower bound (``kappa_kind``
    ``"lower-bound"``). ``refine_kappa=True`` refines it to ``kappa_tol`` all the same.
    """
    check_estimate_parameters(epsilon, gate_time, encoding, kappa_method)
    A = as_matrix(matrix, check_finite=False)          # the scan checks finiteness in its pass
    scan = scan_matrix(A, single=condition is None and uses_single_precision(A, kappa_method))
    props = scan.properties
    notes: list[str] = []
    sources = {"sparsity": "count of non-zeros per row (max)"}
    dilated = not props.hermitian
    n_quantum, d = props.n, props.sparsity
    if dilated:
        n_quantum = 2 * props.n
        d = max(d, int(np.max(np.count_nonzero(A, axis=0) if not hasattr(A, "tocsc")
                              else np.diff(A.tocsc().indptr))))
        notes.append("A is not Hermitian: costed through its dilation [[0, A], [Aᴴ, 0]] (2N, +1 qubit, same κ)")

    be = block_encoding_cost(encoding, n_quantum, d, props.norm_max)
    qubits = jennings_qubits(n_quantum, be.ancillas)
    sources["logical_qubits"] = f"⌈log₂N⌉ + a + 6 with a = {be.ancillas} (DESIGN §3.3)"
    timing, backend = None, None
    if calibration is not None:
        from .calibration import load_calibration
        from .device_time import query_timing
        cal = load_calibration(calibration)
        if qubits > cal.num_qubits:
            raise ResourceLimitError(f"the Jennings solve of this N = {n_quantum} matrix needs {qubits} logical qubits; "
                                     f"{cal.backend} has {cal.num_qubits}")
        circuit = None
        if props.n * max(d, 1) <= EXPLICIT_MAX_ENTRIES:   # small: transpile the real block-encoding circuit
            from qlsa.encodings import block_encoding
            circuit = block_encoding(A, encoding).circuit
        timing, backend = query_timing(cal, be, n_quantum, circuit=circuit), cal.backend
        per_query_seconds = timing.seconds
        sources["per_query_seconds"] = (f"scheduled duration on {cal.backend} ({cal.snapshot_date or 'no date'}), "
                                        f"{timing.circuit}")
        if timing.exceeds_t2:
            notes.append(f"one U_A call lasts {timing.seconds:.3g} s, longer than the median T2 "
                         f"{cal.t2_seconds:.3g} s of {cal.backend}: it would decohere without error correction")
    else:
        per_query_seconds = be.gates * gate_time
        sources["per_query_seconds"] = f"{be.gates} gates × {gate_time:g} s ({be.source})"
        if gate_time == DEFAULT_GATE_TIME:
            notes.append("gate time 1e-18 s: the paper's hypothetical attosecond-gate scenario (set --gate-time)")

    model = classical_model or classical_cost_model("cholesky" if props.hermitian else "lu")
    classical_seconds = model.seconds_for(props.n)
    p = jennings_success_probability(min(epsilon, EPSILON_MAX))
    stop_above = math.inf
    if condition is None and not refine_kappa:
        crossover = jennings_crossover_kappa(1.0, min(epsilon, EPSILON_MAX), per_query_seconds,
                                             classical_seconds)
        stop_above = math.inf if crossover is None else crossover
    cond = condition or condition_number(A, method=kappa_method, tol=kappa_tol, scan=scan, stop_above=stop_above)
    sources["kappa"] = cond.describe()
    sources["norm_2"] = f"σ_max from {cond.method}" + (f", ±{100 * cond.sigma_max_rel_error:.2g}%"
                                                       if cond.kind in ("estimate", "lower-bound") else "")
    if cond.note and cond.kind != "lower-bound":      # a lower bound gets its own note with the verdict
        notes.append(f"κ: {cond.note}")
    solver = "cholesky" if cond.definite else "lu"
    if classical_model is None and solver != model.solver:
        model = classical_cost_model(solver)              # definiteness not shown by κ: LU, not Cholesky
        classical_seconds = model.seconds_for(props.n)
    if props.nnz < props.n * props.n // 10:
        notes.append("classical time is a dense factorisation (c1·n³); a sparse direct or iterative solver "
                     "may be much faster for this matrix")
    sources["classical_seconds"] = (f"c1·n³ + c2, {model.solver} fitted on {model.machine} "
                                    f"(c1 = {model.c1:.3g} s, c2 = {model.c2:.3g} s)")

    alpha = be.alpha(cond.sigma_max)
    if alpha < 1.0:  # estimated ‖A‖₂ below its true value by the estimator's error
        notes.append(f"α = {alpha:.6g} < 1 from the ‖A‖₂ estimate's error; used α = 1")
        alpha = 1.0
    sources["alpha"] = ("d·‖A‖_max/‖A‖₂ (sparse access, DESIGN §3.1)" if encoding == "sparse"
                        else "‖A‖₂/‖A‖₂ = 1 (unitary dilation)")
    if math.isinf(cond.kappa):
        notes.append("quantum solver not applicable: A is singular (κ = ∞)")
        return Estimate(props.n, props.nnz, props.sparsity, cond.sigma_max, props.norm_max, props.hermitian,
                        dilated, math.inf, cond.method, cond.kind, cond.rel_error, alpha, epsilon, encoding,
                        None, None, p, qubits, be.gates, gate_time, per_query_seconds, None, classical_seconds,
                        model.solver, "classical", True, backend, timing, tuple(notes), sources)

    params = jennings_parameters(cond.kappa, epsilon)
    notes.extend(params.notes)

    def quantum_time(kappa: float) -> float:
        k = max(kappa, params.kappa)
        return jennings_expected_query_count(alpha, k, params.epsilon) * per_query_seconds

    q = jennings_query_count(alpha, params.kappa, params.epsilon)
    q_expected = jennings_expected_query_count(alpha, params.kappa, params.epsilon)
    at_bound = ", at κ's certified lower bound (κ not refined)" if cond.kind == "lower-bound" else ""
    sources["query_count"] = f"Jennings et al. 2023, Theorem 1 (DESIGN §3.1){at_bound}"
    sources["expected_query_count"] = f"Q*/p, p = 0.39 − 0.204ε{at_bound}"
    sources["quantum_seconds"] = f"expected calls × per-query time{at_bound}"
    quantum_seconds = q_expected * per_query_seconds
    processor = "quantum" if quantum_seconds < classical_seconds else "classical"
    certain = True
    if cond.kind == "lower-bound":
        notes.append(f"κ ≥ {cond.kappa:.4g} already makes the quantum solve slower than the classical one at any "
                     "α ≥ 1, so κ was not refined (refine_kappa=True, or --refine-kappa, refines it)")
    elif cond.kind == "estimate" and cond.rel_error > 0:
        # Ritz values give κ_est ≤ κ; κ ≤ κ_est·(1 + rel_error) is the error bar's top end.
        lo_t, hi_t = quantum_time(cond.kappa), quantum_time(cond.kappa * (1 + cond.rel_error))
        certain = (lo_t >= classical_seconds) or (hi_t < classical_seconds)
        if not certain:
            notes.append("verdict within κ's error bar: the two processors are too close to call")
    return Estimate(props.n, props.nnz, props.sparsity, cond.sigma_max, props.norm_max, props.hermitian, dilated,
                    cond.kappa, cond.method, cond.kind, cond.rel_error, alpha, epsilon, encoding, q, q_expected, p,
                    qubits, be.gates, gate_time, per_query_seconds, quantum_seconds, classical_seconds, model.solver,
                    processor, certain, backend, timing, tuple(notes), sources)
