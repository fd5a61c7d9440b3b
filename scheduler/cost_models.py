"""Cost models: predicted seconds to solve one block, all reading the same :class:`estimators.Estimate`.

- :class:`ClassicalCholeskyCost` — T = c1·n³ + c2 fitted on this machine (Q-Newton Eq. 3).
- :class:`JenningsCost` — expected U_A calls Q*/p × per-query time, the per-query time being
  gates × gate time or the transpiled duration on a calibrated backend, whichever the
  estimate was made with (Jennings et al. Theorem 1, DESIGN.md §3.1, §3.6).
- :class:`PaperQuantumCost` — Q-Newton Eq. 4: q1·d·κ·ln(n/ε) + q2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from estimators import ClassicalCostModel, Estimate, jennings_expected_query_count, jennings_parameters


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
    name: str = "Jennings Q*/p × per-query time"
    processor: str = "quantum"

    def seconds(self, e: Estimate) -> float:
        if math.isinf(e.kappa):
            return math.inf
        p = jennings_parameters(e.kappa, e.epsilon)
        return jennings_expected_query_count(e.alpha, p.kappa, p.epsilon) * e.per_query_seconds


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
