"""Registration compliance (issue 16): non-compliance lowers registered_on_time and the deals
within the horizon, audits raise the results registered, each by more than 3 paired standard
errors (both arms on the same seeds); with full compliance the model is the one before."""

import numpy as np
import pytest
from market_small import assert_moves, scenario, seed

from auction_sim.experiments.market import run_point

R = 5  # replications per arm
LONG = {"market__horizon_days": 300.0}
HALF = {**LONG, "policy__registration_compliance": 0.5}

CASES = [
    # name, metric, sign, baseline overrides, treatment overrides
    ("late_lowers_registered_on_time", "registered_on_time", -1, LONG, HALF),
    ("late_lowers_deals", "deals", -1, LONG, HALF),
    ("audits_raise_registered", "registered", +1,
     HALF, {**HALF, "policy__registration_audit_days": 60.0}),
]  # fmt: skip


@pytest.mark.parametrize("name,metric,sign,base,treat", CASES, ids=[c[0] for c in CASES])
def test_registration_moves_metric(name, metric, sign, base, treat):
    a = np.array([run_point(scenario(**base), seed(r))[metric] for r in range(R)])
    b = np.array([run_point(scenario(**treat), seed(r))[metric] for r in range(R)])
    assert_moves(name, a, b, sign)


def test_full_compliance_registers_on_time():
    assert run_point(scenario(), seed(0))["registered_on_time"] == 1.0
