"""Cost models: predicted seconds to solve one block, all reading the same :class:`estimators.Estimate`.

- :class:`ClassicalCholeskyCost` — T = c1·n³ + c2 fitted on this machine (Q-Newton Eq. 3).
- :class:`JenningsCost` — the estimate's own quantum seconds (:mod:`estimators.solve_time`:
  Q*/p queries, state preparation, readout; per-query time from gates × gate time or the
  calibrated backend, whichever the estimate was made with; DESIGN.md §3.1, §3.6).
- :class:`PaperQuantumCost` — Q-Newton Eq. 4: q1·d·κ·ln(n/ε) + q2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from estimators import ClassicalCostModel, Estimate


class CostModel(Protocol):
    """Predicted seconds for one solve of the block described by an estimate."""

    name: str
    processor: str

    def seconds(self, e: Estimate) -> float: ...


@dataclass(frozen=True)
class ClassicalCholeskyCost:
    model: ClassicalCostModel
    name: str = "classical c1·n³ + c2"
    processor: str = "classical"

    def seconds(self, e: Estimate) -> float:
        return self.model.seconds_for(e.n)


@dataclass(frozen=True)
class JenningsCost:
    name: str = "Jennings Q*/p × per-query time + state preparation + readout"
    processor: str = "quantum"

    def seconds(self, e: Estimate) -> float:
        return math.inf if e.quantum_seconds is None else e.quantum_seconds


@dataclass(frozen=True)
class PaperQuantumCost:
    q1: float
    q2: float = 0.0
    name: str = "Q-Newton Eq. 4 q1·d·κ·ln(n/ε) + q2"
    processor: str = "quantum"

    def seconds(self, e: Estimate) -> float:
        if math.isinf(e.kappa):
            return math.inf
        return self.q1 * e.sparsity * e.kappa * math.log(e.n / e.epsilon) + self.q2
