"""Budgets across concurrent auctions (issue 17).

A bid's limit is capped by the budget the firm has when it bids; a firm in several open
auctions may have spent it elsewhere by the close.  At the close the auction falls back to the
runner-up (at the price its competition sets) instead of voiding the sale.  The scenario is
made for it: auctions only, one field, 25 firms with small budgets, many auctions open at once.
"""

import numpy as np
import pytest
from market_small import scenario, seed

from auction_sim.core.timed import PROXY
from auction_sim.market.sim import MarketSim
from auction_sim.market.trades import OpenAuction

# one auction per item (no relist, a wait past the horizon): a voided sale stays unsold;
# budgets renewed weekly, so what binds is the auctions open at the same time
TIGHT = scenario(
    mechanism__choice="auction", market__fields=1, buyers__firms=25, market__buyer_rate=40.0,
    buyers__budget={"dist": "lognormal", "mean_log": 0.5, "sd_log": 0.5},
    buyers__budget_renewal_days=7.0, mechanism__max_relists=0, mechanism__wait_days=400.0,
    policy__use_first=False,
)  # fmt: skip
SEEDS = range(4)


class Voiding(MarketSim):
    void_unpaid = True


def _run(cls, r):
    sim = cls(TIGHT, seed(r))
    sim.run()
    a = sim.ledger.arrays()
    items = a["item"].astype(np.int64)
    assert np.bincount(items).max(initial=0) <= 1  # never sold twice
    sim.ledger.audit()
    return sim


def test_fallback_to_the_runner_up_sells_more_than_voiding():
    fb = [_run(MarketSim, r) for r in SEEDS]
    vo = [_run(Voiding, r) for r in SEEDS]
    rate_fb = np.array([s.auctions_sold / s.auctions_held for s in fb])
    rate_vo = np.array([s.auctions_sold / s.auctions_held for s in vo])
    assert sum(s.auction_fallbacks for s in fb) > 0  # the path is exercised
    assert sum(s.auction_voids for s in vo) > 0
    assert all(s.auction_voids == 0 for s in fb)
    d = rate_fb - rate_vo
    se = d.std(ddof=1) / np.sqrt(d.size)
    print(
        f"sale rate: fallback {rate_fb.mean():.4f} ± {rate_fb.std(ddof=1) / np.sqrt(d.size):.4f},"
        f" voiding {rate_vo.mean():.4f} ± {rate_vo.std(ddof=1) / np.sqrt(d.size):.4f},"
        f" paired difference {d.mean():.4f} ± {se:.4f}; fallbacks"
        f" {[s.auction_fallbacks for s in fb]}, voids {[s.auction_voids for s in vo]}"
    )
    assert d.mean() > 2 * se


class _Mech:
    auction_days, snipe_lead_days, increment = 7.0, 0.1, 0.1
    soft_close, soft_close_days, reaction_days = True, 0.5, 0.1


def _offers(caps):
    k = len(caps)
    return np.column_stack((np.arange(k), caps, np.linspace(1.0, 2.0, k), caps)).astype(float)


@pytest.mark.parametrize("void", [False, True])
def test_a_winner_that_cannot_pay_passes_the_sale_to_the_runner_up(void):
    strategy = np.full(3, PROXY)
    offers = _offers([5.0, 9.0, 4.0])  # firm 1 wins at 5 + 0.1 against firm 0
    auc = OpenAuction(strategy, offers, 0.0, 1.0, _Mech, np.random.default_rng(0))
    spend = {0: 100.0, 1: 3.0, 2: 100.0}  # firm 1 spent its budget elsewhere meanwhile
    f, price, fallbacks, voided = auc.clear(offers, spend.__getitem__, void)
    if void:
        assert (f, fallbacks, voided) == (-1, 0, True)
    else:  # firm 0 wins at the price firm 2's bid sets
        assert (f, fallbacks, voided) == (0, 1, False) and price == pytest.approx(4.1)
    assert auc.clear(offers, lambda f: 100.0)[:2] == (1, pytest.approx(5.1))
