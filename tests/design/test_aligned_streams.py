"""Common random numbers that stay aligned when a swept parameter changes how many random
numbers a run draws (issue 18): one stream per purpose, drawn per entity, not in run order.

With paired seeds, bidder slot j's numbers in auction i are the same with 3 or 4 bidders and
with 1,000 or 2,000 auctions; the market's firms and results are the same at two visit rates
and two firm counts, and every visit at the lower rate is a visit at the higher one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from auction_sim import rng
from auction_sim.batch import execute
from auction_sim.design.paired import paired_differences
from auction_sim.mechanisms.auctions import AuctionLab
from auction_sim.scenario import scenario_from_dict

AUCTION = {
    "kind": "auction",
    "name": "aligned",
    "seed": 7,
    "replications": 2,
    "auction": {"format": "second_price", "bidders": 3, "auctions": 1000, "reserve": 0.2},
    "strategy": {"kind": "truthful"},
}


def _lab(strategy=None, **auction):
    raw = json.loads(json.dumps(AUCTION))
    raw["auction"].update(auction)
    if "classes" in auction:
        del raw["auction"]["bidders"]  # the classes' counts
    if strategy:
        raw["strategy"] = strategy
    return scenario_from_dict(raw).model


def _seed(r=0, **params):
    return rng.task_seed(AUCTION["seed"], params, r, paired=True)


@pytest.mark.parametrize(
    "over",
    [
        {},
        {"value_model": "affiliated", "common_share": 0.5},
        {"value_model": "common", "common_share": 0.3},
        {"values": {"dist": "lognormal", "mean_log": 0.0, "sd_log": 0.5}},
    ],
)
def test_a_bidder_sees_the_same_values_whatever_the_number_of_bidders(over):
    three = AuctionLab(_lab(**over), _seed(bidders=3)).batch(1000)
    four = AuctionLab(_lab(bidders=4, **over), _seed(bidders=4)).batch(1000)
    np.testing.assert_array_equal(three.values, four.values[:, :3])
    np.testing.assert_array_equal(three.signals, four.signals[:, :3])
    assert not np.array_equal(four.signals[:, 3], four.signals[:, 2])


def test_an_auction_sees_the_same_numbers_whatever_the_number_of_auctions_and_batches():
    strategy = {"kind": "zi"}
    short = AuctionLab(_lab(strategy), _seed(auctions=1000)).batch(1000)
    lab = AuctionLab(_lab(strategy, auctions=2000), _seed(auctions=2000))
    parts = [lab.batch(m) for m in (300, 1200, 500)]  # batches of any size
    for field in ("values", "bids", "winner", "price"):
        long = np.concatenate([getattr(p, field) for p in parts])
        np.testing.assert_array_equal(getattr(short, field), long[:1000])
    # ties and zero-intelligence noise are per slot as well: 3 and 4 bidders share columns
    four = AuctionLab(_lab(strategy, bidders=4), _seed(bidders=4)).batch(1000)
    np.testing.assert_array_equal(short.bids, four.bids[:, :3])


@pytest.mark.parametrize("strategy", [{"kind": "truthful"}, {"kind": "sniper"}])
def test_timed_auctions_are_the_same_in_one_batch_or_several(strategy):
    """Arrival times, snipers and the kernel's reaction delays belong to the auction (its
    index keys the delays), so cutting the run into batches changes nothing."""
    model = _lab(strategy, format="english", duration=3.0, soft_close=True)
    one = AuctionLab(model, _seed()).batch(600)
    lab = AuctionLab(model, _seed())
    parts = [lab.batch(m) for m in (250, 350)]
    for field in ("winner", "price", "placed", "late", "extensions"):
        both = np.concatenate([getattr(p, field) for p in parts])
        np.testing.assert_array_equal(getattr(one, field), both)


def test_a_class_keeps_its_values_when_another_class_grows():
    def classes(k1):
        return [
            {"count": k1, "values": {"dist": "uniform", "low": 0.0, "high": 1.0}},
            {"count": 2, "values": {"dist": "uniform", "low": 0.5, "high": 1.5}},
        ]

    a = AuctionLab(_lab(classes=classes(1)), _seed()).batch(400).values
    b = AuctionLab(_lab(classes=classes(3)), _seed()).batch(400).values
    np.testing.assert_array_equal(a[:, :1], b[:, :1])  # class 1, bidder 1
    np.testing.assert_array_equal(a[:, 1:], b[:, 3:])  # class 2, both bidders


def test_pairing_shrinks_the_standard_error_of_a_bidders_difference():
    """Revenue at 4 against 3 bidders, first price in equilibrium: with aligned common random
    numbers the paired standard error of the difference is well below the independent one
    (measured at 1,000 replications of 500 auctions: variance ratio 4.2, 3.6 before the streams
    were aligned, when only the replication's pool of values was shared; docs/validation.md)."""
    raw = json.loads(json.dumps(AUCTION))
    raw["auction"].update(format="first_price", auctions=1000)
    raw["strategy"] = {"kind": "equilibrium"}
    raw["sweep"] = {"auction.bidders": [3, 4], "paired": True}
    res = execute(scenario_from_dict(raw), replications=12, backend="serial")
    table = paired_differences(
        res.runs, res.points, ["revenue", "bidder_surplus"], {"auction.bidders": 3}
    )
    for _, row in table.iterrows():
        assert row["stderr_paired"] < 0.8 * row["stderr_independent"], row["metric"]
    rev = table[table["metric"] == "revenue"].iloc[0]
    assert 0.08 < rev["diff"] < 0.11  # theory at reserve 0.2: 0.6 - ... about +0.095


# ---------------------------------------------------------------- the market

MARKET = {
    "kind": "market",
    "name": "aligned_market",
    "seed": 5,
    "replications": 3,
    "market": {"horizon_days": 120.0, "achievement_rate": 5.0, "buyer_rate": 20.0},
    "buyers": {"firms": 200},
}


def _market(**over):
    raw = json.loads(json.dumps(MARKET))
    for key, v in over.items():
        sec, k = key.split("__")
        raw.setdefault(sec, {})[k] = v
    return scenario_from_dict(raw).model


def _same(a, b, n=None):
    for f in a._fields:
        x, y = getattr(a, f), getattr(b, f)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y[:n] if n and y.ndim and y.shape[0] > n else y, f)


def test_the_market_keeps_its_firms_results_and_visits_when_the_visit_rate_changes():
    from auction_sim.market.draws import Looks, visit_plan
    from auction_sim.market.sim import MarketSim

    seed = _seed()
    a, b = (MarketSim(_market(market__buyer_rate=r), seed) for r in (20.0, 30.0))
    _same(a.ach, b.ach)  # the same results, registered the same days
    _same(a.firms, b.firms)  # the same firms
    slow, fast = visit_plan(seed, 20.0, 120.0, 200), visit_plan(seed, 30.0, 120.0, 200)
    assert 0.55 < slow.times.size / fast.times.size < 0.78
    # every visit at 20 a day is a visit at 30 a day: the same day, firm and looks
    at = {key: k for k, key in enumerate(_ids(fast))}
    k = np.array([at[key] for key in _ids(slow)])
    np.testing.assert_array_equal(slow.times, fast.times[k])
    np.testing.assert_array_equal(slow.firm, fast.firm[k])
    u3, z3 = Looks(seed, 3).take(slow.band, slow.index)
    five = Looks(seed, 5)  # two more look slots (a broker's), taken in two chunks
    u5, z5 = (
        np.concatenate(x)
        for x in zip(
            five.take(fast.band[:700], fast.index[:700]),
            five.take(fast.band[700:], fast.index[700:]),
            strict=True,
        )
    )
    np.testing.assert_array_equal(u3, u5[k, :3])
    np.testing.assert_array_equal(z3, z5[k, :3])


def _ids(plan):
    """A visit's identity: (band, index in the band)."""
    return list(zip(plan.band.tolist(), plan.index.tolist(), strict=True))


def test_a_firm_keeps_its_attributes_when_there_are_more_firms():
    from auction_sim.market.draws import visit_plan
    from auction_sim.market.sim import MarketSim

    seed = _seed()
    classes = [{"share": 0.8, "value_scale": 1.0}, {"share": 0.2, "value_scale": 2.0}]
    a = MarketSim(_market(buyers__firms=200, buyers__classes=classes), seed)
    b = MarketSim(_market(buyers__firms=300, buyers__classes=classes), seed)
    _same(a.firms, b.firms, n=200)
    _same(a.ach, b.ach)
    np.testing.assert_array_equal(
        visit_plan(seed, 20, 120, 200)[0], visit_plan(seed, 20, 120, 300)[0]
    )


def test_a_project_keeps_its_attributes_when_results_arrive_faster():
    from auction_sim.achievements import AchievementModel, draw_achievements
    from auction_sim.market.arrivals import _Clock

    s = _market()
    model = AchievementModel.from_section(s.achievements)
    node = rng.child(_seed(), "achievements")
    d = {
        rate: draw_achievements(node, model, 8, clock=_Clock(120.0, rate, 100.0, 90.0, 365.0))
        for rate in (5.0, 8.0)
    }
    n = d[5.0].arrival.size
    assert n < d[8.0].arrival.size
    for f in ("field", "holder", "public_funded", "readiness", "theta"):
        np.testing.assert_array_equal(getattr(d[5.0], f), getattr(d[8.0], f)[:n], f)
    np.testing.assert_allclose(d[5.0].arrival * 5.0, d[8.0].arrival[:n] * 8.0, rtol=1e-12)
    for lag in (0, 1):  # grant lag and registration delay: the project's own
        a, b = (d[r].dates[lag] - d[r].arrival for r in (5.0, 8.0))
        np.testing.assert_allclose(a, b[:n], atol=1e-9)


def test_pairing_shrinks_the_standard_error_of_a_visit_rate_difference():
    """Deals and volume at 26 against 20 visits a day: the same results, firms and visits
    (stretched in time) on both sides, so the paired standard error of the difference is
    below the independent one."""
    raw = json.loads(json.dumps(MARKET))
    raw["sweep"] = {"market.buyer_rate": [20.0, 26.0], "paired": True}
    res = execute(scenario_from_dict(raw), replications=4, backend="serial")
    table = paired_differences(
        res.runs, res.points, ["volume", "deal_rate"], {"market.buyer_rate": 20.0}
    )
    for _, row in table.iterrows():
        assert row["stderr_paired"] < row["stderr_independent"], row["metric"]


def test_a_supplier_sees_the_same_cost_type_whatever_the_number_of_suppliers():
    from auction_sim.mechanisms.procurement import ProcurementLab

    def lab(n):
        raw = {"kind": "procurement", "seed": 3, "procurement": {"suppliers": n}}
        return ProcurementLab(scenario_from_dict(raw).model, _seed(suppliers=n))

    three, four = lab(3).batch(800), lab(4).batch(800)
    np.testing.assert_array_equal(three.theta, four.theta[:, :3])
    big = lab(3)
    both = np.concatenate([big.batch(300).theta, big.batch(500).theta])
    np.testing.assert_array_equal(three.theta, both)


def test_counter_based_uniforms_are_uniform_and_the_same_in_any_batches():
    from auction_sim.core.counters import slot_keys, slot_uniforms

    keys = slot_keys(_seed(), "ties", range(4))
    big = slot_uniforms(keys, 0, 300_000)  # the parallel kernel
    parts = np.concatenate([slot_uniforms(keys, 0, 1000), slot_uniforms(keys, 1000, 299_000)])
    np.testing.assert_array_equal(big, parts)
    assert big.min() >= 0.0 and big.max() < 1.0
    for j in range(4):  # each column uniform; columns uncorrelated
        counts = np.histogram(big[:, j], bins=20, range=(0, 1))[0]
        chi2 = ((counts - 15_000) ** 2 / 15_000).sum()
        assert chi2 < 50  # 19 degrees of freedom: P(chi2 > 50) < 2e-4
    corr = np.corrcoef(big.T)[np.triu_indices(4, 1)]
    assert np.abs(corr).max() < 0.01


def test_the_looks_normals_are_standard_normal():
    from auction_sim.market.draws import Looks

    n = 200_000
    _, z = Looks(_seed(), 1).take(np.zeros(n, np.int64), np.arange(n))
    z = z.reshape(-1)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs((np.abs(z) < 1.959964).mean() - 0.95) < 0.003


# ---------------------------------------------------------------- the listing laboratory


def test_a_listing_keeps_its_item_and_buyers_whatever_the_rate_and_counts():
    """Listing k's value, estimate and buyers are keyed by (listing, period, band, index): a
    higher buyer rate keeps every buyer of a lower one (time and fit) and adds others; more
    listings or relists leave the shared ones unchanged."""
    from auction_sim.mechanisms.listing import draw_arrivals
    from auction_sim.values import Uniform

    seed, fit = _seed(), Uniform(low=0.5, high=1.5)
    v = np.linspace(1.0, 2.0, 300)

    def buyers(rate, n=300, periods=4, first=0):
        a = draw_arrivals(seed, first, v[:n], periods, rate, 20.0, fit)
        return [
            set(
                zip(
                    a.arrival[a.offsets[r] : a.offsets[r + 1]],
                    a.values[a.offsets[r] : a.offsets[r + 1]],
                    strict=True,
                )
            )
            for r in range(n * periods)
        ]

    low, high = buyers(0.3), buyers(2.0)  # 6 and 40 expected buyers: one band and two
    assert sum(map(len, high)) > 5 * sum(map(len, low))
    assert all(a <= b for a, b in zip(low, high, strict=True))
    assert buyers(0.3, n=100) == low[: 100 * 4]
    two = buyers(0.3, periods=2)
    assert all(two[2 * k + p] == low[4 * k + p] for k in range(300) for p in range(2))
    assert buyers(0.3, n=100, first=200) != low[-400:]  # listing 200 is not listing 0 ...
    tail = draw_arrivals(seed, 200, v[200:], 4, 0.3, 20.0, fit)  # ... but chunks agree
    both = draw_arrivals(seed, 0, v, 4, 0.3, 20.0, fit)
    k = both.offsets[800]
    np.testing.assert_array_equal(tail.arrival, both.arrival[k:])
    np.testing.assert_array_equal(tail.values, both.values[k:])


def test_listing_buyer_counts_are_poisson():
    from auction_sim.mechanisms.listing import draw_arrivals
    from auction_sim.values import Uniform

    for rate in (0.3, 2.0):
        a = draw_arrivals(_seed(), 0, np.ones(20000), 1, rate, 20.0, Uniform(low=0.5, high=1.5))
        c = np.diff(a.offsets)
        lam = rate * 20.0
        assert abs(c.mean() - lam) < 4 * np.sqrt(lam / c.size)
        assert abs(c.var() / lam - 1.0) < 0.05
        assert abs(a.arrival.mean() - 10.0) < 0.1 and abs(a.values.mean() - 1.0) < 0.01


def test_a_listing_run_at_two_rates_shares_its_items():
    from auction_sim.experiments.listing import run_point

    def run(rate):
        raw = {"kind": "listing", "seed": 3, "listing": {"listings": 2000, "buyer_rate": rate}}
        return run_point(scenario_from_dict(raw).model, _seed())

    lo, hi = run(0.1), run(0.5)
    assert hi["sale_rate"] > lo["sale_rate"] and hi["bidding_share"] > lo["bidding_share"]


# ---------------------------------------------------------------- the double auction laboratory


def _double(rule="call", buyers=None):
    from auction_sim.experiments.double_auction import trader_slots

    raw = {"kind": "double_auction", "seed": 2, "market": {"rule": rule, "periods": 3}}
    if buyers is not None:
        raw["market"]["buyer_values"] = buyers
    sc = scenario_from_dict(raw).model
    m = sc.market
    return sc, trader_slots(len(m.buyer_values), len(m.seller_costs))


def test_a_trader_keeps_its_quote_draws_whatever_the_number_of_traders():
    """Call rule: the quote and priority uniforms of trader slot j's unit l in period p are
    the same with one buyer more (sellers keep theirs: they are keyed apart)."""
    from auction_sim.core.counters import slot_keys
    from auction_sim.experiments.double_auction import unit_uniforms

    sc, slots = _double()
    extra = [list(v) for v in sc.market.buyer_values] + [[150.0, 140.0]]
    sc2, slots2 = _double(buyers=extra)
    assert len(slots2) == len(slots) + 1

    def draws(slots, sc):
        units = [len(u) for u in sc.market.buyer_values + sc.market.seller_costs]
        owner = np.repeat(np.arange(len(units)), units)
        ix = np.concatenate([np.arange(k) for k in units])
        out = {}
        for name in ("prices", "order"):
            u = unit_uniforms(slot_keys(_seed(), name, slots), owner, ix, 3)
            out[name] = {(slots[o], i, p): u[p, r] for p in range(3)
                         for r, (o, i) in enumerate(zip(owner, ix, strict=True))}  # fmt: skip
        return out

    a, b = draws(slots, sc), draws(slots2, sc2)
    for name in a:
        assert a[name] == {k: v for k, v in b[name].items() if k in a[name]}
        assert len(b[name]) == len(a[name]) + 2 * 3


def test_continuous_double_auction_quoters_race_per_trader_clocks():
    """Continuous rule: who quotes is the trader whose own clock (unit-exponential gaps keyed
    by the trader and the period) rings first, so a trader's quote times and price draws are
    the same whatever the other traders; the choice is uniform among active traders."""
    from auction_sim.experiments.double_auction import session

    sc, _ = _double("continuous")
    a = session(sc, _seed())
    b = session(sc, _seed())
    np.testing.assert_array_equal(a.price, b.price)
    runs = [session(sc, _seed(r)).per_period()["volume"].mean() for r in range(20)]
    ce = a.ce_quantity
    assert ce * 0.6 < np.mean(runs) <= ce + 2


# ---------------------------------------------------------------- the pricing laboratory


def _population(**over):
    from auction_sim.pricing.population import simulate

    raw = {"kind": "pricing", "pricing": {"achievements": 800, "reviewers": 60, **over}}
    return simulate(scenario_from_dict(raw).model.pricing, _seed())


def test_pricing_keeps_achievements_reviewers_seats_and_quotes_whatever_the_counts():
    """Achievement i (features, value), reviewer j (field, bias, noise level), seat t of
    achievement i (own field or not, its uniform and score noise) and quote q of achievement
    i are the same with 800 or 1,200 achievements, 60 or 90 reviewers, 3 or 5 inquiries."""
    base = _population()
    more = _population(achievements=1200)
    a, b = base.achievements, more.achievements
    for f in ("field", "trl", "holder", "prior_mean", "theta"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f)[:800], f)
    n = 800 * 5  # panel 5: the first 800 achievements' seats
    np.testing.assert_array_equal(base.panels.reviewer, more.panels.reviewer[:n])
    np.testing.assert_array_equal(base.panels.score, more.panels.score[:n])
    big = _population(reviewers=90)
    for f in ("field", "bias", "sd"):
        np.testing.assert_array_equal(getattr(base.pool, f), getattr(big.pool, f)[:60], f)
    np.testing.assert_array_equal(a.theta, big.achievements.theta)
    # a seat's noise is the same: scores differ only by who sits there (bias, noise level)
    p, q = base.panels, big.panels
    z_p = (p.score - 5.0 - a.theta[p.achievement] - base.pool.bias[p.reviewer]) / p.sd
    z_q = (q.score - 5.0 - a.theta[q.achievement] - big.pool.bias[q.reviewer]) / q.sd
    np.testing.assert_allclose(z_p, z_q, rtol=0, atol=1e-9)
    five = _population(inquiries=5)
    lq3 = base.quotes.log_quote.reshape(800, 3)
    lq5 = five.quotes.log_quote.reshape(800, 5)
    np.testing.assert_array_equal(lq3, lq5[:, :3])


def test_a_project_keeps_its_per_achievement_draws_when_results_arrive_faster():
    """Brokers, due diligence (and the evaluated readiness), adoption, exemption, loans and
    institutions are keyed by the project (its index in the aligned achievement draw), not by
    its rank by registration day: a project registered at both achievement rates keeps them."""
    from auction_sim.market.sim import MarketSim

    over = {
        "policy__broker_share": 0.3,
        "policy__pledge_share": 0.5,
        "policy__pledge_default_rate": 0.2,
        "policy__institutions_per_holder": 3,
    }
    a, b = (MarketSim(_market(market__achievement_rate=r, **over), _seed()) for r in (5.0, 8.0))
    ia, ib = a.ach.identity, b.ach.identity
    shared, ka, kb = np.intersect1d(ia, ib, return_indices=True)
    assert shared.size > 0.5 * ia.size and ib.size > ia.size
    assert not np.array_equal(ka, kb)  # the shared projects' ranks by registration differ
    np.testing.assert_array_equal(a.ach.theta[ka], b.ach.theta[kb])
    for x, y in [
        (a.brokered, b.brokered),
        (a.diligence, b.diligence),
        (a.ach_seen.readiness, b.ach_seen.readiness),
        (a.loans.pledges, b.loans.pledges),
        (a.loans.defaults, b.loans.defaults),
        (a.institutions.of, b.institutions.of),
        (a.channel.access, b.channel.access),
    ]:
        np.testing.assert_array_equal(x[ka], y[kb])
    assert a.brokered.any() and a.loans.pledges.any()
