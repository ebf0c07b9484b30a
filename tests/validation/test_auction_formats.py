"""Auction theory across formats, value models and behaviours (tolerances from standard errors).

* revenue equivalence of first price, second price, English and Dutch in equilibrium
  (uniform values, n = 2, 3, 5, 10): (n-1)/(n+1), within 4 s.e. plus the clock increment;
* first price with a reserve against Myerson's closed form (numeric equilibrium path),
  and first = second price for exponential values with a reserve;
* Dutch = first price and English = second price, outcome by outcome and in distribution;
* the winner's curse of naive bidders under common values;
* adaptive bidders approach the equilibrium shading 1/n in first price;
* snipers cost the seller revenue under a hard close and not under a soft close.
"""

import numpy as np
import pytest
from scipy import stats

from auction_sim.experiments.auction import run_point
from auction_sim.mechanisms.auctions import AuctionLab
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict


def make(strategy="equilibrium", **auction):
    raw = {"kind": "auction", "auction": auction, "strategy": {"kind": strategy}}
    if isinstance(strategy, dict):
        raw["strategy"] = strategy
    return scenario_from_dict(raw).model


def replicate(s, reps, seed=11, params=None):
    """Mean and standard error of every metric over ``reps`` replications."""
    rows = [run_point(s, task_seed(seed, params or {}, r)) for r in range(reps)]
    out = {}
    for k in rows[0]:
        x = np.array([row[k] for row in rows])
        out[k] = (x.mean(), x.std(ddof=1) / np.sqrt(reps))
    return out


INC = 0.001


@pytest.mark.parametrize("n", [2, 3, 5, 10])
@pytest.mark.parametrize("fmt", ["first_price", "second_price", "english", "dutch"])
def test_revenue_equivalence_in_equilibrium(fmt, n):
    s = make(format=fmt, bidders=n, auctions=3000, increment=INC)
    mean, se = replicate(s, 12, params={"f": fmt, "n": n})["revenue"]
    assert abs(mean - (n - 1) / (n + 1)) <= 4 * se + INC, (mean, se)


@pytest.mark.parametrize("n,r", [(2, 0.5), (3, 0.3), (5, 0.6)])
def test_first_price_with_a_reserve_against_the_closed_form(n, r):
    s = make(format="first_price", bidders=n, auctions=4000, reserve=r)
    m = replicate(s, 12, params={"n": n, "r": r})
    theory = (n - 1) / (n + 1) + r**n - 2 * n * r ** (n + 1) / (n + 1)
    mean, se = m["revenue"]
    assert abs(mean - theory) <= 4 * se, (mean, se, theory)
    mean, se = m["sale_rate"]
    assert abs(mean - (1 - r**n)) <= 4 * se


def test_first_equals_second_price_for_exponential_values_with_a_reserve():
    """Both formats have the same expected revenue for any distribution (numeric equilibrium)."""
    values = {"dist": "exponential", "scale": 1.0}
    res = {}
    for fmt in ("first_price", "second_price"):
        s = make(format=fmt, bidders=3, auctions=4000, reserve=0.5, values=values)
        res[fmt] = replicate(s, 12, params={"f": fmt})["revenue"]
    (a, sa), (b, sb) = res["first_price"], res["second_price"]
    assert abs(a - b) <= 4 * np.hypot(sa, sb), res


def coupled(fmt_a, fmt_b, inc, n=4, m=20000, **kw):
    """Outcomes of two formats on the same values and tie uniforms (same seed)."""
    out = []
    for fmt in (fmt_a, fmt_b):
        s = make(format=fmt, bidders=n, auctions=m, increment=inc, **kw)
        out.append(AuctionLab(s, task_seed(2, {}, 0)).batch(m))
    return out


def test_dutch_outcome_is_the_first_price_outcome():
    inc = 0.005
    fp, du = coupled("first_price", "dutch", inc, reserve=0.1)
    np.testing.assert_array_equal(fp.values, du.values)
    assert (fp.winner == du.winner).mean() > 0.99  # differ only on ties at one tick
    gap = fp.price - du.price
    assert (gap >= -1e-12).all() and (gap < inc + 1e-12).all()  # rounded down to the grid
    # same distribution: independent samples, a small increment
    a = make(format="first_price", bidders=4, auctions=6000)
    b = make(format="dutch", bidders=4, auctions=6000, increment=1e-4)
    pa = AuctionLab(a, task_seed(3, {}, 0)).batch(6000).price
    pb = AuctionLab(b, task_seed(4, {}, 0)).batch(6000).price
    assert stats.ks_2samp(pa, pb).pvalue > 1e-3


def test_english_revenue_is_second_price_within_the_increment():
    for inc in (0.01, 0.002):
        sp, en = coupled("second_price", "english", inc, reserve=0.2)
        assert (sp.winner == en.winner).mean() > 0.98
        assert (np.abs(en.price - sp.price) <= inc + 1e-12).all()
        bias = en.price.mean() - sp.price.mean()
        assert 0 <= bias <= inc


def test_winner_curse_under_common_values():
    # naive truthful bidders bid their unbiased signals: the winner overpays on average
    s = make("truthful", format="first_price", bidders=5, auctions=3000,
             value_model="common", common_share=0.5)  # fmt: skip
    mean, se = replicate(s, 10)["winner_curse"]
    assert mean - 4 * se > 0.05
    # with exact signals (common_share = 1) there is no curse; efficiency uses true values
    s = make("truthful", format="second_price", bidders=5, auctions=2000,
             value_model="common", common_share=1.0)  # fmt: skip
    m = run_point(s, task_seed(1, {}, 0))
    assert m["winner_curse"] == pytest.approx(0.0, abs=1e-12) and m["efficiency"] == 1.0


@pytest.mark.parametrize("n", [2, 4])
def test_adaptive_bidders_approach_equilibrium_shading(n):
    s = make({"kind": "adaptive", "arms": 21}, format="first_price", bidders=n, auctions=20000)
    out = AuctionLab(s, task_seed(8, {}, n)).batch(20000)
    late = out.shade[-5000:]
    assert abs(late.mean() - 1 / n) <= 0.05 + 1e-9, late.mean()  # one arm of the grid
    early = out.shade[:500]
    assert abs(early.mean() - 1 / n) > abs(late.mean() - 1 / n)  # it learned


def test_snipers_cost_revenue_under_hard_close_not_soft_close():
    reps, res = 8, {}
    for soft in (False, True):
        for share in (0.0, 0.5):
            s = make({"kind": "sniper", "sniper_share": share}, format="english", bidders=4,
                     auctions=1500, duration=7.0, soft_close=soft)  # fmt: skip
            res[soft, share] = replicate(s, reps, params={"soft": soft, "share": share})
    for soft in (False, True):
        (a, sa), (b, sb) = res[soft, 0.0]["revenue"], res[soft, 0.5]["revenue"]
        loss, se = a - b, np.hypot(sa, sb)
        if soft:
            assert loss < 3 * se, (loss, se)  # no significant loss
        else:
            assert loss > 4 * se, (loss, se)  # a significant loss
    assert res[True, 0.5]["extensions"][0] > 1.0 and res[False, 0.5]["extensions"][0] == 0.0
    assert res[False, 0.5]["late_bid_share"][0] > res[False, 0.0]["late_bid_share"][0]
