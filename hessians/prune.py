"""Symmetry-aware pruning and regularisation of curvature blocks (DESIGN.md §3.5, paper §IV-D).

Pruning (default ``symmetric``; ``random``, ``banded`` and the paper code's ``rowwise`` are the
baselines of Figure 2(g)): the diagonal is always kept; off-diagonal pairs (i, j)/(j, i) are visited by
decreasing |h_ij| and kept together while both row i and row j hold fewer than their budget
d_i (d for all rows, or each row's p%-sparsity). The result is exactly symmetric with at most
d_i non-zeros in row i. If it is no longer positive definite it is repaired by δ·I with
δ = λ_min(H) − λ_min(H_pruned) + margin (so λ_min returns to the unpruned value, or to a lower
bound of it that the caller knows), and the repair is reported. The PD test is a Cholesky
factorisation, kept for the solve: torch's (LAPACK through torch's own thread pool, the one the
curvature capture and the solve use; a second BLAS pool's idle threads would spin on the cores
they need, :mod:`hessians.gram`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
import torch

from qlsa.matrices import hermitian_probe, probe_says_hermitian
from qlsa.spectrum import Ritz, extreme_ritz
from qlsa.checks import check_choice, check_finite_nonnegative
from qlsa.errors import InvalidParameterError
from qlsa.serialization import jsonable

from .jit_cache import njit
from .pair_selection import greedy_pairs
from .row_halves import in_halves, split_point
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
    cholesky: torch.Tensor | None = None   # lower Cholesky factor of the pruned matrix from the PD test, where it is symmetric
    factor_seconds: float = 0.0     # measured: the PD test's Cholesky factorisations (a solve reusing it skips them)
    eigs_error: tuple[float, float] = (0.0, 0.0)   # absolute error estimates of eigs_after: 0 by eigvalsh (n ≤ EXACT_EIGS_MAX_N), Lanczos's beyond

    @property
    def eigs_exact(self) -> bool:
        """Whether ``eigs_after`` are eigvalsh's (n ≤ EXACT_EIGS_MAX_N), not Lanczos estimates."""
        return self.eigs_error == (0.0, 0.0)

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
EXACT_EIGS_MAX_N = 256          # extreme eigenvalues by eigvalsh up to this n, by Lanczos beyond


def _kept_positions(A: np.ndarray, budget: np.ndarray, diagonal: np.ndarray, strategy: str,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the off-diagonal entries the strategy keeps (``diagonal``: the
    diagonal of the matrix pruned, whose non-zeros take one place of their row's budget)."""
    n = A.shape[0]
    if strategy in ("symmetric", "random"):
        cap = np.maximum(budget.astype(np.int64) - (diagonal != 0), 0)
        sel = greedy_pairs(A if strategy == "symmetric" else _random_order_keys(A, seed), cap)
        return np.concatenate([sel.rows, sel.cols]), np.concatenate([sel.cols, sel.rows])
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


def _random_order_keys(A: np.ndarray, seed: int) -> np.ndarray:
    """Keys under which :func:`greedy_pairs` visits the non-zero upper pairs of A, listed
    row-major, in the order of a seeded permutation: the pair drawn k-th gets P − k (P pairs),
    mirrored; zeros stay 0 and are never kept."""
    n = A.shape[0]
    iu, ju = np.triu_indices(n, k=1)
    nz = A[iu, ju] != 0
    iu, ju = iu[nz], ju[nz]
    drawn = np.empty(iu.size)
    drawn[np.random.default_rng(seed).permutation(iu.size)] = np.arange(iu.size)
    R = np.zeros((n, n))
    R[iu, ju] = R[ju, iu] = iu.size - drawn
    return R


def prune(H, d: int | None = None, p: float | None = None, repair: bool = True,
          track_eigs: bool = True, strategy: str = "symmetric", seed: int = 0,
          lambda_min: float | None = None, overwrite: bool = False, shift: float = 0.0) -> PruneResult:
    """Prune H + shift·I to ≤ d (or p%-mass) non-zeros per row and repair positive definiteness.

    ``strategy``: ``symmetric`` (default, DESIGN §3.5: pairs by decreasing magnitude, diagonal
    kept), ``random`` (pairs in a seeded random order, same budgets), ``banded`` (|i − j| ≤
    (d − 1)/2) or ``rowwise`` (each row's d largest |h_ij| on its own, as the paper's code does:
    the result is in general not symmetric, and its PD test and repair act on the quadratic form
    xᵀPx, i.e. on (P + Pᵀ)/2). ``broke_pd`` says whether the pruned matrix was not positive
    definite before the repair; the repair's target is λ_min(H + shift·I), or ``lambda_min``
    where the caller knows a lower bound of it (a PSD curvature + δ·I: δ), which saves its
    eigen-solve. ``track_eigs=False`` skips the before/after extreme eigenvalues (reported as
    NaN) unless a repair needs them; after a repair by δ·I, ``eigs_after`` is the pruned form's
    pair shifted by δ, with ``eigs_error`` (0 by eigvalsh, n ≤ 256; Lanczos's error estimates
    beyond, which a shift leaves as they are). The pruned matrix is
    held sparse (``sparse``, CSR, float64); ``matrix`` is its dense form, made when asked for.

    H may be float32 (a captured block), read as it is: the selection compares |h_ij|, which
    float32 holds exactly. ``shift`` is the regularisation δ of H + δ·I, added to the kept
    diagonal in float64, so the result equals ``prune(regularize(H, δ))`` without forming it.
    The PD test factorises a dense float64 n × n buffer in place (``cholesky``, the lower factor
    L as a CPU tensor on that memory, for two triangular solves): a new one, or, with
    ``overwrite=True``, a C-contiguous float64 ndarray H's own memory (H is destroyed; saves
    allocating and touching n² · 8 bytes).
    """
    check_choice(strategy, STRATEGIES, "pruning strategy")
    check_finite_nonnegative(shift, "shift")
    A = _dense(H, single=True)
    ax, xa, count = _probe(A, hermitian_probe(A.shape[0]))
    check_probe(ax, xa)
    if shift and (p is not None or strategy == "rowwise"):       # these rank the diagonal too: form H + δ·I
        A, shift = regularize(A, shift), 0.0
    n = A.shape[0]
    diagonal = A.diagonal().astype(np.float64) + shift
    rows, cols = _kept_positions(A, _budgets(A, d, p), diagonal, strategy, seed)
    S = sp.csr_matrix(_kept_csr(A, rows, cols, diagonal), shape=(n, n))
    asymmetric = (S != S.T).nnz if strategy == "rowwise" else 0    # the others are symmetric by construction
    symmetric = asymmetric == 0
    form = S if symmetric else (S + S.T) / 2                     # the quadratic form the PD test and repair see
    nan = (float("nan"), float("nan"))

    def eigs(M) -> tuple[tuple[float, float], tuple[float, float]]:
        """M's (λ_min, λ_max), + shift where M is A, and their error estimates."""
        r, s = extreme_pair(M), (shift if M is A else 0.0)
        return (r.lo + s, r.hi + s), (r.err_lo, r.err_hi)
    overwrite = overwrite and A is H and A.dtype == np.float64
    before = eigs(A)[0] if track_eigs or (repair and overwrite and lambda_min is None) else nan
    count += np.count_nonzero(diagonal) - np.count_nonzero(A.diagonal())   # the non-zeros of H + shift·I
    buffer = A.T if overwrite else np.empty((n, n), order="F")   # potrf works in place on column-major order
    t_factor = time.perf_counter()
    factor = _cholesky(form, buffer)
    t_factor = time.perf_counter() - t_factor
    broke_pd = factor is None
    needs_repair = repair and broke_pd
    if needs_repair and lambda_min is None and np.isnan(before[0]):
        before = eigs(A)[0]
    after, error = eigs(form) if track_eigs or needs_repair else (nan, nan)
    notes, damping = [], 0.0
    if not symmetric:
        notes.append(f"{strategy} pruning is not symmetric: {asymmetric} entries differ from their transpose")
    if needs_repair:
        t0 = time.perf_counter()
        damping, factor = repair_shift(lambda delta: _cholesky(form, buffer, delta), after,
                                       before[0] if lambda_min is None else lambda_min)
        t_factor += time.perf_counter() - t0
        S = _shifted(S, damping)                                     # not from A: overwrite has destroyed it
        notes.append(repair_note(after, damping))
        after = (after[0] + damping, after[1] + damping)             # the spectrum of the form, shifted by δ
    return PruneResult(S, int(np.diff(S.indptr).max()), float(S.nnz / max(count, 1)),
                       damping, before, after, tuple(notes), strategy, symmetric, broke_pd,
                       factor if symmetric else None, t_factor, error)


def check_probe(ax: np.ndarray, xa: np.ndarray) -> None:
    """Raise unless the symmetry probe's Ax and xᵀA are finite and say A is symmetric."""
    if not (np.isfinite(ax).all() and np.isfinite(xa).all()):
        raise InvalidParameterError("prune: the matrix has NaN or Inf entries; clean them before pruning")
    if not probe_says_hermitian(ax, xa):
        raise InvalidParameterError("prune needs a symmetric matrix; symmetrise with (H + Hᵀ)/2 first")


def extreme_pair(M: np.ndarray | sp.spmatrix) -> Ritz:
    """λ_min and λ_max of a symmetric M with their error estimates: exact up to n =
    EXACT_EIGS_MAX_N, by torch's ``eigvalsh`` in float64 (the step's one LAPACK thread pool,
    module doc), by Lanczos beyond (to 10⁻³ relative)."""
    if M.shape[0] > EXACT_EIGS_MAX_N:
        return extreme_ritz(M)
    lam = torch.linalg.eigvalsh(torch.from_numpy(np.asarray(M.toarray() if sp.issparse(M) else M, dtype=np.float64)))
    return Ritz(float(lam[0]), float(lam[-1]), 0.0, 0.0, 0)


def repair_shift(factorize: Callable[[float], Any], after: tuple[float, float], floor: float) -> tuple[float, Any]:
    """The repair's δ and ``factorize(δ)`` (the factor of P + δ·I, None if not PD): δ = (λ_floor, or
    the margin where λ_floor ≤ 0) − λ_min(P) + margin, margin = 10⁻⁶·|λ_max(P)|, doubled until
    P + δ·I factorises (a Lanczos λ_min is an upper bound of λ_min(P))."""
    margin = 1e-6 * max(abs(after[1]), 1e-300)
    damping = (floor if floor > 0 else margin) - after[0] + margin
    while (factor := factorize(damping)) is None:
        damping *= 2
    return damping, factor


def repair_note(after: tuple[float, float], damping: float) -> str:
    return f"pruning broke positive definiteness (λ_min {after[0]:.3g}); added δ·I, δ = {damping:.3g}"


def compile_kernels() -> None:
    """Compile the pruning kernels (numba) for float32 and float64 blocks, or load them from
    numba's on-disk cache, now: a caller that times its prunes (the Newton step) calls this
    first, so that its first prune is not charged the compilation."""
    n = 64                                                       # large enough that every kernel runs
    for dtype in (np.float32, np.float64):
        prune(np.eye(n, dtype=dtype) + np.ones((n, n), dtype=dtype) / n, d=2, track_eigs=False)


def _probe(A: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Ax, xᵀA (accumulated in float64) and A's non-zero count: the products of
    :func:`qlsa.matrices.is_hermitian`'s probe, exact enough for its tolerance on a float32 A
    too, in one pass over A's rows, in two halves at once on a large A (:mod:`.row_halves`)."""
    n = A.shape[0]
    k = split_point(np.full(n, n))
    if k is None:
        return _probe_rows(A, x, 0, n)
    (ax1, xa1, c1), (ax2, xa2, c2) = in_halves(lambda: _probe_rows(A, x, 0, k), lambda: _probe_rows(A, x, k, n))
    return np.concatenate((ax1, ax2)), xa1 + xa2, c1 + c2


@njit(fastmath={"reassoc", "contract"})
def _probe_rows(A, x, r0, r1):
    """(Ax)[r0:r1], the rows' share of xᵀA and their non-zero count, in one pass over the rows."""
    n = A.shape[1]
    ax, xa, count = np.zeros(r1 - r0), np.zeros(n), 0
    for i in range(r0, r1):
        row, xi, s = A[i], x[i], 0.0
        for j in range(n):
            a = np.float64(row[j])
            s += a * x[j]
            xa[j] += xi * a
            count += a != 0
        ax[i - r0] = s
    return ax, xa, count


@njit()
def _kept_csr(A, rows, cols, diagonal):
    """(data, indices, indptr) in float64 of the CSR matrix holding A's entries at (rows[k], cols[k])
    (off-diagonal, distinct) and the non-zeros of ``diagonal``: a counting sort by column, then a
    stable one by row (so columns ascend within each row), then the values read row by row."""
    n = A.shape[0]
    on = np.nonzero(diagonal)[0]
    r, c = np.concatenate((rows, on)), np.concatenate((cols, on))
    start = np.zeros(n + 1, np.int64)
    for j in c:
        start[j + 1] += 1
    start = np.cumsum(start)
    by_col = np.empty(r.size, np.int64)
    for k in range(r.size):
        by_col[start[c[k]]] = k
        start[c[k]] += 1
    indptr = np.zeros(n + 1, np.int32)
    for i in r:
        indptr[i + 1] += 1
    indptr = np.cumsum(indptr).astype(np.int32)
    fill, indices = indptr[:-1].copy(), np.empty(r.size, np.int32)
    for k in by_col:
        indices[fill[r[k]]] = c[k]
        fill[r[k]] += 1
    data = np.empty(r.size)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            data[p] = diagonal[i] if indices[p] == i else A[i, indices[p]]
    return data, indices, indptr


def _shifted(S: sp.csr_matrix, delta: float) -> sp.csr_matrix:
    """S + δ·I for a canonical CSR S: in place on its data where every diagonal entry is stored
    (the kept diagonal of H + shift·I is), else by scipy's sum; the same floats either way."""
    n = S.shape[0]
    on_diagonal = S.indices == np.repeat(np.arange(n, dtype=S.indices.dtype), np.diff(S.indptr))
    if np.count_nonzero(on_diagonal) < n:
        return (S + delta * sp.eye(n)).tocsr()
    S.data[on_diagonal] += delta
    if not S.data[on_diagonal].all():                            # a_ii = −δ: not stored, as scipy's sum drops it
        S.eliminate_zeros()
    return S


def _cholesky(A: sp.spmatrix, buffer: np.ndarray, shift: float = 0.0) -> torch.Tensor | None:
    """The lower Cholesky factor of A + shift·I, made in place in the column-major ``buffer``
    (torch's ``cholesky_ex``, no copy), if it is positive definite, else None."""
    A.toarray(out=buffer)
    if shift:
        buffer[np.diag_indices(A.shape[0])] += shift
    L = torch.from_numpy(buffer)
    _, info = torch.linalg.cholesky_ex(L, out=(L, torch.empty((), dtype=torch.int32)))
    return L if int(info) == 0 else None


def regularize(H, eps: float, mode: str = "absolute", copy: bool = True) -> np.ndarray:
    """H + ε·I (``absolute``, the paper's choice, ε = 1.0 for its MNIST DNN) or
    H + ε·mean(|diag H|)·I (``relative``, scale-free Levenberg–Marquardt damping);
    ``copy=False`` shifts a float64 ndarray H in place; anything else is converted (one copy)."""
    if not (np.isfinite(eps) and eps >= 0):
        raise InvalidParameterError(f"regularisation ε must be a finite number ≥ 0, got {eps}")
    src = H.detach().cpu().numpy() if hasattr(H, "detach") else H
    A = _dense(src)
    if (copy or not isinstance(H, np.ndarray)) and isinstance(src, np.ndarray) and np.may_share_memory(A, src):
        A = A.copy()                                             # else A is already a converted copy
    if mode == "absolute":
        shift = eps
    elif mode == "relative":
        shift = eps * float(np.mean(np.abs(np.diag(A))))
    else:
        raise InvalidParameterError(f"unknown regularisation mode {mode!r}; choose absolute or relative")
    A[np.diag_indices_from(A)] += shift
    return A
