"""Conformance of negotiated pricing: individual rationality, money conserved, determinism.

Run over every protocol and tactic the bargaining kind offers.  Money is checked on two
paths: the buyer's payment is the mechanism's (the numba kernels), the seller's receipt is
recomputed by the naive twins (``tests/naive/bargaining.py``: the offers one negotiation at a
time, the subgame-perfect share in exact rational arithmetic, the k-double auction and the
Nash split in plain Python).
"""

import numpy as np
import pytest

from auction_sim.agents import negotiators
from auction_sim.experiments.bargaining import run_point
from auction_sim.mechanisms.negotiated import Negotiation
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict
from naive import bargaining as naive

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


def _receipt(mech, vb, vs):
    """What the seller receives (0 without agreement), on the naive path."""
    if mech.protocol == "nash":
        ok, price, _ = naive.split_surplus(vb, vs, mech.seller_power)
    elif mech.protocol == "k_double_auction":
        bids = mech.strategies.bid(vb) if mech.buyer_tactic == "equilibrium" else vb
        asks = mech.strategies.ask(vs) if mech.seller_tactic == "equilibrium" else vs
        ok, price, _ = naive.k_double_auction(bids, asks, mech.k)
    elif mech.buyer_tactic == "equilibrium":
        first = naive.SELLER if mech.first_mover == "seller" else naive.BUYER
        share = naive.spe_seller_share_exact(mech.rounds, first, mech.discount_buyer,
                                             mech.discount_seller)  # fmt: skip
        ok, price, _ = naive.split_surplus(vb, vs, float(share))
    else:
        e = (mech.boulware_e, mech.conceder_e)
        e_b = negotiators.tactic_exponent(mech.buyer_tactic, *e)
        e_s = negotiators.tactic_exponent(mech.seller_tactic, *e)
        if mech.information == "complete":
            open_b, open_s = vs, vb
        else:
            open_b, open_s = np.full(vb.size, mech.buyer_open), np.full(vb.size, mech.seller_open)
        first = naive.SELLER if mech.first_mover == "seller" else naive.BUYER
        ok, price, _ = naive.alternating_offers(vb, vs, open_b, open_s, mech.rounds, first, e_b,
                                                e_s)  # fmt: skip
    return np.where(ok, price, 0.0)


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
    # money is conserved: the buyer pays what the seller receives (each on its own path)
    receipt = _receipt(mech, vb, vs)
    np.testing.assert_allclose(out.payment, receipt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out.receipt, receipt, rtol=1e-9, atol=1e-12)
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
