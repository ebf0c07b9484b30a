"""Call market against a brute-force twin; competitive equilibrium on hand-worked schedules."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_sim.core.callmarket import clear_call, competitive_equilibrium
from naive import callmarket as naive

side = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 4)), min_size=0, max_size=15)


def compare(bids, asks):
    bp = [float(p) for p, _ in bids]
    bq = [q for _, q in bids]
    ap = [float(p) for p, _ in asks]
    aq = [q for _, q in asks]
    res = clear_call(np.array(bp), np.array(bq, np.int64), np.array(ap), np.array(aq, np.int64))
    price, low, high, vol, fb, fa, trades = naive.clear_call(bp, bq, ap, aq)
    assert res.volume == vol
    for got, want in ((res.price, price), (res.low, low), (res.high, high)):
        assert (math.isnan(got) and math.isnan(want)) or got == want
    assert res.bid_fill.tolist() == fb and res.ask_fill.tolist() == fa
    got = list(zip(res.buy_index.tolist(), res.sell_index.tolist(), res.qty.tolist(), strict=True))
    assert got == trades
    # invariants: bought = sold = volume; nobody trades beyond a limit price or quantity
    assert res.bid_fill.sum() == res.ask_fill.sum() == res.qty.sum() == vol
    if vol:
        assert all(bp[i] >= res.price for i in np.flatnonzero(res.bid_fill))
        assert all(ap[i] <= res.price for i in np.flatnonzero(res.ask_fill))
    assert (res.bid_fill <= np.array(bq, np.int64)).all()
    return res


@settings(max_examples=50, deadline=None)
@given(bids=side, asks=side)
def test_call_market_matches_brute_force(bids, asks):
    compare(bids, asks)


def test_call_market_edge_cases():
    assert compare([], [(1, 1)]).volume == 0
    assert compare([(1, 1)], [(2, 1)]).volume == 0  # no cross
    r = compare([(5, 3), (5, 2)], [(4, 1)])  # margin rationed by time priority
    assert r.bid_fill.tolist() == [1, 0] and r.price == 5.0  # excess demand: price up
    r = compare([(5, 1)], [(5, 1)])  # touching prices trade at that price
    assert (r.volume, r.price) == (1, 5.0)
    with pytest.raises(ValueError):
        clear_call([np.nan], [1], [1.0], [1])
    with pytest.raises(ValueError):
        clear_call([1.0], [0], [1.0], [1])


def test_truthful_unit_orders_clear_at_the_ce_midpoint():
    rng = np.random.default_rng(5)
    for _ in range(50):
        v = rng.integers(1, 100, rng.integers(1, 12)).astype(float)
        c = rng.integers(1, 100, rng.integers(1, 12)).astype(float)
        ce = competitive_equilibrium(v, c)
        r = clear_call(v, np.ones(v.size, np.int64), c, np.ones(c.size, np.int64))
        assert r.volume == ce.quantity
        if ce.quantity:
            assert ce.price_low <= r.price <= ce.price_high
            assert v[r.bid_fill > 0].sum() - c[r.ask_fill > 0].sum() == ce.surplus


def test_competitive_equilibrium_hand_worked():
    # values 200 180 150 90 / costs 60 70 120 190: q = 3 (150 >= 120; 90 < 190)
    # interval [max(c3, v4), min(v3, c4)] = [max(120, 90), min(150, 190)] = [120, 150]
    ce = competitive_equilibrium([200, 180, 150, 90], [60, 70, 120, 190])
    assert ce == (120.0, 150.0, 3, 200 - 60 + 180 - 70 + 150 - 120)
    assert ce.price == 135.0
    # DESIGN example: buyers [[200, 180], [190, 150]], sellers [[60, 90], [70, 120]]
    # v = 200 190 180 150, c = 60 70 90 120: all four trade; [max(120, -), min(150, -)]
    ce = competitive_equilibrium([200, 180, 190, 150], [60, 90, 70, 120])
    assert ce == (120.0, 150.0, 4, 200 + 190 + 180 + 150 - 60 - 70 - 90 - 120)
    # no trade: [v1, c1]
    assert competitive_equilibrium([10, 5], [20, 30]) == (10.0, 20.0, 0, 0.0)
    # a marginal unit with value = cost counts as traded, adds nothing
    assert competitive_equilibrium([10, 7], [3, 7]) == (7.0, 7.0, 2, 7.0)
    # excess demand: the price is pinned between the last seller and the first excluded buyer
    assert competitive_equilibrium([10, 9, 8], [1]) == (9.0, 10.0, 1, 9.0)
    with pytest.raises(ValueError):
        competitive_equilibrium([], [1])
