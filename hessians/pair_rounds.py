"""The greedy symmetric pair selection of :mod:`hessians.pair_selection`, on the block's own
device (a CUDA block stays there): rounds of locally dominant pairs in torch.

Rank the non-zero upper pairs in the greedy's order (decreasing |a_ij|, ties row-major: one
stable sort). A candidate pair joins two open rows (capacity left) and is undecided. In a round,
row i's top set T_i holds its cap_i best-ranked candidates; every pair in both T_i and T_j is
kept, capacities drop, and closed rows leave. Each such pair is one the greedy keeps: before it,
the greedy can fill row i only with better-ranked pairs of row i, of which fewer than cap_i are
still candidates (the rest are kept already, counted in cap_i, or have a closed row and will be
rejected), and likewise row j. The globally best candidate is in both of its rows' top sets, so
every round keeps at least one pair, and the rounds end with the greedy's selection — the
b-Suitor / locally-dominant equivalence (Khan et al., SIAM J. Sci. Comput. 38(5), 2016).

Each round is a few dense passes over the rows still live (the block is compacted as rows
close): on the first GGN blocks of ``newton_step_overhead``'s MLPs, 38 rounds at n = 1 040 and
96 at n = 4 112, whose live rows shrink roughly linearly; the rounds of the latter read Σm² =
15 n² ranks in all. That is work a
GPU does in parallel; on a CPU the compiled sequential greedy is faster and is what
:func:`hessians.prune.prune` uses.
"""

from __future__ import annotations

import torch

_NONE = torch.iinfo(torch.int32).max       # the rank of "no candidate"


def greedy_pairs_rounds(A: torch.Tensor, capacity: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, cols), rows < cols, of the pairs the greedy keeps in the symmetric float A (n ≤ 65 535,
    so that the n(n − 1)/2 ranks fit int32) with ``capacity[i]`` pairs at most in row i; on A's
    device, in row-major order. The same pairs as :func:`~hessians.pair_selection.greedy_pairs`."""
    n, dev = A.shape[0], A.device
    iu, ju = torch.triu_indices(n, n, 1, device=dev)
    mag = A[iu, ju].abs()
    nz = mag != 0                                        # zero entries are never kept
    iu, ju = iu[nz], ju[nz]
    order = torch.sort(mag[nz], descending=True, stable=True).indices   # ties keep row-major order
    rank = torch.empty_like(order, dtype=torch.int32)
    rank[order] = torch.arange(order.numel(), dtype=torch.int32, device=dev)
    K = torch.full((n, n), _NONE, dtype=torch.int32, device=dev)
    K[iu, ju], K[ju, iu] = rank, rank
    del iu, ju, mag, nz, order, rank
    cap = capacity.to(device=dev, dtype=torch.int64)
    rows = torch.arange(n, device=dev)                   # the global row of each row of K
    kept = []
    while True:
        live = (cap > 0) & (K != _NONE).any(1)          # open rows with a candidate left
        if int(live.sum()) < 2:
            break
        if not bool(live.all()):                         # compact: a closed row's column goes with it
            K, cap, rows = K[live][:, live], cap[live], rows[live]
        m = K.shape[0]
        top = torch.topk(K, min(int(cap.max()), m), dim=1, largest=False, sorted=True).values
        last = top.gather(1, (cap.clamp(max=top.shape[1]) - 1)[:, None])      # rank of row i's cap_i-th best
        take = (K <= last) & (K <= last.T) & (K != _NONE)
        r, c = torch.nonzero(torch.triu(take, 1), as_tuple=True)
        kept.append(torch.stack((rows[r], rows[c])))
        cap -= take.sum(1)
        K[take] = _NONE
    if not kept:
        empty = torch.empty(0, dtype=torch.int64, device=dev)
        return empty, empty
    pairs = torch.cat(kept, 1)
    pairs = pairs[:, torch.argsort(pairs[0] * n + pairs[1])]
    return pairs[0], pairs[1]
