"""Logical Clifford+T counts of a construction: the one lowering of :class:`GateCounts` (or a
solve's :class:`~qlsa.solve_counts.SolveCounts`) to the fault-tolerant gate set.

Rule, gate class by gate class (the same rule :func:`of_circuit` applies to a built circuit):

- Toffoli → 7 T/T†, 6 CX, 2 H: the ancilla-free decomposition qiskit lowers ``ccx`` to
  (Amy, Maslov, Mosca, Roetteler 2013; Nielsen & Chuang Fig. 4.9). With one ancilla and a
  measurement it costs 4 T (Jones 2013; DESIGN §3.7), given as ``t_count_4t``; a CCZ
  magic-state factory (as the physical estimate assumes) consumes it as one CCZ state.
- T/T† → as placed by the construction (e.g. Khattar–Gidney multi-controlled X).
- every rotation (Ry, Rz, P; a generic u as its three Euler rotations) → one z-rotation up to
  Cliffords, synthesised ancilla-free to operator-norm error δ by the Ross–Selinger algorithm
  (Ross & Selinger, QIC 16, 901 (2016): T count 3·log₂(1/δ) + O(log log(1/δ)) in the typical
  case). :func:`rotation_synthesis` measures the T and Clifford count per rotation at δ with
  qiskit's implementation (``qiskit.synthesis.gridsynth_rz``), averaged over 16 pinned angles.
- Clifford gates (CX, H, S, X, …) of the Clifford+T+R circuit are counted as they stand; those
  inside the synthesised rotation sequences are counted per rotation apart.

Depth proxy: T-depth ≤ T count (serial bound; the oracle calls of a solve act one after another
on shared registers), stated as such. The counts are those of one run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qlsa.block_encodings import GateCounts
from qlsa.checks import check_epsilon
from qlsa.serialization import jsonable

TOFFOLI_T, TOFFOLI_H, TOFFOLI_CX = 7, 2, 6
TOFFOLI_T_MEASURED = 4          # Jones, PRA 87, 022328 (2013): one ancilla, a measurement, Clifford fix-up
SYNTHESIS_ANGLES = 16
# the Clifford+T+R basis a built circuit is lowered to: COUNT_BASIS without ccx
CLIFFORD_T_R_BASIS = ("x", "y", "z", "h", "s", "sdg", "t", "tdg", "cx", "ry", "rz", "p", "u")


@dataclass(frozen=True)
class RotationSynthesis:
    """T and Clifford gates per synthesised rotation at operator-norm error ``precision``."""

    precision: float
    t_per_rotation: float
    clifford_per_rotation: float
    t_max: int
    method: str

    def to_dict(self) -> dict:
        return jsonable(self)


@lru_cache(maxsize=64)
def rotation_synthesis(precision: float) -> RotationSynthesis:
    """Mean T and Clifford count of Ross–Selinger Rz(θ) sequences at error δ = ``precision``,
    over θ_k = 2π(k + ½)/16 + 0.1 (k = 0…15: no multiple of π/4, which would be exact)."""
    from qiskit.synthesis import gridsynth_rz

    check_epsilon(precision, "rotation precision")
    t, c = [], []
    for k in range(SYNTHESIS_ANGLES):
        ops = gridsynth_rz(2 * math.pi * (k + 0.5) / SYNTHESIS_ANGLES + 0.1, precision).count_ops()
        t.append(ops.get("t", 0) + ops.get("tdg", 0))
        c.append(sum(v for g, v in ops.items() if g not in ("t", "tdg")))
    return RotationSynthesis(precision, float(np.mean(t)), float(np.mean(c)), int(max(t)),
                             f"Ross–Selinger (qiskit.synthesis.gridsynth_rz), mean of {SYNTHESIS_ANGLES} pinned angles")


@dataclass(frozen=True)
class CliffordTCounts:
    """Logical counts of one run in Clifford+T (+ arbitrary rotations before synthesis)."""

    qubits: int
    toffoli: float
    t_gates: float          # T/T† placed by the construction (Toffolis' and rotations' apart)
    rotations: float
    clifford: float         # single-qubit Cliffords + CX, the Toffolis' 2 H + 6 CX included
    synthesis: RotationSynthesis | None

    json_properties = ("t_count", "t_count_4t", "t_depth_bound", "rotation_error", "clifford_total")

    @property
    def t_count(self) -> float:
        """T/T† + 7 per Toffoli + T per synthesised rotation (none if no synthesis is given)."""
        per = self.synthesis.t_per_rotation if self.synthesis else 0.0
        return self.t_gates + TOFFOLI_T * self.toffoli + per * self.rotations

    @property
    def t_count_4t(self) -> float:
        """The same with each Toffoli as Jones's 4-T construction (one ancilla and a measurement)."""
        return self.t_count - (TOFFOLI_T - TOFFOLI_T_MEASURED) * self.toffoli

    @property
    def t_depth_bound(self) -> float:
        """Serial proxy: T-depth ≤ T count."""
        return self.t_count

    @property
    def rotation_error(self) -> float:
        """Union bound R·δ on the synthesis error of the run."""
        return self.rotations * self.synthesis.precision if self.synthesis else 0.0

    @property
    def clifford_total(self) -> float:
        """Cliffords of the circuit plus those inside the rotation sequences."""
        per = self.synthesis.clifford_per_rotation if self.synthesis else 0.0
        return self.clifford + per * self.rotations

    def to_dict(self) -> dict:
        return jsonable(self)


def clifford_t(counts: GateCounts | dict, qubits: int, synthesis: RotationSynthesis | None = None) -> CliffordTCounts:
    """Lower ``counts`` (a :class:`GateCounts` or a ``SolveCounts.totals`` dict) by the module's rule."""
    g = counts.to_dict() if isinstance(counts, GateCounts) else counts
    return CliffordTCounts(qubits=qubits, toffoli=g["toffoli"], t_gates=g["t"], rotations=g["rotations"],
                           clifford=g["clifford"] + g["cx"] + (TOFFOLI_H + TOFFOLI_CX) * g["toffoli"],
                           synthesis=synthesis)


def of_circuit(circuit) -> CliffordTCounts:
    """A built circuit decomposed to Clifford+T+R by qiskit (``ccx`` → its 7-T form, opt. level 0),
    rotations left unsynthesised: what :func:`clifford_t` of the construction's counts must equal."""
    return clifford_t(GateCounts.of_circuit(circuit, CLIFFORD_T_R_BASIS), circuit.num_qubits)
