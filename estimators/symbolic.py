"""Sympy versions of the closed forms in :mod:`estimators.query_counts`.

So a user can print, differentiate, or solve for the κ or d at which the quantum and
classical costs cross. Each expression is the same formula as its numeric twin
(tested against it).
"""

from __future__ import annotations

import sympy as sp

from .query_counts import jennings_crossover_kappa

alpha, kappa, epsilon, n, d, c1, c2, q1, q2, t_gate, queries_time = sp.symbols(
    "alpha kappa epsilon n d c1 c2 q1 q2 t_gate T_q", positive=True)


def jennings_query_count_expr() -> sp.Expr:
    """Q*(α, κ, ε) of Jennings et al. Theorem 1 (DESIGN.md §3.1)."""
    L = sp.log(2 * kappa + 3)
    return (sp.Rational(1741, 500) * alpha * sp.E * sp.sqrt(kappa**2 + 1)
            * ((sp.Rational(133, 125) + sp.Rational(4, 25) / sp.cbrt(kappa)) * sp.pi * L + 1)
            + sp.Rational(351, 50) * L**2 * (sp.log(451 * L**2 / epsilon) + 1)
            + alpha * kappa * sp.log(32 / epsilon))


def jennings_expected_query_count_expr() -> sp.Expr:
    """Q*/p with p = 0.39 − 0.204ε."""
    return jennings_query_count_expr() / (sp.Rational(39, 100) - sp.Rational(204, 1000) * epsilon)


def hhl_expr() -> sp.Expr:
    """log N · d² · κ² / ε."""
    return sp.log(n) * d**2 * kappa**2 / epsilon


def cks_expr() -> sp.Expr:
    """d·κ·ln²(dκ/ε)."""
    return d * kappa * sp.log(d * kappa / epsilon) ** 2


def paper_classical_expr() -> sp.Expr:
    """Q-Newton Eq. 3: c1·n³ + c2."""
    return c1 * n**3 + c2


def paper_quantum_expr() -> sp.Expr:
    """Q-Newton Eq. 4: q1·d·κ·ln(n/ε) + q2."""
    return q1 * d * kappa * sp.log(n / epsilon) + q2


def paper_crossover_kappa() -> sp.Expr:
    """κ at which Eq. 4 equals Eq. 3 (solve q1·d·κ·ln(n/ε) + q2 = c1·n³ + c2 for κ)."""
    (root,) = sp.solve(sp.Eq(paper_quantum_expr(), paper_classical_expr()), kappa)
    return root


def crossover_kappa(values: dict, classical_seconds: float, per_query_seconds: float,
                    upper: float = 1e16) -> float | None:
    """Numeric κ where expected Jennings queries × per-query time = classical time, with
    ``values`` binding α and ε: :func:`~estimators.query_counts.jennings_crossover_kappa`
    (the numeric twin of :func:`jennings_expected_query_count_expr`, bisection in log κ).
    √12 when quantum is no faster even there, None when it is faster up to ``upper``."""
    return jennings_crossover_kappa(float(values[alpha]), float(values[epsilon]), per_query_seconds,
                                    classical_seconds, upper)
