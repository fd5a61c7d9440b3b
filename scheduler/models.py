"""The trainer's models (``qlsa train --model``): the paper's MLP, a small CNN, and a tiny GPT.

- ``mlp``: features → hidden (sigmoid) → classes, the paper's DNN (784 → 16 → 10 on MNIST).
- ``cnn``: two 3×3 convolutions (tanh, 2×2 max-pool each) and a linear head, on square images
  given flattened.
- ``gpt``: a one-block character-level GPT (Radford et al. 2018): token + position embeddings,
  pre-LayerNorm causal self-attention (``F.scaled_dot_product_attention``), a 4× GELU MLP and a
  linear head, predicting every next token of its context; ``lm_loss`` is the mean next-token
  cross-entropy over all positions.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from qlsa.errors import InvalidParameterError

MODELS = ("mlp", "cnn", "gpt")


def build_model(name: str, num_features: int, num_classes: int, hidden: int, seed: int,
                context: int | None = None) -> nn.Module:
    """The model ``name`` for ``num_features`` inputs (the context length for ``gpt``) and
    ``num_classes`` outputs (the vocabulary for ``gpt``); ``hidden`` is the MLP width, the CNN's
    channels or the GPT's embedding width."""
    torch.manual_seed(seed)
    if name == "mlp":
        return nn.Sequential(nn.Linear(num_features, hidden), nn.Sigmoid(), nn.Linear(hidden, num_classes))
    if name == "cnn":
        side = math.isqrt(num_features)
        if side * side != num_features or side < 4:
            raise InvalidParameterError(f"--model cnn needs square images; {num_features} features is not a square "
                                        "of side ≥ 4")
        c = max(hidden // 4, 1)
        return nn.Sequential(nn.Unflatten(1, (1, side, side)),
                             nn.Conv2d(1, c, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                             nn.Conv2d(c, 2 * c, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(2 * c * (side // 4) ** 2, num_classes))
    if name == "gpt":
        return TinyGPT(num_classes, context or num_features, hidden)
    raise InvalidParameterError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


class CausalSelfAttention(nn.Module):
    """softmax(QKᵀ/√d_h + causal mask)·V over ``heads`` heads, then an output projection."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise InvalidParameterError(f"GPT width {dim} is not divisible by its {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class TinyGPT(nn.Module):
    """One pre-LN transformer block over ``context`` tokens of a ``vocab``-symbol alphabet."""

    def __init__(self, vocab: int, context: int, dim: int = 16, heads: int = 2):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(context, dim)
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.fc, self.out = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.tok(tokens) + self.pos(torch.arange(tokens.shape[1], device=tokens.device))
        h = h + self.attn(self.ln1(h))
        h = h + self.out(F.gelu(self.fc(self.ln2(h))))
        return self.head(self.ln_f(h))


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over every position of every sequence (nats)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
