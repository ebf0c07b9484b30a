"""The exempt compliance channel with a real cost (``[policy] exemption = "channel"``, issue 16).

With ``exemption = "coin"`` (the default) a public holder's trade goes through the exempt
channel by a coin flip at each pricing (probability ``exemption_share``): the model before
issue 16.

With ``exemption = "channel"``:

* **Access**: a public holder's result has access to the channel with probability
  ``exemption_share`` (drawn once per result, stream ``exemption``); enterprises never mark
  up and never use it.
* **Cost**: the channel's compliance review costs the holder ``exemption_cost`` (currency,
  once per result, counted in ``exemption_spent``) and delays its first trade through the
  channel by ``exemption_delay_days``.
* **Method cap**: the channel allows only the methods in ``exemption_methods`` (default
  auction and listed trade: a state-asset-compliant sale is public); a holder in the
  channel that would negotiate lists instead.
* **The holder weighs it** at each pricing: it takes the channel when the review (its cost,
  or nothing once paid) is below the blame the markup guards against, valued as
  ``liability_markup x`` the platform's assessed reserve: cheap results stay out.

A trade in the channel carries no liability markup. Metric ``exempt_share``: paid deals of
public holders made through the channel (not forced auctions) / paid deals of public holders.
"""

from __future__ import annotations

import numpy as np

from ..scenario.market import MarketScenario
from .choice import AUCTION, LISTING, NEGOTIATION

__all__ = ["Channel"]

_CODES = {"auction": AUCTION, "listing": LISTING, "negotiation": NEGOTIATION}


class Channel:
    """The exempt channel of one run (per-result access, reviews paid, method cap)."""

    def __init__(self, scenario: MarketScenario, public_holder: np.ndarray, u_access: np.ndarray):
        p = scenario.policy
        self.on = p.exemption == "channel"
        self.share, self.markup = p.exemption_share, p.liability_markup
        self.cost, self.delay = p.exemption_cost, p.exemption_delay_days
        self.allowed = frozenset(_CODES[m] for m in p.exemption_methods)
        n = np.size(public_holder)
        self.reviewed = np.zeros(n, bool)
        self.access = np.zeros(n, bool)
        if self.on:
            self.access = np.asarray(public_holder, bool) & (u_access < self.share)

    def choose(self, idx: np.ndarray, reserve: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Whether the trades of the results ``idx`` just priced go through the channel
        (``u``: the pricing's uniforms, the coin of ``exemption = "coin"``)."""
        if not self.on:
            return u < self.share
        cost = np.where(self.reviewed[idx], 0.0, self.cost)
        return self.access[idx] & (cost < self.markup * reserve)

    def review(self, i: int, exempt: bool) -> float:
        """Days the holder of ``i`` waits for the channel's review now (paid once)."""
        if not (self.on and exempt) or self.reviewed[i]:
            return 0.0
        self.reviewed[i] = True
        return self.delay

    def cap(self, method: int, exempt: bool) -> int:
        """The method of a trade: in the channel, a method it does not allow becomes a listing."""
        if self.on and exempt and method not in self.allowed:
            return LISTING
        return method

    def spent(self) -> float:
        """Total review costs paid by holders (currency)."""
        return float(self.cost * np.count_nonzero(self.reviewed))
