"""Structural properties of a matrix: size, non-zeros, row sparsity d, ‖A‖_max, symmetry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qlsa.serialization import jsonable
import scipy.sparse as sp

from .matrix_input import Matrix

SYMMETRY_RTOL = 1e-10


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


def matrix_properties(A: Matrix) -> MatrixProperties:
    """Compute :class:`MatrixProperties` in a few streaming passes (no n×n temporaries)."""
    if sp.issparse(A):
        row_nnz = np.diff(A.indptr)
        norm_max = float(np.abs(A.data).max()) if A.nnz else 0.0
    else:
        full = np.count_nonzero(A) == A.size              # fully dense: skip the per-row count
        row_nnz = np.full(A.shape[0], A.shape[1]) if full else np.count_nonzero(A, axis=1)
        norm_max = float(np.abs(A).max() if np.iscomplexobj(A) else max(abs(A.max()), abs(A.min())))
    return MatrixProperties(A.shape[0], int(row_nnz.sum()), int(row_nnz.max()), norm_max, is_hermitian(A))


def is_hermitian(A: Matrix, rtol: float = SYMMETRY_RTOL, seed: int = 0) -> bool:
    """A == Aᴴ: exact for sparse; for dense, a randomized probe ‖(A − Aᴴ)x‖ ≤ rtol·‖Ax‖.

    For A ≠ Aᴴ, (A − Aᴴ)x ≠ 0 with probability 1 for a Gaussian x, so two matrix–vector
    passes (Ax and Aᴴx = (xᵀA)ᴴ, no transposed copy) replace the strided O(n²) comparison.
    """
    if sp.issparse(A):
        diff = (A - A.conj().T).tocsr()
        if diff.nnz == 0:
            return True
        return bool(np.abs(diff.data).max() <= rtol * max(np.abs(A.data).max(), 1e-300))
    x = np.random.default_rng(seed).standard_normal(A.shape[0])
    ax = A @ x
    return bool(np.linalg.norm(ax - np.conj(x @ A)) <= rtol * (np.linalg.norm(ax) + 1e-300))
