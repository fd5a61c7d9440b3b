"""The classical side of a verdict: each solver's cost model where the matrix meets its
assumptions, and the fastest of them.

=========  =====================================================  ===============================
solver     model (module)                                         needs
=========  =====================================================  ===============================
cholesky   dense c1·n³ + c2 (:mod:`.classical_cost`)              Hermitian positive definite A
lu         dense c1·n³ + c2 (:mod:`.classical_cost`)              any A
superlu    c_f·F_env^b + c_n·nnz (:mod:`.sparse_direct_cost`)     any A
cholmod    c_f·F_env^b + c_n·nnz (:mod:`.sparse_direct_cost`)     HPD A and scikit-sparse installed
cg         k(κ, ε) iterations × (matvec + vector work)            HPD A, κ finite
           (:mod:`.iterative_cost`)
=========  =====================================================  ===============================

``auto`` takes the fastest prediction among the applicable models (sparse direct only where at
most 10 % of the entries are non-zero, cholmod only where installed); a named solver is costed
alone, and refused in one line, naming those that apply, where the matrix breaks its assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from qlsa.checks import check_choice
from qlsa.errors import InvalidParameterError

from .classical_cost import ClassicalCostModel, classical_cost_model
from .sparse_direct_cost import envelope_flops, installed, require_solver, sparse_direct_cost_model

SOLVERS = ("cholesky", "lu", "superlu", "cholmod", "cg")
NEEDS_HPD = frozenset({"cholesky", "cholmod", "cg"})
NEEDS_KAPPA = frozenset({"cg"})
SPARSE_DENSITY = 0.1


def check_classical_solver(name: str) -> str:
    """``auto`` or a known solver whose package is installed."""
    check_choice(name, ("auto",) + SOLVERS, "classical solver")
    if name == "cholmod":
        require_solver(name)
    return name


@dataclass
class SolveFeatures:
    """What the classical models read off the matrix, each computed once: F_env, matvec time, and
    each model's seconds (the κ-free ones are asked for before κ is known and again after). One
    per estimate: the memo assumes that estimate's ε and dense model."""

    A: Any
    n: int
    nnz: int
    costed: dict = field(default_factory=dict)

    @cached_property
    def envelope_flops(self) -> float:
        return envelope_flops(self.A)

    @cached_property
    def matvec_seconds(self) -> float:
        from .iterative_cost import matvec_seconds
        return matvec_seconds(self.A)


@dataclass(frozen=True)
class ClassicalCost:
    """The chosen classical solver, its predicted seconds and source, and every model's seconds."""

    solver: str
    seconds: float
    source: str
    models: dict[str, float] = field(default_factory=dict)


def refresh_models() -> None:
    """Refit and cache every installed solver's model on this machine (a few seconds)."""
    from .iterative_cost import cg_cost_model
    for solver in ("cholesky", "lu"):
        classical_cost_model(solver, refresh=True)
    sparse_direct_cost_model("superlu", refresh=True)
    if installed("cholmod"):
        sparse_direct_cost_model("cholmod", refresh=True)
    cg_cost_model(refresh=True)


def _model_seconds(solver: str, x: SolveFeatures, kappa: float, epsilon: float,
                   dense: ClassicalCostModel | None) -> tuple[float, str]:
    if solver in ("cholesky", "lu"):
        m = dense if dense is not None and dense.solver == solver else classical_cost_model(solver)
        return m.seconds_for(x.n), (f"c1·n³ + c2, {solver} fitted on {m.machine} (c1 = {m.c1:.3g} s, "
                                    f"c2 = {m.c2:.3g} s)")
    if solver == "cg":
        from .iterative_cost import cg_cost_model
        cg = cg_cost_model()
        return cg.seconds_for(x.n, kappa, epsilon, x.matvec_seconds), (
            f"CG: {cg.iterations(kappa, epsilon)} iterations (⌈ln(2/ε)/ln((√κ+1)/(√κ−1))⌉) × (matvec "
            f"{x.matvec_seconds:.3g} s timed on A + {cg.vector_seconds(x.n):.3g} s vector work, fitted on "
            f"{cg.machine})")
    m = sparse_direct_cost_model(solver)
    return m.seconds_for(x.envelope_flops, x.nnz), (
        f"{solver}: c_f·F_env^b + c_n·nnz, F_env = {x.envelope_flops:.3g} (RCM envelope Cholesky flops), "
        f"b = {m.b:.3g}, fitted on {m.machine} (within {m.max_fit_ratio:.2g}× on its fitting set)")


def applicable(x: SolveFeatures, hermitian: bool, definite: bool | None, kappa: float | None) -> tuple[str, ...]:
    """The solvers ``auto`` compares: HPD-only ones where A is known HPD, CG where κ is finite too,
    sparse direct where at most 10 % of the entries are non-zero, cholmod where installed."""
    hpd = bool(hermitian and definite)
    out = ["cholesky" if hpd else "lu"]
    if x.nnz <= SPARSE_DENSITY * x.n * x.n:
        out.append("superlu")
        if hpd and installed("cholmod"):
            out.append("cholmod")
    if hpd and kappa is not None and math.isfinite(kappa):
        out.append("cg")
    return tuple(out)


def classical_cost(x: SolveFeatures, hermitian: bool, definite: bool | None, kappa: float | None, epsilon: float,
                   solver: str = "auto", dense: ClassicalCostModel | None = None) -> ClassicalCost:
    """The classical cost of solving A x = b: the named ``solver``, or with ``auto`` the fastest
    applicable model (only ``dense``, the caller's own dense model, where one is given).
    ``definite``/``kappa`` None: not yet known, so only the models that need neither."""
    check_classical_solver(solver)
    if solver == "auto":
        names = (dense.solver,) if dense is not None else applicable(x, hermitian, definite, kappa)
    else:
        if solver in NEEDS_HPD and definite is not None and not (hermitian and definite):
            ok = ", ".join(s for s in SOLVERS if s not in NEEDS_HPD)
            raise InvalidParameterError(f"classical solver {solver} needs a Hermitian positive definite matrix and "
                                        f"this one is {'not Hermitian' if not hermitian else 'not positive definite'};"
                                        f" solvers that apply: {ok}")
        if solver in NEEDS_KAPPA and kappa is not None and not math.isfinite(kappa):
            raise InvalidParameterError(f"classical solver {solver} needs a nonsingular matrix (κ finite); "
                                        "this one is singular")
        names = (solver,) if (kappa is not None or solver not in NEEDS_KAPPA) else ()
    k = kappa if kappa is not None else math.nan
    costed = {s: x.costed.get((s, k if s in NEEDS_KAPPA else None)) or _model_seconds(s, x, k, epsilon, dense)
              for s in names}
    x.costed.update({(s, k if s in NEEDS_KAPPA else None): v for s, v in costed.items()})
    if not costed:                               # a named κ-dependent solver before κ is known
        return ClassicalCost(solver, math.inf, "not yet known", {})
    best = min(costed, key=lambda s: costed[s][0])
    source = costed[best][1] + (f"; fastest of {', '.join(costed)}" if len(costed) > 1 else "")
    return ClassicalCost(best, costed[best][0], source, {s: v[0] for s, v in costed.items()})
