"""QSVT matrix inversion through PennyLane (``qml.QSVT``, ``qml.QubitUnitary``, ``qml.PCPhase``).

Polynomial: on the spectrum of Â = A/‖A‖₂ (|x| ∈ [1/κ, 1]) the odd polynomial of least degree
with |x·p(x) − 1| ≤ ε there. With y = x², 1 − x·p(x) is a polynomial q of degree ℓ in y with
q(0) = 1, and the one of least sup-norm on [1/κ², 1] is the shifted Chebyshev polynomial
(the Chebyshev-iteration residual polynomial; Golub & Varga 1961, Saad, *Iterative Methods*,
Thm. 6.25):

    p(x) = (1 − T_ℓ(z(x))/T_ℓ(z₀))/x,  z(x) = (1 + 1/κ² − 2x²)/(1 − 1/κ²),  z₀ = z(0),

of degree D = 2ℓ − 1 and relative error 1/T_ℓ(z₀) on the band, so the minimax degree is
D = 2⌈arccosh(1/ε)/arccosh(z₀)⌉ − 1 ≈ κ·ln(2/ε) (e.g. 21 at κ = 4, 53 at κ = 10, ε = 0.01;
:func:`optimal_degree`), against O(κ·log(κ/ε)) for Childs–Kothari–Somma. Its Chebyshev
coefficients come from its values at D + 1 Chebyshev nodes by a DCT (exact interpolation);
the value near x = 0, where 1 − T/T₀ cancels, is taken from cosh differences. The QSVT
scale is s = 1/(1.01·max_{[−1,1]}|p|).

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
Chebyshev coefficients (preconditioned Newton–Krylov, O(d log² d) per residual) and converts
them with ``qml.transform_angles``; degree 5 299 (κ = 1000, ε = 0.01) takes about 3 s.
``qml.poly_to_angles`` takes monomial coefficients, which grow like 2^D and carry no
precision past D ≈ 40 (κ ≈ 5 at ε = 0.05). Counts for any degree need no phases.
"""

from __future__ import annotations

import math

import numpy as np

from qlsa.errors import InvalidParameterError, ResourceLimitError
from qlsa.qsp_angles import MAX_DEGREE, qsvt_angles


def optimal_degree(kappa: float, epsilon: float) -> int:
    """D = 2ℓ − 1, ℓ = ⌈arccosh(1/ε)/arccosh(z₀)⌉, z₀ = (κ² + 1)/(κ² − 1): the least odd degree with
    relative error ≤ ε on ±[1/κ, 1] (module docstring). Needs no fit, so it serves any κ."""
    if not kappa > 1:
        return 1                                        # κ = 1: p(x) = 1/x on |x| = 1 is x itself
    return 2 * math.ceil(math.acosh(1 / epsilon) / _acosh_z0(kappa)) - 1


def _acosh_z0(kappa: float) -> float:
    """arccosh z₀ = arccosh(1 + t), t = 2/(κ² − 1), as log1p(t + √(t(t + 2))): exact for κ ≫ 1e8 too."""
    t = 2 / ((kappa - 1) * (kappa + 1))
    return math.log1p(t + math.sqrt(t * (t + 2)))


def _inverse_values(x: np.ndarray, kappa: float, ell: int) -> np.ndarray:
    """p(x) = (1 − T_ℓ(z)/T_ℓ(z₀))/x at ``x``, stable near x = 0 (cosh a − cosh b = 2 sinh((a+b)/2)·
    sinh((a−b)/2), with arccosh z₀ − arccosh z from log1p)."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    r = 1 - 1 / kappa**2
    z0 = (1 + 1 / kappa**2) / r
    z = z0 - 2 * ax**2 / r
    th0, s0 = _acosh_z0(kappa), math.sqrt(z0 * z0 - 1)
    t0 = math.cosh(ell * th0)
    out = np.empty_like(ax)
    hyp = z > 1
    zh = z[hyp]
    sh = np.sqrt(zh * zh - 1)
    delta = 2 * ax[hyp] ** 2 / r
    gap = np.log1p(delta * (1 + (z0 + zh) / (s0 + sh)) / (zh + sh))        # arccosh z₀ − arccosh z
    th = th0 - gap
    out[hyp] = 2 * np.sinh(ell * (th0 + th) / 2) * np.sinh(ell * gap / 2) / t0
    out[~hyp] = 1 - np.cos(ell * np.arccos(np.clip(z[~hyp], -1, 1))) / t0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ax > 0, np.sign(x) * out / np.where(ax > 0, ax, 1), 0.0)


def inverse_polynomial(kappa: float, epsilon: float) -> tuple[np.ndarray, float, int]:
    """Chebyshev coefficients of s·p(x) ≈ s/x on ±[1/κ, 1] (minimax in relative error), the scale s
    and the degree D = :func:`optimal_degree`."""
    from scipy.fft import dct

    degree = optimal_degree(kappa, epsilon)
    ell = (degree + 1) // 2
    if degree == 1:
        coef = np.array([0.0, 1.0])
    else:
        m = degree + 1
        nodes = np.cos(math.pi * (np.arange(m) + 0.5) / m)
        coef = dct(_inverse_values(nodes, kappa, ell), type=2) / m
        coef[0] /= 2
        coef[0::2] = 0.0                               # odd by construction; clear the rounding
    grid = np.cos(np.linspace(0, math.pi, 8 * degree + 9))
    peak = float(np.max(np.abs(_inverse_values(grid, kappa, ell)))) if degree > 1 else 1.0
    scale = 1 / (1.01 * peak)
    return coef * scale, scale, degree


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
    if degree > MAX_DEGREE:
        raise ResourceLimitError(f"QSVT inversion for κ = {kappa:.3g}, ε = {epsilon:g} needs degree {degree}, above the "
                                 f"{MAX_DEGREE} whose phases are solved; raise ε, or count it without simulating")
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
