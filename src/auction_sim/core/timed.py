"""Timed online English auctions with proxy bidding, snipers and a soft or hard close.

Arrays in, arrays out.  Inputs of shape ``(n_auctions, n_bidders)``: ``limits``
(each bidder's highest acceptable price, currency; NaN abstains), ``kind`` (int64,
one of :data:`PROXY`, :data:`INCREMENTAL`, :data:`SNIPER`) and ``times`` (days since
the opening: when a proxy or incremental bidder arrives, when a sniper bids).
Outputs of shape ``(n_auctions,)``: ``winner``, ``price``, ``bids`` (bids placed),
``late`` (bids placed in the closing window), ``extensions`` and ``end`` (day the
auction closed).

Rules of one auction (:func:`timed_row`), the platform's timed format:

* The auction opens at day 0 and is scheduled to end at ``duration``.  The reserve is
  the opening price; the *minimum bid* is the reserve while there is no bid, then the
  current price plus ``increment``.
* Proxy bidding: the system holds each bidder's maximum (its *proxy*) and the current
  price is ``max(reserve, min(leader's proxy, second-highest proxy + increment))``.
  A new maximum above the leader's takes the lead; a tie stays with the earlier
  bidder (the leader).
* Bidders act one at a time in time order (the lowest index first at equal times):

  - ``PROXY`` bids its limit once, on arrival, if the limit reaches the minimum bid;
  - ``INCREMENTAL`` bids the minimum bid on arrival and again each time it is outbid,
    after a reaction delay (exponential, mean ``reaction`` days), as long as its limit
    reaches the minimum bid;
  - ``SNIPER`` bids its limit once, at its time (the scenario puts it in the last
    moments before the scheduled end).

* An action later than the end in force is lost.  A bid at ``t >= end - window`` is
  *late*.  Hard close: the end stays ``duration``.  Soft close: a late bid moves the end
  to ``t + window`` (one *extension*).
* At the end the leader wins at the current price; no bid: unsold (``winner = -1``,
  ``price = 0``).

Every registered bid but the first raises the price by at least ``increment``, so
every auction ends.  Reaction delays come from a counter-based generator
(splitmix64 of ``key``, the auction index and a per-auction counter), so the kernel
is a pure function of its inputs, serial or parallel.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange, uint64

__all__ = [
    "PROXY",
    "INCREMENTAL",
    "SNIPER",
    "TimedResult",
    "run_timed",
    "timed_row",
    "delay_uniform",
    "shifted_key",
]

PROXY = 0
INCREMENTAL = 1
SNIPER = 2

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


def shifted_key(key: int, first: int) -> int:
    """The key under which row ``i`` of a batch draws the delays of auction ``first + i``
    under ``key`` (batches of any size then see the delays of one long run)."""
    return (int(key) + int(_GOLDEN) * int(first)) % 2**64


@njit(cache=True)
def delay_uniform(key, i, c) -> float:
    """Uniform in (0, 1) number ``c`` of auction ``i`` under ``key`` (splitmix64)."""
    z = _mix(uint64(key) + _GOLDEN * (uint64(i) + uint64(1)))
    z = _mix(z + _GOLDEN * (uint64(c) + uint64(1)))
    return ((z >> uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def timed_row(
    limits, kind, times, i, reserve, increment, duration, window, soft, reaction, key,
    winner, price, bids, late, extensions, end_out,
) -> None:  # fmt: skip
    """Run auction ``i`` (rules in the module docstring)."""
    n = limits.shape[1]
    proxy = np.full(n, -np.inf)
    nxt = np.empty(n)
    for j in range(n):
        nxt[j] = times[i, j]
    end = duration
    leader = -1
    p = 0.0
    nb = 0
    nl = 0
    ne = 0
    counter = 0
    while True:
        j = -1
        t = np.inf
        for k in range(n):
            if nxt[k] < t:
                t = nxt[k]
                j = k
        if j < 0 or t > end:
            break
        nxt[j] = np.inf
        lim = limits[i, j]
        minimum = reserve if leader < 0 else p + increment
        if not (lim >= minimum):
            continue  # cannot (or will not) pay the minimum bid: gives up
        amount = minimum if kind[i, j] == INCREMENTAL else lim
        nb += 1
        if t >= end - window:
            nl += 1
            if soft:
                end = t + window
                ne += 1
        if amount > proxy[j]:
            proxy[j] = amount
        if leader < 0:
            leader = j
            p = reserve
        elif j == leader:
            pass
        elif proxy[j] > proxy[leader]:
            old = leader
            leader = j
            q = proxy[old] + increment
            p = proxy[j] if proxy[j] < q else q
            if p < reserve:
                p = reserve
            if kind[i, old] == INCREMENTAL:
                u = delay_uniform(key, i, counter)
                counter += 1
                nxt[old] = t - reaction * math.log(u)
        else:  # outbid at once by the leader's proxy
            q = proxy[j] + increment
            p = proxy[leader] if proxy[leader] < q else q
            if p < reserve:
                p = reserve
            if kind[i, j] == INCREMENTAL:
                u = delay_uniform(key, i, counter)
                counter += 1
                nxt[j] = t - reaction * math.log(u)
    winner[i] = leader
    price[i] = p if leader >= 0 else 0.0
    bids[i] = nb
    late[i] = nl
    extensions[i] = ne
    end_out[i] = end


@njit(cache=True)
def _timed_serial(limits, kind, times, reserve, increment, duration, window, soft, reaction, key,
                  winner, price, bids, late, extensions, end):  # fmt: skip
    for i in range(limits.shape[0]):
        timed_row(limits, kind, times, i, reserve, increment, duration, window, soft, reaction,
                  key, winner, price, bids, late, extensions, end)  # fmt: skip


@njit(cache=True, parallel=True)
def _timed_parallel(limits, kind, times, reserve, increment, duration, window, soft, reaction, key,
                    winner, price, bids, late, extensions, end):  # fmt: skip
    for i in prange(limits.shape[0]):
        timed_row(limits, kind, times, i, reserve, increment, duration, window, soft, reaction,
                  key, winner, price, bids, late, extensions, end)  # fmt: skip


class TimedResult(NamedTuple):
    """Outcome of a batch of timed auctions; arrays of shape ``(n_auctions,)``."""

    winner: np.ndarray  # int64, bidder index or -1 when unsold
    price: np.ndarray  # float64, currency, 0 when unsold
    bids: np.ndarray  # int64, bids placed
    late: np.ndarray  # int64, bids placed within the closing window
    extensions: np.ndarray  # int64, soft-close extensions
    end: np.ndarray  # float64, day the auction closed


def run_timed(
    limits: np.ndarray,
    kind: np.ndarray,
    times: np.ndarray,
    *,
    reserve: float,
    increment: float,
    duration: float,
    window: float,
    soft_close: bool,
    reaction: float,
    key: int,
    parallel: bool | None = None,
) -> TimedResult:
    """Run ``n_auctions`` timed English auctions (rules in the module docstring).

    Parameters
    ----------
    limits : ndarray, shape (n_auctions, n_bidders), float64
        Highest price each bidder accepts (currency); NaN abstains.
    kind : ndarray, shape (n_auctions, n_bidders), int64
        ``PROXY``, ``INCREMENTAL`` or ``SNIPER``.
    times : ndarray, shape (n_auctions, n_bidders), float64
        Arrival (proxy, incremental) or bid time (sniper), days since the opening.
    reserve, increment : float
        Opening price and minimum raise (currency).
    duration, window, reaction : float
        Scheduled length, closing window and mean reaction delay (days).
    soft_close : bool
        Late bids extend the end (soft) or not (hard).
    key : int
        Seed of the reaction delays (an unsigned 64-bit integer drawn by the caller).
    """
    limits = np.ascontiguousarray(limits, dtype=np.float64)
    kind = np.ascontiguousarray(kind, dtype=np.int64)
    times = np.ascontiguousarray(times, dtype=np.float64)
    if limits.ndim != 2 or kind.shape != limits.shape or times.shape != limits.shape:
        raise ValueError("limits, kind and times must have the same 2-d shape")
    if not (increment > 0 and duration > 0 and window >= 0 and reaction > 0):
        raise ValueError("need increment > 0, duration > 0, window >= 0 and reaction > 0")
    m = limits.shape[0]
    out = TimedResult(
        np.empty(m, np.int64), np.empty(m), np.empty(m, np.int64), np.empty(m, np.int64),
        np.empty(m, np.int64), np.empty(m),
    )  # fmt: skip
    if parallel is None:
        parallel = limits.size >= 20_000
    kernel = _timed_parallel if parallel else _timed_serial
    kernel(limits, kind, times, float(reserve), float(increment), float(duration), float(window),
           bool(soft_close), float(reaction), np.uint64(key), *out)  # fmt: skip
    return out
