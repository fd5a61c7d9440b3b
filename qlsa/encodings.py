"""Block-encodings U_A of a matrix as qiskit circuits: ⟨0_anc| U_A |0_anc⟩ = A/α.

Qubit order (qiskit, low → high): system qubits first, ancillas above them, so the top-left
2ⁿ×2ⁿ block of ``Operator(circuit)`` is the all-ancillas-zero block. Non-Hermitian A is
encoded through its Hermitian dilation and non-power-of-two N is padded
(:mod:`qlsa.linear_system`); ``matrix`` is what is actually encoded.

- ``dense``: the unitary dilation [[B, √(I−BBᴴ)], [√(I−BᴴB), −Bᴴ]] of B = A/‖A‖₂ (built from
  the SVD of B), α = ‖A‖₂, one ancilla; exact, exponential gate count, small N only.
- ``sparse``: sparse access (Gilyén, Su, Low, Wiebe 2019, Lemma 48; Childs 2010), α = d·‖A‖_max.
  U_A = V_rᴴ·V_c with V_c|0,0,0,j⟩ = d^{-1/2} Σ_l |0⟩_a|l⟩|c(j,l)⟩|j⟩ and
  V_r|0,0,0,i⟩ = d^{-1/2} Σ_l (A_{i,r(i,l)}/‖A‖_max|0⟩ + …|1⟩)_a |l⟩|i⟩|r(i,l)⟩, so that
  ⟨0,0,0,i|V_rᴴV_c|0,0,0,j⟩ = A_ij/(d‖A‖_max). The slot l of entry (i, j) must be the same
  from its row and its column: a proper d-edge-colouring of the bipartite row/column graph,
  which exists by König's theorem and is found by alternating paths. Two oracle kinds:
  ``table`` (any pattern: row, column and entry oracles are multi-controlled look-ups over the
  N·d entries) and ``banded`` (constant diagonals, N = 2ⁿ: c(j, l) = j + k_l by a QFT adder,
  entries by d controlled rotations plus one per boundary row, so O(n² + d·n + d·bandwidth)
  gates, independent of N). Ancillas: row-register n + slot register ⌈log₂d⌉ + 1.
- ``lcu``: A = Σ_k c_k P_k over Pauli strings; PREPARE |0⟩ → Σ √(|c_k|/‖c‖₁)|k⟩, SELECT
  applies sign(c_k)·P_k controlled on |k⟩, then PREPAREᴴ; α = ‖c‖₁ (Childs, Wiebe 2012).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit.library import (DiagonalGate, PauliGate, PhaseGate, QFTGate, RYGate, StatePreparation,
                                    UnitaryGate)
from qiskit.quantum_info import Operator, SparsePauliOp

from qlsa.errors import InvalidMatrixError, InvalidParameterError, ResourceLimitError

from .linear_system import PreparedSystem, prepare_system

KINDS = ("dense", "sparse", "lcu")
MAX_TABLE_ENTRIES = 2**14   # N·d look-up entries of the explicit table oracles


@dataclass(frozen=True)
class BlockEncoding:
    """U_A with ⟨0|U_A|0⟩ = ``matrix``/``alpha`` (``matrix``: the dilated/padded encoded matrix)."""

    kind: str
    circuit: QuantumCircuit = field(repr=False)
    alpha: float
    num_system_qubits: int
    num_ancillas: int
    matrix: np.ndarray | sp.csr_matrix = field(repr=False)
    dilated: bool
    padded: bool
    oracle: str

    def top_left(self) -> np.ndarray:
        """The all-ancillas-zero block of the circuit's unitary, simulated with qiskit-aer."""
        from .simulate import top_left_block
        return top_left_block(self.circuit, self.num_system_qubits)

    def to_gate(self, label: str = "U_A"):
        """The whole block-encoding as one named gate (an oracle box)."""
        g = self.circuit.to_gate()
        g.label = label
        g.name = label
        return g


def block_encoding(A, kind: str = "sparse") -> BlockEncoding:
    """Block-encode ``A`` (numpy, scipy.sparse or torch; dilated if not Hermitian, padded to 2ⁿ)."""
    if kind not in KINDS:
        raise InvalidParameterError(f"unknown block-encoding kind {kind!r}; choose one of {', '.join(KINDS)}")
    prep = prepare_system(A, keep_sparse=(kind == "sparse"))
    return encode_prepared(prep, kind)


def encode_prepared(prep: PreparedSystem, kind: str) -> BlockEncoding:
    """Block-encode an already dilated and padded system."""
    if kind == "dense":
        return _dense(prep)
    if kind == "lcu":
        return _lcu(prep)
    return _sparse(prep)


def _dense(prep: PreparedSystem) -> BlockEncoding:
    A = np.asarray(prep.matrix.toarray() if sp.issparse(prep.matrix) else prep.matrix)
    W, s, Vh = np.linalg.svd(A)
    alpha = float(s[0])
    if alpha == 0:
        raise InvalidMatrixError("A is the zero matrix; there is nothing to block-encode")
    B = A / alpha
    S = np.sqrt(np.clip(1 - (s / alpha) ** 2, 0, None))
    top_right = (W * S) @ W.conj().T
    bottom_left = (Vh.conj().T * S) @ Vh
    U = np.block([[B, top_right], [bottom_left, -B.conj().T]])
    n = prep.num_qubits
    qc = QuantumCircuit(QuantumRegister(n, "sys"), QuantumRegister(1, "anc"), name="U_A")
    qc.append(UnitaryGate(U, label="dilation", check_input=False), range(n + 1))
    return BlockEncoding("dense", qc, alpha, n, 1, A, prep.dilated, prep.padded, "unitary dilation")


def _lcu(prep: PreparedSystem) -> BlockEncoding:
    A = np.asarray(prep.matrix.toarray() if sp.issparse(prep.matrix) else prep.matrix)
    n = prep.num_qubits
    op = SparsePauliOp.from_operator(Operator(A)).simplify(atol=1e-14)
    coeffs = op.coeffs
    if np.max(np.abs(coeffs.imag)) > 1e-12:
        raise InvalidMatrixError("Hermitian A has real Pauli coefficients; got complex ones (not Hermitian?)")
    c = coeffs.real
    K = len(c)
    m = max(1, math.ceil(math.log2(K)))
    alpha = float(np.sum(np.abs(c)))
    amps = np.zeros(2**m)
    amps[:K] = np.sqrt(np.abs(c) / alpha)
    sys_reg, anc = QuantumRegister(n, "sys"), QuantumRegister(m, "lcu")
    qc = QuantumCircuit(sys_reg, anc, name="U_A")
    prep_gate = StatePreparation(amps, label="PREPARE")
    qc.append(prep_gate, anc)
    for k, label in enumerate(op.paulis.to_labels()):
        if set(label) != {"I"}:
            qc.append(PauliGate(label).control(m, ctrl_state=k, annotated=False), list(anc) + list(sys_reg))
    signs = np.ones(2**m)
    signs[:K] = np.sign(c)
    if np.any(signs < 0):
        qc.append(DiagonalGate(list(signs)), anc)
    qc.append(prep_gate.inverse(), anc)
    return BlockEncoding("lcu", qc, alpha, n, m, A, prep.dilated, prep.padded, f"{K} Pauli strings")


# ----------------------------------------------------------------------------------------- sparse access


def _banded_offsets(A: sp.csr_matrix) -> tuple[list[int], list[float]] | None:
    """Offsets k = i − j and values of a matrix with constant, fully populated diagonals; else None."""
    coo = A.tocoo()
    offsets = np.unique(coo.row - coo.col)
    n = A.shape[0]
    if len(offsets) > 64:
        return None
    values = []
    for k in offsets:
        diag = A.diagonal(-int(k))   # entries A[i, i − k]
        if len(diag) == 0 or not np.all(diag == diag[0]) or diag[0] == 0:
            return None
        values.append(float(diag[0]))
    if coo.nnz != sum(n - abs(int(k)) for k in offsets):
        return None
    return [int(k) for k in offsets], values


def _edge_colouring(A: sp.csr_matrix, d: int) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """König: a proper d-edge-colouring of the bipartite row/column graph, by alternating paths.

    Returns, per row, colour → column and, per column, colour → row."""
    n = A.shape[0]
    at_row: list[dict[int, int]] = [dict() for _ in range(n)]   # colour → column
    at_col: list[dict[int, int]] = [dict() for _ in range(n)]   # colour → row
    coo = A.tocoo()
    for i, j in zip(coo.row.tolist(), coo.col.tolist()):
        a = next(c for c in range(d) if c not in at_row[i])
        b = next(c for c in range(d) if c not in at_col[j])
        if a in at_col[j]:
            # swap colours a and b along the path from column j: j –a– r1 –b– c2 –a– …
            path, node, is_col, colour = [], j, True, a
            while True:
                table = at_col if is_col else at_row
                if colour not in table[node]:
                    break
                nxt = table[node][colour]
                path.append((node, nxt, is_col, colour))
                node, is_col, colour = nxt, not is_col, (b if colour == a else a)
            for u, v, u_is_col, colour in path:
                col, row = (u, v) if u_is_col else (v, u)
                del at_col[col][colour], at_row[row][colour]
            for u, v, u_is_col, colour in path:
                col, row = (u, v) if u_is_col else (v, u)
                other = b if colour == a else a
                at_col[col][other], at_row[row][other] = row, col
        at_row[i][a], at_col[j][a] = j, i
    return at_row, at_col


def _bits(value: int, width: int) -> list[int]:
    return [b for b in range(width) if (value >> b) & 1]


def _sparse(prep: PreparedSystem) -> BlockEncoding:
    A = sp.csr_matrix(prep.matrix)
    if np.iscomplexobj(A.data) and np.max(np.abs(A.data.imag)) > 0:
        raise InvalidMatrixError("the sparse block-encoding takes real matrices; use kind='dense' or 'lcu'")
    A = sp.csr_matrix(A.real if np.iscomplexobj(A.data) else A)
    A.eliminate_zeros()
    if A.nnz == 0:
        raise InvalidMatrixError("A is the zero matrix; there is nothing to block-encode")
    n = prep.num_qubits
    N = 2**n
    d = int(np.max(np.diff(A.indptr)))
    s = max(1, math.ceil(math.log2(d)))
    norm_max = float(abs(A).max())
    sys_reg, row_reg = QuantumRegister(n, "sys"), QuantumRegister(n, "row")
    slot, a = QuantumRegister(s, "slot"), QuantumRegister(1, "a")
    slot_amps = np.zeros(2**s)
    slot_amps[:d] = 1 / math.sqrt(d)
    slot_prep = StatePreparation(slot_amps, label=f"uniform({d})")
    banded = _banded_offsets(A)

    vc = QuantumCircuit(sys_reg, row_reg, slot, a, name="V_c")
    vr = QuantumCircuit(sys_reg, row_reg, slot, a, name="V_r")
    vc.append(slot_prep, slot)
    vr.append(slot_prep, slot)
    vr.cx(sys_reg, row_reg)                  # row register ← i
    if banded is not None:
        offsets, values = banded
        d = len(offsets)
        vc.cx(sys_reg, row_reg)              # row register ← j, then += k_l  (c(j, l) = j + k_l mod N)
        _add_offsets(vc, row_reg, slot, offsets, +1)
        _add_offsets(vr, sys_reg, slot, offsets, -1)    # system ← i − k_l  (r(i, l))
        for l, (k, v) in enumerate(zip(offsets, values)):
            theta = 2 * math.acos(v / norm_max)
            vr.append(RYGate(theta).control(s, ctrl_state=l, annotated=False), list(slot) + [a[0]])
            # rows whose partner i − k_l wraps around the boundary carry amplitude 0
            out_of_range = range(0, k) if k > 0 else range(N + k, N)
            for i in out_of_range:
                vr.append(RYGate(math.pi - theta).control(n + s, ctrl_state=i | (l << n), annotated=False),
                          list(row_reg) + list(slot) + [a[0]])
        oracle = f"banded (offsets {offsets}, QFT adders)"
    else:
        if N * d > MAX_TABLE_ENTRIES:
            raise ResourceLimitError(f"table oracles for N = {N}, d = {d} need {N * d} multi-controlled look-up "
                                     f"entries (limit {MAX_TABLE_ENTRIES}); constant-diagonal banded matrices with "
                                     f"N = 2ⁿ get arithmetic oracles instead, or use `qlsa estimate` for the cost")
        at_row, at_col = _edge_colouring(A, d)
        for j in range(N):                   # column oracle: row ⊕= c(j, l)
            for l, i in at_col[j].items():
                for bit in _bits(i, n):
                    vc.mcx(list(sys_reg) + list(slot), row_reg[bit], ctrl_state=j | (l << n))
        for i in range(N):                   # row oracle: system ⊕= i ⊕ r(i, l); entry oracle on a
            row = A.getrow(i)
            entries = dict(zip(row.indices.tolist(), row.data.tolist()))
            for l in range(2**s if d > 1 else 1):
                ctrl = list(row_reg) + list(slot)
                if l in at_row[i]:
                    j = at_row[i][l]
                    for bit in _bits(i ^ j, n):
                        vr.mcx(ctrl, sys_reg[bit], ctrl_state=i | (l << n))
                    theta = 2 * math.acos(entries[j] / norm_max)
                elif l < d:
                    theta = math.pi       # an unused slot of this row: amplitude 0
                else:
                    continue              # slots ≥ d carry no amplitude after uniform(d)
                vr.append(RYGate(theta).control(n + s, ctrl_state=i | (l << n), annotated=False), ctrl + [a[0]])
        oracle = "table (König edge colouring of the pattern)"
    qc = QuantumCircuit(sys_reg, row_reg, slot, a, name="U_A")
    qc.append(vc.to_gate(label="V_c"), qc.qubits)
    qc.append(vr.to_gate(label="V_r").inverse(), qc.qubits)
    return BlockEncoding("sparse", qc, d * norm_max, n, n + s + 1, A, prep.dilated, prep.padded, oracle)


def _add_offsets(qc: QuantumCircuit, target: QuantumRegister, slot: QuantumRegister, offsets: list[int],
                 sign: int) -> None:
    """target ← target + sign·k_l (mod 2ⁿ) for slot value l: Draper's QFT adder with controlled phases."""
    n = len(target)
    qc.append(QFTGate(n), target)
    for l, k in enumerate(offsets):
        for q in range(n):
            phi = sign * 2 * math.pi * k * 2**q / 2**n
            if abs(math.remainder(phi, 2 * math.pi)) > 1e-15:
                qc.append(PhaseGate(phi).control(len(slot), ctrl_state=l, annotated=False), list(slot) + [target[q]])
    qc.append(QFTGate(n).inverse(), target)
