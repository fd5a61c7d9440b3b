"""The gate-level constructions the block-encodings are made of, each beside its count.

Every ``build`` function appends gates of :data:`~qlsa.block_encodings.counts.COUNT_BASIS`
to a circuit; the ``*_counts`` function next to it is the same construction counted in closed
form (tested equal to :meth:`GateCounts.of_circuit` of the built circuit).

- Controlled rotations: C-Ry(θ) = Ry(θ/2)·CX·Ry(−θ/2)·CX; C-P(λ) = P(λ/2)⊗[P(λ/2)·CX·P(−λ/2)·CX].
- Uniformly controlled Ry on k controls: 2ᵏ Ry and 2ᵏ CX in Gray-code order, angles
  φ = Mᵀθ/2ᵏ with M_vi = (−1)^{v·g(i)} (Möttönen et al., PRL 93, 130502 (2004)).
- State preparation of a 2ᵐ-vector: one uniformly controlled Ry per qubit (a complex vector
  also one uniformly controlled Rz per qubit),
  2ᵐ − 1 Ry and 2ᵐ − 2 CX; a genuine unitary (not qiskit's ``StatePreparation``, whose
  synthesis fixes only the action on |0⟩).
- QFT without the final swaps: n H and n(n−1)/2 controlled phases.
- Unary iteration over L ≤ 2ᵐ indices (Babbush et al., PRX 8, 041015 (2018), Fig. 7): a
  binary tree over the index bits, most significant first; a branching node below the first
  computes t = c ∧ ¬b (Toffoli), visits its left subtree, flips t to c ∧ b with one CX,
  visits its right subtree and uncomputes t with a second Toffoli (the built circuit is a
  unitary, so the uncompute is a Toffoli rather than a measurement); the first branching
  node needs no Toffoli (its control is the bit itself). Subtrees holding no index < L are
  skipped, so L ≥ 2 leaves cost exactly 2(L − 2) Toffolis (L − 2 computed, L − 2 uncomputed),
  L − 2 CX and m − 1 work qubits; Babbush et al. count L − 1 ANDs with a measured uncompute.
- Multi-controlled X on k ≥ 3 controls with one *dirty* (borrowed, restored) qubit: Khattar &
  Gidney, arXiv:2407.17966 §5.3 (qiskit's ``synth_mcx_1_dirty_kg24``), 4k − 8 Toffoli-class
  gates already in Clifford+T: 12k − 18 CX, 16k − 26 T/T†, 12k − 28 single-qubit Cliffords;
  k = 2 is one Toffoli, k = 1 one CX. A multi-controlled Rz(θ) is Rz(θ/2)·MCX·Rz(−θ/2)·MCX.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Qubit
from qiskit.synthesis import synth_mcx_1_dirty_kg24

from .counts import GateCounts

Ctrl = Qubit | None   # None: the operation is not controlled


def controlled_ry(qc: QuantumCircuit, theta: float, ctrl: Ctrl, target: Qubit) -> None:
    if ctrl is None:
        qc.ry(theta, target)
        return
    qc.ry(theta / 2, target)
    qc.cx(ctrl, target)
    qc.ry(-theta / 2, target)
    qc.cx(ctrl, target)


def controlled_ry_counts(controlled: bool) -> GateCounts:
    return GateCounts(cx=2, rotations=2) if controlled else GateCounts(rotations=1)


def controlled_phase(qc: QuantumCircuit, lam: float, ctrl: Ctrl, target: Qubit) -> None:
    if ctrl is None:
        qc.p(lam, target)
        return
    qc.p(lam / 2, ctrl)
    qc.cx(ctrl, target)
    qc.p(-lam / 2, target)
    qc.cx(ctrl, target)
    qc.p(lam / 2, target)


def controlled_phase_counts(controlled: bool) -> GateCounts:
    return GateCounts(cx=2, rotations=3) if controlled else GateCounts(rotations=1)


def xor_constant(qc: QuantumCircuit, value: int, ctrl: Ctrl, targets: Sequence[Qubit]) -> None:
    """targets ⊕= value (bit q of value onto targets[q]), controlled on ``ctrl``."""
    for q in range(len(targets)):
        if (value >> q) & 1:
            if ctrl is None:
                qc.x(targets[q])
            else:
                qc.cx(ctrl, targets[q])


def xor_constant_counts(ones: int, controlled: bool) -> GateCounts:
    """``ones`` = popcount of the value (or the sum over the leaves of a table)."""
    return GateCounts(cx=ones) if controlled else GateCounts(clifford=ones)


def _uniformly_controlled(qc: QuantumCircuit, rotate: Callable, thetas: np.ndarray, controls: Sequence[Qubit],
                          target: Qubit) -> None:
    """R(θ_v) on ``target`` for control value v (bit i of v on controls[i]), R = Ry or Rz:
    2ᵏ rotations and 2ᵏ CX in Gray-code order (Möttönen et al.)."""
    k = len(controls)
    if k == 0:
        rotate(float(thetas[0]), target)
        return
    size = 1 << k
    gray = [i ^ (i >> 1) for i in range(size)]
    parity = np.array([[bin(v & g).count("1") & 1 for g in gray] for v in range(size)])
    phis = ((1 - 2 * parity).T @ np.asarray(thetas, dtype=float)) / size
    for i in range(size):
        rotate(float(phis[i]), target)
        changed = gray[i] ^ gray[(i + 1) % size]
        qc.cx(controls[changed.bit_length() - 1], target)


def uniformly_controlled_ry(qc: QuantumCircuit, thetas: np.ndarray, controls: Sequence[Qubit], target: Qubit) -> None:
    """Ry(θ_v) on ``target`` for control value v (bit i of v on controls[i])."""
    _uniformly_controlled(qc, qc.ry, thetas, controls, target)


def uniformly_controlled_counts(k: int) -> GateCounts:
    return GateCounts(rotations=1) if k == 0 else GateCounts(cx=1 << k, rotations=1 << k)


def state_preparation(qc: QuantumCircuit, amplitudes: np.ndarray, register: Sequence[Qubit]) -> None:
    """|0⟩ → Σ_k a_k|k⟩ for ‖a‖₂ = 1 (k little-endian on ``register``), as a genuine unitary.

    Magnitudes top-down by uniformly controlled Ry (the last level takes the signed pair, so a
    real vector needs nothing more); a complex vector then gets its phases ω by the diagonal
    diag(e^{iω}) built bottom-up from uniformly controlled Rz(ω₁ − ω₀) on each qubit, the mean
    phases passed up, the last mean a global phase (Möttönen et al. 2004)."""
    m = len(register)
    a = np.asarray(amplitudes)
    complex_ = has_phases(a)
    mag = np.abs(a) if complex_ else np.asarray(a, dtype=float)
    for level in range(m):
        tgt = m - 1 - level
        blocks = mag.reshape(1 << level, 2, 1 << tgt)
        if tgt == 0:          # signed pairs: cos(θ/2) = a₀/r, sin(θ/2) = a₁/r
            n0, n1 = blocks[:, 0, 0], blocks[:, 1, 0]
        else:
            n0, n1 = np.linalg.norm(blocks[:, 0, :], axis=1), np.linalg.norm(blocks[:, 1, :], axis=1)
        uniformly_controlled_ry(qc, 2 * np.arctan2(n1, n0), list(register[tgt + 1:]), register[tgt])
    if complex_:
        omega = np.angle(a)
        for q in range(m):     # qubit q: pairs differ in bit q, indexed by the higher bits
            pairs = omega.reshape(-1, 2)
            _uniformly_controlled(qc, qc.rz, pairs[:, 1] - pairs[:, 0], list(register[q + 1:]), register[q])
            omega = pairs.mean(axis=1)
        qc.global_phase += float(omega[0])


def has_phases(amplitudes: np.ndarray) -> bool:
    """Whether :func:`state_preparation` needs its Rz phase tree (a non-real entry)."""
    return bool(np.iscomplexobj(amplitudes) and np.any(np.imag(amplitudes)))


def state_preparation_counts(m: int, complex_: bool = False) -> GateCounts:
    """2ᵐ − 1 Ry and 2ᵐ − 2 CX on m qubits (m ≥ 1); twice that for a complex vector."""
    real = GateCounts(cx=(1 << m) - 2, rotations=(1 << m) - 1)
    return 2 * real if complex_ else real


def qft_noswap(qc: QuantumCircuit, register: Sequence[Qubit], inverse: bool = False) -> None:
    """QFT without the final swaps: qubit q ends in (|0⟩ + e^{2πi·x·2^{n−1−q}/2ⁿ}|1⟩)/√2."""
    n = len(register)
    steps = []
    for j in reversed(range(n)):
        steps.append(("h", j, None))
        for k in reversed(range(j)):
            steps.append(("cp", j, k))
    if inverse:
        steps.reverse()
    sign = -1 if inverse else 1
    for kind, j, k in steps:
        if kind == "h":
            qc.h(register[j])
        else:
            controlled_phase(qc, sign * math.pi / 2 ** (j - k), register[k], register[j])


def qft_noswap_counts(n: int) -> GateCounts:
    return GateCounts(clifford=n) + controlled_phase_counts(True) * (n * (n - 1) // 2)


def add_constant_phases(qc: QuantumCircuit, k: int, ctrl: Ctrl, register: Sequence[Qubit]) -> int:
    """In the Fourier basis of :func:`qft_noswap`: x → x + k (mod 2ⁿ). Returns the phases applied."""
    n = len(register)
    applied = 0
    for q in range(n):
        phi = math.remainder(2 * math.pi * k * 2 ** (n - 1 - q) / 2**n, 2 * math.pi)
        if abs(phi) > 1e-12:
            controlled_phase(qc, phi, ctrl, register[q])
            applied += 1
    return applied


def add_constant_phase_count(k: int, n: int) -> int:
    """How many phases :func:`add_constant_phases` applies: the q with k·2^{n−1−q}/2ⁿ ∉ ℤ."""
    return sum(1 for q in range(n) if (k * 2 ** (n - 1 - q)) % 2**n != 0)


def unary_iteration(qc: QuantumCircuit, index: Sequence[Qubit], leaves: int, work: Sequence[Qubit],
                    leaf: Callable[[int, Ctrl], None]) -> None:
    """Call ``leaf(l, c)`` for l = 0 … leaves − 1, where qubit c is 1 exactly when the index register
    (``index`` most significant bit first) holds l (c is None when leaves = 1: no control)."""
    m = len(index)

    def visit(level: int, ctrl: Ctrl, size: int, offset: int) -> None:
        if level == m:
            leaf(offset, ctrl)
            return
        half = 1 << (m - level - 1)
        if size <= half:
            visit(level + 1, ctrl, size, offset)
            return
        bit = index[level]
        if ctrl is None:
            qc.x(bit)
            visit(level + 1, bit, half, offset)
            qc.x(bit)
            visit(level + 1, bit, size - half, offset + half)
            return
        t = work[level - 1]
        qc.x(bit)
        qc.ccx(ctrl, bit, t)
        qc.x(bit)
        visit(level + 1, t, half, offset)
        qc.cx(ctrl, t)
        visit(level + 1, t, size - half, offset + half)
        qc.ccx(ctrl, bit, t)

    visit(0, None, leaves, 0)


def unary_iteration_counts(m: int, leaves: int) -> GateCounts:
    """Gates of :func:`unary_iteration`'s tree (the leaves' own gates not included)."""
    node = GateCounts(cx=1, toffoli=2, clifford=2)

    def count(h: int, size: int, controlled: bool) -> GateCounts:
        if h == 0:
            return GateCounts()
        half = 1 << (h - 1)
        if size <= half:
            return count(h - 1, size, controlled)
        if controlled and size == 1 << h:       # full subtree: 2ʰ − 1 branching nodes
            return node * ((1 << h) - 1)
        own = node if controlled else GateCounts(clifford=2)
        return own + count(h - 1, half, True) + count(h - 1, size - half, True)

    return count(m, leaves, False)


def unary_iteration_work_qubits(m: int) -> int:
    return max(m - 1, 0)


def and_ladder_ry(qc: QuantumCircuit, theta: float, controls: Sequence[Qubit], work: Sequence[Qubit],
                  target: Qubit) -> None:
    """Ry(θ) on ``target`` when every control is 1: a Toffoli ladder into c − 1 work qubits, one
    controlled Ry, the ladder undone (2(c − 1) Toffolis)."""
    c = len(controls)
    if c == 1:
        controlled_ry(qc, theta, controls[0], target)
        return
    chain = [controls[0]]
    for i in range(1, c):
        qc.ccx(chain[-1], controls[i], work[i - 1])
        chain.append(work[i - 1])
    controlled_ry(qc, theta, chain[-1], target)
    for i in reversed(range(1, c)):
        qc.ccx(chain[i - 1], controls[i], work[i - 1])


def and_ladder_ry_counts(c: int) -> GateCounts:
    return GateCounts(toffoli=2 * (c - 1)) + controlled_ry_counts(True)


def mcx(qc: QuantumCircuit, controls: Sequence[Qubit], target: Qubit, dirty: Qubit) -> None:
    """X on ``target`` when every control is 1; ``dirty`` is borrowed and left as it was."""
    k = len(controls)
    if k == 1:
        qc.cx(controls[0], target)
    elif k == 2:
        qc.ccx(controls[0], controls[1], target)
    else:
        qc.compose(synth_mcx_1_dirty_kg24(k), [*controls, target, dirty], inplace=True)


def mcx_counts(k: int) -> GateCounts:
    if k == 1:
        return GateCounts(cx=1)
    if k == 2:
        return GateCounts(toffoli=1)
    return GateCounts(cx=12 * k - 18, t=16 * k - 26, clifford=12 * k - 28)


def mcrz(qc: QuantumCircuit, theta: float, controls: Sequence[Qubit], target: Qubit, dirty: Qubit) -> None:
    """Rz(θ) on ``target`` when every control is 1: Rz(θ/2)·MCX·Rz(−θ/2)·MCX."""
    qc.rz(theta / 2, target)
    mcx(qc, controls, target, dirty)
    qc.rz(-theta / 2, target)
    mcx(qc, controls, target, dirty)


def mcrz_counts(k: int) -> GateCounts:
    return GateCounts(rotations=2) + 2 * mcx_counts(k)
