"""Listing kernel against its naive twin (random inputs and edge cases)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_sim.core.listing import AUCTION, FIRST_COME, run_listings
from naive import listing as naive


def _batch(seed, n, n_periods, rate, discrete):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate, size=n * n_periods)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    m = int(offsets[-1])
    if discrete:  # ties between buyers, and values equal to the price
        values = rng.integers(0, 4, m) / 2.0
        arrival = rng.integers(0, 3, m).astype(float)
        list_price = np.full(n, 1.0)
    else:
        values = rng.random(m) * 2
        arrival = rng.random(m) * 20
        list_price = rng.random(n) * 2
    step = 0.8 ** np.arange(n_periods)
    return list_price, step, offsets, values, arrival


def _check(res, ref):
    for name, x, y in zip(res._fields, res, ref, strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 30),
    n_periods=st.integers(1, 4),
    rate=st.floats(0.0, 5.0),
    rule=st.sampled_from([FIRST_COME, AUCTION]),
    discrete=st.booleans(),
)
def test_listing_matches_naive(seed, n, n_periods, rate, rule, discrete):
    args = (*_batch(seed, n, n_periods, rate, discrete), rule, 20.0)
    _check(run_listings(*args), naive.run_listings(*args))


@pytest.mark.parametrize("rule", [FIRST_COME, AUCTION])
def test_parallel_equals_serial(rule):
    args = (*_batch(5, 4000, 3, 3.0, False), rule, 20.0)
    _check(run_listings(*args, parallel=True), run_listings(*args, parallel=False))


def test_edge_cases():
    step = np.array([1.0, 0.5])
    # listing 0: nobody ever comes; listing 1: one buyer under the price, then one at the
    # relisted price; listing 2: two tied intents (the earlier arrival wins at the tie price)
    offsets = np.array([0, 0, 0, 1, 2, 4, 4])
    values = np.array([0.9, 0.5, 2.0, 2.0])
    arrival = np.array([3.0, 4.0, 7.0, 2.0])
    price = np.array([1.0, 1.0, 1.0])
    r = run_listings(price, step, offsets, values, arrival, AUCTION, 10.0)
    assert r.period.tolist() == [-1, 1, 0] and r.price.tolist() == [0.0, 0.5, 2.0]
    assert np.isnan(r.days[0]) and r.days[1:].tolist() == [20.0, 10.0]
    assert r.best_value.tolist() == [0.0, 0.9, 2.0] and r.bidding.tolist() == [False, False, True]
    assert r.intents.tolist() == [0, 1, 2]
    f = run_listings(price, step, offsets, values, arrival, FIRST_COME, 10.0)
    assert f.price.tolist() == [0.0, 0.5, 1.0] and f.days[1:].tolist() == [14.0, 2.0]
    assert not f.bidding.any()
    # no listings at all
    empty = run_listings(np.empty(0), step, np.zeros(1, np.int64), np.empty(0), np.empty(0), 1, 1.0)
    assert empty.price.shape == (0,)


@pytest.mark.parametrize(
    "change",
    [
        {"rule": 2},
        {"period_days": 0.0},
        {"offsets": np.array([0, 1, 0, 1])},
        {"offsets": np.array([0, 1])},
        {"values": np.array([np.nan])},
    ],
)
def test_bad_arguments_raise(change):
    args = {
        "list_price": np.ones(3),
        "step": np.ones(1),
        "offsets": np.array([0, 0, 1, 1]),
        "values": np.ones(1),
        "arrival": np.zeros(1),
        "rule": AUCTION,
        "period_days": 5.0,
    }
    args.update(change)
    with pytest.raises(ValueError):
        run_listings(*args.values())
