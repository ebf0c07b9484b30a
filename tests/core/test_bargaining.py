"""Bargaining kernels against their naive twins (random inputs and edge cases)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_sim.core import bargaining as kb
from naive import bargaining as naive

E = st.one_of(st.sampled_from([0.2, 1.0, 5.0, math.inf]), st.floats(0.05, 20.0))


def _values(seed, n, discrete):
    rng = np.random.default_rng(seed)
    if discrete:  # coarse grid: equal values and exact ties between offers
        return rng.integers(0, 5, n) / 4.0, rng.integers(0, 5, n) / 4.0
    return rng.random(n), rng.random(n)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    rounds=st.integers(1, 60),
    first=st.sampled_from([kb.SELLER, kb.BUYER]),
    e_b=E,
    e_s=E,
    private=st.booleans(),
    discrete=st.booleans(),
)
def test_alternating_offers_matches_naive(seed, n, rounds, first, e_b, e_s, private, discrete):
    vb, vs = _values(seed, n, discrete)
    open_b, open_s = (np.zeros(n), np.ones(n)) if private else (vs, vb)
    res = kb.alternating_offers(vb, vs, open_b, open_s, rounds, first, e_b, e_s)
    ref = naive.alternating_offers(vb, vs, open_b, open_s, rounds, first, e_b, e_s)
    np.testing.assert_array_equal(res.agreed, ref[0])
    np.testing.assert_array_equal(res.round, ref[2])
    np.testing.assert_allclose(res.price, ref[1], rtol=0, atol=1e-12)


def test_many_pairs_match_naive():
    # the kernel's binary search against the naive round-by-round play, on many pairs
    vb, vs = _values(8, 3000, False)
    for rounds, first, e_b, e_s in ((50, kb.SELLER, 5.0, 0.2), (7, kb.BUYER, 0.5, 1.0)):
        for open_b, open_s in ((0.0, 1.0), (vs, vb)):
            res = kb.alternating_offers(vb, vs, open_b, open_s, rounds, first, e_b, e_s)
            ref = naive.alternating_offers(
                vb, vs, np.broadcast_to(open_b, vb.shape), np.broadcast_to(open_s, vb.shape),
                rounds, first, e_b, e_s,
            )  # fmt: skip
            np.testing.assert_array_equal(res.round, ref[2])
            np.testing.assert_allclose(res.price, ref[1], rtol=0, atol=1e-12)


def test_parallel_equals_serial():
    vb, vs = _values(3, 5000, False)
    args = (vb, vs, 0.0, 1.0, 30, kb.BUYER, 0.3, 4.0)
    a = kb.alternating_offers(*args, parallel=False)
    b = kb.alternating_offers(*args, parallel=True)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_edge_cases():
    # one round, seller first, private openings: the seller asks the top, only v_b = 1 accepts
    vb, vs = np.array([1.0, 0.99, 0.3]), np.array([0.0, 0.0, 0.5])
    r = kb.alternating_offers(vb, vs, 0.0, 1.0, 1, kb.SELLER, 1.0, 1.0)
    assert r.agreed.tolist() == [True, False, False] and r.price[0] == 1.0
    assert np.isnan(r.price[1]) and r.round.tolist() == [0, -1, -1]
    # truthful against truthful: the first offer is the proposer's value, accepted iff gains
    r = kb.alternating_offers(vb, vs, 0.0, 1.0, 5, kb.SELLER, math.inf, math.inf)
    assert r.agreed.tolist() == [True, True, False] and r.price[:2].tolist() == [0.0, 0.0]
    # equal values trade at that value
    r = kb.alternating_offers_spe(np.array([0.4]), np.array([0.4]), 7, kb.SELLER, 0.9, 0.8)
    assert r.agreed[0] and r.price[0] == 0.4
    # no gains, no trade, in every protocol
    for r in (
        kb.alternating_offers_spe(np.array([0.2]), np.array([0.5]), 3, kb.BUYER, 0.9, 0.9),
        kb.nash_solution(np.array([0.2]), np.array([0.5]), 0.5),
        kb.k_double_auction(np.array([0.2]), np.array([0.5]), 0.5),
        kb.alternating_offers(np.array([0.2]), np.array([0.5]), 0.0, 1.0, 50, 0, 1.0, 1.0),
    ):
        assert not r.agreed[0] and r.round[0] == -1 and np.isnan(r.price[0])


@settings(max_examples=50, deadline=None)
@given(
    rounds=st.integers(1, 40),
    first=st.sampled_from([kb.SELLER, kb.BUYER]),
    d_b=st.floats(0.05, 1.0),
    d_s=st.floats(0.05, 1.0),
)
def test_spe_share_is_exact_backward_induction(rounds, first, d_b, d_s):
    exact = naive.spe_seller_share_exact(rounds, first, d_b, d_s)
    assert kb.spe_seller_share(rounds, first, d_b, d_s) == pytest.approx(float(exact), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50), k=st.floats(0.0, 1.0))
def test_k_double_auction_and_nash_match_naive(seed, n, k):
    rng = np.random.default_rng(seed)
    b, a = rng.integers(0, 6, n) / 5.0, rng.integers(0, 6, n) / 5.0  # ties included
    res = kb.k_double_auction(b, a, k)
    ref = naive.k_double_auction(b, a, k)
    np.testing.assert_array_equal(res.agreed, ref[0])
    np.testing.assert_array_equal(res.round, ref[2])
    np.testing.assert_allclose(res.price, ref[1], atol=1e-15)
    res = kb.nash_solution(b, a, k)
    ref = naive.split_surplus(b, a, k)
    np.testing.assert_array_equal(res.agreed, ref[0])
    np.testing.assert_allclose(res.price, ref[1], atol=1e-15)


@pytest.mark.parametrize(
    "call",
    [
        lambda: kb.k_double_auction(np.ones(2), np.ones(2), 1.5),
        lambda: kb.nash_solution(np.ones(2), np.ones(2), -0.1),
        lambda: kb.spe_seller_share(0, kb.SELLER, 0.9, 0.9),
        lambda: kb.spe_seller_share(3, kb.SELLER, 0.0, 0.9),
        lambda: kb.spe_seller_share(3, 2, 0.9, 0.9),
        lambda: kb.alternating_offers(np.ones(2), np.ones(3), 0, 1, 3, 0, 1.0, 1.0),
        lambda: kb.alternating_offers(np.ones(2), np.ones(2), 0, 1, 3, 0, 0.0, 1.0),
        lambda: kb.alternating_offers(np.array([np.nan]), np.ones(1), 0, 1, 3, 0, 1.0, 1.0),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
