"""check_mechanism over every format, strategy and value model of the auction laboratory."""

import numpy as np
import pytest

from auction_sim.experiments.auction import METRICS, run_point
from auction_sim.mechanisms.auctions import DESCRIPTORS, AuctionRules, check_mechanism
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict

FORMATS = ["first_price", "second_price", "english", "dutch", "timed_hard", "timed_soft"]
STRATEGIES = ["truthful", "equilibrium", "shade", "zi", "adaptive", "sniper"]


def scenario(fmt, strategy, **extra):
    auction = {"format": fmt, "bidders": 4, "auctions": 800, "reserve": 0.2, **extra}
    if fmt.startswith("timed"):
        auction.update(format="english", duration=7.0, soft_close=fmt == "timed_soft")
    raw = {"kind": "auction", "auction": auction, "strategy": {"kind": strategy}}
    return scenario_from_dict(raw).model


CASES = [
    (f, s)
    for f in FORMATS
    for s in STRATEGIES
    if not (s == "sniper" and not f.startswith("timed"))
    and not (s == "adaptive" and f.startswith("timed"))
]


@pytest.mark.parametrize("fmt,strategy", CASES)
def test_check_mechanism(fmt, strategy):
    s = scenario(fmt, strategy)
    out = check_mechanism(s, seed=3, auctions=800)
    assert (out.winner >= 0).any()
    m = run_point(s, task_seed(5, {}, 0))
    assert tuple(m) == METRICS and all(isinstance(x, float) for x in m.values())
    np.testing.assert_equal(m, run_point(s, task_seed(5, {}, 0)))  # NaN equals NaN here
    assert m["revenue"] != run_point(s, task_seed(5, {}, 1))["revenue"]
    timed = fmt.startswith("timed")
    assert np.isnan(m["late_bid_share"]) != timed and np.isnan(m["extensions"]) != timed
    if fmt == "timed_hard":
        assert m["extensions"] == 0.0


@pytest.mark.parametrize("model", ["common", "affiliated"])
@pytest.mark.parametrize("fmt", ["first_price", "english", "timed_soft"])
@pytest.mark.parametrize("strategy", ["truthful", "shade", "zi"])
def test_check_mechanism_value_models(model, fmt, strategy):
    s = scenario(fmt, strategy, value_model=model, common_share=0.6)
    check_mechanism(s, seed=4, auctions=500)


def test_equilibrium_with_affiliated_values_in_second_price_and_non_uniform_values():
    check_mechanism(scenario("second_price", "equilibrium", value_model="affiliated"))
    dist = {"dist": "exponential", "scale": 1.0}
    for fmt in ("first_price", "dutch", "english"):
        check_mechanism(scenario(fmt, "equilibrium", values=dist), auctions=500)


def test_descriptors_cover_every_format():
    assert set(DESCRIPTORS) == {"first_price", "second_price", "english", "dutch"}
    assert AuctionRules(format="english", duration=1.0).timed
    assert AuctionRules(format="english").descriptor["moves"].startswith("open ascending")


def test_a_broken_mechanism_is_caught(monkeypatch):
    """The check is not vacuous: a rule that overcharges the winner fails it."""
    import auction_sim.mechanisms.auctions as mod

    real = mod.AuctionRules.clear

    def overcharge(self, bids, tie_u):
        winner, price = real(self, bids, tie_u)
        return winner, np.where(winner >= 0, price + 10.0, 0.0)

    monkeypatch.setattr(mod.AuctionRules, "clear", overcharge)
    with pytest.raises(AssertionError, match="payment above"):
        check_mechanism(scenario("second_price", "truthful"))
