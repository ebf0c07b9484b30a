"""Proof of concept (issue 16): the centres raise poc_share and, by raising readiness and so
value, the volume traded, each by more than 3 paired standard errors (both arms on the same
seeds; no registration delay, so the same results register).  Its effect on deal_rate is
measured (printed), not asserted: prices follow values, so with budgets binding the dearer
results sell a little less often (docs in market/poc.py); with ``poc_share = 0`` nothing moves.
"""

import math

import numpy as np
import pytest
from market_small import scenario, seed

from auction_sim.experiments.market import run_point

R = 16  # replications per arm (8 left the volume effect at 2 se on some seeds)
NO_DELAY = {"policy__poc_days": 0.0}


@pytest.fixture(scope="module")
def arms():
    a = [run_point(scenario(**NO_DELAY), seed(r)) for r in range(R)]
    b = [run_point(scenario(**NO_DELAY, policy__poc_share=0.5), seed(r)) for r in range(R)]
    return a, b


def _paired(arms, metric):
    a = np.array([m[metric] for m in arms[0]])
    b = np.array([m[metric] for m in arms[1]])
    d = b - a
    se = d.std(ddof=1) / math.sqrt(R)
    print(f"{metric}: {a.mean():.4f} -> {b.mean():.4f}, diff {d.mean():.4f}, se {se:.4f}")
    return d.mean(), se


@pytest.mark.parametrize("metric", ["poc_share", "volume", "poc_spent"])
def test_poc_raises_metric(arms, metric):
    diff, se = _paired(arms, metric)
    assert diff > 3 * se


def test_poc_effect_on_deal_rate_is_reported(arms):
    diff, se = _paired(arms, "deal_rate")
    assert math.isfinite(diff) and math.isfinite(se)


def test_poc_off_draws_nothing():
    m = run_point(scenario(), seed(0))
    assert m["poc_share"] == 0.0 and m["poc_spent"] == 0.0
