"""The exempt compliance channel with a cost (issue 16): access raises exempt_share and
deal_rate, a dearer review lowers exempt_share, each by more than 3 paired standard errors
(both arms on the same seeds); with ``exemption = "coin"`` the model is the one before."""

import numpy as np
import pytest
from market_small import assert_moves, scenario, seed

from auction_sim.experiments.market import run_point

R = 5  # replications per arm
CHANNEL = {
    "policy__exemption": "channel",
    "policy__liability_markup": 0.6,
    "policy__use_first": False,
}

CASES = [
    # name, metric, sign, baseline overrides, treatment overrides
    ("access_raises_exempt_share", "exempt_share", +1,
     {"policy__exemption_share": 0.0}, {"policy__exemption_share": 1.0}),
    ("access_raises_deal_rate", "deal_rate", +1,
     {"policy__exemption_share": 0.0}, {"policy__exemption_share": 1.0}),
    ("dear_review_lowers_exempt_share", "exempt_share", -1,
     {"policy__exemption_share": 1.0, "policy__exemption_cost": 0.05},
     {"policy__exemption_share": 1.0, "policy__exemption_cost": 1.0}),
]  # fmt: skip


@pytest.mark.parametrize("name,metric,sign,base,treat", CASES, ids=[c[0] for c in CASES])
def test_channel_moves_metric(name, metric, sign, base, treat):
    a = np.array([run_point(scenario(**CHANNEL, **base), seed(r))[metric] for r in range(R)])
    b = np.array([run_point(scenario(**CHANNEL, **treat), seed(r))[metric] for r in range(R)])
    assert_moves(name, a, b, sign)


def test_channel_without_access_is_the_market_without_exemption():
    off = run_point(scenario(policy__liability_markup=0.6, policy__use_first=False), seed(0))
    ch = run_point(scenario(**CHANNEL, policy__exemption_share=0.0), seed(0))
    assert ch["deal_rate"] == off["deal_rate"] and ch["exemption_spent"] == 0.0
