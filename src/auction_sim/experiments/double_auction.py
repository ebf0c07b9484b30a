"""The ``double_auction`` kind: a Smith / Gode-Sunder laboratory double auction.

One replication is one session of ``market.periods`` periods.  Every period starts
afresh: each buyer holds the units of ``market.buyer_values`` (traded highest value
first), each seller those of ``market.seller_costs`` (lowest cost first), and the
book is empty.

Continuous rule (Gode and Sunder 1993, on :mod:`auction_sim.core.orderbook`)
    ``market.orders_per_period`` times per period a trader is drawn uniformly from
    those with units left and quotes for its next unit (``agents.traders``).  A bid
    must improve on the standing (best) bid and an ask on the standing ask, or it is
    discarded; an improving quote goes to the book as a one-unit limit order.  When it
    crosses, the book trades it against the standing quote at that quote's price (the
    maker's price), the two traders' current units are used up, and every standing
    quote is cleared (``cancel_all``).  Variants, all documented choices: quotes live
    on the ``traders.tick`` grid; a trader whose units are used up leaves the draw; a
    period ends after ``orders_per_period`` draws or when no buyer or no seller has
    units left (then no trade is possible).

Call rule (on :mod:`auction_sim.core.callmarket`)
    Each period every trader submits one one-unit order per unit (quotes drawn as
    above), in a random order that sets time priority, and the period clears at one
    uniform price (maximum volume, minimum imbalance, midpoint; marginal orders
    rationed by time priority).  ``orders_per_period`` is not used.

Accounting: a buyer that trades ``m`` units in a period earns its first ``m`` values
minus the prices paid; a seller likewise with its first ``m`` costs.  The competitive
equilibrium (CE) of all values and costs gives the benchmark price ``P0`` (midpoint of
the CE price interval) and the maximum surplus per period.

Metrics (DESIGN §5, then extras)
    ``efficiency`` realised gains from trade / (periods * CE surplus);
    ``volume`` trades per period; ``price_rmse`` root mean squared deviation of all
    trade prices from ``P0``; ``alpha`` Smith's coefficient of convergence in the last
    period, ``100 * sqrt(mean((p - P0)^2)) / P0`` over its trades (NaN without trades);
    ``alpha_first`` the same in the first period; ``mean_price`` over all trades.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..agents.traders import STRATEGIES, limit_ticks, quote_tick, quote_ticks
from ..core.callmarket import clear_call, competitive_equilibrium
from ..core.counters import derive, slot_keys, unit
from ..core.orderbook import (
    BUY,
    FILL_BUYER,
    FILL_SELLER,
    FILL_TICK,
    LIMIT,
    SELL,
    OrderBook,
    best_ticks,
    cancel_all,
    last_fills,
    submit,
)
from ..scenario.double_auction import DoubleAuctionScenario

__all__ = ["METRICS", "run_point", "session", "Session"]

METRICS = ("efficiency", "volume", "price_rmse", "alpha", "alpha_first", "mean_price")


@njit(cache=True)
def _continuous(
    mem, n_ticks, strategy, learning, pmin, tick, n_buyers, limits, start, values, key_clock,
    key_price, periods, steps, out_period, out_tick, out_value, out_cost,
):  # fmt: skip
    """Gode-Sunder sessions on the book ``mem``; returns the number of trades.

    Traders ``0 .. n_buyers - 1`` are buyers, the rest sellers; trader ``i``'s units are
    ``limits[start[i]:start[i + 1]]`` (grid indices) and ``values[...]`` (value or cost).
    Who quotes: in period ``p`` every trader runs a clock of unit-exponential gaps (the
    counter-based outputs of ``derive(key_clock[i], p)``) and the active trader whose clock
    rings first quotes (uniformly one of the active traders, as the clocks are memoryless);
    its ``k``-th quote of the period uses output ``k`` of ``derive(key_price[i], p)``.  A
    trader's draws therefore do not depend on how many traders there are.
    """
    n_traders = start.shape[0] - 1
    pos = np.zeros(n_traders, np.int64)
    active = np.empty(n_traders, np.int64)
    where = np.empty(n_traders, np.int64)
    kc = np.empty(n_traders, np.uint64)
    kq = np.empty(n_traders, np.uint64)
    n_quotes = np.zeros(n_traders, np.int64)
    clock = np.empty(n_traders)
    n_tr = 0
    anchor = 0.5 * (n_ticks - 1)
    for p in range(periods):
        cancel_all(mem)
        for i in range(n_traders):
            pos[i] = 0
            active[i] = i
            where[i] = i
            kc[i] = derive(key_clock[i], p)
            kq[i] = derive(key_price[i], p)
            n_quotes[i] = 0
            clock[i] = -math.log1p(-unit(kc[i], 0))
        n_active = n_traders
        buyers_left = n_buyers
        sellers_left = n_traders - n_buyers
        shrink = (1.0 - learning) ** p
        sum_tick = 0.0
        n_period = 0
        for _ in range(steps):
            if buyers_left == 0 or sellers_left == 0:
                break
            i = active[0]
            for a in range(1, n_active):
                if clock[active[a]] < clock[i]:
                    i = active[a]
            u = unit(kq[i], n_quotes[i])
            n_quotes[i] += 1
            clock[i] -= math.log1p(-unit(kc[i], n_quotes[i]))
            buyer = i < n_buyers
            k = quote_tick(strategy, buyer, limits[start[i] + pos[i]], n_ticks, u, anchor, shrink)
            bb, ba = best_ticks(mem)
            if (buyer and k <= bb) or (not buyer and k >= ba):
                continue  # does not improve the standing quote: discarded
            r = submit(mem, LIMIT, BUY if buyer else SELL, pmin + k * tick, 1, i, -1)
            if r < 0:
                raise RuntimeError("order book rejected a grid quote")
            f = last_fills(mem)
            if f.shape[0] == 0:
                continue
            b = f[0, FILL_BUYER]
            sl = f[0, FILL_SELLER]
            out_period[n_tr] = p
            out_tick[n_tr] = f[0, FILL_TICK]
            out_value[n_tr] = values[start[b] + pos[b]]
            out_cost[n_tr] = values[start[sl] + pos[sl]]
            n_tr += 1
            sum_tick += f[0, FILL_TICK]
            n_period += 1
            for t in (b, sl):
                pos[t] += 1
                if start[t] + pos[t] == start[t + 1]:  # no units left: leave the draw
                    w = where[t]
                    last = active[n_active - 1]
                    active[w] = last
                    where[last] = w
                    n_active -= 1
                    if t < n_buyers:
                        buyers_left -= 1
                    else:
                        sellers_left -= 1
            cancel_all(mem)  # a trade clears the standing quotes
        if n_period > 0:
            anchor = sum_tick / n_period
    return n_tr


@dataclass(frozen=True)
class Session:
    """Trades of one session and its competitive-equilibrium benchmark."""

    period: np.ndarray  # int64 (n_trades,)
    price: np.ndarray  # float64 (n_trades,), currency
    value: np.ndarray  # float64 (n_trades,), buyer's unit value
    cost: np.ndarray  # float64 (n_trades,), seller's unit cost
    periods: int
    ce_price: float
    ce_surplus: float  # per period
    ce_quantity: int

    def per_period(self) -> dict[str, np.ndarray]:
        """``surplus``, ``volume`` and ``alpha`` (%) of each period, shape ``(periods,)``."""
        p = self.periods
        vol = np.bincount(self.period, minlength=p).astype(np.float64)
        surplus = np.bincount(self.period, weights=self.value - self.cost, minlength=p)
        sq = np.bincount(self.period, weights=(self.price - self.ce_price) ** 2, minlength=p)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = 100.0 * np.sqrt(sq / vol) / self.ce_price
        return {"surplus": surplus, "volume": vol, "alpha": alpha}


def trader_slots(n_buyers: int, n_sellers: int) -> list[tuple[str, int]]:
    """Seed-tree keys of the traders: buyer ``j`` is ``("buyers", j)`` and seller ``j``
    ``("sellers", j)``, so adding a buyer leaves every seller's numbers unchanged."""
    return [("buyers", j) for j in range(n_buyers)] + [("sellers", j) for j in range(n_sellers)]


@njit(cache=True)
def unit_uniforms(keys, owner, unit_index, periods):
    """``(periods, n_units)`` uniforms: unit ``r`` in period ``p`` gets output
    ``unit_index[r]`` of ``derive(keys[owner[r]], p)`` (per trader, period and unit)."""
    out = np.empty((periods, owner.size))
    for p in range(periods):
        for r in range(owner.size):
            out[p, r] = unit(derive(keys[owner[r]], p), unit_index[r])
    return out


def _schedules(scenario: DoubleAuctionScenario):
    m, t = scenario.market, scenario.traders
    units = [np.asarray(u, np.float64) for u in m.buyer_values + m.seller_costs]
    n_buyers = len(m.buyer_values)
    start = np.zeros(len(units) + 1, np.int64)
    start[1:] = np.cumsum([u.size for u in units])
    values = np.concatenate(units)
    limits = np.concatenate(
        [limit_ticks(u, t.price_min, t.tick, i < n_buyers) for i, u in enumerate(units)]
    )
    return n_buyers, start, values, limits


def session(scenario: DoubleAuctionScenario, seed: np.random.SeedSequence) -> Session:
    """Run one session; streams ``traders`` (who quotes), ``prices`` (quotes), ``order``,
    each keyed per trader slot (:func:`trader_slots`), period and quote or unit."""
    m, t = scenario.market, scenario.traders
    n_buyers, start, values, limits = _schedules(scenario)
    ce = competitive_equilibrium(values[: start[n_buyers]], values[start[n_buyers] :])
    n_ticks = int(round((t.price_max - t.price_min) / t.tick)) + 1
    strategy = STRATEGIES[t.strategy]
    slots = trader_slots(len(m.buyer_values), len(m.seller_costs))
    key_clock, key_price, key_order = (
        slot_keys(seed, name, slots) for name in ("traders", "prices", "order")
    )
    n_units_b, n_units_s = int(start[n_buyers]), int(start[-1] - start[n_buyers])
    max_trades = m.periods * min(n_units_b, n_units_s)
    period = np.empty(max_trades, np.int64)
    tick = np.empty(max_trades, np.int64)
    value = np.empty(max_trades)
    cost = np.empty(max_trades)
    if m.rule == "continuous":
        book = OrderBook(t.price_min, t.tick, n_ticks, capacity=2 * n_ticks + 16)
        book.reserve_ids(m.periods * m.orders_per_period)
        n = _continuous(
            book._mem, n_ticks, strategy, t.learning, t.price_min, t.tick, n_buyers, limits, start,
            values, key_clock, key_price, m.periods, m.orders_per_period, period, tick, value, cost,
        )  # fmt: skip
        price = t.price_min + tick[:n] * t.tick
    else:
        n, price = _call_session(scenario, n_buyers, start, values, limits, n_ticks, strategy,
                                 key_price, key_order, period, value, cost)  # fmt: skip
    return Session(
        period[:n].copy(), price[:n], value[:n].copy(), cost[:n].copy(), m.periods,
        ce.price, ce.surplus, ce.quantity,
    )  # fmt: skip


def _call_session(scenario, n_buyers, start, values, limits, n_ticks, strategy, key_price,
                  key_order, period, value, cost):  # fmt: skip
    m, t = scenario.market, scenario.traders
    n_units = int(start[-1])
    owner = np.repeat(np.arange(start.size - 1), np.diff(start))
    unit_ix = np.arange(n_units) - start[owner]
    is_buyer = owner < n_buyers
    anchor = 0.5 * (n_ticks - 1)
    u_price = unit_uniforms(key_price, owner, unit_ix, m.periods)
    u_order = unit_uniforms(key_order, owner, unit_ix, m.periods)
    prices = []
    n = 0
    for p in range(m.periods):
        shrink = (1.0 - t.learning) ** p
        k = quote_ticks(strategy, is_buyer, limits, n_ticks, u_price[p], anchor, shrink)
        q = t.price_min + k * t.tick
        # submission order = time priority: units sorted by a uniform of their own
        order = np.argsort(u_order[p], kind="stable")
        bids = order[is_buyer[order]]
        asks = order[~is_buyer[order]]
        res = clear_call(
            q[bids], np.ones(bids.size, np.int64), q[asks], np.ones(asks.size, np.int64)
        )
        if res.volume == 0:
            continue
        # units are used in order: a trader filling m orders gives up its first m units
        bought = np.bincount(owner[bids], weights=res.bid_fill, minlength=start.size - 1)
        sold = np.bincount(owner[asks], weights=res.ask_fill, minlength=start.size - 1)
        traded = (bought + sold).astype(np.int64)
        used = unit_ix < traded[owner]
        v = np.sort(values[used & is_buyer])[::-1]
        c = np.sort(values[used & ~is_buyer])
        # pair the used values and costs (any pairing gives the same surplus)
        vol = res.volume
        period[n : n + vol] = p
        value[n : n + vol] = v
        cost[n : n + vol] = c
        prices.append(np.full(vol, res.price))
        n += vol
        anchor = (res.price - t.price_min) / t.tick
    price = np.concatenate(prices) if prices else np.empty(0)
    return n, price


def run_point(scenario: DoubleAuctionScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: one session; the metrics of DESIGN §5 (module docstring)."""
    s = session(scenario, seed)
    pp = s.per_period()
    nan = float("nan")
    total = s.periods * s.ce_surplus
    dev = s.price - s.ce_price
    return {
        "efficiency": float(pp["surplus"].sum() / total) if total > 0 else nan,
        "volume": float(s.price.size / s.periods),
        "price_rmse": float(np.sqrt(np.mean(dev**2))) if s.price.size else nan,
        "alpha": float(pp["alpha"][-1]),
        "alpha_first": float(pp["alpha"][0]),
        "mean_price": float(s.price.mean()) if s.price.size else nan,
    }
