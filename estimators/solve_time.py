"""The one model of a quantum solve's wall-clock time (DESIGN.md §3.6), shared by ``estimate``,
the gate-time projections, ``calibrate`` and the scheduler's cost model. It reads the solver's
:class:`~qlsa.solve_counts.SolveCounts` of one run (calls and own gates) and times each item:

    T_q = (1/p)·[ n_A·t_query                    (queries: U_A calls, Q* for Theorem 1)
                + n_b·t(U_b)                     (state_preparation: 2Q* + 1 calls to U_b)
                + Σ_own count·t(own gates) ]     (solver_gates: reflections, LCU rotations, …)
        + (1/p)·t_readout                        (readout "measure": one readout per run)
    × ⌈N/ε²⌉ repetitions                         (readout "full": the whole vector read out)

t(·) is the uniform gate time × gates, or a device's median gate durations; t_query may be a
transpiled duration instead. The paper assumes a SWAP-test readout and leaves readout out
(``readout="none"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from qlsa.block_encodings import GateCounts
from qlsa.checks import check_choice
from qlsa.serialization import jsonable
from qlsa.solve_counts import U_A, U_B, SolveCounts

READOUTS = ("none", "measure", "full")
REPETITIONS = "repetitions (full readout N/ε²)"


@dataclass(frozen=True)
class TimeTerms:
    """Which terms enter the quantum time: state preparation, and the readout model."""

    state_preparation: bool = True
    readout: str = "measure"

    def __post_init__(self) -> None:
        check_choice(self.readout, READOUTS, "readout model")

    def to_dict(self) -> dict:
        return jsonable(self)


def solve_time_terms(counts: SolveCounts, success_probability: float, n: int, epsilon: float, t_query: float,
                     gate_seconds: Callable[[GateCounts], float], t_readout: float,
                     terms: TimeTerms) -> dict[str, float]:
    """Each term of T_q in seconds (and the repetition factor of a full readout)."""
    runs = 1 / success_probability
    out = {"queries": runs * counts.count(U_A) * t_query}
    if terms.state_preparation:
        out["state_preparation"] = runs * sum(i.count * gate_seconds(i.each) for i in counts.items if i.name == U_B)
    out["solver_gates"] = runs * sum(i.count * gate_seconds(i.each) for i in counts.own)
    if terms.readout != "none":
        out["readout"] = t_readout * runs
    if terms.readout == "full":
        out[REPETITIONS] = float(math.ceil(n / epsilon**2))
    return out


def total_seconds(t: dict[str, float]) -> float:
    reps = t.get(REPETITIONS, 1.0)
    return sum(v for k, v in t.items() if k != REPETITIONS) * reps
