"""Sparse-access block-encoding (Gilyén, Su, Low, Wiebe 2019, Lemma 48; Childs 2010).

U_A = V_rᴴ·V_c on |sys⟩|row⟩|slot⟩|a⟩ (+ oracle workspace), with

    V_c|0,0,0,j⟩ = d^{-1/2} Σ_l |0⟩_a|l⟩|c(j,l)⟩|j⟩,
    V_r|0,0,0,i⟩ = d^{-1/2} Σ_l (A_{i,r(i,l)}/‖A‖_max|0⟩ + …|1⟩)_a|l⟩|i⟩|r(i,l)⟩,

so ⟨0,0,0,i|V_rᴴV_c|0,0,0,j⟩ = A_ij/(d·‖A‖_max): α_raw = d·‖A‖_max and the normalised
α = α_raw/‖A‖₂ ∈ [1, d] (DESIGN §3.1). Slot l of entry (i, j) must be the same from its row
and its column: a proper d-edge-colouring of the bipartite row/column graph (König).

Two oracle families, each a small class with its own qubits and counts (Qualtran's
``RowColumnOracle`` / ``EntryOracle``):

- table (any pattern): the column, row and entry oracles are QROM reads by unary iteration
  over the L = d·2ⁿ (slot, index) pairs; the entry oracle loads a b-bit angle k with
  θ = 4πk/2ᵇ ≈ 2·arccos(A_ij/‖A‖_max) into a register, applies b controlled Ry(4π·2^q/2ᵇ)
  and unloads it. Four QROM reads per U_A call.
- arithmetic (banded: constant, fully populated diagonals, N = 2ⁿ): c(j, l) = j + k_l by a
  Draper adder (QFT, slot-selected phases, inverse QFT), entries by one controlled Ry per
  slot and a zeroing Ry per boundary row whose partner wraps around.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from qiskit import QuantumCircuit, QuantumRegister

from qlsa.errors import InvalidMatrixError, ResourceLimitError

from .counts import GateCounts
from .primitives import (add_constant_phase_count, add_constant_phases, and_ladder_ry, and_ladder_ry_counts,
                         controlled_phase_counts, controlled_ry, controlled_ry_counts, qft_noswap, qft_noswap_counts, state_preparation,
                         state_preparation_counts, unary_iteration, unary_iteration_counts,
                         unary_iteration_work_qubits, xor_constant, xor_constant_counts)

ANGLE_BITS = 16             # b: entry angles to 4π/2ᵇ, so |encoded − A_ij| ≤ π·‖A‖_max/2ᵇ
MAX_BUILT_LEAVES = 2**14     # L = d·2ⁿ up to which the table-oracle circuit is built (counts have no limit)
MAX_BANDED_OFFSETS = 64


def _popcount(values: np.ndarray) -> int:
    """Σ popcount of non-negative integers."""
    return int(np.bitwise_count(values).sum(dtype=np.int64)) if len(values) else 0


def _uniform(d: int, s: int) -> np.ndarray:
    amps = np.zeros(1 << s)
    amps[:d] = 1 / math.sqrt(d)
    return amps


# ------------------------------------------------------------------------------------------ table oracles


@dataclass(frozen=True)
class TableRowColumnOracle:
    """O_c: |l⟩|j⟩|0⟩_row → |l⟩|j⟩|c(j,l)⟩ (``column``), or O_r: |l⟩|i⟩_row|i⟩_sys → |l⟩|i⟩|r(i,l)⟩
    (``row``, writes i ⊕ r(i,l)): one QROM read of L = d·2ⁿ n-bit words by unary iteration."""

    name: str
    index_qubits: int      # m = ⌈log₂d⌉ + n
    leaves: int            # L
    data_ones: int         # Σ popcount of the L words: one CX each

    @property
    def work_qubits(self) -> int:
        return unary_iteration_work_qubits(self.index_qubits)

    def gate_counts(self) -> GateCounts:
        return unary_iteration_counts(self.index_qubits, self.leaves) + xor_constant_counts(self.data_ones, True)

    def build(self, qc: QuantumCircuit, index: list, target: QuantumRegister, work: QuantumRegister,
              words: np.ndarray) -> None:
        unary_iteration(qc, index, self.leaves, list(work), lambda l, c: xor_constant(qc, int(words[l]), c, target))


@dataclass(frozen=True)
class TableEntryOracle:
    """|l⟩|i⟩|0⟩_a → |l⟩|i⟩(A_{i,r(i,l)}/‖A‖_max|0⟩ + …|1⟩)_a: load the b-bit angle (QROM), b controlled
    Ry(4π·2^q/2ᵇ) from its bits onto a, unload (QROM again)."""

    index_qubits: int
    leaves: int
    angle_bits: int
    data_ones: int         # Σ popcount of the L angle words

    @property
    def work_qubits(self) -> int:
        return unary_iteration_work_qubits(self.index_qubits)

    def gate_counts(self) -> GateCounts:
        read = unary_iteration_counts(self.index_qubits, self.leaves) + xor_constant_counts(self.data_ones, True)
        return read * 2 + controlled_ry_counts(True) * self.angle_bits

    def build(self, qc: QuantumCircuit, index: list, angle: QuantumRegister, a, work: QuantumRegister,
              words: np.ndarray) -> None:
        load = lambda l, c: xor_constant(qc, int(words[l]), c, angle)  # noqa: E731
        unary_iteration(qc, index, self.leaves, list(work), load)
        for q in range(self.angle_bits):
            controlled_ry(qc, 4 * math.pi * 2**q / 2**self.angle_bits, angle[q], a)
        unary_iteration(qc, index, self.leaves, list(work), load)


def angle_words(values: np.ndarray, norm_max: float, bits: int) -> np.ndarray:
    """k = round(2ᵇ·arccos(v/‖A‖_max)/(2π)) ∈ [0, 2^{b−1}]: θ = 4πk/2ᵇ ≈ 2·arccos(v/‖A‖_max)."""
    x = np.clip(np.asarray(values, dtype=float) / norm_max, -1.0, 1.0)
    return np.rint(np.arccos(x) * 2**bits / (2 * math.pi)).astype(np.int64)


def encoded_values(words: np.ndarray, norm_max: float, bits: int) -> np.ndarray:
    """The entries the b-bit angles encode: ‖A‖_max·cos(2πk/2ᵇ)."""
    return norm_max * np.cos(2 * math.pi * np.asarray(words) / 2**bits)


# ------------------------------------------------------------------------------------- arithmetic oracles


@dataclass(frozen=True)
class BandedRowColumnOracle:
    """c(j, l) = j + k_l (mod 2ⁿ), or r(i, l) = i − k_l: Draper adder, QFT without swaps around the
    slot-selected phases 2π·k_l·2^{n−1−q}/2ⁿ (unary iteration over the d slots)."""

    name: str
    offsets: tuple[int, ...]
    system_qubits: int
    slot_qubits: int

    @property
    def work_qubits(self) -> int:
        return unary_iteration_work_qubits(self.slot_qubits)

    def gate_counts(self) -> GateCounts:
        n, d = self.system_qubits, len(self.offsets)
        phases = sum(add_constant_phase_count(k, n) for k in self.offsets)
        return (qft_noswap_counts(n) * 2 + unary_iteration_counts(self.slot_qubits, d)
                + controlled_phase_counts(d >= 2) * phases)

    def build(self, qc: QuantumCircuit, slot: QuantumRegister, target: QuantumRegister, work: QuantumRegister,
              sign: int) -> None:
        qft_noswap(qc, list(target))
        unary_iteration(qc, list(slot)[::-1], len(self.offsets), list(work),
                        lambda l, c: add_constant_phases(qc, sign * self.offsets[l], c, list(target)))
        qft_noswap(qc, list(target), inverse=True)


@dataclass(frozen=True)
class BandedEntryOracle:
    """Slot l: Ry(θ_l), θ_l = 2·arccos(v_l/‖A‖_max), on a; for each of the |k_l| boundary rows i whose
    partner i − k_l wraps around, Ry(π − θ_l) controlled on row = i (a Toffoli ladder), so amplitude 0."""

    offsets: tuple[int, ...]
    values: tuple[float, ...]
    norm_max: float
    system_qubits: int
    slot_qubits: int

    def boundary_rows(self, l: int) -> range:
        k, N = self.offsets[l], 2**self.system_qubits
        return range(0, k) if k > 0 else range(N + k, N)

    @property
    def ladder_controls(self) -> int:
        return self.system_qubits + (1 if len(self.offsets) >= 2 else 0)

    @property
    def has_boundary(self) -> bool:
        return any(k != 0 for k in self.offsets)

    @property
    def work_qubits(self) -> int:
        ladder = self.ladder_controls - 1 if self.has_boundary else 0
        return unary_iteration_work_qubits(self.slot_qubits) + ladder

    def gate_counts(self) -> GateCounts:
        d, n = len(self.offsets), self.system_qubits
        counts = unary_iteration_counts(self.slot_qubits, d) + controlled_ry_counts(d >= 2) * d
        for l in range(d):
            for i in self.boundary_rows(l):
                zeros = n - bin(i).count("1")
                counts = counts + and_ladder_ry_counts(self.ladder_controls) + GateCounts(clifford=2 * zeros)
        return counts

    def build(self, qc: QuantumCircuit, slot: QuantumRegister, row: QuantumRegister, a, work: list) -> None:
        iter_work = work[:unary_iteration_work_qubits(self.slot_qubits)]
        ladder_work = work[len(iter_work):]

        def leaf(l: int, c) -> None:
            theta = 2 * math.acos(float(np.clip(self.values[l] / self.norm_max, -1, 1)))
            controlled_ry(qc, theta, c, a)
            for i in self.boundary_rows(l):
                flips = [row[q] for q in range(len(row)) if not (i >> q) & 1]
                for q in flips:
                    qc.x(q)
                and_ladder_ry(qc, math.pi - theta, ([c] if c is not None else []) + list(row), ladder_work, a)
                for q in flips:
                    qc.x(q)

        unary_iteration(qc, list(slot)[::-1], len(self.offsets), iter_work, leaf)


def banded_offsets(A: sp.csr_matrix) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
    """Offsets k = i − j and values of a matrix with constant, fully populated diagonals; else None."""
    if A.nnz and int(np.max(np.diff(A.indptr))) > MAX_BANDED_OFFSETS:   # a row holds more diagonals than allowed
        return None
    main = A.diagonal()
    if main.any() and not (main == main[0]).all():    # offset 0 is held but not constant (O(n), before the O(nnz) pass)
        return None
    coo = A.tocoo()
    offsets = np.unique(coo.row - coo.col)
    n = A.shape[0]
    if len(offsets) > MAX_BANDED_OFFSETS:
        return None
    values = []
    for k in offsets:
        diag = A.diagonal(-int(k))   # entries A[i, i − k]
        if len(diag) == 0 or not np.all(diag == diag[0]) or diag[0] == 0:
            return None
        values.append(float(diag[0]))
    if coo.nnz != sum(n - abs(int(k)) for k in offsets):
        return None
    return tuple(int(k) for k in offsets), tuple(values)


# ------------------------------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class SparseAccess:
    """Sparse-access block-encoding of the (dilated, padded) real matrix ``matrix``.

    Registers, low → high: sys (n), row (n), slot (s = max(1, ⌈log₂d⌉)), a (1), then the
    oracles' workspace: table — angle (b) and unary-iteration work (n + s − 1);
    banded — unary-iteration work (s − 1) and the boundary-row ladder (n, or n − 1 for d = 1).
    """

    matrix: sp.csr_matrix = field(repr=False, compare=False)
    system_qubits: int
    sparsity: int
    norm_max: float
    oracle: str
    column_oracle: TableRowColumnOracle | BandedRowColumnOracle
    row_oracle: TableRowColumnOracle | BandedRowColumnOracle
    entry_oracle: TableEntryOracle | BandedEntryOracle
    angle_bits: int = ANGLE_BITS
    kind: str = "sparse"

    @property
    def slot_qubits(self) -> int:
        return max(1, math.ceil(math.log2(self.sparsity)))

    @property
    def alpha_raw(self) -> float:
        """d·‖A‖_max (Lemma 48); the normalised α is α_raw/‖A‖₂."""
        return self.sparsity * self.norm_max

    @property
    def workspace_qubits(self) -> int:
        if self.oracle == "table":
            return self.angle_bits + self.entry_oracle.work_qubits
        return max(self.column_oracle.work_qubits, self.entry_oracle.work_qubits)

    @property
    def ancilla_qubits(self) -> int:
        return self.system_qubits + self.slot_qubits + 1 + self.workspace_qubits

    @property
    def qubits(self) -> int:
        return self.system_qubits + self.ancilla_qubits

    def gate_counts(self) -> GateCounts:
        """One U_A call: 2 uniform(d) preparations, the row-register copy, the three oracles."""
        n, s = self.system_qubits, self.slot_qubits
        shared = state_preparation_counts(s) * 2 + GateCounts(cx=n)
        if self.oracle == "banded":
            shared = shared + GateCounts(cx=n)     # V_c copies j into the row register as well
        return (shared + self.column_oracle.gate_counts() + self.row_oracle.gate_counts()
                + self.entry_oracle.gate_counts())

    def encoded_matrix(self) -> np.ndarray:
        """What ⟨0|U_A|0⟩·α_raw is: A itself, with table entries rounded to their b-bit angles."""
        A = sp.csr_matrix(self.matrix, copy=True)
        if self.oracle == "table":
            A.data = encoded_values(angle_words(A.data, self.norm_max, self.angle_bits), self.norm_max,
                                    self.angle_bits)
        return A.toarray()

    def describe(self) -> str:
        if self.oracle == "banded":
            return f"sparse access, arithmetic oracles (offsets {list(self.column_oracle.offsets)}, Draper adders)"
        return (f"sparse access, table oracles: 4 QROM reads of L = {self.column_oracle.leaves} words by unary "
                f"iteration (Babbush et al. 2018), {self.angle_bits}-bit entry angles")

    def circuit(self) -> QuantumCircuit:
        n, s = self.system_qubits, self.slot_qubits
        if self.oracle == "table" and self.column_oracle.leaves > MAX_BUILT_LEAVES:
            raise ResourceLimitError(f"the table-oracle circuit reads L = {self.column_oracle.leaves} words (limit "
                                     f"{MAX_BUILT_LEAVES} to build); gate_counts() counts it without building, and "
                                     f"constant-diagonal banded matrices with N = 2ⁿ get arithmetic oracles")
        sys_r, row, slot, a = (QuantumRegister(n, "sys"), QuantumRegister(n, "row"), QuantumRegister(s, "slot"),
                               QuantumRegister(1, "a"))
        regs = [sys_r, row, slot, a]
        angle = QuantumRegister(self.angle_bits, "angle") if self.oracle == "table" else None
        if angle is not None:
            regs.append(angle)
        work_size = self.workspace_qubits - (self.angle_bits if angle is not None else 0)
        work = QuantumRegister(work_size, "work") if work_size else None
        if work is not None:
            regs.append(work)
        vc, vr = QuantumCircuit(*regs, name="V_c"), QuantumCircuit(*regs, name="V_r")
        uniform = _uniform(self.sparsity, s)
        for v in (vc, vr):
            state_preparation(v, uniform, list(slot))
        vr.cx(sys_r, row)                       # row register ← i
        wk = list(work) if work is not None else []
        if self.oracle == "banded":
            vc.cx(sys_r, row)                   # row register ← j, then += k_l
            self.column_oracle.build(vc, slot, row, wk, +1)
            self.entry_oracle.build(vr, slot, row, a[0], wk)
            self.row_oracle.build(vr, slot, sys_r, wk, -1)    # sys ← i − k_l
        else:
            col_words, row_words, ang_words = self._tables()
            index_c = list(slot)[::-1] + list(sys_r)[::-1]    # MSB first: slot, then the column j
            index_r = list(slot)[::-1] + list(row)[::-1]      # slot, then the row i
            self.column_oracle.build(vc, index_c, row, wk, col_words)
            self.row_oracle.build(vr, index_r, sys_r, wk, row_words)
            self.entry_oracle.build(vr, index_r, angle, a[0], wk, ang_words)
        qc = QuantumCircuit(*regs, name="U_A")
        qc.append(vc.to_gate(label="V_c"), qc.qubits)
        qc.append(vr.inverse().to_gate(label="V_r†"), qc.qubits)
        return qc

    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The L = d·2ⁿ words (index l·2ⁿ + i) of the column, row and entry QROMs, slots by König colouring."""
        A, n, d = self.matrix, self.system_qubits, self.sparsity
        N = 2**n
        at_row, at_col = edge_colouring(A, d)
        col_words = np.zeros(d * N, np.int64)
        row_words = np.zeros(d * N, np.int64)
        ang_words = np.full(d * N, angle_words(np.zeros(1), self.norm_max, self.angle_bits)[0], np.int64)
        for j in range(N):
            for l, i in at_col[j].items():
                col_words[l * N + j] = i
        for i in range(N):
            lo, hi = A.indptr[i], A.indptr[i + 1]
            entries = dict(zip(A.indices[lo:hi].tolist(), A.data[lo:hi].tolist()))
            for l, j in at_row[i].items():
                row_words[l * N + i] = i ^ j
                ang_words[l * N + i] = angle_words(np.array([entries[j]]), self.norm_max, self.angle_bits)[0]
        return col_words, row_words, ang_words


def sparse_access(matrix: sp.csr_matrix, angle_bits: int = ANGLE_BITS) -> SparseAccess:
    """The sparse-access spec of a real 2ⁿ×2ⁿ matrix: banded arithmetic oracles when its diagonals are
    constant and full, table oracles otherwise. Counts need no colouring (the words' popcounts do not
    depend on the slot each entry gets)."""
    A = sp.csr_matrix(matrix)
    if np.iscomplexobj(A.data):
        if A.nnz and np.max(np.abs(A.data.imag)) > 0:
            raise InvalidMatrixError("the sparse block-encoding takes real matrices; use kind='dense' or 'lcu'")
        A = sp.csr_matrix(A.real)
    if not A.data.all():
        A.eliminate_zeros()
    if A.nnz == 0:
        raise InvalidMatrixError("A is the zero matrix; there is nothing to block-encode")
    N = A.shape[0]
    n = int(round(math.log2(N)))
    if 2**n != N:
        raise InvalidMatrixError(f"sparse access needs N = 2ⁿ (got {N}); prepare_system pads it")
    norm_max = float(np.abs(A.data).max())
    banded = banded_offsets(A)
    if banded is not None:
        offsets, values = banded
        d = len(offsets)
        s = max(1, math.ceil(math.log2(d)))
        return SparseAccess(A, n, d, norm_max, "banded",
                            BandedRowColumnOracle("column", offsets, n, s), BandedRowColumnOracle("row", offsets, n, s),
                            BandedEntryOracle(offsets, values, norm_max, n, s), angle_bits)
    d = int(np.max(np.diff(A.indptr)))
    d = max(d, int(np.bincount(A.indices, minlength=N).max()))   # columns as well (equal for a symmetric A)
    s = max(1, math.ceil(math.log2(d)))
    m, L = n + s, d * N
    rows = np.repeat(np.arange(N, dtype=np.int64), np.diff(A.indptr))
    cols = A.indices.astype(np.int64)
    empty_slots = L - A.nnz
    ang = angle_words(A.data, norm_max, angle_bits)
    ang_empty = int(angle_words(np.zeros(1), norm_max, angle_bits)[0])
    return SparseAccess(A, n, d, norm_max, "table",
                        TableRowColumnOracle("column", m, L, _popcount(rows)),
                        TableRowColumnOracle("row", m, L, _popcount(rows ^ cols)),
                        TableEntryOracle(m, L, angle_bits, _popcount(ang) + empty_slots * bin(ang_empty).count("1")),
                        angle_bits)


def edge_colouring(A: sp.csr_matrix, d: int) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """König: a proper d-edge-colouring of the bipartite row/column graph, by alternating paths.

    Returns, per row, colour → column and, per column, colour → row."""
    n = A.shape[0]
    at_row: list[dict[int, int]] = [dict() for _ in range(n)]
    at_col: list[dict[int, int]] = [dict() for _ in range(n)]
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
