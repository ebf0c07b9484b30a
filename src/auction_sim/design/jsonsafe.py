"""JSON-safe values for the design studies' summaries (no pandas: the CLI imports it)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe"]


def json_safe(x: Any) -> Any:
    """NumPy scalars to Python, NaN and infinities to None, recursively through dicts/lists."""
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    return x
