"""Curvature blocks of a torch model's mean mini-batch loss, through ``torch.func``.

- ``exact``: H = ∇²L(θ) by forward-over-reverse Hessian-vector products
  H·e_k = ∂/∂t ∇L(θ + t·e_k), vmapped over chunks of basis vectors (memory ∝ chunk size);
  reverse-over-reverse, H·e_k = ∇(∇L·e_k), where the loss's gradient has no forward-mode
  derivative (torch's ``huber_loss``; ``mse_loss`` fails under one), as for the loss's own
  Hessian in ``ggn``.
- ``ggn``: G = Jᵀ·H_ℓ·J with J = ∂f/∂θ the output Jacobian and H_ℓ = ∂²L/∂f² (Schraudolph
  2002). PSD for convex losses. For a mean of per-sample losses of independent samples,
  G = (1/B)·Σ_i J_iᵀ·H_i·J_i from the per-sample output Jacobians J_i (C × n, ``vmap(jacrev)``)
  and per-sample output Hessians H_i (C × C), every block one GEMM of the stacked J_i against
  the stacked H_i·J_i — the way BackPACK and curvlinops form it; with batch norm by batch
  statistics (samples coupled) by the chunked products J·e_k → H_ℓ·(J·e_k) → Jᵀ·(…) instead.
- ``fisher``: empirical Fisher F = (1/B)·Σ_i g_i g_iᵀ with g_i = ∇ℓ(f(x_i), y_i) the
  per-sample gradients (``vmap(grad)``), each flattened like the weight itself
  (row-major, as ``param.reshape(-1)``) for 2-D and 3-D inputs alike; refused, in one line,
  where batch norm by batch statistics couples the samples.

``loss_fn(outputs, targets)`` must return the scalar mean loss of the batch.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch
from torch.func import functional_call, grad, hessian, jacrev, jvp, vjp, vmap
from torch.nn.attention import SDPBackend, sdpa_kernel
from tqdm.auto import tqdm

from qlsa.errors import InvalidParameterError, QlsaError, ResourceLimitError

from . import first_linear
from .blocks import BlockSpec, block_specs, trainable_parameters
from .gram import Gram

KINDS = ("exact", "ggn", "fisher")


@dataclass(frozen=True)
class HessianBlock:
    """One named curvature block (``matrix`` is size × size) and its place in the flat gradient.
    ``psd``: positive semi-definite by construction — a Gram matrix: the empirical Fisher, or a
    GGN whose per-sample loss Hessians had no negative eigenvalue (a convex loss)."""

    name: str
    params: tuple[str, ...]
    offset: int
    matrix: torch.Tensor
    psd: bool = False

    @property
    def size(self) -> int:
        return self.matrix.shape[0]


def _memory_budget() -> int:
    """A quarter of physical memory, in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def _check_sizes(specs: list[BlockSpec], structure: str, dtype: torch.dtype, max_bytes: int) -> None:
    itemsize = torch.empty((), dtype=dtype).element_size()
    for spec in specs:
        need = spec.size**2 * itemsize
        if need > max_bytes:
            hint = {"full": "structure='layer'", "layer": "structure='param'",
                    "param": "a smaller model or kind='fisher' on a subset"}[structure]
            raise ResourceLimitError(
                f"block {spec.name!r} is {spec.size}×{spec.size} ({need / 2**30:.1f} GiB), over the "
                f"{max_bytes / 2**30:.1f} GiB limit; use {hint} or raise max_bytes")


def flat_gradient(model: torch.nn.Module, loss_fn, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """∇L(θ) flattened in the same order as the blocks' offsets."""
    params = trainable_parameters(model)
    loss = _loss(model, loss_fn, params, inputs, targets)
    grads = torch.autograd.grad(loss, list(params.values()))
    return torch.cat([g.reshape(-1) for g in grads])


def _loss(model, loss_fn, params, inputs, targets) -> torch.Tensor:
    return _output_and_loss(model, loss_fn, params, inputs, targets)[1]


def _output_and_loss(model, loss_fn, params, inputs, targets) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch's outputs and its loss, a finite scalar; a batch the model or the loss cannot take,
    or a loss that is not a finite scalar, is a one-line error."""
    out = _on_batch(lambda: functional_call(model, params, (inputs,)), "the model", inputs, targets)
    return out, _checked(_on_batch(lambda: loss_fn(out, targets), "loss_fn", inputs, targets))


def _on_batch(call, what: str, inputs: torch.Tensor, targets: torch.Tensor):
    """``call()``, with torch's error on a batch it cannot take (shapes, dtypes, class indices)
    as one line naming the batch: the first forward pass and loss, where a wrong batch shows."""
    try:
        return call()
    except QlsaError:
        raise
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
        raise InvalidParameterError(f"{what} failed on this batch (inputs {_shape(inputs)}, targets "
                                    f"{_shape(targets)}): {first}; check the batch against the model and loss") from None


def _shape(x) -> str:
    return f"{tuple(x.shape)} {str(x.dtype).removeprefix('torch.')}" if isinstance(x, torch.Tensor) else type(x).__name__


def _checked(loss: torch.Tensor) -> torch.Tensor:
    """The batch loss, if it is a finite scalar; else a one-line error."""
    if loss.dim() != 0:
        raise InvalidParameterError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}; "
                                    "use reduction='mean'")
    if not torch.isfinite(loss):
        raise InvalidParameterError(f"loss is {loss.item()}; check the inputs, targets and parameters")
    return loss


@dataclass(frozen=True)
class CapturedStep:
    """A batch's curvature blocks with its gradient ∇L(θ) (flat, ordered like the blocks'
    offsets) and its mean loss L(θ), which the capture computes anyway for its checks."""

    blocks: list[HessianBlock]
    gradient: torch.Tensor
    loss: float


def capture(model: torch.nn.Module, loss_fn, inputs: torch.Tensor, targets: torch.Tensor,
            structure: str = "layer", kind: str = "exact", chunk_size: int = 256,
            max_bytes: int | None = None, progress: bool = True) -> list[HessianBlock]:
    """Curvature blocks of the mean loss, ordered like :func:`flat_gradient`.

    Runs under the math scaled-dot-product-attention backend: the fused CPU kernels have
    no second derivative, the math one does.
    """
    return capture_step(model, loss_fn, inputs, targets, structure, kind, chunk_size, max_bytes, progress).blocks


def capture_step(model: torch.nn.Module, loss_fn, inputs: torch.Tensor, targets: torch.Tensor,
                 structure: str = "layer", kind: str = "exact", chunk_size: int = 256,
                 max_bytes: int | None = None, progress: bool = True) -> CapturedStep:
    """:func:`capture`'s blocks with the batch's gradient and loss from the same passes: a
    Newton step needs no further forward or backward pass (the gradient equals
    :func:`flat_gradient`'s, computed under the math attention backend)."""
    with sdpa_kernel(SDPBackend.MATH):
        return _capture(model, loss_fn, inputs, targets, structure, kind, chunk_size, max_bytes, progress)


def _capture(model, loss_fn, inputs, targets, structure, kind, chunk_size, max_bytes, progress) -> CapturedStep:
    if kind not in KINDS:
        raise InvalidParameterError(f"unknown curvature kind {kind!r}; choose one of {', '.join(KINDS)}")
    if chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be ≥ 1, got {chunk_size}")
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.training and m.track_running_stats:
            raise InvalidParameterError(
                f"module {name!r} ({type(m).__name__}) updates its running statistics in training mode, which "
                "torch.func cannot trace; capture curvature with model.eval(), or build it with "
                "track_running_stats=False")
    if kind == "fisher":                        # refused before any pass over the batch
        check_per_sample(model, "the empirical Fisher", "use kind='ggn'")
    specs = block_specs(model, structure)
    params = {n: p.detach() for n, p in trainable_parameters(model).items()}
    dtype = next(iter(params.values())).dtype
    _check_sizes(specs, structure, dtype, max_bytes or _memory_budget())
    with torch.no_grad():
        out, loss = _output_and_loss(model, loss_fn, params, inputs, targets)
    loss = float(loss)
    g = grad(lambda p: loss_fn(functional_call(model, p, (inputs,)), targets))(params)
    if not all(torch.isfinite(x).all() for x in g.values()):
        raise InvalidParameterError("gradient has NaN/Inf entries; lower the learning rate or check the data")
    forward = kind == "fisher" or _forward_over_reverse(loss_fn, out, targets)
    del out
    blocks = _blocks(model, loss_fn, params, specs, inputs, targets, structure, kind, chunk_size, progress, forward)
    return CapturedStep(blocks, torch.cat([x.reshape(-1) for x in g.values()]), loss)


def _forward_over_reverse(loss_fn, out: torch.Tensor, targets: torch.Tensor) -> bool:
    """Whether the loss's gradient has a forward-mode derivative at the batch's outputs ``out``
    (tried once, on the loss alone). torch's ``huber_loss`` has none, and ``mse_loss`` with its
    default mean fails under one ("ZeroTensors are immutable", torch 2.x); the capture then takes
    reverse-over-reverse products, H·v = ∇(∇L·v), the same H by symmetry of second derivatives."""
    try:
        jvp(grad(lambda o: loss_fn(o, targets)), (out,), (torch.ones_like(out),))
    except (RuntimeError, NotImplementedError):
        return False
    return True


def _hvp(f, x0: torch.Tensor, forward: bool):
    """v ↦ ∇²f(x0)·v for a scalar f: forward-over-reverse (``jvp`` of ``grad``), or reverse-over-
    reverse (``vjp`` of ``grad``, linearised once) where ``forward`` is False; vmappable."""
    if forward:
        g = grad(f)
        return lambda v: jvp(g, (x0,), (v,))[1]
    _, back = vjp(grad(f), x0)
    return lambda v: back(v)[0]


def _blocks(model, loss_fn, params, specs, inputs, targets, structure, kind, chunk_size, progress, forward):
    """The blocks of ``kind`` by the fastest method that applies (module doc); ``forward``: the
    loss's second derivatives may be taken forward-over-reverse (:func:`_forward_over_reverse`)."""
    coupled = _couples_samples(model)
    if kind == "exact" and structure in ("full", "layer") and not coupled and first_linear.applies(
            model, loss_fn, inputs, targets, list(params)):
        return _capture_first_linear(model, loss_fn, params, specs, inputs, targets, structure, chunk_size, progress,
                                     forward)

    if kind == "ggn" and not coupled:
        return _ggn_per_sample(model, loss_fn, params, specs, inputs, targets, progress, forward)

    if kind == "fisher":
        return _fisher_blocks(model, loss_fn, params, specs, inputs, targets)

    blocks = []
    total_chunks = sum(math.ceil(s.size / chunk_size) for s in specs)
    bar = tqdm(total=total_chunks, desc=f"{kind} curvature", disable=None if progress and total_chunks >= 8 else True,
               leave=False)
    for spec in specs:
        mat = _product_block(model, loss_fn, params, spec, inputs, targets, kind, chunk_size, bar, forward)
        blocks.append(HessianBlock(spec.name, spec.params, spec.offset, mat))
    bar.close()
    return blocks


def _capture_first_linear(model, loss_fn, params, specs, inputs, targets, structure, chunk_size, progress, forward):
    """Exact Hessian with the leading Linear layer's rows and columns by :mod:`hessians.first_linear`."""
    names = list(params)
    sizes = {n: p.numel() for n, p in params.items()}
    first_size = sum(v for n, v in sizes.items() if n.startswith("0."))
    rest = first_linear.rest_spec(names, sizes, first_size)
    n_rest_chunks = math.ceil(rest.size / chunk_size)
    bar = tqdm(total=1 + n_rest_chunks, desc="exact curvature (leading Linear)",
               disable=None if progress and n_rest_chunks >= 8 else True, leave=False)
    dtype = next(iter(params.values())).dtype
    n = first_size + rest.size if structure == "full" else first_size
    H = torch.empty((n, n), dtype=dtype, device=inputs.device)
    first_linear.fill_first_layer(H, model, loss_fn, params, inputs, targets, forward)
    bar.update(1)
    rest_block = _product_block(model, loss_fn, params, rest, inputs, targets, "exact", chunk_size, bar, forward)
    bar.close()
    if structure == "full":
        H[first_size:, first_size:] = rest_block
        return [HessianBlock("full", specs[0].params, 0, H)]
    out = [HessianBlock(specs[0].name, specs[0].params, 0, H)]
    for spec in specs[1:]:
        a, b = spec.offset - first_size, spec.offset - first_size + spec.size
        out.append(HessianBlock(spec.name, spec.params, spec.offset, rest_block[a:b, a:b].clone()))
    return out


def _split(spec: BlockSpec, params: dict[str, torch.Tensor]):
    """Functions mapping a flat block vector to the parameter dict and back."""
    shapes = [params[n].shape for n in spec.params]
    numels = [params[n].numel() for n in spec.params]

    def unflatten(flat: torch.Tensor) -> dict[str, torch.Tensor]:
        parts = torch.split(flat, numels)
        return {**params, **{n: t.reshape(s) for n, t, s in zip(spec.params, parts, shapes)}}

    flat0 = torch.cat([params[n].reshape(-1) for n in spec.params])
    return flat0, unflatten


def _product_block(model, loss_fn, params, spec, inputs, targets, kind, chunk_size, bar, forward) -> torch.Tensor:
    flat0, unflatten = _split(spec, params)

    if kind == "exact":
        column = _hvp(lambda flat: loss_fn(functional_call(model, unflatten(flat), (inputs,)), targets), flat0, forward)
    else:
        def out_of(flat):
            return functional_call(model, unflatten(flat), (inputs,))

        out0, vjp_fn = vjp(out_of, flat0)
        loss_hvp = _hvp(lambda o: loss_fn(o, targets), out0, forward)

        def column(v):
            return vjp_fn(loss_hvp(jvp(out_of, (flat0,), (v,))[1]))[0]

    n = spec.size
    out = torch.empty((n, n), dtype=flat0.dtype, device=flat0.device)
    batched = vmap(column)
    eye = torch.eye(n, dtype=flat0.dtype, device=flat0.device)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        out[start:stop] = batched(eye[start:stop])
        bar.update(1)
    return (out + out.T) / 2  # symmetric up to round-off; average the two triangles


def _couples_samples(model: torch.nn.Module) -> bool:
    """Batch norm by batch statistics mixes the samples of a batch: per-sample Jacobians and
    gradients do not apply."""
    return any(_couples(m) for m in model.modules())


def check_per_sample(model: torch.nn.Module, what: str, instead: str) -> None:
    """A one-line error where ``what`` needs per-sample gradients and a module couples the samples."""
    for name, module in model.named_modules():
        if _couples(module):
            raise InvalidParameterError(
                f"{what} needs per-sample gradients, but module {name!r} ({type(module).__name__}) normalises by "
                f"batch statistics, which couples the samples; give it running statistics and capture with "
                f"model.eval(), or {instead}")


def _couples(module: torch.nn.Module) -> bool:
    """Batch norm normalising by the batch's own statistics: in training mode, or without running
    statistics (torch then uses the batch's in eval mode too)."""
    return isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and (module.training or
                                                                          module.running_mean is None)


def _ggn_per_sample(model, loss_fn, params, specs, inputs, targets, progress, forward, max_bytes: int = 1 << 28):
    """G_b = (1/B)·Σ_i J_i,bᵀ·H_i·J_i,b for every block b, over chunks of samples whose
    Jacobians fit in ``max_bytes``; ℓ_i = loss_fn(f(x_i), y_i) on a batch of one (the mean loss
    is (1/B)·Σ_i ℓ_i). With H_i = V·diag(λ)·Vᵀ, G = (1/B)·(S₊ᵀS₊ − S₋ᵀS₋), S_± = the rows
    √|λ_k|·v_kᵀ·J_i of the positive / negative λ_k: one Gram term each (:mod:`hessians.gram`).
    Negative λ within 10·C·ε_mach·max|λ| of zero are eigensolver round-off (a convex loss
    has none) and carry no term."""
    def f_single(p, x):
        return functional_call(model, p, (x.unsqueeze(0),)).squeeze(0)

    def loss_single(o, y):
        return loss_fn(o.unsqueeze(0), y.unsqueeze(0))

    B = inputs.shape[0]
    dtype = next(iter(params.values())).dtype
    n_out = f_single(params, inputs[0]).numel()
    n_total = sum(p.numel() for p in params.values())
    per = max(1, max_bytes // (2 * n_out * n_total * torch.empty((), dtype=dtype).element_size()))
    grams = [Gram(s.size, dtype, inputs.device) for s in specs]
    convex = True                                                  # no per-sample loss Hessian had λ < 0
    starts = range(0, B, per)
    bar = tqdm(total=len(starts), desc="ggn curvature", disable=None if progress and len(starts) >= 8 else True,
               leave=False)
    for start in starts:
        x, y = inputs[start: start + per], targets[start: start + per]
        b = x.shape[0]
        jac = vmap(jacrev(f_single), in_dims=(None, 0))(params, x)
        out = vmap(f_single, in_dims=(None, 0))(params, x)
        H_out = vmap(hessian(loss_single) if forward else jacrev(jacrev(loss_single)))(out, y)
        lam, V = torch.linalg.eigh(H_out.reshape(b, n_out, n_out))
        tol = 10 * n_out * torch.finfo(dtype).eps * lam.abs().amax(dim=1, keepdim=True)
        signs = [(sign, rows) for sign, rows in ((1.0, lam > 0), (-1.0, lam < -tol)) if rows.any()]
        convex &= all(sign > 0 for sign, _ in signs)
        scaled_V = lam.abs().sqrt().unsqueeze(1) * V                                     # columns √|λ_k|·v_k
        for spec, gram in zip(specs, grams):               # each block's rows from its own parameters' Jacobian:
            J = torch.cat([jac[n].reshape(b, n_out, -1) for n in spec.params], dim=2)   # b × C × n_b, contiguous
            W = scaled_V.mT @ J                                                          # rows √|λ_k|·v_kᵀ·J_i
            for sign, rows in signs:
                gram.add(W[rows], sign / B)                                              # (terms) × n_b
        del jac
        bar.update(1)
    bar.close()
    return [HessianBlock(s.name, s.params, s.offset, g.matrix(), convex) for s, g in zip(specs, grams)]


def _fisher_blocks(model, loss_fn, params, specs, inputs, targets) -> list[HessianBlock]:
    """F_b = (1/B)·G_bᵀG_b from the per-sample gradients G (B × n, one ``vmap(grad)`` for all
    blocks), one Gram term per block."""
    def sample_loss(p, x, y):
        return loss_fn(functional_call(model, p, (x.unsqueeze(0),)), y.unsqueeze(0))

    B = inputs.shape[0]
    g = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, inputs, targets)
    G = torch.cat([g[n].reshape(B, -1) for n in params], dim=1)                        # B × n
    out = []
    for spec in specs:
        gram = Gram(spec.size, G.dtype, G.device)
        gram.add(G[:, spec.offset: spec.offset + spec.size], 1.0 / B)
        out.append(HessianBlock(spec.name, spec.params, spec.offset, gram.matrix(), True))
    return out
