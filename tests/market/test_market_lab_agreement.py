"""With one forced mechanism and no policy, the market's auctions agree with the auction lab.

Setting that allows the comparison (``choice = "auction"``, every policy lever off):

* the market: every result goes to a timed English auction; all bidders are proxies
  (``proxy_share = 1``), so the price is the second-highest limit plus the increment, made
  negligible (``increment = 1e-6`` of the reserve); the reserve is 1 % of the posterior mean
  value (``reserve_rule = "mean_share"``, ``reserve_level = 0.01``), far below any second
  bid; budgets are unlimited (a constant 1e12); no liability markup, no brokers, no use-first
  deadlines; no adoption risk, so a firm pays up to its value (willingness factor 1);
  one field and ``explore_share = 0`` (plus ``off_field_fit = 1``), so every look is in-field.
  A bidder's value for result ``i`` is then ``v_i * fit`` with ``log fit ~ N(0, fit_sd_log^2)``
  drawn independently per firm, whatever the number of bidders ``n`` the catalogue brought.
* the lab (``kind = "auction"``): ``second_price``, truthful bids, ``bidders = n``,
  ``reserve = 0``, values ``lognormal(mean_log = 0, sd_log = fit_sd_log)``.

Mapping: for the market's auctions with ``n >= 2`` bidders, ``price / v_i`` corresponds to the
lab's ``revenue`` and ``price / (highest bidder value)`` to its ``price_to_value``, both at
``bidders = n`` (scale-free: the lab's values are the fits).  The market auctions with ``n``
bidders are grouped by ``n``; each group's mean is compared with the lab at that ``n``, with a
tolerance of 4 standard errors of the difference (market: sample s.d. / sqrt(count); lab: s.d.
over its replications / sqrt(replications)), then all groups pooled (weights = counts).  The
market's bidders are recorded by a subclass that wraps ``MarketSim._close`` (the offers an
auction closes with), the prices come from the ledger.  The winner must hold the highest value
(the lab's efficiency is 1).  Power: the same comparison rejects firms paying 90 % of their
value (pooled z about -13), so it would catch a 10 % error in how the market forms limits or
prices.  One market run (200 days, ~1,900 auctions) and the lab at 5 bidder counts: ~3 s.

Not compared: listings.  The listing kind draws buyers at a fixed Poisson rate per listing;
in the market the number of firms that see a listing comes from the catalogue (recency,
fields, attention), so the two agree only conditionally on the number of lookers, which the
auction comparison above already covers for the values and the kernel.
"""

import math

import numpy as np
import pytest

from auction_sim.experiments.auction import run_point as lab_point
from auction_sim.market import policy
from auction_sim.market.choice import AUCTION
from auction_sim.market.sim import MarketSim
from auction_sim.scenario.auction import AuctionScenario
from auction_sim.scenario.market import MarketScenario

FIT_SD = 0.4
MIN_GROUP = 40  # market auctions per bidder count before a group is compared
LAB_REPS, LAB_AUCTIONS = 4, 20_000


class _Recording(MarketSim):
    """The market, remembering the bidders' limits of each item's last auction."""

    def __init__(self, scenario, seed):
        super().__init__(scenario, seed)
        self.closed: dict[int, list[float]] = {}

    def _close(self, i):
        offers = super()._close(i)
        self.closed[i] = [w for _, w, _, _ in offers]
        return offers


def _market_scenario(adoption_risk: float = 0.0) -> MarketScenario:
    return MarketScenario.model_validate(
        {
            "kind": "market",
            "market": {
                "horizon_days": 200.0, "achievement_rate": 10.0, "buyer_rate": 12.0,
                "fields": 1,
            },
            "buyers": {
                "firms": 2000, "explore_share": 0.0, "off_field_fit": 1.0, "fit_sd_log": FIT_SD,
                "adoption_risk": adoption_risk, "proxy_share": 1.0, "sniper_share": 0.0,
                "budget": {"dist": "constant", "value": 1e12},
            },
            "pricing": {"reserve_rule": "mean_share", "reserve_level": 0.01},
            "mechanism": {"choice": "auction", "increment": 1e-6},
            "policy": {
                "use_first": False, "liability_markup": 0.0, "exemption_share": 0.0,
                "broker_share": 0.0, "insurance_subsidy": 0.0,
            },
        }
    )  # fmt: skip


def _lab(n: int) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and standard error of the lab's revenue and price_to_value at ``n`` bidders."""
    sc = AuctionScenario.model_validate(
        {
            "kind": "auction",
            "auction": {
                "format": "second_price", "bidders": n, "auctions": LAB_AUCTIONS, "reserve": 0.0,
                "values": {"dist": "lognormal", "mean_log": 0.0, "sd_log": FIT_SD},
            },
            "strategy": {"kind": "truthful"},
        }
    )  # fmt: skip
    runs = [lab_point(sc, np.random.SeedSequence(77, spawn_key=(n, r))) for r in range(LAB_REPS)]
    mean, se = {}, {}
    for k in ("revenue", "price_to_value"):
        x = np.array([r[k] for r in runs])
        mean[k], se[k] = x.mean(), x.std(ddof=1) / math.sqrt(LAB_REPS)
    return mean, se


_LAB: dict[int, tuple[dict[str, float], dict[str, float]]] = {}


def _lab_cached(n: int):
    if n not in _LAB:
        _LAB[n] = _lab(n)
    return _LAB[n]


def _market_auctions(scenario: MarketScenario):
    """Bidder count, price / v_i and price / highest limit of every market auction."""
    sim = _Recording(scenario, np.random.SeedSequence(2026, spawn_key=(7,)))
    sim.run()
    a = sim.ledger.arrays()
    assert np.all(a["method"] == AUCTION)
    rows = []
    for item, firm_value, price in zip(
        a["item"].astype(int), a["buyer_value"], a["price"], strict=True
    ):
        limits = np.array(sim.closed[item])
        rows.append((limits.size, price / sim.ach_value[item], price / limits.max()))
        # efficiency: the winner holds the highest limit (limit = value x willingness factor)
        assert firm_value * policy.willingness_factor(scenario) == pytest.approx(
            limits.max(), rel=1e-12
        )
    n, rev, ptv = (np.array(c) for c in zip(*rows, strict=True))
    return n, {"revenue": rev, "price_to_value": ptv}


def _compare(n: np.ndarray, x: np.ndarray, metric: str) -> tuple[list, float]:
    """Per bidder count: (n, count, market mean, lab mean, z); and the pooled z."""
    groups = [k for k in range(2, int(n.max()) + 1) if np.sum(n == k) >= MIN_GROUP]
    assert len(groups) >= 3, f"too few bidder counts with {MIN_GROUP}+ auctions: {groups}"
    out = []
    diff_sum = var_sum = 0.0
    for k in groups:
        xs = x[n == k]
        lab_mean, lab_se = _lab_cached(k)
        d = xs.mean() - lab_mean[metric]
        var = xs.var(ddof=1) / xs.size + lab_se[metric] ** 2
        out.append((k, xs.size, xs.mean(), lab_mean[metric], d / math.sqrt(var)))
        diff_sum += xs.size * d
        var_sum += xs.size**2 * var
    return out, diff_sum / math.sqrt(var_sum)


@pytest.fixture(scope="module")
def market_auctions():
    return _market_auctions(_market_scenario())


def test_setting_is_the_lab_setting():
    sc = _market_scenario()
    assert policy.willingness_factor(sc) == 1.0
    assert policy.markup(sc, True, False) == 1.0


@pytest.mark.parametrize("metric", ["revenue", "price_to_value"])
def test_market_auctions_agree_with_second_price_lab(market_auctions, metric):
    n, x = market_auctions[0], market_auctions[1][metric]
    groups, z = _compare(n, x, metric)
    for k, count, m, lab, zk in groups:
        print(f"{metric} n={k}: market {m:.4f} ({count}) lab {lab:.4f} z {zk:+.2f}")
        assert abs(zk) < 4, (metric, k, m, lab, zk)
    print(f"{metric} pooled over n={[g[0] for g in groups]}: z {z:+.2f}")
    assert abs(z) < 4


def test_the_comparison_detects_a_ten_percent_price_error():
    # the power of the check: firms paying 90 % of their value (an adoption-risk premium
    # without subsidy: willingness factor 1 / (1 + 0.0855 x 1.3) = 0.9) must be rejected
    sc = _market_scenario(adoption_risk=(1 / 0.9 - 1) / 1.3)
    assert policy.willingness_factor(sc) == pytest.approx(0.9)
    n, x = _market_auctions(sc)
    _, z = _compare(n, x["revenue"], "revenue")
    print(f"revenue at willingness 0.9: pooled z {z:+.2f}")
    assert z < -4
