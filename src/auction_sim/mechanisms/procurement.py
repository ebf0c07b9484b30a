"""Procurement: scoring auctions, a price-only reverse auction and negotiation, built on core/.

One buyer buys one contract from ``n`` suppliers.  Supplier ``j`` has a private cost
type θ_j > 0 (i.i.d.); quality ``q`` costs it ``c(q, θ) = θ q² / 2`` (currency).  The
buyer's score of an offer ``(q, p)`` is ``S(q, p) = w q - p`` (``w = quality_weight``),
which is also the buyer's utility from the contract (0 without one).

* The **efficient quality** of type θ maximises the surplus ``w q - c(q, θ)``:
  ``q*(θ) = w / θ``, and the surplus it creates, the **pseudo-type**, is
  ``k(θ) = w q* - c(q*, θ) = w² / (2 θ)``.  Note ``c(q*, θ) = k(θ)``.
* An offer ``(q, p)`` with score ``s`` earns the supplier ``p - c(q, θ) =
  [w q - c(q, θ)] - s <= k(θ) - s`` if it wins, with equality iff ``q = q*(θ)``; the
  chance of winning depends on ``s`` alone.  So every supplier offers ``q*(θ)`` in both
  scoring formats (Che 1993; Asker and Cantillon 2008), and choosing the score ``s`` is
  a standard auction in which a supplier of "value" ``k(θ)`` bids ``s``.

============  ======================================================================
format        rule (kernel) and the ``equilibrium`` strategy
============  ======================================================================
first_score   best score wins, the winner delivers its offer
              (:func:`auction_sim.core.scoring.clear_scoring`, ``FIRST_SCORE``);
              offer ``q*(θ)`` and the score ``β(k(θ))``, where β is the symmetric
              first-price equilibrium bid on the pseudo-type distribution with the
              reserve score as reserve (:func:`auction_sim.core.equilibrium.
              first_price_bid_function` on :class:`SurplusDistribution`):
              ``p = w q* - β(k)``.
second_score  best score wins, the winner delivers its quality at the price that
              matches ``max(runner-up's score, reserve score)`` (``SECOND_SCORE``);
              offer ``q*(θ)`` and the score ``k(θ)``, i.e. ``p = c(q*, θ)``
              (weakly dominant).
price_only    a reverse auction on price with quality fixed at ``min_quality``
              (``q_m``): the lowest price wins and is paid (first price;
              ``FIRST_SCORE`` with every quality equal).  A supplier's "value" is
              then ``k_m(θ) = w q_m - θ q_m² / 2`` (may be negative) and its
              equilibrium price ``p = w q_m - β_m(k_m)``, β_m the first-price bid on
              the distribution of ``k_m`` (equivalently the first-price reverse
              auction on the cost ``θ q_m² / 2``).
negotiation   the buyer bargains with one team (the first; types are i.i.d.) over the
              surplus at ``q*``: the generalised Nash bargaining solution
              (:func:`auction_sim.core.bargaining.nash_solution`) with the team's
              power ``a = supplier_power`` and the reserve score as the buyer's
              disagreement pay-off: agreement iff ``k(θ) >= reserve_score``, at
              ``p = c(q*, θ) + a (k(θ) - reserve_score)``.
============  ======================================================================

Other strategies (``strategy.kind``): ``truthful`` offers the format's quality at cost
(zero profit: the score ``k``, which is the equilibrium of ``second_score``);
``markup`` offers it at ``(1 + markup) * cost``.  Neither is defined for negotiation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core.bargaining import nash_solution
from ..core.counters import slot_keys, slot_uniforms
from ..core.equilibrium import BidFunction, bids_from_function, first_price_bid_function
from ..core.scoring import FIRST_SCORE, SECOND_SCORE, clear_scoring
from ..rng import columns, slots
from ..valuemodels import COUNTER_DISTS, from_uniforms
from ..values import draw_values

__all__ = [
    "DESCRIPTORS",
    "SurplusDistribution",
    "ProcurementRules",
    "ProcurementBatch",
    "ProcurementLab",
    "check_mechanism",
]

DESCRIPTORS = {
    "first_score": {"moves": "sealed (quality, price) offers", "price": "the winner's offer"},
    "second_score": {
        "moves": "sealed (quality, price) offers",
        "price": "w q - max(second score, reserve score), at the winner's quality",
    },
    "price_only": {
        "moves": "sealed price offers at quality min_quality",
        "price": "the lowest price (first price)",
    },
    "negotiation": {
        "moves": "bilateral bargaining with one team",
        "price": "Nash bargaining over the surplus at q*",
    },
}


@dataclass(frozen=True)
class SurplusDistribution:
    """The law of the surplus a supplier can create, derived from its cost type θ.

    ``quality = None``: the pseudo-type ``k(θ) = w² / (2 θ)`` (at the efficient quality
    ``w / θ``); otherwise ``k(θ) = w q - θ q² / 2`` at the fixed quality ``q``.  Both
    decrease in θ, so ``cdf(x) = 1 - F_θ(θ(x))`` and ``ppf(u) = k(F_θ⁻¹(1 - u))``
    (θ continuous; a point mass is handled by the equilibrium solver as such).  It has
    what :func:`~auction_sim.core.equilibrium.first_price_bid_function` needs.
    """

    costs: object  # values.Distribution of θ
    quality_weight: float
    quality: float | None = None

    def surplus(self, theta):
        """``k(θ)`` (currency), elementwise; ``θ = inf`` gives 0 (efficient) or -inf."""
        theta = np.asarray(theta, dtype=np.float64)
        w, q = self.quality_weight, self.quality
        with np.errstate(divide="ignore", invalid="ignore"):
            if q is None:
                return w * w / (2.0 * theta)
            return w * q - theta * (q * q / 2.0)

    def theta_of(self, k):
        """The type whose surplus is ``k`` (inverse of :meth:`surplus`)."""
        k = np.asarray(k, dtype=np.float64)
        w, q = self.quality_weight, self.quality
        with np.errstate(divide="ignore", invalid="ignore"):
            if q is None:
                return np.where(k > 0, w * w / (2.0 * np.where(k > 0, k, 1.0)), np.inf)
            return (w * q - k) / (q * q / 2.0)

    def cdf(self, x):
        return np.clip(1.0 - np.asarray(self.costs.cdf(self.theta_of(x)), np.float64), 0, 1)

    def ppf(self, u):
        return self.surplus(self.costs.ppf(1.0 - np.asarray(u, dtype=np.float64)))

    def support(self) -> tuple[float, float]:
        lo, hi = self.costs.support()
        return float(self.surplus(hi)), float(self.surplus(lo))  # k(0) = inf at q*


@dataclass(frozen=True)
class ProcurementRules:
    """The rules of one procurement (parameters mirror the ``[procurement]`` table)."""

    format: str = "first_score"
    quality_weight: float = 1.0
    reserve_score: float = 0.0
    min_quality: float = 0.75
    supplier_power: float = 0.5

    @classmethod
    def from_section(cls, p) -> ProcurementRules:
        return cls(
            format=p.format, quality_weight=p.quality_weight, reserve_score=p.reserve_score,
            min_quality=p.min_quality, supplier_power=p.supplier_power,
        )  # fmt: skip

    @property
    def descriptor(self) -> dict:
        return DESCRIPTORS[self.format]

    def quality_of(self, theta: np.ndarray) -> np.ndarray:
        """The quality each type offers: ``w / θ``, or ``min_quality`` in price_only."""
        if self.format == "price_only":
            return np.full_like(theta, self.min_quality)
        return self.quality_weight / theta


class ProcurementBatch(NamedTuple):
    """A batch of procurements; ``(n_contracts, n_suppliers)`` or ``(n_contracts,)``."""

    theta: np.ndarray  # cost types
    offer_quality: np.ndarray  # offered quality (negotiation: q* of every team)
    offer_price: np.ndarray  # offered price, currency (negotiation: NaN)
    winner: np.ndarray  # int64, -1 when no contract
    quality: np.ndarray  # delivered quality, 0 when no contract
    price: np.ndarray  # price paid (currency), 0 when no contract
    cost: np.ndarray  # the winner's cost θ q² / 2 (currency), 0 when no contract
    max_surplus: np.ndarray  # max_j k(θ_j): the first-best surplus (currency)


class ProcurementLab:
    """Plays the procurements of one replication of a ``procurement`` scenario, in batches.

    Parameters
    ----------
    scenario : ProcurementScenario
    seed : numpy.random.SeedSequence
        The task's seed; streams ``costs`` and ``ties`` per supplier slot, contract after
        contract (counter-based uniforms, :mod:`auction_sim.core.counters`, or one NumPy
        generator per slot for cost laws without a closed-form inverse), so supplier ``j``'s
        type in contract ``i`` is the same whatever the number of suppliers or contracts.
    """

    def __init__(self, scenario, seed: np.random.SeedSequence):
        self.scenario = scenario
        p = scenario.procurement
        self.rules = ProcurementRules.from_section(p)
        self.n = p.suppliers
        self.seed = seed
        self.tie_keys = slot_keys(seed, "ties", range(self.n))
        self.cost_keys = slot_keys(seed, "costs", range(self.n))
        self.done = 0  # contracts played so far (the index of the next one)
        self.pseudo = SurplusDistribution(p.cost_types, p.quality_weight)
        self.fn: BidFunction | None = None
        if scenario.strategy.kind == "equilibrium" and p.format in ("first_score", "price_only"):
            law = self.pseudo
            if p.format == "price_only":
                law = SurplusDistribution(p.cost_types, p.quality_weight, p.min_quality)
            self.fn = first_price_bid_function(law, p.suppliers, p.reserve_score)

    def offers(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(quality, price)`` offers of the strategy for types ``theta`` (any shape, 2-d here)."""
        r, s = self.rules, self.scenario.strategy
        q = r.quality_of(theta)
        cost = 0.5 * theta * q * q
        if s.kind == "truthful" or (s.kind == "equilibrium" and self.fn is None):
            return q, cost
        if s.kind == "markup":
            return q, (1.0 + s.markup) * cost
        value = r.quality_weight * q - cost  # k(θ), or k_m(θ) in price_only
        score = bids_from_function(value, self.fn)
        return q, r.quality_weight * q - score

    def batch(self, m: int) -> ProcurementBatch:
        """Play ``m`` more procurements."""
        r = self.rules
        types = self.scenario.procurement.cost_types
        first, self.done = self.done, self.done + m
        if types.dist in COUNTER_DISTS:
            theta = from_uniforms([types] * self.n, slot_uniforms(self.cost_keys, first, m))
        else:
            if first == 0:
                self.rng_costs = slots(self.seed, "costs", range(self.n))
            theta = columns(self.rng_costs, m, lambda g, k: draw_values(types, g, (k,)))
        tie_u = slot_uniforms(self.tie_keys, first, m)
        max_surplus = self.pseudo.surplus(theta.min(axis=1))
        if r.format == "negotiation":
            return self._negotiate(theta, max_surplus)
        q, p = self.offers(theta)
        rule = SECOND_SCORE if r.format == "second_score" else FIRST_SCORE
        out = clear_scoring(q, p, tie_u, r.quality_weight, r.reserve_score, rule)
        won = out.winner >= 0
        th = theta[np.arange(m), np.where(won, out.winner, 0)]
        cost = np.where(won, 0.5 * th * out.quality * out.quality, 0.0)
        return ProcurementBatch(theta, q, p, out.winner, out.quality, out.price, cost, max_surplus)

    def _negotiate(self, theta: np.ndarray, max_surplus: np.ndarray) -> ProcurementBatch:
        r = self.rules
        q = r.quality_of(theta)
        th0, q0 = theta[:, 0], q[:, 0]
        cost0 = 0.5 * th0 * q0 * q0
        res = nash_solution(r.quality_weight * q0 - r.reserve_score, cost0, r.supplier_power)
        ok = res.agreed
        winner = np.where(ok, 0, -1).astype(np.int64)
        price = np.where(ok, res.price, 0.0)
        offer_price = np.full_like(theta, np.nan)
        return ProcurementBatch(theta, q, offer_price, winner, np.where(ok, q0, 0.0), price,
                                np.where(ok, cost0, 0.0), max_surplus)  # fmt: skip


def check_mechanism(scenario, seed: int = 0, contracts: int = 2000) -> ProcurementBatch:
    """Conformance check of a ``procurement`` scenario's mechanism and strategy.

    Plays ``contracts`` procurements twice with the same seed and checks that

    * every winner index is a single supplier (``-1 <= winner < n``) and a contract not
      awarded delivers nothing and costs nothing;
    * a contract is awarded only at a score ``w q - p`` at or above the reserve score;
    * the winner delivers the quality it offered and is paid at least the price it
      offered (first score, price only: exactly; second score: at least);
    * individual rationality: under ``truthful`` and ``equilibrium`` no winner is paid
      less than its cost, and the buyer's utility is at least the reserve score;
    * the same seed gives the same outcome.

    Returns the batch; raises ``AssertionError`` naming the first broken property.
    """
    p = scenario.procurement
    out = ProcurementLab(scenario, np.random.SeedSequence(seed)).batch(contracts)
    again = ProcurementLab(scenario, np.random.SeedSequence(seed)).batch(contracts)
    w, n = out.winner, p.suppliers
    assert w.shape == (contracts,), "one outcome per contract"
    assert ((w >= -1) & (w < n)).all(), "at most one winner per contract"
    won = w >= 0
    rows = np.flatnonzero(won)
    assert (out.quality[~won] == 0).all() and (out.price[~won] == 0).all(), "no award, no trade"
    utility = p.quality_weight * out.quality - out.price
    tol = 1e-9 * max(1.0, p.quality_weight)
    assert (utility[rows] >= p.reserve_score - tol).all(), "award only at the reserve score"
    assert (out.quality[rows] == out.offer_quality[rows, w[rows]]).all(), "deliver the offer"
    if p.format != "negotiation":
        offered = out.offer_price[rows, w[rows]]
        assert (out.price[rows] >= offered - tol).all(), "paid at least the offered price"
        if p.format != "second_score":
            assert (out.price[rows] == offered).all(), "first price: paid the offer"
    if scenario.strategy.kind in ("truthful", "equilibrium"):
        assert (out.price[rows] >= out.cost[rows] - tol).all(), "individual rationality"
    for x, y in zip(out, again, strict=True):
        np.testing.assert_array_equal(x, y, err_msg="same seed, same outcome")
    return out
