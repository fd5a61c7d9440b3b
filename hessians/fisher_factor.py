"""Empirical Fisher in factored form, for models too large for a dense P×P block.

F = (1/B)·GᵀG with G (B×P) the per-sample gradients (``torch.func.vmap(grad)``), each
flattened like :func:`hessians.flat_gradient`. Storing G costs B·P numbers instead of P²
(B = 256, P = 10⁶ in float32: 1 GiB instead of 4 TB). The non-zero eigenvalues of F are
those of the B×B Gram matrix GGᵀ/B, so for the damped F + δI (DESIGN.md §3.4)
κ = (λ_max + δ)/δ exactly whenever B < P.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla
import torch
from torch.func import functional_call, grad, vmap

from qlsa.errors import InvalidParameterError

from .blocks import trainable_parameters
from .capture import _loss, check_per_sample


@dataclass(frozen=True)
class FisherFactor:
    """F = GᵀG/B held as G (B×P)."""

    per_sample_gradients: torch.Tensor

    @property
    def shape(self) -> tuple[int, int]:
        p = self.per_sample_gradients.shape[1]
        return p, p

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """F·v = Gᵀ(G·v)/B in O(B·P)."""
        G = self.per_sample_gradients
        x = torch.as_tensor(np.asarray(v), dtype=G.dtype)
        return (G.T @ (G @ x) / G.shape[0]).numpy()

    def eigenvalues(self) -> np.ndarray:
        """Non-zero spectrum of F (ascending): eigenvalues of the B×B Gram matrix GGᵀ/B
        (the Gram product in G's dtype, its eigenvalues in float64)."""
        G = self.per_sample_gradients
        gram = (G @ G.T).double() / G.shape[0]
        return np.clip(torch.linalg.eigvalsh((gram + gram.T) / 2).numpy(), 0.0, None)

    def kappa(self, delta: float) -> float:
        """κ(F + δI) = (λ_max + δ)/(λ_min + δ), λ_min = 0 when B < P (exact, no iteration)."""
        if not delta > 0:
            raise InvalidParameterError(f"damping δ must be > 0, got {delta}")
        lam = self.eigenvalues()
        lam_min = 0.0 if self.per_sample_gradients.shape[0] < self.shape[0] else float(lam[0])
        return (float(lam[-1]) + delta) / (lam_min + delta)

    def as_linear_operator(self, delta: float = 0.0) -> spla.LinearOperator:
        """F + δI as a SciPy LinearOperator (for Lanczos, CG, or :func:`estimators.condition_number`)."""
        return spla.LinearOperator(self.shape, matvec=lambda v: self.matvec(v) + delta * np.asarray(v).ravel(),
                                   dtype=np.float64)


def fisher_factor(model: torch.nn.Module, loss_fn, inputs: torch.Tensor, targets: torch.Tensor,
                  chunk_size: int = 64) -> FisherFactor:
    """Per-sample gradients of ``loss_fn`` over the batch, ``chunk_size`` samples per vmap call."""
    if chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be ≥ 1, got {chunk_size}")
    check_per_sample(model, "fisher_factor", "capture the GGN (kind='ggn')")
    params = {n: p.detach() for n, p in trainable_parameters(model).items()}
    with torch.no_grad():
        _loss(model, loss_fn, params, inputs, targets)   # scalar and finite, or a clear error

    def sample_loss(p, x, y):
        return loss_fn(functional_call(model, p, (x.unsqueeze(0),)), y.unsqueeze(0))

    per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    total = sum(p.numel() for p in params.values())
    G = torch.empty((inputs.shape[0], total), dtype=next(iter(params.values())).dtype)
    for start in range(0, inputs.shape[0], chunk_size):
        stop = min(start + chunk_size, inputs.shape[0])
        g = per_sample(params, inputs[start:stop], targets[start:stop])
        off = 0
        for n in params:
            k = params[n].numel()
            G[start:stop, off:off + k] = g[n].reshape(stop - start, k)
            off += k
    if not torch.isfinite(G).all():
        raise InvalidParameterError("per-sample gradients have NaN/Inf entries; check the data and parameters")
    return FisherFactor(G)
