"""Group ``clearing``: clock auctions (English, Dutch), timed online auctions and the numeric
equilibrium bid function.

Run: ``pytest benchmarks/test_clearing_formats.py --benchmark-only``.  Throughput is
``extra_info["items"]`` (bids; bid functions for the equilibrium) / median time;
``extra_info["auctions"]`` gives auctions per call.  The sealed-bid kernel runs in the same
file at the same shape, for the goal "clock auctions at no less than a tenth of the
sealed-bid kernel's rate in bids per second".
"""

import numba
import numpy as np
import pytest

from auction_sim.core.clearing import FIRST_PRICE, clear_sealed
from auction_sim.core.clock import clear_dutch, clear_english
from auction_sim.core.equilibrium import bids_from_function, first_price_bid_function
from auction_sim.core.timed import INCREMENTAL, PROXY, SNIPER, run_timed
from auction_sim.values import Exponential, LogNormal, Uniform

M, N = 1_000_000, 10
INC, R = 0.01, 0.1


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.random((M, N)), rng.random((M, N))


def numpy_english(points, reserve, inc):
    """Baseline: top two by partition, the first tick above the second point."""
    top2 = np.partition(points, -2, axis=1)[:, -2:]
    d1, d2 = top2[:, 1], top2[:, 0]
    k = np.floor((d2 - reserve) / inc) + 1
    p = reserve + k * inc
    price = np.where(d2 >= reserve, np.where(d1 >= p, p, p - inc), reserve)
    sold = d1 >= reserve
    return np.where(sold, points.argmax(axis=1), -1), np.where(sold, price, 0.0)


def numpy_dutch(points, start, reserve, inc):
    """Baseline: the highest point rounded down to the tick grid."""
    b1 = points.max(axis=1)
    p = np.maximum(start - np.ceil((start - b1) / inc) * inc, reserve)
    sold = b1 >= reserve
    return np.where(sold, points.argmax(axis=1), -1), np.where(sold, p, 0.0)


def info(benchmark, shape, threads, items=M * N, auctions=M):
    benchmark.extra_info.update(items=items, auctions=auctions, shape=shape, threads=threads)


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_english_auction_sim_parallel(benchmark, batch, threads):
    pts, ties = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    clear_english(pts, ties, R, INC, parallel=True)
    info(benchmark, "english-1e6x10", threads)
    res = benchmark(clear_english, pts, ties, R, INC, parallel=True)
    ref = numpy_english(pts, R, INC)
    assert np.abs(res.price - ref[1]).max() < 1e-9


@pytest.mark.benchmark(group="clearing")
def test_clearing_english_auction_sim_serial(benchmark, batch):
    pts, ties = batch
    clear_english(pts, ties, R, INC, parallel=False)
    info(benchmark, "english-1e6x10", 1)
    benchmark(clear_english, pts, ties, R, INC, parallel=False)


@pytest.mark.benchmark(group="clearing")
def test_clearing_english_numpy(benchmark, batch):
    info(benchmark, "english-1e6x10", 1)
    benchmark(numpy_english, batch[0], R, INC)


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_dutch_auction_sim_parallel(benchmark, batch, threads):
    pts, ties = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    clear_dutch(pts, ties, 1.0, R, INC, parallel=True)
    info(benchmark, "dutch-1e6x10", threads)
    res = benchmark(clear_dutch, pts, ties, 1.0, R, INC, parallel=True)
    ref = numpy_dutch(pts, 1.0, R, INC)
    assert np.abs(res.price - ref[1]).max() < 1e-9


@pytest.mark.benchmark(group="clearing")
def test_clearing_dutch_auction_sim_serial(benchmark, batch):
    pts, ties = batch
    clear_dutch(pts, ties, 1.0, R, INC, parallel=False)
    info(benchmark, "dutch-1e6x10", 1)
    benchmark(clear_dutch, pts, ties, 1.0, R, INC, parallel=False)


@pytest.mark.benchmark(group="clearing")
def test_clearing_dutch_numpy(benchmark, batch):
    info(benchmark, "dutch-1e6x10", 1)
    benchmark(numpy_dutch, batch[0], 1.0, R, INC)


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_sealed_reference_auction_sim(benchmark, batch, threads):
    """The sealed-bid kernel at the same shape (the reference of the clock goal)."""
    pts, ties = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    clear_sealed(pts, ties, R, FIRST_PRICE, parallel=True)
    info(benchmark, "sealed-1e6x10", threads)
    benchmark(clear_sealed, pts, ties, R, FIRST_PRICE, parallel=True)


TM, TN = 100_000, 5


@pytest.fixture(scope="module")
def timed_batch():
    rng = np.random.default_rng(1)
    values = rng.random((TM, TN))
    snipe = rng.random((TM, TN)) < 0.5
    times = np.where(snipe, 7.0 - 0.005 * rng.random((TM, TN)), 7.0 * rng.random((TM, TN)))
    return values, snipe, times


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("bidders", ["proxy", "snipers"])
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_timed_auction_sim(benchmark, timed_batch, bidders, threads):
    """Timed English auctions, soft close: proxy bidders, or half snipers and half incremental."""
    values, snipe, times = timed_batch
    kind = (np.where(snipe, SNIPER, INCREMENTAL) if bidders == "snipers"
            else np.full(values.shape, PROXY))  # fmt: skip
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    kw = dict(reserve=R, increment=INC, duration=7.0, window=0.1, soft_close=True,
              reaction=0.02, key=5, parallel=True)  # fmt: skip
    res = run_timed(values, kind, times, **kw)
    info(benchmark, f"timed-{bidders}-1e5x5", threads, TM * TN, TM)
    benchmark.extra_info["bids_placed_per_auction"] = float(res.bids.mean())
    benchmark(run_timed, values, kind, times, **kw)


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize(
    "dist", [Uniform(), Exponential(scale=1.0), LogNormal(mean_log=0.0, sd_log=1.0)],
    ids=["uniform", "exponential", "lognormal"],
)  # fmt: skip
def test_clearing_equilibrium_function_auction_sim(benchmark, dist):
    """Time to compute one first-price equilibrium bid function (n = 5, reserve 0.1)."""
    first_price_bid_function(dist, 5, R)
    info(benchmark, f"equilibrium-{dist.dist}", 1, items=1, auctions=0)
    benchmark(first_price_bid_function, dist, 5, R)


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_clearing_equilibrium_bids_auction_sim(benchmark, batch, threads):
    """Evaluating the equilibrium bid function on 1e6 x 10 values (grid interpolation)."""
    fn = first_price_bid_function(Exponential(scale=1.0), N, R)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    bids_from_function(batch[0], fn, parallel=True)
    info(benchmark, "equilibrium-bids-1e6x10", threads)
    benchmark(bids_from_function, batch[0], fn, parallel=True)
