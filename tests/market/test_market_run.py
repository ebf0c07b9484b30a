"""One market run: determinism, the events count, ledger invariants, mechanisms, price error."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from market_small import scenario, seed

from auction_sim.experiments.market import (
    SERIES,
    metrics_of,
    run_point,
    series_of,
)
from auction_sim.market.choice import AUCTION, FREE, LISTING, NEGOTIATION
from auction_sim.market.ledger import Contract, Ledger, LedgerError
from auction_sim.market.sim import MarketSim, simulate


def test_same_seed_same_numbers_and_series():
    s = scenario()
    ra, rb = simulate(s, seed(0)), simulate(s, seed(0))
    a, b = metrics_of(ra), metrics_of(rb)
    assert all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in
               zip(a.values(), b.values(), strict=True))  # fmt: skip
    sa, sb = series_of(ra), series_of(rb)
    assert list(sa) == list(SERIES)
    for k in SERIES:
        np.testing.assert_array_equal(sa[k], sb[k])
    assert ra.sim.ledger.rows == rb.sim.ledger.rows
    c = run_point(s, seed(1))
    assert c["deals"] != a["deals"] or c["volume"] != a["volume"]


def test_events_is_the_number_of_simpy_events_processed():
    sim = MarketSim(scenario(market__horizon_days=60.0), seed(3))
    counted = 0
    step = sim.env.step

    def counting_step():
        nonlocal counted
        counted += 1
        step()

    sim.env.step = counting_step
    events = sim.run()
    assert events == counted
    # at least one event per registration and per visit, and far fewer than 20 per visit
    n_visits = 60.0 * 20.0
    assert sim.n + 0.5 * n_visits < events < 20 * (sim.n + n_visits)


def test_contracts_are_individually_rational_and_dated_in_the_horizon():
    run = simulate(scenario(), seed(4))
    a = run.sim.ledger.arrays()
    paid = a["method"] != FREE
    assert paid.sum() > 50
    wf = run.sim.willingness
    assert np.all(a["price"][paid] <= a["buyer_value"][paid] * wf * (1 + 1e-12))
    assert np.all(a["buyer_value"] <= a["best_value"] * (1 + 1e-12))
    assert np.all((a["day"] >= a["registered"]) & (a["day"] <= run.sim.horizon + 1))
    assert set(np.unique(a["method"])) <= {AUCTION, LISTING, NEGOTIATION, FREE}


@settings(max_examples=8, deadline=None)
@given(
    markup=st.floats(0.0, 1.0),
    exemption=st.floats(0.0, 1.0),
    brokers=st.floats(0.0, 1.0),
    commission=st.floats(0.05, 0.5),
    fee=st.floats(0.0, 0.2),
    budget_log=st.floats(-1.5, 2.0),
    choice=st.sampled_from(["rule", "auction", "listing", "negotiation"]),
    r=st.integers(0, 2**16),
)
def test_ledger_invariants_hold_on_random_markets(
    markup, exemption, brokers, commission, fee, budget_log, choice, r
):
    s = scenario(
        market__horizon_days=80.0, market__platform_fee=fee, policy__liability_markup=markup,
        policy__exemption_share=exemption, policy__broker_share=brokers,
        policy__broker_commission=commission, mechanism__choice=choice,
        buyers__budget={"dist": "lognormal", "mean_log": budget_log, "sd_log": 1.0},
        buyers__budget_renewal_days=30.0,
    )  # fmt: skip
    run = simulate(s, seed(r))  # simulate checks the ledger and raises LedgerError
    a = run.sim.ledger.arrays()
    assert np.bincount(a["item"].astype(int), minlength=1).max(initial=0) <= 1
    assert math.isclose(
        a["price"].sum(), a["receipt"].sum() + a["fee"].sum() + a["commission"].sum(),
        rel_tol=1e-9, abs_tol=1e-9,
    )  # fmt: skip
    assert np.all(run.sim.firms.budget >= -1e-9)
    if choice != "rule" and len(a["method"]):
        code = {"auction": AUCTION, "listing": LISTING, "negotiation": NEGOTIATION}[choice]
        assert set(np.unique(a["method"])) <= {code, AUCTION, FREE}  # AUCTION: forced


def _ledger(rows):
    led = Ledger()
    for r in rows:
        led.record(Contract(*r))
    return led


ROW = (0, 0, 1.0, 10.0, 0.2, 0.5, 9.3, AUCTION, False, 12.0, 12.0, 11.0, 0.0, 0.0)


def test_ledger_check_fails_loudly_on_a_double_sale():
    row2 = (0, 1, *ROW[2:])
    with pytest.raises(LedgerError, match="sold 2 times"):
        _ledger([ROW, row2]).check(np.array([100.0, 100.0]), 365.0, 5)


def test_ledger_check_fails_loudly_when_money_is_not_conserved():
    bad = ROW[:6] + (9.0,) + ROW[7:]
    with pytest.raises(LedgerError, match="money not conserved"):
        _ledger([bad]).check(np.array([100.0]), 365.0, 5)


def test_ledger_check_fails_loudly_on_an_overdrawn_budget():
    row2 = (1, *ROW[1:])
    with pytest.raises(LedgerError, match="overdrew"):
        _ledger([ROW, row2]).check(np.array([15.0]), 365.0, 5)
    _ledger([ROW, row2]).check(np.array([20.0]), 365.0, 5)  # exactly enough is fine


@pytest.mark.parametrize("choice,code", [("auction", AUCTION), ("listing", LISTING),
                                         ("negotiation", NEGOTIATION)])  # fmt: skip
def test_a_forced_mechanism_is_the_only_one_used(choice, code):
    # a short horizon: no use-first deadline is reached, so no forced public auction
    out = metrics_of(simulate(scenario(mechanism__choice=choice, market__horizon_days=90.0),
                              seed(5)))  # fmt: skip
    name = {AUCTION: "auction", LISTING: "listing", NEGOTIATION: "negotiation"}[code]
    assert out["deals"] > 10
    assert out[f"{name}_share"] == 1.0


def test_price_error_shrinks_as_deals_calibrate_the_estimator():
    first, last = [], []
    for r in range(6):  # 3 left a t-test of 2 degrees of freedom at the mercy of one seed
        out = run_point(scenario(market__horizon_days=210.0), seed(10 + r))
        first.append(out["price_error_first"])
        last.append(out["price_error_last"])
    d = np.array(first) - np.array(last)
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert d.mean() > 3 * se and d.mean() > 0.1


def test_monthly_series_covers_the_horizon_and_adds_up():
    s = scenario(market__horizon_days=120.0)
    run = simulate(s, seed(6))
    ser = series_of(run)
    out = metrics_of(run)
    assert len(ser["month"]) == math.ceil(120.0 / (365.25 / 12))
    short = series_of(simulate(scenario(market__horizon_days=30.0), seed(6)))
    assert list(short) == list(SERIES) and all(len(v) == 1 for v in short.values())
    assert ser["deals"].sum() == out["deals"]
    assert math.isclose(ser["volume"].sum(), out["volume"], rel_tol=1e-12)
    assert math.isclose(ser["broker_income"].sum(), out["broker_income"], rel_tol=1e-12)


def test_use_first_deadlines_force_auctions_and_free_licences():
    s = scenario(
        market__horizon_days=200.0, achievements__grant_lag_days=50.0,
        policy__forced_listing_days=60.0, policy__free_license_days=120.0,
        policy__liability_markup=2.0, policy__conversion_window_days=100.0,
    )  # fmt: skip
    out = run_point(s, seed(7))
    assert out["forced_auctions"] > 0 and out["free_licensed"] > 0
    off = run_point(scenario(**{**_kw(s), "policy__use_first": False}), seed(7))
    assert off["forced_auctions"] == 0 and off["free_licensed"] == 0


def _kw(s):
    return {
        "market__horizon_days": s.market.horizon_days,
        "achievements__grant_lag_days": s.achievements.grant_lag_days,
        "policy__forced_listing_days": s.policy.forced_listing_days,
        "policy__free_license_days": s.policy.free_license_days,
        "policy__liability_markup": s.policy.liability_markup,
        "policy__conversion_window_days": s.policy.conversion_window_days,
    }


def test_the_batch_timeseries_are_run_point_series(tmp_path):
    """The one way to a run's monthly series: the batch stores run_point_series's rows."""
    import auction_sim as asim
    from auction_sim.experiments.market import run_point_series
    from auction_sim.rng import task_seed
    from auction_sim.scenario import load_scenario

    p = tmp_path / "m.toml"
    p.write_text(
        'kind = "market"\nseed = 3\n[market]\nhorizon_days = 40\nachievement_rate = 3.0\n'
        'buyer_rate = 10.0\n[buyers]\nfirms = 50\n[sweep]\n"policy.broker_share" = [0.0, 0.5]\n'
    )
    sc = load_scenario(p)
    ts = asim.run(sc, replications=2, backend="serial").timeseries
    assert list(ts.columns[:3]) == ["point", "replication", "month"]
    assert sorted(set(zip(ts["point"], ts["replication"], strict=True))) == [
        (0, 0), (0, 1), (1, 0), (1, 1)
    ]  # fmt: skip
    pt = sc.points[1]
    metrics, ser = run_point_series(pt.scenario, task_seed(3, pt.params, 1))
    rows = ts[(ts["point"] == 1) & (ts["replication"] == 1)]
    for k in SERIES:
        np.testing.assert_array_equal(rows[k].to_numpy(), ser[k])
    again = run_point(pt.scenario, task_seed(3, pt.params, 1))
    assert all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in
               zip(metrics.values(), again.values(), strict=True))  # fmt: skip
