"""Group ``market``: the discrete-event market in modelled units (issue 17).

Run: ``pytest benchmarks/test_market_engine.py --benchmark-only``.  The market's throughput is
stated in what it models: ``extra_info["items"]`` are firm visits, and
``extra_info["achievement_years"]`` the achievements times the simulated years, so visits/s and
achievement-years/s are ``items`` (or ``achievement_years``) / median time.  SimPy events are
recorded (``events``) but are not the yardstick: merging work into fewer events is right.

* ``test_market_auction_sim_province_year``: 50 000 achievements and 200 000 firm visits in a
  simulated year, 5000 firms, every lever on (use-first deadlines that fall within the year,
  liability markup with an exempt channel, brokers, insurance subsidy, soft close; the rule
  choosing auctions, listings and negotiations); goal <= 10 s on one core, < 1 GB.
* ``test_market_auction_sim_nation_year``: ten times the arrivals, visits and firms; goal
  <= 10x the province time, < 4 GB (linear growth).

* ``test_market_auction_sim_events``: one short market run (the DESIGN §3 default rates,
  40 achievements and 150 firm visits a day, over 90 days), pricing kernels, listings,
  auctions, negotiations and the ledger check included; one core.
* ``test_market_simpy_timeout_loop``: an engine-overhead reference only, a bare SimPy
  process yielding ``env.timeout`` as many times as the short run processed events.
"""

import resource
import time

import numba
import numpy as np
import pytest
import simpy

from auction_sim.market.sim import simulate
from auction_sim.scenario.market import MarketScenario


def _scenario(**market) -> MarketScenario:
    return MarketScenario.model_validate({"kind": "market", "market": market})


DEFAULT_90 = _scenario(horizon_days=90.0)
LEVERS = {  # every policy lever on, with the use-first deadlines inside the year
    "use_first": True, "forced_listing_days": 120.0, "free_license_days": 240.0,
    "liability_markup": 0.3, "exemption_share": 0.2, "broker_share": 0.2,
    "insurance_subsidy": 0.8,
}  # fmt: skip


def _year(scale: int) -> MarketScenario:
    return MarketScenario.model_validate(
        {
            "kind": "market",
            "market": {
                "horizon_days": 365.0,
                "achievement_rate": scale * 50_000 / 365,
                "buyer_rate": scale * 200_000 / 365,
            },
            "buyers": {"firms": scale * 5000},
            "mechanism": {"choice": "rule", "soft_close": True},
            "policy": LEVERS,
        }
    )


PROVINCE_YEAR = _year(1)
NATION_YEAR = _year(10)


@pytest.fixture(scope="module")
def market_events():
    numba.set_num_threads(1)
    simulate(_scenario(horizon_days=20.0), np.random.SeedSequence(0))  # numba caches warm
    return simulate(DEFAULT_90, np.random.SeedSequence(1)).events


def simpy_loop(n_events: int) -> int:
    env = simpy.Environment()

    def proc():
        for _ in range(n_events - 2):  # the Initialize event and the process end count too
            yield env.timeout(1.0)

    env.process(proc())
    env.run()
    return n_events


@pytest.mark.benchmark(group="market")
def test_market_auction_sim_events(benchmark, market_events):
    benchmark.extra_info.update(items=market_events, shape="events", threads=1)
    run = benchmark.pedantic(
        simulate, args=(DEFAULT_90, np.random.SeedSequence(1)), rounds=3, iterations=1
    )
    assert run.events == market_events


@pytest.mark.benchmark(group="market")
def test_market_simpy_timeout_loop(benchmark, market_events):
    benchmark.extra_info.update(items=market_events, shape="events", threads=1)
    benchmark.pedantic(simpy_loop, args=(market_events,), rounds=3, iterations=1)


def _year_run(benchmark, scenario, shape):
    cpu = []

    def timed_run():
        c = time.process_time()
        out = simulate(scenario, np.random.SeedSequence(1))
        cpu.append(time.process_time() - c)
        return out

    run = benchmark.pedantic(timed_run, rounds=1, iterations=1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = run.sim
    benchmark.extra_info.update(
        items=int(s.visits_run),
        shape=shape,
        threads=1,
        visits=int(s.visits_run),
        achievements=s.n,
        achievement_years=s.n * s.horizon / 365.0,
        events=run.events,
        deals=len(s.ledger),
        cpu_seconds=round(cpu[0], 2),  # CPU time: robust to a busy shared machine
        peak_rss_mb=round(peak, 1),
    )


@pytest.mark.benchmark(group="market")
def test_market_auction_sim_province_year(benchmark, market_events):
    _year_run(benchmark, PROVINCE_YEAR, "province_year")


@pytest.mark.benchmark(group="market")
def test_market_auction_sim_nation_year(benchmark, market_events):
    _year_run(benchmark, NATION_YEAR, "nation_year")
