"""The scoring-auction kernel against its naive twin (tests/naive/scoring.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from auction_sim.core.clearing import clear_sealed
from auction_sim.core.scoring import FIRST_SCORE, SECOND_SCORE, clear_scoring
from naive.scoring import clear_scoring as naive_clear

RULES = [FIRST_SCORE, SECOND_SCORE]


def check(quality, price, ties, w, reserve, rule):
    expected = naive_clear(quality, price, ties, w, reserve, rule)
    for parallel in (False, True):
        got = clear_scoring(quality, price, ties, w, reserve, rule, parallel=parallel)
        for name, g, e in zip(got._fields, got, expected, strict=True):
            np.testing.assert_array_equal(g, e, err_msg=name)


# Offers on coarse grids so that tied scores are frequent; NaN = no offer.
qualities = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.floats(0, 3), st.just(float("nan")))
prices = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(-1, 3))


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n_contracts=st.integers(1, 300),
    n_suppliers=st.integers(1, 7),
    w=st.sampled_from([0.5, 1.0, 2.0]),
    reserve=st.sampled_from([-1.0, 0.0, 0.25, 0.5, 5.0]),
    rule=st.sampled_from(RULES),
)
def test_matches_naive_on_random_inputs(data, n_contracts, n_suppliers, w, reserve, rule):
    shape = (n_contracts, n_suppliers)
    quality = data.draw(arrays(np.float64, shape, elements=qualities))
    price = data.draw(arrays(np.float64, shape, elements=prices))
    ties = data.draw(arrays(np.float64, shape, elements=st.sampled_from([0.1, 0.2, 0.7, 0.9])))
    check(quality, price, ties, w, reserve, rule)


@pytest.mark.parametrize("rule", RULES)
def test_large_random_batch_parallel_equals_naive(rule):
    rng = np.random.default_rng(21)
    quality = np.round(rng.random((3000, 5)), 1)
    price = np.round(rng.random((3000, 5)), 1) * 0.5  # many tied scores
    ties = rng.random((3000, 5))
    check(quality, price, ties, 1.0, 0.1, rule)


@pytest.mark.parametrize("rule", RULES)
def test_score_clearing_is_the_sealed_bid_rule_on_scores(rule):
    """One rule, one place: winner and top scores are clear_sealed's on w q - p."""
    rng = np.random.default_rng(3)
    quality, price, ties = rng.random((500, 4)), 0.3 * rng.random((500, 4)), rng.random((500, 4))
    got = clear_scoring(quality, price, ties, 1.5, 0.4, rule)
    ref = clear_sealed(1.5 * quality - price, ties, 0.4, rule)
    np.testing.assert_array_equal(got.winner, ref.winner)
    np.testing.assert_array_equal(got.high, ref.high)
    np.testing.assert_array_equal(got.second, ref.second)


def test_tied_scores_go_to_the_largest_uniform_and_match_the_top():
    quality = np.array([[1.0, 2.0, 0.5]])
    price = np.array([[0.5, 1.5, 0.0]])  # all score 0.5
    ties = np.array([[0.2, 0.9, 0.4]])
    first = clear_scoring(quality, price, ties, 1.0, 0.0, FIRST_SCORE)
    second = clear_scoring(quality, price, ties, 1.0, 0.0, SECOND_SCORE)
    assert first.winner[0] == second.winner[0] == 1
    assert first.price[0] == 1.5 and second.price[0] == 1.5  # match the tied score
    assert second.second[0] == 0.5


def test_one_supplier_matches_the_reserve_score_in_second_score():
    quality, price, ties = np.array([[2.0]]), np.array([[0.5]]), np.array([[0.3]])
    sec = clear_scoring(quality, price, ties, 1.0, 0.25, SECOND_SCORE)
    fir = clear_scoring(quality, price, ties, 1.0, 0.25, FIRST_SCORE)
    assert sec.winner[0] == 0 and sec.price[0] == 1.75 and sec.second[0] == -np.inf
    assert fir.winner[0] == 0 and fir.price[0] == 0.5 and fir.quality[0] == 2.0


@pytest.mark.parametrize("rule", RULES)
def test_everyone_below_the_reserve_score_means_no_contract(rule):
    quality = np.array([[1.0, 1.0], [1.0, 1.0]])
    price = np.array([[0.9, 0.8], [0.7, 0.95]])  # scores .1 .2 / .3 .05
    res = clear_scoring(quality, price, np.zeros_like(quality), 1.0, 0.3, rule)
    assert res.winner.tolist() == [-1, 0]  # a score exactly at the reserve is awarded
    assert res.quality[0] == 0.0 and res.price[0] == 0.0
    assert res.price[1] == 0.7


def test_no_offers_at_all():
    nan = np.full((2, 3), np.nan)
    res = clear_scoring(nan, nan, np.zeros((2, 3)), 1.0, -5.0, SECOND_SCORE)
    assert res.winner.tolist() == [-1, -1] and (res.high == -np.inf).all()


def test_bad_arguments():
    a = np.ones((2, 2))
    with pytest.raises(ValueError, match="same 2-d shape"):
        clear_scoring(a, np.ones((2, 3)), a, 1.0)
    with pytest.raises(ValueError, match="quality_weight"):
        clear_scoring(a, a, a, 0.0)
    with pytest.raises(ValueError, match="rule"):
        clear_scoring(a, a, a, 1.0, rule=2)
