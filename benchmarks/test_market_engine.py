"""Group ``market``: the discrete-event market's event rate against raw SimPy.

Run: ``pytest benchmarks/test_market_engine.py --benchmark-only``.  Throughput is
``extra_info["items"]`` (SimPy events processed) / median time.

* ``test_market_auction_sim_events``: one market run (the DESIGN §3 default rates,
  40 achievements and 150 firm visits a day, over 90 days), pricing kernels, listings,
  auctions, negotiations and the ledger check included; one core.
* ``test_market_simpy_timeout_loop``: the baseline, a bare SimPy process yielding
  ``env.timeout`` as many times as the market processed events.
* ``test_market_auction_sim_province_year``: the issue's goal size, 50 000
  achievements and 200 000 firm visits in a simulated year (one round); its CPU time
  and the peak resident memory of the process are recorded in ``extra_info``
  (``cpu_seconds``, ``peak_rss_mb``).
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
PROVINCE_YEAR = MarketScenario.model_validate(
    {
        "kind": "market",
        "market": {
            "horizon_days": 365.0,
            "achievement_rate": 50_000 / 365,
            "buyer_rate": 200_000 / 365,
        },
        "buyers": {"firms": 5000},
    }
)


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


@pytest.mark.benchmark(group="market")
def test_market_auction_sim_province_year(benchmark, market_events):
    cpu = []

    def timed_run():
        c = time.process_time()
        out = simulate(PROVINCE_YEAR, np.random.SeedSequence(1))
        cpu.append(time.process_time() - c)
        return out

    run = benchmark.pedantic(timed_run, rounds=1, iterations=1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    benchmark.extra_info.update(
        items=run.events,
        shape="province_year",
        threads=1,
        achievements=run.sim.n,
        cpu_seconds=round(cpu[0], 2),  # CPU time: robust to a busy shared machine
        peak_rss_mb=round(peak, 1),
    )
