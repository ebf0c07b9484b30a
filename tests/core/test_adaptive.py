"""Adaptive (Hedge) bidders against the naive twin (tests/naive/adaptive.py), in every format."""

import numpy as np
import pytest

from auction_sim.core.adaptive import F_DUTCH, F_ENGLISH, F_FIRST, F_SECOND, play_adaptive
from naive.adaptive import play_adaptive as naive_play


@pytest.mark.parametrize("fmt", [F_FIRST, F_SECOND, F_ENGLISH, F_DUTCH])
@pytest.mark.parametrize("n", [1, 3])
def test_matches_naive(fmt, n):
    rng = np.random.default_rng(fmt * 10 + n)
    m, arms = 150, np.linspace(0.0, 1.0, 6)
    values = np.round(rng.random((m, n)), 2)
    tie_u, arm_u = rng.random((m, n)), rng.random((m, n))
    kw = dict(eta=2.0, scale=1.0, fmt=fmt, reserve=0.1, increment=0.05, start=1.0)
    w, p, b, s, lw = naive_play(values, tie_u, arm_u, arms, np.zeros((n, 6)), **kw)
    logw = np.zeros((n, 6))
    # in two chunks: the state carries over
    r1 = play_adaptive(values[:70], tie_u[:70], arm_u[:70], arms, logw, **kw)
    r2 = play_adaptive(values[70:], tie_u[70:], arm_u[70:], arms, logw, **kw)
    np.testing.assert_array_equal(np.concatenate([r1.winner, r2.winner]), w)
    np.testing.assert_allclose(np.concatenate([r1.price, r2.price]), p, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([r1.bids, r2.bids]), b, atol=1e-12)
    np.testing.assert_array_equal(np.concatenate([r1.shade, r2.shade]), s)
    np.testing.assert_allclose(logw, lw, atol=1e-9)


def test_bad_arguments():
    z = np.zeros((2, 2))
    with pytest.raises(ValueError, match="logw"):
        play_adaptive(z, z, z, np.linspace(0, 1, 3), np.zeros((2, 4)), eta=1, scale=1,
                      fmt=F_FIRST, reserve=0.0)  # fmt: skip
    with pytest.raises(ValueError, match="format"):
        play_adaptive(z, z, z, np.linspace(0, 1, 3), np.zeros((2, 3)), eta=1, scale=1,
                      fmt=9, reserve=0.0)  # fmt: skip
