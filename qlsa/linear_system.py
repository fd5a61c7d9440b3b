"""Bring A x = b into the form the circuits need: Hermitian (dilation) and 2ⁿ-dimensional (padding).

- Hermitian is :func:`qlsa.matrices.is_hermitian` (one test, one tolerance); within it, the
  exactly Hermitian part (A + Aᴴ)/2 is what the circuit encodes (``symmetrized``).
- Non-Hermitian A: H = [[0, A], [Aᴴ, 0]] with right-hand side [b; 0]; then H·[0; x] = [b; 0],
  so the solution sits in the second half (DESIGN.md §3.3: one more qubit, same κ).
- N not a power of two: A ⊕ c·I_{2ⁿ−N} and b ⊕ 0, with c = clip(‖A‖_max, σ_min, σ_max) so
  neither ‖A‖₂, κ nor ‖A‖_max changes when ‖A‖_max ≥ σ_min; the padded rows hold one
  entry, so d does not change either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .checks import check_rhs
from .matrices import as_matrix, densify, is_hermitian, to_csr
from qlsa.errors import InvalidMatrixError

MAX_DENSE_N = 2**12   # above this the explicit (dense) preparation is refused


@dataclass(frozen=True)
class PreparedSystem:
    """The Hermitian, power-of-two system a circuit acts on, and how to map its solution back."""

    matrix: np.ndarray | sp.csr_matrix
    b: np.ndarray | None
    n_original: int
    dilated: bool
    padded: bool
    symmetrized: bool = False   # A was Hermitian within HERMITIAN_RTOL and (A + Aᴴ)/2 is encoded

    @property
    def num_qubits(self) -> int:
        return int(round(math.log2(self.matrix.shape[0])))

    def solution_part(self, y: np.ndarray) -> np.ndarray:
        """The x of the original system inside the circuit's solution vector y."""
        start = self.n_original if self.dilated else 0
        return y[start: start + self.n_original]


def prepare_system(matrix, b=None, dilate: bool = True, keep_sparse: bool = False,
                   hermitian: bool | None = None) -> PreparedSystem:
    """Validate, dilate (if not Hermitian and ``dilate``) and pad ``matrix`` (and ``b``).
    ``hermitian``: :func:`~qlsa.matrices.is_hermitian` of ``matrix`` where the caller has it
    already (``estimate``'s scan), so that it is not computed twice."""
    A = as_matrix(matrix)
    n = A.shape[0]
    if not keep_sparse and n > MAX_DENSE_N:
        raise InvalidMatrixError(f"N = {n} is too large for an explicit circuit (limit {MAX_DENSE_N}); use "
                                 f"`qlsa estimate` for its cost, or a banded sparse matrix for the sparse encoding")
    if not keep_sparse:
        A = densify(A)
    if b is not None:
        b = check_rhs(b, n)
        b = b.astype(complex if np.iscomplexobj(b) else float)
    hermitian = is_hermitian(A) if hermitian is None else hermitian
    # within HERMITIAN_RTOL: the Hermitian part is encoded, exactly symmetric (recorded in the result);
    # tested in A's own format (a dense A is compared with its transposed view, not a CSR copy)
    symmetrized = hermitian and not _exactly_hermitian(A)
    if symmetrized:
        A = (A + A.conj().T) / 2
    if keep_sparse:
        A = to_csr(A)
    dilated = not hermitian
    if dilated:
        if not dilate:
            raise InvalidMatrixError("A is not Hermitian; pass dilate=True to solve through [[0, A], [Aᴴ, 0]]")
        Z = sp.csr_matrix((n, n)) if keep_sparse else np.zeros((n, n), dtype=A.dtype)
        A = sp.bmat([[Z, A], [A.conj().T, Z]], format="csr") if keep_sparse else np.block([[Z, A], [A.conj().T, Z]])
        b = None if b is None else np.concatenate([b, np.zeros(n, dtype=b.dtype)])
    m = A.shape[0]
    size = 2 ** max(1, math.ceil(math.log2(m)))
    padded = size != m
    if padded:
        c = _padding_value(A)
        if keep_sparse:                  # A ⊕ c·I in CSR directly: padded row m + t holds (m + t, c)
            pad = np.arange(1, size - m + 1)
            A = sp.csr_matrix((np.concatenate([A.data, np.full(size - m, c, A.dtype)]),
                               np.concatenate([A.indices, m - 1 + pad]),
                               np.concatenate([A.indptr, A.indptr[-1] + pad])), shape=(size, size))
        else:
            A = np.block([[A, np.zeros((m, size - m))], [np.zeros((size - m, m)), c * np.eye(size - m)]])
        b = None if b is None else np.concatenate([b, np.zeros(size - m, dtype=b.dtype)])
    return PreparedSystem(A, b, n, dilated, padded, symmetrized)


def _exactly_hermitian(A) -> bool:
    """A == Aᴴ entry for entry. Sparse A comes canonical from ``as_matrix`` (sorted indices, no
    duplicates or stored zeros), as does Aᴴ in CSR, so their three arrays are compared."""
    if not sp.issparse(A):
        return bool(np.array_equal(A, A.conj().T if np.iscomplexobj(A) else A.T))
    T = (A.conj() if np.iscomplexobj(A.data) else A).T.tocsr()
    return all(np.array_equal(x, y) for x, y in ((A.indptr, T.indptr), (A.indices, T.indices), (A.data, T.data)))


def _padding_value(A) -> float:
    if sp.issparse(A):
        return float(np.abs(A.data).max()) if A.nnz else 0.0
    norm_max = float(np.abs(A).max())
    s = np.linalg.svd(A, compute_uv=False)
    return float(np.clip(norm_max, s[-1], s[0])) if s[-1] > 0 else norm_max
