"""Group ``clearing``: asymmetric first-price equilibria (bidder classes, issue 19).

Run: ``pytest benchmarks/test_asymmetric.py --benchmark-only``.  The solve tests time one
equilibrium (``items`` = 1); the bid-and-clear tests evaluate equilibrium bids per class
and clear 1e6 auctions of 10 bidders (5 classes of 2) in one pass (``items`` = bids).
"""

import math

import numba
import numpy as np
import pytest

from auction_sim.core.asymmetric import (
    bid_and_clear,
    class_bid_tables,
    class_columns,
    solve_first_price,
)
from auction_sim.values import LogNormal, Uniform

SOLVE = {
    "2-classes-reserve": ([Uniform(low=0.0, high=1.0), Uniform(low=0.0, high=2.0)], [1, 1], 0.2),
    "2-lognormal-reserve": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=0.3, sd_log=0.5)], [1, 2], 0.5),
    "5-classes": ([Uniform(low=0.0, high=1.0 + 0.25 * k) for k in range(5)], [1] * 5, 0.0),
    # refused before the stiff-tail fix (issue 19): classes 2.5x apart, several bidders
    "2-lognormal-2.5x-1+2-reserve": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=math.log(2.5), sd_log=0.5)],
        [1, 2], 0.5),
    "5-lognormal-10-bidders-reserve": (
        [LogNormal(mean_log=k * math.log(1.5), sd_log=0.5) for k in range(5)], [2] * 5, 1.0),
}  # fmt: skip


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("case", list(SOLVE))
def test_clearing_equilibrium_asymmetric_auction_sim_solve(benchmark, case):
    dists, counts, reserve = SOLVE[case]
    solve_first_price(dists, counts, reserve)  # compile / warm
    benchmark.extra_info.update(items=1, classes=len(dists), case=case)
    eq = benchmark(solve_first_price, dists, counts, reserve)
    assert eq.high_bid > eq.low
    assert benchmark.stats.stats.median < (1.0 if len(dists) == 2 else 5.0)


@pytest.fixture(scope="module")
def batch():
    counts = [2, 2, 2, 2, 2]
    dists = [Uniform(low=0.0, high=1.0 + 0.25 * k) for k in range(5)]
    tables = class_bid_tables(solve_first_price(dists, counts, 0.1))
    rng = np.random.default_rng(0)
    values = np.concatenate([d.draw(rng, (1_000_000, 2)) for d in dists], axis=1)
    return values, class_columns(counts), tables, rng.random(values.shape)


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_equilibrium_asymmetric_auction_sim_bids(benchmark, batch, threads):
    values, cls, tables, ties = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    bid_and_clear(values, cls, tables, ties, 0.1, parallel=True)
    benchmark.extra_info.update(items=values.size, shape="1e6x10", threads=threads)
    benchmark(bid_and_clear, values, cls, tables, ties, 0.1, parallel=True)


@pytest.mark.benchmark(group="clearing")
def test_clearing_equilibrium_asymmetric_auction_sim_bids_serial(benchmark, batch):
    values, cls, tables, ties = batch
    bid_and_clear(values, cls, tables, ties, 0.1, parallel=False)
    benchmark.extra_info.update(items=values.size, shape="1e6x10", threads=1)
    benchmark(bid_and_clear, values, cls, tables, ties, 0.1, parallel=False)
