import math

import pytest
import sympy

from estimators import (cks_complexity, hhl_complexity, jennings_expected_query_count, jennings_parameters,
                        jennings_qubits, jennings_query_count, jennings_success_probability, paper_classical_time,
                        paper_quantum_time)
from estimators import symbolic as S
from qlsa.errors import InvalidParameterError

# DESIGN.md §3.1 reference values: (α, κ, ε) → Q*, Q*/(0.39 − 0.204ε), as printed there.
REFERENCE = [
    (1, math.sqrt(12), 0.24, "716.2208", "2100.108"),
    (1, 10, 1e-2, "2208.7621", "5693.273"),
    (1, 100, 1e-10, "27585.7978", "70732.815"),
    (1, 1e4, 1e-10, "3538699.031", "9073587.26"),
    (2, 100, 1e-2, "41202.4592", "106202.854"),
]


@pytest.mark.parametrize("alpha,kappa,eps,q_ref,qp_ref", REFERENCE)
def test_jennings_matches_design_reference_to_its_printed_digits(alpha, kappa, eps, q_ref, qp_ref):
    digits = lambda ref: len(ref.split(".")[1])  # noqa: E731
    q = jennings_query_count(alpha, kappa, eps)
    qp = jennings_expected_query_count(alpha, kappa, eps)
    assert round(q, digits(q_ref)) == float(q_ref)
    assert round(qp, digits(qp_ref)) == float(qp_ref)
    # and the values are self-consistent to 1e-12
    assert qp == pytest.approx(q / (0.39 - 0.204 * eps), rel=1e-12)


def test_alpha_enters_once_not_squared():
    # only the α-terms scale: Q(2) − Q(1) = Q(1) − Q(0-α part removed)
    k, e = 100.0, 1e-2
    q1, q2, q3 = (jennings_query_count(a, k, e) for a in (1, 2, 3))
    assert q3 - q2 == pytest.approx(q2 - q1, rel=1e-12)  # linear in α


def test_success_probability_and_domain_clamp():
    assert jennings_success_probability(0.1) == pytest.approx(0.39 - 0.0204)
    p = jennings_parameters(2.0, 0.5)
    assert p.kappa == pytest.approx(math.sqrt(12)) and p.epsilon == 0.24 and len(p.notes) == 2
    assert jennings_parameters(50.0, 1e-3).notes == ()


@pytest.mark.parametrize("args", [(0.5, 10, 0.1), (1, 0.5, 0.1), (1, 10, 0.0), (1, 10, 1.0), (math.inf, 10, 0.1),
                                  (1, math.nan, 0.1)])
def test_out_of_domain_parameters_raise(args):
    with pytest.raises(InvalidParameterError):
        jennings_query_count(*args)


def test_qubits_and_other_models():
    assert jennings_qubits(12, 13) == 12 + 13 + 4          # system qubits, ancillas of U_A
    assert hhl_complexity(1024, 4, 10, 0.01) == pytest.approx(math.log(1024) * 16 * 100 / 0.01)
    assert cks_complexity(4, 10, 0.01) == pytest.approx(40 * math.log(4000) ** 2)
    assert paper_classical_time(10, 2.0, 3.0) == 2003.0
    assert paper_quantum_time(100, 10, 3, 0.01, 1.0, 0.0) == pytest.approx(30 * math.log(1e4))


@pytest.mark.parametrize("alpha,kappa,eps", [(1, 10, 1e-2), (2, 100, 1e-5), (1.5, 1e4, 1e-10)])
def test_sympy_expressions_equal_numeric_twins(alpha, kappa, eps):
    vals = {S.alpha: alpha, S.kappa: kappa, S.epsilon: eps}
    assert float(S.jennings_query_count_expr().subs(vals)) == pytest.approx(
        jennings_query_count(alpha, kappa, eps), rel=1e-12)
    assert float(S.jennings_expected_query_count_expr().subs(vals)) == pytest.approx(
        jennings_expected_query_count(alpha, kappa, eps), rel=1e-12)
    assert float(S.hhl_expr().subs({S.n: 64, S.d: 3, S.kappa: kappa, S.epsilon: eps})) == pytest.approx(
        hhl_complexity(64, 3, kappa, eps))
    assert float(S.cks_expr().subs({S.d: 3, S.kappa: kappa, S.epsilon: eps})) == pytest.approx(
        cks_complexity(3, kappa, eps))


def test_sympy_is_differentiable_and_solves_crossover():
    dq = sympy.diff(S.jennings_query_count_expr(), S.kappa)
    assert float(dq.subs({S.alpha: 1, S.kappa: 100, S.epsilon: 1e-2})) > 0
    root = S.paper_crossover_kappa()
    vals = {S.c1: 1e-9, S.c2: 0, S.q1: 1e-6, S.q2: 0, S.n: 1000, S.d: 10, S.epsilon: 1e-2}
    k = float(root.subs(vals))
    assert paper_quantum_time(1000, k, 10, 1e-2, 1e-6, 0) == pytest.approx(paper_classical_time(1000, 1e-9, 0))


def test_numeric_crossover_kappa_balances_times():
    per_query, classical = 1e-9, 1e-2
    k = S.crossover_kappa({S.alpha: 1, S.epsilon: 1e-2}, classical, per_query)
    assert jennings_expected_query_count(1, k, 1e-2) * per_query == pytest.approx(classical, rel=1e-9)
    assert S.crossover_kappa({S.alpha: 1, S.epsilon: 1e-2}, 1e-12, per_query) == pytest.approx(12 ** 0.5)  # loses at once
    assert S.crossover_kappa({S.alpha: 1, S.epsilon: 1e-2}, 1e12, per_query) is None   # not below κ = 1e16
