"""Negotiated pricing: one holder (seller) and one company (buyer) bargain over a price.

:class:`Negotiation` stores the rules of one protocol (explicit keywords, nothing
computed in the constructor); :meth:`Negotiation.settle` maps arrays of buyer and
seller values to outcomes with the kernels of :mod:`auction_sim.core.bargaining`.
:meth:`Negotiation.from_section` builds one from a scenario's ``[bargaining]`` table,
resolving the opening offers and the equilibrium strategies there.

Pay-offs are discounted to round 0: an agreement at round ``t`` (0-based) at price
``p`` gives the seller ``d_s**t (p - v_s)`` and the buyer ``d_b**t (v_b - p)``; no
agreement gives both 0.  The buyer pays exactly what the seller receives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..agents import negotiators
from ..core import bargaining as kernels

__all__ = ["DESCRIPTORS", "Negotiation", "NegotiationOutcome"]

DESCRIPTORS = {
    "alternating_offers": {
        "moves": "sequential",
        "price": "the accepted offer",
        "ends": "agreement or the deadline",
    },
    "k_double_auction": {
        "moves": "simultaneous, sealed",
        "price": "k * bid + (1 - k) * ask when bid >= ask",
        "ends": "after one round",
    },
    "nash": {
        "moves": "none (axiomatic solution)",
        "price": "v_s + seller_power * (v_b - v_s) when v_b >= v_s",
        "ends": "after one round",
    },
}
"""What each protocol is: how moves are made, how the price is set, when it ends."""


class NegotiationOutcome(NamedTuple):
    """Outcome of ``n_negotiations`` pairs; every array has shape ``(n_negotiations,)``."""

    agreed: np.ndarray  # bool
    price: np.ndarray  # float64, currency; NaN without agreement
    round: np.ndarray  # int64, 0-based round of agreement; -1 without agreement
    payment: np.ndarray  # float64, what the buyer pays (0 without agreement)
    receipt: np.ndarray  # float64, what the seller receives (0 without agreement)
    buyer_gain: np.ndarray  # float64, d_b**round * (v_b - price), 0 without agreement
    seller_gain: np.ndarray  # float64, d_s**round * (price - v_s), 0 without agreement


@dataclass(frozen=True)
class Negotiation:
    """The rules of one bargaining protocol and the tactics of its two sides.

    Parameters mirror the ``[bargaining]`` table (DESIGN §3).  ``buyer_open`` and
    ``seller_open`` are the opening offers under private information (currency);
    ``strategies`` holds the k-double auction's linear equilibrium strategies when a
    side plays ``equilibrium`` there.
    """

    protocol: str = "alternating_offers"
    rounds: int = 10
    first_mover: str = "seller"
    discount_buyer: float = 0.95
    discount_seller: float = 0.95
    buyer_tactic: str = "equilibrium"
    seller_tactic: str = "equilibrium"
    information: str = "complete"
    k: float = 0.5
    seller_power: float = 0.5
    boulware_e: float = 0.2
    conceder_e: float = 5.0
    buyer_open: float = math.nan
    seller_open: float = math.nan
    strategies: negotiators.LinearStrategies | None = None

    @classmethod
    def from_section(cls, section) -> Negotiation:
        """Build from a validated ``BargainingSection`` (openings, equilibrium strategies)."""
        s = section
        strategies = None
        if s.protocol == "k_double_auction" and "equilibrium" in (s.buyer_tactic, s.seller_tactic):
            strategies = negotiators.chatterjee_samuelson(
                s.k, s.buyer_values.low, s.buyer_values.high
            )
        return cls(
            protocol=s.protocol,
            rounds=s.rounds,
            first_mover=s.first_mover,
            discount_buyer=s.discount_buyer,
            discount_seller=s.discount_seller,
            buyer_tactic=s.buyer_tactic,
            seller_tactic=s.seller_tactic,
            information=s.information,
            k=s.k,
            seller_power=s.seller_power,
            boulware_e=s.boulware_e,
            conceder_e=s.conceder_e,
            buyer_open=negotiators.opening_offer(s.seller_values),
            seller_open=negotiators.opening_demand(s.buyer_values),
            strategies=strategies,
        )

    @property
    def descriptor(self) -> dict[str, str]:
        return DESCRIPTORS[self.protocol]

    def _first(self) -> int:
        return kernels.SELLER if self.first_mover == "seller" else kernels.BUYER

    def clear(
        self, buyer_values: np.ndarray, seller_values: np.ndarray
    ) -> kernels.BargainingResult:
        """Agreement, price and round for every pair (shape ``(n_negotiations,)``)."""
        vb, vs = buyer_values, seller_values
        if self.protocol == "nash":
            return kernels.nash_solution(vb, vs, self.seller_power)
        if self.protocol == "k_double_auction":
            bids = self.strategies.bid(vb) if self.buyer_tactic == "equilibrium" else vb
            asks = self.strategies.ask(vs) if self.seller_tactic == "equilibrium" else vs
            return kernels.k_double_auction(bids, asks, self.k)
        if self.protocol != "alternating_offers":
            raise ValueError(f"unknown protocol {self.protocol!r}")
        if self.buyer_tactic == "equilibrium" and self.seller_tactic == "equilibrium":
            if self.information != "complete":
                raise ValueError("the equilibrium is implemented for complete information only")
            return kernels.alternating_offers_spe(
                vb, vs, self.rounds, self._first(), self.discount_buyer, self.discount_seller
            )
        e_b = negotiators.tactic_exponent(self.buyer_tactic, self.boulware_e, self.conceder_e)
        e_s = negotiators.tactic_exponent(self.seller_tactic, self.boulware_e, self.conceder_e)
        if self.information == "complete":  # each side opens at the other's value
            buyer_open, seller_open = seller_values, buyer_values
        else:
            buyer_open, seller_open = self.buyer_open, self.seller_open
        return kernels.alternating_offers(
            vb, vs, buyer_open, seller_open, self.rounds, self._first(), e_b, e_s
        )

    def settle(self, buyer_values: np.ndarray, seller_values: np.ndarray) -> NegotiationOutcome:
        """Outcomes with payments and discounted gains (see the module docstring)."""
        vb = np.asarray(buyer_values, dtype=np.float64)
        vs = np.asarray(seller_values, dtype=np.float64)
        res = self.clear(vb, vs)
        ok = res.agreed
        t = np.where(ok, res.round, 0)
        pay = np.where(ok, res.price, 0.0)
        buyer_gain = np.where(ok, self.discount_buyer**t * (vb - pay), 0.0)
        seller_gain = np.where(ok, self.discount_seller**t * (pay - vs), 0.0)
        return NegotiationOutcome(
            res.agreed, res.price, res.round, pay, pay.copy(), buyer_gain, seller_gain
        )
