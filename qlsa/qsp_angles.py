"""QSP/QSVT phase factors from Chebyshev coefficients (symmetric QSP, Newton's method).

Convention (PennyLane's QSP, ``qml.poly_to_angles(..., "QSP")``):
U(x, Φ) = e^{iφ₀Z} ∏_{j=1}^{d} W(x) e^{iφ_jZ}, W(x) = [[x, i√(1−x²)], [i√(1−x²), x]], and the
target is Re⟨0|U(x, Φ)|0⟩ = f(x) for a real polynomial f of degree d and parity d mod 2 with
‖f‖_∞ < 1 on [−1, 1].

Method: symmetric phases φ_j = φ_{d−j} leave d̃ = ⌈(d+1)/2⌉ unknowns; matching f at the d̃
positive Chebyshev nodes x_k = cos((2k−1)π/(4d̃)) fixes a parity polynomial of degree ≤ d, so
Φ solves a square system, started from Φ⁰ = (π/4, 0, …, 0, π/4) (where Re⟨0|U|0⟩ ≡ 0) and
solved by Newton's method (forward-difference Jacobian, h = 1e-7) — Dong, Lin, Ni & Wang, "Robust iterative method for symmetric
quantum signal processing in all parameter regimes", SIAM J. Sci. Comput. 46 (2024), who
prove convergence from Φ⁰ for every ‖f‖_∞ < 1. The target enters only through its values
on the nodes, computed from the Chebyshev series, so no monomial coefficients (which grow
like 2^d and lose double precision past d ≈ 40) are ever formed — the reason this exists
beside ``qml.poly_to_angles``, whose public interface takes monomials.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as C

from .errors import InvalidParameterError, ResourceLimitError

MAX_NEWTON_STEPS = 60


def qsp_response(phases: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Re⟨0|U(x, Φ)|0⟩ for each row of ``phases`` (shape (m, d+1) or (d+1,)) at the points ``x``.

    Propagates the first row of U: r ← r·W(x)·e^{iφ_jZ}, starting from r = (e^{iφ₀}, 0).
    """
    phases = np.atleast_2d(phases)
    x = np.asarray(x, dtype=float)[None, :]
    s = 1j * np.sqrt(np.clip(1 - x * x, 0.0, None))
    r0 = np.exp(1j * phases[:, :1]) * np.ones_like(x, dtype=complex)
    r1 = np.zeros_like(r0)
    for j in range(1, phases.shape[1]):
        e = np.exp(1j * phases[:, j:j + 1])
        r0, r1 = (r0 * x + r1 * s) * e, (r0 * s + r1 * x) / e
    return r0.real


def qsp_phases(chebyshev_coef: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Symmetric QSP phases Φ (length d+1) with Re⟨0|U(x, Φ)|0⟩ = Σ_k c_k T_k(x).

    ``chebyshev_coef`` must have a definite parity and sup-norm < 1 on [−1, 1]
    (:class:`InvalidParameterError` otherwise); raises :class:`ResourceLimitError` if Newton's method does not reach ``tol`` on the nodes.
    """
    c = np.trim_zeros(np.asarray(chebyshev_coef, dtype=float), "b")
    d = len(c) - 1
    if d < 0 or np.any(c[1 - d % 2::2] != 0):
        raise InvalidParameterError("QSP needs a non-zero polynomial of definite parity (all odd or all even degrees)")
    half = (d + 2) // 2                                   # d̃ = ⌈(d+1)/2⌉ free phases
    nodes = np.cos((2 * np.arange(1, half + 1) - 1) * math.pi / (4 * half))
    target = C.chebval(nodes, c)
    if np.max(np.abs(C.chebval(np.cos(np.linspace(0, math.pi, 8 * d + 9)), c))) >= 1:
        raise InvalidParameterError("QSP needs |f| < 1 on [−1, 1]; scale the polynomial down")

    def full(reduced: np.ndarray) -> np.ndarray:          # (…, d̃) → (…, d+1) with φ_j = φ_{d−j}
        mirror = reduced[..., ::-1]
        return np.concatenate([reduced, mirror if d % 2 else mirror[..., 1:]], axis=-1)

    reduced = np.zeros(half)
    reduced[0] = math.pi / 4
    h = 1e-7
    for _ in range(MAX_NEWTON_STEPS):
        probes = reduced + np.vstack([np.zeros(half), h * np.eye(half)])
        values = qsp_response(full(probes), nodes)
        residual = values[0] - target
        if np.max(np.abs(residual)) <= tol:
            return full(reduced)
        jac = (values[1:] - values[0]).T / h
        reduced = reduced - np.linalg.solve(jac, residual)
    raise ResourceLimitError(f"QSP phase solve for a degree-{d} polynomial did not converge in {MAX_NEWTON_STEPS} "
                             f"Newton steps (residual {np.max(np.abs(residual)):.2g}); lower the degree")


def qsvt_angles(chebyshev_coef: np.ndarray) -> np.ndarray:
    """QSVT projector-phase angles for ``qml.QSVT``/``qml.PCPhase`` (``qml.transform_angles`` QSP → QSVT)."""
    import pennylane as qml

    return np.asarray(qml.transform_angles(qsp_phases(chebyshev_coef), "QSP", "QSVT"))
