"""Each policy lever moves its metric in the expected direction, by more than 3 standard errors.

Both arms of a comparison run on the same seeds (common random numbers: the same
achievements, firms and visits), so the standard error is that of the paired
differences, computed here from the replications.
"""

import numpy as np
import pytest
from market_small import assert_moves, scenario, seed

from auction_sim.experiments.market import run_point

R = 4  # replications per arm

SMALLER = {
    "market__horizon_days": 100.0,
    "market__achievement_rate": 4.0,
    "market__buyer_rate": 16.0,
    "buyers__firms": 150,
}
USE_FIRST = {
    **SMALLER,
    "market__horizon_days": 200.0,
    "market__achievement_rate": 3.0,
    "market__buyer_rate": 12.0,
    "achievements__grant_lag_days": 40.0,
    "policy__forced_listing_days": 60.0,
    "policy__free_license_days": 150.0,
    "policy__conversion_window_days": 120.0,
}

LEVERS = [
    # name, metric, sign, baseline overrides, treatment overrides
    ("markup_lowers_deal_rate", "deal_rate", -1,
     {"policy__liability_markup": 0.0}, {"policy__liability_markup": 0.6}),
    ("exemption_restores_deal_rate", "deal_rate", +1,
     {"policy__liability_markup": 0.6}, {"policy__liability_markup": 0.6,
                                         "policy__exemption_share": 1.0}),
    ("brokers_raise_deal_rate", "deal_rate", +1,
     {"policy__broker_share": 0.0}, {"policy__broker_share": 1.0, "policy__broker_boost": 3.0}),
    ("insurance_subsidy_raises_deal_rate", "deal_rate", +1,
     {"policy__insurance_subsidy": 0.0, "buyers__adoption_risk": 0.5},
     {"policy__insurance_subsidy": 0.9, "buyers__adoption_risk": 0.5}),
    ("use_first_raises_converted_2y", "converted_2y", +1,
     {**USE_FIRST, "policy__use_first": False}, {**USE_FIRST, "policy__use_first": True}),
]  # fmt: skip


@pytest.mark.parametrize("name,metric,sign,base,treat", LEVERS, ids=[x[0] for x in LEVERS])
def test_lever_moves_metric(name, metric, sign, base, treat):
    a = np.array([run_point(scenario(**{**SMALLER, **base}), seed(r))[metric] for r in range(R)])
    b = np.array([run_point(scenario(**{**SMALLER, **treat}), seed(r))[metric] for r in range(R)])
    assert_moves(name, a, b, sign)


def test_exemption_restores_the_deal_rate_without_markup():
    # with every public trade exempt, the markup has no effect at all (same seeds, same runs)
    none = run_point(scenario(**SMALLER, policy__liability_markup=0.0), seed(0))
    exempt = run_point(
        scenario(**SMALLER, policy__liability_markup=0.6, policy__exemption_share=1.0), seed(0)
    )
    assert exempt["deal_rate"] == none["deal_rate"]
