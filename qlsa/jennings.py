"""A Jennings-style QLSA circuit built only from oracle boxes U_A, U_A†, U_b, U_b† and ancilla gates.

Structure (Jennings, Lostaglio, Pallister, Sornborger, Subaşı, arXiv:2305.11352; path of
An & Lin, ACM TQC 3, 5 (2022)), for Hermitian positive-definite A scaled to Â = A/‖A‖₂:

- Path: A(f) = (1−f)I + fÂ, Q_b = I − |b⟩⟨b|, H(f) = σ₊⊗A(f)Q_b + σ₋⊗Q_bA(f); its null
  vector |0⟩|A(f)⁻¹b⟩ moves from |0,b⟩ (f = 0) to |0, x⟩ (f = 1), gap Δ(f) ≥ 1 − f + f/κ.
- Block-encoding of H(f)/λ_f, λ_f = 1 − f + fα: U_H = C·X_σ·C with
  C = |0⟩⟨0|_σ⊗[A(f)/λ_f by LCU of I and U_A] + |1⟩⟨1|_σ⊗[Q_b = (I + U_b Z₀ U_b†)/2], one
  ancilla set shared by both C's (a + 2 qubits: U_A's a, the LCU qubit, the Q_b qubit):
  2 U_A, 2 U_b, 2 U_b† per U_H. With σ and the ``re`` qubit of the filter the circuit holds
  ⌈log₂N⌉ + a + 4 qubits; multi-controlled gates borrow a dirty qubit (Khattar–Gidney).
- Adiabatic stage, randomization method with the *qubitised walk* (the paper's later version):
  W(f) = R·U_H†·R·U_H with R = 2|0⟩⟨0| − I on the ancillas; on the null vector W = −1, on
  singular value σ its eigenphases are ±2·arccos σ. At M points with geometric gaps
  Δ_j = κ^{−j/M} (M = ⌈4(ln κ)²⌉ + 2), W(f_j) is applied k_j times, k_j uniform in
  [0, ⌈πλ_j/Δ_j⌉] (seeded), which dephases the other eigenvectors (Boixo, Knill, Somma 2009).
- Herald: the ancillas are measured and the run continues on all-zero (the walks leave the
  non-null components partly outside the block, which the filter's off-diagonal blocks would
  otherwise mix back in); the success probability includes it.
- Eigenstate filtering (Lin & Tong, Quantum 4, 361 (2020)): QSVT of U_H(1) with
  R_ℓ(x) = T_ℓ(−1 + 2(x² − Δ²)/(1 − Δ²)) / T_ℓ(−1 − 2Δ²/(1 − Δ²)), Δ = 1/(κα), the smallest ℓ with
  2e^{−√2ℓΔ} ≤ ε; angles from its Chebyshev coefficients (:mod:`qlsa.qsp_angles`); its real
  part ½(U_Φ + U_{−Φ}) by one more qubit that signs every projector phase (the U_H boxes are
  shared by both signs).

Each U_A or U_A† box is counted (also inside composite boxes): counted calls = 4·Σk_j + 2·2ℓ.
The closed form Q* (DESIGN.md §3.1) counts Theorem 1's QSP version; the walk version here
is cheaper, and the benchmark prints counted/Q*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev as C
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Gate

from qlsa.errors import InvalidMatrixError, ResourceLimitError

from .block_encodings import block_encoding
from .block_encodings.primitives import mcrz, mcx, state_preparation
from .spectrum import extreme_eigenvalues
from .qsp_angles import qsvt_angles

# Largest number of U_A boxes an explicit circuit is built with (κ = 100 at ε = 0.1 holds 14k);
# beyond it the schedule (JenningsPlan.u_a_calls) still counts them.
MAX_U_A_CALLS = 50_000


@dataclass(frozen=True)
class JenningsPlan:
    """Schedule and sizes of one Jennings-style run."""

    kappa: float
    alpha: float
    epsilon: float
    fs: tuple[float, ...]
    walks: tuple[int, ...]
    filter_half_degree: int
    seed: int

    @property
    def u_a_calls(self) -> int:
        """U_A and U_A† boxes the circuit holds: 2 per U_H, 2 U_H per walk step, 2ℓ U_H in the filter."""
        return 4 * sum(self.walks) + 2 * 2 * self.filter_half_degree


def _reflect_zero(qc: QuantumCircuit, qubits: list, dirty) -> None:
    """2|0⟩⟨0| − I on ``qubits`` (exactly, global phase included), borrowing ``dirty``."""
    qc.x(qubits)
    qc.h(qubits[-1])
    mcx(qc, qubits[:-1], qubits[-1], dirty)
    qc.h(qubits[-1])
    qc.x(qubits)
    qc.global_phase += math.pi


def _signed_pc_phase(qc: QuantumCircuit, phi: float, qubits: list, sign, dirty) -> None:
    """PennyLane's PCPhase(±φ): e^{±iφ} on ancillas = 0, e^{∓iφ} elsewhere, the sign set by the
    qubit ``sign`` (|0⟩: +φ, |1⟩: −φ) — i.e. e^{iφ·Z_sign·(2Π − I)}."""
    qc.rz(2 * phi, sign)
    qc.x(qubits)
    mcrz(qc, -4 * phi, qubits, sign, dirty)
    qc.x(qubits)


class _StateBox(Gate):
    """U_b or U_b† (:func:`~qlsa.block_encodings.primitives.state_preparation`, a genuine unitary)
    made lazily. The amplitudes are held as one shared array, not as gate parameters: qiskit
    deep-copies parameter lists on every ``to_gate``, which at N = 2²⁰ cost 90 s of a 100 s build."""

    def __init__(self, b: np.ndarray, inverse: bool):
        name = "U_b_dg" if inverse else "U_b"
        super().__init__(name, int(round(math.log2(len(b)))), [], label=name)
        self._amplitudes, self._inverse = b, inverse

    def _define(self) -> None:
        qc = QuantumCircuit(self.num_qubits)
        state_preparation(qc, self._amplitudes, qc.qubits)
        self.definition = qc.inverse() if self._inverse else qc


class JenningsBuilder:
    """Registers and boxes; ``build`` returns the full circuit."""

    def __init__(self, A, b: np.ndarray, epsilon: float, encoding: str = "dense", seed: int = 0):
        lam_min, lam_max, _ = extreme_eigenvalues(A, tol=1e-3)
        if not lam_min > 0:
            raise InvalidMatrixError("the Jennings (An–Lin) path needs Hermitian positive-definite A; use hhl or qsvt "
                                     "for indefinite or non-Hermitian systems")
        self.norm = float(lam_max)
        self.kappa = float(lam_max / lam_min)
        self.epsilon = epsilon
        self.seed = seed
        be = block_encoding(A / self.norm, encoding)
        self.be = be
        self.alpha = max(1.0, be.alpha_raw)         # Â = A/‖A‖₂ has ‖Â‖₂ = 1, so α = α_raw ≥ 1
        self.n = be.num_system_qubits
        self.u_a: Gate = be.to_gate("U_A")
        self.u_a_dg: Gate = be.circuit.inverse().to_gate(label="U_A_dg")
        self.u_a_dg.name = "U_A_dg"
        self.u_b, self.u_b_dg = (self._box(np.asarray(b) / np.linalg.norm(b), inv) for inv in (False, True))
        self.sys = QuantumRegister(self.n, "sys")
        self.sigma = QuantumRegister(1, "σ")
        self.anc = [QuantumRegister(be.num_ancillas, "aA"), QuantumRegister(1, "lcu"), QuantumRegister(1, "qb")]
        self.ctrl = QuantumRegister(1, "re")

    def _box(self, b: np.ndarray, inverse: bool) -> Gate:
        """U_b (or U_b†) as a named box; its state preparation is built only when the definition is asked for."""
        return _StateBox(b, inverse)

    def _registers(self) -> list[QuantumRegister]:
        return [self.sys, self.sigma, *self.anc]

    def ancillas(self) -> list:
        return [q for reg in self.anc for q in reg]

    def _c(self, qc: QuantumCircuit, f: float, dagger: bool = False) -> None:
        """C = |0⟩⟨0|_σ⊗LCU(I, U_A) + |1⟩⟨1|_σ⊗Q_b (or C†: the Q_b half is its own inverse)."""
        a_A, lcu, qb = self.anc
        theta = 2 * math.atan2(math.sqrt(f * self.alpha), math.sqrt(1 - f))
        u_a = self.u_a_dg if dagger else self.u_a
        lcu_part = [lambda: qc.ry(theta, lcu[0]),
                    lambda: qc.append(u_a.control(2, ctrl_state=1, annotated=True),
                                      [lcu[0], self.sigma[0], *self.sys, *a_A]),
                    lambda: qc.ry(-theta, lcu[0])]
        if dagger:
            self._q_b(qc)
            for step in lcu_part:
                step()
        else:
            for step in lcu_part:
                step()
            self._q_b(qc)

    def _q_b(self, qc: QuantumCircuit) -> None:
        """Controlled on σ = 1: H_qb · c-(U_b Z₀ U_b†) · H_qb, the block-encoding of Q_b = (I + R_b)/2
        (its multi-controlled X borrows the idle ``lcu`` qubit)."""
        sys, qb, lcu = list(self.sys), self.anc[2], self.anc[1]
        qc.h(qb[0])
        qc.append(self.u_b_dg, sys)
        qc.x(sys)
        qc.h(sys[0])
        mcx(qc, [qb[0], self.sigma[0], *sys[1:]], sys[0], lcu[0])
        qc.h(sys[0])
        qc.x(sys)
        qc.append(self.u_b, sys)
        qc.h(qb[0])

    def u_h(self, f: float, dagger: bool = False) -> QuantumCircuit:
        """Block-encoding U_H of H(f)/λ_f on (sys, σ, ancillas): C·X_σ·C (or its inverse). Both
        halves share one ancilla set: on either σ path one C acts through (aA, lcu) and the
        other through qb, so each register is used once and ⟨0|U_H|0⟩ = H(f)/λ_f."""
        qc = QuantumCircuit(*self._registers(), name=f"U_H({f:.3g})" + ("†" if dagger else ""))
        self._c(qc, f, dagger)
        qc.x(self.sigma[0])
        self._c(qc, f, dagger)
        return qc

    def walk(self, f: float) -> Gate:
        """W(f) = R·U_H†·R·U_H."""
        qc = QuantumCircuit(*self._registers(), name=f"W({f:.3g})")
        qc.append(self.u_h(f).to_gate(label=f"U_H({f:.3g})"), qc.qubits)
        _reflect_zero(qc, self.ancillas(), self.sys[0])
        qc.append(self.u_h(f, dagger=True).to_gate(label=f"U_H({f:.3g})†"), qc.qubits)
        _reflect_zero(qc, self.ancillas(), self.sys[0])
        g = qc.to_gate()
        g.name = g.label = f"W({f:.3g})"
        return g

    def filter_qsvt(self, phases: np.ndarray) -> QuantumCircuit:
        """½(U_Φ + U_{−Φ}) on re = 0: QSVT of U_H(1) in PennyLane's operator order (Π₀ U Π₁ U† …),
        every projector phase signed by the ``re`` qubit, the U_H boxes shared by both signs."""
        import pennylane as qml

        dummy = qml.BlockEncode(np.eye(1), wires=[0])
        seq = qml.QSVT(dummy, [qml.PCPhase(float(p), dim=1, wires=[0]) for p in phases]).decomposition()
        flat: list = []
        stack = list(reversed(seq))
        while stack:
            op = stack.pop()
            name = type(op).__name__
            if name in ("PCPhase", "BlockEncode") or isinstance(op, qml.ops.op_math.Adjoint):
                flat.append(op)
            else:
                stack.extend(reversed(op.decomposition()))
        uh_g, uh_dg = self.u_h(1.0).to_gate(label="U_H(1)"), self.u_h(1.0, dagger=True).to_gate(label="U_H(1)†")
        qc = QuantumCircuit(*self._registers(), self.ctrl, name="filter")
        core = [q for r in self._registers() for q in r]
        qc.h(self.ctrl[0])
        for op in flat:
            if isinstance(op, qml.ops.op_math.Adjoint):
                qc.append(uh_dg, core)
            elif type(op).__name__ == "PCPhase":
                _signed_pc_phase(qc, float(op.parameters[0]), self.ancillas(), self.ctrl[0], self.sys[0])
            else:
                qc.append(uh_g, core)
        qc.h(self.ctrl[0])
        return qc

    def plan(self) -> JenningsPlan:
        kappa, alpha = max(self.kappa, 1.0 + 1e-9), self.alpha
        M = math.ceil(4 * math.log(kappa) ** 2) + 2
        rng = np.random.default_rng(self.seed)
        fs, walks = [], []
        for j in range(1, M + 1):
            gap = kappa ** (-j / M)
            f = (1 - gap) / (1 - 1 / kappa)
            lam = (1 - f) + f * alpha
            fs.append(f)
            walks.append(int(rng.integers(0, math.ceil(math.pi * lam / gap) + 1)))
        delta = 1 / (kappa * alpha)
        ell = max(1, math.ceil(math.log(2 / self.epsilon) / (math.sqrt(2) * delta)))
        return JenningsPlan(self.kappa, alpha, self.epsilon, tuple(fs), tuple(walks), ell, self.seed)

    def stages(self) -> tuple[QuantumCircuit, QuantumCircuit, JenningsPlan]:
        """The adiabatic stage and the filter stage; between them the ancillas are measured and
        the run continues only on all-zero (heralded: the walks leave the non-null components
        partly outside the block, where the filter's off-diagonal blocks would mix them back)."""
        plan = self.plan()
        if plan.u_a_calls > MAX_U_A_CALLS:
            raise ResourceLimitError(f"the Jennings circuit for κ = {plan.kappa:.3g}, α = {plan.alpha:.3g}, ε = {plan.epsilon:g} "
                                     f"would hold {plan.u_a_calls} U_A calls, above the {MAX_U_A_CALLS} this builder "
                                     f"emits; JenningsBuilder.plan() and `qlsa estimate` still count it")
        phases = filter_phases(plan.filter_half_degree, 1 / (plan.kappa * plan.alpha))
        adiabatic = QuantumCircuit(*self._registers(), self.ctrl, name="adiabatic")
        adiabatic.append(self.u_b, self.sys)
        core_qubits = [q for r in self._registers() for q in r]
        for f, k in zip(plan.fs, plan.walks):
            w = self.walk(f)
            for _ in range(k):
                adiabatic.append(w, core_qubits)
        return adiabatic, self.filter_qsvt(phases), plan

    def build(self) -> tuple[QuantumCircuit, JenningsPlan]:
        """The whole circuit: adiabatic stage, heralding measurement of the ancillas, filter."""
        adiabatic, filt, plan = self.stages()
        return self.assemble(adiabatic, filt), plan

    def assemble(self, adiabatic: QuantumCircuit, filt: QuantumCircuit) -> QuantumCircuit:
        """One circuit from the two stages, with the herald measurement between them."""
        herald = ClassicalRegister(len(self.ancillas()), "herald")
        qc = adiabatic.copy_empty_like(name="Jennings")
        qc.add_register(herald)
        qc.compose(adiabatic, inplace=True, copy=False)      # share the boxes: deep copies cost 7 ms per call
        qc.measure(self.ancillas(), herald)
        qc.compose(filt, inplace=True, copy=False)
        return qc

    def simulate(self, adiabatic: QuantumCircuit, filt: QuantumCircuit) -> tuple[np.ndarray, float]:
        """Unnormalised system amplitudes after herald and final post-selection (re = σ = ancillas = 0),
        and their probability = herald × filter success (qiskit-aer statevector)."""
        from .simulate import statevector

        n = self.n
        # qubit order: sys (n), σ, ancillas (aA, lcu, qb), re — herald: ancillas all zero
        psi = statevector(adiabatic).reshape(2, 2 ** len(self.ancillas()), 2 ** (n + 1))
        kept = np.zeros_like(psi)
        kept[:, 0, :] = psi[:, 0, :]
        p_herald = float(np.vdot(kept, kept).real)
        y = statevector(filt, initial=kept.ravel() / math.sqrt(p_herald))[: 2**n] * math.sqrt(p_herald)
        return y, float(np.vdot(y, y).real)


def filter_polynomial(ell: int, delta: float) -> np.ndarray:
    """Chebyshev coefficients of Lin–Tong's R_ℓ(x; Δ) (even, degree 2ℓ, R(0) = 1, |R| ≤ 1 on [−1, 1]),
    interpolated at 2ℓ+1 Chebyshev points (exact for a degree-2ℓ polynomial up to rounding)."""
    t = C.Chebyshev.basis(ell)
    shift = -1 - 2 * delta**2 / (1 - delta**2)
    coef = C.chebinterpolate(lambda x: t(shift + 2 * x**2 / (1 - delta**2)) / t(shift), 2 * ell)
    coef[1::2] = 0.0                                                  # exact parity
    return coef


def filter_phases(ell: int, delta: float) -> np.ndarray:
    """QSVT angles of (1 − 10⁻⁹)·R_ℓ (strictly inside |f| < 1, as QSP needs)."""
    return qsvt_angles(filter_polynomial(ell, delta) * (1 - 1e-9))


_LEAVES = ("U_A", "U_A_dg", "U_b", "U_b_dg", "unitary", "state_preparation", "isometry")


def count_calls(qc: QuantumCircuit, name: str = "U_A") -> int:
    """Oracle boxes ``name`` or ``name``† in ``qc``, also inside composite and controlled gates
    (oracle boxes and state preparations are leaves: their definitions are not synthesised)."""
    names = (name, f"{name}_dg")
    total = 0
    for inst in qc.data:
        op = inst.operation
        base = getattr(op, "base_gate", None) or getattr(op, "base_op", None)   # controlled / annotated
        if op.name in names or (base is not None and base.name in names):
            total += 1
            continue
        if op.name in _LEAVES or (base is not None and base.name in _LEAVES):
            continue
        inner = base.definition if base is not None else op.definition
        if inner is not None:
            total += count_calls(inner, name)
    return total


def jennings_state(A: np.ndarray, b: np.ndarray, epsilon: float, encoding: str = "dense", seed: int = 0
                   ) -> tuple[np.ndarray, float, dict]:
    """Build and simulate the circuit (:meth:`JenningsBuilder.simulate`); the state is normalised."""
    jb = JenningsBuilder(A, b, epsilon, encoding, seed)
    adiabatic, filt, plan = jb.stages()
    y, p = jb.simulate(adiabatic, filt)
    qc = jb.assemble(adiabatic, filt)
    info = {"kappa": plan.kappa, "alpha": plan.alpha, "adiabatic_points": len(plan.fs),
            "walk_steps": int(sum(plan.walks)), "filter_degree": 2 * plan.filter_half_degree,
            "queries": count_calls(qc, "U_A"), "U_b_calls": count_calls(qc, "U_b"), "qubits": qc.num_qubits,
            "encoding": encoding, "seed": seed}
    return y / math.sqrt(p), p, {**info, "circuit": qc}
