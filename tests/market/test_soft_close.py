"""Bids during a soft close (issue 17): a firm that visits during an auction's extension bids.

One auction of one item, driven by hand; two scripted visits go through the market's own visit
kernel (``buyers.visit_batch``): firm A at day 6.8 (a late bid: the end moves to 7.3), firm B,
who values the item more, at day 7.2, inside the extension (the end moves to 7.7)."""

import math

import numpy as np
import pytest
from market_small import scenario, seed

from auction_sim.market import buyers as B
from auction_sim.market.sim import MarketSim

A, B_FIRM = 3, 7


def _scenario(soft: bool):
    return scenario(
        market__fields=1, market__buyer_rate=0.0, buyers__explore_share=0.0,
        buyers__attention=1, buyers__fit_sd_log=0.5, buyers__proxy_share=1.0,
        buyers__sniper_share=0.0, buyers__budget={"dist": "constant", "value": 1e6},
        policy__broker_share=0.0, policy__liability_markup=0.0, mechanism__auction_days=7.0,
        mechanism__soft_close=soft, mechanism__soft_close_days=0.5,
    )  # fmt: skip


def _visit(sim: MarketSim, f: int, z_fit: float) -> None:
    """One visit of firm ``f`` now: its one look finds the newest item of field 0."""
    k = sim.looks_per_visit
    u = np.full((1, k, B.N_UNIFORMS), 0.0)
    u[:, :, 0] = u[:, :, 4] = 0.99  # no exploring; no inquiry
    z = np.zeros((1, k, B.N_NORMALS))
    z[:, :, 0] = z_fit  # log fit = fit_sd_log * z_fit
    sim._reserve_entries(k)
    cat = sim.catalog
    B.visit_batch(
        0, sim.env.now, math.inf, (np.array([sim.env.now]), np.array([f]), u, z),
        sim.scenario.buyers.attention, (sim.ist, sim.ifl, sim.quotes),
        (sim.ent_i, sim.ent_f, sim.n_ent, sim.tab), (cat.buf, cat.meta, cat.slot, cat.accept),
        (sim.firms.interests, sim.firms.interested, sim.firms.budget, sim.firms.scale),
        sim.par, np.zeros(k, np.int64),
    )  # fmt: skip


def _auction(soft: bool):
    sim = MarketSim(_scenario(soft), seed(0))
    env = sim.env
    sim.reserve[0] = 1.0
    sim.ifl[B.VALUE, 0] = 10.0

    def script():
        yield env.timeout(6.8)
        _visit(sim, A, 0.0)
        yield env.timeout(0.4)  # day 7.2: past the scheduled end, inside the extension
        _visit(sim, B_FIRM, 1.0)

    proc = env.process(sim._auction(0, 0, False))
    env.process(script())
    env.run()
    return sim, proc.value


def test_a_firm_visiting_during_an_extension_bids_and_wins():
    sim, ok = _auction(soft=True)
    assert ok
    (c,) = sim.ledger.rows
    assert c.firm == B_FIRM  # the visitor of day 7.2 won
    assert c.day == pytest.approx(7.7)  # its late bid extended the auction once more
    wa = 10.0 * sim.willingness  # A's limit: B outbids it by one increment
    assert c.price == pytest.approx(wa + sim.scenario.mechanism.increment * 1.0)


def test_under_a_hard_close_the_late_visitor_cannot_bid():
    sim, ok = _auction(soft=False)
    assert ok
    (c,) = sim.ledger.rows
    assert c.firm == A and c.day == pytest.approx(7.0) and c.price == pytest.approx(1.0)
