"""Insurance with claims (issue 16): the premium subsidy moves insured_share, subsidy_paid,
claims_paid and deal_rate up and loss_ratio down, each by more than 3 paired standard errors
(common random numbers: both arms on the same seeds); with ``insurance = "flat"`` nothing
changes from the model before (every deal insured, no claim)."""

import numpy as np
import pytest
from market_small import assert_moves, scenario, seed

from auction_sim.experiments.market import run_point
from auction_sim.market.insurance import failure_probability

R = 5  # replications per arm
CLAIMS = {"policy__insurance": "claims", "buyers__adoption_risk": 0.3}
NONE = {**CLAIMS, "policy__insurance_subsidy": 0.0}
FULL = {**CLAIMS, "policy__insurance_subsidy": 0.8}


@pytest.fixture(scope="module")
def arms():
    a = [run_point(scenario(**NONE), seed(r)) for r in range(R)]
    b = [run_point(scenario(**FULL), seed(r)) for r in range(R)]
    return a, b


@pytest.mark.parametrize(
    "metric,sign",
    [("insured_share", +1), ("subsidy_paid", +1), ("claims_paid", +1), ("deal_rate", +1),
     ("loss_ratio", -1)],
)  # fmt: skip
def test_subsidy_moves_metric(arms, metric, sign):
    a = np.array([m[metric] for m in arms[0]])
    b = np.array([m[metric] for m in arms[1]])
    assert_moves(metric, a, b, sign)


def test_flat_insurance_insures_everything_and_pays_no_claim():
    m = run_point(scenario(), seed(0))
    assert m["insured_share"] == 1.0 and m["claims_paid"] == 0.0 and m["loss_ratio"] == 0.0


def test_failure_falls_with_readiness():
    p = failure_probability(scenario(**CLAIMS), np.arange(1, 10))
    assert np.all(np.diff(p) < 0) and p[4] == pytest.approx(0.3) and p.max() <= 0.95
