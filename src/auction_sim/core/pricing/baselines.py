"""Per-achievement baselines over CSR value lists: the mean and the median of every row.

``ptr (n+1,) int64``, ``values (V,) float64`` (scores in score units or log quotes) in,
``(n,) float64`` out (NaN for an empty row): the ``mean_score`` and ``median_quote``
baselines.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def achievement_mean(ptr, values):
    """Mean of each CSR row, shape ``(ptr.size - 1,)``; NaN for an empty row."""
    n = ptr.size - 1
    out = np.empty(n)
    for i in range(n):
        lo, hi = ptr[i], ptr[i + 1]
        if hi == lo:
            out[i] = np.nan
            continue
        s = 0.0
        for k in range(lo, hi):
            s += values[k]
        out[i] = s / (hi - lo)
    return out


@njit(cache=True)
def achievement_median(ptr, values):
    """Median of each CSR row, shape ``(ptr.size - 1,)``; NaN for an empty row."""
    n = ptr.size - 1
    out = np.empty(n)
    for i in range(n):
        lo, hi = ptr[i], ptr[i + 1]
        if hi == lo:
            out[i] = np.nan
            continue
        out[i] = np.median(values[lo:hi])
    return out
