"""Price discovery against its yardstick: the oracle posterior with the true parameters.

Tolerances: the RMSE and coverage of 1e5 achievements have Monte Carlo standard errors of
about 0.3 % and 0.001, far inside the bands of the issue (RMSE <= 1.05 x oracle, coverage
in [0.88, 0.92]); the bands are the specification, the standard errors are checked to be
small enough for them to be meaningful.
"""

import numpy as np
import pytest

from auction_sim.experiments.pricing import run_point
from auction_sim.scenario.pricing import PricingScenario


def scenario(**pricing):
    return PricingScenario.model_validate({"kind": "pricing", "pricing": pricing})


def coverage_band(m, n):
    """[0.88, 0.92], and the coverage standard error must be well inside it."""
    se = np.sqrt(0.9 * 0.1 / n)
    assert 4 * se < 0.02
    return 0.88 <= m <= 0.92


@pytest.fixture(scope="module")
def defaults():
    s = scenario(achievements=100_000)
    out = {}
    for est in ("joint", "mean_score", "median_quote"):
        s2 = s.model_copy(update={"pricing": s.pricing.model_copy(update={"estimator": est})})
        out[est] = run_point(s2, np.random.SeedSequence(20261126))
    return out


def test_joint_within_5_percent_of_oracle_with_calibrated_intervals(defaults):
    r = defaults["joint"]
    assert r["rmse_log"] <= 1.05 * r["oracle_rmse_log"], r
    assert coverage_band(r["coverage90"], 98_000), r
    assert abs(r["bias_log"]) < 4 * r["rmse_log"] / np.sqrt(98_000) + 0.01, r
    assert abs(r["shading_hat"] - 0.15) < 0.01, r
    assert coverage_band(r["oracle_coverage90"], 98_000), r


def test_joint_beats_both_baselines(defaults):
    j = defaults["joint"]["rmse_log"]
    assert j < 0.8 * defaults["mean_score"]["rmse_log"]
    assert j < 0.8 * defaults["median_quote"]["rmse_log"]
    # the comparable-deal model built on the joint estimate is the best of the three too
    c = {k: v["comparables_rmse_log"] for k, v in defaults.items()}
    assert c["joint"] < min(c["mean_score"], c["median_quote"])


@pytest.mark.parametrize(
    "panel,shading,same",
    [(1, 0.15, 0.6), (3, 0.0, 0.6), (9, 0.15, 0.3), (5, 0.5, 0.6), (5, 0.9, 1.0), (2, 0.3, 0.0)],
)
def test_coverage_at_other_panel_sizes_and_shading(panel, shading, same):
    n = 30_000
    s = scenario(achievements=n, reviewers=600, panel=panel, shading=shading,
                 same_field_share=same, deal_share=0.05)  # fmt: skip
    r = run_point(s, np.random.SeedSequence([panel, int(shading * 100)]))
    assert coverage_band(r["coverage90"], n - 1500), r
    assert r["rmse_log"] <= 1.05 * r["oracle_rmse_log"], r
    assert abs(r["shading_hat"] - shading) < 0.02, r


def test_without_quotes():
    """No quotes: coverage still holds with two reviews each; with one review and no quote
    the split between prior and review noise is not identified: finite, not calibrated."""
    s = scenario(achievements=20_000, reviewers=200, panel=2, inquiries=0, deal_share=0.05)
    r = run_point(s, np.random.SeedSequence(1))
    assert coverage_band(r["coverage90"], 19_000), r
    assert r["rmse_log"] <= 1.05 * r["oracle_rmse_log"], r
    s = scenario(achievements=5000, reviewers=40, panel=1, inquiries=0, deal_share=0.04)
    r = run_point(s, np.random.SeedSequence(1))
    assert all(np.isfinite(v) for k, v in r.items() if k != "shading_hat"), r
