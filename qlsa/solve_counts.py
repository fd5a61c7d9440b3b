"""Gate counts of one run of a solver: oracle calls × the spec's counts + state preparation +
the solver's own gates, one function per solver (``qlsa circuit``, ``estimate`` and the time
model all read these; the tests hold them equal to the built circuits).

Rule for oracle calls (the query model of Jennings et al.'s Theorem 1): a controlled U_A or
U_b is one call, costed as the uncontrolled spec; U_A† and U_b† cost what U_A and U_b cost.

- Jennings (:mod:`qlsa.jennings`), per walk step W = R·U_H†·R·U_H: 4 U_A, 8 U_b/U_b†, and the
  own gates of two U_H (each C·X_σ·C: 2 LCU Ry and one Q_b reflection per C, the reflection a
  multi-controlled X on n + 1 controls) and two reflections about the ancillas' |0⟩ (a + 2
  qubits). The eigenstate filter of half-degree ℓ: 2ℓ U_H(1) (4ℓ U_A, 8ℓ U_b) and 2ℓ + 1
  signed projector phases (an Rz and a multi-controlled Rz on the a + 2 ancillas). One U_b
  starts the run. Qubits ⌈log₂N⌉ + a + 4.
- Theorem 1's Q* calls (``estimate``) are costed as Q*/4 walk steps of that circuit.
- HHL (:mod:`qlsa.hhl`): U_b, 2t controlled e^{iAt₀·2^k} (dense unitaries on n + 1 qubits,
  the QSD bound; 2(2ᵗ − 1) applications of e^{iAt₀}), 2t H, two inverse-QFT blocks, one
  uniformly controlled Ry on the t clock qubits. Qubits n + t + 1.
- QSVT (:mod:`qlsa.qsvt`, PennyLane's ``qml.QSVT`` sequence, real part by sign-controlled
  phases, Gilyén et al. 2019 Cor. 18): U_b, 2 H on the real-part qubit, D calls to U_A shared
  by both signs, and D + 1 sign-controlled projector phases. With one ancilla (the dense
  dilation) a phase is e^{iφZ_anc} between two CX from the real-part qubit: 2 CX + 1 Rz;
  qubits n + 2 (built and simulated). With a > 1 ancillas the projector |0^a⟩⟨0^a| is first
  computed into a flag qubit (X^⊗a, a Khattar–Gidney MCX on a controls, X^⊗a, and back): +1
  qubit, n + a + 2 (counted, not built).
"""

from __future__ import annotations

from dataclasses import dataclass

from qlsa.block_encodings import DenseDilation, GateCounts, state_preparation_counts
from qlsa.block_encodings.counts import GATE_FIELDS
from qlsa.block_encodings.primitives import mcrz_counts, mcx_counts, qft_noswap_counts, uniformly_controlled_counts
from qlsa.serialization import jsonable

U_A, U_B = "U_A", "U_b"


@dataclass(frozen=True)
class CostItem:
    """``count`` uses of a part whose gates are ``each``."""

    name: str
    count: float
    each: GateCounts


@dataclass(frozen=True)
class SolveCounts:
    """Gates of one run of ``solver`` on ``qubits`` logical qubits, item by item."""

    solver: str
    qubits: int
    items: tuple[CostItem, ...]
    rule: str

    json_properties = ("totals",)

    def count(self, name: str) -> float:
        return sum(item.count for item in self.items if item.name == name)

    @property
    def u_a_calls(self) -> float:
        return self.count(U_A)

    @property
    def own(self) -> tuple[CostItem, ...]:
        """The solver's own gates: everything but the U_A and U_b calls."""
        return tuple(item for item in self.items if item.name not in (U_A, U_B))

    @property
    def totals(self) -> dict[str, float]:
        """Σ count × each, per gate class, with ``gates`` (Toffoli as 15) and ``two_qubit_gates``."""
        out = {name: sum(i.count * getattr(i.each, name) for i in self.items) for name in GATE_FIELDS}
        out["gates"] = sum(i.count * i.each.gates for i in self.items)
        out["two_qubit_gates"] = sum(i.count * i.each.two_qubit_gates for i in self.items)
        return out

    def to_dict(self) -> dict:
        return jsonable(self)


# --- Jennings: the own gates of qlsa.jennings, part by part --------------------------------------

def _q_b_counts(n: int) -> GateCounts:
    """H_qb · (X^⊗n, H, MCX on qb, σ and n − 1 system qubits, H, X^⊗n) · H_qb (U_b boxes apart)."""
    return GateCounts(clifford=2 * n + 4) + mcx_counts(n + 1)


def u_h_own_counts(n: int) -> GateCounts:
    """C·X_σ·C without its oracle boxes: per C two LCU Ry and one Q_b reflection."""
    return 2 * (GateCounts(rotations=2) + _q_b_counts(n)) + GateCounts(clifford=1)


def reflection_counts(m: int) -> GateCounts:
    """2|0⟩⟨0| − I on m ≥ 2 qubits: X^⊗m, H, MCX on m − 1 controls, H, X^⊗m."""
    return GateCounts(clifford=2 * m + 2) + mcx_counts(m - 1)


def projector_phase_counts(m: int) -> GateCounts:
    """The signed PCPhase: Rz on the sign qubit, X^⊗m, multi-controlled Rz on m controls, X^⊗m."""
    return GateCounts(rotations=1, clifford=2 * m) + mcrz_counts(m)


def jennings_qubits(system_qubits: int, ancillas: int) -> int:
    """⌈log₂N⌉ + a + 4: system, σ, U_A's a ancillas, the LCU and Q_b qubits, the filter's sign qubit
    (two fewer than DESIGN §3.3's a + 6: one ancilla set serves both halves of U_H, and the
    multi-controlled gates borrow a dirty qubit instead of adding a clean one)."""
    return system_qubits + ancillas + 4


def jennings_solve_counts(per_query: GateCounts, system_qubits: int, ancillas: int, walk_steps: float,
                          filter_half_degree: int, complex_b: bool = False,
                          rule: str = "built circuit: walk steps and filter as scheduled") -> SolveCounts:
    """One run of the Jennings-style circuit of :mod:`qlsa.jennings` (see the module docstring)."""
    n, m, ell = system_qubits, ancillas + 2, filter_half_degree
    items = [CostItem(U_A, 4 * walk_steps + 4 * ell, per_query),
             CostItem(U_B, 1 + 8 * walk_steps + 8 * ell, state_preparation_counts(n, complex_b)),
             CostItem("walk steps: 2 U_H (LCU Ry, Q_b reflections) + 2 ancilla reflections", walk_steps,
                      2 * u_h_own_counts(n) + 2 * reflection_counts(m))]
    if ell:
        items.append(CostItem(f"eigenstate filter: {2 * ell} U_H(1) own gates, {2 * ell + 1} projector phases, 2 H", 1,
                              GateCounts(clifford=2) + 2 * ell * u_h_own_counts(n)
                              + (2 * ell + 1) * projector_phase_counts(m)))
    return SolveCounts("jennings", jennings_qubits(n, ancillas), tuple(items), rule)


def jennings_theorem1_counts(per_query: GateCounts, system_qubits: int, ancillas: int, q_star: float,
                             complex_b: bool = False) -> SolveCounts:
    """Theorem 1's Q* calls costed as Q*/4 walk steps of the built circuit (4 U_A each)."""
    return jennings_solve_counts(per_query, system_qubits, ancillas, q_star / 4, 0, complex_b,
                                 "Jennings et al. Theorem 1: Q* calls as Q*/4 walk steps of the built circuit")


# --- HHL and QSVT ---------------------------------------------------------------------------------

def _inverse_qft_counts(t: int) -> GateCounts:
    return qft_noswap_counts(t) + GateCounts(cx=3 * (t // 2))


def hhl_solve_counts(system_qubits: int, clock_qubits: int, complex_b: bool = False) -> SolveCounts:
    """One run of :func:`qlsa.hhl.hhl_circuit` (an upper bound: the dense powers are QSD bounds)."""
    n, t = system_qubits, clock_qubits
    items = (CostItem(U_B, 1, state_preparation_counts(n, complex_b)),
             CostItem(f"controlled e^(iAt0·2^k), dense on {n + 1} qubits (QSD bound); "
                      f"{2 * (2 ** t - 1)} applications of e^(iAt0)", 2 * t, DenseDilation(n).gate_counts()),
             CostItem("QPE: Hadamards on the clock, twice", 1, GateCounts(clifford=2 * t)),
             CostItem("inverse QFT (and its inverse)", 2, _inverse_qft_counts(t)),
             CostItem("eigenvalue inversion: uniformly controlled Ry on the clock", 1, uniformly_controlled_counts(t)))
    return SolveCounts("hhl", n + t + 1, items, "built circuit; dense controlled powers at the QSD bound")


def qsvt_phase_counts(ancillas: int) -> GateCounts:
    """One sign-controlled projector phase e^{i(−1)^re·φ·(2Π − I)} on ``ancillas`` ancillas."""
    sign = GateCounts(cx=2, rotations=1)
    if ancillas == 1:
        return sign
    return sign + 2 * (GateCounts(clifford=2 * ancillas) + mcx_counts(ancillas))


def qsvt_solve_counts(system_qubits: int, degree: int, complex_b: bool = False, per_query: GateCounts | None = None,
                      ancillas: int = 1) -> SolveCounts:
    """One run of QSVT inversion: D shared U_A calls (default the dense dilation, as
    :func:`qlsa.qsvt.qsvt_state` builds it), D + 1 sign-controlled phases, 2 H."""
    n = system_qubits
    items = (CostItem(U_A, degree, per_query or DenseDilation(n).gate_counts()),
             CostItem(U_B, 1, state_preparation_counts(n, complex_b)),
             CostItem("sign-controlled projector phases" + ("" if ancillas == 1 else " (via a flag qubit)"),
                      degree + 1, qsvt_phase_counts(ancillas)),
             CostItem("Hadamards on the real-part qubit", 1, GateCounts(clifford=2)))
    rule = "PennyLane's QSVT sequence, real part by sign-controlled phases (Gilyén et al. Cor. 18)"
    return SolveCounts("qsvt", n + ancillas + (1 if ancillas == 1 else 2), tuple(items),
                       rule + ("; dense block-encoding at the QSD bound" if per_query is None else ""))
