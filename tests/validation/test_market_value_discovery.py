"""Price discovery inside the market, measured against the true θ the simulator knows.

The province defaults (``scenarios/province_baseline.toml``) scaled down to a market with
the same structure (12 fields, the same holder mix, reviewers, panels, inquiries, buyers'
fits and mechanisms) but about a fifth of the arrivals, visits, firms and reviewers, over
three years, so the suite stays short; the full-size figures (55 arrivals and 220 visits
a day, 3000 firms, 1500 reviewers) are in ``docs/validation.md`` with their command.
Errors are taken when each item is priced for a trade.  Standard errors treat the pricings
as independent (they share the estimated parameters of their run, which the replications
vary).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from auction_sim.experiments.market import metrics_of
from auction_sim.market.sim import simulate
from auction_sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]

SMALL_PROVINCE = [
    "market.achievement_rate=12.0",
    "market.buyer_rate=48.0",
    "buyers.firms=650",
    "pricing.reviewers=330",
]
"""The province defaults at about 1/4.5 of the arrivals, visits, firms and reviewers."""


def _scenario(*sets: str):
    path = ROOT / "scenarios" / "province_baseline.toml"
    return load_scenario(path, [*SMALL_PROVINCE, *sets]).model


def _run(seed: int, *sets: str):
    run = simulate(_scenario(*sets), np.random.SeedSequence(seed))
    return run, metrics_of(run)


def _quarters(rows: np.ndarray, horizon: float):
    month_days = 365.25 / 12
    n_m = max(1, math.ceil(horizon / month_days))
    q = max(1, n_m // 4)
    day, err = rows[:, 0], rows[:, 1]
    return err[day < q * month_days], err[day >= (n_m - q) * month_days]


def _rmse_se(e: np.ndarray) -> tuple[float, float]:
    """RMSE and its standard error (delta method on the mean square)."""
    ms = float(np.mean(e * e))
    se_ms = float(np.std(e * e, ddof=1) / math.sqrt(e.size))
    r = math.sqrt(ms)
    return r, se_ms / (2 * r)


@pytest.fixture(scope="module")
def three_years():
    """Two replications of the scaled province over three years: pooled pricing errors."""
    first, last, o_last = [], [], []
    metrics = []
    for seed in (1, 2):
        run, m = _run(seed, "market.horizon_days=1095")
        sim = run.sim
        f, la = _quarters(sim.value_errors(), sim.horizon)
        first.append(f)
        last.append(la)
        o_last.append(_quarters(sim.value_errors(oracle=True), sim.horizon)[1])
        metrics.append(m)
    return np.concatenate(first), np.concatenate(last), np.concatenate(o_last), metrics


@pytest.mark.slow
def test_value_is_unbiased_and_learned(theory, three_years):
    first, last, _, metrics = three_years
    bias = float(last.mean())
    # the level is anchored by the reviews: each run's pool of reviewers moves it by its mean
    # bias (sd bias_sd / sqrt(reviewers)), a common error of all its pricings
    pr = _scenario().pricing
    pool = pr.bias_sd / math.sqrt(pr.reviewers * len(metrics))
    se_b = math.hypot(float(last.std(ddof=1) / math.sqrt(last.size)), pool)
    theory("market value_bias_last: |bias| <= 0.05 (scaled province, 3 years)", 0.0, bias,
           0.05, "log", se_b)  # fmt: skip
    for m in metrics:  # and in each replication
        assert abs(m["value_bias_last"]) <= 0.05
    r1, s1 = _rmse_se(first)
    r2, s2 = _rmse_se(last)
    se = math.hypot(s1, s2)
    theory("market value_error_last < value_error_first by > 3 s.e. (scaled province, 3 years)",
           r1, r2, 3 * se, "log", se, kind="<")  # fmt: skip


@pytest.mark.slow
def test_platform_within_10_percent_of_the_in_market_oracle(theory, three_years):
    _, last, o_last, metrics = three_years
    r, _ = _rmse_se(last)
    ro, _ = _rmse_se(o_last)
    theory("market value_error_last <= 1.10 x oracle_value_error_last (scaled province, 3 years)",
           1.10 * ro, r, 0.0, "log", kind="<=")  # fmt: skip
    for m in metrics:
        assert m["value_error_last"] <= 1.10 * m["oracle_value_error_last"]


ESTIMATORS = ("joint", "reviews_only", "quotes_only", "comparables_only", "mean_score",
              "median_quote")  # fmt: skip


@pytest.fixture(scope="module")
def by_estimator():
    """value_error_last of each estimator on the same market (one year, same seed)."""
    out = {}
    for est in ESTIMATORS:
        run, m = _run(7, "market.horizon_days=365", f"pricing.estimator='{est}'")
        _, last = _quarters(run.sim.value_errors(), run.sim.horizon)
        out[est] = (_rmse_se(last), m)
    return out


@pytest.mark.slow
def test_each_estimator_is_wired_and_joint_is_best(theory, by_estimator):
    (rj, sj), mj = by_estimator["joint"]
    oracle = mj["oracle_value_error_last"]
    for est in ESTIMATORS[1:]:
        (r, s), m = by_estimator[est]
        se = math.hypot(sj, s)
        theory(f"market joint value_error_last < {est} (scaled province, 1 year)", r, rj,
               3 * se, "log", se, kind="<")  # fmt: skip
        # sensible: no better than the oracle, better than knowing nothing (sd of theta ~0.8)
        assert oracle * 0.95 <= r < 1.0, (est, r)
    errors = [by_estimator[e][0][0] for e in ESTIMATORS]
    assert len(set(np.round(errors, 6))) == len(ESTIMATORS)  # each choice does something
