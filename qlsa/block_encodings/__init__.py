"""Block-encodings U_A of a matrix: one spec per construction, costs beside the circuit.

A spec (:class:`~.dense.DenseDilation`, :class:`~.sparse_access.SparseAccess`,
:class:`~.lcu.PauliLCU`) holds what defines the encoding — ``alpha_raw``, system and
ancilla qubits — and :meth:`gate_counts` computed from the construction without building
it; :meth:`circuit` builds it. ⟨0_anc|U_A|0_anc⟩ = A/α_raw, with the qubit order (qiskit,
low → high) system qubits first, ancillas above them, so the top-left 2ⁿ×2ⁿ block of
``Operator(circuit)`` is the all-ancillas-zero block.

Names: ``alpha_raw`` is the encoding's own scale (d·‖A‖_max, ‖c‖₁, ‖A‖₂); ``alpha`` is always
the normalised α = α_raw/‖A‖₂ ≥ 1 that the query counts take (DESIGN §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import scipy.sparse as sp

from qlsa.checks import check_choice

from .counts import COUNT_BASIS, GateCounts
from .dense import DenseDilation, dense_dilation, qsd_counts
from .lcu import PauliLCU, pauli_coefficients, pauli_lcu
from .primitives import state_preparation_counts
from .sparse_access import (ANGLE_BITS, BandedEntryOracle, BandedRowColumnOracle, SparseAccess, TableEntryOracle,
                            TableRowColumnOracle, sparse_access)

KINDS = ("sparse", "lcu", "dense")
Spec = Union[DenseDilation, SparseAccess, PauliLCU]

__all__ = ["ANGLE_BITS", "COUNT_BASIS", "KINDS", "BandedEntryOracle", "BandedRowColumnOracle", "BlockEncoding", "DenseDilation",
           "GateCounts", "PauliLCU", "SparseAccess", "Spec", "TableEntryOracle", "TableRowColumnOracle",
           "block_encoding", "dense_dilation", "encode_prepared", "encoding_spec", "pauli_coefficients", "pauli_lcu",
           "qsd_counts", "sparse_access", "state_preparation_counts"]


def encoding_spec(matrix: Any, kind: str, angle_bits: int = ANGLE_BITS) -> Spec:
    """The spec of ``kind`` for a Hermitian (or, for sparse, real) 2ⁿ×2ⁿ ``matrix``."""
    check_choice(kind, KINDS, "block-encoding kind")
    if kind == "sparse":
        return sparse_access(matrix, angle_bits)
    if kind == "lcu":
        return pauli_lcu(matrix)
    return dense_dilation(matrix.toarray() if sp.issparse(matrix) else matrix)


@dataclass(frozen=True)
class BlockEncoding:
    """A spec applied to a prepared system (``dilated``/``padded``/``symmetrized`` say how the
    user's A became the encoded ``matrix``); the circuit is built once, on first use."""

    spec: Spec
    dilated: bool
    padded: bool
    symmetrized: bool = False
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def matrix(self) -> np.ndarray:
        """The matrix the circuit encodes exactly (table-oracle entries at their b-bit angles)."""
        if "matrix" not in self._cache:
            self._cache["matrix"] = self.spec.encoded_matrix()
        return self._cache["matrix"]

    @property
    def alpha_raw(self) -> float:
        return self.spec.alpha_raw

    @property
    def norm_2(self) -> float:
        """‖A‖₂ of the encoded matrix (exact eigenvalues; Lanczos beyond 1500)."""
        if "norm_2" not in self._cache:
            from qlsa.spectrum import extreme_eigenvalues
            lo, hi, _ = extreme_eigenvalues(self.matrix, tol=1e-6)
            self._cache["norm_2"] = max(abs(lo), abs(hi))
        return self._cache["norm_2"]

    @property
    def alpha(self) -> float:
        """Normalised α = α_raw/‖A‖₂."""
        return self.alpha_raw / self.norm_2

    @property
    def num_system_qubits(self) -> int:
        return self.spec.system_qubits

    @property
    def num_ancillas(self) -> int:
        return self.spec.ancilla_qubits

    @property
    def qubits(self) -> int:
        return self.spec.qubits

    @property
    def oracle(self) -> str:
        return self.spec.describe()

    def gate_counts(self) -> GateCounts:
        return self.spec.gate_counts()

    @property
    def circuit(self):
        """The built U_A circuit (built on first access)."""
        if "circuit" not in self._cache:
            self._cache["circuit"] = self.spec.circuit()
        return self._cache["circuit"]

    def top_left(self) -> np.ndarray:
        """The all-ancillas-zero block of the circuit's unitary (times α_raw: A), simulated with qiskit-aer."""
        from qlsa.simulate import top_left_block
        return top_left_block(self.circuit, self.num_system_qubits)

    def to_gate(self, label: str = "U_A"):
        """The whole block-encoding as one named gate (an oracle box)."""
        g = self.circuit.to_gate()
        g.label = label
        g.name = label
        return g


def block_encoding(A: Any, kind: str = "sparse", angle_bits: int = ANGLE_BITS) -> BlockEncoding:
    """Block-encode ``A`` (numpy, scipy.sparse or torch; dilated if not Hermitian, padded to 2ⁿ);
    ``angle_bits`` is b of the sparse table oracles' entry register."""
    from qlsa.linear_system import prepare_system
    check_choice(kind, KINDS, "block-encoding kind")
    return encode_prepared(prepare_system(A, keep_sparse=(kind != "dense")), kind, angle_bits)


def encode_prepared(prep, kind: str, angle_bits: int = ANGLE_BITS) -> BlockEncoding:
    """Block-encode an already dilated and padded system (:class:`qlsa.linear_system.PreparedSystem`)."""
    return BlockEncoding(encoding_spec(prep.matrix, kind, angle_bits), prep.dilated, prep.padded, prep.symmetrized)
