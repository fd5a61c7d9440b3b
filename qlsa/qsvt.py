"""QSVT matrix inversion through PennyLane (``qml.QSVT``, ``qml.BlockEncode``, ``qml.PCPhase``).

Polynomial: on the spectrum of Â = A/‖A‖₂ (|x| ∈ [1/κ, 1]) an odd polynomial p with
|x·p(x) − 1| ≤ ε there, and |p| ≤ 1 on [−1, 1] after scaling. It is the weighted
least-squares fit, in odd Chebyshev polynomials, of the odd polynomial
h(x) = (1 − (1 − x²)^β)/x with β = ⌈κ²·ln(κ/ε)⌉ (Childs, Kothari, Somma, SIAM J. Comput. 46,
1920 (2017), Lemma 17; Gilyén, Su, Low, Wiebe 2019, Cor. 69), weighted for relative error on
±[1/κ, 1]; the degree D is the smallest odd one meeting ε (D = O(κ·log(κ/ε))), and the
scale s = 1/(1.01·max_{[−1,1]}|p|).

Block-encoding: the exact unitary dilation of Â (:meth:`DenseDilation.unitary`, a
``qml.QubitUnitary``), whose normalisation is ‖A‖₂ — the one the polynomial is fitted for.
(``qml.BlockEncode`` rescales by 1/√‖ÂÂ†‖_∞ whenever that exceeds 1, pushing σ_min below 1/κ,
out of the polynomial's band.)

QSVT with real angles leaves P(Â) + i·Q(Â) in the top-left block; the real part P(Â) is
½(U_Φ + U_{−Φ}) (Gilyén, Su, Low, Wiebe 2019, Cor. 18), taken with one more qubit ``re``:
H on ``re``, then PennyLane's QSVT sequence with every projector phase e^{iφZ_anc} made
sign-controlled, CX(re→anc)·e^{iφZ_anc}·CX(re→anc) = e^{i(−1)^re·φ·Z_anc}, then H. The D calls to
U_A are shared by both signs: D calls, D + 1 phases of 2 CX + 1 Rz each.

Success probability p = ‖P(Â)|b⟩‖² (post-selecting re = anc = 0); the expected cost repeats
the run 1/p times, or, with amplitude amplification at known p (Brassard, Høyer, Mosca, Tapp
2002), runs 2k + 1 rounds, k = ⌈π/(4·arcsin√p) − ½⌉ (:func:`amplified_rounds`).

Angles: :func:`qlsa.qsp_angles.qsvt_angles` solves the symmetric-QSP phases from the
Chebyshev coefficients by Newton's method and converts them with ``qml.transform_angles``.
``qml.poly_to_angles`` takes monomial coefficients, which grow like 2^D and carry no
precision past D ≈ 40 (κ ≈ 5 at ε = 0.05); the Chebyshev route reaches D = MAX_DEGREE.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as C

from qlsa.errors import InvalidParameterError, ResourceLimitError
from qlsa.qsp_angles import qsvt_angles

MAX_DEGREE = 301


def cks_degree(kappa: float, epsilon: float) -> int:
    """Degree 2j₀ + 1 of the Chebyshev truncation of (1 − (1 − x²)^b)/x, b = ⌈κ²·ln(κ/ε)⌉,
    j₀ = ⌈√(b·ln(4b/ε))⌉ (Childs, Kothari, Somma 2017, Lemmas 17–19): an upper bound on the
    degree :func:`inverse_polynomial` needs, for matrices beyond MAX_DEGREE."""
    b = math.ceil(kappa**2 * math.log(kappa / epsilon))
    return 2 * math.ceil(math.sqrt(b * math.log(4 * b / epsilon))) + 1


def inverse_polynomial(kappa: float, epsilon: float) -> tuple[np.ndarray, float, int]:
    """Chebyshev coefficients of s·p(x) ≈ s/x on ±[1/κ, 1], the scale s and the degree D."""
    beta = math.ceil(kappa**2 * math.log(kappa / epsilon))
    xs = np.cos(np.linspace(0, math.pi, 4001))                       # Chebyshev–Lobatto grid on [−1, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(xs != 0, (1 - (1 - xs**2) ** beta) / np.where(xs != 0, xs, 1.0), 0.0)
    band = np.abs(xs) >= 1 / kappa
    weight = np.where(band, np.abs(xs), 0.3 / kappa)                  # relative error on the band
    for degree in range(1, MAX_DEGREE + 1, 2):
        odd = np.arange(1, degree + 1, 2)
        V = C.chebvander(xs, degree)[:, odd]
        c_odd, *_ = np.linalg.lstsq(V * weight[:, None], h * weight, rcond=None)
        coef = np.zeros(degree + 1)
        coef[odd] = c_odd
        p = C.chebval(xs, coef)
        if np.max(np.abs(p[band] * xs[band] - 1)) <= epsilon:
            scale = 1 / (1.01 * np.max(np.abs(p)))
            return coef * scale, float(scale), degree
    raise ResourceLimitError(f"QSVT inversion for κ = {kappa:.3g}, ε = {epsilon:g} needs a polynomial of degree above "
                             f"{MAX_DEGREE} (D = O(κ·log(κ/ε))); raise ε, or use method 'hhl'")


def amplified_rounds(p: float) -> int:
    """Applications 2k + 1 of the QSVT circuit (and its inverse) that amplitude amplification at
    known success probability p needs, k = ⌈π/(4·arcsin√p) − ½⌉ (Brassard et al. 2002, Thm. 4)."""
    if not 0 < p <= 1:
        raise InvalidParameterError(f"success probability must lie in (0, 1], got {p}")
    return 2 * max(0, math.ceil(math.pi / (4 * math.asin(math.sqrt(p))) - 0.5)) + 1


def qsvt_state(A: np.ndarray, b: np.ndarray, epsilon: float) -> tuple[np.ndarray, float, dict]:
    """Simulate QSVT inversion of Hermitian 2ⁿ-dim ``A`` on |b⟩ with PennyLane's default.qubit.

    Returns the normalised system state, the post-selection probability and circuit facts.
    """
    import pennylane as qml

    from qlsa.block_encodings import dense_dilation

    be = dense_dilation(A)
    s = np.linalg.svd(A / be.alpha_raw, compute_uv=False)
    kappa = float(s[0] / s[-1])
    poly, scale, degree = inverse_polynomial(kappa, epsilon)
    angles = qsvt_angles(poly)
    N = A.shape[0]
    n = int(round(math.log2(N)))
    re, anc, sys = 0, 1, list(range(2, 2 + n))
    wires = [anc] + sys
    U = be.unitary()

    def flatten(op) -> list:      # down to U_A, U_A† and PCPhase, in circuit order (Prod, ChangeOpBasis, …)
        if isinstance(op, (qml.PCPhase, qml.QubitUnitary, qml.ops.op_math.Adjoint)):
            return [op]
        return [leaf for part in op.decomposition() for leaf in flatten(part)]

    sequence = [leaf for op in qml.QSVT(qml.QubitUnitary(U, wires=wires),
                                        [qml.PCPhase(phi, dim=N, wires=wires) for phi in angles]).decomposition()
                for leaf in flatten(op)]
    calls = sum(not isinstance(op, qml.PCPhase) for op in sequence)
    dev = qml.device("default.qubit", wires=2 + n)

    @qml.qnode(dev)
    def circuit():
        qml.StatePrep(b / np.linalg.norm(b), wires=sys)
        qml.Hadamard(re)
        for op in sequence:
            if isinstance(op, qml.PCPhase):           # e^{iφZ_anc} → e^{i(−1)^re φ Z_anc}
                qml.CNOT([re, anc])
                qml.apply(op)
                qml.CNOT([re, anc])
            else:
                qml.apply(op)
        qml.Hadamard(re)
        return qml.state()

    state = np.asarray(circuit()).reshape(2, 2, N)[0, 0]                # re = 0, anc = 0
    p = float(np.vdot(state, state).real)
    info = {"degree": degree, "scale": scale, "kappa": kappa, "angles": len(angles), "qubits": 2 + n,
            "queries": calls, "depth": None,       # default.qubit runs QubitUnitary and PCPhase whole: no gate depth
            "success_probability_raw": p, "amplified_rounds": amplified_rounds(p),
            "gate_counts": {"U_A (QubitUnitary)": calls, "PCPhase": len(angles), "CNOT": 2 * len(angles),
                            "Hadamard": 2},
            "gate_counts_level": "block-encoding calls and projector phases (not decomposed further)"}
    return state / math.sqrt(p), p, info
