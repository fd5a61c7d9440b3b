"""Closed-form cost of one call to a block-encoding U_A (DESIGN.md §3.1, §3.3).

``sparse`` — sparse-access block-encoding (Gilyén, Su, Low, Wiebe 2019, Lemma 48):
α_raw = d·‖A‖_max, a = ⌈log₂N⌉ + 1 ancillas. Its oracles are table look-ups over the
L = N·d (row, slot) pairs, each by unary-iteration QROM with L − 1 Toffolis (Babbush et al.,
PRX 8, 041015 (2018)); one query reads four tables (row, column, angle, angle uncompute):
Toffolis = 4(L − 1); each Toffoli is 15 gates with 6 CNOTs (Nielsen & Chuang Fig. 4.9);
the data CNOTs add at most L·(2⌈log₂N⌉ + 2b) for b = 16 angle bits, plus b controlled Ry.

``dense`` — unitary dilation [[A, √(I−A²)], [√(I−A²), −A]] of A/‖A‖₂ on q = ⌈log₂N⌉ + 1
qubits, synthesised by quantum Shannon decomposition: (23/48)·4^q − (3/2)·2^q + 4/3 CNOTs
(Shende, Bullock, Markov 2006), about as many one-qubit gates again; α_raw = ‖A‖₂, a = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qlsa.serialization import jsonable
from qlsa.errors import InvalidParameterError

from .query_counts import system_qubits

ENCODINGS = ("sparse", "dense")
ANGLE_BITS = 16


@dataclass(frozen=True)
class BlockEncodingCost:
    """Scale, ancillas and per-call gate counts of one block-encoding, with the source.

    ``alpha_raw`` is the encoding's own scale, or None where that scale is ‖A‖₂ itself
    (the dense dilation of A/‖A‖₂); the gate counts do not depend on it."""

    encoding: str
    alpha_raw: float | None
    ancillas: int
    gates: int
    two_qubit_gates: int
    source: str

    def alpha(self, norm_2: float) -> float:
        """α = α_raw/‖A‖₂ (DESIGN.md §3.1): d·‖A‖_max/‖A‖₂ ∈ [1, d] for sparse access, 1 for the
        dense dilation; ∞ for the zero matrix."""
        if self.alpha_raw is None:
            return 1.0
        return self.alpha_raw / norm_2 if norm_2 > 0 else math.inf

    def to_dict(self) -> dict:
        return jsonable(self)


def block_encoding_cost(encoding: str, n: int, sparsity: int, norm_max: float) -> BlockEncodingCost:
    """Cost of one U_A call for the chosen ``encoding`` of an N×N matrix (‖A‖_max sets the
    sparse-access scale α_raw = d·‖A‖_max)."""
    nq = system_qubits(n)
    if encoding == "sparse":
        L = n * sparsity
        toffoli = 4 * max(L - 1, 0)
        data_cnots = L * (2 * nq + 2 * ANGLE_BITS)
        two_q = 6 * toffoli + data_cnots + 2 * ANGLE_BITS
        gates = 15 * toffoli + data_cnots + 3 * ANGLE_BITS
        return BlockEncodingCost("sparse", sparsity * norm_max, nq + 1, gates, two_q,
                                 "closed form: sparse access, 4 QROM reads of N·d entries (Babbush et al. 2018)")
    if encoding == "dense":
        q = nq + 1
        cnots = round((23 / 48) * 4**q - 1.5 * 2**q + 4 / 3)
        return BlockEncodingCost("dense", None, 1, 2 * cnots + 1, cnots,
                                 "closed form: unitary dilation by quantum Shannon decomposition (Shende et al. 2006)")
    raise InvalidParameterError(f"unknown encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")


def state_preparation_cost(n: int) -> BlockEncodingCost:
    """Cost of one U_b call: a real N-vector by a cascade of uniformly controlled Ry rotations
    (Möttönen et al., PRL 93, 130502 (2004)): Σ_{k<q} 2^k = 2^q − 1 Ry and Σ_{1≤k<q} 2^k = 2^q − 2
    CNOTs on q = ⌈log₂N⌉ qubits. ``alpha_raw`` is 1 (a state, not a block-encoding)."""
    q = system_qubits(n)
    cnots = 2**q - 2
    return BlockEncodingCost("state-preparation", 1.0, 0, cnots + 2**q - 1, cnots,
                             "closed form: uniformly controlled Ry cascade (Möttönen et al. 2004)")
