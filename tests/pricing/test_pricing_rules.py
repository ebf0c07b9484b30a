"""Pricing rules on the posterior, the online ridge, calibration and signal generation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from auction_sim.pricing import (
    OnlineRidge,
    calibrate,
    collateral_value,
    listing_price,
    myerson_reserve,
    one_hot,
    reserve_quantile,
    signals,
)


def test_quantile_rules_match_scipy_lognormal():
    mean, var = np.array([0.0, 1.0, -0.5]), np.array([0.04, 0.25, 1.0])
    law = stats.lognorm(s=np.sqrt(var), scale=np.exp(mean))
    np.testing.assert_allclose(reserve_quantile(mean, var, 0.3), law.ppf(0.3))
    np.testing.assert_allclose(collateral_value(mean, var, 0.1, 0.2), 0.8 * law.ppf(0.1))
    np.testing.assert_allclose(listing_price(mean, var), law.mean())
    np.testing.assert_allclose(listing_price(mean, var, 0.1, quantile=0.5), 1.1 * law.median())
    assert np.all(collateral_value(mean, var, 0.1) < listing_price(mean, var))


@settings(max_examples=30, deadline=None)
@given(
    mu=st.floats(-2, 2),
    sd=st.floats(0.05, 2.0),
    v0=st.sampled_from([0.0, 0.3, 1.0, 3.0]),
)
def test_myerson_reserve_maximizes_expected_revenue(mu, sd, v0):
    """One buyer: revenue r (1 - F(r)) + v0 F(r) is maximal at the Myerson reserve."""
    law = stats.lognorm(s=sd, scale=np.exp(mu))

    def loss(log_r):
        r = np.exp(log_r)
        return -(r * law.sf(r) + v0 * law.cdf(r))

    best = optimize.minimize_scalar(loss, bounds=(mu - 8 * sd, mu + 8 * sd), method="bounded",
                                    options={"xatol": 1e-10})  # fmt: skip
    r = float(myerson_reserve(mu, sd**2, v0))
    assert r >= v0
    assert -loss(np.log(r)) >= -best.fun - 1e-9 * max(1.0, abs(best.fun))


def test_myerson_reserve_widens_with_buyer_dispersion_and_bad_input():
    r0 = myerson_reserve(0.0, 0.01)
    r1 = myerson_reserve(0.0, 0.01, buyer_sd_log=0.5)
    assert np.isfinite(r0) and np.isfinite(r1) and r1 < r0
    with pytest.raises(ValueError):
        myerson_reserve(0.0, -1.0)
    with pytest.raises(ValueError):
        reserve_quantile(0.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        collateral_value(0.0, 1.0, 0.1, haircut=1.0)


def test_online_ridge_equals_batch_ridge():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = 1.0 + X @ np.array([0.5, -1.0, 0.0, 2.0]) + rng.normal(0, 0.1, 500)
    online = OnlineRidge(4, penalty=3.0)
    for lo in range(0, 500, 37):
        online.update(X[lo : lo + 37], y[lo : lo + 37])
    Z = np.hstack([np.ones((500, 1)), X])
    P = np.diag([0.0, 3.0, 3.0, 3.0, 3.0])
    batch = np.linalg.solve(Z.T @ Z + P, Z.T @ y)
    np.testing.assert_allclose(online.coef, batch, rtol=1e-10)
    np.testing.assert_allclose(online.predict(X[:5]), Z[:5] @ batch)
    rss = np.mean((y - Z @ batch) ** 2)
    assert online.residual_var == pytest.approx(rss, rel=1e-8)
    assert OnlineRidge(2).predict(np.zeros((1, 2)))[0] == 0.0  # before any deal
    with pytest.raises(ValueError):
        online.update(X[:3], y[:2])
    np.testing.assert_array_equal(one_hot([[0, 2], [1, 0]], (2, 3)), [[0, 0, 1], [1, 0, 0]])


def test_calibration_recovers_scale_and_shading():
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 20_000)
    score = 5.0 + 2.0 * y + rng.normal(0, 0.1, y.size)
    quote = y + np.log(0.8) + rng.normal(0, 0.1, y.size)
    cal = calibrate(y, score, quote)
    assert cal.gamma == pytest.approx(2.0, abs=0.01)
    assert cal.alpha == pytest.approx(5.0, abs=0.01)
    assert cal.shading == pytest.approx(0.2, abs=0.005)
    assert cal.score_sd == pytest.approx(0.05, rel=0.05)


def test_panels_are_distinct_and_drawn_from_the_own_field():
    rng = np.random.default_rng(2)
    a = signals.draw_achievements(rng, 20_000, 5, 1.0)
    pool = signals.draw_reviewers(rng, 60, 5, 0.5, 1.0, 0.3)
    pan = signals.draw_panels(rng, a, pool, 4, 0.7, 0.5, 5.0, 1.0)
    rev = pan.reviewer.reshape(-1, 4)
    assert np.all(np.diff(np.sort(rev, axis=1), axis=1) > 0)  # distinct within a panel
    share = pan.same.mean()
    assert abs(share - 0.7) < 4 * np.sqrt(0.7 * 0.3 / pan.same.size)
    np.testing.assert_array_equal(pan.same, pool.field[pan.reviewer] == a.field[pan.achievement])
    np.testing.assert_allclose(pan.sd[pan.same], 0.5 * pool.sd[pan.reviewer[pan.same]])
    # every reviewer of a field is used about equally (uniform draws from the pools)
    counts = np.bincount(pan.reviewer, minlength=60)
    assert counts.min() > 0.7 * counts.mean()
    # a panel as large as the pool takes everyone
    full = signals.draw_panels(rng, a, pool, 60, 0.7, 0.5, 5.0, 1.0)
    assert np.all(np.sort(full.reviewer.reshape(-1, 60), axis=1) == np.arange(60))
    q = signals.draw_quotes(rng, a.theta, 3, 0.0, 0.25)
    np.testing.assert_allclose(q.log_quote, np.repeat(a.theta, 3) + np.log(0.75))
