"""Gate counts of a construction, and the one rule that reads them off a built circuit.

A :class:`GateCounts` is what a block-encoding, a state preparation or a solver reports from
its construction, without building the circuit. :meth:`GateCounts.of_circuit` lowers a built
circuit to :data:`COUNT_BASIS` with ``transpile(optimization_level=0)`` — which unrolls
sub-circuits and synthesises unitaries but removes, merges or re-synthesises nothing — and
classifies every gate: ``cx``; ``toffoli`` (``ccx``); ``t`` (T and T†, where a construction
places them, e.g. the Khattar–Gidney multi-controlled X); ``rotations`` (single-axis rotations
``ry``, ``rz``, ``p`` at any angle, each one z-rotation up to Cliffords — the unit a
fault-tolerant compiler synthesises; a generic one-qubit ``u`` is its three Euler rotations,
U(θ, φ, λ) = Rz(φ)·Ry(θ)·Rz(λ), and counts 3); ``clifford`` (the single-qubit Cliffords
x, y, z, h, s, s†).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

COUNT_BASIS = ("x", "y", "z", "h", "s", "sdg", "t", "tdg", "cx", "ccx", "ry", "rz", "p", "u")
_CLASS = {"cx": "cx", "ccx": "toffoli", "t": "t", "tdg": "t", "ry": "rotations", "rz": "rotations", "p": "rotations", "u": "rotations",
          **{g: "clifford" for g in ("x", "y", "z", "h", "s", "sdg")}}
_WEIGHT = {"u": 3}                     # ZYZ Euler rotations of a generic one-qubit unitary
TOFFOLI_CX, TOFFOLI_ONE_QUBIT = 6, 9   # a Toffoli as 6 CX + 9 one-qubit gates (Nielsen & Chuang, Fig. 4.9)


@dataclass(frozen=True)
class GateCounts:
    """CX, Toffoli, T/T†, arbitrary-angle single-qubit rotations and single-qubit Clifford gates."""

    cx: int = 0
    toffoli: int = 0
    rotations: int = 0
    clifford: int = 0
    t: int = 0

    def __add__(self, other: GateCounts) -> GateCounts:
        return GateCounts(self.cx + other.cx, self.toffoli + other.toffoli, self.rotations + other.rotations,
                          self.clifford + other.clifford, self.t + other.t)

    def __mul__(self, k: int) -> GateCounts:
        if int(k) != k or k < 0:
            raise InvalidParameterError(f"gate counts scale by a whole number ≥ 0, got {k}")
        k = int(k)
        return GateCounts(self.cx * k, self.toffoli * k, self.rotations * k, self.clifford * k, self.t * k)

    __rmul__ = __mul__

    @property
    def two_qubit_gates(self) -> int:
        """CX with each Toffoli as its 6 CX."""
        return self.cx + TOFFOLI_CX * self.toffoli

    @property
    def gates(self) -> int:
        """All gates with each Toffoli as its 15 (6 CX + 9 one-qubit): the unit of a uniform gate time."""
        return self.cx + self.t + self.rotations + self.clifford + (TOFFOLI_CX + TOFFOLI_ONE_QUBIT) * self.toffoli

    @property
    def operations(self) -> int:
        """Gate objects of the built circuit in the count basis (a Toffoli is one): its size to build."""
        return self.cx + self.toffoli + self.t + self.rotations + self.clifford

    @classmethod
    def of_circuit(cls, circuit, basis: tuple[str, ...] = COUNT_BASIS) -> GateCounts:
        """Counts of a built circuit, lowered to ``basis`` (a subset of :data:`COUNT_BASIS`) without
        optimisation; measurements and barriers are not gates."""
        from qiskit import transpile
        ops = transpile(circuit, basis_gates=list(basis), optimization_level=0).count_ops()
        out = dict.fromkeys(GATE_FIELDS, 0)
        for name, k in ops.items():
            if name in ("barrier", "global_phase", "measure"):
                continue
            out[_CLASS[name]] += _WEIGHT.get(name, 1) * int(k)
        return cls(**out)

    json_properties = ("two_qubit_gates", "gates")

    def to_dict(self) -> dict:
        return jsonable(self)


GATE_FIELDS = tuple(f.name for f in fields(GateCounts))   # the count classes, in field order
