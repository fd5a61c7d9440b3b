"""Routing policies: send a block to the quantum or the classical solver, with reasons."""

from __future__ import annotations

import math
from dataclasses import dataclass

from estimators import Estimate
from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

from .cost_models import CostModel

POLICIES = ("classical", "quantum", "hybrid", "threshold")


@dataclass(frozen=True)
class Decision:
    """Which processor solves the block, both predicted times, and the block's κ, d, α, n."""

    processor: str
    quantum_seconds: float
    classical_seconds: float
    kappa: float
    sparsity: int
    alpha: float
    n: int
    reason: str

    @property
    def predicted_seconds(self) -> float:
        return self.quantum_seconds if self.processor == "quantum" else self.classical_seconds

    def to_dict(self) -> dict:
        return jsonable(self)


@dataclass(frozen=True)
class Policy:
    """``classical``/``quantum`` always; ``hybrid`` (paper Alg. 2) picks the smaller prediction;
    ``threshold`` goes quantum iff κ ≤ kappa_max and d ≤ d_max."""

    name: str
    quantum: CostModel
    classical: CostModel
    kappa_max: float = math.inf
    d_max: int = 2**62

    def __post_init__(self) -> None:
        if self.name not in POLICIES:
            raise InvalidParameterError(f"unknown policy {self.name!r}; choose one of {', '.join(POLICIES)}")

    def decide(self, e: Estimate) -> Decision:
        tq, tc = self.quantum.seconds(e), self.classical.seconds(e)
        if math.isinf(e.kappa):
            proc, why = "classical", "singular block: quantum solver not applicable"
        elif self.name == "classical":
            proc, why = "classical", "classical-only policy"
        elif self.name == "quantum":
            proc, why = "quantum", "quantum-only policy"
        elif self.name == "hybrid":
            proc = "quantum" if tq < tc else "classical"
            why = f"predicted quantum {tq:.3g} s {'<' if tq < tc else '≥'} classical {tc:.3g} s"
        else:
            ok = e.kappa <= self.kappa_max and e.sparsity <= self.d_max
            proc = "quantum" if ok else "classical"
            why = f"κ {e.kappa:.3g} vs {self.kappa_max:g}, d {e.sparsity} vs {self.d_max}"
        return Decision(proc, tq, tc, e.kappa, e.sparsity, e.alpha, e.n, why)
