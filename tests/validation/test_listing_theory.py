"""Listing against theory: Poisson thinning of buyer arrivals.

With ``first_come`` and no relists, buyers arrive as a Poisson process of rate
``lambda`` for ``T`` days and each is willing (value >= price) with probability ``q``;
willing buyers form a thinned Poisson process of mean ``mu = lambda T q``, so the sale
probability is ``1 - exp(-mu)``.  Under ``auction`` the sale probability is the same and
the share that goes to competitive bidding is ``P(N >= 2) = 1 - exp(-mu) (1 + mu)``.
Tolerances are 4 binomial standard errors.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from auction_sim.experiments.listing import run_point
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict

N = 40_000


def run(**listing):
    s = scenario_from_dict({"kind": "listing", "listing": listing}).model
    return run_point(s, task_seed(3, {}, 0))


def close(theory, name, found, want, n=N):
    se = math.sqrt(want * (1 - want) / n)
    assert abs(found - want) < 4 * se, (found, want)
    theory(name, want, found, 4 * se, se=se)


@pytest.mark.parametrize("price, rate", [(1.2, 0.3), (0.9, 0.05)])
def test_sale_probability_is_poisson_thinning(price, rate, theory):
    # fit ~ U(0.5, 1.5), exact estimates: q = P(fit >= price)
    common = dict(listings=N, price=price, buyer_rate=rate, period_days=20.0, max_relists=0,
                  estimate_sd_log=0.0, values={"dist": "constant", "value": 3.0})  # fmt: skip
    mu = rate * 20.0 * (1.5 - price)
    where = f"price {price}, {rate} buyers/day, 20 days"
    close(theory, f"listing sale rate 1 - exp(-mu), first_come: {where}",
          run(multi_intent="first_come", **common)["sale_rate"], 1 - math.exp(-mu))  # fmt: skip
    m = run(multi_intent="auction", **common)
    close(theory, f"listing sale rate 1 - exp(-mu), auction: {where}", m["sale_rate"],
          1 - math.exp(-mu))  # fmt: skip
    close(theory, f"listing bidding share P(N >= 2) = 1 - exp(-mu)(1 + mu): {where}",
          m["bidding_share"], 1 - math.exp(-mu) * (1 + mu))  # fmt: skip


def test_sale_probability_with_estimate_error(theory):
    # q depends on the estimate error Z: q(Z) = P(fit >= price exp(sd Z)); average over Z
    price, rate, sd, days = 1.0, 0.2, 0.3, 10.0

    def sale(z):
        q = np.clip(1.5 - price * math.exp(sd * z), 0.0, 1.0)
        return (1 - math.exp(-rate * days * q)) * stats.norm.pdf(z)

    want = integrate.quad(sale, -10, 10)[0]
    m = run(listings=N, price=price, buyer_rate=rate, period_days=days, max_relists=0,
            estimate_sd_log=sd, multi_intent="first_come")  # fmt: skip
    close(theory, "listing sale rate with log-normal estimate error (sd 0.3), first_come",
          m["sale_rate"], want)  # fmt: skip
