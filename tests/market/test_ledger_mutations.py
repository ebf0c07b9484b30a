"""Mutation tests of the ledger (issue 17): each kind of violation, injected into a small run,
is caught by :meth:`Ledger.record` on the spot, naming the item, the firm and the day.

The runs call ``MarketSim.run`` (not ``simulate``), so only the checks made as the run goes
can catch them, not the end-of-run :meth:`Ledger.check`."""

import numpy as np
import pytest
from market_small import scenario, seed

from auction_sim.market import policy
from auction_sim.market.ledger import LedgerError
from auction_sim.market.sim import MarketSim

NAMED = r"item \d+, firm \d+, day [0-9.e+-]+: "
BROKERED = scenario(policy__broker_share=0.5)
# few firms with small budgets, all in one field, auctions only: budgets bind
TIGHT = scenario(
    mechanism__choice="auction", market__fields=1, buyers__firms=25, market__buyer_rate=40.0,
    buyers__budget={"dist": "lognormal", "mean_log": 0.5, "sd_log": 0.5},
)  # fmt: skip


def test_an_honest_run_passes_every_check():
    sim = MarketSim(BROKERED, seed(1))
    sim.run()
    assert len(sim.ledger) > 20 and sim.ledger.rows
    assert (sim.ledger.arrays()["commission"] > 0).any()
    sim.ledger.audit()


class SecondSale(MarketSim):
    """Sells every item a second time, at no price, right after its first sale."""

    def _settle(self, i, f, price, *args):
        ok = super()._settle(i, f, price, *args)
        if ok:
            super()._settle(i, (f + 1) % self.firms.budget.size, 0.0, *args)
        return ok


class PaymentOffByOne(MarketSim):
    """Debits the buyer one unit more than the contract says."""

    def _pay(self, f, amount):
        super()._pay(f, amount + 1.0)


class Overdraft(MarketSim):
    """Lets a firm pay whatever its budget (the checks of what it can spend are gone)."""

    def _spendable(self, f):
        return np.inf


def _caught(sim: MarketSim, what: str) -> str:
    with pytest.raises(LedgerError, match=NAMED + what) as e:
        sim.run()
    return str(e.value)


def test_a_second_sale_of_an_exclusive_right_is_caught():
    _caught(SecondSale(BROKERED, seed(1)), "exclusive right sold a second time")


def test_a_payment_off_by_one_unit_is_caught():
    _caught(PaymentOffByOne(BROKERED, seed(1)), "budget array")


def test_an_overdrawn_budget_is_caught():
    _caught(Overdraft(TIGHT, seed(1)), "budget overdrawn")


def test_a_commission_not_paid_is_caught(monkeypatch):
    def no_commission(price, fee, com):
        return price * fee, 0.0, price * (1.0 - fee)  # the broker's share stays with the holder

    monkeypatch.setattr(policy, "split", no_commission)
    _caught(MarketSim(BROKERED, seed(1)), "commission 0.0, the rates give")


def test_a_receipt_off_by_one_unit_is_caught(monkeypatch):
    split = policy.split

    def generous(price, fee, com):
        f, c, r = split(price, fee, com)
        return f, c, r + 1.0

    monkeypatch.setattr(policy, "split", generous)
    _caught(MarketSim(BROKERED, seed(1)), "holder's receipt")
