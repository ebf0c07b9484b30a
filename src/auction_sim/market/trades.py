"""The market's trades: thin adapters from its SimPy processes to the core kernels.

The market never implements a clearing rule itself: every price is set by a kernel of
:mod:`auction_sim.core`, called per instance (one auction, one negotiation) or per batch
(the listings that end together).  This module only shapes the market's Python data into
the kernels' arrays.

* timed auctions: :func:`auction_sim.core.timed.run_timed` (proxy, incremental and
  sniping bidders; soft or hard close); :class:`OpenAuction` carries one market auction
  from its scheduled end through its soft-close extensions (firms that visit during an
  extension bid too) to the clearing with the budgets at the close, falling back to the
  runner-up when the winner can no longer pay;
* listing periods: :func:`auction_sim.core.listing.run_listings` (intents, then one
  buyer at the price or competitive bidding);
* negotiations: :func:`auction_sim.core.bargaining.alternating_offers`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core import timed
from ..core.timed import SNIPER

__all__ = [
    "AuctionOutcome",
    "OpenAuction",
    "timed_auction",
    "listing_period",
    "listing_periods",
    "NegotiationOutcome",
    "negotiate",
]


class AuctionOutcome(NamedTuple):
    winner: int  # index into the bid arrays, -1 when unsold
    price: float  # currency, 0 when unsold
    end: float  # days from the opening to the close (a soft close may extend it)


def timed_auction(
    limits: np.ndarray,
    times: np.ndarray,
    strategy: np.ndarray,
    reserve: float,
    increment: float,
    duration: float,
    soft_close: bool,
    window: float,
    reaction: float,
    key: int,
) -> AuctionOutcome:
    """Outcome of one timed online English auction.

    Calls :func:`auction_sim.core.timed.run_timed` on a batch of one: proxy,
    incremental and sniping bidders, reserve as opening price, bid increment, soft or
    hard close.

    Parameters
    ----------
    limits, times, strategy : ndarray, shape (n_bids,)
        Each bidder's limit (currency), its arrival (proxy, incremental) or bid time
        (sniper) in days since the opening, and its ``core.timed`` strategy code.
    key : int
        Seed of the incremental bidders' reaction delays.

    Returns
    -------
    AuctionOutcome
        ``end`` is the closing day counted from the opening.
    """
    if limits.size == 0:
        return AuctionOutcome(-1, 0.0, duration)
    res = timed.run_timed(
        limits[None, :], strategy[None, :], times[None, :], reserve=reserve,
        increment=increment, duration=duration, window=window, soft_close=soft_close,
        reaction=reaction, key=key, parallel=False,
    )  # fmt: skip
    w = int(res.winner[0])
    return AuctionOutcome(w, float(res.price[0]) if w >= 0 else 0.0, float(res.end[0]))


class OpenAuction:
    """One market auction from its scheduled end to its close.

    Built at the scheduled end from the offers then (rows ``(firm, wtp, day, bid cap)`` of
    :func:`auction_sim.market.buyers.offers_of`): each sniper among them bids at a uniform
    time within ``snipe_lead_days`` of the scheduled end (one draw per offer from ``rng``,
    then the incremental bidders' reaction key).  A sniper that first finds the auction
    during an extension bids on arrival.  Bid limits are the offers' bid caps (what the firm
    would pay, capped by its budget when it bid).

    :meth:`end` is the closing day (absolute) given the offers so far: the market waits
    until then and asks again with the offers of the firms that visited meanwhile, until
    no late bid moves the end.  :meth:`clear` settles the auction at its close against the
    budgets then: a winner that can no longer pay drops out and the auction is cleared
    again among the others (the runner-up wins at the price its competition sets), or,
    with ``void``, the sale is void (the reference rule of the budget tests).
    """

    def __init__(self, strategy, offers, start, reserve, mech, rng) -> None:
        self.strategy, self.start, self.reserve, self.mech = strategy, start, reserve, mech
        firms = offers[:, 0].astype(np.int64)
        snipe = mech.auction_days - rng.random(firms.size) * mech.snipe_lead_days
        self.snipe = dict(zip(firms.tolist(), snipe.tolist(), strict=True))
        self.key = int(rng.integers(0, 2**63))
        self._last: tuple | None = None

    def _bids(self, offers):
        firms = offers[:, 0].astype(np.int64)
        strat = self.strategy[firms]
        times = offers[:, 2] - self.start
        if (strat == SNIPER).any():
            sn = [self.snipe.get(f, t) for f, t in zip(firms.tolist(), times.tolist(), strict=True)]
            times = np.where(strat == SNIPER, np.asarray(sn), times)
        return firms, strat, times

    def _run(self, limits, strat, times) -> AuctionOutcome:
        m = self.mech
        return timed_auction(
            limits, times, strat, self.reserve, m.increment * self.reserve, m.auction_days,
            m.soft_close, m.soft_close_days, m.reaction_days, self.key,
        )  # fmt: skip

    def end(self, offers: np.ndarray) -> float:
        """Closing day (absolute) of the auction with the bids in ``offers``."""
        if not self.mech.soft_close:
            return self.start + self.mech.auction_days
        firms, strat, times = self._bids(offers)
        out = self._run(offers[:, 3], strat, times)
        self._last = (offers, out)
        return self.start + out.end

    def clear(self, offers: np.ndarray, spendable, void: bool = False):
        """``(firm, price, fallbacks, voided)`` at the close; firm -1 when unsold.

        ``spendable(firm)`` is the largest price the firm can pay now; ``fallbacks`` counts
        the winners that could not pay and were passed over."""
        firms, strat, times = self._bids(offers)
        limits = offers[:, 3].copy()
        last = self._last
        out = last[1] if last is not None and np.array_equal(last[0], offers) else None
        fallbacks = 0
        while True:
            if out is None:
                out = self._run(limits, strat, times)
            if out.winner < 0:
                return -1, 0.0, fallbacks, False
            f = int(firms[out.winner])
            if out.price <= spendable(f):
                return f, out.price, fallbacks, False
            if void:
                return -1, 0.0, fallbacks, True
            limits[out.winner] = np.nan  # the winner cannot pay: it drops out
            fallbacks += 1
            out = None


def listing_period(
    price: float, limits: np.ndarray, arrival: np.ndarray, multi_intent: str, period_days: float
) -> tuple[int, float]:
    """Outcome of one listing period from the firms that found the listing.

    Calls :func:`auction_sim.core.listing.run_listings` on one listing of one period:
    firms whose limit reaches ``price`` register intents; one intent buys at the
    price, two or more bid competitively (``multi_intent = "auction"``) or the first
    buys (``"first_come"``).

    Parameters
    ----------
    limits, arrival : ndarray, shape (n_buyers,)
        What each firm will pay (currency) and its arrival (days since the period began),
        in arrival order.

    Returns
    -------
    (winner, price)
        Index into ``limits`` of the buyer (-1 unsold) and the price paid (currency).
    """
    from ..core import listing

    if limits.size == 0:
        return -1, 0.0
    rule = listing.AUCTION if multi_intent == "auction" else listing.FIRST_COME
    res = listing.run_listings(
        np.array([price]), np.ones(1), np.array([0, limits.size]), limits, arrival, rule,
        period_days, parallel=False,
    )  # fmt: skip
    if res.period[0] < 0:
        return -1, 0.0
    return int(res.winner[0]), float(res.price[0])


def listing_periods(
    prices: np.ndarray,
    offsets: np.ndarray,
    limits: np.ndarray,
    arrival: np.ndarray,
    multi_intent: str,
    period_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of listing periods that close together, in one kernel call.

    Calls :func:`auction_sim.core.listing.run_listings` on ``n`` listings of one period
    each (the rule of :func:`listing_period`, per listing).

    Parameters
    ----------
    prices : ndarray, shape (n,)
        Listing prices (currency).
    offsets : ndarray, shape (n + 1,)
        CSR offsets of each listing's buyers into ``limits`` and ``arrival`` (every
        listing has at least one buyer).
    limits, arrival : ndarray, shape (n_buyers,)
        What each firm will pay (currency) and its arrival (days since its period began),
        in arrival order within each listing.

    Returns
    -------
    (winner, price)
        Per listing: the index into ``limits`` of the buyer (-1 unsold) and the price paid.
    """
    from ..core import listing

    n = prices.shape[0]
    if n == 0:
        return np.full(0, -1, np.int64), np.zeros(0)
    rule = listing.AUCTION if multi_intent == "auction" else listing.FIRST_COME
    res = listing.run_listings(prices, np.ones(1), offsets, limits, arrival, rule, period_days,
                               parallel=False)  # fmt: skip
    return res.winner, np.where(res.period >= 0, res.price, 0.0)


class NegotiationOutcome(NamedTuple):
    agreed: bool
    price: float  # currency, 0 without agreement
    rounds: int  # offers exchanged (the SimPy side waits rounds x response_days)


def negotiate(
    buyer_value: float,
    holder_value: float,
    buyer_open: float,
    holder_open: float,
    rounds: int,
    first_mover: str,
    e_buyer: float,
    e_holder: float,
) -> NegotiationOutcome:
    """One alternating-offers negotiation under time-dependent tactics.

    Calls :func:`auction_sim.core.bargaining.alternating_offers` on a batch of one:
    reservation values, opening offers (currency), the deadline in rounds, who
    proposes first and the concession exponents.
    """
    from ..core import bargaining

    mover = bargaining.SELLER if first_mover == "seller" else bargaining.BUYER
    res = bargaining.alternating_offers(
        np.array([buyer_value]), np.array([holder_value]), buyer_open, holder_open,
        rounds, mover, e_buyer, e_holder, parallel=False,
    )  # fmt: skip
    if res.agreed[0]:
        return NegotiationOutcome(True, float(res.price[0]), int(res.round[0]) + 1)
    return NegotiationOutcome(False, 0.0, rounds)
