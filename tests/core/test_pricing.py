"""The pricing kernels against their naive twins (tests/naive/pricing.py) and scipy lsqr."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import lsqr

from auction_sim.core import pricing as cp
from auction_sim.core.pricing import em, estep, mstep
from naive import pricing as naive


def problem(seed, n, n_rev, n_reviews, n_quotes):
    """Random review and quote lists (any order, gaps allowed) and random parameters."""
    rng = np.random.default_rng(seed)
    ach = rng.integers(0, n, n_reviews)
    rev = rng.integers(0, n_rev, n_reviews)
    score = rng.normal(5, 2, n_reviews)
    same = rng.random(n_reviews) < 0.5
    q_ach = rng.integers(0, n, n_quotes)
    log_q = rng.normal(0, 1, n_quotes)
    params = cp.PricingParams(
        alpha=rng.normal(5, 1),
        gamma=rng.uniform(0.5, 2),
        bias=rng.normal(0, 0.5, n_rev),
        noise_var=rng.uniform(0.2, 2, n_rev),
        field_factor=rng.uniform(0.2, 1),
        shift=rng.normal(-0.2, 0.1),
        quote_var=rng.uniform(0.05, 1),
        effects=np.zeros(0),
        prior_var=rng.uniform(0.5, 2),
        deal_var=rng.uniform(0.01, 0.1),
    )
    has_deal = rng.random(n) < 0.3
    deal_y = np.where(has_deal, rng.normal(0, 1, n), 0.0)
    prior_mean = rng.normal(0, 1, n)
    return ach, rev, score, same, q_ach, log_q, params, has_deal, deal_y, prior_mean


sizes = dict(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 25),
    n_rev=st.integers(1, 8),
    n_reviews=st.integers(0, 60),
    n_quotes=st.integers(0, 40),
)


@settings(max_examples=40, deadline=None)
@given(**sizes)
def test_csr_lists_match_a_stable_sort(seed, n, n_rev, n_reviews, n_quotes):
    ach, rev, score, same, q_ach, log_q, *_ = problem(seed, n, n_rev, n_reviews, n_quotes)
    rl = cp.build_reviews(n, n_rev, ach, rev, score, same)
    order, ptr = naive.csr(ach, n)
    np.testing.assert_array_equal(rl.ach_ptr, ptr)
    np.testing.assert_array_equal(rl.reviewer, rev[order])
    np.testing.assert_array_equal(rl.score, score[order])
    np.testing.assert_array_equal(rl.same, same[order])
    order, ptr = naive.csr(rev, n_rev)
    np.testing.assert_array_equal(rl.rev_ptr, ptr)
    np.testing.assert_array_equal(rl.rev_ach, ach[order])
    np.testing.assert_array_equal(rl.rev_score, score[order])
    ql = cp.build_quotes(n, q_ach, log_q)
    order, ptr = naive.csr(q_ach, n)
    np.testing.assert_array_equal(ql.q_ptr, ptr)
    np.testing.assert_array_equal(ql.log_quote, log_q[order])


@settings(max_examples=40, deadline=None)
@given(**sizes, flat=st.booleans(), deals=st.booleans())
def test_fuse_matches_naive_and_serial_equals_parallel(
    seed, n, n_rev, n_reviews, n_quotes, flat, deals
):
    ach, rev, score, same, q_ach, log_q, params, has_deal, deal_y, mu = problem(
        seed, n, n_rev, n_reviews, n_quotes
    )
    if flat:
        params = params._replace(prior_var=np.inf)
    if not deals:
        has_deal = None
    rl = cp.build_reviews(n, n_rev, ach, rev, score, same)
    ql = cp.build_quotes(n, q_ach, log_q)
    m0, v0 = cp.fuse(rl, ql, params, mu, None, has_deal, deal_y, parallel=False)
    m1, v1 = cp.fuse(rl, ql, params, mu, None, has_deal, deal_y, parallel=True)
    np.testing.assert_array_equal(m0, m1)
    np.testing.assert_array_equal(v0, v1)
    em, ev = naive.fuse(ach, rev, score, same, q_ach, log_q, params, mu, n, has_deal, deal_y)
    np.testing.assert_allclose(m0, em, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(v0, ev, rtol=1e-10)
    assert not np.isnan(m0).any() and not np.isnan(v0).any()


@settings(max_examples=30, deadline=None)
@given(**sizes)
def test_reviewer_statistics_both_paths_match_naive(seed, n, n_rev, n_reviews, n_quotes):
    ach, rev, score, same, q_ach, log_q, params, *_ = problem(seed, n, n_rev, n_reviews, 0)
    rl = cp.build_reviews(n, n_rev, ach, rev, score, same)
    ql = cp.build_quotes(n, q_ach, log_q)
    mean = np.random.default_rng(seed).normal(size=n)
    var = np.random.default_rng(seed + 1).uniform(0.1, 1, n)
    expected = naive.reviewer_stats(ach, rev, score, same, mean, var, n_rev)
    stats = np.empty((n_rev, 12))
    mstep._reviewer_serial(rl.rev_ptr, rl.rev_ach, rl.rev_score, rl.rev_same, mean, var, stats)
    np.testing.assert_allclose(stats, expected, rtol=1e-12, atol=1e-9)
    # the fused scatter of the achievement pass (moving moments only: columns 2, 3, 4)
    features = cp.make_features(np.zeros((n, 0), np.int64), ())
    data = estep._data(rl, ql, np.zeros(n, np.uint8), np.zeros(n), features, np.zeros(1))
    m, v = cp.fuse(rl, ql, params, 0.0)
    rstats = np.zeros((cp.N_CHUNKS, n_rev, 8))
    estep._estep(data, params, mean.copy(), var.copy(), False, rstats)
    expected = naive.reviewer_stats(ach, rev, score, same, m, v, n_rev)
    got = rstats.sum(0)[:, [0, 1, 2, 4, 5, 6]]
    np.testing.assert_allclose(got, expected[:, [2, 3, 4, 8, 9, 10]], rtol=1e-10, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), k=st.integers(0, 80))
def test_row_mean_and_median(seed, n, k):
    rng = np.random.default_rng(seed)
    order, ptr = naive.csr(rng.integers(0, n, k), n)
    values = rng.choice([0.0, 1.0, 2.5, -1.0], k) if seed % 2 else rng.normal(size=k)
    np.testing.assert_allclose(cp.achievement_mean(ptr, values), naive.row_mean(ptr, values))
    np.testing.assert_array_equal(cp.achievement_median(ptr, values), naive.row_median(ptr, values))


def two_way(seed, n, n_rev, panel):
    rng = np.random.default_rng(seed)
    ach = np.repeat(np.arange(n), panel)
    rev = np.concatenate([rng.choice(n_rev, panel, replace=False) for _ in range(n)])
    b = rng.normal(0, 0.5, n_rev)
    score = rng.normal(0, 1, n)[ach] + b[rev] + rng.normal(0, 1, ach.size)
    same = rng.random(ach.size) < 0.5
    return ach, rev, score, same


@pytest.mark.parametrize("seed,n,n_rev,panel", [(0, 400, 30, 5), (1, 300, 12, 2), (2, 60, 25, 3)])
def test_equal_precision_biases_match_lsqr(seed, n, n_rev, panel):
    ach, rev, score, same = two_way(seed, n, n_rev, panel)
    rl = cp.build_reviews(n, n_rev, ach, rev, score, same)
    ql = cp.build_quotes(n, np.zeros(0, np.int64), np.zeros(0))
    res = cp.estimate_joint(
        rl, ql, learn_scale=False, learn_precision=False, learn_prior=False,
        prior_var=np.inf, bias_prior_sd=np.inf, tol=1e-12, max_iter=20_000,
    )  # fmt: skip
    assert res.converged
    assert np.all(np.diff(rl.rev_ptr) > 0)  # every reviewer active: sum-to-zero over all
    A = sp.csr_matrix(
        (np.ones(2 * ach.size), (np.repeat(np.arange(ach.size), 2),
                                 np.stack([ach, n + rev], 1).ravel())),
        shape=(ach.size, n + n_rev),
    )  # fmt: skip
    sol = lsqr(A, score, atol=1e-14, btol=1e-14, iter_lim=100_000)[0]
    b = sol[n:] - sol[n:].mean()
    np.testing.assert_allclose(res.params.bias, b, atol=1e-6)
    # the achievement effects too (same centring: biases sum to zero)
    a = sol[:n] + sol[n:].mean()
    np.testing.assert_allclose(res.mean, a, atol=1e-6)
    if n * n_rev <= 20_000:
        np.testing.assert_allclose(
            res.params.bias, naive.two_way_ls_biases(ach, rev, score, n, n_rev), atol=1e-6
        )


def test_degenerate_inputs_flagged_without_nan():
    rng = np.random.default_rng(5)
    n, n_rev = 200, 12
    ach, rev, score, same = two_way(5, n, n_rev - 1, 3)
    keep = ach < n - 10  # the last 10 achievements get no review
    ach, rev, score, same = ach[keep], rev[keep], score[keep], same[keep]
    ach = np.append(ach, 0)  # reviewer n_rev - 1 reviews once
    rev = np.append(rev, n_rev - 1)
    score = np.append(score, 7.0)
    same = np.append(same, True)
    q_ach = np.repeat(np.arange(0, n, 2), 2)  # odd achievements have no quote
    log_q = rng.normal(size=q_ach.size)
    rl = cp.build_reviews(n, n_rev + 1, ach, rev, score, same)  # reviewer n_rev is idle
    ql = cp.build_quotes(n, q_ach, log_q)
    has_deal = np.zeros(n, bool)
    has_deal[:20] = True
    deal_y = np.where(has_deal, rng.normal(size=n), 0.0)
    res = cp.estimate_joint(rl, ql, None, has_deal, deal_y)
    for arr in (res.mean, res.var, res.params.bias, res.params.noise_var):
        assert np.all(np.isfinite(arr))
    assert np.all(res.var > 0)
    assert np.all(res.flags[n - 10 :] & cp.NO_REVIEWS)
    assert not np.any(res.flags[: n - 10] & cp.NO_REVIEWS)
    assert np.all(res.flags[1::2] & cp.NO_QUOTES) and not np.any(res.flags[0::2] & cp.NO_QUOTES)
    assert res.reviewer_flags[n_rev - 1] & cp.FEW_REVIEWS
    assert res.reviewer_flags[n_rev] & cp.REVIEWER_IDLE
    assert not np.any(res.reviewer_flags[: n_rev - 1])
    # no quotes at all, and no deals: still finite
    none = cp.build_quotes(n, np.zeros(0, np.int64), np.zeros(0))
    res = cp.estimate_joint(rl, none)
    assert np.all(np.isfinite(res.mean)) and np.all(np.isfinite(res.var))
    assert np.all(res.flags & cp.NO_QUOTES)


def test_joint_is_deterministic_serial_equals_parallel():
    rl, ql, f, deal, y, _ = small_population(seed=3)
    a = cp.estimate_joint(rl, ql, f, deal, y, parallel=False)
    b = cp.estimate_joint(rl, ql, f, deal, y, parallel=True)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.params.bias, b.params.bias)
    assert a.n_iter == b.n_iter


def test_bad_arguments():
    with pytest.raises(ValueError, match="out of range"):
        cp.build_reviews(3, 2, [0, 3], [0, 1], [1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="out of range"):
        cp.build_reviews(3, 2, [0, 1], [0, 2], [1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="finite"):
        cp.build_reviews(3, 2, [0, 1], [0, 1], [1.0, np.nan], [0, 0])
    with pytest.raises(ValueError, match="out of range"):
        cp.make_features(np.array([[0], [2]]), (2,))
    rl = cp.build_reviews(3, 2, [0, 1], [0, 1], [1.0, 2.0], [0, 0])
    ql = cp.build_quotes(3, [0], [0.1])
    with pytest.raises(ValueError, match="tol"):
        cp.estimate_joint(rl, ql, tol=0.0)
    bad = cp.PricingParams(0.0, 1.0, np.zeros(2), np.array([1.0, -1.0]), 1.0, 0.0, 1.0,
                           np.zeros(0), 1.0, 1.0)  # fmt: skip
    with pytest.raises(ValueError, match="positive"):
        cp.fuse(rl, ql, bad)


def small_population(n=3000, n_rev=30, seed=4):
    from auction_sim.pricing import signals as sg

    rng = np.random.default_rng(seed)
    a = sg.draw_achievements(rng, n, 4, 1.0)
    pool = sg.draw_reviewers(rng, n_rev, 4, 0.5, 1.0, 0.3)
    pan = sg.draw_panels(rng, a, pool, 4, 0.6, 0.5, 5.0, 1.0)
    q = sg.draw_quotes(rng, a.theta, 2, 0.4, 0.15)
    deal, y = sg.draw_deals(rng, a.theta, n // 20, 0.2)
    rl = cp.build_reviews(n, n_rev, pan.achievement, pan.reviewer, pan.score, pan.same)
    ql = cp.build_quotes(n, q.achievement, q.log_quote)
    return rl, ql, cp.make_features(*sg.feature_codes(a)), deal, y, pan


def test_reviewer_csr_path_equals_fused_scatter(monkeypatch):
    """Large pools gather reviewer statistics over the reviewer CSR instead of scattering
    them from the achievement pass: same estimate up to rounding."""
    rl, ql, f, deal, y, pan = small_population()
    fused = cp.estimate_joint(rl, ql, f, deal, y, tol=1e-10)
    assert fused.converged
    monkeypatch.setattr(em, "_FUSED_MAX_BYTES", 0)
    gathered = cp.estimate_joint(rl, ql, f, deal, y, tol=1e-10)
    np.testing.assert_allclose(gathered.mean, fused.mean, atol=1e-8)
    np.testing.assert_allclose(gathered.params.bias, fused.params.bias, atol=1e-8)
    slim = cp.build_reviews(3000, 30, pan.achievement, pan.reviewer, pan.score, pan.same,
                            reviewer_major=False)  # fmt: skip
    np.testing.assert_array_equal(slim.rev_ptr, rl.rev_ptr)
    with pytest.raises(ValueError, match="reviewer_major"):
        cp.estimate_joint(slim, ql, f, deal, y)


def test_acceleration_keeps_the_fixed_point():
    rl, ql, f, deal, y, _ = small_population(seed=6)
    plain = cp.estimate_joint(rl, ql, f, deal, y, tol=1e-10, accelerate=False, max_iter=5000)
    fast = cp.estimate_joint(rl, ql, f, deal, y, tol=1e-10)
    assert plain.converged and fast.converged and fast.n_iter < plain.n_iter
    np.testing.assert_allclose(fast.mean, plain.mean, atol=1e-7)
    np.testing.assert_allclose(fast.params.noise_var, plain.params.noise_var, rtol=1e-6)
    assert fast.params.gamma == pytest.approx(plain.params.gamma, abs=1e-7)


def test_joint_fixed_point_matches_the_naive_em():
    from auction_sim.pricing import signals as sg

    rng = np.random.default_rng(11)
    n, n_rev = 300, 8
    a = sg.draw_achievements(rng, n, 2, 1.0)
    pool = sg.draw_reviewers(rng, n_rev, 2, 0.5, 1.0, 0.3)
    pan = sg.draw_panels(rng, a, pool, 3, 0.6, 0.5, 5.0, 1.0)
    q = sg.draw_quotes(rng, a.theta, 2, 0.4, 0.15)
    deal, y = sg.draw_deals(rng, a.theta, 40, 0.2)
    codes, levels = sg.feature_codes(a)
    codes, levels = codes[:, :1], levels[:1]  # the field only: a small prior design
    rl = cp.build_reviews(n, n_rev, pan.achievement, pan.reviewer, pan.score, pan.same)
    ql = cp.build_quotes(n, q.achievement, q.log_quote)
    res = cp.estimate_joint(rl, ql, cp.make_features(codes, levels), deal, y, tol=1e-12,
                            max_iter=20_000)  # fmt: skip
    assert res.converged
    m, v, p = naive.joint_em(pan.achievement, pan.reviewer, pan.score, pan.same, q.achievement,
                             q.log_quote, codes, levels, deal, y, n, n_rev)  # fmt: skip
    np.testing.assert_allclose(res.mean, m, atol=1e-6)
    np.testing.assert_allclose(res.var, v, rtol=1e-6)
    np.testing.assert_allclose(res.params.bias, p.bias, atol=1e-6)
    np.testing.assert_allclose(res.params.noise_var, p.noise_var, rtol=1e-6)
    for name in ("alpha", "gamma", "field_factor", "shift", "quote_var", "prior_var", "deal_var"):
        assert getattr(res.params, name) == pytest.approx(getattr(p, name), rel=1e-6), name


def test_accelerated_fit_never_collapses_a_variance():
    """Regression: SQUAREM drove quote_var to 0 on a two-achievement fit (ZeroDivisionError)."""
    rl = cp.build_reviews(
        2,
        500,
        np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
        np.array([300, 293, 398, 145, 371, 415, 470, 211, 372, 377]),
        np.array(
            [
                -0.5059426434522447,
                -2.0893345801561187,
                -2.9884408807887723,
                -1.0833402474841531,
                -1.028863738768038,
                0.34480662759299474,
                -0.6546440258852153,
                -0.8604438456514805,
                -0.669715174596919,
                -0.7654752318937168,
            ]
        ),  # fmt: skip
        np.array([True, False, False, False, False, True, False, False, False, False]),
    )
    ql = cp.build_quotes(
        2,
        np.array([0, 0, 0, 1, 1, 1]),
        np.array([-0.7945654477012312, -0.619637446951441, -1.1412105102641,
                  0.7506046551186895, 0.08250214419741872, 0.103686392915956]),
    )  # fmt: skip
    for acc in (False, True):
        res = cp.estimate_joint(
            rl, ql, learn_scale=False, learn_prior=False, accelerate=acc, parallel=False
        )
        assert np.all(np.isfinite(res.mean)) and np.all(res.var > 0)
        assert res.params.quote_var > 0


def test_warm_start_moves_the_path_not_the_fixed_point(monkeypatch):
    """Large inputs start EM from a loose fit on every 32nd achievement (``_warm_start``);
    lowering the size threshold exercises it here: the same fixed point.  (It saves full
    passes only on large inputs; that is measured in benchmarks/test_pricing.py.)"""
    rl, ql, f, deal, y, _ = small_population(n=6400, n_rev=30, seed=9)
    cold = cp.estimate_joint(rl, ql, f, deal, y, tol=1e-10)
    assert cold.converged
    calls = []
    real = em._warm_start

    def spy(*args):
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(em, "_WARM_MIN", 100)  # 6400 / 32 = 200 achievements in the subsample
    monkeypatch.setattr(em, "_warm_start", spy)
    warm = cp.estimate_joint(rl, ql, f, deal, y, tol=1e-10)
    # the outer fit warm-started; the subsample's own fit (200 achievements) did not
    assert calls == [False, True] and warm.converged
    np.testing.assert_allclose(warm.mean, cold.mean, atol=1e-7)
    np.testing.assert_allclose(warm.var, cold.var, rtol=1e-6)
    np.testing.assert_allclose(warm.params.bias, cold.params.bias, atol=1e-7)
    np.testing.assert_allclose(warm.params.noise_var, cold.params.noise_var, rtol=1e-6)
    # a subsample without the deals falls back to the cold start
    calls.clear()
    off = deal.astype(bool) & (np.arange(deal.size) % 32 != 0)
    res = cp.estimate_joint(rl, ql, f, off.astype(deal.dtype), y, tol=1e-6)
    assert calls == [False] and res.converged


def test_wide_layouts_match_the_narrow_ones_and_the_naive_em():
    """The E-step's slim layout widens its types when it must: reviewer keys (uint16 up to
    32 768 reviewers, int32 beyond) and quote counts (uint8 up to 127 quotes per achievement,
    int64 beyond).  Spreading 8 reviewers over 40 000 ids gives the compact pool's answer;
    one achievement with 150 quotes still reaches the naive EM's fixed point."""
    from auction_sim.pricing import signals as sg

    rng = np.random.default_rng(12)
    n, n_rev, wide = 300, 8, 40_000
    a = sg.draw_achievements(rng, n, 2, 1.0)
    pool = sg.draw_reviewers(rng, n_rev, 2, 0.5, 1.0, 0.3)
    pan = sg.draw_panels(rng, a, pool, 3, 0.6, 0.5, 5.0, 1.0)
    q = sg.draw_quotes(rng, a.theta, 2, 0.4, 0.15)
    extra = sg.draw_quotes(rng, a.theta[:1], 150, 0.4, 0.15)  # 150 quotes of achievement 0
    q_ach = np.concatenate([q.achievement, extra.achievement])
    log_q = np.concatenate([q.log_quote, extra.log_quote])
    deal, y = sg.draw_deals(rng, a.theta, 40, 0.2)
    codes, levels = sg.feature_codes(a)
    codes, levels = codes[:, :1], levels[:1]
    f = cp.make_features(codes, levels)

    def fit(pool_size, reviewer):
        rl = cp.build_reviews(n, pool_size, pan.achievement, reviewer, pan.score, pan.same)
        res = cp.estimate_joint(rl, cp.build_quotes(n, q_ach, log_q), f, deal, y, tol=1e-12,
                                max_iter=20_000)  # fmt: skip
        assert res.converged
        return res

    compact = fit(n_rev, pan.reviewer)
    spread = fit(wide, pan.reviewer * 5000 + 3)  # ids over the wide pool, most without reviews
    np.testing.assert_allclose(spread.mean, compact.mean, atol=1e-9)
    np.testing.assert_allclose(spread.var, compact.var, rtol=1e-9)
    np.testing.assert_allclose(spread.params.bias[np.arange(n_rev) * 5000 + 3],
                               compact.params.bias, atol=1e-9)  # fmt: skip
    m, v, p = naive.joint_em(pan.achievement, pan.reviewer, pan.score, pan.same, q_ach, log_q,
                             codes, levels, deal, y, n, n_rev)  # fmt: skip
    np.testing.assert_allclose(compact.mean, m, atol=1e-6)
    np.testing.assert_allclose(compact.var, v, rtol=1e-6)
    np.testing.assert_allclose(compact.params.bias, p.bias, atol=1e-6)
    for name in ("alpha", "gamma", "shift", "quote_var", "prior_var", "deal_var"):
        assert getattr(compact.params, name) == pytest.approx(getattr(p, name), rel=1e-6), name
