"""Trader strategies of the double-auction laboratory: a unit's value or cost in, a quote out.

Quotes live on the price grid ``price_min + k * tick`` (``k = 0 .. n_ticks - 1``) and
are drawn from pre-drawn uniforms, so the functions are pure (numba, no RNG inside).

* ``zi_u`` (zero intelligence, unconstrained): uniform on the whole grid.
* ``zi_c`` (zero intelligence, budget-constrained, Gode and Sunder 1993): a buyer
  uniform on the grid points in ``[price_min, value]``, a seller on ``[cost, price_max]``;
  it never quotes at a loss.
* ``truthful``: the value (rounded down to the grid) or the cost (rounded up).

Learning (``traders.learning = w``, off by default): in period ``t`` (from 0) the
strategy's quote range ``[lo, hi]`` shrinks by the factor ``(1 - w) ** t`` around
the *anchor*, the previous period's mean trade price clipped into ``[lo, hi]``
(so ``zi_c`` still never quotes at a loss).  ``w = 0`` is pure zero intelligence.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ZI_U", "ZI_C", "TRUTHFUL", "STRATEGIES", "limit_ticks", "quote_tick", "quote_ticks"]

ZI_U = 0
ZI_C = 1
TRUTHFUL = 2
STRATEGIES = {"zi_u": ZI_U, "zi_c": ZI_C, "truthful": TRUTHFUL}

_EPS = 1e-9


def limit_ticks(units: np.ndarray, price_min: float, tick: float, buyer: bool) -> np.ndarray:
    """Grid index of each unit's limit: values rounded down, costs rounded up."""
    x = (np.asarray(units, np.float64) - price_min) / tick
    return (np.floor(x + _EPS) if buyer else np.ceil(x - _EPS)).astype(np.int64)


@njit(cache=True, inline="always")
def quote_tick(strategy, buyer, limit, n_ticks, u, anchor, shrink):
    """Grid index of one quote.

    Parameters
    ----------
    strategy : int
        ``ZI_U``, ``ZI_C`` or ``TRUTHFUL``.
    buyer : bool
    limit : int
        Grid index of the unit's value (buyer, rounded down) or cost (seller, rounded up).
    n_ticks : int
    u : float
        A uniform on [0, 1).
    anchor : float
        Grid position the range shrinks towards (ignored when ``shrink == 1``).
    shrink : float
        Factor in (0, 1] applied to the range width around the anchor (1: no learning).
    """
    if strategy == TRUTHFUL:
        return limit
    lo = 0.0
    hi = n_ticks - 1.0
    if strategy == ZI_C:
        if buyer:
            hi = float(limit)
        else:
            lo = float(limit)
    if shrink < 1.0:
        a = min(max(anchor, lo), hi)
        lo = a - shrink * (a - lo)
        hi = a + shrink * (hi - a)
    klo = np.int64(np.ceil(lo - _EPS))
    khi = np.int64(np.floor(hi + _EPS))
    if khi < klo:  # the shrunk range holds no grid point: the one nearest the anchor
        return np.int64(np.floor(0.5 * (lo + hi) + 0.5))
    k = klo + np.int64(u * (khi - klo + 1))
    return min(k, khi)


@njit(cache=True)
def quote_ticks(strategy, buyer, limit, n_ticks, u, anchor, shrink):
    """Vectorised :func:`quote_tick` over arrays ``buyer``, ``limit``, ``u`` of shape ``(n,)``."""
    out = np.empty(limit.shape[0], np.int64)
    for i in range(limit.shape[0]):
        out[i] = quote_tick(strategy, buyer[i], limit[i], n_ticks, u[i], anchor, shrink)
    return out
