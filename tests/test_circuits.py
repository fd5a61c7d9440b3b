"""Block-encodings, HHL and QSVT circuits, simulated and checked against numpy."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from qiskit import qasm3, transpile

import qlsa
from qlsa.cli import main
from qlsa.errors import InvalidMatrixError, InvalidParameterError, ResourceLimitError
from tests.conftest import spd_with_spectrum

RNG = np.random.default_rng(7)


def _dense(M):
    return M.toarray() if sp.issparse(M) else np.asarray(M)


def _sym(n, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, n))
    return x + x.T


def _check_top_left(be):
    # 1e-6: the simulation lowers U_A to {u, cx}, and qiskit 2.6's Shannon decomposition of the
    # 4-qubit dense dilation is off by 7e-7 (Qiskit/qiskit#15870); a wrong encoding is off by O(1)
    np.testing.assert_allclose(be.top_left(), _dense(be.matrix) / be.alpha_raw, atol=1e-6)


@pytest.mark.parametrize("kind", ["dense", "lcu", "sparse"])
@pytest.mark.parametrize("n", [2, 4, 8])
def test_symmetric_block_encodings(kind, n):
    A = _sym(n, n)
    be = qlsa.block_encoding(A, kind, angle_bits=3)
    if be.circuit.num_qubits + be.num_system_qubits <= 22:
        _check_top_left(be)
    np.testing.assert_allclose(_dense(be.matrix), A, atol=np.pi * np.abs(A).max() / 2**3)
    assert be.num_system_qubits == int(np.log2(n)) and not be.dilated and not be.padded
    if kind == "sparse":
        assert be.alpha_raw == pytest.approx(n * np.abs(A).max())          # α_raw = d·‖A‖_max
        s = max(1, int(np.ceil(np.log2(n))))                               # row, slot, a, angle, QROM work
        assert be.num_ancillas == be.num_system_qubits + s + 1 + 3 + (be.num_system_qubits + s - 1)
    if kind == "dense":
        assert be.alpha_raw == pytest.approx(np.linalg.norm(A, 2)) and be.num_ancillas == 1 and be.alpha == pytest.approx(1)
    if kind == "lcu":
        from qiskit.quantum_info import SparsePauliOp
        assert be.alpha_raw == pytest.approx(np.abs(SparsePauliOp.from_operator(A).coeffs).sum())


@pytest.mark.parametrize("kind", ["dense", "lcu", "sparse"])
@pytest.mark.parametrize("n", [2, 4])
def test_non_symmetric_goes_through_the_dilation(kind, n):
    A = np.random.default_rng(n).standard_normal((n, n))
    be = qlsa.block_encoding(A, kind, angle_bits=2)
    assert be.dilated and be.num_system_qubits == int(np.log2(2 * n))
    np.testing.assert_allclose(_dense(be.matrix), np.block([[np.zeros((n, n)), A], [A.T, np.zeros((n, n))]]),
                               atol=np.pi * np.abs(A).max() / 2**2)
    if be.circuit.num_qubits + be.num_system_qubits <= 22:
        _check_top_left(be)


@pytest.mark.parametrize("kind", ["dense", "lcu", "sparse"])
def test_padding_of_non_power_of_two(kind):
    A = spd_with_spectrum([1.0, 0.5, 0.2])
    be = qlsa.block_encoding(A, kind, angle_bits=3)
    assert be.padded and be.matrix.shape == (4, 4)
    M = _dense(qlsa.block_encoding(A, "dense").matrix)
    np.testing.assert_allclose(M[:3, :3], A)
    ev = np.linalg.eigvalsh(M)
    assert ev.max() / ev.min() == pytest.approx(5.0)                          # κ unchanged by the padding
    if be.circuit.num_qubits + be.num_system_qubits <= 22:
        _check_top_left(be)


def test_banded_oracles_are_arithmetic_and_polylog():
    T = 2 * np.eye(8) - np.eye(8, k=1) - np.eye(8, k=-1)
    be = qlsa.block_encoding(T, "sparse")
    assert be.spec.oracle == "banded" and be.alpha_raw == pytest.approx(3 * 2.0)
    _check_top_left(be)
    counts = {}
    for n in (6, 12):
        N = 2**n
        A = sp.diags([-np.ones(N - 1), 2 * np.ones(N), -np.ones(N - 1)], [-1, 0, 1], format="csr")
        tq = transpile(qlsa.block_encoding(A, "sparse").circuit, basis_gates=["u", "cx"], optimization_level=0)
        counts[n] = tq.count_ops()["cx"]
    # 64× more rows, only (12/6)² = 4× more CNOTs at most: the count follows log N, not N
    assert counts[12] <= 4 * counts[6]


def test_banded_detection_needs_every_diagonal_constant_and_full():
    """The diagonal is read first: held but not constant means table oracles; absent (all zero) is
    no objection, so constant off-diagonals alone are banded."""
    from qlsa.block_encodings.sparse_access import banded_offsets
    off = np.eye(8, k=1) + np.eye(8, k=-1)
    assert banded_offsets(sp.csr_matrix(off)) == ((-1, 1), (1.0, 1.0))
    assert banded_offsets(sp.csr_matrix(off + 2 * np.eye(8))) == ((-1, 0, 1), (1.0, 2.0, 1.0))
    assert banded_offsets(sp.csr_matrix(off + np.diag(np.arange(1.0, 9)))) is None
    assert banded_offsets(sp.csr_matrix(off + np.diag([2.0] * 7 + [0.0]))) is None     # diagonal not full


@pytest.mark.parametrize("n", [3, 6, 100])
def test_sparse_preparation_pads_in_csr_and_symmetrises_only_inexact_hermitian_input(n):
    """A ⊕ ‖A‖_max·I built in CSR equals scipy's block_diag; ``symmetrized`` is set exactly when
    A ≠ Aᴴ entry for entry (within the Hermitian tolerance)."""
    from qlsa.linear_system import prepare_system
    R = sp.random(n, n, density=0.3, random_state=n, format="csr")
    A = (R + R.T + sp.identity(n)).tocsr()
    p = prepare_system(A, keep_sparse=True)
    size = p.matrix.shape[0]
    ref = sp.block_diag([A, abs(A).max() * sp.identity(size - n)], format="csr")
    assert p.padded == (size != n) and not p.symmetrized and p.matrix.has_canonical_format
    assert (p.matrix != ref).nnz == 0
    B = A.copy()
    B.data[np.flatnonzero(B.indices != np.repeat(np.arange(n), np.diff(B.indptr)))[0]] *= 1 + 1e-12
    q = prepare_system(B, keep_sparse=True)
    assert q.symmetrized and (q.matrix != q.matrix.T).nnz == 0


def test_dense_to_csr_equals_scipys_and_dense_preparation_matches_sparse():
    """``to_csr`` of a dense array (zeros, −0.0, complex) equals scipy's constructor array for
    array; a dense and a sparse A prepare to the same CSR, inexact symmetry symmetrised in both."""
    from qlsa.linear_system import prepare_system
    from qlsa.matrices import to_csr
    rng = np.random.default_rng(7)
    A = rng.standard_normal((37, 37))
    A[rng.random((37, 37)) < 0.6] = 0.0
    A[0, 0] = -0.0
    for M in (A, A + 1j * np.flipud(A)):
        ref, got = sp.csr_matrix(M), to_csr(M)
        assert got.has_canonical_format and got.dtype == ref.dtype
        for a, b in ((ref.indptr, got.indptr), (ref.indices, got.indices), (ref.data, got.data)):
            assert np.array_equal(a, b)
    H = A + A.T + np.eye(37)
    i, j = np.argwhere(np.triu(H, 1))[0]
    H[i, j] *= 1 + 1e-12                                        # Hermitian within tolerance only
    dense, sparse = prepare_system(H, keep_sparse=True), prepare_system(sp.csr_matrix(H), keep_sparse=True)
    assert dense.symmetrized and sparse.symmetrized and (dense.matrix != sparse.matrix).nnz == 0


def test_table_oracles_follow_the_pattern():
    A = np.diag([2.0, 3, 4, 5]) + np.diag([1.0, 0, 1], 1) + np.diag([1.0, 0, 1], -1)   # d = 2, blocks
    be = qlsa.block_encoding(A, "sparse", angle_bits=3)
    assert be.spec.oracle == "table" and be.alpha_raw == pytest.approx(2 * 5.0)
    _check_top_left(be)


def _spd(n, kappa, seed):
    return spd_with_spectrum(np.linspace(1 / kappa, 1, n), seed)


@pytest.mark.parametrize("n,kappa", [(2, 5), (4, 10), (8, 10)])
def test_hhl_fidelity(n, kappa):
    A, b = _spd(n, kappa, n), RNG.standard_normal(n)
    r = qlsa.solve(A, b, "hhl", epsilon=1e-2)
    x = np.linalg.solve(A, b)
    assert r.fidelity >= 0.99
    assert abs(np.vdot(x / np.linalg.norm(x), r.state)) ** 2 == pytest.approx(r.fidelity)
    assert 0 < r.success_probability <= 1 and r.queries == 2 * (2 ** r.parameters["clock_qubits"] - 1)
    assert r.qubits == int(np.log2(n)) + r.parameters["clock_qubits"] + 1 and r.gate_counts["cx"] > 0


def test_hhl_indefinite_and_non_symmetric():
    A = np.array([[1.0, 2.0], [0.5, -3.0]])
    b = np.array([1.0, -1.0])
    r = qlsa.solve(A, b, "hhl", epsilon=1e-2)
    assert r.fidelity >= 0.99 and r.state.shape == (2,)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_qsvt_fidelity_at_kappa_10(n):
    A, b = _spd(n, 10, n), RNG.standard_normal(n)
    r = qlsa.solve(A, b, "qsvt", epsilon=0.05)
    assert r.fidelity >= 0.99 and r.queries == r.parameters["degree"]
    assert r.parameters["kappa"] == pytest.approx(10, rel=1e-9) and r.parameters["degree"] % 2 == 1


@pytest.mark.parametrize("seed", range(3))
def test_qsvt_fidelity_where_the_infinity_norm_of_aat_exceeds_one(seed):
    """The dilation's normalisation is ‖A‖₂ (qml.BlockEncode would divide by √‖ÂÂᵀ‖_∞ > 1)."""
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((4, 4)))
    A = (Q * np.array([1, -0.6, 0.4, 1 / 7])) @ Q.T
    Ah = A / np.linalg.norm(A, 2)
    assert np.linalg.norm(Ah @ Ah.T, np.inf) > 1.1
    r = qlsa.solve(A, np.random.default_rng(seed).standard_normal(4), "qsvt", epsilon=0.1)
    assert r.fidelity >= 0.99


def test_amplified_rounds_follow_brassard_et_al():
    from qlsa.qsvt import amplified_rounds
    assert amplified_rounds(1.0) == 1 and amplified_rounds(0.25) == 3      # sin²(3·π/6) = 1
    for p in (0.3, 0.01, 1e-4):
        k = (amplified_rounds(p) - 1) // 2
        assert np.sin((2 * k + 1) * np.arcsin(np.sqrt(p))) ** 2 >= 1 - np.sqrt(p) * 2    # near 1 after k rounds
        assert amplified_rounds(p) <= np.pi / (2 * np.arcsin(np.sqrt(p))) + 2


def test_qsvt_polynomial_meets_its_error_on_the_band():
    from numpy.polynomial import chebyshev as C

    from qlsa.qsvt import inverse_polynomial
    coef, scale, degree = inverse_polynomial(10.0, 0.05)
    x = np.concatenate([np.linspace(0.1, 1, 400), -np.linspace(0.1, 1, 400)])
    assert np.max(np.abs(C.chebval(x, coef) * x / scale - 1)) <= 0.05 + 1e-9
    assert np.max(np.abs(C.chebval(np.linspace(-1, 1, 2001), coef))) <= 1
    assert np.all(coef[0::2] == 0) and degree == len(coef) - 1                # odd


@pytest.mark.parametrize("kappa, eps, expected", [(4.0, 0.01, 21), (10.0, 0.01, 53)])
def test_qsvt_degree_is_minimax(kappa, eps, expected):
    """The closed-form degree (21 and 53, the optimal degrees the issue measured) meets ε, and a
    linear-programming minimax fit two degrees lower cannot (independent optimum by scipy)."""
    from numpy.polynomial import chebyshev as C
    from scipy.optimize import linprog

    from qlsa.qsvt import inverse_polynomial, optimal_degree
    assert optimal_degree(kappa, eps) == expected
    coef, scale, _ = inverse_polynomial(kappa, eps)
    x = np.linspace(1 / kappa, 1, 3000)
    assert np.max(np.abs(C.chebval(x, coef) * x / scale - 1)) <= eps
    odd = np.arange(1, expected - 1, 2)                      # degree D − 2: min t s.t. |x·p(x) − 1| ≤ t
    V = x[:, None] * C.chebvander(x, expected - 2)[:, odd]
    ones = np.ones((len(x), 1))
    A_ub = np.block([[V, -ones], [-V, -ones]])
    b_ub = np.concatenate([np.ones(len(x)), -np.ones(len(x))])
    res = linprog(np.r_[np.zeros(len(odd)), 1.0], A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * (len(odd) + 1))
    assert res.status == 0 and res.x[-1] > eps


@pytest.mark.parametrize("coef", [[0.0, 0.5, 0.0, -0.2], [0.3, 0.0, -0.4, 0.0, 0.1]])
def test_qsp_phases_realise_the_polynomial_in_pennylane(coef):
    """Angles from the Chebyshev-basis Newton solve, run through qml.QSVT, give P(x) in the corner."""
    import pennylane as qml
    from numpy.polynomial import chebyshev as C

    from qlsa.qsp_angles import qsvt_angles
    ours = qsvt_angles(coef)
    reference = qml.poly_to_angles(C.cheb2poly(coef), "QSVT", angle_solver="root-finding")  # precise at low degree
    for angles in (ours, reference):
        for x in (-0.8, 0.1, 0.55):
            u = qml.matrix(qml.QSVT(qml.BlockEncode(np.array([[x]]), wires=[0]),
                                    [qml.PCPhase(a, dim=1, wires=[0]) for a in angles]))
            assert u[0, 0].real == pytest.approx(C.chebval(x, coef), abs=1e-9)


def test_qsp_phases_reach_high_degree_and_refuse_bad_polynomials():
    from numpy.polynomial import chebyshev as C

    from qlsa.qsp_angles import _response_at_nodes, qsp_phases, qsp_response
    from qlsa.qsvt import inverse_polynomial
    coef, _, degree = inverse_polynomial(100.0, 0.01)                       # degree 529: monomials ≈ 1e159
    x = np.linspace(-1, 1, 3001)
    assert degree == 529
    assert np.max(np.abs(qsp_response(qsp_phases(coef), x) - C.chebval(x, coef))) <= 1e-10
    rng = np.random.default_rng(5)                                          # the FFT evaluator = the direct one
    for d in (0, 1, 6, 41):
        phases, half = rng.uniform(-1, 1, d + 1), (d + 2) // 2
        nodes = np.cos((2 * np.arange(1, half + 1) - 1) * np.pi / (4 * half))
        np.testing.assert_allclose(_response_at_nodes(phases, half), qsp_response(phases, nodes)[0], atol=1e-13)
    with pytest.raises(InvalidParameterError, match="parity"):
        qsp_phases([0.1, 0.2])
    with pytest.raises(InvalidParameterError, match="< 1"):
        qsp_phases([0.0, 1.2])


def test_noisy_hhl_from_a_calibration_snapshot():
    A, b = np.array([[1.0, 0.3], [0.3, 0.6]]), np.array([1.0, 0.5])
    r = qlsa.solve(A, b, "hhl", epsilon=0.1, clock=4, noise="fake_sherbrooke")
    assert r.backend == "ibm_sherbrooke"
    assert r.fidelity >= 0.99 and 0 <= r.noisy_fidelity < r.fidelity
    assert 0 < r.noisy_success_probability < 1


def test_bad_solver_input():
    A = _spd(4, 4, 0)
    with pytest.raises(InvalidParameterError, match="has 3 entries; the matrix needs 4"):
        qlsa.solve(A, np.ones(3))
    with pytest.raises(InvalidParameterError, match="all zeros"):
        qlsa.solve(A, np.zeros(4))
    with pytest.raises(InvalidParameterError, match="missing"):
        qlsa.solve(A, None)
    with pytest.raises(InvalidMatrixError, match="singular"):
        qlsa.solve(np.diag([1.0, 0.0]), np.ones(2))
    with pytest.raises(InvalidParameterError, match="unknown method"):
        qlsa.solve(A, np.ones(4), "jacobi")
    with pytest.raises(ResourceLimitError, match="clock"):
        qlsa.solve(np.diag([1.0, 1e-6]), np.ones(2), "hhl")
    with pytest.raises(ResourceLimitError, match="N = 256"):
        qlsa.solve(np.eye(512), np.ones(512), "hhl")
    with pytest.raises(InvalidParameterError, match="unknown block-encoding"):
        qlsa.block_encoding(A, "fable")
    with pytest.raises(InvalidMatrixError):
        qlsa.block_encoding(np.zeros((2, 2)), "dense")
    with pytest.raises(InvalidMatrixError, match="real"):
        qlsa.block_encoding(np.array([[1.0, 1j], [-1j, 1.0]]), "sparse")


def test_cli_circuit(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.array([[1.0, 0.3], [0.3, 0.6]]))
    qasm = tmp_path / "h.qasm"
    assert main(["circuit", "hhl", str(tmp_path / "a.npy"), "--simulate", "--qasm", str(qasm), "--json",
                 "--epsilon", "0.1"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["fidelity"] >= 0.99 and rep["clock_qubits"] >= 3 and rep["U_A_calls"] > 0
    back = qasm3.load(str(qasm))
    expected = dict(rep["gate_counts"])
    if "qasm_global_phase" in rep:                 # the global phase, written as P(φ)·X·P(φ)·X
        expected["p"], expected["x"] = expected.get("p", 0) + 2, expected.get("x", 0) + 2
    assert back.num_qubits == rep["qubits"] and dict(back.count_ops()) == expected
    png = tmp_path / "be.png"
    assert main(["circuit", "sparse", str(tmp_path / "a.npy"), "--simulate", "--draw", "mpl", "--out", str(png)]) == 0
    out = capsys.readouterr().out
    assert "max_error_top_left_vs_A/alpha" in out and png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, match", [
    (["circuit", "hhl", "missing.npy"], "no such file"),
    (["circuit", "hhl", "A.npy", "--draw", "mpl"], "--out"),
    (["circuit", "sparse", "A.npy", "--backend", "fake_fez"], "--backend"),
    (["circuit", "hhl", "A.npy", "--b", "B3.npy", "--simulate"], "has 3 entries"),
])
def test_cli_circuit_bad_input(argv, match, tmp_path, capsys):
    np.save(tmp_path / "A.npy", np.eye(2) * [1.0, 0.5])
    np.save(tmp_path / "B3.npy", np.ones(3))
    argv = [str(tmp_path / a) if a.endswith(".npy") and a != "missing.npy" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1


def _an_lin_h(Ahat, b, f):
    """H(f) = σ₊⊗A(f)Q_b + σ₋⊗Q_bA(f) in qiskit order (σ above the system)."""
    n = len(b)
    Af = (1 - f) * np.eye(n) + f * Ahat
    Qb = np.eye(n) - np.outer(b, b)
    H = np.zeros((2 * n, 2 * n))
    H[:n, n:], H[n:, :n] = Af @ Qb, Qb @ Af
    return H


def test_jennings_blocks_against_numpy():
    from numpy.polynomial import chebyshev as C
    from qiskit.quantum_info import Operator

    from qlsa.jennings import JenningsBuilder, filter_phases, filter_polynomial
    A, b = np.diag([1.0, 0.4]), np.array([0.6, 0.8])
    jb = JenningsBuilder(A, b, 0.1)
    Ahat = A / jb.norm
    for f in (0.0, 0.3, 1.0):
        lam = (1 - f) + f * jb.alpha
        np.testing.assert_allclose(Operator(jb.u_h(f)).data[:4, :4], _an_lin_h(Ahat, b, f) / lam, atol=1e-10)
        np.testing.assert_allclose(Operator(jb.u_h(f, dagger=True)).data[:4, :4], _an_lin_h(Ahat, b, f).T / lam,
                                   atol=1e-10)
    coef = filter_polynomial(3, 0.3)
    assert C.chebval(0.0, coef) == pytest.approx(1.0)
    assert np.max(np.abs(C.chebval(np.linspace(-1, 1, 2001), coef))) <= 1 + 1e-12
    H = _an_lin_h(Ahat, b, 1.0) / jb.alpha
    w, V = np.linalg.eigh(H)
    R = (V * C.chebval(w, coef)) @ V.T
    np.testing.assert_allclose(Operator(jb.filter_qsvt(filter_phases(3, 0.3))).data[:4, :4], R, atol=1e-6)


@pytest.mark.parametrize("n, kappa", [(2, 4), (4, 4), (2, 10)])
def test_jennings_prepares_the_solution_within_q_star(n, kappa):
    from estimators import jennings_query_count
    A, b = _spd(n, kappa, 1), np.random.default_rng(2).standard_normal(n)
    r = qlsa.solve(A, b, "jennings", epsilon=0.1)
    assert r.fidelity >= 0.9 and 0 < r.success_probability <= 1
    p = r.parameters
    assert r.queries == 4 * p["walk_steps"] + 2 * p["filter_degree"]
    assert p["U_b_calls"] == 2 * r.queries + 1                              # 2 U_b per U_A, plus |b⟩ itself
    assert r.queries <= jennings_query_count(p["alpha"], max(p["kappa"], 12**0.5), 0.1)


def test_jennings_refuses_what_it_cannot_do():
    with pytest.raises(InvalidMatrixError, match="positive-definite"):
        qlsa.solve(np.diag([1.0, -0.5]), np.ones(2), "jennings")
    with pytest.raises(ResourceLimitError, match="U_A calls, above the 50000"):
        qlsa.solve(np.diag([1.0, 1e-3]), np.ones(2), "jennings", epsilon=0.01)


def test_cli_counts_a_too_long_jennings_circuit_from_its_schedule(tmp_path, capsys):
    from qlsa.jennings import MAX_U_A_CALLS
    np.save(tmp_path / "a.npy", np.diag([1.0, 1e-3]))
    assert main(["circuit", "jennings", str(tmp_path / "a.npy"), "--simulate", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["built"].startswith("no") and rep["U_A_calls"] > MAX_U_A_CALLS and "fidelity" not in rep
    assert rep["kappa"] == pytest.approx(1e3)


def test_cli_counts_a_too_high_degree_qsvt_by_the_minimax_degree(tmp_path, capsys):
    from qlsa.qsvt import MAX_DEGREE, optimal_degree
    np.save(tmp_path / "a.npy", np.diag([1.0, 0.5, 0.1, 1e-5]))
    assert main(["circuit", "qsvt", str(tmp_path / "a.npy"), "--simulate", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["built"].startswith("no") and "fidelity" not in rep
    assert rep["polynomial_degree"] == optimal_degree(1e5, 1e-2) > MAX_DEGREE
    assert rep["U_A_calls"] == rep["polynomial_degree"]


def test_cli_counts_a_too_large_hhl_instead_of_building_it(tmp_path, capsys):
    N = 512
    A = sp.diags([np.linspace(1.0, 10.0, N)], [0], format="csr")
    sp.save_npz(tmp_path / "big.npz", A)
    assert main(["circuit", "hhl", str(tmp_path / "big.npz"), "--simulate", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    t = int(np.ceil(np.log2(10.0 / 1e-2))) + 2
    assert rep["built"].startswith("no") and rep["clock_qubits"] == t
    assert rep["qubits"] == 9 + t + 1 and rep["U_A_calls"] == 2 * (2**t - 1) and "fidelity" not in rep


def test_large_unstructured_sparse_matrix_is_refused_clearly():
    N = 2**13
    A = sp.diags([np.arange(1.0, N + 1), np.ones(N - 1), np.ones(N - 1)], [0, 1, -1], format="csr")  # not Toeplitz
    be = qlsa.block_encoding(A, "sparse")            # counted without building …
    assert be.gate_counts().toffoli == 4 * 2 * (3 * N - 2)
    with pytest.raises(ResourceLimitError, match="table-oracle circuit"):
        be.circuit                                      # … and refused to build
