"""Conformance of negotiated pricing: individual rationality, money conserved, determinism.

Run over every protocol and tactic the bargaining kind offers.
"""

import numpy as np
import pytest

from auction_sim.experiments.bargaining import run_point
from auction_sim.mechanisms.negotiated import Negotiation
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict

NORMAL = {"dist": "normal", "mean": 1.0, "sd": 0.5}
CASES = {
    "spe": {},
    "spe-buyer-first": {"first_mover": "buyer", "rounds": 3, "discount_buyer": 0.5},
    "tactics-complete": {"buyer_tactic": "boulware", "seller_tactic": "conceder"},
    "tactics-private": {
        "information": "private", "buyer_tactic": "linear", "seller_tactic": "boulware",
        "buyer_values": NORMAL, "seller_values": NORMAL, "rounds": 30,
    },
    "truthful-private": {
        "information": "private", "buyer_tactic": "truthful", "seller_tactic": "truthful"
    },
    "kda-equilibrium": {"protocol": "k_double_auction", "k": 0.3},
    "kda-truthful": {
        "protocol": "k_double_auction", "buyer_tactic": "truthful", "seller_tactic": "truthful",
        "buyer_values": NORMAL,
    },
    "kda-equilibrium-k": {
        "protocol": "k_double_auction", "k": 0.9,
        "buyer_values": {"dist": "uniform", "low": 2, "high": 3},
        "seller_values": {"dist": "uniform", "low": 2, "high": 3},
    },
    "nash": {"protocol": "nash", "seller_power": 0.8, "seller_values": NORMAL},
}  # fmt: skip


def section(case):
    raw = {"kind": "bargaining", "bargaining": {"negotiations": 3000, **CASES[case]}}
    return scenario_from_dict(raw).model


@pytest.mark.parametrize("case", CASES)
def test_conformance(case):
    s = section(case)
    rng = np.random.default_rng(0)
    b = s.bargaining
    vb = b.buyer_values.draw(rng, (3000,))
    vs = b.seller_values.draw(rng, (3000,))
    mech = Negotiation.from_section(b)
    out = mech.settle(vb, vs)
    ok = out.agreed
    assert ok.any()
    # no trade below the seller's value or above the buyer's value
    assert (out.price[ok] >= vs[ok]).all() and (out.price[ok] <= vb[ok]).all()
    assert np.isnan(out.price[~ok]).all() and (out.round[~ok] == -1).all()
    assert (out.round[ok] >= 0).all() and (out.round[ok] < b.rounds).all()
    # money is conserved: the buyer pays what the seller receives; gains add up
    np.testing.assert_array_equal(out.payment, out.receipt)
    assert (out.payment[~ok] == 0).all() and (out.buyer_gain[~ok] == 0).all()
    t = out.round[ok]
    total = out.buyer_gain[ok] / b.discount_buyer**t + out.seller_gain[ok] / b.discount_seller**t
    np.testing.assert_allclose(total, vb[ok] - vs[ok], atol=1e-12)
    # determinism: same seed, same numbers; another seed, other numbers
    a1 = run_point(s, task_seed(4, {}, 0))
    a2 = run_point(s, task_seed(4, {}, 0))
    a3 = run_point(s, task_seed(4, {}, 1))
    assert a1 == a2 and a1 != a3
    np.testing.assert_array_equal(mech.settle(vb, vs).price, out.price)
