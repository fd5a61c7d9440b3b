"""Pruning with the block left on its own device (a CUDA block stays there): the ``symmetric``
strategy of :func:`hessians.prune.prune`, the same selection, values, repair and result, with
torch doing the work where the block is.

What crosses to the host: the symmetry probe's two n-vectors, the pruned block as CSR (at most
n·d entries, the input of κ and the cost estimate), and scalars. The dense pruned block and its
Cholesky factor stay on the device for the solve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from qlsa.checks import check_finite_nonnegative
from qlsa.matrices import hermitian_probe

from .pair_rounds import greedy_pairs_rounds
from .prune import PruneResult, _budgets, _shifted, check_probe, extreme_pair, repair_note, repair_shift


@dataclass(frozen=True)
class ResidentPrune:
    """:func:`prune_resident`'s result: ``result`` as :func:`~hessians.prune.prune` gives it (its
    CSR on the host; ``cholesky`` None), ``matrix`` the pruned (and repaired) block, dense float64
    on the block's device, and ``factor`` its lower Cholesky factor there (None: not positive
    definite and not repaired)."""

    result: PruneResult
    matrix: torch.Tensor
    factor: torch.Tensor | None


def probe_products(A: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Ax and xᵀA in float64 for :func:`qlsa.matrices.is_hermitian`'s probe x, computed on A's
    device; only the two n-vectors come to the host."""
    x = torch.from_numpy(hermitian_probe(A.shape[0])).to(A.device)
    A = A if A.dtype == torch.float64 else A.double()
    return (A @ x).cpu().numpy(), (x @ A).cpu().numpy()


def prune_resident(H: torch.Tensor, d: int, lambda_min: float | None = None, shift: float = 0.0,
                   repair: bool = True) -> ResidentPrune:
    """``prune(H, d, track_eigs=False, lambda_min=lambda_min, shift=shift)`` on H's device.

    The pairs are chosen by :func:`~hessians.pair_rounds.greedy_pairs_rounds` (the greedy's
    pairs, in parallel rounds), the PD test and repair are torch's Cholesky on the device, and
    λ_min(P) for a repair is read from the host CSR exactly as ``prune`` reads it, so the result
    is ``prune``'s. One difference: without ``lambda_min``, a repair's floor λ_min(H + shift·I) is
    torch's eigvalsh on the device (exact), where ``prune`` uses Lanczos beyond n = 256.
    """
    check_finite_nonnegative(shift, "shift")
    n = H.shape[0]
    budget = torch.from_numpy(_budgets(H, d, None)).to(H.device)
    H = H.detach()
    A = H.to(torch.float64, copy=True)                      # becomes the pruned block, in place
    check_probe(*probe_products(A))
    diagonal = A.diagonal() + shift
    rows, cols = greedy_pairs_rounds(H, (budget - (diagonal != 0).long()).clamp(min=0))
    keep = torch.zeros((n, n), dtype=torch.bool, device=H.device)
    keep[rows, cols] = keep[cols, rows] = True
    keep.diagonal().copy_(diagonal != 0)
    P = A.masked_fill_(~keep, 0.0)
    P.diagonal().copy_(diagonal)
    del keep
    r, c = torch.nonzero(P, as_tuple=True)                  # row-major: P's non-zeros are the kept entries
    indptr = torch.zeros(n + 1, dtype=torch.int32, device=H.device)
    indptr[1:] = torch.cumsum(torch.bincount(r, minlength=n), 0)
    S = sp.csr_matrix((P[r, c].cpu().numpy(), c.to(torch.int32).cpu().numpy(), indptr.cpu().numpy()), shape=(n, n))
    del r, c
    count = int(torch.count_nonzero(H)) + int(torch.count_nonzero(diagonal)) - int(torch.count_nonzero(H.diagonal()))
    base = diagonal.clone()

    def factorize(delta: float) -> torch.Tensor | None:
        if delta:
            P.diagonal().copy_(base + delta)
        L, info = torch.linalg.cholesky_ex(P)
        return L if int(info) == 0 else None

    t_factor = time.perf_counter()
    factor = factorize(0.0)
    t_factor = time.perf_counter() - t_factor
    broke_pd = factor is None
    nan = (float("nan"), float("nan"))
    before, after, error, notes, damping = nan, nan, nan, [], 0.0
    if repair and broke_pd:
        r = extreme_pair(S)
        after, error = (r.lo, r.hi), (r.err_lo, r.err_hi)
        if lambda_min is None:
            ev = torch.linalg.eigvalsh(H.double())
            before = (float(ev[0]) + shift, float(ev[-1]) + shift)
        t0 = time.perf_counter()
        damping, factor = repair_shift(factorize, after, before[0] if lambda_min is None else lambda_min)
        t_factor += time.perf_counter() - t0
        S = _shifted(S, damping)
        notes.append(repair_note(after, damping))
        after = (after[0] + damping, after[1] + damping)
    result = PruneResult(S, int(np.diff(S.indptr).max()), float(S.nnz / max(count, 1)), damping, before, after,
                         tuple(notes), "symmetric", True, broke_pd, None, t_factor, error)
    return ResidentPrune(result, P, factor)
