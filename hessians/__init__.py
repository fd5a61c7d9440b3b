"""Curvature from torch models: exact Hessians, GGN, empirical Fisher; sparsity, pruning, regularisation."""
