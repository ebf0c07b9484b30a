"""The market's price discovery keys (issue 15): each one validates and does something."""

from __future__ import annotations

import math

import numpy as np
import pytest
from market_small import scenario, seed

from auction_sim.experiments.market import METRICS, SERIES, metrics_of, series_of
from auction_sim.market.pricing import ESTIMATORS, Pricer, price_rules
from auction_sim.market.sim import MarketSim, simulate
from auction_sim.pricing.deals import N_CLASSES, DealModel, deal_class, runner_up_offset
from auction_sim.scenario.market import MarketPricingSection


def test_estimator_choices_match_the_schema():
    lit = MarketPricingSection.model_fields["estimator"].annotation.__args__
    assert tuple(lit) == ESTIMATORS


def test_unknown_estimator_is_rejected():
    with pytest.raises(ValueError):
        Pricer(10, 4, 1.0, 1.0, estimator="psychic")
    with pytest.raises(ValueError):
        scenario(pricing__estimator="psychic")


def test_value_metrics_and_series_are_reported():
    run = simulate(scenario(), seed(0))
    m = metrics_of(run)
    for k in ("value_error_first", "value_error_last", "value_bias_last",
              "oracle_value_error_last", "due_diligence_spent"):  # fmt: skip
        assert k in METRICS and math.isfinite(m[k]), k
    s = series_of(run)
    assert {"value_error", "oracle_value_error", "value_bias"} <= set(SERIES) <= set(s)
    assert m["value_error_last"] > 0 and m["oracle_value_error_last"] > 0


@pytest.mark.parametrize("est", ESTIMATORS)
def test_every_estimator_runs(est):
    m = metrics_of(simulate(scenario(pricing__estimator=est), seed(1)))
    assert math.isfinite(m["value_error_last"]) and m["value_error_last"] < 2.0


def test_estimators_differ():
    errs = {e: metrics_of(simulate(scenario(pricing__estimator=e), seed(2)))["value_error_last"]
            for e in ("joint", "reviews_only", "comparables_only")}  # fmt: skip
    assert len(set(errs.values())) == 3


def test_readiness_is_evaluated_with_error_and_due_diligence_narrows_it():
    sim = MarketSim(scenario(pricing__due_diligence_share=0.5), seed(3))
    err = sim.ach_seen.readiness - sim.ach.readiness
    dd = sim.diligence
    assert 0 < dd.mean() < 1
    assert np.mean(err[dd] ** 2) < np.mean(err[~dd] ** 2)
    exact = MarketSim(scenario(pricing__readiness_error_sd=0.0, pricing__due_diligence_share=0.0),
                      seed(3))  # fmt: skip
    assert np.array_equal(exact.ach_seen.readiness, exact.ach.readiness)


def test_due_diligence_costs_and_delays():
    sc = scenario(pricing__due_diligence_share=1.0, pricing__due_diligence_days=10.0,
                  pricing__due_diligence_cost=0.5)  # fmt: skip
    run = simulate(sc, seed(4))
    sim = run.sim
    assert np.all(sim.review_days == sc.pricing.review_days + 10.0)
    assert metrics_of(run)["due_diligence_spent"] == pytest.approx(0.5 * sim.n)
    none = metrics_of(simulate(scenario(pricing__due_diligence_share=0.0), seed(4)))
    assert none["due_diligence_spent"] == 0.0


def test_reviewers_differ_in_precision():
    sim = MarketSim(scenario(pricing__noise_sd_spread=0.5), seed(5))
    sd = np.sqrt(sim.oracle.noise_var)
    assert sd.std() > 0.1
    flat = MarketSim(scenario(pricing__noise_sd_spread=0.0), seed(5))
    assert np.ptp(flat.oracle.noise_var) == 0


def test_quotes_follow_the_quoting_firms_value():
    """A quote is log(value x fit) - shading + noise: with no quote noise and no shading, it is
    exactly the log of the value the quoting firm drew."""
    sc = scenario(pricing__inquiry_sd=1e-9, pricing__shading=0.0)
    sim = MarketSim(sc, seed(6))
    sim.run()
    nq = sim.n_quotes
    i = int(np.flatnonzero(nq > 1)[0])
    q = sim.quotes[i, : nq[i]]
    assert np.ptp(q) > 0  # firms of different fit quote differently
    assert np.all(np.abs(q - sim.ach.theta[i]) < 5 * sc.buyers.fit_sd_log + 1.0)


def test_deal_classes_and_derived_offsets():
    classes = {deal_class(m, k, mk) for m in range(3) for k in range(1, 8) for mk in (0, 1)}
    assert classes == set(range(N_CLASSES))
    assert runner_up_offset(1, 0.4, -0.1) == 0.0
    # the runner-up of two normals has mean -1/sqrt(pi)
    assert runner_up_offset(2, 1.0, 0.0) == pytest.approx(-1 / math.sqrt(math.pi), abs=1e-6)
    dm = DealModel(0.4, 0.0, prior_deals=0.0)
    c = deal_class(0, 3, True)
    dm.add(np.array([c, c]), np.array([1.0, 2.0]), np.array([0.5, 1.0]))
    assert dm.offsets[c] == pytest.approx(0.75)
    assert dm.correct(np.array([c]), np.array([1.75]))[0] == pytest.approx(1.0)


def test_rules_price_value_or_predicted_price():
    m, v = np.array([0.0]), np.array([0.04])
    lst0, res0 = price_rules(m, v, "quantile", 0.3, "mean", 1.0, 0.4, 0.0)
    lst1, res1 = price_rules(m, v, "quantile", 0.3, "mean", 1.0, 0.4, -0.2)
    assert lst1[0] == pytest.approx(lst0[0] * math.exp(-0.2))  # listing: predicted price
    assert res1[0] == res0[0]  # reserve: the value
    _, my0 = price_rules(m, v, "myerson", 0.3, "mean", 1.0, 0.4, 0.0)
    _, my1 = price_rules(m, v, "myerson", 0.3, "mean", 1.0, 0.4, -0.2)
    assert my1[0] == pytest.approx(my0[0] * math.exp(-0.2))  # myerson: buyers' wtp


def test_comparables_rebuilt_from_moments_equal_a_fit_on_corrected_deals():
    from auction_sim.pricing import comparables

    rng = np.random.default_rng(0)
    p = Pricer(10, 4, 1.0, 1.0, fit_sd=0.4, log_willingness=-0.1)
    k = 300
    codes = np.stack([rng.integers(0, 4, k), rng.integers(0, 9, k), rng.integers(0, 5, k)], 1)
    cls = rng.integers(0, N_CLASSES, k)
    y = rng.normal(size=k)
    p.add_deals(codes[:100], cls[:100], y[:100], np.zeros(100))
    p.add_deals(codes[100:], cls[100:], y[100:], rng.normal(size=k - 100))
    p._rebuild_comparables()
    ref = comparables.OnlineRidge(p.n_cols, 1.0)
    ref.update(comparables.one_hot(codes, p.levels), p.corrected(cls, y))
    np.testing.assert_allclose(p.ridge.coef, ref.coef, rtol=1e-9, atol=1e-12)
    assert p.ridge.residual_var == pytest.approx(ref.residual_var, rel=1e-9)
