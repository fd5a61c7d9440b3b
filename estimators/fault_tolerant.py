"""Fault-tolerant cost of a solve: logical Clifford+T counts (:mod:`qlsa.clifford_t`) of one run
and the whole expected solve, the error budget split, and physical surface/Floquet-code
estimates from Microsoft's resource estimator (``qdk.estimator``, the successor of
``qsharp.estimator``; Beverland et al., arXiv:2211.07629, PSSPC layout).

Error budget (union bound over the error sources of one run), total E ≥ ε:

    E = ε (algorithm: the solver's target error)
      + E_rot (rotation synthesis, = (E − ε)/3, spread evenly: δ = E_rot / R for each of the R
               rotations — the state preparation's R_b of them take R_b/R of E_rot)
      + E_log (logical errors of the code, = (E − ε)/3)
      + E_T   (T/CCZ magic-state distillation, = (E − ε)/3)

The rotations are synthesised here (Ross–Selinger at δ) and reach the resource estimator as T
gates, so its own rotation model and budget share are unused (``rotations: 0``): one model of
the synthesis. Toffolis reach it as CCZ gates (one CCZ magic state each).

Break-even in fault-tolerant terms: the quantum run takes logical depth × logical cycle time,
so the cycle time at which the expected solve (1/p runs) matches the classical solve is
t_classical·p / depth; the T-state rate that would do it is (T states / p) / t_classical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qlsa.checks import check_choice, check_epsilon
from qlsa.clifford_t import TOFFOLI_T, CliffordTCounts, RotationSynthesis, clifford_t, rotation_synthesis
from qlsa.errors import EstimatorUnavailableError, InvalidParameterError, ResourceLimitError
from qlsa.serialization import jsonable
from qlsa.solve_counts import U_B, SolveCounts

QUBIT_MODELS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4",
                "qubit_maj_ns_e4", "qubit_maj_ns_e6")
DEFAULT_QUBIT_MODEL = "qubit_gate_ns_e3"


@dataclass(frozen=True)
class ErrorBudget:
    """The split of the total error budget of one run (module docstring)."""

    total: float
    algorithm: float
    rotations: float
    state_preparation: float    # the part of ``rotations`` spent on U_b's rotations
    logical: float
    t_states: float
    rule: str = "E = ε + 3 equal shares of E − ε: rotation synthesis (δ = share/R), logical errors, magic states"

    def to_dict(self) -> dict:
        return jsonable(self)


def default_error_budget(epsilon: float) -> float:
    """2ε: as much for the fault-tolerant implementation as for the algorithm."""
    return 2 * epsilon


def check_error_budget(total: float, epsilon: float) -> float:
    """E ∈ (0, 1) and E > ε (the algorithm's ε is spent first)."""
    check_epsilon(total, "error budget")
    if total <= epsilon:
        raise InvalidParameterError(f"error budget {total:g} leaves nothing beyond the algorithm's ε = {epsilon:g}; "
                                    f"raise --error-budget above ε (default 2ε) or lower --epsilon")
    return total


def check_qubit_model(name: str) -> str:
    return check_choice(name, QUBIT_MODELS, "qubit model")


def check_ft_options(fault_tolerant: bool, qubit_model: str | None, error_budget: float | None,
                     epsilon: float) -> str | None:
    """The qubit model the fault-tolerant estimate will use (None without it); the model and the
    budget are refused when unknown or out of range, or when given without the estimate."""
    if not fault_tolerant:
        if qubit_model is not None or error_budget is not None:
            raise InvalidParameterError("--qubit-model and --error-budget (qubit_model, error_budget) set the "
                                        "fault-tolerant estimate; add --ft (fault_tolerant=True)")
        return None
    check_error_budget(default_error_budget(epsilon) if error_budget is None else error_budget, epsilon)
    return check_qubit_model(qubit_model or DEFAULT_QUBIT_MODEL)


def split_error_budget(total: float, epsilon: float, rotations: float, state_prep_rotations: float) -> ErrorBudget:
    check_error_budget(total, epsilon)
    share = (total - epsilon) / 3
    prep = share * state_prep_rotations / rotations if rotations else 0.0
    return ErrorBudget(total, epsilon, share, prep, share, share)


@dataclass(frozen=True)
class PhysicalEstimate:
    """One run on a surface/Floquet-code machine, from the resource estimator's report."""

    qubit_model: str
    qec_scheme: str
    physical_qubits: int
    runtime_seconds: float
    code_distance: int
    logical_cycle_seconds: float
    logical_depth: int
    algorithm_logical_qubits: int    # the layout's logical qubits (routing included)
    t_states: int                    # T + 4 per CCZ, as the estimator counts them
    t_factories: int
    t_factory_physical_qubits: int
    source: str

    def to_dict(self) -> dict:
        return jsonable(self)


@dataclass(frozen=True)
class FaultTolerantEstimate:
    """Logical counts per query and per run, the expected solve, the budget, the physical estimate."""

    per_query: CliffordTCounts
    per_run: CliffordTCounts
    runs: float                        # expected runs 1/p
    budget: ErrorBudget
    physical: PhysicalEstimate | None
    classical_seconds: float | None
    rule: str

    json_properties = ("expected_t_count", "expected_toffoli", "expected_runtime_seconds",
                       "break_even_logical_cycle_seconds", "break_even_t_state_rate")

    @property
    def expected_t_count(self) -> float:
        return self.runs * self.per_run.t_count

    @property
    def expected_toffoli(self) -> float:
        return self.runs * self.per_run.toffoli

    @property
    def expected_runtime_seconds(self) -> float | None:
        return None if self.physical is None else self.runs * self.physical.runtime_seconds

    @property
    def break_even_logical_cycle_seconds(self) -> float | None:
        if self.physical is None or self.classical_seconds is None:
            return None
        return self.classical_seconds / (self.runs * self.physical.logical_depth)

    @property
    def break_even_t_state_rate(self) -> float | None:
        """T states per second at which the expected solve's magic states last t_classical."""
        if self.physical is None or self.classical_seconds is None:
            return None
        return self.runs * self.physical.t_states / self.classical_seconds

    def to_dict(self) -> dict:
        return jsonable(self)


def logical_counts(counts: CliffordTCounts) -> dict[str, int]:
    """The resource estimator's ``LogicalCounts`` input: rotations already synthesised to T."""
    return {"numQubits": int(counts.qubits),
            "tCount": int(math.ceil(counts.t_count - TOFFOLI_T * counts.toffoli)),     # Toffolis go as CCZ
            "rotationCount": 0, "rotationDepth": 0,
            "cczCount": int(math.ceil(counts.toffoli)), "ccixCount": 0,
            "measurementCount": int(counts.qubits)}


def physical_estimate(counts: CliffordTCounts, budget: ErrorBudget,
                      qubit_model: str = DEFAULT_QUBIT_MODEL) -> PhysicalEstimate:
    """Physical qubits, runtime, code distance and factories of one run (``qdk.estimator``)."""
    check_qubit_model(qubit_model)
    try:
        from qdk import estimator as qre
        from importlib.metadata import version
    except ImportError as exc:     # qdk is a dependency; a broken install still gets one line
        raise EstimatorUnavailableError(f"the physical estimate needs the qdk package ({exc}); "
                                        "pip install qdk, or leave out --ft") from exc
    params = {"qubitParams": {"name": qubit_model},
              "errorBudget": {"logical": budget.logical, "tStates": budget.t_states, "rotations": 0.0}}
    try:
        r = qre.LogicalCounts(logical_counts(counts)).estimate(params=params)
    except Exception as exc:      # the estimator raises its own EstimatorError / QSharpError
        raise ResourceLimitError(f"the resource estimator refused the counts: {str(exc).splitlines()[-1]}; "
                                 "raise --error-budget or choose another --qubit-model") from exc
    pc, lq, bd = r["physicalCounts"], r["logicalQubit"], r["physicalCounts"]["breakdown"]
    return PhysicalEstimate(
        qubit_model=qubit_model, qec_scheme=r["jobParams"]["qecScheme"]["name"],
        physical_qubits=int(pc["physicalQubits"]), runtime_seconds=pc["runtime"] * 1e-9,
        code_distance=int(lq["codeDistance"]), logical_cycle_seconds=lq["logicalCycleTime"] * 1e-9,
        logical_depth=int(bd["logicalDepth"]), algorithm_logical_qubits=int(bd["algorithmicLogicalQubits"]),
        t_states=int(bd["numTstates"]), t_factories=int(bd["numTfactories"]),
        t_factory_physical_qubits=int(bd["physicalQubitsForTfactories"]),
        source=f"Microsoft resource estimator (qdk.estimator {version('qdk')}), PSSPC layout, {qubit_model}")


def fault_tolerant_estimate(per_query, query_qubits: int, run: SolveCounts, runs: float, epsilon: float,
                            error_budget: float | None = None, qubit_model: str = DEFAULT_QUBIT_MODEL,
                            classical_seconds: float | None = None, physical: bool = True) -> FaultTolerantEstimate:
    """Clifford+T counts of one U_A call and of one run, δ from the budget, and the physical estimate.

    ``per_query`` is the block-encoding's :class:`GateCounts`; ``run`` the solve's counts of one run.
    """
    total = default_error_budget(epsilon) if error_budget is None else error_budget
    check_qubit_model(qubit_model)
    totals = run.totals
    prep = sum(i.count * i.each.rotations for i in run.items if i.name == U_B)
    budget = split_error_budget(total, epsilon, totals["rotations"], prep)
    synthesis: RotationSynthesis | None = None
    if totals["rotations"]:
        synthesis = rotation_synthesis(budget.rotations / totals["rotations"])
    per_run = clifford_t(totals, run.qubits, synthesis)
    phys = physical_estimate(per_run, budget, qubit_model) if physical else None
    return FaultTolerantEstimate(per_query=clifford_t(per_query, query_qubits, synthesis), per_run=per_run,
                                 runs=runs, budget=budget, physical=phys, classical_seconds=classical_seconds,
                                 rule=f"{run.rule}; Clifford+T by qlsa.clifford_t; {budget.rule}")
