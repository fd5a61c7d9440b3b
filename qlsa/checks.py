"""The parameter checks every package repeats, in one place: each raises
:class:`~qlsa.errors.InvalidParameterError` with a one-line message naming the value and the domain."""

from __future__ import annotations

import math
import numbers
from typing import Iterable

import numpy as np

from .errors import InvalidParameterError


def _real(value) -> bool:
    """A real number (Python or numpy scalar), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_epsilon(epsilon: float, name: str = "epsilon") -> float:
    """ε ∈ (0, 1): a target error."""
    if not (_real(epsilon) and 0.0 < float(epsilon) < 1.0):
        raise InvalidParameterError(f"{name} must lie in (0, 1), got {epsilon}")
    return float(epsilon)


def check_gate_time(gate_time: float) -> float:
    """A gate time: a finite number of seconds > 0."""
    if not (_real(gate_time) and math.isfinite(float(gate_time)) and float(gate_time) > 0):
        raise InvalidParameterError(f"gate time must be a positive number of seconds, got {gate_time}")
    return float(gate_time)


def check_choice(value: str, choices: Iterable[str], what: str) -> str:
    """``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise InvalidParameterError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value


def check_rhs(b, n: int, what: str = "right-hand side b") -> np.ndarray:
    """A finite, non-zero vector of length n (returned as a 1-D numpy array)."""
    if b is None:
        raise InvalidParameterError(f"{what} is missing; pass a vector of length {n}")
    try:
        v = np.asarray(b)
    except ValueError as exc:
        raise InvalidParameterError(f"{what} is not a numeric vector ({exc})") from None
    if v.dtype == object or not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
        raise InvalidParameterError(f"{what} has dtype {v.dtype}; pass a numeric vector")
    v = v.ravel()
    if v.size != n:
        raise InvalidParameterError(f"{what} has {v.size} entries; the matrix needs {n}")
    if not np.all(np.isfinite(v)):
        raise InvalidParameterError(f"{what} contains NaN or Inf")
    if not np.any(v):
        raise InvalidParameterError(f"{what} is all zeros; a linear solve needs b ≠ 0")
    return v


def check_finite_nonnegative(value, name: str) -> float:
    if not (_real(value) and math.isfinite(float(value)) and float(value) >= 0):
        raise InvalidParameterError(f"{name} must be a finite number ≥ 0, got {value}")
    return float(value)
