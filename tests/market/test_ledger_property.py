"""Property test of the ledger (issue 17), hypothesis over random small markets: after every
record, budgets spent (from the firms' budget arrays) = receipts + fees + commissions +
premiums - subsidies - claims, no exclusive right is sold twice and no budget is negative."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auction_sim.market.sim import MarketSim
from auction_sim.scenario.market import MarketScenario

markets = st.fixed_dictionaries({
    "market": st.fixed_dictionaries({
        "horizon_days": st.floats(40.0, 120.0), "achievement_rate": st.floats(0.5, 4.0),
        "buyer_rate": st.floats(5.0, 40.0), "fields": st.integers(1, 3),
        "platform_fee": st.floats(0.0, 0.1),
    }),
    "buyers": st.fixed_dictionaries({
        "firms": st.integers(3, 40),
        "budget": st.fixed_dictionaries({"dist": st.just("lognormal"),
                                         "mean_log": st.floats(-0.5, 2.0),
                                         "sd_log": st.floats(0.01, 1.0)}),
        "budget_renewal_days": st.floats(20.0, 365.0), "adoption_risk": st.floats(0.0, 0.6),
    }),
    "mechanism": st.fixed_dictionaries({
        "choice": st.sampled_from(["rule", "auction", "listing", "negotiation"]),
        "soft_close": st.booleans(),
    }),
    "policy": st.fixed_dictionaries({
        "broker_share": st.floats(0.0, 1.0), "insurance_subsidy": st.floats(0.0, 1.0),
        "forced_listing_days": st.floats(10.0, 60.0), "free_license_days": st.floats(61.0, 100.0),
    }),
})  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets, st.integers(0, 2**32 - 1))
def test_money_balances_after_every_record(d, entropy):
    s = MarketScenario.model_validate({"kind": "market", **d})
    sim = MarketSim(s, np.random.SeedSequence(entropy))
    led = sim.ledger
    record, n = led.record, [0]

    def audited(c):
        record(c)  # the on-the-spot checks (double sale, shares, the firm's budget)
        led.audit()  # the run-wide identity, no budget negative
        n[0] += 1

    led.record = audited
    sim.run()
    assert n[0] == len(led)
    led.check(sim.firms.budget0, s.buyers.budget_renewal_days, sim.n)
    if len(led):
        items = led.arrays()["item"].astype(np.int64)
        assert np.bincount(items).max() == 1
    assert sim.firms.budget.min(initial=0.0) >= -1e-9 * max(1.0, sim.firms.budget0.max())
