"""Group ``negotiation``: the alternating-offers kernel against NegMAS, in the same run.

Workload: one buyer and one seller with private values uniform on [0, 1], a 50-round
deadline, time-dependent tactics (boulware seller, conceder buyer, Faratin-Sierra-Jennings).
NegMAS: ``SAOMechanism`` with ``n_steps = 50``, a ``BoulwareTBNegotiator`` seller and a
``ConcederTBNegotiator`` buyer, one price issue with 100 values (price index i -> i / 99),
linear utilities ``p - v_s`` and ``v_b - p`` with reserved value 0.

Run: ``pytest benchmarks/test_negotiation.py --benchmark-only``.  Throughput is
``extra_info["items"]`` (negotiations) / median time.
"""

import numba
import numpy as np
import pytest

from auction_sim.core.bargaining import SELLER, alternating_offers

ROUNDS = 50
N_KERNEL = 1_000_000
N_NEGMAS = 20


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(0)
    return rng.random(N_KERNEL), rng.random(N_KERNEL)


def kernel(vb, vs, parallel):
    # private information: the seller opens at 1, the buyer at 0; boulware e = 0.2, conceder 5
    return alternating_offers(vb, vs, 0.0, 1.0, ROUNDS, SELLER, 5.0, 0.2, parallel=parallel)


@pytest.mark.benchmark(group="negotiation")
@pytest.mark.parametrize("threads", [1, 2])
def test_negotiation_auction_sim_parallel(benchmark, pairs, threads):
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    kernel(*pairs, True)  # compile / warm
    benchmark.extra_info.update(items=N_KERNEL, threads=threads, rounds=ROUNDS)
    res = benchmark(kernel, *pairs, True)
    assert 0.4 < res.agreed.mean() < 0.5


@pytest.mark.benchmark(group="negotiation")
def test_negotiation_auction_sim_serial(benchmark, pairs):
    kernel(*pairs, False)
    benchmark.extra_info.update(items=N_KERNEL, threads=1, rounds=ROUNDS)
    benchmark(kernel, *pairs, False)


@pytest.mark.benchmark(group="negotiation")
def test_negotiation_negmas(benchmark):
    negmas = pytest.importorskip("negmas")
    from negmas.preferences import LinearAdditiveUtilityFunction
    from negmas.preferences.value_fun import AffineFun
    from negmas.sao import BoulwareTBNegotiator, ConcederTBNegotiator

    issues = [negmas.make_issue(100, "price")]
    rng = np.random.default_rng(0)
    vb, vs = rng.random(N_NEGMAS), rng.random(N_NEGMAS)

    def run_all():
        agreements = 0
        for b, s in zip(vb, vs, strict=True):
            m = negmas.SAOMechanism(issues=issues, n_steps=ROUNDS)
            os_ = m.outcome_space
            seller = LinearAdditiveUtilityFunction(
                values={"price": AffineFun(1 / 99, -s)}, outcome_space=os_, reserved_value=0.0
            )
            buyer = LinearAdditiveUtilityFunction(
                values={"price": AffineFun(-1 / 99, b)}, outcome_space=os_, reserved_value=0.0
            )
            m.add(BoulwareTBNegotiator(name="seller"), preferences=seller)
            m.add(ConcederTBNegotiator(name="buyer"), preferences=buyer)
            agreements += m.run().agreement is not None
        return agreements

    benchmark.extra_info.update(items=N_NEGMAS, threads=1, rounds=ROUNDS, negmas=negmas.__version__)
    agreements = benchmark.pedantic(run_all, rounds=3, iterations=1, warmup_rounds=1)
    assert 0 < agreements <= N_NEGMAS
