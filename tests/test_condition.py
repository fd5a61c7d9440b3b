import math

import numpy as np
import pytest
import scipy.sparse as sp

from estimators import condition_number, merikoski_bound
from estimators.examples import laplacian_2d, laplacian_2d_kappa
from tests.conftest import spd_with_spectrum


def test_exact_small_spd_and_nonsymmetric():
    a = spd_with_spectrum(np.linspace(0.1, 5, 50))
    c = condition_number(a)
    assert c.kind == "exact" and c.kappa == pytest.approx(50.0, rel=1e-10) and c.definite
    rng = np.random.default_rng(1)
    b = rng.standard_normal((40, 40))
    c = condition_number(b)
    assert c.method == "svd" and c.kappa == pytest.approx(np.linalg.cond(b), rel=1e-10)


def test_definite_condition_from_exact_extremes_equals_the_exact_method():
    from qlsa.errors import InvalidParameterError

    from estimators.condition import definite_condition
    A = spd_with_spectrum(np.linspace(0.02, 3.0, 40), seed=2)
    lam = np.linalg.eigvalsh(A)
    got, ref = definite_condition(lam[0], lam[-1]), condition_number(A, method="exact")
    assert (got.kind, got.method, got.definite) == (ref.kind, ref.method, ref.definite) == ("exact", "eigvalsh", True)
    assert got.kappa == pytest.approx(ref.kappa, rel=1e-12) and got.kappa == pytest.approx(150.0, rel=1e-9)
    assert definite_condition(1e-18, 1.0).precision_limited                    # below double precision's reach
    for lo, hi in ((0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)):
        with pytest.raises(InvalidParameterError, match="0 < λ_min ≤ λ_max"):
            definite_condition(lo, hi)


def test_definite_condition_from_shifted_ritz_values_is_lanczos_on_the_shifted_matrix():
    """Ritz values of an indefinite P shifted by δ (prune's repair) give κ of P + δI with the
    error Lanczos on P + δI would report: rel = e_min/λ_min + e_max/λ_max; within it of eigvalsh."""
    import scipy.sparse as sp

    from estimators.condition import definite_condition
    from qlsa.spectrum import extreme_ritz
    rng = np.random.default_rng(6)
    n = 600
    P = sp.random(n, n, density=0.01, random_state=rng, format="csr")
    P = ((P + P.T) / 2 + sp.diags(rng.uniform(-0.2, 1.0, n))).tocsr()
    r = extreme_ritz(P)
    assert r.lo < 0 and r.steps > 0 and 0 < r.err_lo and 0 < r.err_hi
    delta = 0.05 - r.lo
    got = definite_condition(r.lo + delta, r.hi + delta, (r.err_lo, r.err_hi))
    assert (got.method, got.kind, got.definite) == ("lanczos", "estimate", True)
    assert got.rel_error == pytest.approx(r.err_lo / 0.05 + r.err_hi / (r.hi + delta), rel=1e-12)
    lam = np.linalg.eigvalsh(P.toarray() + delta * np.eye(n))
    assert abs(got.kappa / (lam[-1] / lam[0]) - 1) <= got.rel_error < 0.05
    ref = condition_number(P + delta * sp.eye(n), method="lanczos", tol=0.05)
    assert abs(got.kappa / ref.kappa - 1) <= got.rel_error + ref.rel_error


@pytest.mark.parametrize("spectrum", ["geom", "lin", "wishart"])
def test_lanczos_dense_within_error_bar_and_5_percent(spectrum):
    n = 2000
    rng = np.random.default_rng(3)
    if spectrum == "wishart":
        x = rng.standard_normal((n, n // 2)) / math.sqrt(n)
        a = x @ x.T + 1e-2 * np.eye(n)
        true = np.linalg.cond(a)
    else:
        eigs = np.geomspace(1e-2, 1, n) if spectrum == "geom" else np.linspace(1e-2, 1, n)
        a, true = spd_with_spectrum(eigs), 100.0
    c = condition_number(a, method="auto", tol=0.02)
    assert c.kind == "estimate"
    assert abs(c.kappa / true - 1) <= 0.05
    assert abs(c.kappa / true - 1) <= c.rel_error + 1e-6  # the reported error bar holds
    assert abs(c.sigma_max / np.linalg.norm(a, 2) - 1) <= min(c.rel_error, 0.02)   # ‖A‖₂ within its share


@pytest.mark.parametrize("kappa,label", [(1e3, "shift-invert-f32"), (1e6, "shift-invert")])
def test_dense_shift_invert_precision_follows_kappa(kappa, label):
    """f32 factorisation only where √n·ε₃₂·κ stays below tol/4; its rounding is in the error bar."""
    a = spd_with_spectrum(np.geomspace(1 / kappa, 1, 2000))
    c = condition_number(a, tol=0.05)
    assert c.method.endswith(label) and c.kind == "estimate"
    assert abs(c.kappa / kappa - 1) <= min(c.rel_error + 1e-9, 0.05) and c.rel_error <= 0.05
    assert abs(c.sigma_max - 1.0) <= c.sigma_max_rel_error                   # ‖A‖₂ = 1 within its own error bar


def test_f32_path_steps_aside_outside_its_range():
    """Tiny entries (f32 subnormals) and one entry past the f32 range go to f64, not to garbage."""
    a = spd_with_spectrum(np.geomspace(1e-2, 1, 2000))
    tiny = condition_number(a * 1e-33, tol=0.05)
    assert "f32" not in tiny.method and tiny.kappa == pytest.approx(100, rel=0.05)
    b = a.copy()
    b[1001, 1001] = 1e39                      # one entry: the scan's ‖A‖_max sees it
    big = condition_number(b, tol=0.05)
    assert "f32" not in big.method and big.kappa > 1e30


def test_ill_conditioned_dense_uses_shift_invert_and_is_accurate():
    a = spd_with_spectrum(np.geomspace(1e-8, 1, 1600))
    c = condition_number(a)
    assert "shift-invert" in c.method
    assert c.kappa == pytest.approx(1e8, rel=0.05)


def test_sparse_laplacian_lanczos_and_lobpcg_agree_with_closed_form():
    m = 60
    lap = laplacian_2d(m)
    true = laplacian_2d_kappa(m)
    c = condition_number(lap)
    assert c.kappa == pytest.approx(true, rel=0.05) and abs(c.kappa / true - 1) <= c.rel_error + 1e-9
    c2 = condition_number(lap, method="lobpcg-amg")
    assert c2.kappa == pytest.approx(true, rel=0.02)


def test_singular_gives_infinite_kappa_not_crash():
    a = np.diag([1.0, 2.0, 0.0])
    c = condition_number(a)
    assert math.isinf(c.kappa) and "singular" in c.note
    big = np.zeros((1800, 1800))
    big[np.arange(1799), np.arange(1799)] = np.linspace(1, 2, 1799)
    assert math.isinf(condition_number(big).kappa)


def test_indefinite_symmetric_uses_abs_eigenvalues():
    a = np.diag([-4.0, 1.0, 2.0])
    assert condition_number(a).kappa == pytest.approx(4.0)
    assert condition_number(a).definite is False


def test_merikoski_exact_for_2x2_and_a_bound_otherwise():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    assert merikoski_bound(a).kappa == pytest.approx(np.linalg.cond(a), rel=1e-9)
    b = spd_with_spectrum(np.linspace(0.1, 1, 100))
    m = merikoski_bound(b)
    assert m.kind == "upper-bound" and m.kappa >= 10.0 * (1 - 1e-9) and math.isfinite(m.kappa)
    # the documented looseness: true κ = 10, the bound is astronomically larger (no NaN, no overflow)
    assert m.kappa > 1e6
    assert merikoski_bound(b, spd_trace_form=True).kappa >= 10.0 * (1 - 1e-9)
    huge = spd_with_spectrum(np.geomspace(1e-3, 1, 600))  # det ≈ 1e-900: plain det underflows, log space must not
    bound = merikoski_bound(huge).kappa
    assert not math.isnan(bound) and bound >= 1e3 * (1 - 1e-9)


def test_sparse_nonsymmetric_lanczos_on_normal_operator():
    rng = np.random.default_rng(0)
    a = sp.random_array((2500, 2500), density=0.002, rng=rng) + 3 * sp.eye_array(2500)
    c = condition_number(a)
    true = np.linalg.cond(a.toarray())
    assert c.kappa == pytest.approx(true, rel=0.05)


def test_stop_above_returns_a_certified_lower_bound():
    """Lanczos stops once θ_max/θ_min (less f32 rounding) certifies κ ≥ stop_above; a stop past
    what Lanczos can reach leaves the usual refinement in place."""
    a = spd_with_spectrum(np.geomspace(1e-6, 1, 2000))                     # true κ = 10⁶
    c = condition_number(a, tol=0.05, stop_above=50.0)
    assert c.kind == "lower-bound" and 50.0 <= c.kappa <= 1e6 and c.describe().startswith("κ ≥")
    assert c.steps < 24                                                    # before the handover to shift-invert
    far = condition_number(a, tol=0.05, stop_above=1e12)
    assert far.kind == "estimate" and far.kappa == pytest.approx(1e6, rel=0.05)


def test_kappa_at_the_edge_of_double_precision_is_a_lower_bound_not_infinity(fixed_model):
    """Hilbert(12): κ ≈ 1.6e16 is not resolved in double precision; reported as κ ≥ σ_max/(σ_min + 64ε‖A‖),
    ≈ 1/(65ε), labelled numerically singular, and the verdict is decided at that bound."""
    import scipy.linalg as sla

    from estimators import estimate
    c = condition_number(sla.hilbert(12))
    assert c.kind == "lower-bound" and "numerically singular" in c.note and math.isfinite(c.kappa)
    assert 1 / (66 * np.finfo(float).eps) <= c.kappa <= 1 / (64 * np.finfo(float).eps)
    r = estimate(sla.hilbert(12), classical_model=fixed_model)
    assert r.kappa_kind == "lower-bound" and r.processor == "classical" and r.verdict_certain
    assert any("not resolved in double precision" in n for n in r.notes)
