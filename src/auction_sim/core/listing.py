"""Batch listed trades (numba kernels): listing periods, intents, first-come or bidding, relists.

A listing is posted at ``list_price[i] * step[r]`` in listing period ``r = 0 .. n_periods-1``
(``step`` is ``(1 - relist_discount) ** r``: one first listing and ``n_periods - 1``
relists).  The buyers that arrive in each period are given in ragged (CSR) form:
period ``r`` of listing ``i`` owns buyers ``offsets[i * n_periods + r]`` up to
``offsets[i * n_periods + r + 1]`` of the flat arrays ``buyer_values`` (currency) and
``arrival`` (days since the start of the period, in ``[0, period_days)``).

Rules (the single implementation used by the laboratory and the market):

* A buyer whose value is at least the current price registers an **intent**.
* ``FIRST_COME``: the earliest intent buys at the listing price, at its arrival time.
* ``AUCTION``: at the end of the period, one intent buys at the listing price; two or
  more go to an **English auction that opens at the listing price**.  With proxy
  (truthful) bidders an English auction ends where the second-highest bidder drops
  out, so it is cleared by the sealed kernel
  :func:`auction_sim.core.clearing.clear_row` with ``SECOND_PRICE``, the intents'
  values as bids and the listing price as the reserve: the highest intent wins and
  pays ``max(second-highest value, listing price)`` (which also gives the listing
  price for a single intent).  Ties at the top go to the earlier arrival, as with
  proxy bids (the earlier proxy holds the high bid): the tie uniform is ``-arrival``.
* A period without intents leads to a relist at the next ``step``; after the last
  period the listing is withdrawn.

Outputs, shape ``(n_listings,)``: ``period`` (int64, period of sale, -1 withdrawn),
``price`` (0 unsold), ``days`` (days from the first listing to the sale, counting
all earlier periods whole; NaN unsold), ``winner_value`` (0 unsold), ``best_value``
(highest value among the buyers who arrived while the item was listed, the sale
period counted whole; 0 when none arrived), ``intents`` (intents in the sale period,
0 unsold), ``bidding`` (bool: the sale went to competitive bidding) and ``winner`` (the
buyer's index into ``buyer_values``, -1 unsold).

The relist rule is :func:`relist_steps`: ``step[r] = (1 - relist_discount) ** r``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .clearing import SECOND_PRICE, clear_row

__all__ = ["FIRST_COME", "AUCTION", "ListingResult", "relist_steps", "run_listings"]

FIRST_COME = 0
AUCTION = 1

_PARALLEL_MIN_BUYERS = 500_000  # below this, thread start-up costs more than it saves


class ListingResult(NamedTuple):
    """Outcome of a batch of listings; every array has shape ``(n_listings,)``."""

    period: np.ndarray  # int64, listing period of the sale (0 = first listing), -1 withdrawn
    price: np.ndarray  # float64, currency, 0 when unsold
    days: np.ndarray  # float64, days from first listing to sale, NaN when unsold
    winner_value: np.ndarray  # float64, the buyer's value, 0 when unsold
    best_value: np.ndarray  # float64, highest value among buyers who arrived while listed
    intents: np.ndarray  # int64, intents in the sale period, 0 when unsold
    bidding: np.ndarray  # bool, the sale went to competitive bidding
    winner: np.ndarray  # int64, the buyer's index into buyer_values, -1 when unsold


def relist_steps(relist_discount: float, n_periods: int) -> np.ndarray:
    """Price factor of each listing period: ``(1 - relist_discount) ** r``, ``r = 0 ..
    n_periods - 1`` (the first listing, then each relist)."""
    return (1.0 - relist_discount) ** np.arange(n_periods, dtype=np.float64)


@njit(cache=True, inline="always")
def listing_row(
    i, list_price, step, offsets, buyer_values, arrival, rule, period_days,
    sb, st, ow, op, oh, os_,
    period, price, days, winner_value, best_value, intents, bidding, winner,
):  # fmt: skip
    """Listing ``i`` through its periods; ``sb, st, ow, op, oh, os_`` are scratch arrays."""
    n_periods = step.shape[0]
    best = 0.0
    seen = False
    for r in range(n_periods):
        p = list_price[i] * step[r]
        a = offsets[i * n_periods + r]
        b = offsets[i * n_periods + r + 1]
        k = 0
        first_t = np.inf
        first_j = -1
        for j in range(a, b):
            v = buyer_values[j]
            if not seen or v > best:
                best = v
                seen = True
            if v >= p:
                sb[0, k] = v
                st[0, k] = -arrival[j]
                k += 1
                if arrival[j] < first_t:
                    first_t = arrival[j]
                    first_j = j
        if k == 0:
            continue
        period[i] = r
        intents[i] = k
        best_value[i] = best
        if rule == FIRST_COME:
            price[i] = p
            winner_value[i] = buyer_values[first_j]
            winner[i] = first_j
            days[i] = r * period_days + first_t
            bidding[i] = False
        else:
            for c in range(k, sb.shape[1]):
                sb[0, c] = np.nan  # abstentions
            clear_row(sb, st, 0, p, SECOND_PRICE, ow, op, oh, os_)
            price[i] = op[0]
            winner_value[i] = sb[0, ow[0]]
            c = -1  # the ow[0]-th intent (a pass over one period; cheaper than a scratch list)
            for j in range(a, b):
                if buyer_values[j] >= p:
                    c += 1
                    if c == ow[0]:
                        winner[i] = j
                        break
            days[i] = (r + 1) * period_days
            bidding[i] = k >= 2
        return
    period[i] = -1
    intents[i] = 0
    best_value[i] = best
    price[i] = 0.0
    winner_value[i] = 0.0
    winner[i] = -1
    days[i] = np.nan
    bidding[i] = False


@njit(cache=True)
def _block(lo, hi, width, list_price, step, offsets, buyer_values, arrival, rule, period_days,
           period, price, days, winner_value, best_value, intents, bidding, winner):  # fmt: skip
    sb = np.empty((1, width))
    st = np.empty((1, width))
    ow = np.empty(1, np.int64)
    op = np.empty(1)
    oh = np.empty(1)
    os_ = np.empty(1)
    for i in range(lo, hi):
        listing_row(
            i, list_price, step, offsets, buyer_values, arrival, rule, period_days,
            sb, st, ow, op, oh, os_,
            period, price, days, winner_value, best_value, intents, bidding, winner,
        )  # fmt: skip


@njit(cache=True)
def _run_serial(width, list_price, step, offsets, buyer_values, arrival, rule, period_days,
                period, price, days, winner_value, best_value, intents, bidding,
                winner):  # fmt: skip
    _block(0, list_price.shape[0], width, list_price, step, offsets, buyer_values, arrival,
           rule, period_days, period, price, days, winner_value, best_value, intents,
           bidding, winner)  # fmt: skip


@njit(cache=True, parallel=True)
def _run_parallel(width, list_price, step, offsets, buyer_values, arrival, rule, period_days,
                  period, price, days, winner_value, best_value, intents, bidding,
                  winner):  # fmt: skip
    n = list_price.shape[0]
    n_blocks = min(n, 256)
    for blk in prange(n_blocks):
        lo = blk * n // n_blocks
        hi = (blk + 1) * n // n_blocks
        _block(lo, hi, width, list_price, step, offsets, buyer_values, arrival, rule,
               period_days, period, price, days, winner_value, best_value, intents,
               bidding, winner)  # fmt: skip


def run_listings(
    list_price: np.ndarray,
    step: np.ndarray,
    offsets: np.ndarray,
    buyer_values: np.ndarray,
    arrival: np.ndarray,
    rule: int,
    period_days: float,
    *,
    parallel: bool | None = None,
    out: ListingResult | None = None,
) -> ListingResult:
    """Run ``n_listings`` listed trades through their listing periods.

    Parameters
    ----------
    list_price : ndarray, shape (n_listings,), float64
        Price of the first listing (currency).
    step : ndarray, shape (n_periods,), float64
        Price factor of each listing period (``step[0]`` is normally 1).
    offsets : ndarray, shape (n_listings * n_periods + 1,), int64
        CSR offsets of each (listing, period)'s buyers into the flat buyer arrays;
        non-decreasing, ``offsets[0] = 0`` and ``offsets[-1] = n_buyers``.
    buyer_values : ndarray, shape (n_buyers,), float64
        The arriving buyers' values (currency).
    arrival : ndarray, shape (n_buyers,), float64
        Arrival time of each buyer, days since the start of its period.
    rule : int
        ``FIRST_COME`` or ``AUCTION``.
    period_days : float
        Length of one listing period (days, > 0).
    parallel : bool, optional
        Use the multi-threaded driver; by default with at least 500 000 buyers.
        Results are identical either way.
    out : ListingResult, optional
        Preallocated outputs to fill.

    Returns
    -------
    ListingResult
    """
    list_price = np.ascontiguousarray(list_price, dtype=np.float64)
    step = np.ascontiguousarray(step, dtype=np.float64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    buyer_values = np.ascontiguousarray(buyer_values, dtype=np.float64)
    arrival = np.ascontiguousarray(arrival, dtype=np.float64)
    n = list_price.shape[0]
    if list_price.ndim != 1 or step.ndim != 1 or step.shape[0] < 1:
        raise ValueError("list_price and step must be 1-d, step non-empty")
    if offsets.shape != (n * step.shape[0] + 1,):
        raise ValueError(f"offsets must have shape ({n * step.shape[0] + 1},), got {offsets.shape}")
    m = buyer_values.shape[0]
    if arrival.shape != (m,) or offsets[0] != 0 or offsets[-1] != m:
        raise ValueError("offsets, buyer_values and arrival do not describe the same buyers")
    counts = np.diff(offsets)
    if (counts < 0).any():
        raise ValueError("offsets must be non-decreasing")
    if np.isnan(buyer_values).any() or np.isnan(list_price).any() or np.isnan(step).any():
        raise ValueError("prices and values must not be NaN")
    if rule not in (FIRST_COME, AUCTION):
        raise ValueError(f"rule must be FIRST_COME (0) or AUCTION (1), got {rule!r}")
    period_days = float(period_days)
    if not period_days > 0:
        raise ValueError(f"period_days must be > 0, got {period_days!r}")
    width = max(1, int(counts.max()) if counts.size else 1)
    if out is None:
        out = ListingResult(
            np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
            np.empty(n, np.int64), np.empty(n, np.bool_), np.empty(n, np.int64),
        )  # fmt: skip
    if n == 0:
        return out
    if parallel is None:
        parallel = m >= _PARALLEL_MIN_BUYERS
    kernel = _run_parallel if parallel else _run_serial
    kernel(width, list_price, step, offsets, buyer_values, arrival, rule, period_days, *out)
    return out
