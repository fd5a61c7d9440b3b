"""Memory-bound passes over a block's rows, split in two halves run at once: one on a helper
thread, one on the caller's.

The passes are numba kernels compiled ``nogil``, so the two halves run in parallel. The helper is
a single ``ThreadPoolExecutor`` worker, which blocks on its queue between calls rather than
spinning, so it takes no core from torch's thread pool while idle. Passes below ``MIN_ENTRIES``
(about 4 MB of float32) and machines with one core run in one piece: the hand-off (~0.1 ms)
would cost more than half the pass saves.

Measured inside a Newton step, 2 cores, the 256-16-10 MLP (first block 4 112²): the pair
selection's window passes in two halves took the step's pruning from 103.5 to 80.5 ms.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Callable, TypeVar

import numpy as np

T = TypeVar("T")
MIN_ENTRIES = 1 << 20


def _helper() -> ThreadPoolExecutor | None:
    """This process's helper (None on one core). Keyed by pid: a forked child inherits the
    parent's executor but not its thread, and would wait forever on it."""
    return _helper_of(os.getpid())


@cache
def _helper_of(pid: int) -> ThreadPoolExecutor | None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="qlsa-rows") if cores > 1 else None


def split_point(entries: np.ndarray) -> int | None:
    """The index k that halves Σ ``entries`` (each row's entries read) between rows [:k] and [k:],
    or None where the pass is to run in one piece (module doc)."""
    cumulative = np.cumsum(entries)
    total = int(cumulative[-1]) if cumulative.size else 0
    if total < MIN_ENTRIES or _helper() is None:
        return None
    return int(np.searchsorted(cumulative, total // 2))


def in_halves(first: Callable[[], T], second: Callable[[], T]) -> tuple[T, T]:
    """(first(), second()): ``first`` on the helper thread while ``second`` runs here."""
    pending = _helper().submit(first)
    other = second()
    return pending.result(), other
