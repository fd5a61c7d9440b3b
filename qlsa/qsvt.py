"""QSVT matrix inversion through PennyLane (``qml.QSVT``, ``qml.BlockEncode``, ``qml.PCPhase``).

Polynomial: on the spectrum of Â = A/‖A‖₂ (|x| ∈ [1/κ, 1]) an odd polynomial p with
|x·p(x) − 1| ≤ ε there, and |p| ≤ 1 on [−1, 1] after scaling. It is the weighted
least-squares fit, in odd Chebyshev polynomials, of the odd polynomial
h(x) = (1 − (1 − x²)^β)/x with β = ⌈κ²·ln(κ/ε)⌉ (Childs, Kothari, Somma, SIAM J. Comput. 46,
1920 (2017), Lemma 17; Gilyén, Su, Low, Wiebe 2019, Cor. 69), weighted for relative error on
±[1/κ, 1]; the degree D is the smallest odd one meeting ε (D = O(κ·log(κ/ε))), and the
scale s = 1/(1.01·max_{[−1,1]}|p|).

QSVT with real angles leaves P(Â) + i·Q(Â) in the top-left block; the real part P(Â) is
taken with one more qubit: ½(U_Φ + U_{−Φ}) by a Hadamard-controlled pair (U_{−Φ} is the
complex conjugate of U_Φ for a real block-encoding).

Angles: :func:`qlsa.qsp_angles.qsvt_angles` solves the symmetric-QSP phases from the
Chebyshev coefficients by Newton's method and converts them with ``qml.transform_angles``.
``qml.poly_to_angles`` takes monomial coefficients, which grow like 2^D and carry no
precision past D ≈ 40 (κ ≈ 5 at ε = 0.05); the Chebyshev route reaches D = MAX_DEGREE.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as C

from qlsa.errors import ResourceLimitError
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


def qsvt_state(A: np.ndarray, b: np.ndarray, epsilon: float) -> tuple[np.ndarray, float, dict]:
    """Simulate QSVT inversion of Hermitian 2ⁿ-dim ``A`` on |b⟩ with PennyLane's default.qubit.

    Returns the normalised system state, the post-selection probability and circuit facts.
    """
    import pennylane as qml

    norm = float(np.linalg.norm(A, 2))
    Ahat = A / norm
    s = np.linalg.svd(Ahat, compute_uv=False)
    kappa = float(s[0] / s[-1])
    poly, scale, degree = inverse_polynomial(kappa, epsilon)
    angles = qsvt_angles(poly)
    N = A.shape[0]
    n = int(round(math.log2(N)))
    ctrl, anc, sys = 0, 1, list(range(2, 2 + n))
    wires = [anc] + sys

    def qsvt(phis):
        return qml.QSVT(qml.BlockEncode(Ahat, wires=wires), [qml.PCPhase(p, dim=N, wires=wires) for p in phis])

    dev = qml.device("default.qubit", wires=2 + n)

    @qml.qnode(dev)
    def circuit():
        qml.StatePrep(b / np.linalg.norm(b), wires=sys)
        qml.Hadamard(ctrl)
        qml.ctrl(qsvt(angles), control=ctrl, control_values=0)
        qml.ctrl(qsvt(-np.asarray(angles)), control=ctrl, control_values=1)
        qml.Hadamard(ctrl)
        return qml.state()

    state = np.asarray(circuit()).reshape(2, 2, N)[0, 0]                # ctrl = 0, anc = 0
    p = float(np.vdot(state, state).real)
    specs = qml.specs(circuit)()
    resources = specs["resources"] if isinstance(specs, dict) else specs.resources
    info = {"degree": degree, "scale": scale, "kappa": kappa, "angles": len(angles), "qubits": 2 + n,
            "queries": 2 * degree, "depth": None,       # default.qubit runs the templates whole: no gate depth
            "gate_counts": dict(getattr(resources, "gate_types", {})),
            "gate_counts_level": "PennyLane templates (QSVT, BlockEncode, PCPhase are not decomposed)"}
    return state / math.sqrt(p), p, info
