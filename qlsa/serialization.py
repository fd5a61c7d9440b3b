"""JSON-ready conversion shared by every result dataclass's ``to_dict``."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def jsonable(obj: Any) -> Any:
    """Dataclasses, numpy scalars/arrays, tuples → plain JSON types; ±∞/NaN → "inf"/"-inf"/"nan"."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj) if not f.name.startswith("_")]
        names += list(getattr(obj, "json_properties", ()))     # derived values a reader needs (e.g. totals)
        return {name: jsonable(getattr(obj, name)) for name in names}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, complex):
        return [obj.real, obj.imag]
    return obj
