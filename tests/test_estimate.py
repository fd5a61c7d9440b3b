import json
import math
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
import torch

import qlsa
from tests.conftest import walk_step_gates
from estimators import (as_matrix, condition_number, estimate, jennings_expected_query_count,
                        load_matrix)
from estimators.classical_cost import classical_cost_model, fit_classical_cost
from estimators.examples import laplacian_2d, laplacian_2d_kappa
from qlsa.cli import main
from qlsa.errors import InvalidMatrixError, InvalidParameterError, MatrixFileError
from tests.conftest import spd_with_spectrum


def test_estimate_fields_follow_the_formulas(fixed_model):
    a = spd_with_spectrum(np.linspace(0.05, 1.0, 64))
    r = estimate(a, epsilon=1e-3, gate_time=1e-9, classical_model=fixed_model)
    d = r.to_dict()
    for key in ("n", "nnz", "sparsity", "norm_2", "norm_max", "kappa", "kappa_method", "alpha", "epsilon",
                "query_count", "expected_query_count", "success_probability", "logical_qubits",
                "quantum_seconds", "classical_seconds", "processor", "notes"):
        assert key in d
    json.dumps(d)
    assert r.kappa == pytest.approx(20.0, rel=1e-9)
    assert r.sparsity == 64 and r.nnz == 64 * 64
    assert r.alpha == pytest.approx(64 * np.abs(a).max() / np.linalg.norm(a, 2), rel=1e-9)
    assert 1 <= r.alpha <= r.sparsity
    assert r.expected_query_count == pytest.approx(jennings_expected_query_count(r.alpha, 20.0, 1e-3), rel=1e-12)
    spec = qlsa.block_encoding(a, "sparse").spec          # the same spec the estimate read
    assert spec.ancilla_qubits == r.ancilla_qubits == 6 + 6 + 1 + 16 + (6 + 6 - 1)   # row, slot, a, angle, work
    assert r.logical_qubits == 6 + spec.ancilla_qubits + 4 and r.per_query_counts == spec.gate_counts()
    assert r.alpha_raw == pytest.approx(spec.alpha_raw)
    eq, p = r.expected_query_count, r.success_probability
    assert r.quantum_seconds == pytest.approx(eq * spec.gate_counts().gates * 1e-9
                                              + (2 * eq + 1 / p) * r.state_preparation.gates * 1e-9
                                              + eq / 4 * walk_step_gates(6, r.ancilla_qubits) * 1e-9 + 1e-9 / p)
    assert r.classical_seconds == pytest.approx(fixed_model.seconds_for(64))
    assert r.processor == ("quantum" if r.quantum_seconds < r.classical_seconds else "classical")


def test_dense_encoding_has_alpha_one(fixed_model):
    a = spd_with_spectrum(np.linspace(0.1, 1.0, 16))
    r = estimate(a, encoding="dense", classical_model=fixed_model)
    assert r.alpha == pytest.approx(1.0) and r.logical_qubits == 4 + 1 + 4


def test_nonsymmetric_goes_through_dilation(fixed_model):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20, 20)) + 8 * np.eye(20)
    r = estimate(a, classical_model=fixed_model)
    assert r.dilated and any("dilation" in n for n in r.notes)
    assert r.kappa == pytest.approx(np.linalg.cond(a), rel=1e-9)
    be = qlsa.block_encoding(a, "sparse")                    # dilated to 2N = 40, padded to 64
    assert be.dilated and be.num_system_qubits == 6 and r.ancilla_qubits == be.num_ancillas
    assert r.logical_qubits == 6 + be.num_ancillas + 4


def test_small_kappa_and_large_epsilon_are_raised_with_notes(fixed_model):
    r = estimate(np.eye(4) * 2.0, epsilon=0.5, classical_model=fixed_model)
    assert r.kappa == pytest.approx(1.0)
    assert sum("Theorem 1 assumes" in n for n in r.notes) == 2
    assert r.expected_query_count == pytest.approx(jennings_expected_query_count(r.alpha, math.sqrt(12), 0.24))


def test_singular_matrix_is_not_applicable(fixed_model):
    r = estimate(np.diag([1.0, 0.0, 3.0]), classical_model=fixed_model)
    assert math.isinf(r.kappa) and r.processor == "classical" and r.query_count is None
    assert r.to_dict()["kappa"] == "inf"
    assert any("not applicable" in n for n in r.notes)


def test_sparse_laplacian_estimate_matches_closed_form(fixed_model):
    r = estimate(laplacian_2d(40), classical_model=fixed_model)
    assert r.kappa == pytest.approx(laplacian_2d_kappa(40), rel=0.05)
    assert r.sparsity == 5 and r.norm_max == 4.0


@pytest.mark.parametrize("kwargs", [dict(epsilon=0.0), dict(epsilon=1.0), dict(epsilon=-1), dict(gate_time=0.0),
                                    dict(gate_time=-1e-9), dict(gate_time=math.inf), dict(encoding="qrom")])
def test_bad_parameters_raise(kwargs, fixed_model):
    with pytest.raises(InvalidParameterError):
        estimate(np.eye(3), classical_model=fixed_model, **kwargs)


@pytest.mark.parametrize("bad,match", [
    (np.ones((3, 4)), "not square"),
    (np.ones((0, 0)), "empty"),
    (np.ones(5), "2-D"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN/Inf"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), "NaN/Inf"),
    (sp.csr_array(np.array([[1.0, -np.inf], [0.0, 1.0]])), "NaN/Inf"),
    (np.array([["a", "b"], ["c", "d"]]), "non-numeric"),
])
def test_bad_matrices_raise(bad, match):
    with pytest.raises(InvalidMatrixError, match=match):
        as_matrix(bad)


def test_huge_finite_entries_are_accepted_and_complex_norm_max_is_the_modulus():
    big = np.full((3, 3), 1e308)                     # the sum overflows; every entry is finite
    assert as_matrix(big)[0, 0] == 1e308
    with pytest.raises(InvalidMatrixError, match="1 NaN/Inf"):
        as_matrix(np.array([[1e308, 1e308], [np.inf, 1.0]]))
    from estimators.properties import matrix_properties
    c = np.array([[2.0, 3 + 4j], [3 - 4j, 1.0]])
    p = matrix_properties(as_matrix(c))
    assert p.norm_max == pytest.approx(5.0) and p.hermitian and p.sparsity == 2 and p.nnz == 4


@pytest.mark.parametrize("single", [False, True])
def test_threaded_dense_scan_matches_numpy(single):
    """The one-pass panel scan (threaded at this size) against plain NumPy, with and without
    the f32 copy, whose zero test and peak read the rounded rows."""
    from estimators.properties import scan_matrix
    rng = np.random.default_rng(5)
    n = 1100                                                 # n² ≥ 2²⁰: split across threads
    a = rng.standard_normal((n, n))
    a = a + a.T
    a[700, 3:40] = a[3:40, 700] = 0.0                        # zeros inside one panel only
    a[5, 9] = a[9, 5] = 1e-50                                # non-zero, but 0 in f32: still counted
    a[1000, 1000] = -50.0                                    # the peak; an entry only f64 tells apart
    a[20, 20] = 50.0 - 1e-12                                 # from it rounds to the same f32 value
    s = scan_matrix(a, single=single)
    p, row = s.properties, np.count_nonzero(a, axis=1)
    assert (p.n, p.nnz, p.sparsity, p.norm_max, p.hermitian) == (n, row.sum(), row.max(), 50.0, True)
    if single:
        np.testing.assert_array_equal(s.single, a.astype(np.float32))
    else:
        assert s.single is None
    b = a.copy()
    b[1, 2] += 1e-6                                          # 1e-6 asymmetry: above the 1e-10 probe tolerance
    assert not scan_matrix(b, single=single).properties.hermitian


@pytest.mark.parametrize("n", [3, 1100])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_inf_raise_from_every_entry_point(n, bad):
    """Finiteness is checked inside the scan's pass: estimate, κ and the properties all raise."""
    from estimators.properties import matrix_properties
    a = np.eye(n)
    a[n - 1, 0] = bad
    for fn in (estimate, condition_number, matrix_properties):
        with pytest.raises(InvalidMatrixError, match="1 NaN/Inf"):
            fn(a)
    with pytest.raises(InvalidMatrixError, match="1 NaN/Inf"):
        estimate(sp.csr_array(a))


def test_huge_entries_overflowing_the_probe_keep_symmetry_and_f32_copy_is_dropped():
    """Entries near the f64 limit overflow Ax but are finite: the probe is redone at unit
    scale, and an f32 copy (which would hold ±∞) is not kept."""
    from estimators.properties import scan_matrix
    a = spd_with_spectrum(np.linspace(1, 2, 1100)) * 8e307                 # diagonal up to 1.6e308
    with np.errstate(over="ignore"):                         # the scan's probe (seed 0) does overflow
        assert not np.isfinite(a @ np.random.default_rng(0).standard_normal(1100)).all()
    s = scan_matrix(a, single=True)
    assert s.properties.hermitian and s.properties.norm_max == np.abs(a).max() and s.single is None
    tiny = scan_matrix(a * 1e-340, single=True)              # ‖A‖_max ≈ 1e-32 < 1e-30: no f32 copy either
    assert tiny.single is None and tiny.properties.nnz == np.count_nonzero(a * 1e-340)


def test_sparse_input_is_canonicalised_in_a_copy_and_a_canonical_one_is_shared():
    """as_matrix sums duplicates, sorts and drops stored zeros in a copy (the caller's arrays are
    untouched); a canonical float CSR is read in place, as a float64 C-contiguous array is."""
    messy = sp.csr_matrix((np.array([1.0, 2.0, 0.0, 3.0, 4.0]), np.array([1, 0, 1, 0, 0]), np.array([0, 2, 5])),
                          shape=(2, 2))
    data, indices = messy.data.copy(), messy.indices.copy()
    m = as_matrix(messy)
    assert np.array_equal(m.toarray(), [[2.0, 1.0], [7.0, 0.0]]) and m.nnz == 3 and m.has_canonical_format
    assert np.array_equal(messy.data, data) and np.array_equal(messy.indices, indices)
    clean = sp.csr_matrix(spd_with_spectrum(np.linspace(1, 2, 6)))
    assert np.shares_memory(as_matrix(clean).data, clean.data)


def test_a_callers_scan_gives_the_same_estimate_without_scanning_again(fixed_model, monkeypatch):
    """estimate(A, scan=scan_matrix(A)) is estimate(A), and the matrix is not scanned again."""
    from estimators.properties import scan_matrix
    estimate_module = sys.modules["estimators.estimate"]     # the package's ``estimate`` is the function
    a = sp.csr_matrix(spd_with_spectrum(np.linspace(0.1, 1, 40)))
    cond = condition_number(a)
    ref = estimate(a, classical_model=fixed_model, condition=cond).to_dict()
    scan = scan_matrix(as_matrix(a))

    def no_second_scan(*args, **kwargs):
        raise AssertionError("estimate scanned a matrix whose scan it was given")
    monkeypatch.setattr(estimate_module, "scan_matrix", no_second_scan)
    assert estimate(a, classical_model=fixed_model, condition=cond, scan=scan).to_dict() == ref


def test_torch_sparse_and_files_roundtrip(tmp_path):
    a = spd_with_spectrum(np.linspace(1, 2, 6))
    assert np.allclose(as_matrix(torch.tensor(a, dtype=torch.float32)), a, atol=1e-6)
    np.save(tmp_path / "a.npy", a)
    sp.save_npz(tmp_path / "a.npz", sp.csr_array(a))
    np.savez(tmp_path / "plain.npz", m=a)
    scipy.io.mmwrite(tmp_path / "a.mtx", sp.coo_array(a), symmetry="symmetric")
    assert "symmetric" in (tmp_path / "a.mtx").read_text().splitlines()[0]
    for name in ("a.npy", "a.npz", "plain.npz", "a.mtx"):
        m = load_matrix(tmp_path / name)
        dense = m.toarray() if sp.issparse(m) else m
        assert np.allclose(dense, a), name


def test_bad_files_raise(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    (tmp_path / "text.npy").write_text("not a matrix")
    (tmp_path / "m.csv").write_text("1,2\n3,4\n")
    np.savez(tmp_path / "two.npz", a=np.eye(2), b=np.eye(2))
    np.save(tmp_path / "trunc.npy", np.eye(50))
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "trunc.npy").read_bytes()[:300])
    for name, match in [("obj.npy", "pickle"), ("text.npy", "no NUMPY header"), ("m.csv", "unknown matrix format"),
                        ("two.npz", "exactly one array"), ("missing.npy", "no such file"),
                        ("trunc.npy", "not a readable")]:
        with pytest.raises(MatrixFileError, match=match):
            load_matrix(tmp_path / name)


def test_classical_model_fit_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QLSA_CACHE_DIR", str(tmp_path))
    m = fit_classical_cost("lu", sizes=(128, 256, 512), repeats=2)
    assert m.c1 > 0 and m.c2 >= 0 and m.seconds_for(256) == pytest.approx(m.c1 * 256**3 + m.c2)
    cached = classical_cost_model("cholesky")
    assert list(tmp_path.glob("classical_cholesky_torch_*.json"))
    assert classical_cost_model("cholesky") == cached  # read back, not refitted
    with pytest.raises(InvalidParameterError):
        fit_classical_cost("qr")


# ---------------------------------------------------------------- CLI
def test_cli_json_and_table(tmp_path, capsys):
    a = spd_with_spectrum(np.linspace(0.1, 1, 32))
    np.save(tmp_path / "a.npy", a)
    assert main(["estimate", str(tmp_path / "a.npy"), "--json", "--epsilon", "0.001", "--gate-time", "1e-9",
                 "--out", str(tmp_path / "r.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 32 and out["kappa"] == pytest.approx(10.0) and out["gate_time"] == 1e-9
    assert json.loads((tmp_path / "r.json").read_text()) == out
    assert main(["estimate", str(tmp_path / "a.npy")]) == 0
    text = capsys.readouterr().out
    assert "eigvalsh, exact" in text and "Jennings" in text


@pytest.mark.parametrize("argv,match", [
    (["estimate", "{d}/nope.npy"], "no such file"),
    (["estimate", "{d}/ns.npy"], "not square"),
    (["estimate", "{d}/nan.npy"], "NaN/Inf"),
    (["estimate", "{d}/obj.npy"], "pickle"),
    (["estimate", "{d}/ns.npy", "--epsilon", "1.5"], "epsilon"),
    (["estimate", "{d}/ok.npy", "--gate-time", "0"], "gate time"),
    (["estimate", "{d}/ok.npy", "--gate-time", "-3"], "gate time"),
])
def test_cli_bad_input_exit_2_one_line(tmp_path, capsys, argv, match):
    np.save(tmp_path / "ns.npy", np.ones((2, 3)))
    np.save(tmp_path / "nan.npy", np.array([[np.nan, 0], [0, 1.0]]))
    np.save(tmp_path / "ok.npy", np.eye(3))
    np.save(tmp_path / "obj.npy", np.array([None, 1], dtype=object), allow_pickle=True)
    code = main([a.format(d=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_help_is_fast_and_lazy():
    code = ("import sys, time; t=time.perf_counter(); from qlsa.cli import main\n"
            "try:\n main(['--help'])\nexcept SystemExit: pass\n"
            "assert 'torch' not in sys.modules and 'qiskit' not in sys.modules and 'scipy' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_a_certified_lower_bound_on_kappa_decides_the_verdict_early(fixed_model, tmp_path, capsys):
    """Where κ ≥ κ* already makes the quantum solve slower at any α ≥ 1, κ stops at a certified
    lower bound (Ritz values) instead of being refined: true κ = 10⁶ here, κ* = 300 by design."""
    from estimators.query_counts import jennings_crossover_kappa
    a = spd_with_spectrum(np.geomspace(1e-6, 1, 2000))
    probe = estimate(a, classical_model=fixed_model)       # its gate counts (the gate time does not change them)
    gates = probe.per_query_gates + 2 * probe.state_preparation.gates          # one call: U_A and two U_b
    t_c = fixed_model.seconds_for(2000)
    gate_time = t_c / (jennings_expected_query_count(1.0, 300.0, 1e-2) * gates)     # crossover at κ = 300
    e = estimate(a, gate_time=gate_time, classical_model=fixed_model)
    assert e.kappa_kind == "lower-bound" and "shift-invert" not in e.kappa_method
    assert jennings_crossover_kappa(1.0, 1e-2, gates * gate_time, t_c) == pytest.approx(300.0, rel=1e-9)
    assert 300.0 <= e.kappa <= 1e6
    assert e.processor == "classical" and e.verdict_certain and e.quantum_seconds >= e.classical_seconds
    assert "κ's certified lower bound" in e.sources["quantum_seconds"] and e.sources["kappa"].startswith("κ ≥")
    from estimators import break_even_gate_time, projections
    for project in (projections, break_even_gate_time):          # faster gates need the real κ, not its bound
        with pytest.raises(InvalidParameterError, match="only a lower bound"):
            project(e)
    full = estimate(a, gate_time=gate_time, classical_model=fixed_model, refine_kappa=True)
    assert full.kappa_kind == "estimate" and full.kappa == pytest.approx(1e6, rel=0.05) and full.processor == "classical"
    fast = estimate(a, gate_time=gate_time / 1e6, classical_model=fixed_model)        # quantum can win: refined
    assert fast.kappa_kind == "estimate" and fast.kappa == pytest.approx(1e6, rel=0.05)
    np.save(tmp_path / "ill.npy", a)
    for flag, shown in (([], "κ ≥"), (["--refine-kappa"], "±")):
        main(["estimate", str(tmp_path / "ill.npy"), "--gate-time", str(gate_time), *flag])
        kappa_row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("κ "))
        assert shown in kappa_row


# ---------------------------------------------------------------- classical: CG beside the dense model
def test_cg_iterations_bound_real_cg():
    """k = ⌈ln(2/ε)/ln((√κ+1)/(√κ−1))⌉ bounds scipy's CG on a uniform spectrum (A-norm error ≤ ε)."""
    import scipy.sparse.linalg as spla

    from estimators.iterative_cost import CGCostModel
    for kappa, eps in ((100.0, 1e-2), (1e4, 1e-3)):
        k = CGCostModel.iterations(kappa, eps)
        assert k == pytest.approx(np.sqrt(kappa) * np.log(2 / eps) / 2, rel=0.02)
        A = np.diag(np.linspace(1.0, kappa, 400))
        x_true = np.ones(400)
        b = A @ x_true
        x, _ = spla.cg(A, b, rtol=0.0, atol=0.0, maxiter=k)
        err = x - x_true
        assert np.sqrt(err @ A @ err) <= eps * np.sqrt(x_true @ A @ x_true)
    assert CGCostModel.iterations(1.0, 0.1) == 1
    m = CGCostModel((1000, 100_000), (1e-9, 4e-9), "test", "-")
    assert m.seconds_for(1000, 100.0, 1e-2, 1e-4) == pytest.approx(CGCostModel.iterations(100.0, 1e-2) * (1e-4 + 1e-6))
    assert m.vector_seconds(10_000) == pytest.approx(2.5e-9 * 10_000)      # halfway in log n
    assert m.vector_seconds(10) == pytest.approx(1e-8) and m.vector_seconds(10**6) == pytest.approx(4e-3)


def test_estimate_takes_the_fastest_classical_model_and_reports_all():
    from estimators.examples import laplacian_2d
    r = estimate(laplacian_2d(16))
    assert set(r.classical_models) == {"cholesky", "superlu", "cg"}
    assert r.classical_seconds == min(r.classical_models.values())
    assert r.classical_solver == min(r.classical_models, key=r.classical_models.get)
    assert json.loads(json.dumps(r.to_dict()))["classical_models"].keys() == {"cholesky", "superlu", "cg"}
    indefinite = estimate(sp.csr_matrix(np.diag([1.0, -2.0, 3.0, 4.0] * 4)))
    assert set(indefinite.classical_models) == {"lu", "superlu"}    # CG and Cholesky need a positive definite A
    dense = estimate(spd_with_spectrum(np.linspace(1, 2, 12)))
    assert "superlu" not in dense.classical_models                  # > 10 % non-zeros: no sparse direct model
    alone = estimate(laplacian_2d(16), classical="superlu")
    assert alone.classical_solver == "superlu" and set(alone.classical_models) == {"superlu"}


def test_named_classical_solver_whose_assumptions_the_matrix_breaks_is_refused(capsys):
    import importlib.util

    from qlsa.errors import EstimatorUnavailableError
    indefinite = np.diag([1.0, -2.0, 3.0, 4.0])
    for solver in ("cg", "cholesky"):
        with pytest.raises(InvalidParameterError, match=f"{solver} needs a Hermitian positive definite matrix.*"
                                                        "solvers that apply: lu, superlu"):
            estimate(indefinite, classical=solver)
    with pytest.raises(InvalidParameterError, match="unknown classical solver 'qr'"):
        estimate(np.eye(3), classical="qr")
    if importlib.util.find_spec("sksparse") is None:
        with pytest.raises(EstimatorUnavailableError, match="cholmod needs the sksparse package"):
            estimate(np.eye(3), classical="cholmod")
    assert main(["estimate", "--classical", "cg", "--epsilon", "0.1", "--gate-time", "1e-9"]) == 0
    assert "chosen: cg" in capsys.readouterr().out
    assert main(["estimate", "--classical", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown classical solver 'bogus'" in err


# ---------------------------------------------------------------- classical: sparse direct (SuperLU)
def test_envelope_flops_closed_forms():
    """F_env = Σ wᵢ²: n − 1 for a tridiagonal (one sub-diagonal entry per row) in any symmetric
    ordering (RCM recovers the band), Σ i² for a dense matrix."""
    from estimators.sparse_direct_cost import envelope_flops
    n = 200
    tri = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    assert envelope_flops(tri) == n - 1
    assert envelope_flops(np.ones((30, 30))) == sum(i * i for i in range(30))
    perm = np.random.default_rng(0).permutation(n)           # any symmetric permutation: same envelope
    assert envelope_flops(sp.csr_matrix(tri)[perm][:, perm]) == n - 1


def test_sparse_direct_model_formula_and_cache(tmp_path, monkeypatch):
    from estimators.sparse_direct_cost import SparseDirectCostModel, fit_power_law, sparse_direct_cost_model
    F = np.geomspace(1e4, 1e10, 8)
    nnz = np.geomspace(3e4, 5e5, 8)
    c_f, b, c_n, worst = fit_power_law(F, nnz, 2e-8 * F**0.8 + 3e-7 * nnz)       # recovers known constants
    assert (c_f, b, c_n) == pytest.approx((2e-8, 0.8, 3e-7), rel=1e-3) and worst == pytest.approx(1, abs=1e-6)
    m = SparseDirectCostModel("superlu", 1e-8, 0.75, 2e-7, "test", "-", 1.2)
    assert m.seconds_for(1e8, 1000) == pytest.approx(1e-8 * 1e6 + 2e-4)
    monkeypatch.setenv("QLSA_CACHE_DIR", str(tmp_path))
    fitted = sparse_direct_cost_model("superlu")
    assert list(tmp_path.glob("classical_superlu_*.json"))
    assert sparse_direct_cost_model("superlu") == fitted      # read back, not refitted
    with pytest.raises(InvalidParameterError, match="unknown sparse direct solver"):
        SparseDirectCostModel("mumps", 1e-8, 0.75, 2e-7, "test", "-", 1.2)


# ---------------------------------------------------------------- quantum cost models side by side
def test_quantum_models_side_by_side_and_only_bounds_decide(fixed_model, capsys, tmp_path):
    from estimators.query_counts import cks_complexity, hhl_complexity, jennings_expected_query_count
    from estimators.quantum_models import check_algorithm
    a = spd_with_spectrum(np.linspace(0.1, 1, 16))
    r = estimate(a, epsilon=0.01, classical_model=fixed_model)
    calls = {m.name: m.calls for m in r.quantum_models}
    assert calls["jennings-v1"] == pytest.approx(r.expected_query_count)
    assert calls["jennings-v1"] == pytest.approx(jennings_expected_query_count(r.alpha, 10.0, 0.01))
    assert calls["hhl"] == pytest.approx(hhl_complexity(16, r.sparsity, 10.0, 0.01))
    assert calls["cks"] == pytest.approx(cks_complexity(r.sparsity, 10.0, 0.01))
    assert r.algorithm == "jennings-v1" and check_algorithm("jennings-v1").explicit_constants
    for bad, match in (("hhl", "scaling without explicit constants"), ("costa", "unknown algorithm")):
        with pytest.raises(InvalidParameterError, match=match):
            estimate(a, algorithm=bad)
    np.save(tmp_path / "a.npy", a)
    assert main(["estimate", str(tmp_path / "a.npy"), "--compare", "--gate-time", "1e-9"]) == 0
    out = capsys.readouterr().out
    assert "jennings-v1 (verdict)" in out and "never decides a verdict" in out
