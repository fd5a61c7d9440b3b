"""The parameter checks every package repeats, in one place: each raises
:class:`~qlsa.errors.InvalidParameterError` with a one-line message naming the value and the domain."""

from __future__ import annotations

import math
from typing import Iterable

from .errors import InvalidParameterError


def check_epsilon(epsilon: float, name: str = "epsilon") -> float:
    """ε ∈ (0, 1): a target error."""
    if not (isinstance(epsilon, (int, float)) and not isinstance(epsilon, bool) and 0.0 < epsilon < 1.0):
        raise InvalidParameterError(f"{name} must lie in (0, 1), got {epsilon}")
    return float(epsilon)


def check_gate_time(gate_time: float) -> float:
    """A gate time: a finite number of seconds > 0."""
    if not (isinstance(gate_time, (int, float)) and not isinstance(gate_time, bool)
            and math.isfinite(gate_time) and gate_time > 0):
        raise InvalidParameterError(f"gate time must be a positive number of seconds, got {gate_time}")
    return float(gate_time)


def check_choice(value: str, choices: Iterable[str], what: str) -> str:
    """``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise InvalidParameterError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value
