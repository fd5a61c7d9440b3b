"""The one model of a quantum solve's wall-clock time (DESIGN.md §3.6), shared by ``estimate``,
the gate-time projections, ``calibrate`` and the scheduler's cost model.

    T_q = E[Q]·t_query                          (queries, E[Q] = Q*/p)
        + 2·E[Q]·t_Ub                            (state_preparation: 2Q* calls to U_b per run)
        + (1/p)·t_readout                        (readout "measure": one readout per run)
    × ⌈N/ε²⌉ repetitions                         (readout "full": the whole vector read out)

The paper assumes a SWAP-test readout and leaves readout out (``readout="none"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qlsa.checks import check_choice
from qlsa.serialization import jsonable

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


def solve_time_terms(expected_calls: float, success_probability: float, n: int, epsilon: float, t_query: float,
                     t_prep: float, t_readout: float, terms: TimeTerms) -> dict[str, float]:
    """Each term of T_q in seconds (and the repetition factor of a full readout)."""
    out = {"queries": expected_calls * t_query}
    if terms.state_preparation:
        out["state_preparation"] = 2 * expected_calls * t_prep
    if terms.readout != "none":
        out["readout"] = t_readout / success_probability
    if terms.readout == "full":
        out[REPETITIONS] = float(math.ceil(n / epsilon**2))
    return out


def total_seconds(t: dict[str, float]) -> float:
    reps = t.get(REPETITIONS, 1.0)
    return sum(v for k, v in t.items() if k != REPETITIONS) * reps
