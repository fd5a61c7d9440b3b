"""Symmetry-aware pruning and regularisation of curvature blocks (DESIGN.md §3.5, paper §IV-D).

Pruning (default ``symmetric``; ``random``, ``banded`` and the paper code's ``rowwise`` are the
baselines of Figure 2(g)): the diagonal is always kept; off-diagonal pairs (i, j)/(j, i) are visited by
decreasing |h_ij| and kept together while both row i and row j hold fewer than their budget
d_i (d for all rows, or each row's p%-sparsity). The result is exactly symmetric with at most
d_i non-zeros in row i. If it is no longer positive definite it is repaired by δ·I with
δ = λ_min(H) − λ_min(H_pruned) + margin (so λ_min returns to the unpruned value, or to a lower
bound of it that the caller knows), and the repair is reported. The PD test is a Cholesky
factorisation, kept for the solve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import torch

from qlsa.matrices import is_hermitian
from qlsa.spectrum import extreme_eigenvalues
from qlsa.checks import check_choice
from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

from .sparsity import _dense, p_sparsity


@dataclass(frozen=True)
class PruneResult:
    """The pruned matrix with what was done to it and how its extreme eigenvalues moved."""

    sparse: sp.csr_matrix
    max_row_nnz: int
    kept_fraction: float
    damping: float
    eigs_before: tuple[float, float]
    eigs_after: tuple[float, float]
    notes: tuple[str, ...]
    strategy: str = "symmetric"
    symmetric: bool = True
    broke_pd: bool = False          # not positive definite (as a quadratic form) before the repair
    cholesky: tuple | None = None   # scipy cho_factor of the pruned matrix from the PD test, where it is symmetric
    factor_seconds: float = 0.0     # measured: the PD test's Cholesky factorisations (a solve reusing it skips them)

    @cached_property
    def matrix(self) -> np.ndarray:
        """The pruned matrix, dense."""
        return self.sparse.toarray()

    def to_dict(self) -> dict:
        return jsonable({k: v for k, v in vars(self).items() if k not in ("sparse", "cholesky", "matrix")})


def _budgets(H: np.ndarray, d: int | None, p: float | None) -> np.ndarray:
    if (d is None) == (p is None):
        raise InvalidParameterError("give exactly one of d (non-zeros per row) or p (percent of row mass)")
    n = H.shape[0]
    if d is not None:
        if int(d) != d or d < 1:
            raise InvalidParameterError(f"d must be an integer ≥ 1, got {d}")
        return np.full(n, int(d))
    return np.maximum(p_sparsity(H, p), 1)


STRATEGIES = ("symmetric", "rowwise", "random", "banded")


def _accept_safe(I: np.ndarray, J: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """The greedy pass over pairs (I[k], J[k]), in this order, under row capacities ``cap``
    (decremented), in vectorised rounds; returns which pairs it accepts. A pair whose rank among
    the remaining pairs of row i is below cap[i], and likewise for j, is accepted whatever the
    pairs before it do (at most rank earlier pairs touch either row); pairs touching a full row
    are rejected; by induction over the order, the rest then decide exactly as in the sequential
    pass. Each round accepts at least the first pair."""
    n = cap.size
    accepted = np.zeros(I.size, dtype=bool)
    idx = np.arange(I.size)
    while idx.size:
        idx = idx[(cap[I[idx]] > 0) & (cap[J[idx]] > 0)]
        if not idx.size:
            break
        i, j, m = I[idx], J[idx], idx.size
        ends = np.concatenate([i, j])
        o = np.argsort(ends * m + np.tile(np.arange(m), 2))       # by row, then by position in the order
        e = ends[o]
        first = np.zeros(2 * m, dtype=np.int64)                   # where each row's run starts in e
        starts = np.flatnonzero(e[1:] != e[:-1]) + 1
        first[starts] = starts
        rank = np.empty(2 * m, dtype=np.int64)
        rank[o] = np.arange(2 * m) - np.maximum.accumulate(first)
        safe = (rank[:m] < cap[i]) & (rank[m:] < cap[j])
        accepted[idx[safe]] = True
        cap -= np.bincount(i[safe], minlength=n) + np.bincount(j[safe], minlength=n)
        idx = idx[~safe]
    return accepted


def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")``, faster: a quicksort where no two keys tie; where keys
    fit float32 (a float32 block's entries tie often), one quicksort of the composite
    (order-preserving bits of the key) · 2³² + position."""
    o = np.argsort(key)
    if not np.any(key[o[1:]] == key[o[:-1]]):
        return o
    k32 = key.astype(np.float32) + np.float32(0)                  # + 0: −0 and 0 tie, as in the comparison
    if key.size >= 1 << 32 or not np.array_equal(k32, key):
        return np.argsort(key, kind="stable")
    bits = k32.view(np.uint32)
    bits = np.where(bits >> 31, ~bits, bits | np.uint32(1 << 31)).astype(np.uint64)   # IEEE order as unsigned
    return np.argsort((bits << np.uint64(32)) | np.arange(key.size, dtype=np.uint64))


def _greedy_pairs(A: np.ndarray, budget: np.ndarray, order_by: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The off-diagonal pairs (I, J), I < J, that the greedy keeps: pairs in increasing key —
    −|a_ij| (ties in row-major order) or, for ``random``, the pair's place in a seeded
    permutation of the non-zero upper pairs — each while both rows are under budget (less one
    for a non-zero diagonal); zero entries are never kept.

    Vectorised, no loop over entries, in rounds: a round takes every open pair (both rows under
    budget) with floor < key ≤ τ — a prefix of what is left of the order — found by streaming
    A's open rows and columns through torch in row blocks; τ is the key below which about
    ``take`` open pairs lie, read off a sample (``take`` = 4·Σd + n at first, d the budgets). The
    round's pairs, sorted, go through :func:`_accept_safe`; floor becomes τ, and ``take`` is
    4·Σd + m again for the m rows still open. Memory: one row block and the round's pairs,
    never the n²/2 pairs (``random`` holds its n × n key matrix)."""
    n = A.shape[0]
    cap = np.maximum(budget.astype(np.int64) - (np.diag(A) != 0), 0)
    if order_by == "magnitude":
        T = torch.from_numpy(A)

        def window(block: torch.Tensor, floor: float, tau: float) -> tuple[torch.Tensor, torch.Tensor]:
            """Which entries have floor < key ≤ τ and are non-zero, and their keys' source."""
            M = block.abs()                                       # key −|a|: ≤ τ ⟺ |a| ≥ −τ
            ok = M >= -tau if tau < 0 else M > 0
            return (ok & (M < -floor) if floor > -np.inf else ok), M

        def key_of(values: torch.Tensor) -> np.ndarray:
            return -values.numpy()
    else:
        iu, ju = np.triu_indices(n, k=1)
        nz = A[iu, ju] != 0
        R = np.full((n, n), np.inf)
        drawn = np.empty(int(nz.sum()))
        drawn[np.random.default_rng(seed).permutation(drawn.size)] = np.arange(drawn.size)
        R[iu[nz], ju[nz]] = R[ju[nz], iu[nz]] = drawn            # the pair drawn k-th has key k; zeros ∞
        del iu, ju, nz, drawn
        T = torch.from_numpy(R)

        def window(block: torch.Tensor, floor: float, tau: float) -> tuple[torch.Tensor, torch.Tensor]:
            return (block > floor) & (block <= tau) & (block < np.inf), block

        def key_of(values: torch.Tensor) -> np.ndarray:
            return values.numpy()
    sample = np.random.default_rng(0)
    out_i, out_j = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    take, floor = 4 * int(cap.sum()) + n, -np.inf
    while (m := int(np.count_nonzero(cap))) >= 2:
        live = np.flatnonzero(cap)                                # only open rows and columns are scanned
        pairs = m * (m - 1) / 2
        tau = np.inf
        if take < pairs / 2:                                      # else the round takes all that is left
            a, b = sample.integers(0, m, (2, int(min(1 << 16, max(1 << 10, pairs / 16)))))
            a, b = live[a[a != b]], live[b[a != b]]
            ok, src = window(T[torch.from_numpy(a), torch.from_numpy(b)], -np.inf, np.inf)
            k = key_of(src[ok])
            q = np.mean(k <= floor) + take / pairs if k.size else 1.0
            tau = np.inf if q >= 1 else float(np.quantile(k, q))
        # Most rows open: contiguous slabs of all rows, closed ones masked; else the open rows' copy.
        slab = 2 * m > n
        ids, opened = (np.arange(n), torch.from_numpy(cap > 0)) if slab else (live, None)
        idx, size = torch.from_numpy(ids), ids.size
        found_k, found_i, found_j = [], [], []
        step = max(1, (1 << 22) // size)
        for r0 in range(0, size - 1, step):
            r1 = min(r0 + step, size - 1)
            block = T[r0:r1, r0 + 1:] if slab else T.index_select(0, idx[r0:r1]).index_select(1, idx[r0 + 1:])
            ok, src = window(block, floor, tau)
            ok[:, : r1 - r0] &= _UPPER[: r1 - r0, : r1 - r0]      # strictly upper: column r0 + 1 + c > row r0 + r
            if slab and m < n:
                ok &= opened[r0:r1, None] & opened[None, r0 + 1:]
            bi, bj = ok.nonzero(as_tuple=True)
            found_k.append(key_of(src[bi, bj]))
            found_i.append(bi.numpy() + r0)
            found_j.append(bj.numpy() + r0 + 1)
        key = np.concatenate(found_k)
        if not key.size:
            if tau == np.inf:
                break
            take *= 4                                             # the sample put τ below every open pair
            continue
        I, J = ids[np.concatenate(found_i)], ids[np.concatenate(found_j)]
        o = _stable_order(key)                                    # by key, ties in the scan's row-major order
        I, J = I[o], J[o]
        for s in range(0, I.size, 4 * n):
            acc = _accept_safe(I[s: s + 4 * n], J[s: s + 4 * n], cap)
            out_i.append(I[s: s + 4 * n][acc])
            out_j.append(J[s: s + 4 * n][acc])
        if tau == np.inf:
            break
        floor, take = tau, 4 * int(cap.sum()) + int(np.count_nonzero(cap))
    return np.concatenate(out_i), np.concatenate(out_j)


_UPPER = torch.ones(1 << 11, 1 << 11, dtype=torch.bool).triu()   # a block's rows r ≤ 2²²/size and ≤ size: r ≤ 2¹¹


def _kept_positions(A: np.ndarray, budget: np.ndarray, strategy: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the off-diagonal entries the strategy keeps."""
    n = A.shape[0]
    if strategy in ("symmetric", "random"):
        I, J = _greedy_pairs(A, budget, "magnitude" if strategy == "symmetric" else "random", seed)
        return np.concatenate([I, J]), np.concatenate([J, I])
    if strategy == "rowwise":                 # each row its own top-d by |a_ij|: the paper's code, not symmetric
        rank = np.empty((n, n), dtype=np.int64)
        np.put_along_axis(rank, np.argsort(-np.abs(A), axis=1, kind="stable"), np.arange(n)[None, :], axis=1)
        keep = (rank < budget[:, None]) & (A != 0)
    else:                                     # banded: |i − j| ≤ (d − 1)/2, symmetric by the smaller width
        half = (budget - 1) // 2
        i, j = np.indices((n, n))
        keep = (np.abs(i - j) <= np.minimum(half[:, None], half[None, :])) & (A != 0)
    keep[np.diag_indices(n)] = False
    return np.nonzero(keep)


def prune(H, d: int | None = None, p: float | None = None, repair: bool = True,
          track_eigs: bool = True, strategy: str = "symmetric", seed: int = 0,
          lambda_min: float | None = None, overwrite: bool = False) -> PruneResult:
    """Prune to ≤ d (or p%-mass) non-zeros per row and repair positive definiteness.

    ``strategy``: ``symmetric`` (default, DESIGN §3.5: pairs by decreasing magnitude, diagonal
    kept), ``random`` (pairs in a seeded random order, same budgets), ``banded`` (|i − j| ≤
    (d − 1)/2) or ``rowwise`` (each row's d largest |h_ij| on its own, as the paper's code does:
    the result is in general not symmetric, and its PD test and repair act on the quadratic form
    xᵀPx, i.e. on (P + Pᵀ)/2). ``broke_pd`` says whether the pruned matrix was not positive
    definite before the repair; the repair's target is λ_min(H), or ``lambda_min`` where the
    caller knows a lower bound of it (a PSD curvature + δ·I: δ), which saves its eigen-solve.
    ``track_eigs=False`` skips the before/after extreme eigenvalues (reported as NaN) unless a
    repair needs them. The pruned matrix is held sparse (``sparse``, CSR); ``matrix`` is its
    dense form, made when asked for. The PD test factorises a dense n × n buffer in place (its
    factor is ``cholesky``): a new one, or, with ``overwrite=True``, a float64 ndarray H's own
    memory (H is destroyed; saves allocating and touching n² · 8 bytes).
    """
    check_choice(strategy, STRATEGIES, "pruning strategy")
    A = _dense(H)
    if not is_hermitian(A):
        raise InvalidParameterError("prune needs a symmetric matrix; symmetrise with (H + Hᵀ)/2 first")
    n = A.shape[0]
    rows, cols = _kept_positions(A, _budgets(A, d, p), strategy, seed)
    diag = np.arange(n)
    rows, cols = np.concatenate([rows, diag]), np.concatenate([cols, diag])
    S = sp.csr_matrix((A[rows, cols], (rows, cols)), shape=(n, n))
    S.eliminate_zeros()
    asymmetric = (S != S.T).nnz if strategy == "rowwise" else 0    # the others are symmetric by construction
    symmetric = asymmetric == 0
    form = S if symmetric else (S + S.T) / 2                     # the quadratic form the PD test and repair see
    nan = (float("nan"), float("nan"))
    eigs = lambda M: extreme_eigenvalues(M, exact_max_n=256)[:2]  # noqa: E731  (Lanczos beyond n = 256)
    overwrite = overwrite and A is H
    before = eigs(A) if track_eigs or (repair and overwrite and lambda_min is None) else nan
    count = np.count_nonzero(A)
    buffer = A.T if overwrite else np.empty((n, n), order="F")   # potrf works in place on Fortran order
    t_factor = time.perf_counter()
    factor = _cholesky(form, buffer)
    t_factor = time.perf_counter() - t_factor
    broke_pd = factor is None
    needs_repair = repair and broke_pd
    if needs_repair and lambda_min is None and np.isnan(before[0]):
        before = eigs(A)
    after = eigs(form) if track_eigs or needs_repair else nan
    notes, damping = [], 0.0
    if not symmetric:
        notes.append(f"{strategy} pruning is not symmetric: {asymmetric} entries differ from their transpose")
    if needs_repair:
        margin = 1e-6 * max(abs(after[1]), 1e-300)
        floor = before[0] if lambda_min is None else lambda_min
        damping = (floor if floor > 0 else margin) - after[0] + margin
        t0 = time.perf_counter()
        while (factor := _cholesky(form + damping * sp.eye(n), buffer)) is None:  # a Lanczos λ_min is an upper
            damping *= 2                                                        # bound: widen until PD
        t_factor += time.perf_counter() - t0
        S = (S + damping * sp.eye(n)).tocsr()
        notes.append(f"pruning broke positive definiteness (λ_min {after[0]:.3g}); added δ·I, δ = {damping:.3g}")
        after = eigs(S if symmetric else (S + S.T) / 2) if track_eigs else nan
    return PruneResult(S, int(np.diff(S.indptr).max()), float(S.nnz / max(count, 1)),
                       damping, before, after, tuple(notes), strategy, symmetric, broke_pd,
                       factor if symmetric else None, t_factor)


def _cholesky(A: sp.spmatrix, buffer: np.ndarray) -> tuple | None:
    """The Cholesky factor (``cho_factor``, made in ``buffer``) of A if A is positive definite, else None."""
    A.toarray(out=buffer)
    try:
        return sla.cho_factor(buffer, overwrite_a=True, check_finite=False)
    except sla.LinAlgError:
        return None


def regularize(H, eps: float, mode: str = "absolute", copy: bool = True) -> np.ndarray:
    """H + ε·I (``absolute``, the paper's choice, ε = 1.0 for its MNIST DNN) or
    H + ε·mean(|diag H|)·I (``relative``, scale-free Levenberg–Marquardt damping);
    ``copy=False`` shifts a dense float H in place."""
    if not (np.isfinite(eps) and eps >= 0):
        raise InvalidParameterError(f"regularisation ε must be a finite number ≥ 0, got {eps}")
    A = _dense(H)
    if copy or not isinstance(H, np.ndarray):
        A = A.copy()
    if mode == "absolute":
        shift = eps
    elif mode == "relative":
        shift = eps * float(np.mean(np.abs(np.diag(A))))
    else:
        raise InvalidParameterError(f"unknown regularisation mode {mode!r}; choose absolute or relative")
    A[np.diag_indices_from(A)] += shift
    return A
