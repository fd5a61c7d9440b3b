"""Embedded example matrices with known closed-form spectra (no download)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def laplacian_2d(m: int) -> sp.csr_array:
    """Dirichlet 5-point Laplacian on an m×m grid (N = m²), unscaled.

    Eigenvalues 4 − 2cos(πi/(m+1)) − 2cos(πj/(m+1)), i, j = 1..m, so
    κ = cot²(π/(2(m+1))) exactly.
    """
    t = sp.diags_array([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], offsets=[-1, 0, 1], format="csr")
    eye = sp.eye_array(m, format="csr")
    return sp.csr_array(sp.kron(t, eye) + sp.kron(eye, t))


def laplacian_2d_kappa(m: int) -> float:
    """Exact κ₂ of :func:`laplacian_2d` (m)."""
    return float(1.0 / np.tan(np.pi / (2 * (m + 1))) ** 2)
