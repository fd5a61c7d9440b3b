"""Dense unitary dilation: U = [[B, √(I−BBᴴ)], [√(I−BᴴB), −Bᴴ]] of B = A/‖A‖₂ on n + 1 qubits.

α_raw = ‖A‖₂ (so the normalised α is 1), one ancilla; exact, exponential gate count, small N.
The circuit is one ``UnitaryGate`` that qiskit synthesises by quantum Shannon decomposition;
its counts are the generic (dense-unitary) QSD counts of qiskit 2.x, measured recurrence for
q ≥ 3 qubits: CX(q) = 4·CX(q−1) + 3·2^{q−1} − 5, CX(2) = 3, i.e. (11/24)·4^q − (3/2)·2^q + 5/3
(two CX fewer per level than Shende, Bullock, Markov 2006, whose bound is (23/48)·4^q);
one-qubit u: U(q) = 4·U(q−1) + 3·2^{q−1} − 4, U(2) = 8, U(1) = 1, each u three rotations
(its Euler angles, :mod:`~qlsa.block_encodings.counts`). Rule (tested): a generic
q-qubit unitary synthesises to exactly these counts; the dilation (U = Uᴴ, often with
diagonal or identity blocks) to at most these CX and one-qubit gates, so ``gate_counts()``
is an upper bound for this encoding, reached for generic matrices within a few per cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit.library import UnitaryGate

from qlsa.errors import InvalidMatrixError, ResourceLimitError

from .counts import GateCounts

MAX_DENSE_QUBITS = 11


def qsd_counts(q: int) -> GateCounts:
    """CX and rotations (3 per one-qubit u) of qiskit's quantum Shannon decomposition of a generic
    q-qubit unitary."""
    if q == 1:
        return GateCounts(rotations=3)
    cx, u = 3, 8
    for k in range(3, q + 1):
        cx, u = 4 * cx + 3 * 2 ** (k - 1) - 5, 4 * u + 3 * 2 ** (k - 1) - 4
    return GateCounts(cx=cx, rotations=3 * u)


@dataclass(frozen=True)
class DenseDilation:
    """The unitary dilation spec; ``alpha_raw`` = ‖A‖₂ (σ_max), from the SVD, or None for a spec
    made for its counts only (the estimate, whose α = ‖A‖₂/‖A‖₂ = 1)."""

    system_qubits: int
    alpha_raw: float | None = None
    matrix: np.ndarray | None = field(default=None, repr=False, compare=False)
    kind: str = "dense"

    ancilla_qubits = 1

    @property
    def qubits(self) -> int:
        return self.system_qubits + 1

    def gate_counts(self) -> GateCounts:
        return qsd_counts(self.qubits)

    def describe(self) -> str:
        return "unitary dilation of A/‖A‖₂, quantum Shannon decomposition (qiskit)"

    def encoded_matrix(self) -> np.ndarray:
        return np.asarray(self.matrix)

    def unitary(self) -> np.ndarray:
        """U = [[B, √(I−BBᴴ)], [√(I−BᴴB), −Bᴴ]], B = A/α_raw, the ancilla as the leading index."""
        if self.matrix is None:
            raise InvalidMatrixError("this dense spec was made for its counts only (no matrix); "
                                     "build it with dense_dilation(A)")
        if self.qubits > MAX_DENSE_QUBITS:
            raise ResourceLimitError(f"the dense dilation on {self.qubits} qubits is a 4^{self.qubits} unitary "
                                     f"(limit {MAX_DENSE_QUBITS} qubits); use the sparse or lcu encoding")
        A = np.asarray(self.matrix)
        W, s, Vh = np.linalg.svd(A)
        B = A / self.alpha_raw
        S = np.sqrt(np.clip(1 - (s / self.alpha_raw) ** 2, 0, None))
        top_right = (W * S) @ W.conj().T
        bottom_left = (Vh.conj().T * S) @ Vh
        return np.block([[B, top_right], [bottom_left, -B.conj().T]])

    def circuit(self) -> QuantumCircuit:
        U = self.unitary()
        n = self.system_qubits
        qc = QuantumCircuit(QuantumRegister(n, "sys"), QuantumRegister(1, "anc"), name="U_A")
        qc.append(UnitaryGate(U, label="dilation", check_input=False), range(n + 1))
        return qc


def dense_dilation(matrix: np.ndarray) -> DenseDilation:
    A = np.asarray(matrix)
    alpha = float(np.linalg.norm(A, 2))
    if alpha == 0:
        raise InvalidMatrixError("A is the zero matrix; there is nothing to block-encode")
    return DenseDilation(int(round(np.log2(A.shape[0]))), alpha, A)
