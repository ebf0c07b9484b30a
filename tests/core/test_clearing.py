"""The sealed-bid clearing kernel against its naive twin (tests/naive/clearing.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from auction_sim.core.clearing import FIRST_PRICE, SECOND_PRICE, clear_sealed
from naive.clearing import clear_sealed as naive_clear

RULES = [FIRST_PRICE, SECOND_PRICE]


def check(bids, ties, reserve, rule):
    expected = naive_clear(bids, ties, reserve, rule)
    for parallel in (False, True):
        got = clear_sealed(bids, ties, reserve, rule, parallel=parallel)
        np.testing.assert_array_equal(got.winner, expected[0])
        np.testing.assert_array_equal(got.price, expected[1])
        np.testing.assert_array_equal(got.high, expected[2])
        np.testing.assert_array_equal(got.second, expected[3])


# Bids on a coarse grid so that ties are frequent; NaN = abstention.
bid_values = st.one_of(
    st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
    st.floats(-2, 2, allow_nan=False),
    st.just(float("nan")),
)


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    n_auctions=st.integers(1, 30),
    n_bidders=st.integers(1, 8),
    reserve=st.sampled_from([-1.0, 0.0, 0.25, 0.5, 0.9, 3.0]),
    rule=st.sampled_from(RULES),
)
def test_matches_naive_on_random_inputs(data, n_auctions, n_bidders, reserve, rule):
    shape = (n_auctions, n_bidders)
    bids = data.draw(arrays(np.float64, shape, elements=bid_values))
    ties = data.draw(arrays(np.float64, shape, elements=st.sampled_from([0.1, 0.2, 0.7, 0.9])))
    check(bids, ties, reserve, rule)


@pytest.mark.parametrize("rule", RULES)
def test_large_random_batch_parallel_equals_naive(rule):
    rng = np.random.default_rng(7)
    bids = np.round(rng.random((3000, 6)), 2)  # many ties
    ties = rng.random((3000, 6))
    check(bids, ties, 0.3, rule)


def test_ties_broken_by_largest_uniform():
    bids = np.array([[0.5, 0.9, 0.9, 0.9]])
    ties = np.array([[0.99, 0.2, 0.8, 0.5]])
    res = clear_sealed(bids, ties, 0.0, SECOND_PRICE)
    assert res.winner[0] == 2
    assert res.price[0] == 0.9  # the second-highest bid equals the top under a tie
    assert res.second[0] == 0.9


def test_one_bidder_pays_reserve_in_second_price_and_bid_in_first():
    bids = np.array([[0.8]])
    ties = np.array([[0.5]])
    sp = clear_sealed(bids, ties, 0.3, SECOND_PRICE)
    fp = clear_sealed(bids, ties, 0.3, FIRST_PRICE)
    assert sp.winner[0] == 0 and sp.price[0] == 0.3 and sp.second[0] == -np.inf
    assert fp.winner[0] == 0 and fp.price[0] == 0.8


@pytest.mark.parametrize("rule", RULES)
def test_all_bids_under_reserve_means_no_sale(rule):
    bids = np.array([[0.1, 0.2, 0.29], [0.3, 0.1, 0.0]])
    res = clear_sealed(bids, np.zeros_like(bids), 0.3, rule)
    assert res.winner.tolist() == [-1, 0]
    assert res.price[0] == 0.0
    assert res.price[1] == 0.3  # a bid exactly at the reserve sells


def test_all_nan_row_is_unsold():
    bids = np.array([[np.nan, np.nan]])
    res = clear_sealed(bids, np.zeros_like(bids), -10.0, FIRST_PRICE)
    assert res.winner[0] == -1 and res.price[0] == 0.0


def test_rejects_bad_shapes_and_rules():
    with pytest.raises(ValueError, match="same 2-d shape"):
        clear_sealed(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="rule"):
        clear_sealed(np.zeros((2, 3)), np.zeros((2, 3)), rule=5)
    with pytest.raises(ValueError, match="NaN"):
        clear_sealed(np.zeros((2, 3)), np.zeros((2, 3)), reserve=float("nan"))


def test_no_payment_above_the_winning_bid_and_none_below_reserve():
    rng = np.random.default_rng(3)
    bids = rng.random((5000, 4))
    ties = rng.random((5000, 4))
    for rule in RULES:
        res = clear_sealed(bids, ties, 0.4, rule)
        sold = res.winner >= 0
        win_bid = bids[np.flatnonzero(sold), res.winner[sold]]
        assert np.all(res.price[sold] <= win_bid)
        assert np.all(res.price[sold] >= 0.4)
        assert np.all(res.price[~sold] == 0.0)
