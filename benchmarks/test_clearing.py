"""Group ``clearing``: the sealed-bid kernel against a vectorised NumPy baseline.

Run: ``pytest benchmarks/test_clearing.py --benchmark-only``.  Throughput is
``extra_info["items"]`` (bids) / median time.
"""

import numba
import numpy as np
import pytest

from auction_sim.core.clearing import SECOND_PRICE, clear_sealed

SHAPES = {"1e6x10": (1_000_000, 10), "1e5x100": (100_000, 100)}


@pytest.fixture(scope="module", params=list(SHAPES))
def batch(request):
    n_auctions, n_bidders = SHAPES[request.param]
    rng = np.random.default_rng(0)
    bids = rng.random((n_auctions, n_bidders))
    ties = rng.random((n_auctions, n_bidders))
    return request.param, bids, ties


def numpy_clear(bids, reserve):
    """Baseline: argmax for the winner, partition for the second-highest bid."""
    winner = bids.argmax(axis=1)
    top2 = np.partition(bids, -2, axis=1)[:, -2:]
    high, second = top2[:, 1], top2[:, 0]
    sold = high >= reserve
    price = np.where(sold, np.maximum(second, reserve), 0.0)
    return np.where(sold, winner, -1), price, high, second


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_auction_sim_parallel(benchmark, batch, threads):
    name, bids, ties = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    clear_sealed(bids, ties, 0.1, SECOND_PRICE, parallel=True)  # compile / warm
    benchmark.extra_info.update(items=bids.size, shape=name, threads=threads)
    res = benchmark(clear_sealed, bids, ties, 0.1, SECOND_PRICE, parallel=True)
    ref = numpy_clear(bids, 0.1)
    np.testing.assert_array_equal(res.price, ref[1])


@pytest.mark.benchmark(group="clearing")
def test_clearing_auction_sim_serial(benchmark, batch):
    name, bids, ties = batch
    clear_sealed(bids, ties, 0.1, SECOND_PRICE, parallel=False)
    benchmark.extra_info.update(items=bids.size, shape=name, threads=1)
    benchmark(clear_sealed, bids, ties, 0.1, SECOND_PRICE, parallel=False)


@pytest.mark.benchmark(group="clearing")
def test_clearing_numpy(benchmark, batch):
    name, bids, _ = batch
    benchmark.extra_info.update(items=bids.size, shape=name, threads=1)
    benchmark(numpy_clear, bids, 0.1)
