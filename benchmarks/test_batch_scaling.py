"""Group ``batch``: backend scaling and per-task overhead (issue 8).

* scaling: one grid of 16 equal tasks (auction kind, 2e6 auctions x 10 bidders, ~0.5 s of CPU
  each) on the serial backend with numba pinned to one thread, the process pool with 2 workers,
  and a Dask LocalCluster with 2 workers.  Goals: process >= 1.8x serial; Dask within 15 % of
  the process pool.  Pool / cluster start-up is included: it is what a user waits for.
* overhead: 40 tiny tasks (20 auctions each); per-task overhead = wall time / tasks.

Run: ``pytest benchmarks/test_batch_scaling.py --benchmark-only``; items = tasks;
``AUCTION_SIM_BENCH_SCALE=4`` for a 4x longer grid.
"""

import os

import numba
import pytest

import auction_sim as asim
from auction_sim.scenario import scenario_from_dict


def grid(auctions: int, tasks: int):
    return scenario_from_dict(
        {
            "kind": "auction",
            "seed": 1,
            "replications": tasks,
            "auction": {"format": "first_price", "bidders": 10, "auctions": auctions},
            "strategy": {"kind": "equilibrium"},
        }
    )


# AUCTION_SIM_BENCH_SCALE=4 makes every heavy task 4x longer (start-up amortised further).
HEAVY = (2_000_000 * int(os.environ.get("AUCTION_SIM_BENCH_SCALE", "1")), 16)
TINY = (20, 40)


@pytest.fixture
def one_thread():
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


def _run(benchmark, size, backend, workers=None, shape=""):
    scen = grid(*size)
    asim.run(grid(20, 1), backend="serial")  # compile / load caches outside the timing
    benchmark.extra_info.update(items=size[1], shape=shape, threads=workers or 1)
    res = benchmark.pedantic(
        asim.run, args=(scen,), kwargs={"backend": backend, "workers": workers},
        rounds=2, iterations=1,
    )  # fmt: skip
    assert len(res.runs) == size[1] and not res.failures


@pytest.mark.benchmark(group="batch")
def test_batch_auction_sim_serial_1thread(benchmark, one_thread):
    _run(benchmark, HEAVY, "serial", shape="16 heavy tasks")


@pytest.mark.benchmark(group="batch")
def test_batch_auction_sim_process_2workers(benchmark):
    _run(benchmark, HEAVY, "process", 2, shape="16 heavy tasks")


@pytest.mark.benchmark(group="batch")
def test_batch_auction_sim_dask_local_2workers(benchmark):
    pytest.importorskip("distributed")
    _run(benchmark, HEAVY, "dask", 2, shape="16 heavy tasks")


@pytest.mark.benchmark(group="batch")
@pytest.mark.parametrize("backend,workers", [("serial", None), ("process", 2), ("dask", 2)])
def test_batch_auction_sim_overhead(benchmark, one_thread, backend, workers):
    if backend == "dask":
        pytest.importorskip("distributed")
    _run(benchmark, TINY, backend, workers, shape=f"40 tiny tasks ({backend})")
