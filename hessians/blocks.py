"""Parameter blocks of a torch model in flattened-gradient order.

``full``: one block of all trainable parameters; ``layer``: one block per module that owns
parameters directly (its weight and bias together); ``param``: one block per tensor. The
offsets index the vector returned by :func:`flat_gradient`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from qlsa.errors import InvalidParameterError

STRUCTURES = ("full", "layer", "param")


@dataclass(frozen=True)
class BlockSpec:
    """A named block: the parameter names it covers and its slice of the flat gradient."""

    name: str
    params: tuple[str, ...]
    offset: int
    size: int


def trainable_parameters(model: torch.nn.Module) -> dict[str, torch.nn.Parameter]:
    """Named trainable parameters in ``model.named_parameters()`` order; error if none."""
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    if not params:
        raise InvalidParameterError(f"{type(model).__name__} has no trainable parameters; nothing to differentiate")
    return params


def block_specs(model: torch.nn.Module, structure: str = "layer") -> list[BlockSpec]:
    """Blocks for ``structure`` ∈ {full, layer, param}, in flat-gradient order."""
    if structure not in STRUCTURES:
        raise InvalidParameterError(f"unknown Hessian structure {structure!r}; choose one of {', '.join(STRUCTURES)}")
    params = trainable_parameters(model)
    sizes = {n: p.numel() for n, p in params.items()}
    offsets, off = {}, 0
    for n in params:
        offsets[n] = off
        off += sizes[n]
    if structure == "full":
        return [BlockSpec("full", tuple(params), 0, off)]
    if structure == "param":
        return [BlockSpec(n, (n,), offsets[n], sizes[n]) for n in params]
    groups: dict[str, list[str]] = {}
    for n in params:
        groups.setdefault(n.rpartition(".")[0] or n, []).append(n)
    specs = []
    for owner, names in groups.items():
        # a module's tensors are contiguous in named_parameters order
        specs.append(BlockSpec(owner, tuple(names), offsets[names[0]], sum(sizes[n] for n in names)))
    return specs
