"""Accumulated Gram matrices C = Σ_k α_k·S_kᵀS_k, the one kernel of GGN and empirical-Fisher capture.

On the CPU each term is one BLAS ``syrk`` (C ← α·SᵀS + C on one triangle: n²·m flops, half of
a GEMM's 2n²·m), and the other triangle is mirrored tile by tile at the end; elsewhere (CUDA)
it is ``torch.addmm`` and (C + Cᵀ)/2. BackPACK and curvlinops form SᵀS by GEMM.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import blas

_SYRK = {torch.float64: blas.dsyrk, torch.float32: blas.ssyrk}
_TILE = 1024


class Gram:
    """C (n × n) = Σ α·SᵀS over the factors S (m × n) added to it."""

    def __init__(self, n: int, dtype: torch.dtype, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self._syrk = _SYRK.get(dtype) if self.device.type == "cpu" else None
        if self._syrk is not None:
            self._c = np.zeros((n, n), dtype=np.float64 if dtype == torch.float64 else np.float32, order="F")
        else:
            self._c = torch.zeros((n, n), dtype=dtype, device=self.device)

    def add(self, S: torch.Tensor, alpha: float) -> None:
        """C ← C + α·SᵀS."""
        if self._syrk is None:
            self._c.addmm_(S.T, S, alpha=alpha)
            return
        a = S.detach().contiguous().numpy().T                   # n × m, Fortran order: no copy
        self._syrk(alpha, a, beta=1.0, c=self._c, trans=0, lower=0, overwrite_c=1)

    def matrix(self) -> torch.Tensor:
        """The full symmetric C (the accumulator is consumed)."""
        if self._syrk is None:
            return (self._c + self._c.T) / 2
        c, n = torch.from_numpy(self._c), self._c.shape[0]
        for i in range(0, n, _TILE):                            # upper triangle → lower, tile by tile
            ii = slice(i, min(i + _TILE, n))                    # (torch's threaded copy: 0.21 s at n = 12 730,
            d = c[ii, ii]                                       # NumPy's 0.38 s)
            d += torch.triu(d, 1).T
            for j in range(i + _TILE, n, _TILE):
                jj = slice(j, min(j + _TILE, n))
                c[jj, ii].copy_(c[ii, jj].T)
        return c.T                                              # Cᵀ = C, C-contiguous
