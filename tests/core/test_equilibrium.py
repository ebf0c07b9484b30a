"""Numeric first-price equilibrium: uniform closed form with a reserve, edge cases, and a
direct best-response check for non-uniform distributions."""

import numpy as np
import pytest

from auction_sim.agents.bidders import equilibrium_bid_function, equilibrium_bids
from auction_sim.core.equilibrium import bids_from_function, first_price_bid_function
from auction_sim.values import Beta, Constant, Exponential, LogNormal, Uniform


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("r", [0.0, 0.3, 0.7])
def test_uniform_closed_form_with_reserve(n, r):
    v = np.linspace(0.0, 1.0, 1001)[None, :]
    b = bids_from_function(v, first_price_bid_function(Uniform(), n, r))[0]
    v = v[0]
    ok = (v >= r) & (v > 0)
    closed = (n - 1) * v[ok] / n + r**n / (n * v[ok] ** (n - 1))
    np.testing.assert_allclose(b[ok], closed, atol=2e-6)  # linear interpolation between nodes
    np.testing.assert_array_equal(b[v < r], v[v < r])  # below the reserve: cannot win


def test_uniform_on_other_interval_and_public_function():
    d = Uniform(low=2.0, high=5.0)
    fn = equilibrium_bid_function(d, 4, 2.5, "dutch")
    v = np.array([[2.4, 2.5, 3.0, 4.9, 6.0]])
    b = equilibrium_bids(v, fn)
    x, s = v - 2.0, 0.5
    closed = v - (x**4 - s**4) / (4 * x**3)
    np.testing.assert_allclose(b[0, 1:4], closed[0, 1:4], atol=2e-6)
    top = 5.0 - (3.0**4 - s**4) / (4 * 3.0**3)  # above the support: the bid of the top value
    assert b[0, 0] == 2.4 and b[0, 4] == pytest.approx(top, abs=1e-9)
    sp = equilibrium_bid_function(d, 4, 2.5, "second_price")
    np.testing.assert_array_equal(equilibrium_bids(v, sp), v)


def test_bids_are_increasing_below_value_and_above_reserve():
    for d in (Exponential(scale=2.0), LogNormal(mean_log=0.0, sd_log=1.0), Beta(a=2.0, b=5.0)):
        for n in (2, 6, 400):
            fn = first_price_bid_function(d, n, 0.1)
            assert np.all(np.diff(fn.bid) >= -1e-12)
            assert np.all(fn.bid <= fn.x + 1e-12) and np.all(fn.bid >= 0.1 - 1e-12)


def test_point_mass_and_reserve_above_support():
    fn = first_price_bid_function(Constant(value=2.0), 3, 0.5)
    assert equilibrium_bids(np.array([[2.0, 2.0]]), fn).tolist() == [[2.0, 2.0]]
    fn = first_price_bid_function(Uniform(), 3, 1.5)
    assert equilibrium_bids(np.array([[0.9]]), fn)[0, 0] == 0.9
    with pytest.raises(ValueError):
        first_price_bid_function(Uniform(), 0, 0.0)


def best_response(v, fn, dist, n, reserve):
    """argmax_b (v - b) F(beta^-1(b))^(n-1) over a fine bid grid, others playing fn."""
    grid = np.linspace(reserve, v, 20001)
    inv = np.interp(grid, fn.bid, fn.x)  # beta is increasing
    win = np.where(grid >= fn.bid[0], dist.cdf(inv) ** (n - 1), 0.0)
    u = (v - grid) * win
    k = int(np.argmax(u))
    return grid[k], u[k], u


@pytest.mark.parametrize(
    "dist,n,reserve",
    [(Exponential(scale=1.0), 3, 0.0), (Exponential(scale=1.0), 5, 0.5), (Beta(a=2, b=2), 4, 0.2)],
)
def test_equilibrium_is_a_best_response(dist, n, reserve):
    fn = first_price_bid_function(dist, n, reserve)
    for v in (0.6, 1.0, 2.0, 3.0) if dist.dist == "exponential" else (0.3, 0.6, 0.9):
        if v <= reserve:
            continue
        b_eq = equilibrium_bids(np.array([[v]]), fn)[0, 0]
        b_star, u_star, _ = best_response(v, fn, dist, n, reserve)
        win_eq = dist.cdf(v) ** (n - 1)
        u_eq = (v - b_eq) * win_eq
        assert u_eq >= u_star - 1e-6, (v, b_eq, b_star)
        assert abs(b_star - b_eq) < 5e-3, (v, b_eq, b_star)


def test_large_n_does_not_underflow():
    fn = first_price_bid_function(Exponential(), 5000, 0.0)
    assert np.all(np.isfinite(fn.bid))
