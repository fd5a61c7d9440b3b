"""Structural properties of a matrix: size, non-zeros, row sparsity d, ‖A‖_max, symmetry —
and its finiteness and an optional f32 copy, all from one pass over the entries."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

import scipy.sparse as sp

from qlsa.serialization import jsonable

from qlsa.matrices import HERMITIAN_RTOL, Matrix, ensure_finite, hermitian_probe, is_hermitian, probe_says_hermitian

SINGLE_RANGE = (1e-30, 1e30)   # ‖A‖_max for which fl₃₂(A) neither overflows nor sinks A into subnormals
_PANEL_ROWS = 64               # 64 rows × 4000 × 8 B = 2 MB: read from memory once, then from cache


@dataclass(frozen=True)
class MatrixProperties:
    """n, nnz, d = max non-zeros in a row (DESIGN.md §3.5), ‖A‖_max, Hermitian or not."""

    n: int
    nnz: int
    sparsity: int
    norm_max: float
    hermitian: bool

    def to_dict(self) -> dict:
        return jsonable(self)


@dataclass(frozen=True)
class MatrixScan:
    """One pass over a matrix: its :class:`MatrixProperties` and, where asked for and
    representable (real dense, ‖A‖_max within :data:`SINGLE_RANGE`), ``single`` = fl₃₂(A):
    half the bytes per matrix–vector product for the memory-bound Lanczos passes."""

    properties: MatrixProperties
    single: np.ndarray | None = None


def matrix_properties(A: Matrix, rtol: float = HERMITIAN_RTOL, seed: int = 0) -> MatrixProperties:
    """:class:`MatrixProperties` of a matrix from :func:`~estimators.as_matrix` (see :func:`scan_matrix`)."""
    return scan_matrix(A, rtol=rtol, seed=seed).properties


def scan_matrix(A: Matrix, single: bool = False, rtol: float = HERMITIAN_RTOL, seed: int = 0) -> MatrixScan:
    """Properties, finiteness check and (``single``) the f32 copy of A in one pass.

    Sparse: from the index structure. Dense: rows are streamed in cache-sized panels split
    across threads (NumPy and BLAS release the GIL); per panel: both products of the symmetry
    probe of :func:`qlsa.matrices.is_hermitian` (Ax and xᵀA), the f32 copy, a zero test (row counts only
    where a zero occurs) and the peak |a_ij|, the last two on the f32 rows while they are in
    cache (exact: rounding to f32 is monotone and keeps zeros; rows where a tiny entry underflows
    to 0 are recounted in f64, and ‖A‖_max is read in f64 from the panels holding the peak).
    Finiteness costs no pass of its own: a NaN/Inf entry a_ij makes (Ax)_i non-finite (x is
    Gaussian, so x_j ≠ 0); only then are entries counted. 11–15 ms at n = 4000 on 2 cores with
    the copy (a fresh 64 MB buffer's page faults are 2–3 ms of it), against 36 ms for the same
    work in separate passes.

    Raises :class:`~qlsa.errors.InvalidMatrixError` if A has NaN/Inf entries.
    """
    if sp.issparse(A):
        ensure_finite(A.data)
        row_nnz = np.diff(A.indptr)
        norm_max = float(np.abs(A.data).max()) if A.nnz else 0.0
        props = MatrixProperties(A.shape[0], int(row_nnz.sum()), int(row_nnz.max()), norm_max, is_hermitian(A, rtol))
        return MatrixScan(props)
    n = A.shape[0]
    x = hermitian_probe(n, seed)
    real = not np.iscomplexobj(A)
    copy = np.empty((n, n), np.float32) if single and real else None

    def part(r0: int, r1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[float, int]]]:
        ax, xa = np.empty(r1 - r0, A.dtype), np.zeros(n, A.dtype)
        counts, peaks = np.full(r1 - r0, n, np.int64), []
        nonzero = np.empty((min(_PANEL_ROWS, r1 - r0), n), bool)
        with np.errstate(over="ignore", invalid="ignore"):      # non-finite values are caught after the pass
            for i in range(r0, r1, _PANEL_ROWS):
                j = min(i + _PANEL_ROWS, r1)
                panel = A[i:j]
                ax[i - r0:j - r0] = panel @ x
                xa += x[i:j] @ panel
                if copy is not None:        # the zero test and the peak read the f32 rows just written
                    copy[i:j] = panel      # (half the bytes); rounding keeps zeros, order and ±∞
                view = panel if copy is None else copy[i:j]
                if not np.not_equal(view, 0, out=nonzero[: j - i]).all():   # f32 underflow to 0 is
                    counts[i - r0:j - r0] = np.count_nonzero(panel, axis=1)  # recounted in f64 here
                peaks.append((float(max(-view.min(), view.max()) if real else np.abs(view).max()), i))
        return ax, xa, counts, peaks

    threads = min(os.cpu_count() or 1, 8) if A.size >= 1 << 20 else 1
    cuts = np.linspace(0, n, threads + 1).astype(int)
    if threads == 1:
        parts = [part(0, n)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(part, cuts[:-1], cuts[1:]))
    counts = np.concatenate([p[2] for p in parts])
    with np.errstate(over="ignore", invalid="ignore"):
        ax, xa = np.concatenate([p[0] for p in parts]), sum(p[1] for p in parts)
    finite_probe = bool(np.isfinite(ax).all() and np.isfinite(xa).all())
    if not finite_probe:
        ensure_finite(A)                                         # raises, naming the count of NaN/Inf entries
    peaks = [peak for p in parts for peak in p[3]]
    norm_max = max(peak for peak, _ in peaks)
    if copy is not None:    # the f32 peaks locate max|a_ij| (rounding is monotone); read it exactly in f64
        norm_max = max(float(np.abs(A[i:i + _PANEL_ROWS]).max()) for peak, i in peaks if peak == norm_max)
    if not finite_probe:    # finite entries whose products overflowed: probe again with x/‖A‖_max, so that
        with np.errstate(under="ignore"):   # Ax and the norms of the test stay finite (some x_j turn
            x = x / norm_max                # subnormal: still an exact probe, used for both products)
            ax, xa = A @ x, x @ A
    if copy is not None and not SINGLE_RANGE[0] <= norm_max <= SINGLE_RANGE[1]:
        copy = None
    props = MatrixProperties(n, int(counts.sum()), int(counts.max()), norm_max, probe_says_hermitian(ax, xa, rtol))
    return MatrixScan(props, copy)
