"""Thin adapters from the market's SimPy processes to the core kernels.

The market never implements a clearing or estimation rule itself: every price is
set by a kernel of :mod:`auction_sim.core`, called per instance (one auction, one
listing, one negotiation) or per batch (the day's newly reviewed achievements).
This module only shapes the market's Python data into the kernels' arrays.

* timed auctions: :func:`auction_sim.core.timed.run_timed` (proxy, incremental and
  sniping bidders; soft or hard close);
* listing periods: :func:`auction_sim.core.listing.run_listings` (intents, then one
  buyer at the price or competitive bidding), per batch of the listings that end
  together;
* negotiations: :func:`auction_sim.core.bargaining.alternating_offers`;
* price discovery: :func:`auction_sim.core.pricing.estimate_joint` (periodic refit of
  reviewer biases, score calibration, quote shift and the comparable-deal prior on
  every achievement priced so far, with completed deals as anchors) and
  :func:`auction_sim.core.pricing.fuse` (daily posterior of new achievements).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..achievements import feature_levels
from ..core import pricing as core_pricing
from ..core import timed
from ..pricing import comparables, rules

__all__ = [
    "AuctionOutcome",
    "timed_auction",
    "listing_period",
    "listing_periods",
    "NegotiationOutcome",
    "negotiate",
    "price_rules",
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
    # the kernel reports the winner's value; the winner is the earliest buyer with that
    # value (the kernel gives ties to the earlier arrival, and so does first come)
    winner = int(np.flatnonzero(limits == res.winner_value[0])[0])
    return winner, float(res.price[0])


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
    winner = np.full(n, -1, np.int64)
    if n == 0:
        return winner, np.zeros(0)
    rule = listing.AUCTION if multi_intent == "auction" else listing.FIRST_COME
    res = listing.run_listings(prices, np.ones(1), offsets, limits, arrival, rule, period_days,
                               parallel=False)  # fmt: skip
    pay = np.where(res.period >= 0, res.price, 0.0)
    # the winner is the earliest buyer with the winning value (see listing_period)
    for k in np.flatnonzero(res.period >= 0).tolist():
        lo = int(offsets[k])
        winner[k] = lo + int(np.flatnonzero(limits[lo : offsets[k + 1]] == res.winner_value[k])[0])
    return winner, pay


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


def price_rules(
    mean: np.ndarray,
    var: np.ndarray,
    reserve_rule: str,
    reserve_level: float,
    listing_rule: str,
    listing_level: float,
    buyer_sd_log: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Listing and reserve prices (currency) from posteriors of the log value.

    Delegates to :mod:`auction_sim.pricing.rules`: ``listing_rule = "mean"`` is
    ``listing_level x`` the posterior mean value, ``"quantile"`` the posterior
    ``listing_level``-quantile; ``reserve_rule = "quantile"`` the posterior
    ``reserve_level``-quantile, ``"mean_share"`` ``reserve_level x`` the posterior mean
    value, ``"myerson"`` the optimal reserve against lognormal buyers.
    """
    if listing_rule == "mean":
        listing = rules.listing_price(mean, var, markup=listing_level - 1.0)
    else:
        listing = rules.listing_price(mean, var, quantile=listing_level)
    if reserve_rule == "quantile":
        reserve = rules.reserve_quantile(mean, var, reserve_level)
    elif reserve_rule == "mean_share":
        reserve = rules.listing_price(mean, var, markup=reserve_level - 1.0)
    else:
        reserve = rules.myerson_reserve(mean, var, 0.0, buyer_sd_log)
    return listing, reserve


MIN_DEALS = 20
"""Deals needed before the score calibration and the comparable-deal prior are learned."""

MIN_FIT = 100
"""Achievements priced before the first joint refit (smaller sets overfit the variances)."""

_VAR_FLOOR = 1e-4


def nominal_params(n_reviewers: int, prior_var: float):
    """The platform's parameters before any fit: scores taken at face value (offset 0,
    scale 1, no biases, unit noise), quotes unshaded with unit noise, a ``N(0, prior_var)``
    prior."""
    fields = core_pricing.PricingParams._fields
    values = {
        "alpha": 0.0, "gamma": 1.0, "bias": np.zeros(n_reviewers),
        "noise_var": np.ones(n_reviewers), "field_factor": 1.0, "shift": 0.0,
        "quote_var": 1.0, "effects": np.zeros(0), "beta": np.zeros(0),
        "prior_var": float(prior_var), "deal_var": 1.0,
    }  # fmt: skip
    return core_pricing.PricingParams(**{f: values[f] for f in fields})


def _usable(params) -> bool:
    """Finite parameters with positive variances (a degenerate fit is not used)."""
    scalars = (params.alpha, params.gamma, params.shift, params.field_factor,
               params.quote_var, params.deal_var, params.prior_var)  # fmt: skip
    ok = all(np.isfinite(x) for x in scalars[:3])
    ok = ok and all(x > 0 and np.isfinite(x) for x in scalars[3:6]) and params.prior_var > 0
    return bool(ok and np.all(np.isfinite(params.bias)) and np.all(params.noise_var > 0))


class Pricer:
    """Price discovery over a run: the comparable-deal model, joint refits, daily posteriors.

    * the comparable-deal model (:class:`auction_sim.pricing.comparables.OnlineRidge`,
      log deal price on one-hot field, readiness and holder) is updated as deals
      complete and gives each new achievement its prior mean and variance;
    * every ``refit_days`` the joint estimator
      (:func:`auction_sim.core.pricing.estimate_joint`) is refitted on every
      achievement priced so far, with the completed deals as anchors: reviewer
      biases and precisions, the score calibration and the quote shift;
    * new achievements get :func:`auction_sim.core.pricing.fuse` posteriors from
      those parameters and the comparable-deal prior.

    Before the first refit (``MIN_FIT`` achievements priced) the platform takes scores
    and quotes at face value (:func:`nominal_params`); before ``MIN_DEALS`` deals it
    keeps the nominal score scale and a ``N(0, prior_var)`` prior.  A refit that fails
    or returns degenerate variances is counted in ``failed_fits`` and not used.
    """

    def __init__(self, n_reviewers: int, n_fields: int, prior_var: float, penalty: float,
                 max_iter: int = 50):  # fmt: skip
        self.n_reviewers = n_reviewers
        self.levels = feature_levels(n_fields)
        self.prior_var = float(prior_var)
        self.max_iter = max_iter
        self.params = nominal_params(n_reviewers, prior_var)
        self.failed_fits = 0
        n_cols = sum(self.levels) - len(self.levels)
        self.ridge = comparables.OnlineRidge(n_cols, penalty)

    def _lists(self, n, ach, reviewer, score, same, q_ach, log_quote):
        rl = core_pricing.build_reviews(n, self.n_reviewers, ach, reviewer, score, same)
        ql = core_pricing.build_quotes(n, q_ach, log_quote)
        return rl, ql

    def add_deals(self, codes: np.ndarray, log_price: np.ndarray) -> None:
        """Completed deals (feature codes ``(k, 3)``, log prices ``(k,)``) into the model."""
        if len(log_price):
            self.ridge.update(comparables.one_hot(codes, self.levels), log_price)

    def _fit(self, codes, lists, has_deal=None, deal_y=None):
        n_deals = 0 if has_deal is None else int(np.count_nonzero(has_deal))
        learn = n_deals >= MIN_DEALS
        try:
            with np.errstate(all="ignore"):
                res = core_pricing.estimate_joint(
                    *lists, features=core_pricing.make_features(codes, self.levels),
                    has_deal=has_deal, deal_y=deal_y, learn_scale=learn, learn_prior=learn,
                    prior_var=self.prior_var, max_iter=self.max_iter, tol=1e-4, parallel=False,
                )  # fmt: skip
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            self.failed_fits += 1  # keep the last good parameters
            return
        if _usable(res.params):
            self.params = res.params
        else:
            self.failed_fits += 1

    def refit(self, codes, ach, reviewer, score, same, q_ach, log_quote, has_deal, deal_y):
        """Joint estimate on every achievement priced so far (deals anchor the level)."""
        n = codes.shape[0]
        if n >= MIN_FIT:
            self._fit(codes, self._lists(n, ach, reviewer, score, same, q_ach, log_quote),
                      has_deal, deal_y)  # fmt: skip

    def posterior(self, codes, ach, reviewer, score, same, q_ach, log_quote):
        """Posterior mean and variance of the log value of a batch, shape ``(n,)`` each."""
        n = codes.shape[0]
        lists = self._lists(n, ach, reviewer, score, same, q_ach, log_quote)
        if self.ridge.n >= MIN_DEALS:
            prior_mean = self.ridge.predict(comparables.one_hot(codes, self.levels))
            prior_var = max(self.ridge.residual_var, _VAR_FLOOR)
        else:
            prior_mean, prior_var = np.zeros(n), self.prior_var
        # the comparable-deal model replaces the joint fit's own prior effects
        params = self.params._replace(prior_var=prior_var, effects=np.zeros(0))
        return core_pricing.fuse(*lists, params=params, prior_mean=prior_mean, parallel=False)
