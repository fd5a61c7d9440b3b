"""κ, d, α of curvature blocks through :func:`estimators.estimate` (one code path with ``qlsa estimate``)."""

from __future__ import annotations

from typing import Any, Iterable

from estimators import Estimate, estimate

from hessians import HessianBlock


def block_estimates(blocks: Iterable[HessianBlock], **estimate_kwargs: Any) -> dict[str, Estimate]:
    """Estimate each block's quantum and classical cost; keyword arguments go to ``estimate``."""
    return {b.name: estimate(b.matrix, **estimate_kwargs) for b in blocks}
