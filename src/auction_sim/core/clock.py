"""Clock auctions (English ascending, Dutch descending) in batch (numba kernels).

Arrays in, arrays out: ``points`` and ``tie_u`` have shape ``(n_auctions, n_bidders)``
(float64, C order); ``winner`` and ``price`` have shape ``(n_auctions,)``.  A bidder's
*point* is where it leaves the English clock (its drop-out price) or where it stops
the Dutch clock (its bid).  NaN is an abstention.  Prices are in currency units.

Each clock is computed from the two decisive points of the row, not tick by tick,
with the tick grid evaluated by exactly the expressions below (``r + k * increment``
and ``start - k * increment``), so the outcome equals a literal tick-by-tick run
(``tests/naive/clock.py``).  Comparisons are exact (no fastmath).

English (:func:`english_row`)
    Clock prices ``p_k = reserve + k * increment``, ``k = 0, 1, ...``.  Bidder ``j`` is
    in at ``p_k`` iff ``points[j] >= p_k``.  The clock stops at the first ``k`` where at
    most one bidder is in:

    * nobody in at ``p_0``: unsold (``winner = -1``, ``price = 0``);
    * exactly one bidder in at ``p_k``: it wins and pays ``p_k`` (``k = 0``: the reserve);
    * nobody in at ``p_k``, ``k >= 1`` (the last bidders all left at the same tick): the
      winner is the bidder in at ``p_{k-1}`` with the largest ``tie_u`` (lowest index if
      those tie too), and it pays ``p_{k-1}``.

    Nobody pays more than its point, the price is at least the reserve, and with
    truthful points the price is the second-highest value rounded up to the tick grid
    (less than one increment above the second-price outcome).

Dutch (:func:`dutch_row`)
    Clock prices ``p_k = start - k * increment`` while ``p_k > reserve``, then one last
    tick at ``reserve`` exactly (none at all when ``start < reserve``).  Bidder ``j``
    takes the item at the first tick with ``p_k <= points[j]``.  The first taker wins
    and pays that tick; several takers at the same tick are split by the largest
    ``tie_u`` (lowest index if those tie too).  Nobody takes: unsold.  The price is the
    highest point rounded down to the tick grid (within one increment of the
    first-price outcome), and never below the reserve.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = ["ClockResult", "clear_english", "clear_dutch", "english_row", "dutch_row"]

_PARALLEL_MIN_BIDS = 200_000


@njit(cache=True, inline="always")
def _top_two(points: np.ndarray, i: int) -> tuple[float, float, int]:
    """Highest and second-highest point of row ``i`` and the first argmax (branch-free)."""
    m1 = -np.inf
    m2 = -np.inf
    w = -1
    for j in range(points.shape[1]):
        b = points[i, j]
        gt = b > m1
        lo = m1 if gt else b
        m2 = lo if lo > m2 else m2
        w = j if gt else w
        m1 = b if gt else m1
    return m1, m2, w


@njit(cache=True, inline="always")
def _pick(points: np.ndarray, tie_u: np.ndarray, i: int, level: float) -> int:
    """Among bidders with ``points >= level``, the largest ``tie_u`` (first index on ties)."""
    w = -1
    best = -np.inf
    for j in range(points.shape[1]):
        if points[i, j] >= level and tie_u[i, j] > best:
            best = tie_u[i, j]
            w = j
    if w < 0:  # every tie_u is -inf or NaN: first bidder at the level
        for j in range(points.shape[1]):
            if points[i, j] >= level:
                return j
    return w


@njit(cache=True, inline="always")
def english_row(points, tie_u, i, reserve, increment, winner, price) -> None:
    """Clear English auction ``i`` into ``winner[i]``, ``price[i]`` (rules in the module doc)."""
    d1, d2, w = _top_two(points, i)
    if not (d1 >= reserve):
        winner[i] = -1
        price[i] = 0.0
        return
    if not (d2 >= reserve):  # one bidder in at the reserve (d1 > d2: the argmax)
        winner[i] = w
        price[i] = reserve
        return
    # first k >= 1 with p_k > d2
    k = math.floor((d2 - reserve) / increment) + 1.0
    while k > 1.0 and reserve + (k - 1.0) * increment > d2:
        k -= 1.0
    while reserve + k * increment <= d2:
        k += 1.0
    p = reserve + k * increment
    if d1 >= p:  # exactly one bidder still in: the argmax
        winner[i] = w
        price[i] = p
    else:
        q = reserve + (k - 1.0) * increment
        winner[i] = _pick(points, tie_u, i, q)
        price[i] = q


@njit(cache=True, inline="always")
def dutch_row(points, tie_u, i, start, reserve, increment, winner, price) -> None:
    """Clear Dutch auction ``i`` into ``winner[i]``, ``price[i]`` (rules in the module doc)."""
    b1, b2, w = _top_two(points, i)
    if not (b1 >= reserve) or start < reserve:
        winner[i] = -1
        price[i] = 0.0
        return
    if b1 >= start:
        p = start
    else:
        # first k >= 1 with start - k * increment <= b1
        k = math.ceil((start - b1) / increment)
        k = k if k >= 1.0 else 1.0
        while k > 1.0 and start - (k - 1.0) * increment <= b1:
            k -= 1.0
        while start - k * increment > b1:
            k += 1.0
        p = start - k * increment
        if p < reserve:
            p = reserve
    winner[i] = w if not (b2 >= p) else _pick(points, tie_u, i, p)  # several takers: tie_u
    price[i] = p


@njit(cache=True)
def _english_serial(points, tie_u, reserve, increment, winner, price):
    for i in range(points.shape[0]):
        english_row(points, tie_u, i, reserve, increment, winner, price)


@njit(cache=True, parallel=True)
def _english_parallel(points, tie_u, reserve, increment, winner, price):
    for i in prange(points.shape[0]):
        english_row(points, tie_u, i, reserve, increment, winner, price)


@njit(cache=True)
def _dutch_serial(points, tie_u, start, reserve, increment, winner, price):
    for i in range(points.shape[0]):
        dutch_row(points, tie_u, i, start, reserve, increment, winner, price)


@njit(cache=True, parallel=True)
def _dutch_parallel(points, tie_u, start, reserve, increment, winner, price):
    for i in prange(points.shape[0]):
        dutch_row(points, tie_u, i, start, reserve, increment, winner, price)


class ClockResult(NamedTuple):
    """Outcome of a batch of clock auctions; arrays of shape ``(n_auctions,)``."""

    winner: np.ndarray  # int64, bidder index or -1 when unsold
    price: np.ndarray  # float64, payment (currency), 0 when unsold


def _prepare(points, tie_u, reserve, increment):
    points = np.ascontiguousarray(points, dtype=np.float64)
    tie_u = np.ascontiguousarray(tie_u, dtype=np.float64)
    if points.ndim != 2 or points.shape != tie_u.shape:
        raise ValueError(
            f"points and tie_u must have the same 2-d shape, got {points.shape} and {tie_u.shape}"
        )
    reserve = float(reserve)
    increment = float(increment)
    if not math.isfinite(reserve):
        raise ValueError(f"reserve must be finite, got {reserve!r}")
    if not (increment > 0 and math.isfinite(increment)):
        raise ValueError(f"increment must be finite and > 0, got {increment!r}")
    n = points.shape[0]
    return points, tie_u, reserve, increment, ClockResult(np.empty(n, np.int64), np.empty(n))


def clear_english(
    points: np.ndarray,
    tie_u: np.ndarray,
    reserve: float,
    increment: float,
    *,
    parallel: bool | None = None,
) -> ClockResult:
    """Clear ``n_auctions`` English clock auctions.

    Parameters
    ----------
    points : ndarray, shape (n_auctions, n_bidders), float64
        Drop-out prices (currency); NaN abstains.
    tie_u : ndarray, shape (n_auctions, n_bidders), float64
        Pre-drawn uniforms that split bidders leaving at the same tick (largest wins).
    reserve, increment : float
        Opening price and clock step (currency, ``increment > 0``).
    parallel : bool, optional
        Multi-threaded kernel; by default from 200 000 bids.  Same results either way.
    """
    points, tie_u, reserve, increment, out = _prepare(points, tie_u, reserve, increment)
    if parallel is None:
        parallel = points.size >= _PARALLEL_MIN_BIDS
    kernel = _english_parallel if parallel else _english_serial
    kernel(points, tie_u, reserve, increment, out.winner, out.price)
    return out


def clear_dutch(
    points: np.ndarray,
    tie_u: np.ndarray,
    start: float,
    reserve: float,
    increment: float,
    *,
    parallel: bool | None = None,
) -> ClockResult:
    """Clear ``n_auctions`` Dutch clock auctions.

    Parameters
    ----------
    points : ndarray, shape (n_auctions, n_bidders), float64
        The price at which each bidder takes the item (its bid, currency); NaN abstains.
    tie_u : ndarray, shape (n_auctions, n_bidders), float64
        Pre-drawn uniforms that split bidders taking at the same tick (largest wins).
    start, reserve, increment : float
        Opening (highest) price, reserve (lowest price) and clock step (currency).
    parallel : bool, optional
        Multi-threaded kernel; by default from 200 000 bids.  Same results either way.
    """
    points, tie_u, reserve, increment, out = _prepare(points, tie_u, reserve, increment)
    start = float(start)
    if not math.isfinite(start):
        raise ValueError(f"start must be finite, got {start!r}")
    if parallel is None:
        parallel = points.size >= _PARALLEL_MIN_BIDS
    kernel = _dutch_parallel if parallel else _dutch_serial
    kernel(points, tie_u, start, reserve, increment, out.winner, out.price)
    return out
