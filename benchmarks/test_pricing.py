"""Group ``pricing``: joint review/inquiry estimation against scipy lsqr and statsmodels.

Run: ``pytest benchmarks/test_pricing.py --benchmark-only``.  Throughput is
``extra_info["items"]`` (review scores) / median time.

* ``auction_sim_joint``: the full joint EM (CSR lists built from raw review and quote
  lists -- the reviewer-major copy is skipped: with 2 000 reviewers the reviewer
  statistics are scattered from the achievement pass -- then biases, precisions, score
  scale, shading, prior, posterior) for 1e6
  achievements x 5 reviews + 3 quotes, 2 000 reviewers, 2 % deals;
* ``lsqr``: scipy's sparse ``lsqr`` on the two-way fixed-effects model ``s = a_i + b_j``
  (biases only, equal precision), design matrix built in the timing, ``atol = btol =
  1e-6`` -- tighter does not improve its bias error against the truth;
* ``statsmodels``: ``MixedLM`` with crossed random effects of achievement and reviewer,
  at the size where it runs (500 achievements, 50 reviewers: about 30 s), next to
  ``auction_sim_joint`` at the same size;
* ``extra_info``: ``bias_rmse`` of the centred biases against the true ones, and for the
  joint estimator the posterior ``rmse_log`` and the number of iterations (full-data
  E-steps; at 1e6 achievements the warm start adds about six passes over every 32nd
  achievement, inside the timing).
"""

import subprocess
import sys
import textwrap
import warnings

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from auction_sim.core import pricing as cp
from auction_sim.pricing import signals as sg

SIZES = {"1e6x5+3": 1_000_000}
N_REVIEWERS, PANEL, QUOTES = 2000, 5, 3


def population(n, n_rev=N_REVIEWERS, seed=0):
    rng = np.random.default_rng(seed)
    a = sg.draw_achievements(rng, n, 8, 1.0)
    pool = sg.draw_reviewers(rng, n_rev, 8, 0.5, 1.0, 0.3)
    pan = sg.draw_panels(rng, a, pool, PANEL, 0.6, 0.5, 5.0, 1.0)
    q = sg.draw_quotes(rng, a.theta, QUOTES, 0.4, 0.15)
    has_deal, deal_y = sg.draw_deals(rng, a.theta, n // 50, 0.2)
    codes, levels = sg.feature_codes(a)
    return dict(a=a, pool=pool, pan=pan, q=q, has_deal=has_deal, deal_y=deal_y,
                codes=codes, levels=levels)  # fmt: skip


def joint(d, tol=1e-6):
    n, pan, q = d["a"].n, d["pan"], d["q"]
    reviews = cp.build_reviews(n, d["pool"].bias.size, pan.achievement, pan.reviewer,
                               pan.score, pan.same, reviewer_major=False)  # fmt: skip
    quotes = cp.build_quotes(n, q.achievement, q.log_quote)
    features = cp.make_features(d["codes"], d["levels"])
    return cp.estimate_joint(reviews, quotes, features, d["has_deal"], d["deal_y"], tol=tol)


def bias_rmse(est, true):
    e = (est - est.mean()) - (true - true.mean())
    return float(np.sqrt(np.mean(e**2)))


def two_way_lsqr(d, tol=1e-6):
    n, pan = d["a"].n, d["pan"]
    n_r = pan.score.size
    rows = np.repeat(np.arange(n_r), 2)
    cols = np.stack([pan.achievement, n + pan.reviewer], axis=1).ravel()
    A = sp.csr_matrix((np.ones(2 * n_r), (rows, cols)), shape=(n_r, n + d["pool"].bias.size))
    return lsqr(A, pan.score, atol=tol, btol=tol)[0][n:]


@pytest.fixture(scope="module", params=list(SIZES))
def data(request):
    return request.param, population(SIZES[request.param])


@pytest.mark.benchmark(group="pricing")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("tol", [1e-6, 1e-4])
def test_pricing_auction_sim_joint(benchmark, data, threads, tol):
    name, d = data
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    joint(d, tol)  # compile / warm
    res = benchmark.pedantic(joint, args=(d, tol), rounds=3, iterations=1)
    theta = d["a"].theta
    benchmark.extra_info.update(
        items=d["pan"].score.size, shape=name, threads=threads, tol=tol, iterations=res.n_iter,
        bias_rmse=bias_rmse(res.params.bias, d["pool"].bias),
        rmse_log=float(np.sqrt(np.mean((res.mean - theta)[~d["has_deal"]] ** 2))),
    )  # fmt: skip
    assert res.converged


@pytest.mark.benchmark(group="pricing")
def test_pricing_lsqr(benchmark, data):
    name, d = data
    b = benchmark.pedantic(two_way_lsqr, args=(d,), rounds=3, iterations=1)
    benchmark.extra_info.update(
        items=d["pan"].score.size, shape=name, threads=1, bias_rmse=bias_rmse(b, d["pool"].bias)
    )


SMALL = {"n": 500, "n_rev": 50}


@pytest.fixture(scope="module")
def small():
    return population(SMALL["n"], SMALL["n_rev"], seed=1)


@pytest.mark.benchmark(group="pricing")
def test_pricing_statsmodels_mixedlm(benchmark, small):
    pd = pytest.importorskip("pandas")
    sm = pytest.importorskip("statsmodels.formula.api")
    pan = small["pan"]
    df = pd.DataFrame({"s": pan.score, "ach": pan.achievement, "rev": pan.reviewer, "g": 0})

    def fit():
        model = sm.mixedlm("s ~ 1", df, groups="g",
                           vc_formula={"ach": "0 + C(ach)", "rev": "0 + C(rev)"})  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(method="lbfgs")

    fitted = benchmark.pedantic(fit, rounds=1, iterations=1)
    re = fitted.random_effects[0]
    b = np.array([re[f"rev[C(rev)[{j}]]"] for j in range(SMALL["n_rev"])])
    benchmark.extra_info.update(
        items=pan.score.size, shape="5e2x5", threads=1, bias_rmse=bias_rmse(b, small["pool"].bias)
    )


@pytest.mark.benchmark(group="pricing")
def test_pricing_auction_sim_joint_small(benchmark, small):
    joint(small)
    res = benchmark(joint, small)
    benchmark.extra_info.update(
        items=small["pan"].score.size, shape="5e2x5", threads=numba.get_num_threads(),
        iterations=res.n_iter, bias_rmse=bias_rmse(res.params.bias, small["pool"].bias),
    )  # fmt: skip


PEAK = textwrap.dedent(
    """
    import resource, sys
    sys.path.insert(0, {here!r})
    from test_pricing import joint, population
    d = population(1_000_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    joint(d)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before / 1024, after / 1024)
    """
)


@pytest.mark.benchmark(group="pricing-memory")
def test_pricing_auction_sim_peak_memory(benchmark):
    """Peak resident memory (MB) of a process that generates 1e6 achievements and runs the
    full joint estimation (inputs included)."""
    import os

    code = PEAK.format(here=os.path.dirname(__file__))

    def run():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)  # fmt: skip
        return [float(x) for x in out.stdout.split()]

    before, after = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(items=5_000_000, peak_rss_mb_inputs=before, peak_rss_mb=after)
    assert after < 2048
