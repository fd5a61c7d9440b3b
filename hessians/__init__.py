"""Curvature from torch models — exact Hessian, GGN, empirical Fisher — in full, per-layer or
per-parameter blocks, plus p%-sparsity analysis, symmetric pruning (on the host, or where the
block is) and regularisation."""

from .blocks import STRUCTURES, BlockSpec, block_specs
from .capture import KINDS, CapturedStep, HessianBlock, capture, capture_step, flat_gradient
from .fisher_factor import FisherFactor, fisher_factor
from .prune import PruneResult, prune, regularize
from .prune_resident import ResidentPrune, prune_resident
from .sparsity import p_sparsity, plot_p_sparsity, row_sparsity

__all__ = ["KINDS", "STRUCTURES", "BlockSpec", "CapturedStep", "FisherFactor", "HessianBlock", "PruneResult", "ResidentPrune",
           "block_specs", "capture", "capture_step", "fisher_factor", "flat_gradient", "p_sparsity", "plot_p_sparsity", "prune", "prune_resident", "regularize", "row_sparsity"]
