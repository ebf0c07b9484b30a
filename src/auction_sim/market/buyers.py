"""Firms: the buyers that visit the platform.

A firm has field interests, a budget per renewal period, a bidding strategy and a
negotiation tactic.  Its value for an item is ``item value x fit`` with
``log fit ~ N(0, fit_sd_log**2)`` (times ``off_field_fit`` outside its interests);
what it will pay is that value less its uninsured share of the adoption-risk
premium (:func:`auction_sim.market.policy.risk_factor`), and never more than the
budget it has left.

A visit is ``attention`` looks into the catalogue (``Catalog.look``) ranked by
field match and recency; each looked-at item gets one action that depends on the
item's stage: an inquiry (quote) while it is under review, an intent on a listing,
a bid in a timed auction, or a negotiation opened with a holder seeking a partner.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..core.timed import INCREMENTAL, PROXY, SNIPER  # the timed-auction kernel's codes
from ..scenario.market import MarketScenario

__all__ = ["Firms", "draw_firms", "PROXY", "SNIPER", "INCREMENTAL", "TACTICS"]

TACTICS = ("boulware", "linear", "conceder")


class Firms(NamedTuple):
    """The firm population; arrays have shape ``(n_firms,)`` unless stated."""

    interests: np.ndarray  # int64, shape (n_firms, n_interests): fields of interest
    interested: np.ndarray  # bool, shape (n_firms, n_fields)
    budget0: np.ndarray  # float64, budget per renewal period (currency)
    budget: np.ndarray  # float64, budget left in the current period (mutable)
    strategy: np.ndarray  # int64, PROXY | SNIPER | INCREMENTAL


def draw_firms(scenario: MarketScenario, rng: np.random.Generator) -> Firms:
    """Draw the firm population (interests without repetition, budgets, strategies)."""
    b, m = scenario.buyers, scenario.market
    n = b.firms
    k = min(b.interests, m.fields)
    # k distinct fields per firm: the first k of a random permutation of the fields
    keys = rng.random((n, m.fields))
    interests = np.argsort(keys, axis=1, kind="stable")[:, :k].astype(np.int64)
    interested = np.zeros((n, m.fields), dtype=bool)
    interested[np.arange(n)[:, None], interests] = True
    budget0 = np.asarray(b.budget.draw(rng, (n,)), dtype=np.float64)
    budget0 = np.maximum(budget0, 0.0)
    u = rng.random(n)
    strategy = np.where(
        u < b.proxy_share, PROXY, np.where(u < b.proxy_share + b.sniper_share, SNIPER, INCREMENTAL)
    ).astype(np.int64)
    return Firms(interests, interested, budget0, budget0.copy(), strategy)


# Stages of an item, as seen by a visiting firm (set by the market's processes).
OFF, REVIEW, LISTING, AUCTION, SEEKING, BUSY, DONE = range(7)

N_UNIFORMS = 5  # per look: explore?, field, recency rank, broker acceptance, action
N_NORMALS = 2  # per look: log fit, quote noise


def visit(
    market, f: int, now: float, n_looks: int, n_plain: int, u: list, iu: int, z: list, iz: int
) -> None:
    """One visit of firm ``f`` at day ``now``: its looks and the action on each item.

    The first ``n_plain`` looks are the firm's own, the others a broker's extra looks
    (:class:`~auction_sim.market.catalog.Catalog`).  The visit's pre-drawn random
    numbers are ``u[iu : iu + 5 * n_looks]`` (5
    uniforms per look) and ``z[iz : iz + 2 * n_looks]`` (2 standard normals per look),
    flat lists (converting flat arrays to lists is an order of magnitude cheaper).
    ``market`` is the :class:`~auction_sim.market.sim.MarketSim` whose state the
    actions change:

    * under review: with probability ``inquire_prob`` the firm sends one quote,
      ``log q = theta + log(1 - shading) + inquiry_sd * z`` (DESIGN §6);
    * listed: the firm is one of the period's buyers (first look counts); the listing
      kernel registers an intent if what it will pay, capped by its budget at the end
      of the period, reaches the listing price;
    * in a timed auction: a bid (its limit, capped by its budget at the close) if
      that reaches the reserve;
    * seeking a negotiation partner: opens the negotiation if what it will pay
      reaches the platform's assessed reserve (without any liability markup).
    """
    look = market.catalog.look
    fields = market.firm_fields[f]
    n_int = len(fields)
    interested = market.firm_interested[f]
    explore = market.explore_share
    n_fields = market.n_fields
    log_q = market.log_q_rank
    state = market.state
    value = market.item_value
    item_field = market.item_field
    wf = market.willingness
    budget = market.firms.budget
    for d in range(n_looks):
        a = iu + N_UNIFORMS * d
        if u[a] < explore:
            field = int(u[a + 1] * n_fields)
        else:
            field = fields[int(u[a + 1] * n_int)]
        item = look(field, u[a + 2], u[a + 3], log_q, d >= n_plain)
        if item < 0:
            continue
        st = state[item]
        if st == DONE or st == OFF or st == BUSY:
            continue
        seen = market.seen[item]
        v = seen.get(f)
        if v is None:
            fit = math.exp(market.fit_sd * z[iz + N_NORMALS * d])
            if item_field[item] not in interested:
                fit *= market.off_field_fit
            v = value[item] * fit
            seen[f] = v
        w = v * wf
        if st == REVIEW:
            if u[a + 4] < market.inquire_prob:
                quoted = market.quoted[item]
                if f not in quoted:
                    quoted.add(f)
                    q = market.quotes[item]
                    if len(q) < market.max_quotes:
                        q.append(market.item_theta[item] + market.log_shade
                                 + market.inquiry_sd * z[iz + N_NORMALS * d + 1])  # fmt: skip
        elif st == LISTING:
            offers = market.offers[item]
            if f not in offers:  # the listing kernel decides who registers an intent
                offers[f] = (w, now)
        elif st == AUCTION:
            if min(w, budget[f]) >= market.price_now[item]:
                market.offers[item][f] = (w, now)
        elif st == SEEKING:
            ev = market.partner[item]
            if ev is not None and not ev.triggered and w >= market.assessed[item]:
                state[item] = BUSY
                ev.succeed(f)
