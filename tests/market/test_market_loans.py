"""IP-pledge loans (issue 16): pledging (by buyers, and by holders of unsold results) raises
pledge_volume; an upward bias injected into the lender's estimate raises loan_loss_rate, which
falls back without it, each by more than 3 paired standard errors (both arms on the same
seeds); with pledge_share = 0 no loan is made."""

import math

import numpy as np
import pytest
from market_small import assert_moves, scenario, seed

from auction_sim.experiments.market import run_point

R = 5  # replications per arm
PLEDGE = {"policy__pledge_share": 1.0}
BIASED = {**PLEDGE, "policy__pledge_bias_log": 1.5}

CASES = [
    # name, metric, sign, baseline overrides, treatment overrides
    ("pledges_raise_pledge_volume", "pledge_volume", +1, {"policy__pledge_share": 0.2}, PLEDGE),
    ("bias_raises_loan_loss_rate", "loan_loss_rate", +1, PLEDGE, BIASED),
    ("loan_loss_rate_falls_back_without_bias", "loan_loss_rate", -1, BIASED, PLEDGE),
    ("holders_pledging_unsold_raise_pledge_volume", "pledge_volume", +1,
     PLEDGE, {**PLEDGE, "policy__pledge_holders": True}),
]  # fmt: skip


@pytest.mark.parametrize("name,metric,sign,base,treat", CASES, ids=[c[0] for c in CASES])
def test_loans_move_metric(name, metric, sign, base, treat):
    a = np.array([run_point(scenario(**base), seed(r))[metric] for r in range(R)])
    b = np.array([run_point(scenario(**treat), seed(r))[metric] for r in range(R)])
    assert_moves(name, a, b, sign)


def test_loans_leave_trade_alone_and_are_off_by_default():
    off = run_point(scenario(), seed(0))
    on = run_point(scenario(**BIASED), seed(0))
    assert off["pledge_volume"] == 0.0 and math.isnan(off["loan_loss_rate"])
    assert on["deal_rate"] == off["deal_rate"] and on["volume"] == off["volume"]
