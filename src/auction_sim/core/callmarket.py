"""Uniform-price call-market clearing and competitive equilibrium (numba kernel).

Clearing rule of :func:`clear_call` (the single implementation; the ``double_auction``
laboratory's ``call`` rule and the tests use it):

1. **Volume.**  With demand ``D(p)`` = units bid at prices ``>= p`` and supply ``S(p)``
   = units asked at prices ``<= p``, the executed volume at ``p`` is
   ``V(p) = min(D(p), S(p))``.  The clearing prices are those maximising ``V``.
2. **Imbalance.**  Among them, keep the prices minimising the order imbalance: the
   distance between the demand range ``[D>(p), D(p)]`` and the supply range
   ``[S<(p), S(p)]``, where ``D>`` counts bids strictly above ``p`` and ``S<`` asks
   strictly below (orders at ``p`` are indifferent), i.e.
   ``max(0, D>(p) - S(p), S<(p) - D(p))``.  Zero means ``p`` clears the market.
3. **Price.**  The clearing price is the midpoint of the closure ``[low, high]`` of
   the prices left (a convex set: ``D`` falls and ``S`` rises with ``p``).  It need
   not be a limit price or lie on any tick grid.  For unit orders at true values
   and costs this is the midpoint of the competitive-equilibrium interval.
4. **Rationing at the margin.**  Every bid at or above the price and every ask at or
   below it is eligible; eligible bids are filled in priority order (higher price
   first, then lower index, i.e. earlier submission) until ``V`` units are bought,
   and asks likewise (lower price first, then lower index).  So orders strictly
   better than the price are filled in full, and only orders at the margin can be
   rationed, by time priority.  No trade when ``V = 0`` (price NaN).
5. **Trade reports.**  Filled bids and asks are paired in priority order, one
   report per (buy, sell) pair with its quantity, all at the clearing price.

:func:`competitive_equilibrium` gives the price interval, quantity and maximum
surplus of unit values and costs (the yardstick of the double auction).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["CallResult", "Equilibrium", "clear_call", "competitive_equilibrium"]


@njit(cache=True)
def _volume_imbalance(bp_asc, bpre, ap_asc, apre, p):
    """``(V, imbalance)`` at the price ``p`` (see rule 2)."""
    d = bpre[-1] - bpre[np.searchsorted(bp_asc, p, side="left")]
    d_strict = bpre[-1] - bpre[np.searchsorted(bp_asc, p, side="right")]
    s = apre[np.searchsorted(ap_asc, p, side="right")]
    s_strict = apre[np.searchsorted(ap_asc, p, side="left")]
    return min(d, s), max(0, d_strict - s, s_strict - d)


@njit(cache=True)
def _clear_call_kernel(bid_price, bid_qty, ask_price, ask_qty, bid_fill, ask_fill, trades):
    """Clear one call market; returns ``(price, low, high, volume, n_trades)``.

    ``bid_fill`` ``(n_bids,)`` and ``ask_fill`` ``(n_asks,)`` receive the units filled per
    order; ``trades`` ``(n_bids + n_asks, 3)`` receives (bid index, ask index, quantity).
    """
    nb = bid_price.shape[0]
    na = ask_price.shape[0]
    bid_fill[:] = 0
    ask_fill[:] = 0
    if nb == 0 or na == 0:
        return np.nan, np.nan, np.nan, 0, 0
    ob = np.argsort(bid_price, kind="mergesort")
    oa = np.argsort(ask_price, kind="mergesort")
    bp_asc = bid_price[ob]
    ap_asc = ask_price[oa]
    bpre = np.zeros(nb + 1, np.int64)
    apre = np.zeros(na + 1, np.int64)
    for i in range(nb):
        bpre[i + 1] = bpre[i] + bid_qty[ob[i]]
    for i in range(na):
        apre[i + 1] = apre[i] + ask_qty[oa[i]]
    cand = np.unique(np.concatenate((bp_asc, ap_asc)))
    m = cand.shape[0]
    # pieces: candidate k (2k) and the open interval (cand[k], cand[k+1]) (2k+1)
    best_v = np.int64(0)
    best_imb = np.int64(0)
    low = np.nan
    high = np.nan
    for piece in range(2 * m - 1):
        k = piece // 2
        if piece % 2 == 0:
            v, imb = _volume_imbalance(bp_asc, bpre, ap_asc, apre, cand[k])
            lo = cand[k]
            hi = cand[k]
        else:
            # no limit price inside: evaluate at the midpoint
            mid = 0.5 * (cand[k] + cand[k + 1])
            v, imb = _volume_imbalance(bp_asc, bpre, ap_asc, apre, mid)
            lo = cand[k]
            hi = cand[k + 1]
        a = abs(imb)
        if v > best_v or (v == best_v and v > 0 and a < best_imb):
            best_v = v
            best_imb = a
            low = lo
            high = hi
        elif v == best_v and v > 0 and a == best_imb:
            high = hi
    if best_v == 0:
        return np.nan, np.nan, np.nan, 0, 0
    price = 0.5 * (low + high)
    # rationing: eligible orders in priority order; bids by (-price, index), stable
    obd = np.argsort(-bid_price, kind="mergesort")
    left = best_v
    for r in range(nb):
        j = obd[r]
        if left == 0 or bid_price[j] < price:
            break
        f = min(left, bid_qty[j])
        bid_fill[j] = f
        left -= f
    left = best_v
    for r in range(na):
        j = oa[r]
        if left == 0 or ask_price[j] > price:
            break
        f = min(left, ask_qty[j])
        ask_fill[j] = f
        left -= f
    # pair fills in priority order
    nt = 0
    rb = 0
    ra = 0
    fb = bid_fill[obd[0]]
    fa = ask_fill[oa[0]]
    while rb < nb and ra < na:
        if fb == 0:
            rb += 1
            if rb < nb:
                fb = bid_fill[obd[rb]]
            continue
        if fa == 0:
            ra += 1
            if ra < na:
                fa = ask_fill[oa[ra]]
            continue
        q = min(fb, fa)
        trades[nt, 0] = obd[rb]
        trades[nt, 1] = oa[ra]
        trades[nt, 2] = q
        nt += 1
        fb -= q
        fa -= q
    return price, low, high, best_v, nt


class CallResult(NamedTuple):
    """Outcome of one call market."""

    price: float  # clearing price (currency), NaN when nothing trades
    low: float  # closure of the clearing-price set (NaN when nothing trades)
    high: float
    volume: int  # units traded
    bid_fill: np.ndarray  # int64 (n_bids,), units bought per bid
    ask_fill: np.ndarray  # int64 (n_asks,), units sold per ask
    buy_index: np.ndarray  # int64 (n_trades,), bid index of each trade report
    sell_index: np.ndarray  # int64 (n_trades,), ask index of each trade report
    qty: np.ndarray  # int64 (n_trades,)


def _check(price, qty, name):
    price = np.ascontiguousarray(price, dtype=np.float64)
    qty = np.ascontiguousarray(qty, dtype=np.int64)
    if price.ndim != 1 or price.shape != qty.shape:
        raise ValueError(f"{name} prices and quantities must be 1-d of equal length")
    if np.isnan(price).any():
        raise ValueError(f"{name}: NaN price")
    if (qty <= 0).any():
        raise ValueError(f"{name}: quantity <= 0")
    return price, qty


def clear_call(bid_price, bid_qty, ask_price, ask_qty) -> CallResult:
    """Clear a batch of bids and asks at one uniform price (rules in the module docstring).

    Parameters
    ----------
    bid_price, ask_price : array_like, shape (n_bids,), (n_asks,), float64
        Limit prices (currency); the index is the time priority (lower = earlier).
    bid_qty, ask_qty : array_like, int64
        Units, > 0.

    Returns
    -------
    CallResult
    """
    bp, bq = _check(bid_price, bid_qty, "bids")
    ap, aq = _check(ask_price, ask_qty, "asks")
    bid_fill = np.zeros(bp.size, np.int64)
    ask_fill = np.zeros(ap.size, np.int64)
    trades = np.zeros((bp.size + ap.size, 3), np.int64)
    price, low, high, vol, nt = _clear_call_kernel(bp, bq, ap, aq, bid_fill, ask_fill, trades)
    t = trades[:nt]
    return CallResult(
        float(price),
        float(low),
        float(high),
        int(vol),
        bid_fill,
        ask_fill,
        t[:, 0],
        t[:, 1],
        t[:, 2],
    )


class Equilibrium(NamedTuple):
    """Competitive equilibrium of unit values and costs."""

    price_low: float  # lowest market-clearing price (currency)
    price_high: float  # highest market-clearing price
    quantity: int  # units traded in equilibrium (pairs with value >= cost)
    surplus: float  # maximum gains from trade (sum of value - cost over those units)

    @property
    def price(self) -> float:
        """Midpoint of the equilibrium price interval."""
        return 0.5 * (self.price_low + self.price_high)


def competitive_equilibrium(values, costs) -> Equilibrium:
    """Competitive equilibrium of a market with unit demand and unit supply.

    Parameters
    ----------
    values : array_like, shape (n_units_demanded,)
        Buyers' unit values, any order (currency).
    costs : array_like, shape (n_units_supplied,)
        Sellers' unit costs, any order.

    Returns
    -------
    Equilibrium
        With ``v`` sorted descending and ``c`` ascending, ``quantity`` ``q`` is the number
        of ``k`` with ``v[k] >= c[k]`` (a unit whose value equals its cost counts as
        traded; it adds no surplus); the price interval is
        ``[max(c[q-1], v[q]), min(v[q-1], c[q])]`` (0-based, a missing term dropped); with
        ``q = 0`` it is ``[v[0], c[0]]``.  ``surplus = sum(v[:q] - c[:q])``.
    """
    v = np.sort(np.asarray(values, np.float64).ravel())[::-1]
    c = np.sort(np.asarray(costs, np.float64).ravel())
    if v.size == 0 or c.size == 0:
        raise ValueError("values and costs must be non-empty")
    if np.isnan(v).any() or np.isnan(c).any():
        raise ValueError("values and costs must not be NaN")
    n = min(v.size, c.size)
    q = int(np.count_nonzero(v[:n] >= c[:n]))
    if q == 0:
        return Equilibrium(float(v[0]), float(c[0]), 0, 0.0)
    lo = c[q - 1] if q >= v.size else max(c[q - 1], v[q])
    hi = v[q - 1] if q >= c.size else min(v[q - 1], c[q])
    return Equilibrium(float(lo), float(hi), q, float((v[:q] - c[:q]).sum()))
