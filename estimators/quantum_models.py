"""Quantum linear-solver cost models as plug-ins: each names its source, whether its constants are
explicit, and the U_A calls it charges for a matrix. Only a bound with explicit constants may
decide a verdict; a bare scaling (constant 1) is shown side by side, labelled, never used.

- ``jennings-v1``: Jennings et al., arXiv:2305.11352 v1, Theorem 1 — Q*/p expected calls
  (:func:`estimators.query_counts.jennings_expected_query_count`), explicit constants; the default.
- ``hhl``: Harrow, Hassidim, Lloyd 2009 — log N·d²·κ²/ε, a scaling (constant 1).
- ``cks``: Childs, Kothari, Somma 2017 — d·κ·ln²(dκ/ε), a scaling (constant 1).

Not here: the randomized-walk bound of 2305.11352 v3 and Costa et al.'s discrete adiabatic
solver (arXiv:2111.08152, 2312.07690). Their closed forms and constants have to be checked
against the papers' own text and reference numbers, which this build could not reach (only
abstracts and third-party summaries, which disagree on the constants); an unchecked bound in
a verdict would be worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from qlsa.checks import check_choice
from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

from .query_counts import cks_complexity, hhl_complexity, jennings_expected_query_count


@dataclass(frozen=True)
class QuantumModel:
    name: str
    source: str
    explicit_constants: bool
    calls: Callable[[float, float, float, int, int], float]    # (α, κ, ε, N, d) → expected U_A calls

    @property
    def kind(self) -> str:
        return ("bound with explicit constants (may decide the verdict)" if self.explicit_constants
                else "scaling only, constant 1 (never decides a verdict)")


MODELS: dict[str, QuantumModel] = {m.name: m for m in (
    QuantumModel("jennings-v1", "Jennings et al., arXiv:2305.11352 v1, Theorem 1: Q*/p", True,
                 lambda a, k, e, n, d: jennings_expected_query_count(a, k, e)),
    QuantumModel("hhl", "Harrow, Hassidim, Lloyd 2009: log N·d²·κ²/ε", False,
                 lambda a, k, e, n, d: hhl_complexity(n, d, k, e)),
    QuantumModel("cks", "Childs, Kothari, Somma 2017: d·κ·ln²(dκ/ε)", False,
                 lambda a, k, e, n, d: cks_complexity(d, k, e)),
)}
DEFAULT_MODEL = "jennings-v1"


@dataclass(frozen=True)
class ModelCalls:
    """One model's expected U_A calls for a matrix, with its label."""

    name: str
    calls: float
    kind: str
    source: str

    def to_dict(self) -> dict:
        return jsonable(self)


def check_algorithm(name: str) -> QuantumModel:
    """The named model, refused if unknown or if it is a scaling without constants."""
    model = MODELS[check_choice(name, MODELS, "algorithm")]
    if not model.explicit_constants:
        usable = ", ".join(m.name for m in MODELS.values() if m.explicit_constants)
        raise InvalidParameterError(f"{name} is a scaling without explicit constants ({model.source}); --compare "
                                    f"shows it, but a verdict needs a bound: use {usable}")
    return model


def compare(alpha: float, kappa: float, epsilon: float, n: int, sparsity: int) -> tuple[ModelCalls, ...]:
    """Every model's expected U_A calls for the matrix, side by side."""
    return tuple(ModelCalls(m.name, m.calls(alpha, kappa, epsilon, n, sparsity), m.kind, m.source)
                 for m in MODELS.values())
