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
* sealed first-price auctions (``[mechanism] auction_format = "first_price"``):
  :class:`FirstPriceBook` -- bids from :func:`auction_sim.core.asymmetric.class_bids` on
  the asymmetric equilibrium of the classes present (solved by
  :func:`auction_sim.core.asymmetric.solve_first_price`, cached by composition), cleared
  by :func:`auction_sim.core.clearing.clear_sealed`;
* listing periods: :func:`auction_sim.core.listing.run_listings` (intents, then one
  buyer at the price or competitive bidding);
* negotiations: :func:`auction_sim.core.bargaining.alternating_offers`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from ..core import asymmetric, timed
from ..core.clearing import FIRST_PRICE, clear_sealed
from ..core.timed import SNIPER

__all__ = [
    "AuctionOutcome",
    "OpenAuction",
    "FirstPriceBook",
    "TruncatedLogNormal",
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


class TruncatedLogNormal:
    """``log x ~ N(mean_log, sd_log**2)`` conditioned on ``x >= low``: the law a bidder of
    the market's first-price auction holds for a rival of one class (values per unit of the
    common value, known to have reached the reserve).  Has what
    :func:`auction_sim.core.asymmetric.solve_first_price` needs (``cdf``, ``pdf``, ``ppf``,
    ``support``); tails are computed from the survival function (no cancellation when
    ``low`` is far in the upper tail)."""

    is_uniform = False

    def __init__(self, mean_log: float, sd_log: float, low: float):
        self.mu, self.sd, self.low = float(mean_log), float(sd_log), float(low)
        self._s0 = float(special.ndtr(-self._z(low))) if low > 0 else 1.0

    def _z(self, x):
        with np.errstate(divide="ignore"):
            return (np.log(x) - self.mu) / self.sd

    def cdf(self, x):
        x = np.maximum(np.asarray(x, dtype=np.float64), self.low)
        return np.clip(1.0 - special.ndtr(-self._z(x)) / self._s0, 0.0, 1.0)

    def pdf(self, x):
        x = np.asarray(x, dtype=np.float64)
        z = self._z(np.maximum(x, 1e-300))
        dens = np.exp(-0.5 * z * z) / (np.maximum(x, 1e-300) * self.sd * math.sqrt(2 * math.pi))
        return np.where(x >= self.low, dens / self._s0, 0.0)

    def ppf(self, q):
        surv = self._s0 * (1.0 - np.asarray(q, dtype=np.float64))
        return np.maximum(np.exp(self.mu - self.sd * special.ndtri(surv)), self.low)

    def support(self) -> tuple[float, float]:
        return self.low, math.inf


_EQUILIBRIA: dict[tuple, asymmetric.ClassBidTables] = {}  # process-wide: grid points share


class _Symmetric(asymmetric.ClassBidTables):
    """Bid tables of the symmetric fallback (every class's row the same: the symmetric
    equilibrium of the pooled law), in the layout of :func:`asymmetric.class_bid_tables`."""


class _Mixture:
    """The law of a bidder drawn from the classes present, weighted by the composition
    (``ppf`` by interpolation on a fine grid of the summed cdf)."""

    is_uniform = False

    def __init__(self, dists, weights, low: float):
        self.dists, self.w, self.low = dists, np.asarray(weights, float), low
        self.top = max(float(d.ppf(1.0 - 1e-9)) for d in dists)
        self._x = np.unique(np.concatenate([d.ppf(np.linspace(0, 1 - 1e-9, 4097)) for d in dists]))
        self._F = np.maximum.accumulate(self.cdf(self._x))

    def cdf(self, x):
        return sum(w * d.cdf(x) for w, d in zip(self.w, self.dists, strict=True))

    def ppf(self, q):
        return np.interp(q, self._F, self._x)

    def support(self) -> tuple[float, float]:
        return self.low, self.top


def _symmetric_tables(dists, counts, low: float, table: int) -> _Symmetric:
    from ..core.equilibrium import bid_at, first_price_bid_function

    w = np.asarray(counts, float) / sum(counts)
    fn = first_price_bid_function(_Mixture(dists, w, low), int(sum(counts)), low)
    x = np.linspace(low, fn.x[-1], table)
    row = [bid_at(v, fn.x, fn.bid, fn.reserve, fn.inv_width) for v in x]
    bid = np.tile(np.asarray(row), (len(dists), 1))
    return _Symmetric(bid, np.full(len(dists), (table - 1) / (fn.x[-1] - low)), float(low))


class FirstPriceBook:
    """The market's sealed first-price auctions: equilibrium bids of the classes present.

    Information (docs/interfaces.md, "Market auctions with firm classes"): a firm's value
    is ``c x fit x scale_k`` (``c`` = item value x the willingness factor); the bidders
    know ``c`` (the item's value is common knowledge), the class of every registered
    bidder (the platform announces the bidders by class when bidding closes) and that each
    registered bidder's value reached the reserve ``r``; fit is private with the scenario's
    law ``log fit ~ N(0, fit_sd_log**2)`` (the off-field factor is not in the beliefs).  In
    units of ``c`` a class-``k`` rival's value is therefore :class:`TruncatedLogNormal`
    ``(log scale_k, fit_sd_log, r / c)`` and the game depends on the composition (bidders
    per class) and on ``rho = r / c``.  ``rho`` is rounded down to a grid of ``step`` in
    ``log`` (``rho_q <= rho``) and ``c`` taken as ``r / rho_q`` (within a factor
    ``exp(step)`` above the true one): the equilibrium is then exact for the reserve
    and cached by ``(composition, rounded log rho)``.  A firm bids
    ``min(b_k(value), bid cap)`` (its budget may bind; budgets are not in the beliefs).

    Where the solver does not resolve the composition (it raises
    :class:`auction_sim.core.asymmetric.AsymmetricError`: its own best-reply check or its
    low-end patch fails, see docs/interfaces.md), no equilibrium is used: each bidder bids the
    symmetric equilibrium (:func:`auction_sim.core.equilibrium.first_price_bid_function`)
    of as many bidders as there are with values from the mixture of the classes present
    (weighted by the composition) -- an approximation that allocates as the English
    auction does (one bid function), counted in ``approximate`` (the metric
    ``auction_fp_approximate``), never silent.
    """

    PATCH_LIMIT = asymmetric.MAX_PATCH

    def __init__(self, scales, fit_sd: float, step: float = 1.0 / 16.0, table: int = 2049):
        self.scales = tuple(float(x) for x in scales)
        self.fit_sd, self.step, self.table = float(fit_sd), float(step), int(table)
        self.solved = 0  # equilibria solved by this book (cache misses)
        self.approximate = 0  # auctions (>= 2 bidders) bid with the symmetric fallback

    def tables(self, counts: tuple, q: int | None):
        """Bid tables of the classes with ``counts[k] > 0`` (in class order) for the rounded
        reserve ratio ``exp(q * step)`` (``q = None``: no reserve)."""
        key = (self.scales, self.fit_sd, self.step, self.table, counts, q)
        tab = _EQUILIBRIA.get(key)
        if tab is None:
            low = 0.0 if q is None else math.exp(q * self.step)
            present = [k for k, c in enumerate(counts) if c > 0]
            dists = [TruncatedLogNormal(math.log(self.scales[k]), self.fit_sd, low)
                     for k in present]  # fmt: skip
            n = [counts[k] for k in present]
            # up to 4 bidders half the default steps agree with the default to ~2e-5 of
            # the bid range (measured, docs/interfaces.md) at half the cost
            fine = {} if sum(n) > 4 else {"steps": 2048, "table": 8193}
            try:
                eq = asymmetric.solve_first_price(dists, n, low, max_patch=self.PATCH_LIMIT,
                                                  **fine)  # fmt: skip
            except asymmetric.AsymmetricError:
                tab = _symmetric_tables(dists, n, low, self.table)
            else:
                tab = asymmetric.class_bid_tables(eq, self.table)
            _EQUILIBRIA[key] = tab
            self.solved += 1
        return tab

    def bids(self, values: np.ndarray, cls: np.ndarray, reserve: float, common: float):
        """Equilibrium bids (currency) of bidders with ``values`` (what each will pay) and
        classes ``cls``, in an auction with ``reserve`` and common value ``common``."""
        counts = tuple(np.bincount(cls, minlength=len(self.scales)).tolist())
        if reserve > 0 and common > 0:
            q = math.floor(math.log(reserve / common) / self.step)
            unit = reserve / math.exp(q * self.step)  # c rounded up: r / rho_q
        else:
            q, unit = None, max(common, 1e-300)
        tab = self.tables(counts, q)
        self.approximate += isinstance(tab, _Symmetric) and values.size > 1
        col = np.cumsum(np.asarray(counts) > 0) - 1  # class -> row of the present classes
        x = np.maximum(values / unit, tab.low)  # registered values reach the reserve
        return asymmetric.class_bids(x[None, :], col[cls], tab, parallel=False)[0] * unit

    def clear(self, values, cls, caps, reserve, common, tie_u, spendable, void=False):
        """``(index of the winner or -1, price, fallbacks, voided)`` of one sealed
        first-price auction; a winner that can no longer pay its bid (``spendable(i)``, by
        bidder index) drops out and the highest remaining bid wins (or, with ``void``, the
        sale is void)."""
        if values.size == 0:
            return -1, 0.0, 0, False
        bids = np.minimum(self.bids(values, cls, reserve, common), caps)
        fallbacks = 0
        while True:
            res = clear_sealed(bids[None, :], tie_u[None, :], reserve, FIRST_PRICE,
                               parallel=False)  # fmt: skip
            w = int(res.winner[0])
            if w < 0:
                return -1, 0.0, fallbacks, False
            price = float(res.price[0])
            if price <= spendable(w):
                return w, price, fallbacks, False
            if void:
                return -1, 0.0, fallbacks, True
            bids[w] = np.nan
            fallbacks += 1


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
