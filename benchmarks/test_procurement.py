"""Group ``clearing``: the scoring-auction kernel (procurement) against a NumPy baseline.

Run: ``NUMBA_NUM_THREADS=2 pytest benchmarks/test_procurement.py --benchmark-only``.
Throughput is ``extra_info["items"]`` (offers, i.e. contracts x suppliers) / median time.
The NumPy baseline implements the same second-score auction (scores ``w q - p``, the
winner among tied top scores by the largest tie uniform, the runner-up's score by
``partition``, the reserve score, the matched price) and its result is checked equal to
the kernel's.  Offers are random, so the kernel's branch-free top-two loop is what is timed.
"""

import numba
import numpy as np
import pytest

from auction_sim.core.scoring import SECOND_SCORE, clear_scoring

SHAPES = {"1e6x4": (1_000_000, 4), "1e6x10": (1_000_000, 10), "1e5x100": (100_000, 100)}
W, RESERVE = 1.0, 0.05


@pytest.fixture(scope="module", params=list(SHAPES))
def batch(request):
    n_contracts, n_suppliers = SHAPES[request.param]
    rng = np.random.default_rng(0)
    theta = rng.uniform(1.0, 2.0, (n_contracts, n_suppliers))
    quality = W / theta
    price = 0.5 * theta * quality * quality * rng.uniform(1.0, 1.5, theta.shape)
    ties = rng.random(theta.shape)
    return request.param, quality, price, ties


def numpy_scoring(quality, price, ties, w, reserve):
    """Baseline: the second-score auction in vectorised NumPy (no NaN offers)."""
    scores = w * quality - price
    high = scores.max(axis=1)
    winner = np.where(scores == high[:, None], ties, -1.0).argmax(axis=1)
    second = np.partition(scores, -2, axis=1)[:, -2]
    awarded = high >= reserve
    q = np.take_along_axis(quality, winner[:, None], axis=1)[:, 0]
    q = np.where(awarded, q, 0.0)
    p = np.where(awarded, w * q - np.maximum(second, reserve), 0.0)
    return np.where(awarded, winner, -1), q, p


def _check(res, quality, price, ties):
    ref = numpy_scoring(quality, price, ties, W, RESERVE)
    np.testing.assert_array_equal(res.winner, ref[0])
    np.testing.assert_array_equal(res.quality, ref[1])
    np.testing.assert_array_equal(res.price, ref[2])


@pytest.mark.benchmark(group="clearing")
@pytest.mark.parametrize("threads", [1, 2])
def test_procurement_auction_sim_parallel(benchmark, batch, threads):
    name, quality, price, ties = batch
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    args = (quality, price, ties, W, RESERVE, SECOND_SCORE)
    clear_scoring(*args, parallel=True)  # compile / warm
    benchmark.extra_info.update(items=quality.size, shape=name, threads=threads)
    res = benchmark(clear_scoring, *args, parallel=True)
    _check(res, quality, price, ties)


@pytest.mark.benchmark(group="clearing")
def test_procurement_auction_sim_serial(benchmark, batch):
    name, quality, price, ties = batch
    args = (quality, price, ties, W, RESERVE, SECOND_SCORE)
    clear_scoring(*args, parallel=False)
    benchmark.extra_info.update(items=quality.size, shape=name, threads=1)
    res = benchmark(clear_scoring, *args, parallel=False)
    _check(res, quality, price, ties)


@pytest.mark.benchmark(group="clearing")
def test_procurement_numpy(benchmark, batch):
    name, quality, price, ties = batch
    benchmark.extra_info.update(items=quality.size, shape=name, threads=1)
    benchmark(numpy_scoring, quality, price, ties, W, RESERVE)
