"""Group ``listing``: listed-trade throughput (listings per second).

Workload: the ``listing`` kind's defaults (DESIGN §3) — log-normal values, estimate error
0.3, buyers at 0.3 a day for 20-day periods (6 expected per period), up to 3 relists,
firm fit uniform on [0.5, 1.5] — for 200 000 listings (about 4.8e6 pre-drawn buyers).
``kernel`` times :func:`auction_sim.core.listing.run_listings` alone, on pre-drawn buyers;
``end_to_end`` times one replication of the experiment (draws included).

Run: ``pytest benchmarks/test_listing_throughput.py --benchmark-only``.
"""

import numba
import numpy as np
import pytest

from auction_sim.experiments.listing import run_point
from auction_sim.mechanisms.listing import ListedTrade, draw_arrivals
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict

N = 200_000


@pytest.fixture(scope="module", params=["auction", "first_come"])
def batch(request):
    s = scenario_from_dict(
        {"kind": "listing", "listing": {"listings": N, "multi_intent": request.param}}
    ).model
    L = s.listing
    mech = ListedTrade.from_section(L)
    rng = np.random.default_rng(0)
    values = L.values.draw(rng, (N,))
    prices = mech.list_prices(values, rng)
    arrivals = draw_arrivals(
        task_seed(1, {}, 0), 0, values, mech.n_periods, L.buyer_rate, L.period_days, L.fit
    )
    return request.param, s, mech, prices, arrivals


@pytest.mark.benchmark(group="listing")
@pytest.mark.parametrize("threads", [1, 2])
def test_listing_auction_sim_kernel_parallel(benchmark, batch, threads):
    rule, _, mech, prices, arrivals = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    mech.run(prices, arrivals, parallel=True)
    benchmark.extra_info.update(items=N, threads=threads, shape=rule)
    benchmark(mech.run, prices, arrivals, parallel=True)


@pytest.mark.benchmark(group="listing")
def test_listing_auction_sim_kernel_serial(benchmark, batch):
    rule, _, mech, prices, arrivals = batch
    mech.run(prices, arrivals, parallel=False)
    benchmark.extra_info.update(items=N, threads=1, shape=rule)
    benchmark(mech.run, prices, arrivals, parallel=False)


@pytest.mark.benchmark(group="listing")
def test_listing_auction_sim_end_to_end(benchmark, batch):
    rule, s, *_ = batch
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    benchmark.extra_info.update(items=N, threads=numba.config.NUMBA_NUM_THREADS, shape=rule)
    benchmark.pedantic(run_point, args=(s, task_seed(0, {}, 0)), rounds=5, iterations=1)
