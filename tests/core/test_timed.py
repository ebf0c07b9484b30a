"""Timed online English auctions against the event-list twin (tests/naive/timed.py), plus
the proxy-bidding outcome and the close rules on hand-made cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_sim.core.timed import INCREMENTAL, PROXY, SNIPER, run_timed
from naive.timed import run_timed as naive_timed

FIELDS = ("winner", "price", "bids", "late", "extensions", "end")


def check(limits, kind, times, **kw):
    expected = naive_timed(limits, kind, times, **kw)
    for parallel in (False, True):
        got = run_timed(limits, kind, times, parallel=parallel, **kw)
        for f in FIELDS:
            np.testing.assert_array_equal(getattr(got, f), expected[f], err_msg=f)
    return got


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    m=st.integers(1, 6),
    n=st.integers(1, 5),
    reserve=st.sampled_from([0.0, 0.2, 0.5]),
    increment=st.sampled_from([0.05, 0.1, 0.25]),
    soft=st.booleans(),
    window=st.sampled_from([0.0, 0.1, 0.5]),
)
def test_matches_naive(seed, m, n, reserve, increment, soft, window):
    rng = np.random.default_rng(seed)
    limits = np.round(rng.random((m, n)), 1)  # frequent equal limits
    limits[rng.random((m, n)) < 0.1] = np.nan
    kind = rng.integers(0, 3, (m, n))
    times = np.where(kind == SNIPER, 1.0 - 0.05 * rng.random((m, n)), rng.random((m, n)))
    check(limits, kind, times, reserve=reserve, increment=increment, duration=1.0,
          window=window, soft_close=soft, reaction=0.05, key=seed)  # fmt: skip


def test_large_batch_parallel_equals_naive():
    rng = np.random.default_rng(5)
    m, n = 300, 4
    kind = np.where(rng.random((m, n)) < 0.5, SNIPER, INCREMENTAL)
    times = np.where(kind == SNIPER, 7.0 - 0.005 * rng.random((m, n)), 7.0 * rng.random((m, n)))
    check(rng.random((m, n)), kind, times, reserve=0.1, increment=0.01, duration=7.0,
          window=0.1, soft_close=True, reaction=0.02, key=99)  # fmt: skip


def test_proxy_bidders_give_the_second_price_plus_an_increment():
    rng = np.random.default_rng(1)
    m, n, inc, r = 3000, 4, 0.01, 0.2
    v = rng.random((m, n))
    res = run_timed(v, np.full((m, n), PROXY), rng.random((m, n)), reserve=r, increment=inc,
                    duration=1.0, window=0.05, soft_close=False, reaction=0.02, key=1)  # fmt: skip
    s = np.sort(v, axis=1)
    sold = s[:, -1] >= r
    np.testing.assert_array_equal(res.winner >= 0, sold)
    # a bidder that arrives when its limit is below the minimum bid does not bid, so the
    # winner can be one whose value is within an increment of the highest, and the price
    # can miss the second value plus an increment by up to two increments
    rows = np.flatnonzero(sold)
    assert (v[rows, res.winner[rows]] >= s[rows, -1] - inc).all()
    assert (res.winner[rows] == v[rows].argmax(axis=1)).mean() > 0.99
    target = np.minimum(s[:, -1], np.maximum(s[:, -2] + inc, r))
    assert (np.abs(target[sold] - res.price[sold]) <= 2 * inc + 1e-12).all()
    assert (res.extensions == 0).all() and (res.end == 1.0).all()


def test_hard_close_loses_late_bids_and_soft_close_extends():
    limits = np.array([[0.5, 0.9]])
    kind = np.array([[PROXY, SNIPER]])
    times = np.array([[0.1, 1.02]])  # the sniper is too late for a hard close at 1.0
    kw = dict(reserve=0.0, increment=0.1, duration=1.0, window=0.05, reaction=0.01, key=3)
    hard = run_timed(limits, kind, times, soft_close=False, **kw)
    assert (hard.winner[0], hard.price[0], hard.bids[0]) == (0, 0.0, 1)
    times = np.array([[0.97, 0.99]])
    soft = run_timed(limits, kind, times, soft_close=True, **kw)
    assert (soft.winner[0], soft.bids[0], soft.late[0], soft.extensions[0]) == (1, 2, 2, 2)
    assert soft.price[0] == pytest.approx(0.6) and soft.end[0] == pytest.approx(1.04)


def test_incremental_bidders_respond_until_the_value():
    # two incremental bidders, long auction: the higher value wins near the lower value
    limits = np.array([[0.5, 0.8]])
    kind = np.full((1, 2), INCREMENTAL)
    r = run_timed(limits, kind, np.array([[0.0, 0.01]]), reserve=0.0, increment=0.01,
                  duration=100.0, window=0.1, soft_close=False, reaction=0.01, key=7)  # fmt: skip
    assert r.winner[0] == 1 and 0.49 <= r.price[0] <= 0.52
