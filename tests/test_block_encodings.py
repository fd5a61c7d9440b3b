"""One model per block-encoding: the counts a spec computes without building equal the built
circuit's (lowered to COUNT_BASIS, no optimisation), its qubits are the circuit's, and the
circuit's top-left block is A/α_raw (numpy, statevector simulation)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import UnitaryGate
from scipy.stats import unitary_group
from qiskit.quantum_info import SparsePauliOp

import qlsa
from estimators.examples import laplacian_2d
from qlsa.block_encodings import GateCounts, pauli_coefficients, qsd_counts
from qlsa.block_encodings.primitives import unary_iteration_counts


def _laplacian_1d(N):
    return sp.diags([-np.ones(N - 1), 2 * np.ones(N), -np.ones(N - 1)], [-1, 0, 1], format="csr")


def _random_sparse(N, seed, density=0.05):
    R = sp.random(N, N, density=density, random_state=seed, format="csr")
    return (R + R.T + sp.identity(N)).tocsr()


def _non_hermitian(N, seed):
    return sp.random(N, N, density=max(0.1, 2 / N), random_state=seed, format="csr") + sp.identity(N)


PATTERNS = {
    "banded": _laplacian_1d,
    "laplacian-2d": lambda N: laplacian_2d(int(math.isqrt(N))) if math.isqrt(N) ** 2 == N else _laplacian_1d(N) + sp.diags([np.ones(N - 2) * 0.5, np.ones(N - 2) * 0.5], [-2, 2]),
    "random-sparse": lambda N: _random_sparse(N, N),
    "non-hermitian": lambda N: _non_hermitian(N // 2 if N > 2 else 2, N),
    "dense": lambda N: (lambda X: X + X.T)(np.random.default_rng(N).standard_normal((N, N))),
}
SIZES = [2, 4, 8, 16, 32, 64, 128, 256]


def _cases(kind):
    for N in SIZES:
        for name, make in PATTERNS.items():
            if name == "dense" and N > (64 if kind == "sparse" else 32):
                continue                                   # table L = N² beyond the build limit; LCU 4ⁿ strings
            if kind == "lcu" and name in ("random-sparse", "non-hermitian") and N > 64:
                continue                                   # unstructured: N strings per X-pattern, a huge SELECT
            yield pytest.param(name, N, id=f"{name}-{N}")


@pytest.mark.parametrize("name,N", list(_cases("sparse")))
def test_sparse_access_counts_equal_the_built_circuit(name, N):
    be = qlsa.block_encoding(PATTERNS[name](N), "sparse")
    qc = be.circuit
    assert GateCounts.of_circuit(qc) == be.gate_counts()
    assert qc.num_qubits == be.qubits == be.num_system_qubits + be.num_ancillas
    if name == "banded":
        assert be.spec.oracle == "banded"


@pytest.mark.parametrize("name,N", list(_cases("lcu")))
def test_lcu_counts_equal_the_built_circuit(name, N):
    be = qlsa.block_encoding(PATTERNS[name](N), "lcu")
    assert GateCounts.of_circuit(be.circuit) == be.gate_counts()
    assert be.circuit.num_qubits == be.qubits


@pytest.mark.parametrize("N", [2, 4, 8, 16, 32, 64])
def test_dense_counts_follow_qiskits_shannon_decomposition(N):
    q = int(np.log2(N)) + 1                                  # a generic q-qubit unitary: exactly the QSD counts
    generic = QuantumCircuit(q)
    generic.append(UnitaryGate(unitary_group.rvs(2**q, random_state=N)), range(q))
    ops = transpile(generic, basis_gates=["u", "cx"], optimization_level=0).count_ops()
    assert qsd_counts(q) == GateCounts(cx=ops.get("cx", 0), rotations=3 * ops["u"])
    rng = np.random.default_rng(N)                           # a dilation (U = Uᴴ): at most them
    X = rng.standard_normal((N, N)) + 1j * rng.standard_normal((N, N))
    for A in (X + X.conj().T, _laplacian_1d(N).toarray()):
        be = qlsa.block_encoding(A, "dense")
        built, bound = GateCounts.of_circuit(be.circuit), be.gate_counts()
        assert bound == qsd_counts(q) and built.cx <= bound.cx and built.rotations + built.clifford <= bound.rotations


def test_qsd_closed_form():
    for q in range(2, 12):
        assert qsd_counts(q).cx == round((11 / 24) * 4**q - 1.5 * 2**q + 5 / 3)


@pytest.mark.parametrize("kind", ["sparse", "lcu", "dense"])
@pytest.mark.parametrize("name,N", [("banded", 4), ("banded", 8), ("random-sparse", 4), ("non-hermitian", 4),
                                    ("laplacian-2d", 4), ("dense", 4)])
def test_top_left_block_is_the_encoded_matrix(kind, name, N):
    be = qlsa.block_encoding(PATTERNS[name](N), kind, angle_bits=4)
    if be.circuit.num_qubits + be.num_system_qubits > 22:
        pytest.skip("over the statevector limit")
    np.testing.assert_allclose(be.top_left(), be.matrix / be.alpha_raw, atol=1e-6)


def test_table_angles_are_within_their_stated_error():
    A = _random_sparse(16, 3)
    for b in (4, 8, 16):
        be = qlsa.block_encoding(A, "sparse", angle_bits=b)
        err = np.abs(be.matrix - A.toarray()).max()
        assert err <= math.pi * abs(A).max() / 2**b
        assert be.alpha_raw == pytest.approx(be.spec.sparsity * abs(A).max())


def test_alpha_is_normalised_and_alpha_raw_is_the_encodings_scale():
    A = laplacian_2d(4)
    sparse, lcu = qlsa.block_encoding(A, "sparse"), qlsa.block_encoding(A, "lcu")
    norm = np.linalg.norm(A.toarray(), 2)
    assert sparse.alpha_raw == pytest.approx(5 * 4.0)
    assert sparse.alpha == pytest.approx(20 / np.linalg.norm(sparse.matrix, 2)) == pytest.approx(20 / norm, rel=1e-4)
    assert lcu.alpha == pytest.approx(lcu.alpha_raw / norm) and lcu.alpha < sparse.alpha   # LCU ≈ 1.5 vs 2.5


def test_pauli_coefficients_match_qiskit():
    for N, seed in [(2, 0), (4, 1), (8, 2), (16, 3)]:
        X = np.random.default_rng(seed).standard_normal((N, N))
        A = X + X.T
        x, z, c = pauli_coefficients(A)
        n = int(np.log2(N))
        labels = ["".join("Y" if (xm >> q) & (zm >> q) & 1 else "X" if (xm >> q) & 1 else "Z" if (zm >> q) & 1 else "I"
                          for q in reversed(range(n))) for xm, zm in zip(x, z)]
        ours = SparsePauliOp(labels, c).simplify()
        ref = SparsePauliOp.from_operator(A).simplify()
        assert (ours - ref).simplify(atol=1e-12).coeffs.size <= 1
        np.testing.assert_allclose(np.abs((ours - ref).simplify(atol=1e-12).coeffs), 0, atol=1e-12)


def test_unary_iteration_toffolis():
    for m in range(2, 10):
        for L in (2 ** (m - 1) + 1, 3 * 2 ** (m - 2), 2**m):
            assert unary_iteration_counts(m, L).toffoli == 2 * (L - 2)


def test_counts_without_building_scale_to_large_matrices():
    A = laplacian_2d(256)                                     # N = 65 536: L = 5·2¹⁶ words, never built
    spec = qlsa.block_encoding(A, "sparse").spec
    counts = spec.gate_counts()
    L = 5 * 2**16
    assert counts.toffoli == 4 * 2 * (L - 2)                  # four QROM reads
    assert spec.qubits == 16 + 16 + 3 + 1 + 16 + (16 + 3 - 1)
