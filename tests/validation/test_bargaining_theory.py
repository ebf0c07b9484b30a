"""Bargaining against theory: Rubinstein, backward induction, FSJ, Chatterjee-Samuelson, Nash.

Monte Carlo tolerances are 4 standard errors computed from the sample in the test.
"""

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from auction_sim.agents.negotiators import chatterjee_samuelson
from auction_sim.experiments.bargaining import run_point
from auction_sim.mechanisms.negotiated import Negotiation
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict


def scenario(**bargaining):
    return scenario_from_dict({"kind": "bargaining", "bargaining": bargaining}).model


def run(seed=1, rep=0, **bargaining):
    return run_point(scenario(**bargaining), task_seed(seed, {}, rep))


@pytest.mark.parametrize("d_b, d_s", [(0.9, 0.8), (0.95, 0.6)])
def test_rubinstein_limit(d_b, d_s, theory):
    limit = (1 - d_b) / (1 - d_s * d_b)
    common = dict(negotiations=2000, discount_buyer=d_b, discount_seller=d_s)
    gaps = []
    for rounds in (4, 10, 30, 400):
        m = run(rounds=rounds, first_mover="seller", **common)
        gaps.append(abs(m["seller_share"] - limit))
        assert m["rounds"] == 1.0  # immediate agreement
        assert m["gains_ratio"] == pytest.approx(1.0, abs=1e-12)
    assert gaps[-1] < 1e-9 and gaps == sorted(gaps, reverse=True)
    where = f"d_b={d_b}, d_s={d_s}, 400 rounds"
    theory(f"Rubinstein seller share (1-d_b)/(1-d_s d_b), seller first: {where}", limit,
           m["seller_share"], 1e-9)  # fmt: skip
    # the buyer moving first: the seller gets d_s (1 - d_b) / (1 - d_s d_b)
    m = run(rounds=400, first_mover="buyer", **common)
    theory(f"Rubinstein seller share d_s(1-d_b)/(1-d_s d_b), buyer first: {where}",
           d_s * (1 - d_b) / (1 - d_s * d_b), m["seller_share"], 1e-9)  # fmt: skip


@pytest.mark.parametrize("first", ["seller", "buyer"])
def test_finite_horizon_share_is_backward_induction(first, theory):
    d_b, d_s = 0.9, 0.7
    # written out by hand for the first proposer P (discount d_P) and responder R (d_R)
    d_p, d_r = (d_s, d_b) if first == "seller" else (d_b, d_s)
    proposer = {1: 1.0, 2: 1 - d_r, 3: 1 - d_r * (1 - d_p), 4: 1 - d_r * (1 - d_p * (1 - d_r))}
    for rounds, x in proposer.items():
        m = run(rounds=rounds, first_mover=first, negotiations=500, discount_buyer=d_b,
                discount_seller=d_s)  # fmt: skip
        want = x if first == "seller" else 1 - x
        theory(f"backward-induction seller share: {first} first, {rounds} rounds, d_b=0.9,"
               " d_s=0.7", want, m["seller_share"], 1e-12)  # fmt: skip


def _private(seller_tactic, buyer_tactic, rounds=20, n=20000, reps=4):
    ms = [
        run(rep=r, information="private", seller_tactic=seller_tactic, buyer_tactic=buyer_tactic,
            rounds=rounds, negotiations=n)
        for r in range(reps)
    ]  # fmt: skip
    return ms


def _mean_se(ms, key):
    x = np.array([m[key] for m in ms])
    return x.mean(), x.std(ddof=1) / math.sqrt(len(x))


def test_boulware_beats_conceder(theory):
    s_mean, s_se = _mean_se(_private("boulware", "conceder"), "seller_share")
    theory("FSJ boulware seller vs conceder buyer: seller share > 1/2 (private values)", 0.5,
           s_mean, 4 * s_se, se=s_se, kind=">")  # fmt: skip
    b_mean, b_se = _mean_se(_private("conceder", "boulware"), "seller_share")
    theory("FSJ conceder seller vs boulware buyer: seller share < 1/2 (private values)", 0.5,
           b_mean, 4 * b_se, se=b_se, kind="<")  # fmt: skip
    # linear against linear sits in between
    l_mean, _ = _mean_se(_private("linear", "linear", reps=2), "seller_share")
    assert b_mean < l_mean < s_mean


@pytest.mark.parametrize("tactic", ["linear", "boulware", "conceder"])
def test_tighter_deadlines_lower_agreement(tactic, theory):
    # the same pairs under each deadline: paired differences and their standard error
    rng = np.random.default_rng(5)
    vb, vs = rng.random(20_000), rng.random(20_000)
    agreed = []
    for rounds in (2, 6, 40):
        section = scenario(information="private", seller_tactic=tactic, buyer_tactic=tactic,
                           rounds=rounds).bargaining  # fmt: skip
        agreed.append(Negotiation.from_section(section).settle(vb, vs).agreed.astype(float))
    for (r_short, short), (r_long, long) in itertools.pairwise(zip((2, 6, 40), agreed,
                                                                   strict=True)):  # fmt: skip
        d = long - short
        se = d.std(ddof=1) / math.sqrt(d.size)
        theory(f"FSJ {tactic} pairs: agreement rate rises from {r_short} to {r_long} rounds",
               0.0, d.mean(), 4 * se, se=se, kind=">")  # fmt: skip


def test_k_double_auction_trade_iff_gap_of_a_quarter_on_every_draw(theory):
    rng = np.random.default_rng(11)
    for low, high in ((0.0, 1.0), (2.0, 5.0)):
        vb = rng.uniform(low, high, 200_000)
        vs = rng.uniform(low, high, 200_000)
        section = scenario(protocol="k_double_auction", buyer_tactic="equilibrium",
                           seller_tactic="equilibrium", buyer_values={"dist": "uniform",
                           "low": low, "high": high}, seller_values={"dist": "uniform",
                           "low": low, "high": high}).bargaining  # fmt: skip
        out = Negotiation.from_section(section).settle(vb, vs)
        np.testing.assert_array_equal(out.agreed, vb >= vs + (high - low) / 4)
        theory(f"k double auction (k=1/2): trade iff v_b >= v_s + width/4, draws disagreeing,"
               f" U[{low:g},{high:g}]", 0, (out.agreed != (vb >= vs + (high - low) / 4)).sum(),
               0)  # fmt: skip


def test_k_double_auction_equilibrium_closed_form_and_best_replies(theory):
    s = chatterjee_samuelson(0.5)
    v = np.linspace(0, 1, 11)
    np.testing.assert_allclose(s.bid(v), 2 * v / 3 + 1 / 12, atol=1e-15)
    np.testing.assert_allclose(s.ask(v), 2 * v / 3 + 1 / 4, atol=1e-15)
    # every k: each side's strategy is a best reply to the other's (numerical optimum)
    for k in (0.0, 0.25, 0.5, 0.8, 1.0):
        s = chatterjee_samuelson(k)
        a_lo, a_hi = s.ask_a, s.ask_a + s.ask_b  # asks uniform on [a_lo, a_hi]
        b_lo, b_hi = s.bid_a, s.bid_a + s.bid_b

        def buyer_payoff(b, v, k=k, a_lo=a_lo, a_hi=a_hi):
            top = min(max(b, a_lo), a_hi)  # trades with asks in [a_lo, top]
            return ((v - k * b) * (top - a_lo) - (1 - k) * (top**2 - a_lo**2) / 2) / (a_hi - a_lo)

        def seller_payoff(a, c, k=k, b_lo=b_lo, b_hi=b_hi):
            bot = min(max(a, b_lo), b_hi)  # trades with bids in [bot, b_hi]
            return (k * (b_hi**2 - bot**2) / 2 + ((1 - k) * a - c) * (b_hi - bot)) / (b_hi - b_lo)

        gaps = []
        for v in (0.6, 0.8, 0.95):
            best = minimize_scalar(lambda b, v=v: -buyer_payoff(b, v), bounds=(0, 1),
                                   method="bounded", options={"xatol": 1e-10})  # fmt: skip
            gaps.append(abs(-best.fun - buyer_payoff(s.bid(v), v)))
        theory(f"Chatterjee-Samuelson buyer strategy is a best reply, max payoff gap: k={k}",
               0.0, max(gaps), 1e-9)  # fmt: skip
        gaps = []
        for c in (0.05, 0.2, 0.4):
            best = minimize_scalar(lambda a, c=c: -seller_payoff(a, c), bounds=(0, 1),
                                   method="bounded", options={"xatol": 1e-10})  # fmt: skip
            gaps.append(abs(-best.fun - seller_payoff(s.ask(c), c)))
        theory(f"Chatterjee-Samuelson seller strategy is a best reply, max payoff gap: k={k}",
               0.0, max(gaps), 1e-9)  # fmt: skip


def test_k_double_auction_trade_probability_and_efficiency(theory):
    n = 50_000
    m = run(protocol="k_double_auction", negotiations=n)
    p = 9 / 32  # P(v >= c + 1/4)
    se = math.sqrt(p * (1 - p) / n)
    assert abs(m["agreement_rate"] - p) < 4 * se
    theory("k double auction (k=1/2) trade probability 9/32, U[0,1] values", p,
           m["agreement_rate"], 4 * se, se=se)  # fmt: skip
    truthful = run(protocol="k_double_auction", negotiations=n, buyer_tactic="truthful",
                   seller_tactic="truthful")  # fmt: skip
    theory("k double auction, truthful sides: gains ratio 1", 1.0, truthful["gains_ratio"], 0.0)
    theory("k double auction, equilibrium: gains ratio < 0.9", 0.9, m["gains_ratio"], 0.0,
           kind="<")  # fmt: skip


@pytest.mark.parametrize("power", [0.0, 0.3, 0.5, 1.0])
def test_nash_solution_closed_form(power, theory):
    n = 20_000
    m = run(protocol="nash", seller_power=power, negotiations=n)
    theory(f"Nash bargaining seller share = power: power={power}", power, m["seller_share"],
           1e-12)  # fmt: skip
    se = math.sqrt(0.25 / n)
    assert abs(m["agreement_rate"] - 0.5) < 4 * se
    theory(f"Nash bargaining agreement rate 1/2 (U[0,1] values): power={power}", 0.5,
           m["agreement_rate"], 4 * se, se=se)  # fmt: skip
    theory(f"Nash bargaining gains ratio 1: power={power}", 1.0, m["gains_ratio"], 1e-12)
    # the price maximises the Nash product (p - v_s)**a (v_b - p)**(1 - a)
    mech = Negotiation(protocol="nash", seller_power=power)
    vb, vs = np.array([0.9, 0.7]), np.array([0.1, 0.5])
    prices = mech.settle(vb, vs).price
    for p, b, s in zip(prices, vb, vs, strict=True):
        if 0 < power < 1:
            best = minimize_scalar(
                lambda x, b=b, s=s: -(power * math.log(x - s) + (1 - power) * math.log(b - x)),
                bounds=(s + 1e-12, b - 1e-12), method="bounded", options={"xatol": 1e-12},
            )  # fmt: skip
            assert p == pytest.approx(best.x, abs=1e-6)
        assert p == pytest.approx(s + power * (b - s), abs=1e-15)
