"""English and Dutch clock kernels against their tick-by-tick twins (tests/naive/clock.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from auction_sim.core.clock import clear_dutch, clear_english
from naive.clock import clear_dutch as naive_dutch
from naive.clock import clear_english as naive_english

points_el = st.one_of(
    st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.75, 1.0]),
    st.floats(-1, 2, allow_nan=False),
    st.just(float("nan")),
)


def check_english(points, ties, reserve, inc):
    w, p = naive_english(points, ties, reserve, inc)
    for parallel in (False, True):
        got = clear_english(points, ties, reserve, inc, parallel=parallel)
        np.testing.assert_array_equal(got.winner, w)
        np.testing.assert_array_equal(got.price, p)


def check_dutch(points, ties, start, reserve, inc):
    w, p = naive_dutch(points, ties, start, reserve, inc)
    for parallel in (False, True):
        got = clear_dutch(points, ties, start, reserve, inc, parallel=parallel)
        np.testing.assert_array_equal(got.winner, w)
        np.testing.assert_array_equal(got.price, p)


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    m=st.integers(1, 12),
    n=st.integers(1, 6),
    reserve=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 3.0]),
    inc=st.sampled_from([0.05, 0.1, 0.25, 0.3, 0.7]),
)
def test_english_matches_naive(data, m, n, reserve, inc):
    pts = data.draw(arrays(np.float64, (m, n), elements=points_el))
    ties = data.draw(arrays(np.float64, (m, n), elements=st.sampled_from([0.1, 0.2, 0.7, 0.9])))
    check_english(pts, ties, reserve, inc)


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    m=st.integers(1, 12),
    n=st.integers(1, 6),
    start=st.sampled_from([1.0, 1.5, 0.05, 2.0]),
    reserve=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 3.0]),
    inc=st.sampled_from([0.05, 0.1, 0.25, 0.3, 0.7]),
)
def test_dutch_matches_naive(data, m, n, start, reserve, inc):
    pts = data.draw(arrays(np.float64, (m, n), elements=points_el))
    ties = data.draw(arrays(np.float64, (m, n), elements=st.sampled_from([0.1, 0.2, 0.7, 0.9])))
    check_dutch(pts, ties, start, reserve, inc)


def test_large_batches_parallel_equal_naive():
    rng = np.random.default_rng(3)
    pts = np.round(rng.random((2000, 5)), 2)
    ties = rng.random((2000, 5))
    check_english(pts, ties, 0.2, 0.05)
    check_dutch(pts, ties, 1.0, 0.2, 0.05)


def test_english_edge_cases():
    ties = np.array([[0.3, 0.9, 0.5]])
    # all under the reserve: unsold
    r = clear_english(np.array([[0.1, 0.2, 0.3]]), ties, 0.5, 0.1)
    assert (r.winner[0], r.price[0]) == (-1, 0.0)
    # one bidder at the reserve pays the reserve
    r = clear_english(np.array([[0.1, 0.8, 0.3]]), ties, 0.5, 0.1)
    assert (r.winner[0], r.price[0]) == (1, 0.5)
    # two leave at the same tick: the larger tie uniform wins at the previous tick
    r = clear_english(np.array([[0.72, 0.75, 0.1]]), ties, 0.0, 0.1)
    assert r.winner[0] == 1 and r.price[0] == pytest.approx(0.7)
    # one bidder alone
    r = clear_english(np.array([[0.9]]), np.array([[0.5]]), 0.2, 0.1)
    assert (r.winner[0], r.price[0]) == (0, 0.2)


def test_dutch_edge_cases():
    ties = np.array([[0.3, 0.9, 0.5]])
    r = clear_dutch(np.array([[0.1, 0.2, 0.3]]), ties, 1.0, 0.5, 0.1)
    assert (r.winner[0], r.price[0]) == (-1, 0.0)
    # the last tick is the reserve exactly
    r = clear_dutch(np.array([[0.1, 0.52, 0.3]]), ties, 1.0, 0.5, 0.3)
    assert (r.winner[0], r.price[0]) == (1, 0.5)
    # a bid above the start takes at the start; equal takers split by tie_u
    r = clear_dutch(np.array([[1.2, 1.1, 0.3]]), ties, 1.0, 0.0, 0.1)
    assert (r.winner[0], r.price[0]) == (1, 1.0)
    # start below the reserve: nothing sells
    r = clear_dutch(np.array([[2.0]]), np.array([[0.5]]), 0.4, 0.5, 0.1)
    assert r.winner[0] == -1


def test_bad_arguments():
    with pytest.raises(ValueError, match="increment"):
        clear_english(np.zeros((1, 2)), np.zeros((1, 2)), 0.0, 0.0)
    with pytest.raises(ValueError, match="shape"):
        clear_dutch(np.zeros((1, 2)), np.zeros((1, 3)), 1.0, 0.0, 0.1)
