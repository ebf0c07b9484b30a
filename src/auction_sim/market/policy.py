"""Policy levers of DESIGN §1: deadlines, liability markup, brokers, insurance subsidy.

* **Use first, transfer later** (``use_first``): a publicly funded result that is
  unconverted ``forced_listing_days`` after its IP grant goes to a mandatory public
  auction (no liability markup: a public auction is the compliant route); still
  unconverted ``free_license_days`` after the grant, it is licensed free to a
  qualified firm (one interested in its field) and counted in ``free_licensed``.
* **Liability markup**: public holders (university, institute, hospital,
  state-owned) mark their listing price, reserve and negotiation floor up by
  ``liability_markup``, except on trades routed through the exempt compliance
  channel, which a trade takes with probability ``exemption_share``.
* **Brokers**: a holder uses a broker with probability ``broker_share``; a
  brokered result is found ``broker_boost`` times as often and the broker takes
  ``broker_commission`` of the price.
* **Insurance subsidy**: a firm insures against adoption failure at a premium of
  ``adoption_risk x (1 + premium_loading)`` of the price, of which the state pays
  ``insurance_subsidy``; the firm's own share lowers what it will pay:
  ``price + own_premium <= value``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..scenario.market import MarketScenario
from .arrivals import Achievements

__all__ = [
    "Deadlines",
    "deadlines",
    "premium_rate",
    "willingness_factor",
    "markup",
    "split",
    "premium_split",
    "spend_factor",
]

NEVER = np.inf


class Deadlines(NamedTuple):
    """Per achievement, shape ``(n,)``: day of the forced auction and of the free licence."""

    forced: np.ndarray  # float64, inf when the deadline does not apply
    free: np.ndarray  # float64, inf when the deadline does not apply


def deadlines(scenario: MarketScenario, ach: Achievements) -> Deadlines:
    """Deadlines of every achievement (publicly funded results only, when ``use_first``)."""
    p = scenario.policy
    applies = ach.public_funded & p.use_first
    forced = np.where(applies, ach.grant + p.forced_listing_days, NEVER)
    free = np.where(applies, ach.grant + p.free_license_days, NEVER)
    return Deadlines(forced, free)


def premium_rate(scenario: MarketScenario) -> float:
    """Insurance premium as a share of the price."""
    b = scenario.buyers
    return b.adoption_risk * (1.0 + b.premium_loading)


def willingness_factor(scenario: MarketScenario) -> float:
    """What a firm pays per unit of value: ``1 / (1 + (1 - subsidy) * premium_rate)``."""
    return 1.0 / (1.0 + (1.0 - scenario.policy.insurance_subsidy) * premium_rate(scenario))


def markup(
    scenario: MarketScenario, public_holder: bool, exempt: bool, scale: float = 1.0
) -> float:
    """Factor on a holder's prices: ``1 + liability_markup x scale`` for public, non-exempt
    trades (``scale``: the ranking response of :mod:`auction_sim.market.institutions`)."""
    if public_holder and not exempt:
        return 1.0 + scenario.policy.liability_markup * scale
    return 1.0


def split(price: float, platform_fee: float, commission: float) -> tuple[float, float, float]:
    """Platform fee, broker commission and holder receipt of a payment ``price``.

    Each party's flow is its own share of the price (the holder's is
    ``1 - platform_fee - commission``), not a remainder, so ``fee + commission + receipt``
    equals ``price`` only when the three are right: the ledger checks the sum and each
    share on every record (:meth:`auction_sim.market.ledger.Ledger.record`).
    """
    fee = price * platform_fee
    com = price * commission
    receipt = price * (1.0 - platform_fee - commission)
    return fee, com, receipt


def premium_split(price: float, rate: float, subsidy_share: float) -> tuple[float, float]:
    """The adoption-risk premium of a deal at ``price`` and the state's share of it (the
    subsidy); the firm pays ``premium - subsidy`` out of its budget besides the price."""
    premium = price * rate
    return premium, premium * subsidy_share


def spend_factor(scenario: MarketScenario) -> float:
    """Largest price per unit of budget: a deal at ``price`` costs the firm's budget
    ``price x (1 + (1 - subsidy) x premium_rate)``."""
    return 1.0 / (1.0 + (1.0 - scenario.policy.insurance_subsidy) * premium_rate(scenario))
