"""The same matrix gives the same α, ancillas, qubits, per-query counts and quantum seconds in
``qlsa estimate --json``, ``qlsa circuit --json`` and ``qlsa calibrate --json``; exported QASM
is the block-encoding as an operator."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from qiskit import qasm3
from qiskit.quantum_info import Operator

from estimators.examples import laplacian_2d
from qlsa.cli import main


def _run(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("kind", ["sparse", "lcu"])
@pytest.mark.parametrize("name", ["laplacian-16", "tridiagonal-8", "random-8"])
def test_estimate_and_circuit_agree(tmp_path, capsys, kind, name):
    A = {"laplacian-16": laplacian_2d(4),
         "tridiagonal-8": sp.diags([-np.ones(7), 3 * np.ones(8), -np.ones(7)], [-1, 0, 1], format="csr"),
         "random-8": sp.csr_matrix((lambda X: X + X.T + 8 * np.eye(8))(np.random.default_rng(2).standard_normal((8, 8))))}[name]
    path = tmp_path / "a.npz"
    sp.save_npz(path, sp.csr_matrix(A))
    e = _run(capsys, ["estimate", str(path), "--encoding", kind, "--json", "--gate-time", "1e-9"])
    c = _run(capsys, ["circuit", kind, str(path), "--json"])
    assert c["alpha"] == pytest.approx(e["alpha"], rel=1e-3)            # e: Lanczos/eigvalsh ‖A‖₂ of A
    assert c["alpha_raw"] == pytest.approx(e["alpha_raw"], rel=1e-12)
    assert c["ancilla_qubits"] == e["ancilla_qubits"]
    assert c["per_query_counts"] == e["per_query_counts"] and c["built_counts_equal_spec"] is True
    assert e["logical_qubits"] == c["system_qubits"] + c["ancilla_qubits"] + 4          # the built Jennings circuit


def test_estimate_and_calibrate_give_one_quantum_time(tmp_path, capsys):
    path = tmp_path / "a.npz"
    sp.save_npz(path, laplacian_2d(4))
    e = _run(capsys, ["estimate", str(path), "--backend", "fake_torino", "--json", "--refine-kappa"])
    c = _run(capsys, ["calibrate", "--backend", "fake_torino", "--matrix", str(path), "--json"])
    assert e["gate_time"] is None
    assert c["per_query_seconds"] == pytest.approx(e["per_query_seconds"], rel=1e-12)
    assert c["projections"][0]["quantum_seconds"] == pytest.approx(e["quantum_seconds"], rel=1e-12)
    assert c["estimate"]["quantum_seconds"] == pytest.approx(e["quantum_seconds"], rel=1e-12)


@pytest.mark.parametrize("kind,A", [
    ("lcu", laplacian_2d(2)),                 # a 2-D Laplacian (the 8.0 export error was on 4×4)
    ("sparse", sp.diags([-np.ones(3), 2 * np.ones(4), -np.ones(3)], [-1, 0, 1], format="csr")),
    ("dense", np.array([[2.0, 0.5, 0, 0], [0.5, 1.0, 0.3, 0], [0, 0.3, 1.5, 0.2], [0, 0, 0.2, 1.0]])),
])
def test_exported_qasm_is_the_block_encoding(tmp_path, capsys, kind, A):
    path, qasm = tmp_path / "a.npz", tmp_path / "u.qasm"
    sp.save_npz(path, sp.csr_matrix(A))
    rep = _run(capsys, ["circuit", kind, str(path), "--qasm", str(qasm), "--json"])
    U = Operator(qasm3.load(str(qasm))).data
    N = A.shape[0]
    top = U[:N, :N]
    dense = A.toarray() if sp.issparse(A) else A
    np.testing.assert_allclose(top * rep["alpha_raw"], dense, atol=1e-8)
    # the whole operator, not only its action on |0…0⟩: a random product state goes where U sends it
    rng = np.random.default_rng(0)
    psi = np.array([1.0])
    for _ in range(int(np.log2(U.shape[0]))):
        v = rng.standard_normal(2) + 1j * rng.standard_normal(2)
        psi = np.kron(v / np.linalg.norm(v), psi)
    from qlsa.block_encodings import block_encoding
    ref = Operator(block_encoding(A, kind).circuit).data
    assert abs(np.vdot(ref @ psi, U @ psi)) == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("method", ["jennings", "qsvt"])
def test_qasm_of_solvers_without_a_gate_circuit_is_refused(tmp_path, capsys, method):
    np.save(tmp_path / "a.npy", np.array([[1.0, 0.3], [0.3, 0.6]]))
    code = main(["circuit", method, str(tmp_path / "a.npy"), "--qasm", str(tmp_path / "x.qasm")])
    err = capsys.readouterr().err
    assert code == 2 and "--qasm" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.qasm").exists()


@pytest.mark.parametrize("kind", ["sparse", "lcu", "dense"])
def test_estimate_counts_the_qubits_of_the_built_jennings_circuit(tmp_path, capsys, kind):
    path = tmp_path / "a.npz"
    sp.save_npz(path, sp.diags([-np.ones(3), 3 * np.ones(4), -np.ones(3)], [-1, 0, 1], format="csr"))
    e = _run(capsys, ["estimate", str(path), "--encoding", kind, "--json"])
    c = _run(capsys, ["circuit", "jennings", str(path), "--encoding", kind, "--epsilon", "0.2", "--json"])
    assert c["built_counts_equal_solve_counts"] is True
    assert e["logical_qubits"] == c["qubits"] == e["solve_counts"]["qubits"]
    assert e["solve_counts"]["items"][0]["each"] == e["per_query_counts"]
