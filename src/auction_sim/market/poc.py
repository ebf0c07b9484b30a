"""Proof of concept at a verification centre (``[policy] poc_share > 0``, issue 16).

A share ``poc_share`` of the results (each with that probability, drawn with the other
achievement draws) goes through a state-funded concept-verification centre before it
registers: it costs the centre ``poc_cost`` (currency, counted in ``poc_spent``), delays the
registration by ``poc_days`` and raises the result's true readiness by 1 or 2 levels (equally
likely, at most 9), which raises its latent log value by ``achievements.readiness_slope``
per level (DESIGN §6) and lowers its adoption risk (:mod:`auction_sim.market.insurance`).
The platform sees the new level through its usual readiness evaluation.  With
``poc_share = 0`` (the default) nothing is drawn: the model before issue 16.

Metric ``poc_share``: results registered in the horizon that went through a centre /
results registered in the horizon.  Its effect on ``deal_rate`` is small: prices follow the
platform's value estimates, so a result worth more sells for more (``volume`` rises) but not
more often; with budgets binding the dearer results sell slightly less often, and the delay
moves late-registered results out of the horizon (tests/market/test_market_poc.py measures it).
"""

from __future__ import annotations

import numpy as np

from ..rng import purposes
from ..scenario.market import MarketScenario

__all__ = ["verify"]


def verify(
    scenario: MarketScenario, rng: np.random.Generator | np.random.SeedSequence, readiness,
    theta, registered,
):  # fmt: skip
    """``(readiness, theta, registered, poc)`` after the centres (inputs unchanged at 0); from
    a seed node, who goes and the gain come from streams of their own."""
    p = scenario.policy
    n = np.size(readiness)
    if p.poc_share <= 0.0 or n == 0:
        return readiness, theta, registered, np.zeros(n, bool)
    r_poc, r_gain = purposes(rng, "centres", "gains")
    poc = r_poc.random(n) < p.poc_share
    gain = np.where(poc, r_gain.integers(1, 3, n), 0)
    new = np.minimum(readiness + gain, 9)
    theta = theta + scenario.achievements.readiness_slope * (new - readiness)
    return new, theta, np.where(poc, registered + p.poc_days, registered), poc
