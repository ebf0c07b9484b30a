"""Adoption-risk insurance as a mechanism (``[policy] insurance = "claims"``, issue 16).

With ``insurance = "flat"`` (the default) every deal carries the premium
``adoption_risk x (1 + premium_loading)`` of the price, the state pays
``insurance_subsidy`` of it, no adoption outcome is drawn and no claim is paid
(:mod:`auction_sim.market.policy`): the numbers of the model before issue 16.

With ``insurance = "claims"``:

* **Adoption fails** with a probability that falls with the result's true readiness
  ``r``: ``p(r) = min(0.95, adoption_risk x exp(-adoption_readiness_slope x (r - 5)))``
  (``adoption_risk`` is the failure probability at readiness 5). The outcome of each
  achievement is drawn up front from its own stream (``adoption``).
* **The insurer** charges every insured deal the same (community-rated) premium
  ``adoption_risk x (1 + premium_loading)`` of the price; the state pays
  ``insurance_subsidy`` of it; on failure the insurer pays a **claim** equal to the
  price, credited to the firm's budget at the deal (the outcome is booked at the deal).
* **Firms insure by a rule**: a firm insures a deal when its own share of the premium,
  ``(1 - insurance_subsidy) x premium_rate``, is below its risk-loaded expected loss per
  unit of price, ``(1 + risk_aversion) x p(r_seen)``, from the *evaluated* readiness the
  platform publishes. Low-readiness results are insured first (adverse selection: the
  loss ratio rises when the subsidy draws in only the risky ones).
* **Uninsured risk lowers bids**: firms bid ``value / (1 + c)`` where ``c`` is the mean,
  over the market's achievements, of the cost per unit of price the rule leaves them:
  ``min(own premium share, (1 + risk_aversion) x p(r_seen))``. The budget still allows
  the premium (:func:`auction_sim.market.policy.spend_factor`).

Metrics: ``insured_share`` (insured paid deals / paid deals), ``claims_paid``,
``subsidy_paid``, ``loss_ratio`` (claims / premiums, NaN without a premium).
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario.market import MarketScenario
from . import policy

__all__ = ["Insurance", "failure_probability"]


def failure_probability(scenario: MarketScenario, readiness: np.ndarray) -> np.ndarray:
    """Adoption failure probability at each readiness level (shape of ``readiness``)."""
    b, p = scenario.buyers, scenario.policy
    r = np.asarray(readiness, np.float64)
    return np.minimum(0.95, b.adoption_risk * np.exp(-p.adoption_readiness_slope * (r - 5.0)))


class Insurance:
    """The insurance of one run: per-deal premium, subsidy and claim, and the bid factor."""

    def __init__(self, scenario: MarketScenario, readiness, seen, u_fail: np.ndarray):
        p = scenario.policy
        self.claims = p.insurance == "claims"
        self.rate = policy.premium_rate(scenario)
        self.subsidy_share = p.insurance_subsidy
        if not self.claims:
            self.willingness = policy.willingness_factor(scenario)
            return
        own = (1.0 - p.insurance_subsidy) * self.rate
        carried = (1.0 + p.risk_aversion) * failure_probability(scenario, seen)
        self.insures = own < carried  # per achievement, from its evaluated readiness
        self.fails = u_fail < failure_probability(scenario, readiness)  # a uniform each
        cost = float(np.mean(np.minimum(own, carried))) if np.size(seen) else own
        self.willingness = 1.0 / (1.0 + cost)

    def deal(self, i: int, price: float) -> tuple[float, float, float]:
        """Premium, state subsidy and claim of a deal for item ``i`` at ``price``."""
        if self.claims and not self.insures[i]:
            return 0.0, 0.0, 0.0
        premium, subsidy = policy.premium_split(price, self.rate, self.subsidy_share)
        claim = price if self.claims and self.fails[i] else 0.0
        return premium, subsidy, claim

    @property
    def log_willingness(self) -> float:
        return math.log(self.willingness)
