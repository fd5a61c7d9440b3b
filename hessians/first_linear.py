"""Exact Hessian columns of a leading ``nn.Linear`` layer without one HVP per weight.

For ``nn.Sequential(Linear, …)`` on 2-D inputs X (B×K) and a mean of per-sample losses
ℓ = (1/B)·Σᵢ ℓᵢ, the loss depends on (W, b) only through h = XWᵀ + b, so a weight direction
E_{rk} perturbs sample i's pre-activation by x̃ᵢ[k]·e_r (x̃ = [x, 1] for the bias). Hence

    H[θ, (r,k)] = (1/B)·Σᵢ x̃ᵢ[k] · ∂/∂h_{i,r} ∇_θ ℓᵢ,

and with Dᵢ[r,s] = ∂²ℓᵢ/∂h_r∂h_s (the per-sample pre-activation Hessian, m×m) the
first-layer block is H[(s,j),(r,k)] = (1/B)·Σᵢ Dᵢ[r,s]·x̃ᵢ[j]·x̃ᵢ[k] — one (m²K × B)·(B × K)
product. Only m forward-over-reverse passes per sample are needed (m = out_features),
instead of m·K HVPs over the batch; the other parameters' block comes from the generic
chunked HVPs. (The idea is Hessian backpropagation, Dangel, Kunstner, Hennig 2020.)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, grad, jvp, vmap

from .blocks import BlockSpec


def applies(model: nn.Module, loss_fn, inputs: torch.Tensor, targets: torch.Tensor, names: list[str]) -> bool:
    """Sequential with a trainable leading Linear on B×K inputs and a per-sample-mean loss."""
    if not (isinstance(model, nn.Sequential) and len(model) > 1 and isinstance(model[0], nn.Linear)):
        return False
    first = [n for n in ("0.weight", "0.bias") if getattr(model[0], n[2:]) is not None]
    if inputs.dim() != 2 or names[: len(first)] != first or len(names) == len(first):
        return False
    with torch.no_grad():   # the batch loss must be the mean of the per-sample losses
        out = model(inputs[:4])
        whole = loss_fn(out, targets[:4])
        each = torch.stack([loss_fn(out[i:i + 1], targets[i:i + 1]) for i in range(out.shape[0])]).mean()
    return bool(torch.allclose(whole, each, rtol=1e-6, atol=1e-12))


def fill_first_layer(H: torch.Tensor, model: nn.Sequential, loss_fn, params: dict[str, torch.Tensor],
                     inputs: torch.Tensor, targets: torch.Tensor, forward: bool = True) -> None:
    """Write the first layer's rows and columns of the exact Hessian into ``H`` (P×P or first×first).

    Layout of the first layer: weight (r·K + k, row-major like ``weight.reshape(-1)``), then bias.
    The derivative of ∇_{h,θ}ℓᵢ along e_r is forward-over-reverse, or with ``forward=False``
    (a loss without forward-mode second derivatives) reverse-over-reverse, ∇_{h,θ}(∇_hℓᵢ·e_r).
    """
    rest = model[1:]
    W = params["0.weight"]
    has_bias = "0.bias" in params
    b = params["0.bias"] if has_bias else torch.zeros(W.shape[0], dtype=W.dtype, device=W.device)
    rest_params = {n: p for n, p in params.items() if not n.startswith("0.")}
    X = inputs
    B, K = X.shape
    m = W.shape[0]
    h0 = X @ W.T + b

    def sample_loss(shift, rp, h, y):
        return loss_fn(functional_call(rest, rp, ((h + shift).unsqueeze(0),)), y.unsqueeze(0))

    zero = torch.zeros(m, dtype=W.dtype, device=W.device)
    if forward:
        g = grad(sample_loss, argnums=(0, 1))

        def second(e, h, y):
            return jvp(lambda s: g(s, rest_params, h, y), (zero,), (e,))[1]
    else:
        g_h = grad(sample_loss)

        def second(e, h, y):
            return grad(lambda s, rp: (g_h(s, rp, h, y) * e).sum(), argnums=(0, 1))(zero, rest_params)

    eye = torch.eye(m, dtype=W.dtype, device=W.device)
    D, d_rest = vmap(vmap(second, in_dims=(0, None, None)), in_dims=(None, 0, 0))(eye, h0, targets)
    D = (D + D.transpose(1, 2)) / (2 * B)                        # D[i, r, s] = ∂²ℓᵢ/∂h_r∂h_s / B
    nw = m * K
    for s in range(m):            # rows (s, j), columns r ≥ s: Xᵀ·[D[:, s, r]·x_k]; r < s by symmetry
        Q = (D[:, s, s:, None] * X[:, None, :]).reshape(B, (m - s) * K)
        torch.matmul(X.T, Q, out=H[s * K:(s + 1) * K, s * K:nw])
        own = H[s * K:(s + 1) * K, s * K:(s + 1) * K]          # symmetric to round-off: average the triangles
        own.copy_((own + own.T) / 2)
        for r in range(s):
            H[s * K:(s + 1) * K, r * K:(r + 1) * K] = H[r * K:(r + 1) * K, s * K:(s + 1) * K].T
    if has_bias:
        wb = torch.einsum("isr,ik->rks", D, X).reshape(nw, m)   # weight (r, k) × bias s
        H[:nw, nw:nw + m] = wb
        H[nw:nw + m, :nw] = wb.T
        bias = D.sum(0)                                          # a reduction: symmetric to round-off
        H[nw:nw + m, nw:nw + m] = (bias + bias.T) / 2
    first = nw + m * has_bias
    if H.shape[0] > first:
        rest_flat = torch.cat([d_rest[n].reshape(B, m, -1) for n in rest_params], dim=2) / B   # [i, r, p]
        cross = torch.empty((rest_flat.shape[2], first), dtype=H.dtype, device=H.device)
        cross[:, :nw] = torch.einsum("irp,ik->prk", rest_flat, X).reshape(-1, nw)
        if has_bias:
            cross[:, nw:] = rest_flat.sum(0).T
        H[first:, :first] = cross
        H[:first, first:] = cross.T


def rest_spec(names: list[str], sizes: dict[str, int], first_size: int) -> BlockSpec:
    rest = tuple(n for n in names if not n.startswith("0."))
    return BlockSpec("rest", rest, first_size, sum(sizes[n] for n in rest))
