"""Auction theory for the sealed formats: revenue equivalence, reserve revenue, efficiency.

Uniform values on [0, 1], n bidders; first price with equilibrium bids, second price
truthful.  Expected revenue without reserve is (n-1)/(n+1); with a reserve r it is
(n-1)/(n+1) + r**n - 2 n r**(n+1) / (n+1) for both formats (Myerson).  Tolerance:
4 standard errors of the replication means (seeded, so the check is deterministic).
"""

import numpy as np
import pytest

import auction_sim as asim
from auction_sim.scenario import scenario_from_dict


def run(fmt, n, reserve=0.0, reps=24, auctions=4000):
    raw = {
        "kind": "auction",
        "seed": 1234,
        "replications": reps,
        "auction": {"format": fmt, "bidders": n, "auctions": auctions, "reserve": reserve},
        "strategy": {"kind": "equilibrium"},
    }
    res = asim.run(scenario_from_dict(raw), backend="serial")
    return res.to_json_dict()["points"][0]["metrics"]


def revenue(n, r=0.0):
    return (n - 1) / (n + 1) + r**n - 2 * n * r ** (n + 1) / (n + 1)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
@pytest.mark.parametrize("fmt", ["first_price", "second_price"])
def test_revenue_equals_theory_without_reserve(fmt, n, theory):
    m = run(fmt, n)
    rev = m["revenue"]
    assert rev["n"] == 24
    where = f"{fmt}, n={n}, U[0,1] values"
    theory(f"revenue (n-1)/(n+1): {where}", (n - 1) / (n + 1), rev["mean"],
           4 * rev["stderr"], se=rev["stderr"])  # fmt: skip
    theory(f"efficiency 1: {where}", 1.0, m["efficiency"]["mean"], 1e-12)
    theory(f"sale rate 1: {where}", 1.0, m["sale_rate"]["mean"], 0.0)
    # bidders keep the rest of the highest value: E[max] - revenue = 1/(n+1)
    surplus = m["bidder_surplus"]
    theory(f"bidder surplus 1/(n+1): {where}", 1 / (n + 1), surplus["mean"],
           4 * surplus["stderr"] + 1e-12, se=surplus["stderr"])  # fmt: skip


@pytest.mark.parametrize("n", [2, 5])
@pytest.mark.parametrize("fmt", ["first_price", "second_price"])
def test_revenue_with_a_reserve(fmt, n, theory):
    r = 0.5
    m = run(fmt, n, reserve=r)
    rev = m["revenue"]
    where = f"{fmt}, n={n}, reserve {r}, U[0,1] values"
    theory(f"revenue with reserve (Myerson): {where}", revenue(n, r), rev["mean"],
           4 * rev["stderr"], se=rev["stderr"])  # fmt: skip
    sale = m["sale_rate"]
    theory(f"sale rate 1 - r^n: {where}", 1 - r**n, sale["mean"], 4 * sale["stderr"],
           se=sale["stderr"])  # fmt: skip


def test_first_price_equilibrium_bids_match_the_closed_form(theory):
    from auction_sim.agents.bidders import first_price_equilibrium_uniform
    from auction_sim.values import Uniform

    v = np.linspace(0.0, 1.0, 101)
    for n in (2, 3, 5, 10):
        for r in (0.0, 0.3):
            b = first_price_equilibrium_uniform(v, Uniform(), n, r)
            ok = v >= r
            with np.errstate(divide="ignore", invalid="ignore"):
                closed = (n - 1) * v / n + r**n / (n * v ** (n - 1))
            closed = np.where(v > 0, closed, 0.0)
            np.testing.assert_allclose(b[ok], closed[ok], atol=1e-12)
            err, tol = np.abs(b[ok] - closed[ok]).max(), 1e-12 + 1e-7 * closed[ok].max()
            theory(f"first-price equilibrium bid, max |b - closed form|: n={n}, reserve {r}",
                   0.0, err, tol)  # fmt: skip
            assert np.all(b[ok] <= v[ok] + 1e-15) and np.all(b[ok] >= r - 1e-15)
