"""Single-item auctions: every format, bidder behaviour and value model, built on core/.

:class:`AuctionRules` stores the rules of the ``[auction]`` table (explicit keywords,
nothing computed in the constructor).  :class:`AuctionLab` plays batches of
independent auctions of a scenario for one replication: it draws values and signals
(:mod:`auction_sim.valuemodels`), turns signals into bids with the strategy
(:mod:`auction_sim.agents.bidders`) and clears them with the format's kernel:

============  =====================================================================
format        kernel
============  =====================================================================
first_price   :func:`auction_sim.core.clearing.clear_sealed` (pay your bid)
second_price  :func:`auction_sim.core.clearing.clear_sealed` (pay the second bid)
english       :func:`auction_sim.core.clock.clear_english` (clock from the reserve);
              with ``duration > 0`` :func:`auction_sim.core.timed.run_timed`
              (timed online auction, proxy bidding, soft or hard close)
dutch         :func:`auction_sim.core.clock.clear_dutch` (clock from the start price)
============  =====================================================================

``strategy.kind = "adaptive"`` plays the batch in order with
:func:`auction_sim.core.adaptive.play_adaptive`, learning across batches.

The Dutch clock starts at the top of the value support or, when the support is
unbounded above, at its quantile :data:`START_QUANTILE` (``1 - 1e-6``); signals above
it take the item at the start price.

:func:`check_mechanism` is the conformance check run over every format and strategy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..agents import bidders
from ..core import adaptive, timed
from ..core.asymmetric import bid_and_clear, class_columns
from ..core.clearing import FIRST_PRICE, SECOND_PRICE, clear_sealed
from ..core.clock import clear_dutch, clear_english
from ..core.counters import slot_keys, slot_uniforms
from ..rng import slots, stream
from ..valuemodels import COUNTER_DISTS, draw_value_model, from_uniforms

__all__ = [
    "DESCRIPTORS",
    "START_QUANTILE",
    "AuctionRules",
    "AuctionBatch",
    "AuctionLab",
    "check_mechanism",
    "equilibrium_bid_function",
    "n_bidders",
    "value_top",
]

equilibrium_bid_function = bidders.equilibrium_bid_function

START_QUANTILE = 1.0 - 1e-6

DESCRIPTORS = {
    "first_price": {"moves": "sealed, simultaneous", "price": "the winner's bid"},
    "second_price": {"moves": "sealed, simultaneous", "price": "max(second bid, reserve)"},
    "english": {
        "moves": "open ascending clock from the reserve (timed: proxy bids over days)",
        "price": "the tick at which the last rival leaves (timed: second proxy + increment)",
    },
    "dutch": {
        "moves": "open descending clock from the start price to the reserve",
        "price": "the tick at which the first bidder takes the item",
    },
}

_ADAPTIVE_FMT = {
    "first_price": adaptive.F_FIRST,
    "second_price": adaptive.F_SECOND,
    "english": adaptive.F_ENGLISH,
    "dutch": adaptive.F_DUTCH,
}


def n_bidders(a) -> int:
    """Bidders per auction of an ``[auction]`` table: the classes' total count, or ``bidders``."""
    return sum(c.count for c in a.classes) if a.classes else a.bidders


def value_top(dist) -> float:
    """Top of the support of ``dist``, or its :data:`START_QUANTILE` quantile if unbounded."""
    hi = dist.support()[1]
    return float(hi) if math.isfinite(hi) else float(dist.ppf(START_QUANTILE))


@dataclass(frozen=True)
class AuctionRules:
    """The rules of one auction (parameters mirror the ``[auction]`` table)."""

    format: str = "first_price"
    reserve: float = 0.0
    increment: float = 0.01
    start: float = 1.0  # Dutch opening price (currency)
    duration: float = 0.0  # english: > 0 for a timed auction (days)
    soft_close: bool = False
    closing_window: float = 0.1
    reaction: float = 0.02

    @classmethod
    def from_section(cls, a) -> AuctionRules:
        dists = [c.values for c in a.classes] if a.classes else [a.values]
        return cls(
            format=a.format, reserve=a.reserve, increment=a.increment,
            start=max(value_top(d) for d in dists),
            duration=a.duration, soft_close=a.soft_close, closing_window=a.closing_window,
            reaction=a.reaction,
        )  # fmt: skip

    @property
    def timed(self) -> bool:
        return self.format == "english" and self.duration > 0

    @property
    def descriptor(self) -> dict:
        return DESCRIPTORS[self.format]

    def clear(self, bids: np.ndarray, tie_u: np.ndarray):
        """Clear sealed or clock auctions: ``(winner, price)`` arrays of shape ``(n_auctions,)``."""
        f = self.format
        if f in ("first_price", "second_price"):
            rule = FIRST_PRICE if f == "first_price" else SECOND_PRICE
            r = clear_sealed(bids, tie_u, self.reserve, rule)
        elif f == "english":
            r = clear_english(bids, tie_u, self.reserve, self.increment)
        elif f == "dutch":
            r = clear_dutch(bids, tie_u, self.start, self.reserve, self.increment)
        else:
            raise ValueError(f"unknown format {f!r}")
        return r.winner, r.price


class AuctionBatch(NamedTuple):
    """A batch of independent auctions; ``(n_auctions, n_bidders)`` or ``(n_auctions,)``."""

    values: np.ndarray  # true values (currency)
    signals: np.ndarray  # what bidders saw
    bids: np.ndarray  # bid / drop-out point / proxy limit (currency), NaN = abstains
    winner: np.ndarray  # int64, -1 when unsold
    price: np.ndarray  # currency, 0 when unsold
    placed: np.ndarray | None = None  # timed: bids placed per auction
    late: np.ndarray | None = None  # timed: bids placed in the closing window
    extensions: np.ndarray | None = None  # timed: soft-close extensions
    shade: np.ndarray | None = None  # adaptive: shading factor played


class AuctionLab:
    """Plays the auctions of one replication of an ``auction`` scenario, batch by batch.

    Parameters
    ----------
    scenario : AuctionScenario
    seed : numpy.random.SeedSequence
        The task's seed.  Streams per bidder slot (slot ``j``, or ``(k, i)`` for bidder ``i`` of
        class ``k``), each a function of the auction's index: counter-based uniforms
        (:mod:`auction_sim.core.counters`; uniform, exponential and constant values by their
        inverse distribution function), or for other value laws one NumPy generator per slot
        (:func:`auction_sim.rng.slots`) drawn auction after auction:
        ``values`` (``class_values`` with classes), ``ties``, ``strategy`` (ZI bids,
        adaptive arms, who snipes), ``arrivals`` and ``snipe_leads`` (timed); per auction:
        ``common_values`` (common / affiliated models) and the reaction delays of the timed
        auction (a counter-based generator keyed by ``delays`` and the auction's index).  So
        bidder ``j``'s numbers in auction ``i`` are the same whatever the number of bidders,
        of auctions, the batch sizes, the reserve, format or strategy.
    """

    def __init__(self, scenario, seed: np.random.SeedSequence):
        self.scenario = scenario
        a, s = scenario.auction, scenario.strategy
        self.rules = AuctionRules.from_section(a)
        self.n = n_bidders(a)
        if a.classes:
            keys = [(k, i) for k, c in enumerate(a.classes) for i in range(c.count)]
        else:
            keys = list(range(self.n))
        self.seed, self.keys, self._slots, self._keys = seed, keys, {}, {}
        self.rng_common = stream(seed, "common_values")
        self.delay_key = int(stream(seed, "delays").integers(0, 2**63))
        self.done = 0  # auctions played so far (the index of the next one)
        self.first = 0  # index of the first auction of the batch being played
        self.fn = None
        self.classes = a.classes
        self.cls = class_columns([c.count for c in a.classes]) if a.classes else None
        self.tables = None
        if s.kind == "equilibrium" and not self.rules.timed:
            if a.classes:
                dists, counts = [c.values for c in a.classes], [c.count for c in a.classes]
                self.tables = bidders.class_equilibrium_tables(dists, counts, a.reserve, a.format)
            else:
                self.fn = bidders.equilibrium_bid_function(a.values, a.bidders, a.reserve, a.format)
        self.arms = np.linspace(0.0, 1.0, s.arms)
        self.logw = np.zeros((self.n, s.arms))
        self.scale = max(abs(value_top(a.values)), 1e-300)

    def bids(self, signals: np.ndarray) -> np.ndarray:
        """Bids (sealed, clock) or proxy limits (timed) of the strategy for ``signals``."""
        s = self.scenario.strategy
        if s.kind in ("truthful", "sniper"):
            return bidders.truthful(signals)
        if s.kind == "shade":
            return bidders.shaded(signals, s.shade)
        if s.kind == "zi":
            return bidders.zero_intelligence(signals, self.uniforms("strategy", len(signals)))
        if s.kind == "equilibrium":
            if self.classes:
                return bidders.class_equilibrium_bids(signals, self.cls, self.tables)
            if self.fn is None:  # timed: proxy bid the value
                return bidders.truthful(signals)
            return bidders.equilibrium_bids(signals, self.fn)
        raise ValueError(f"strategy.kind {s.kind!r} has no static bids")

    def slot_streams(self, name: str) -> list[np.random.Generator]:
        """The generators of stream ``name``, one per bidder slot (made on first use)."""
        if name not in self._slots:
            self._slots[name] = slots(self.seed, name, self.keys)
        return self._slots[name]

    def uniforms(self, name: str, m: int) -> np.ndarray:
        """``(m, n_bidders)`` uniforms of stream ``name`` for the batch's auctions: counter-based
        (:mod:`auction_sim.core.counters`), a function of the slot and the auction's index."""
        if name not in self._keys:
            self._keys[name] = slot_keys(self.seed, name, self.keys)
        return slot_uniforms(self._keys[name], self.first, m)

    def slot_values(self, name: str, dists: list, m: int) -> np.ndarray:
        """``(m, n_bidders)`` values, column ``j`` of law ``dists[j]``: from counter-based
        uniforms when every law has a closed-form inverse, else one NumPy generator per slot."""
        if all(d.dist in COUNTER_DISTS for d in dists):
            return from_uniforms(dists, self.uniforms(name, m))
        gens = self.slot_streams(name)
        cols = [np.asarray(d.draw(g, (m,)), np.float64) for d, g in zip(dists, gens, strict=True)]
        return np.ascontiguousarray(np.stack(cols, axis=1))

    def batch(self, m: int) -> AuctionBatch:
        """Play ``m`` more auctions."""
        a, s, rules = self.scenario.auction, self.scenario.strategy, self.rules
        n = self.n
        first = self.first = self.done
        self.done += m
        if self.classes:  # independent private values, class by class (columns in order)
            dists = [c.values for c in self.classes for _ in range(c.count)]
            values = signals = self.slot_values("class_values", dists, m)
        else:
            x = self.slot_values("values", [a.values] * n, m)
            values, signals = draw_value_model(
                a.value_model, a.values, a.common_share, x, (m, n), common=self.rng_common
            )
        tie_u = self.uniforms("ties", m)
        if s.kind == "adaptive":
            arm_u = self.uniforms("strategy", m)
            r = adaptive.play_adaptive(
                signals, tie_u, arm_u, self.arms, self.logw, eta=s.learning_rate,
                scale=self.scale, fmt=_ADAPTIVE_FMT[a.format], reserve=rules.reserve,
                increment=rules.increment, start=rules.start,
            )  # fmt: skip
            return AuctionBatch(values, signals, r.bids, r.winner, r.price, shade=r.shade)
        if self.tables is not None and a.format == "first_price":  # one pass: bid, then clear
            bids, r = bid_and_clear(values, self.cls, self.tables, tie_u, rules.reserve)
            return AuctionBatch(values, signals, bids, r.winner, r.price)
        bids = self.bids(signals)
        if not rules.timed:
            winner, price = rules.clear(bids, tie_u)
            return AuctionBatch(values, signals, bids, winner, price)
        # timed online English auction
        arrive = self.uniforms("arrivals", m) * rules.duration
        if s.kind == "sniper":
            snipe = self.uniforms("strategy", m) < s.sniper_share
            kind = np.where(snipe, timed.SNIPER, timed.INCREMENTAL)
            lead = self.uniforms("snipe_leads", m) * s.snipe_lead
            times = np.where(snipe, rules.duration - lead, arrive)
        else:
            kind = np.full((m, n), timed.PROXY, np.int64)
            times = arrive
        key = timed.shifted_key(self.delay_key, first)  # auction first + i's delays in row i
        r = timed.run_timed(
            bids, kind, times, reserve=rules.reserve, increment=rules.increment,
            duration=rules.duration, window=rules.closing_window, soft_close=rules.soft_close,
            reaction=rules.reaction, key=key,
        )  # fmt: skip
        return AuctionBatch(values, signals, bids, r.winner, r.price, r.bids, r.late, r.extensions)


def check_mechanism(scenario, seed: int = 0, auctions: int = 2000) -> AuctionBatch:
    """Conformance check of an ``auction`` scenario's mechanism and strategy.

    Plays ``auctions`` auctions twice with the same seed and checks that

    * every winner index is a single bidder (``-1 <= winner < n_bidders``: at most one
      winner per item) and unsold items cost nothing;
    * no payment exceeds the payer's bid (its drop-out point or proxy limit);
    * a sale happens only at or above the reserve;
    * individual rationality: truthful and equilibrium bidders who know their values
      (private, affiliated) never pay more than their value;
    * the same seed gives the same outcome.

    Returns the batch; raises ``AssertionError`` naming the first broken property.
    """
    a = scenario.auction
    ss = np.random.SeedSequence(seed)
    out = AuctionLab(scenario, ss).batch(auctions)
    again = AuctionLab(scenario, np.random.SeedSequence(seed)).batch(auctions)
    w, p = out.winner, out.price
    assert w.shape == (auctions,) and p.shape == (auctions,), "one outcome per auction"
    assert ((w >= -1) & (w < n_bidders(a))).all(), "at most one winner per item"
    sold = w >= 0
    rows = np.flatnonzero(sold)
    assert (p[~sold] == 0).all(), "unsold items cost nothing"
    assert (p[sold] >= a.reserve).all(), "a sale only at or above the reserve"
    paid_bid = out.bids[rows, w[rows]]
    assert not np.isnan(paid_bid).any(), "the winner placed a bid"
    assert (p[rows] <= paid_bid).all(), "no payment above the payer's bid"
    if scenario.strategy.kind in ("truthful", "equilibrium") and a.value_model != "common":
        assert (p[rows] <= out.values[rows, w[rows]] + 1e-12).all(), "individual rationality"
    for x, y in zip(out, again, strict=True):
        if x is None:
            assert y is None, "same seed, same outcome"
        else:
            np.testing.assert_array_equal(x, y, err_msg="same seed, same outcome")
    return out
