"""Capture the per-layer GGN of a small MLP, prune it like Q-Newton and estimate each block.

Run: python examples/hessian_of_a_model.py
"""

import torch
import torch.nn.functional as F

from estimators import estimate
from hessians import capture, prune, regularize

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.Sigmoid(), torch.nn.Linear(16, 10))
x, y = torch.rand(256, 64), torch.randint(0, 10, (256,))
for block in capture(model, F.cross_entropy, x, y, structure="layer", kind="ggn"):
    H = prune(regularize(block.matrix.double().numpy(), 1e-2), d=32).matrix
    e = estimate(H, gate_time=5e-15)
    print(f"{block.name:4s} n = {e.n:5d}  κ = {e.kappa:9.4g}  d = {e.sparsity:3d}  α = {e.alpha:5.2f}  "
          f"quantum {e.quantum_seconds:.3g} s vs classical {e.classical_seconds:.3g} s → {e.processor}")
