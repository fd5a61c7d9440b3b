"""Block solvers for the Newton step H x = g.

Classical: Cholesky (SPD), LU when Cholesky fails, least squares when LU is singular —
never an explicit inverse; by torch on the block's device (the CPU for an ndarray), so that the
step's dense algebra shares the curvature capture's one thread pool (:mod:`hessians.gram`).
Quantum (simulated honestly): a QLSA returns the normalised state
|x̃⟩ with ‖|x̃⟩ − |x⟩‖ ≤ ε, and the norm ‖x‖ is read out separately to relative error ε
(amplitude estimation); we draw both errors at their bound in a random direction, i.e.
x̃ = ‖x‖(1 + ε·s)·(√(1 − ε²)·x̂ + ε·ẑ), ẑ ⊥ x̂ a random unit vector, s = ±1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from hessians.prune_resident import probe_products
from qlsa.matrices import probe_says_hermitian


@dataclass(frozen=True)
class SolveResult:
    x: np.ndarray | torch.Tensor      # an ndarray, or a tensor on the block's device
    method: str


def classical_solve(H: np.ndarray | sp.sparray | torch.Tensor, g: np.ndarray | torch.Tensor,
                    cholesky: torch.Tensor | None = None) -> SolveResult:
    """Solve H x = g by Cholesky where H is symmetric, else (or where Cholesky fails) by LU, then
    least squares. (Cholesky reads one triangle, so a non-symmetric H must not reach it.)
    ``cholesky``: H's lower factor where the caller has it already (pruning's PD test; H is then
    not read). An ndarray H and g are solved as float64 CPU tensors on their memory and give an
    ndarray; a tensor H gives a tensor on its device, with only the symmetry probe's n-vectors and
    the factorisations' status codes reaching the host."""
    if isinstance(g, torch.Tensor):
        return _tensor_solve(H, g, cholesky)
    dense = None if cholesky is not None else _host_tensor(H)
    r = _tensor_solve(dense, _host_tensor(g), cholesky)
    return SolveResult(r.x.numpy(), r.method)


def _host_tensor(a: np.ndarray) -> torch.Tensor:
    """a as a float64 CPU tensor on its own memory (copied only where it is another dtype or
    read-only: torch has no read-only tensors)."""
    return torch.from_numpy(np.require(a, np.float64, ["W"]))


def _tensor_solve(H: torch.Tensor | None, g: torch.Tensor, factor: torch.Tensor | None) -> SolveResult:
    if factor is None and probe_says_hermitian(*probe_products(H)):
        L, info = torch.linalg.cholesky_ex(H)
        factor = L if int(info) == 0 else None
    if factor is not None:           # two triangular solves on L as it is (cholesky_solve copies L: n² more bytes)
        y = torch.linalg.solve_triangular(factor, g[:, None], upper=False)
        return SolveResult(torch.linalg.solve_triangular(factor.mT, y, upper=True)[:, 0], "cholesky")
    x, info = torch.linalg.solve_ex(H, g)
    if int(info) == 0 and bool(torch.isfinite(x).all()):
        return SolveResult(x, "lu")
    return SolveResult(torch.linalg.lstsq(H, g[:, None]).solution[:, 0], "lstsq")


def quantum_solve(H: np.ndarray | torch.Tensor, g: np.ndarray | torch.Tensor, epsilon: float,
                  rng: np.random.Generator, cholesky: torch.Tensor | None = None) -> SolveResult:
    """The exact solution perturbed at the QLSA's error ε in state and norm (see module doc)."""
    x = classical_solve(H, g, cholesky).x
    on_device = isinstance(x, torch.Tensor)
    norm = float(torch.linalg.vector_norm(x) if on_device else np.linalg.norm(x))
    if norm == 0.0 or len(x) == 1:
        return SolveResult(x * (1 + epsilon * rng.choice((-1.0, 1.0))), "qlsa-sim")
    xhat = x / norm
    z = rng.standard_normal(len(x))                  # drawn on the host: the same stream either way
    z = torch.from_numpy(z).to(x.device) if on_device else z
    z -= (z @ xhat) * xhat
    z /= float(torch.linalg.vector_norm(z) if on_device else np.linalg.norm(z))
    state = math.sqrt(1 - epsilon**2) * xhat + epsilon * z
    return SolveResult(norm * (1 + epsilon * rng.choice((-1.0, 1.0))) * state, "qlsa-sim")
