"""HHL (Harrow, Hassidim, Lloyd, PRL 103, 150502 (2009)) as an explicit qiskit circuit.

|b⟩ → QPE of U = e^{iAt₀} on a t-qubit clock → Ry(2·arcsin(C/λ̃)) on an ancilla, controlled
by the clock (a uniformly controlled rotation) → inverse QPE; post-selecting ancilla = 1
and clock = 0 leaves Σ_j β_j (C/λ_j)|u_j⟩ ∝ A⁻¹|b⟩ with probability Σ_j |β_j C/λ_j|².

Eigenvalues of either sign are handled in two's complement: t₀ = π/λ_max·(1 − 2^{1−t}) maps
λ ∈ [−λ_max, λ_max] to clock phases in (−½, ½). The clock has t = ⌈log₂(κ/ε)⌉ + 2 qubits
(resolution λ_max/2^{t−1} ≤ ε·λ_min/2), and C = λ_min, the smallest |eigenvalue| (known
from κ, as HHL assumes). Controlled powers U^{2^k} are exact unitaries (from eigh).
"""

from __future__ import annotations

import math

import numpy as np
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit.library import UnitaryGate

from qlsa.block_encodings.primitives import qft_noswap, state_preparation, uniformly_controlled_ry
from qlsa.errors import ResourceLimitError

MAX_CLOCK_QUBITS = 14
MAX_SYSTEM_QUBITS = 8   # the controlled e^{iAt₀·2^k} are dense 2ⁿ×2ⁿ unitaries


def clock_qubits(kappa: float, epsilon: float) -> int:
    """t = ⌈log₂(κ/ε)⌉ + 2 (see the module docstring)."""
    return math.ceil(math.log2(kappa / epsilon)) + 2


def hhl_circuit(A: np.ndarray, b: np.ndarray, epsilon: float, clock: int | None = None
                ) -> tuple[QuantumCircuit, dict]:
    """The HHL circuit for Hermitian, 2ⁿ-dimensional A and b; returns it and its parameters."""
    lam, V = np.linalg.eigh(A)
    lam_abs = np.abs(lam)
    lam_max, lam_min = float(lam_abs.max()), float(lam_abs.min())
    kappa = lam_max / lam_min
    t = clock or clock_qubits(kappa, epsilon)
    if t > MAX_CLOCK_QUBITS:
        raise ResourceLimitError(f"HHL needs a {t}-qubit clock for κ = {kappa:.3g}, ε = {epsilon:g} "
                                 f"(⌈log₂(κ/ε)⌉ + 2); the limit for an explicit circuit is {MAX_CLOCK_QUBITS}")
    n = int(round(math.log2(A.shape[0])))
    if n > MAX_SYSTEM_QUBITS:
        raise ResourceLimitError(f"HHL's controlled e^(iAt) gates are dense {A.shape[0]}×{A.shape[0]} unitaries; the "
                                 f"explicit circuit is built up to N = {2**MAX_SYSTEM_QUBITS} (use `qlsa estimate`)")
    t0 = math.pi / lam_max * (1 - 2.0 ** (1 - t))
    sys_reg, clk, anc = QuantumRegister(n, "sys"), QuantumRegister(t, "clock"), QuantumRegister(1, "anc")
    qc = QuantumCircuit(sys_reg, clk, anc, name="HHL")
    u_b = QuantumCircuit(n, name="U_b")
    state_preparation(u_b, b / np.linalg.norm(b), u_b.qubits)
    qc.append(u_b.to_gate(label="U_b"), sys_reg)

    def qpe(inverse: bool) -> QuantumCircuit:
        q = QuantumCircuit(sys_reg, clk, name="QPE")
        q.h(clk)
        for k in range(t):
            U = (V * np.exp(1j * lam * t0 * 2**k)) @ V.conj().T
            gate = UnitaryGate(U, label=f"e^(iAt0·2^{k})", check_input=False).control(1, annotated=False)
            q.append(gate, [clk[k]] + list(sys_reg))
        for i in range(t // 2):               # QFT† = (QFT without swaps)† · bit reversal
            q.swap(clk[i], clk[t - 1 - i])
        qft_noswap(q, list(clk), inverse=True)
        return q.inverse() if inverse else q

    qc.compose(qpe(False), inplace=True)
    m = np.arange(2**t)
    signed = np.where(m >= 2 ** (t - 1), m - 2**t, m)
    lam_est = 2 * math.pi * signed / (2**t * t0)
    with np.errstate(divide="ignore"):
        ratio = np.where(signed != 0, lam_min / np.where(signed != 0, lam_est, 1.0), 0.0)
    angles = 2 * np.arcsin(np.clip(ratio, -1.0, 1.0))
    uniformly_controlled_ry(qc, angles, list(clk), anc[0])
    qc.compose(qpe(True), inplace=True)
    info = {"clock_qubits": t, "t0": t0, "C": lam_min, "kappa": kappa}
    return qc, info


def postselect(state: np.ndarray, n: int, t: int) -> tuple[np.ndarray, float]:
    """System amplitudes with clock = 0 and ancilla = 1, normalised; and their probability."""
    psi = state.reshape(2, 2**t, 2**n)[1, 0, :]
    p = float(np.vdot(psi, psi).real)
    return (psi / math.sqrt(p) if p > 0 else psi), p
