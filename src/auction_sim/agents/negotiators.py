"""Negotiators of the bargaining laboratory: tactics, opening offers and sealed-bid strategies.

* Time-dependent tactics (Faratin, Sierra & Jennings 1998) are concession exponents
  ``e`` for :func:`auction_sim.core.bargaining.alternating_offers`: ``boulware``
  (``e < 1``, concedes late), ``linear`` (``e = 1``), ``conceder`` (``e > 1``, concedes
  early) and ``truthful`` (``e = inf``: offers its own value from the first round).
* Opening offers: a side opens at the best price the other side could possibly
  accept.  Under complete information that is the other side's value; under private
  information it is the end of the other side's value distribution (the top of the
  buyers' support for the seller, the bottom of the sellers' support for the buyer),
  or its 0.999 / 0.001 quantile when the support is unbounded (``OPEN_TAIL``).
* k-double auction strategies: ``truthful`` (bid / ask one's value) and the
  Chatterjee–Samuelson linear equilibrium for values uniform on one interval.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "OPEN_TAIL",
    "TACTICS",
    "tactic_exponent",
    "opening_demand",
    "opening_offer",
    "LinearStrategies",
    "chatterjee_samuelson",
]

TACTICS = ("equilibrium", "truthful", "boulware", "conceder", "linear")
OPEN_TAIL = 0.001
"""Tail probability at which an unbounded opponent distribution is cut for the opening offer."""


def tactic_exponent(tactic: str, boulware_e: float, conceder_e: float) -> float:
    """Concession exponent of a time-dependent tactic (``inf`` for ``truthful``)."""
    exps = {"boulware": boulware_e, "linear": 1.0, "conceder": conceder_e, "truthful": math.inf}
    if tactic not in exps:
        raise ValueError(f"no concession exponent for tactic {tactic!r}")
    return float(exps[tactic])


def opening_demand(buyer_dist) -> float:
    """The seller's opening demand under private information: the top of the buyers' values."""
    hi = buyer_dist.support()[1]
    return float(hi) if math.isfinite(hi) else float(buyer_dist.ppf(1.0 - OPEN_TAIL))


def opening_offer(seller_dist) -> float:
    """The buyer's opening offer under private information: the bottom of the sellers' values."""
    lo = seller_dist.support()[0]
    return float(lo) if math.isfinite(lo) else float(seller_dist.ppf(OPEN_TAIL))


class LinearStrategies(NamedTuple):
    """``bid(v) = bid_a + bid_b * v`` and ``ask(c) = ask_a + ask_b * c`` (currency)."""

    bid_a: float
    bid_b: float
    ask_a: float
    ask_b: float

    def bid(self, values: np.ndarray) -> np.ndarray:
        return self.bid_a + self.bid_b * values

    def ask(self, values: np.ndarray) -> np.ndarray:
        return self.ask_a + self.ask_b * values


def chatterjee_samuelson(k: float, low: float = 0.0, high: float = 1.0) -> LinearStrategies:
    """Linear Bayes-Nash equilibrium of the k-double auction, both values uniform on [low, high].

    On [0, 1] (Chatterjee & Samuelson 1983; Satterthwaite & Williams 1989)::

        bid(v) = v / (1 + k) + k (1 - k) / (2 (1 + k))
        ask(c) = c / (2 - k) + (1 - k) / 2

    (each side's best reply to the other's linear strategy).  For ``k = 1/2`` this is
    ``bid = 2v/3 + 1/12``, ``ask = 2c/3 + 1/4``: trade iff ``v >= c + 1/4``.  On
    ``[low, high]`` the strategies are the affine image of these.
    """
    if not 0.0 <= k <= 1.0:
        raise ValueError(f"k must be in [0, 1], got {k!r}")
    if not high > low:
        raise ValueError(f"expected high > low, got [{low}, {high}]")
    w = high - low
    bid_b, bid_a0 = 1.0 / (1.0 + k), k * (1.0 - k) / (2.0 * (1.0 + k))
    ask_b, ask_a0 = 1.0 / (2.0 - k), (1.0 - k) / 2.0
    # x in [0, 1] -> low + w x:  s(low + w x) = low + w (a0 + b x) = (low + w a0 - b low) + b y
    return LinearStrategies(
        bid_a=low + w * bid_a0 - bid_b * low,
        bid_b=bid_b,
        ask_a=low + w * ask_a0 - ask_b * low,
        ask_b=ask_b,
    )
