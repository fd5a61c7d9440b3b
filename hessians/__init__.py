"""Curvature from torch models — exact Hessian, GGN, empirical Fisher — in full, per-layer or
per-parameter blocks, plus p%-sparsity analysis, symmetric pruning and regularisation."""

from .blocks import STRUCTURES, BlockSpec, block_specs
from .capture import KINDS, CapturedStep, HessianBlock, capture, capture_step, flat_gradient
from .fisher_factor import FisherFactor, fisher_factor
from .prune import PruneResult, prune, regularize
from .sparsity import p_sparsity, plot_p_sparsity, row_sparsity

__all__ = ["KINDS", "STRUCTURES", "BlockSpec", "CapturedStep", "FisherFactor", "HessianBlock", "PruneResult",
           "block_specs", "capture", "capture_step", "fisher_factor", "flat_gradient", "p_sparsity", "plot_p_sparsity", "prune", "regularize", "row_sparsity"]
