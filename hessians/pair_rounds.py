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

The top sets come from short lists: each row keeps its ``max cap + extra`` best-ranked pairs,
sorted, and a round reads only the lists (n·L entries). Pairs only ever leave a row's candidates,
so the valid entries of its list are its best candidates; a row whose list holds fewer than
cap_i of them while it had more candidates than L is refilled from the rank matrix. On the first
GGN blocks of ``newton_step_overhead``'s MLPs: 38 rounds and 700 refills at n = 1 040, 96 rounds
and 10 000 refills at n = 4 112. That is parallel work for a GPU; on a CPU the compiled
sequential greedy is faster and is what :func:`hessians.prune.prune` uses.
"""

from __future__ import annotations

import torch

_NONE = torch.iinfo(torch.int32).max       # the rank of "no candidate"


def greedy_pairs_rounds(A: torch.Tensor, capacity: torch.Tensor, extra: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, cols), rows < cols, of the pairs the greedy keeps in the symmetric float A (n ≤ 65 535,
    so that the n(n − 1)/2 ranks fit int32) with ``capacity[i]`` pairs at most in row i; on A's
    device, in row-major order. The same pairs as :func:`~hessians.pair_selection.greedy_pairs`;
    ``extra``: list length beyond the largest capacity (module doc)."""
    n, dev = A.shape[0], A.device
    cap = capacity.to(device=dev, dtype=torch.int64, copy=True)
    empty = torch.empty(0, dtype=torch.int64, device=dev)
    if n < 2 or int(cap.max()) <= 0:
        return empty, empty
    K = _ranks(A)
    L = min(n, int(cap.max()) + extra)
    ranks, cols = torch.topk(K, L, dim=1, largest=False, sorted=True)     # each row's best L, ascending
    more = (K != _NONE).sum(1) > L                                         # candidates beyond the list
    kept = []
    while True:
        is_open = cap > 0
        valid = (ranks != _NONE) & is_open[cols] & is_open[:, None]
        count = valid.sum(1)
        short = is_open & more & (count < cap)
        if bool(short.any()):                                              # refill from the rank matrix
            rows = short.nonzero()[:, 0]
            refreshed = K[rows]
            refreshed[:, ~is_open] = _NONE
            ranks[rows], cols[rows] = torch.topk(refreshed, L, dim=1, largest=False, sorted=True)
            more[rows] = (refreshed != _NONE).sum(1) > L
            valid[rows] = (ranks[rows] != _NONE) & is_open[cols[rows]]
            count[rows] = valid[rows].sum(1)
        if not bool(valid.any()):
            break
        before = (valid.cumsum(1) < cap[:, None]).sum(1, keepdim=True)    # list entries before the cap-th valid
        last = ranks.gather(1, before.clamp(max=L - 1))[:, 0]              # rank of row i's cap_i-th candidate
        last = torch.where(count >= cap, last, _NONE)                      # fewer: all of them (the list is whole)
        last = torch.where(is_open, last, -1)
        take = valid & (ranks <= last[:, None]) & (ranks <= last[cols])
        i, p = torch.nonzero(take, as_tuple=True)
        j = cols[i, p]
        i, j = i[i < j], j[i < j]                                          # a kept pair shows in both rows' lists
        kept.append(torch.stack((i, j)))
        cap -= torch.bincount(i, minlength=n) + torch.bincount(j, minlength=n)
        K[i, j] = _NONE
        K[j, i] = _NONE
        ranks[take] = _NONE
    if not kept:
        return empty, empty
    pairs = torch.cat(kept, 1)
    pairs = pairs[:, torch.argsort(pairs[0] * n + pairs[1])]
    return pairs[0], pairs[1]


def _ranks(A: torch.Tensor) -> torch.Tensor:
    """The n × n int32 matrix of each non-zero off-diagonal pair's place in the greedy's order
    (0 first; both triangles), :data:`_NONE` elsewhere."""
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
    return K
