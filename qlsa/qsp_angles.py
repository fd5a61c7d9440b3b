"""QSP/QSVT phase factors from Chebyshev coefficients (symmetric QSP, Newton's method).

Convention (PennyLane's QSP, ``qml.poly_to_angles(..., "QSP")``):
U(x, Φ) = e^{iφ₀Z} ∏_{j=1}^{d} W(x) e^{iφ_jZ}, W(x) = [[x, i√(1−x²)], [i√(1−x²), x]], and the
target is Re⟨0|U(x, Φ)|0⟩ = f(x) for a real polynomial f of degree d and parity d mod 2 with
‖f‖_∞ < 1 on [−1, 1].

Method: symmetric phases φ_j = φ_{d−j} leave d̃ = ⌈(d+1)/2⌉ unknowns; matching f at the d̃
positive Chebyshev nodes x_k = cos((2k−1)π/(4d̃)) fixes a parity polynomial of degree ≤ d, so
Φ solves a square system r(Φ) = 0, started from Φ⁰ = (π/4, 0, …, 0, π/4) (where
Re⟨0|U|0⟩ ≡ 0). Dong, Lin, Ni & Wang (SIAM J. Sci. Comput. 46 (2024); "Infinite quantum signal
processing", Quantum 8 (2024)) prove Newton's method converges from Φ⁰ for ‖f‖_∞ < 1 and that
the Jacobian there is J₀ = 2·T_{d−2j}(x_k) — a DCT-IV matrix for odd d, so J₀⁻¹ costs one DCT.
We solve the preconditioned system J₀⁻¹·r(Φ) = 0 by Newton–Krylov (scipy ``newton_krylov``,
GMRES inner steps). r is evaluated in O(d log² d): U(θ) = e^{iφ₀Z}∏ e^{iθX}e^{iφ_jZ} is
w^{−d}·M(w²), w = e^{iθ}, with M a 2×2 matrix polynomial of degree d built by divide-and-conquer
FFT products of the linear factors ((I+X)/2·u + (I−X)/2)·e^{iφ_jZ}; the nodes are rotated roots
of unity, so one FFT evaluates M at all of them. Degree 10⁴ takes about ten seconds. The target
enters only through its values on the nodes, so no monomial coefficients (which grow like 2^d
and lose double precision past d ≈ 40) are ever formed — the reason this exists beside
``qml.poly_to_angles``, whose public interface takes monomials.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as C

from .errors import InvalidParameterError, ResourceLimitError

MAX_NEWTON_STEPS = 60
MAX_DEGREE = 20001


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


def _response_at_nodes(phases: np.ndarray, half: int) -> np.ndarray:
    """Re⟨0|U(x_k, Φ)|0⟩ at the ``half`` positive Chebyshev nodes (module docstring), O(d log² d)."""
    d = len(phases) - 1
    e = np.exp(1j * np.asarray(phases, dtype=float))
    if d == 0:
        return np.full(half, e[0].real)
    phase = np.zeros((d, 2, 2), dtype=complex)                 # e^{iφ_jZ}, j = 1…d
    phase[:, 0, 0], phase[:, 1, 1] = e[1:], 1 / e[1:]
    mats = np.empty((d, 2, 2, 2), dtype=complex)               # factor j: ((I−X)/2 + (I+X)/2·u)·e^{iφ_jZ}
    mats[..., 0] = np.array([[0.5, -0.5], [-0.5, 0.5]]) @ phase
    mats[..., 1] = np.full((2, 2), 0.5) @ phase
    mats[0, 0] *= e[0]                                          # e^{iφ₀Z} on the left
    mats[0, 1] /= e[0]
    while mats.shape[0] > 1:                                    # ordered pairwise products by FFT
        if mats.shape[0] % 2:
            eye = np.zeros((1, 2, 2, mats.shape[-1]), dtype=complex)
            eye[0, 0, 0, 0] = eye[0, 1, 1, 0] = 1
            mats = np.concatenate([mats, eye])
        length = 2 * mats.shape[-1] - 1
        f = np.fft.fft(mats, 1 << (length - 1).bit_length(), axis=-1)
        mats = np.fft.ifft(np.einsum("bijl,bjkl->bikl", f[0::2], f[1::2]), axis=-1)[..., :length]
    c = mats[0, 0, 0, :d + 1]
    m = 2 * half                                                # u_k = ρ·ω^{k−1}, ω = e^{2πi/m}, ρ = e^{iπ/m}
    values = m * np.fft.ifft(np.pad(c * np.exp(1j * math.pi / m * np.arange(d + 1)), (0, m - d - 1)))[:half]
    theta = (2 * np.arange(1, half + 1) - 1) * math.pi / (4 * half)
    return (values * np.exp(-1j * d * theta)).real


def qsp_phases(chebyshev_coef: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Symmetric QSP phases Φ (length d+1) with Re⟨0|U(x, Φ)|0⟩ = Σ_k c_k T_k(x).

    ``chebyshev_coef`` must have a definite parity and sup-norm < 1 on [−1, 1]
    (:class:`InvalidParameterError` otherwise); raises :class:`ResourceLimitError` if the solve
    does not reach ``tol`` on the nodes.
    """
    from scipy.fft import dct
    from scipy.linalg import lu_factor, lu_solve
    from scipy.optimize import NoConvergence, newton_krylov

    c = np.trim_zeros(np.asarray(chebyshev_coef, dtype=float), "b")
    d = len(c) - 1
    if d < 0 or np.any(c[1 - d % 2::2] != 0):
        raise InvalidParameterError("QSP needs a non-zero polynomial of definite parity (all odd or all even degrees)")
    if d > MAX_DEGREE:
        raise ResourceLimitError(f"QSP phases of degree {d} exceed the {MAX_DEGREE} solved here; lower the degree")
    half = (d + 2) // 2                                   # d̃ = ⌈(d+1)/2⌉ free phases
    nodes = np.cos((2 * np.arange(1, half + 1) - 1) * math.pi / (4 * half))
    target = C.chebval(nodes, c)
    if _sup_on_grid(c) >= 1:
        raise InvalidParameterError("QSP needs |f| < 1 on [−1, 1]; scale the polynomial down")

    def full(reduced: np.ndarray) -> np.ndarray:          # (d̃,) → (d+1,) with φ_j = φ_{d−j}
        mirror = reduced[::-1]
        return np.concatenate([reduced, mirror if d % 2 else mirror[1:]])

    if d % 2:        # J₀ = 2·T_{d−2j}(x_k) = 2·DCT-IV with reversed columns; DCT-IV² = (d̃/2)·I
        def precondition(r: np.ndarray) -> np.ndarray:
            return (dct(r, type=4) / (2 * half))[::-1]
    else:
        lu = lu_factor(2 * np.cos(np.outer(np.arccos(nodes), d - 2 * np.arange(half))))

        def precondition(r: np.ndarray) -> np.ndarray:
            return lu_solve(lu, r)

    def residual(reduced: np.ndarray) -> np.ndarray:
        return precondition(_response_at_nodes(full(reduced), half) - target)

    start = np.zeros(half)
    start[0] = math.pi / 4
    try:
        reduced = newton_krylov(residual, start, f_tol=tol / 4, method="gmres", maxiter=MAX_NEWTON_STEPS)
    except (NoConvergence, ValueError) as exc:
        raise ResourceLimitError(f"QSP phase solve for a degree-{d} polynomial did not converge in {MAX_NEWTON_STEPS} "
                                 f"Newton steps ({exc}); lower the degree or scale the polynomial further below 1") \
            from None
    err = np.max(np.abs(_response_at_nodes(full(reduced), half) - target))
    if not err <= tol * max(1.0, d / 100):
        raise ResourceLimitError(f"QSP phase solve for a degree-{d} polynomial stopped at residual {err:.2g}; "
                                 "lower the degree")
    return full(reduced)


def _sup_on_grid(c: np.ndarray) -> float:
    """max |Σ c_k T_k(cos θ)| on θ = πm/M, M ≥ 8(d + 1), by FFT (Σ c_k cos kθ is the real part of a DFT)."""
    m = 1 << (8 * len(c)).bit_length()
    return float(np.max(np.abs(np.fft.rfft(c, 2 * m).real)))


def qsvt_angles(chebyshev_coef: np.ndarray) -> np.ndarray:
    """QSVT projector-phase angles for ``qml.QSVT``/``qml.PCPhase`` (``qml.transform_angles`` QSP → QSVT)."""
    import pennylane as qml

    return np.asarray(qml.transform_angles(qsp_phases(chebyshev_coef), "QSP", "QSVT"))
