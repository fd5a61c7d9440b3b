"""Symmetry-aware pruning and regularisation of curvature blocks (DESIGN.md §3.5, paper §IV-D).

Pruning (default ``symmetric``; ``random``, ``banded`` and the paper code's ``rowwise`` are the
baselines of Figure 2(g)): the diagonal is always kept; off-diagonal pairs (i, j)/(j, i) are visited by
decreasing |h_ij| and kept together while both row i and row j hold fewer than their budget
d_i (d for all rows, or each row's p%-sparsity). The result is exactly symmetric with at most
d_i non-zeros in row i. If it is no longer positive definite it is repaired by δ·I with
δ = λ_min(H) − λ_min(H_pruned) + margin (so λ_min returns to the unpruned value), and the
repair is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from qlsa.matrices import is_hermitian
from qlsa.spectrum import extreme_eigenvalues
from qlsa.checks import check_choice
from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

from .sparsity import _dense, p_sparsity


@dataclass(frozen=True)
class PruneResult:
    """The pruned matrix with what was done to it and how its extreme eigenvalues moved."""

    matrix: np.ndarray
    max_row_nnz: int
    kept_fraction: float
    damping: float
    eigs_before: tuple[float, float]
    eigs_after: tuple[float, float]
    notes: tuple[str, ...]
    strategy: str = "symmetric"
    symmetric: bool = True
    broke_pd: bool = False          # not positive definite (as a quadratic form) before the repair
    cholesky: tuple | None = None   # scipy cho_factor of ``matrix`` from the PD test, where it is symmetric

    def to_dict(self) -> dict:
        d = jsonable({k: v for k, v in vars(self).items() if k not in ("matrix", "cholesky")})
        return d


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


def _accept_safe(I: np.ndarray, J: np.ndarray, cap: np.ndarray, keep: np.ndarray) -> None:
    """The greedy pass over pairs (I[k], J[k]), in this order, under row capacities ``cap``, in
    vectorised rounds. A pair whose rank among the remaining pairs of row i is below cap[i], and
    likewise for j, is accepted whatever the pairs before it do (at most rank earlier pairs touch
    either row); pairs touching a full row are rejected; by induction over the order, the rest
    then decide exactly as in the sequential pass. Each round accepts at least the first pair."""
    while I.size:
        live = (cap[I] > 0) & (cap[J] > 0)
        I, J = I[live], J[live]
        if not I.size:
            return
        m = I.size
        ends = np.concatenate([I, J])
        o = np.lexsort((np.tile(np.arange(m), 2), ends))          # by row, then by position in the order
        rank = np.empty(2 * m, dtype=np.int64)
        rank[o] = np.arange(2 * m) - np.searchsorted(ends[o], ends[o], side="left")
        safe = (rank[:m] < cap[I]) & (rank[m:] < cap[J])
        si, sj = I[safe], J[safe]
        keep[si, sj] = True
        keep[sj, si] = True
        np.subtract.at(cap, si, 1)
        np.subtract.at(cap, sj, 1)
        I, J = I[~safe], J[~safe]


def _greedy_pairs(A: np.ndarray, budget: np.ndarray, order_by: str, seed: int) -> np.ndarray:
    """Keep the diagonal, then pairs (i, j)/(j, i) in decreasing |a_ij| (ties in row-major order)
    or a seeded random order, each while both rows are under budget — vectorised, no loop over
    entries. In rounds: the ``take`` smallest keys among the open pairs after the last round
    (about 4·Σd at first, ×4 per round while rows stay open; every pair tied with the take-th
    is included, so each round is a prefix of the order) are found by streaming A in row blocks,
    sorted, and passed to :func:`_accept_safe` in chunks of 4n. Memory: one row block and the
    candidates, never the n²/2 pairs (the ``random`` order holds its n × n key matrix)."""
    n = A.shape[0]
    keep = np.zeros((n, n), dtype=bool)
    diag_nz = np.diag(A) != 0
    keep[np.arange(n), np.arange(n)] = diag_nz
    cap = budget.astype(np.int64) - diag_nz
    if order_by == "magnitude":
        def keys(rows, cols):
            return -np.abs(A[rows, cols])
    else:
        iu, ju = np.triu_indices(n, k=1)
        nz = A[iu, ju] != 0
        order = np.random.default_rng(seed).permutation(int(nz.sum()))
        R = np.full((n, n), np.inf)
        R[iu[nz][order], ju[nz][order]] = np.arange(order.size)     # the pair drawn k-th has key k
        del iu, ju, nz, order

        def keys(rows, cols):
            return R[rows, cols]
    take, floor = 4 * int(np.maximum(cap, 0).sum()) + n, -np.inf
    while True:
        live = np.flatnonzero(cap > 0)                            # only open rows and columns are scanned
        m = live.size
        if m < 2:
            break
        whole = m == n
        K, I, J = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        bound, step = np.inf, max(1, (1 << 22) // m)
        for a in range(0, m, step):
            b = min(a + step, m)
            ri, cj = live[a:b], live[a + 1:]                      # columns after the block's first row
            if not cj.size:
                continue
            k = keys(slice(a, b), slice(a + 1, None)) if whole else keys(*np.ix_(ri, cj))
            ok = np.ones(k.shape, dtype=bool) if bound == np.inf else k <= bound   # bound: take-th smallest so far
            ok[:, : b - a - 1] &= np.triu(np.ones((b - a, b - a - 1), dtype=bool))          # strictly upper
            if floor > -np.inf:
                ok &= k > floor
            bi, bj = np.nonzero(ok)
            K, I, J = np.concatenate([K, k[bi, bj]]), np.concatenate([I, ri[bi]]), np.concatenate([J, cj[bj]])
            if K.size > take:                                     # keep the take smallest (and their ties)
                bound = np.partition(K, take - 1)[take - 1]
                sel = K <= bound
                K, I, J = K[sel], I[sel], J[sel]
        if not K.size:
            break
        o = np.lexsort((I * n + J, K))                            # by key, ties in row-major order
        I, J, floor = I[o], J[o], K.max()
        nonzero = A[I, J] != 0                                    # zero entries are never kept
        I, J = I[nonzero], J[nonzero]
        for s in range(0, I.size, 4 * n):
            _accept_safe(I[s: s + 4 * n], J[s: s + 4 * n], cap, keep)
        take *= 4
    return keep


def _keep_mask(A: np.ndarray, budget: np.ndarray, strategy: str, seed: int) -> np.ndarray:
    n = A.shape[0]
    if strategy in ("symmetric", "random"):
        return _greedy_pairs(A, budget, "magnitude" if strategy == "symmetric" else "random", seed)
    if strategy == "rowwise":                 # each row its own top-d by |a_ij|: the paper's code, not symmetric
        rank = np.empty((n, n), dtype=np.int64)
        np.put_along_axis(rank, np.argsort(-np.abs(A), axis=1, kind="stable"), np.arange(n)[None, :], axis=1)
        return (rank < budget[:, None]) & (A != 0)
    half = (budget - 1) // 2                  # banded: |i − j| ≤ (d − 1)/2, symmetric by the smaller width
    i, j = np.indices((n, n))
    return (np.abs(i - j) <= np.minimum(half[:, None], half[None, :])) & (A != 0)


def prune(H, d: int | None = None, p: float | None = None, repair: bool = True,
          track_eigs: bool = True, strategy: str = "symmetric", seed: int = 0) -> PruneResult:
    """Prune to ≤ d (or p%-mass) non-zeros per row and repair positive definiteness.

    ``strategy``: ``symmetric`` (default, DESIGN §3.5: pairs by decreasing magnitude, diagonal
    kept), ``random`` (pairs in a seeded random order, same budgets), ``banded`` (|i − j| ≤
    (d − 1)/2) or ``rowwise`` (each row's d largest |h_ij| on its own, as the paper's code does:
    the result is in general not symmetric, and its PD test and repair act on the quadratic form
    xᵀPx, i.e. on (P + Pᵀ)/2). ``broke_pd`` says whether the pruned matrix was not positive
    definite before the repair. ``track_eigs=False`` skips the before/after extreme eigenvalues
    (reported as NaN) unless a repair needs them.
    """
    check_choice(strategy, STRATEGIES, "pruning strategy")
    A = _dense(H)
    if not is_hermitian(A):
        raise InvalidParameterError("prune needs a symmetric matrix; symmetrise with (H + Hᵀ)/2 first")
    n = A.shape[0]
    P = np.where(_keep_mask(A, _budgets(A, d, p), strategy, seed), A, 0.0)
    symmetric = strategy != "rowwise" or bool(np.array_equal(P, P.T))   # the others are by construction
    form = (lambda M: M) if symmetric else (lambda M: (M + M.T) / 2)  # noqa: E731

    nan = (float("nan"), float("nan"))
    factor = _cholesky(form(P))
    broke_pd = factor is None
    needs_repair = repair and broke_pd
    eigs = lambda M: extreme_eigenvalues(form(M), exact_max_n=256)[:2]  # noqa: E731  (Lanczos beyond n = 256)
    before = eigs(A) if track_eigs or needs_repair else nan
    after = eigs(P) if track_eigs or needs_repair else nan
    notes, damping = [], 0.0
    if not symmetric:
        notes.append(f"{strategy} pruning is not symmetric: {int(np.count_nonzero(P != P.T))} entries differ "
                     "from their transpose")
    if needs_repair:
        margin = 1e-6 * max(abs(after[1]), 1e-300)
        target = before[0] if before[0] > 0 else margin
        damping = target - after[0] + margin
        P[np.diag_indices(n)] += damping
        while (factor := _cholesky(form(P))) is None:  # a Lanczos λ_min is an upper bound: widen until PD
            P[np.diag_indices(n)] += damping
            damping *= 2
        notes.append(f"pruning broke positive definiteness (λ_min {after[0]:.3g}); added δ·I, δ = {damping:.3g}")
        after = eigs(P) if track_eigs else nan
    return PruneResult(P, int(np.count_nonzero(P, axis=1).max()), float(np.count_nonzero(P) / max(np.count_nonzero(A), 1)),
                       damping, before, after, tuple(notes), strategy, symmetric, broke_pd,
                       factor if symmetric else None)


def _cholesky(A: np.ndarray) -> tuple | None:
    """The Cholesky factor (``cho_factor``) of A if A is positive definite, else None."""
    try:
        return sla.cho_factor(A, check_finite=False)
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
