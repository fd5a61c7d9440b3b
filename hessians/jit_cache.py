"""numba's ``njit`` with an on-disk cache that survives a damaged cache file.

numba writes each cache file atomically (a temporary file, then ``os.replace``), so concurrent
runs are safe. But an index or data file it cannot read (an interrupted copy, a damaged disk)
raises on load instead of being recompiled (numba issue #10434; the fix, PR #10656, is not
released). Here such a file is a cache miss: a warning naming the kernel, an empty index
written in its place (atomically, by numba), and the kernel compiled and saved anew.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numba
from numba.core.caching import FunctionCache


class _TolerantCache(FunctionCache):
    """numba's per-function cache whose unreadable entries are misses."""

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception as exc:            # unpickling garbage can raise anything
            warnings.warn(f"numba's cache of {self._py_func.__qualname__} is unreadable ({type(exc).__name__}: "
                          f"{exc}); recompiling it", RuntimeWarning, stacklevel=2)
            self.flush()
            return None


def njit(**options) -> Callable:
    """``numba.njit(nogil=True, **options)`` with the tolerant on-disk cache (module doc) in place of
    ``cache=True``."""
    def wrap(fn):
        compiled = numba.njit(nogil=True, **options)(fn)
        if isinstance(compiled, numba.core.dispatcher.Dispatcher):   # not a plain function (NUMBA_DISABLE_JIT)
            compiled._cache = _TolerantCache(compiled.py_func)          # what Dispatcher.enable_caching() does
        return compiled
    return wrap
