"""Row sparsity of a curvature block (DESIGN.md §3.5).

- d: the largest number of non-zeros in any row.
- p%-sparsity of a row: the fewest entries whose absolute values sum to at least p% of the
  row's total absolute value (Q-Newton, Fig. 3, p ∈ {50, 75, 90, 95}).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qlsa.errors import InvalidParameterError

PAPER_PS = (50, 75, 90, 95)


def _dense(H, single: bool = False) -> np.ndarray:
    """H as a float64 ndarray, no copy where it is one; ``single``: C-contiguous, float32 kept as float32."""
    if hasattr(H, "detach"):
        H = H.detach().cpu().numpy()
    if hasattr(H, "toarray"):
        H = H.toarray()
    H = np.asarray(H)
    if single:
        H = np.ascontiguousarray(H, dtype=np.float32 if H.dtype == np.float32 else float)
    else:
        H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.size == 0:
        raise InvalidParameterError(f"expected a non-empty square matrix, got shape {H.shape}")
    return H


def row_sparsity(H) -> int:
    """d = max over rows of the number of non-zero entries."""
    return int(np.count_nonzero(_dense(H), axis=1).max())


def p_sparsity(H, p: float) -> np.ndarray:
    """Per-row p%-sparsity (vectorised): entries needed to reach p% of each row's |·| mass."""
    if not (0 < p <= 100):
        raise InvalidParameterError(f"p must lie in (0, 100], got {p}")
    a = np.abs(_dense(H))
    srt = -np.sort(-a, axis=1)
    csum = np.cumsum(srt, axis=1)
    total = csum[:, -1:]
    need = (p / 100.0) * total * (1 - 1e-12)
    counts = (csum < need).sum(axis=1) + 1
    counts[total[:, 0] == 0] = 0
    return counts


def plot_p_sparsity(H, path: str | Path, ps=PAPER_PS, title: str | None = None) -> Path:
    """Save a histogram of per-row p%-sparsity (as a fraction of n) for each p, like the paper's Fig. 3."""
    from matplotlib.figure import Figure   # an explicit Figure: the caller's pyplot backend is left alone

    n = _dense(H).shape[0]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for p in ps:
        ax.hist(p_sparsity(H, p) / n, bins=40, range=(0, 1), alpha=0.55, label=f"{p}%")
    ax.set_xlabel("fraction of row entries holding p% of |row| mass")
    ax.set_ylabel("rows")
    ax.set_title(title or f"p%-sparsity of a {n}×{n} block")
    ax.legend(title="p")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
