"""Block solvers for the Newton step H x = g.

Classical: Cholesky (SPD), LU when Cholesky fails, least squares when LU is singular —
never an explicit inverse. Quantum (simulated honestly): a QLSA returns the normalised state
|x̃⟩ with ‖|x̃⟩ − |x⟩‖ ≤ ε, and the norm ‖x‖ is read out separately to relative error ε
(amplitude estimation); we draw both errors at their bound in a random direction, i.e.
x̃ = ‖x‖(1 + ε·s)·(√(1 − ε²)·x̂ + ε·ẑ), ẑ ⊥ x̂ a random unit vector, s = ±1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from qlsa.matrices import is_hermitian


@dataclass(frozen=True)
class SolveResult:
    x: np.ndarray
    method: str


def classical_solve(H: np.ndarray, g: np.ndarray, cholesky: tuple | None = None) -> SolveResult:
    """Solve H x = g by Cholesky where H is symmetric, else (or where Cholesky fails) by LU, then
    least squares. (Cholesky reads one triangle, so a non-symmetric H must not reach it.)
    ``cholesky``: H's ``cho_factor`` where the caller has it already (pruning's PD test)."""
    if cholesky is not None:
        return SolveResult(sla.cho_solve(cholesky, g, check_finite=False), "cholesky")
    if is_hermitian(H):
        try:
            return SolveResult(sla.cho_solve(sla.cho_factor(H, check_finite=False), g, check_finite=False),
                               "cholesky")
        except sla.LinAlgError:
            pass
    try:
        with np.errstate(all="raise"):
            return SolveResult(sla.solve(H, g, check_finite=False), "lu")
    except (sla.LinAlgError, FloatingPointError):
        return SolveResult(sla.lstsq(H, g, check_finite=False)[0], "lstsq")


def quantum_solve(H: np.ndarray, g: np.ndarray, epsilon: float, rng: np.random.Generator,
                  cholesky: tuple | None = None) -> SolveResult:
    """The exact solution perturbed at the QLSA's error ε in state and norm (see module doc)."""
    x = classical_solve(H, g, cholesky).x
    norm = float(np.linalg.norm(x))
    if norm == 0.0 or x.size == 1:
        return SolveResult(x * (1 + epsilon * rng.choice((-1.0, 1.0))), "qlsa-sim")
    xhat = x / norm
    z = rng.standard_normal(x.size)
    z -= (z @ xhat) * xhat
    z /= np.linalg.norm(z)
    state = np.sqrt(1 - epsilon**2) * xhat + epsilon * z
    return SolveResult(norm * (1 + epsilon * rng.choice((-1.0, 1.0))) * state, "qlsa-sim")
