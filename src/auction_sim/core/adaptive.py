"""Adaptive bidders: no-regret learning of a shading factor over a sequence of auctions.

The ``n_auctions`` rows are played *in order* by the same ``n_bidders`` bidders
(bidder ``j`` is column ``j`` of every row).  Bidder ``j`` keeps log-weights
``logw[j, k]`` over ``K`` shading arms ``arms[k]`` in ``[0, 1]`` and, in auction ``i``:

1. draws an arm from the softmax of its log-weights with the pre-drawn uniform
   ``arm_u[i, j]`` (inverse cdf), and bids ``(1 - arms[k]) * values[i, j]``;
2. after the auction is cleared (by the format's own row kernel: sealed, English or
   Dutch), learns the *full-information* counterfactual utility of every arm against
   the other bidders' bids ``m`` (the highest of them): an arm wins if its bid is at
   least the reserve and above ``m``, and then pays its bid (first price, Dutch) or
   ``max(m, reserve)`` (second price, English); utility is ``value - payment``;
3. updates ``logw[j, k] += eta * utility_k / scale`` (Hedge, multiplicative weights:
   a no-regret rule), then subtracts the row maximum.

``logw`` is read and written, so a replication can be played in chunks.  In a
first-price auction with uniform values the arms' expected utilities peak at the
equilibrium shading ``1 / n`` (a best response to any linear shading by the others),
so the play concentrates there.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .clearing import FIRST_PRICE, SECOND_PRICE, clear_row
from .clock import dutch_row, english_row

__all__ = ["F_FIRST", "F_SECOND", "F_ENGLISH", "F_DUTCH", "AdaptiveResult", "play_adaptive"]

F_FIRST = 0
F_SECOND = 1
F_ENGLISH = 2
F_DUTCH = 3


@njit(cache=True)
def _play(values, tie_u, arm_u, arms, logw, eta, scale, fmt, reserve, increment, start,
          winner, price, high, second, bids, chosen):  # fmt: skip
    m, n = values.shape
    K = arms.shape[0]
    for i in range(m):
        for j in range(n):
            mx = -np.inf
            for k in range(K):
                mx = logw[j, k] if logw[j, k] > mx else mx
            total = 0.0
            for k in range(K):
                total += math.exp(logw[j, k] - mx)
            target = arm_u[i, j] * total
            acc = 0.0
            pick = K - 1
            for k in range(K):
                acc += math.exp(logw[j, k] - mx)
                if target < acc:
                    pick = k
                    break
            chosen[i, j] = pick
            bids[i, j] = (1.0 - arms[pick]) * values[i, j]
        if fmt == F_FIRST:
            clear_row(bids, tie_u, i, reserve, FIRST_PRICE, winner, price, high, second)
        elif fmt == F_SECOND:
            clear_row(bids, tie_u, i, reserve, SECOND_PRICE, winner, price, high, second)
        elif fmt == F_ENGLISH:
            english_row(bids, tie_u, i, reserve, increment, winner, price)
        else:
            dutch_row(bids, tie_u, i, start, reserve, increment, winner, price)
        pay_bid = fmt == F_FIRST or fmt == F_DUTCH
        for j in range(n):
            mo = -np.inf
            for k in range(n):
                if k != j and bids[i, k] > mo:
                    mo = bids[i, k]
            v = values[i, j]
            best = -np.inf
            for k in range(K):
                b = (1.0 - arms[k]) * v
                u = 0.0
                if b >= reserve and b > mo:
                    pay = b if pay_bid else (mo if mo > reserve else reserve)
                    u = v - pay
                logw[j, k] += eta * u / scale
                best = logw[j, k] if logw[j, k] > best else best
            for k in range(K):
                logw[j, k] -= best


class AdaptiveResult(NamedTuple):
    """Outcome of a sequence of auctions played by learning bidders."""

    winner: np.ndarray  # int64 (n_auctions,), -1 when unsold
    price: np.ndarray  # float64 (n_auctions,), currency, 0 when unsold
    bids: np.ndarray  # float64 (n_auctions, n_bidders), currency
    shade: np.ndarray  # float64 (n_auctions, n_bidders), the shading factor played


def play_adaptive(
    values: np.ndarray,
    tie_u: np.ndarray,
    arm_u: np.ndarray,
    arms: np.ndarray,
    logw: np.ndarray,
    *,
    eta: float,
    scale: float,
    fmt: int,
    reserve: float,
    increment: float = 0.01,
    start: float = 1.0,
) -> AdaptiveResult:
    """Play the rows of ``values`` in order with learning bidders (rules in the module doc).

    Parameters
    ----------
    values, tie_u, arm_u : ndarray, shape (n_auctions, n_bidders), float64
        Values (currency), tie-breaking uniforms, arm-drawing uniforms.
    arms : ndarray, shape (K,)
        Shading factors in [0, 1].
    logw : ndarray, shape (n_bidders, K), float64
        Log-weights, updated in place (start from zeros).
    eta, scale : float
        Learning rate, and the currency scale that utilities are divided by.
    fmt : int
        ``F_FIRST``, ``F_SECOND``, ``F_ENGLISH`` or ``F_DUTCH``.
    reserve, increment, start : float
        Reserve, clock step and Dutch opening price (currency).
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    tie_u = np.ascontiguousarray(tie_u, dtype=np.float64)
    arm_u = np.ascontiguousarray(arm_u, dtype=np.float64)
    arms = np.ascontiguousarray(arms, dtype=np.float64)
    m, n = values.shape
    if tie_u.shape != (m, n) or arm_u.shape != (m, n) or logw.shape != (n, arms.shape[0]):
        raise ValueError("values, tie_u, arm_u must share a shape; logw must be (n_bidders, K)")
    if logw.dtype != np.float64 or not logw.flags.c_contiguous:
        raise ValueError("logw must be a C-contiguous float64 array (it is updated in place)")
    if fmt not in (F_FIRST, F_SECOND, F_ENGLISH, F_DUTCH):
        raise ValueError(f"unknown format code {fmt!r}")
    winner = np.empty(m, np.int64)
    price = np.empty(m)
    bids = np.empty((m, n))
    chosen = np.empty((m, n), np.int64)
    _play(values, tie_u, arm_u, arms, logw, float(eta), float(scale), int(fmt), float(reserve),
          float(increment), float(start), winner, price, np.empty(m), np.empty(m), bids,
          chosen)  # fmt: skip
    return AdaptiveResult(winner, price, bids, arms[chosen])
