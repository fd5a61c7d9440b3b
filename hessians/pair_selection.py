"""Greedy symmetric pair selection under per-row budgets (DESIGN.md §3.5), compiled by numba.

The definition: the off-diagonal pairs (i, j), i < j, of a symmetric A are visited by
decreasing |a_ij|, ties in row-major order, and each is kept while both row i and row j hold
fewer than their capacity; zero entries are never kept. It is a greedy b-matching, sequential
by nature, so the decisions run as one compiled loop (:func:`_accept_in_order`) over the pairs
in that order. Sorting all n²/2 pairs would cost more than the solve, so only a window of the
order is formed at a time:

- a round takes every pair of open rows (capacity left) whose key lies in [lo, hi): a prefix of
  what is left of the order, since the keys are ordered and ties never straddle a boundary;
- the key is |a_ij|'s IEEE bit pattern (sign cleared), which orders like |a_ij|, so the window
  test, the sort and the ties are exact integer operations;
- the window is put in order lazily: bucketed by the top bits of its keys (a stable counting
  sort), and each bucket sorted only after the pairs that a full row already rejects are dropped
  from it (most are, as rows fill), so 10–20 % of a window is sorted, not all of it;
- lo is read off a sample of open rows so that about ``take``·Σcap/2 + m pairs fall in the
  window (m open rows); a poor guess costs one more round, never a different result;
- the next round's hi is this round's lo, over the rows still open.

A round reads the open rows' upper triangle once, collecting the window into arrays that grow
when the sample's guess falls short (in a Newton step the block comes from memory, not cache,
so each pass saved is bandwidth). On a large block that pass runs in two halves of the rows at
once (:mod:`hessians.row_halves`: a helper thread that waits, not spins, between calls); the
greedy itself is one sequential loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .jit_cache import njit
from .row_halves import in_halves, split_point

_DIGIT = 12                     # the window's buckets: the top 12 bits of max − key, 4096 buckets
_SAMPLE_BITS = 16               # the sample's histogram resolves the top 16 bits of a key


@dataclass(frozen=True)
class Selection:
    """The kept pairs (``rows[k]``, ``cols[k]``), rows < cols, in the order kept; ``rounds``: windows formed."""

    rows: np.ndarray
    cols: np.ndarray
    rounds: int


def greedy_pairs(A: np.ndarray, capacity: np.ndarray, take: float = 4.0, seed: int = 0) -> Selection:
    """The pairs the greedy keeps (module doc) for a C-contiguous float32 or float64 square A,
    read from its upper triangle; ``capacity[i]`` pairs at most in row i (not changed)."""
    if A.dtype == np.float32:
        keys, mask, bits = A.view(np.int32), np.int32(0x7FFFFFFF), 31
    elif A.dtype == np.float64:
        keys, mask, bits = A.view(np.int64), np.int64(0x7FFFFFFFFFFFFFFF), 63
    else:
        raise TypeError(f"greedy_pairs takes float32 or float64, got {A.dtype}")
    cap = np.array(capacity, dtype=np.int64)
    rng = np.random.default_rng(seed)
    hi = int(np.array(np.inf, A.dtype).view(keys.dtype)) + 1     # keys in [lo, hi): ±inf kept, NaN never
    rounds, kept = 0, [np.empty(0, np.int64)]
    while hi > 1 and (m := int(np.count_nonzero(cap))) >= 2:
        is_open = cap > 0
        live = np.flatnonzero(is_open)
        want = take * cap.sum() / 2 + m
        lo = 1
        if want < m * (m - 1) / 4:           # else the window takes all that is left
            picks = live[rng.choice(m, min(m, 64), replace=False)]
            # each pair shows in both of its rows: r sampled rows of m see about 2r/m of the window
            lo = _sample_threshold(keys, mask, picks, is_open, hi, want * 2 * picks.size / m, bits - _SAMPLE_BITS)
        guess = min(int(1.5 * want), m * (m - 1) // 2) + A.shape[0]    # never above the pairs of open rows
        key, pair = _window_in_halves(keys, mask, live, is_open, lo, hi, guess)
        kept.append(_accept_in_order(key, pair, cap))
        rounds += 1
        hi = lo
    pairs = np.concatenate(kept)
    return Selection(pairs >> 32, pairs & 0xFFFFFFFF, rounds)


@njit()
def _sample_threshold(keys, mask, picks, is_open, hi, want, shift):
    """The key at which about ``want`` of the picked rows' open entries below hi lie above it
    (both triangles), to a histogram bucket's width (2**shift): 1 if fewer are there."""
    hist = np.zeros((hi >> shift) + 1, np.int64)
    for i in picks:
        row = keys[i]
        for j in range(row.size):
            k = np.int64(row[j] & mask)
            if 0 < k < hi and is_open[j] and j != i:
                hist[k >> shift] += 1
    seen = 0
    for b in range(hist.size - 1, 0, -1):
        seen += hist[b]
        if seen >= want:
            return b << shift
    return 1


@njit()
def _window(keys, mask, live, is_open, lo, hi, size):
    """The window's keys and pairs (i·2³² + j), row-major, in one pass over the open rows' upper
    triangle: the arrays start at ``size`` (the sample's guess) and double when a row might not fit."""
    key, pair, c = np.empty(size, keys.dtype), np.empty(size, np.int64), 0
    for i in live:
        row, col_open = keys[i, i + 1:], is_open[i + 1:]
        if c + row.size > key.size:
            size = 2 * key.size + row.size
            key, pair = _grown(key, c, size), _grown(pair, c, size)
        for t in range(row.size):
            k = row[t] & mask
            if lo <= k < hi and col_open[t]:
                key[c], pair[c] = k, (np.int64(i) << 32) | (i + 1 + t)
                c += 1
    return key[:c], pair[:c]


def _window_in_halves(keys, mask, live, is_open, lo, hi, size):
    """:func:`_window`'s arrays, its rows split in two halves of the entries read that run at once
    where the pass is large (:mod:`hessians.row_halves`); concatenated, still row-major."""
    n = keys.shape[0]
    k = split_point(n - 1 - live)
    if k is None:
        return _window(keys, mask, live, is_open, lo, hi, size)
    half = size // 2 + n
    (k1, p1), (k2, p2) = in_halves(lambda: _window(keys, mask, live[:k], is_open, lo, hi, half),
                                   lambda: _window(keys, mask, live[k:], is_open, lo, hi, half))
    return np.concatenate((k1, k2)), np.concatenate((p1, p2))


@njit(inline="always")
def _grown(a, used, size):
    out = np.empty(size, a.dtype)
    out[:used] = a[:used]
    return out


@njit()
def _accept_in_order(key, pair, cap):
    """The greedy over the window (keys ≥ 1, pairs row-major) in decreasing key order, ties in
    row-major order: each pair in turn is kept iff both its rows have capacity left (``cap``,
    decremented). Rows only close, so a pair with a closed row is rejected whenever it comes:
    a stable counting sort buckets the window by the top ``_DIGIT`` bits of max − key, and each
    bucket, in order, first drops such pairs, then sorts its survivors stably by the remaining
    bits and decides them. Most of a window is rejected (80–90 % in a Newton step's blocks), so
    only the survivors are sorted, not the window; the drop is branch-free (every pair is
    written, the survivors' count advances), as a branch on it would be mispredicted about as
    often as taken (1.6× slower at n = 4 112)."""
    m = key.size
    kept = np.empty(m, np.int64)
    if m == 0:
        return kept
    top = np.int64(key.max())
    span, shift = top - np.int64(key.min()), 0
    while (span >> shift) >= (1 << _DIGIT):
        shift += 1
    buckets = (span >> shift) + 1
    start = np.zeros(buckets + 1, np.int64)
    for t in range(m):
        start[((top - key[t]) >> shift) + 1] += 1
    start = np.cumsum(start)
    low = (np.int64(1) << shift) - 1
    by_p, by_bits, fill = np.empty(m, np.int64), np.empty(m, np.int64), start[:-1].copy()
    for t in range(m):                                  # stable: row-major within a bucket
        d = top - key[t]
        f = fill[d >> shift]
        by_p[f], by_bits[f] = pair[t], d & low
        fill[d >> shift] = f + 1
    alive, bits, c = np.empty(m, np.int64), np.empty(m, np.int64), 0
    for b in range(buckets):
        s = 0
        for q in range(start[b], start[b + 1]):
            p = by_p[q]
            alive[s], bits[s] = p, by_bits[q]
            s += (cap[p >> 32] > 0) & (cap[p & 0xFFFFFFFF] > 0)
        if shift > 0 and s > 1:
            _sort_pairs(bits, alive, s)
        for r in range(s):
            p = alive[r]
            i, j = p >> 32, p & 0xFFFFFFFF
            if cap[i] > 0 and cap[j] > 0:
                cap[i] -= 1
                cap[j] -= 1
                kept[c] = p
                c += 1
    return kept[:c]


@njit(inline="always")
def _sort_pairs(bits, alive, s):
    """Stable sort of (bits, alive)[:s] by ``bits``: insertion for a few, a merge sort beyond."""
    if s <= 32:
        for a in range(1, s):
            b, t, k = bits[a], alive[a], a - 1
            while k >= 0 and bits[k] > b:
                bits[k + 1], alive[k + 1] = bits[k], alive[k]
                k -= 1
            bits[k + 1], alive[k + 1] = b, t
    else:
        order = np.argsort(bits[:s], kind="mergesort")
        alive[:s] = alive[:s][order]
