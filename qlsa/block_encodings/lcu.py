"""Pauli linear combination of unitaries: A = Σ_k c_k P_k, U_A = PREPAREᴴ·SELECT·PREPARE.

PREPARE|0⟩ = Σ_k √(|c_k|/‖c‖₁)|k⟩ (the Möttönen state preparation, a genuine unitary);
SELECT applies sign(c_k)·P_k controlled on |k⟩ by unary iteration over the K strings (a
controlled X, Y = S·X·S†, Z = H·X·H per non-identity factor, a Z on the leaf's control for a
negative sign); α_raw = ‖c‖₁ (Childs & Wiebe 2012), index register m = max(1, ⌈log₂K⌉).

The coefficients c_{x,z} = tr(P_{x,z}·A)/N of the strings P = i^{|x∧z|}·XˣZᶻ come from the
non-zeros directly: for each X-pattern x = i ⊕ j present in A, the Walsh–Hadamard transform
of u_x[k] = A[k, k ⊕ x] gives all of them at once, O(#patterns · N log N) (no 4ⁿ operator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from qiskit import QuantumCircuit, QuantumRegister

from qlsa.errors import InvalidMatrixError, ResourceLimitError

from .counts import GateCounts
from .primitives import (state_preparation, state_preparation_counts, unary_iteration, unary_iteration_counts,
                         unary_iteration_work_qubits)

COEFFICIENT_RTOL = 1e-14       # |c_k| below this × max|c| is dropped (rounding noise of the transform)
MAX_TRANSFORM_ENTRIES = 2**27  # #X-patterns × N of the Walsh–Hadamard transforms


def _walsh_hadamard(u: np.ndarray) -> np.ndarray:
    """w[z] = Σ_k (−1)^{popcount(z ∧ k)}·u[k]."""
    w = u.copy()
    h, N = 1, len(u)
    while h < N:
        w = w.reshape(-1, 2, h)
        w = np.stack([w[:, 0] + w[:, 1], w[:, 0] - w[:, 1]], axis=1).reshape(N)
        h *= 2
    return w


def pauli_coefficients(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x masks, z masks, real coefficients) of a Hermitian 2ⁿ×2ⁿ matrix over Pauli strings."""
    coo = sp.coo_matrix(matrix)
    N = coo.shape[0]
    xs = coo.row.astype(np.int64) ^ coo.col.astype(np.int64)
    patterns = np.unique(xs)
    if len(patterns) * N > MAX_TRANSFORM_ENTRIES:
        raise ResourceLimitError(f"the Pauli decomposition needs {len(patterns)} Walsh–Hadamard transforms of length "
                                 f"{N} (limit {MAX_TRANSFORM_ENTRIES} entries); use the sparse encoding")
    z_all = np.arange(N, dtype=np.int64)
    out_x, out_z, out_c = [], [], []
    for x in patterns:
        sel = xs == x
        u = np.zeros(N, dtype=complex)
        u[coo.row[sel]] = coo.data[sel]
        w = _walsh_hadamard(u) / N
        phase = 1j ** (np.bitwise_count((z_all & x).astype(np.uint64)).astype(np.int64) % 4)
        c = phase * w
        out_x.append(np.full(N, x)), out_z.append(z_all), out_c.append(c)
    if not out_c:                                   # the zero matrix: no strings
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    c = np.concatenate(out_c)
    if np.max(np.abs(c.imag), initial=0.0) > 1e-9 * max(np.max(np.abs(c)), 1e-300):
        raise InvalidMatrixError("a Hermitian A has real Pauli coefficients; got complex ones (not Hermitian?)")
    c = c.real
    keep = np.abs(c) > COEFFICIENT_RTOL * np.max(np.abs(c))
    return np.concatenate(out_x)[keep], np.concatenate(out_z)[keep], c[keep]


@dataclass(frozen=True)
class PauliLCU:
    """LCU spec: registers sys (n), index (m), work (m − 1)."""

    system_qubits: int
    x_masks: np.ndarray = field(repr=False, compare=False)
    z_masks: np.ndarray = field(repr=False, compare=False)
    coefficients: np.ndarray = field(repr=False, compare=False)
    matrix: np.ndarray | sp.csr_matrix | None = field(default=None, repr=False, compare=False)
    kind: str = "lcu"

    @property
    def terms(self) -> int:
        return len(self.coefficients)

    @property
    def index_qubits(self) -> int:
        return max(1, math.ceil(math.log2(self.terms)))

    @property
    def alpha_raw(self) -> float:
        """‖c‖₁; the normalised α is α_raw/‖A‖₂."""
        return float(np.sum(np.abs(self.coefficients)))

    @property
    def ancilla_qubits(self) -> int:
        return self.index_qubits + unary_iteration_work_qubits(self.index_qubits)

    @property
    def qubits(self) -> int:
        return self.system_qubits + self.ancilla_qubits

    def gate_counts(self) -> GateCounts:
        m, K = self.index_qubits, self.terms
        x, z = self.x_masks.astype(np.uint64), self.z_masks.astype(np.uint64)
        weight = int(np.bitwise_count(x | z).sum())
        dressed = int(np.bitwise_count(z).sum())          # Y and Z factors: two Cliffords around the CX
        negative = int(np.count_nonzero(self.coefficients < 0))
        if K == 1:
            leaves = GateCounts(clifford=weight)              # uncontrolled: one x, y or z per factor
        else:
            leaves = GateCounts(cx=weight, clifford=2 * dressed + negative)
        return state_preparation_counts(m) * 2 + unary_iteration_counts(m, K) + leaves

    def describe(self) -> str:
        return f"Pauli LCU of {self.terms} strings (PREPARE by uniformly controlled Ry, SELECT by unary iteration)"

    def encoded_matrix(self) -> np.ndarray:
        return self.matrix.toarray() if sp.issparse(self.matrix) else np.asarray(self.matrix)

    def circuit(self) -> QuantumCircuit:
        n, m, K = self.system_qubits, self.index_qubits, self.terms
        sys_r, idx = QuantumRegister(n, "sys"), QuantumRegister(m, "lcu")
        regs = [sys_r, idx]
        work = unary_iteration_work_qubits(m)
        if work:
            regs.append(QuantumRegister(work, "work"))
        qc = QuantumCircuit(*regs, name="U_A")
        amps = np.zeros(2**m)
        amps[:K] = np.sqrt(np.abs(self.coefficients) / self.alpha_raw)
        prep = QuantumCircuit(idx, name="PREPARE")
        state_preparation(prep, amps, list(idx))
        qc.append(prep.to_gate(label="PREPARE"), idx)
        select = QuantumCircuit(*regs, name="SELECT")

        def leaf(k: int, c) -> None:
            x, z = int(self.x_masks[k]), int(self.z_masks[k])
            for q in range(n):
                xq, zq = (x >> q) & 1, (z >> q) & 1
                t = sys_r[q]
                if not (xq or zq):
                    continue
                if c is None:
                    (select.y if xq and zq else select.x if xq else select.z)(t)
                    continue
                if zq:
                    (select.sdg if xq else select.h)(t)
                select.cx(c, t)
                if zq:
                    (select.s if xq else select.h)(t)
            if self.coefficients[k] < 0:
                if c is None:
                    select.global_phase += math.pi
                else:
                    select.z(c)

        unary_iteration(select, list(idx)[::-1], K, list(regs[2]) if work else [], leaf)
        qc.append(select.to_gate(label="SELECT"), qc.qubits)
        qc.append(prep.inverse().to_gate(label="PREPARE†"), idx)
        return qc


def pauli_lcu(matrix) -> PauliLCU:
    N = matrix.shape[0]
    n = int(round(math.log2(N)))
    x, z, c = pauli_coefficients(matrix)
    if len(c) == 0:
        raise InvalidMatrixError("A is the zero matrix; there is nothing to block-encode")
    return PauliLCU(n, x, z, c, matrix)
