"""The joint EM driver (:func:`estimate_joint`), its SQUAREM extrapolation and warm start.

EM (ECM) over the latent ``theta (n,)`` (natural log of the value) and the parameters of
:class:`~.model.PricingParams`: the E-step of :mod:`.estep`, the M-steps of :mod:`.mstep`,
start values from :mod:`.start`; SQUAREM works on the parameters packed into one vector
``(2 J + 7 + L,)`` with the variances in logs.  Large problems (from ``_WARM_STEP *
_WARM_MIN`` achievements) start from a loose fit on every ``_WARM_STEP``-th achievement.
Reviewer statistics are scattered from the achievement pass while the per-chunk copies
``(N_CHUNKS, J, 12)`` float64 stay under ``_FUSED_MAX_BYTES`` bytes, else gathered over
the reviewer CSR.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .common import _ONE, _VAR_FLOOR, N_CHUNKS, _u, _use_parallel
from .estep import _data, _estep
from .layout import QuoteLists, ReviewLists
from .model import (
    FEW_REVIEWS,
    NO_QUOTES,
    NO_REVIEWS,
    REVIEWER_IDLE,
    Features,
    JointResult,
    PricingParams,
    _clean,
    _deals,
    make_features,
)
from .mstep import (
    _level_direction,
    _level_step,
    _mstep_global,
    _mstep_reviewers,
    _reviewer_parallel,
    _reviewer_serial,
)
from .start import _setup

_FUSED_MAX_BYTES = 64 << 20  # per-chunk reviewer statistics up to this size


_WARM_STEP = 32  # the warm start fits every 32nd achievement ...
_WARM_MIN = 25_000  # ... when that is at least this many achievements ...
_WARM_TOL = 1e-2  # ... to this tolerance (tighter does not save full passes)


@njit(cache=True)
def _every(step, ach_ptr, reviewer, score, same, q_ptr, log_quote, codes, has_deal, deal_y,
           n_rev):  # fmt: skip
    """The achievements ``0, step, 2 step, ...`` with their reviews, quotes, features and
    deals (CSR pointers rebuilt; ``rev_ptr (J+1,)`` from the kept reviews)."""
    n = ach_ptr.size - 1
    m = (n + step - 1) // step
    n_r = 0
    n_q = 0
    for t in range(m):
        i = _u(t * step)
        n_r += ach_ptr[i + _ONE] - ach_ptr[i]
        n_q += q_ptr[i + _ONE] - q_ptr[i]
    a_ptr = np.zeros(m + 1, np.int64)
    rev = np.empty(n_r, np.int32)
    sc = np.empty(n_r)
    sm = np.empty(n_r, np.uint8)
    qp = np.zeros(m + 1, np.int64)
    lq = np.empty(n_q)
    cd = np.empty((m, codes.shape[1]), codes.dtype)
    hd = np.empty(m, np.uint8)
    dy = np.zeros(m)
    rev_ptr = np.zeros(n_rev + 1, np.int64)
    r = 0
    k = 0
    for t in range(m):
        i = _u(t * step)
        for s in range(_u(ach_ptr[i]), _u(ach_ptr[i + _ONE])):
            rev[r] = reviewer[s]
            sc[r] = score[s]
            sm[r] = same[s]
            rev_ptr[_u(reviewer[s] + 1)] += 1
            r += 1
        a_ptr[t + 1] = r
        for s in range(_u(q_ptr[i]), _u(q_ptr[i + _ONE])):
            lq[k] = log_quote[s]
            k += 1
        qp[t + 1] = k
        cd[t] = codes[i]
        hd[t] = has_deal[i]
        if has_deal[i]:
            dy[t] = deal_y[i]
    for j in range(n_rev):
        rev_ptr[j + 1] += rev_ptr[j]
    return a_ptr, rev, sc, sm, rev_ptr, qp, lq, cd, hd, dy


def _warm_start(reviews, quotes, features, has_deal, deal_y, n_d, kwargs):
    """Parameters fitted (loosely, ``_WARM_TOL``) on every ``_WARM_STEP``-th achievement:
    EM on the full data then starts near its fixed point (two full E-steps fewer at 1e6
    achievements, for about six passes over 1/32 of the data), or ``None`` when the
    subsample is too small or holds too few of the deals.  The start only moves the path,
    not the fixed point."""
    n = reviews.n_achievements
    if n < _WARM_STEP * _WARM_MIN:
        return None
    a_ptr, rev, sc, sm, rev_ptr, qp, lq, cd, hd, dy = _every(
        _WARM_STEP, reviews.ach_ptr, reviews.reviewer, reviews.score, reviews.same,
        quotes.q_ptr, quotes.log_quote, features.codes, has_deal, deal_y, reviews.n_reviewers,
    )  # fmt: skip
    if 2 * _WARM_STEP * int(hd.sum()) < n_d:
        return None
    e = np.zeros(0)
    sub_reviews = ReviewLists(a_ptr, rev, sc, sm, rev_ptr, e.astype(np.int32), e,
                              e.astype(np.uint8))  # fmt: skip
    sub = estimate_joint(sub_reviews, QuoteLists(qp, lq), Features(cd, features.n_levels), hd,
                         dy, **kwargs)  # fmt: skip
    return sub.params


def estimate_joint(
    reviews: ReviewLists,
    quotes: QuoteLists,
    features: Features | None = None,
    has_deal: np.ndarray | None = None,
    deal_y: np.ndarray | None = None,
    *,
    learn_scale: bool = True,
    learn_precision: bool = True,
    learn_prior: bool = True,
    prior_var: float = 1.0,
    bias_prior_sd: float = 10.0,
    var_prior_weight: float = 1.0,
    tol: float = 1e-6,
    max_iter: int = 200,
    init: PricingParams | None = None,
    accelerate: bool = True,
    parallel: bool | None = None,
) -> JointResult:
    """Joint EM estimate of achievement values, reviewer biases and precisions.

    Parameters
    ----------
    reviews, quotes : ReviewLists, QuoteLists
        From :func:`build_reviews` and :func:`build_quotes`.
    features : Features, optional
        Categorical prior features (:func:`make_features`); the prior mean is additive in
        their levels, its effects and the prior variance are learned when ``learn_prior``.
        Default: none (prior mean 0, or an intercept when ``learn_prior``).
    has_deal, deal_y : ndarray, shape (n_achievements,), optional
        Completed deals: their log prices anchor the level, so calibrate ``alpha``,
        ``gamma`` and the quote ``shift``.  Without deals the level stays at its start.
    learn_scale : bool
        Estimate ``alpha, gamma``; else they stay at ``init`` (default 0 and 1).
    learn_precision : bool
        Estimate per-reviewer variances and the same-field ratio; else all reviews get one
        pooled variance (the two-way least-squares model).
    prior_var : float
        Starting (or, with ``learn_prior=False``, fixed) prior variance; ``inf`` for a flat
        prior.
    bias_prior_sd : float
        Sd of the weak ``N(0, sd^2)`` bias prior; ``inf`` for none.
    var_prior_weight : float
        Pseudo-reviews at the pooled variance in each reviewer's variance estimate.
    tol, max_iter : float, int
        Stop when the largest change of a posterior mean and of a bias in one EM step is
        below ``tol``; ``max_iter`` caps the E-steps.
    accelerate : bool
        SQUAREM extrapolation between EM steps (same fixed point, fewer passes).
    parallel : bool, optional
        Multi-threaded kernels; by default from 100 000 reviews + quotes.  The result is
        identical either way.

    Returns
    -------
    JointResult
    """
    n = reviews.n_achievements
    if quotes.q_ptr.size != n + 1:
        raise ValueError("reviews and quotes must cover the same achievements")
    if features is None:
        k = 1 if learn_prior else 0
        features = make_features(np.zeros((n, k), np.int64), (1,) * k)
    if features.codes.shape[0] != n:
        raise ValueError("features must have one row per achievement")
    has_deal, deal_y = _deals(n, has_deal, deal_y)
    if not (tol > 0 and max_iter >= 1):
        raise ValueError("tol must be > 0 and max_iter >= 1")
    if not (bias_prior_sd > 0 and var_prior_weight >= 0 and prior_var > 0):
        raise ValueError("bias_prior_sd and prior_var must be > 0, var_prior_weight >= 0")
    parallel = _use_parallel(parallel, reviews, quotes)
    n_lev = features.size
    n_rev = reviews.n_reviewers
    # reviewer statistics: scattered from the achievement pass while the per-chunk copies
    # are small, else gathered over the reviewer CSR
    fused = N_CHUNKS * n_rev * 12 * 8 <= _FUSED_MAX_BYTES
    if not fused and reviews.rev_ach.size != reviews.score.size:
        raise ValueError("a reviewer pool this large needs build_reviews(reviewer_major=True)")
    data = _data(reviews, quotes, has_deal, deal_y, features, np.zeros(1), parallel)
    # one pass: start values, the data moments (count, sum s, sum s^2), the one-hot Gram
    start, fixed, gram = _setup(data, reviews, features, has_deal, deal_y, learn_scale,
                                learn_prior, prior_var, fused, parallel)  # fmt: skip
    n_d = data[3].size
    if init is None and fused:
        init = _warm_start(reviews, quotes, features, has_deal, deal_y, n_d, dict(
            learn_scale=learn_scale, learn_precision=learn_precision, learn_prior=learn_prior,
            prior_var=prior_var, bias_prior_sd=bias_prior_sd, var_prior_weight=var_prior_weight,
            tol=max(tol, _WARM_TOL), max_iter=max_iter, accelerate=accelerate,
            parallel=parallel))  # fmt: skip
    params = _clean(start if init is None else init, n_rev, n_lev)
    if not learn_precision:
        params = params._replace(field_factor=1.0)
    bias_prior_prec = 0.0 if bias_prior_sd == np.inf else 1.0 / bias_prior_sd**2
    gram_pinv = np.linalg.pinv(gram) if learn_prior else None
    n_q = quotes.log_quote.size
    level = _level_direction(features, gram, learn_scale, learn_prior, params.prior_var, n_d)
    rstats = np.zeros((N_CHUNKS if fused else 0, n_rev, 8))
    stats = np.empty((n_rev, 12))
    mean = np.zeros(n)
    var = np.empty(n)
    glob = np.empty(3)
    reviewer_kernel = _reviewer_parallel if parallel else _reviewer_serial

    def m_step(x, tot):
        """One M-step from the E-step sums ``tot`` (and the reviewer statistics) at ``x``."""
        x = x._replace(bias=x.bias.copy(), noise_var=x.noise_var.copy())
        if fused:  # reviewer statistics: the data moments plus the scattered moving ones
            moving = rstats.sum(axis=0)
            stats[:, [2, 3, 4, 8, 9, 10]] = moving[:, [0, 1, 2, 4, 5, 6]]
            stats[:, [0, 1, 5, 6, 7, 11]] = fixed
        else:
            reviewer_kernel(reviews.rev_ptr, reviews.rev_ach, reviews.rev_score,
                            reviews.rev_same, mean, var, stats)  # fmt: skip
        glob[:] = (x.alpha, x.gamma, x.field_factor)
        db = _mstep_reviewers(
            stats, x.bias, x.noise_var, glob, learn_scale, not learn_precision,
            bias_prior_prec, var_prior_weight, 2,
        )  # fmt: skip
        x = x._replace(alpha=glob[0], gamma=glob[1], field_factor=glob[2])
        x = _mstep_global(x, tot, n_lev, n, n_q, n_d, gram, gram_pinv)
        if level is not None:
            x = _level_step(x, tot, n_lev, level)
        return x, db

    # EM, accelerated by SQUAREM (Varadhan & Roland 2008): from x0, two EM steps give x1
    # and x2; the extrapolation x0 - 2 a r + a^2 v (r = x1 - x0, v = x2 - 2 x1 + x0,
    # a = -|r| / |v| clamped to [-_SQUAREM_MAX_STEP, -1]; a = -1 is x2) starts the next
    # cycle, whose first EM step stabilizes it.  Convergence is judged on plain EM steps
    # only: the largest change of a posterior mean and of a bias below ``tol``.
    x0 = params
    # passes whose change is not tested skip storing ``var`` (unless the reviewer gather
    # reads it)
    tot = _estep(data, x0, mean, var, parallel, rstats, not fused)
    converged = False
    it = 0
    while it < max_iter:
        x1, db = m_step(x0, tot)
        tot = _estep(data, x1, mean, var, parallel, rstats)
        it += 1
        params = x1
        if max(tot[n_lev + 10], db) < tol:
            converged = True
            break
        x2, _ = m_step(x1, tot)
        if accelerate:
            x2 = _squarem(x0, x1, x2)
        tot = _estep(data, x2, mean, var, parallel, rstats, not fused or it + 1 >= max_iter)
        it += 1
        params = x0 = x2
    flags = np.zeros(n, np.uint8)
    flags[np.diff(reviews.ach_ptr) == 0] |= NO_REVIEWS
    flags[np.diff(quotes.q_ptr) == 0] |= NO_QUOTES
    n_j = np.diff(reviews.rev_ptr)
    rflags = np.zeros(n_rev, np.uint8)
    rflags[n_j < 2] |= FEW_REVIEWS
    rflags[n_j == 0] |= REVIEWER_IDLE
    return JointResult(mean, var, params, it, converged, flags, rflags)


_SQUAREM_MAX_STEP = 64.0


def _pack(x):
    pv = 0.0 if x.prior_var == np.inf else np.log(x.prior_var)
    head = [x.alpha, x.gamma, np.log(x.field_factor), x.shift, np.log(x.quote_var), pv,
            np.log(x.deal_var)]  # fmt: skip
    return np.concatenate([x.bias, np.log(x.noise_var), head, x.effects])


def _unpack(z, like):
    j = like.bias.size
    h = z[2 * j : 2 * j + 7]
    return like._replace(
        bias=z[:j].copy(),
        noise_var=np.exp(z[j : 2 * j]),
        alpha=float(h[0]),
        gamma=float(h[1]),
        field_factor=float(np.exp(h[2])),
        shift=float(h[3]),
        quote_var=float(np.exp(h[4])),
        prior_var=like.prior_var if like.prior_var == np.inf else float(np.exp(h[5])),
        deal_var=float(np.exp(h[6])),
        effects=z[2 * j + 7 :].copy(),
    )


def _squarem(x0, x1, x2):
    """The SQUAREM extrapolation of two EM steps ``x0 -> x1 -> x2`` (variances in logs)."""
    z0, z1, z2 = _pack(x0), _pack(x1), _pack(x2)
    r = z1 - z0
    v = z2 - z1 - r
    nv = np.sqrt(v @ v)
    if not nv > 0.0:
        return x2
    a = -np.sqrt(r @ r) / nv
    a = min(max(a, -_SQUAREM_MAX_STEP), -1.0)
    z = z0 - 2.0 * a * r + a * a * v
    if not np.all(np.isfinite(z)) or abs(z[2 * x0.bias.size + 1]) < 1e-9:
        return x2
    j = x0.bias.size
    log_vars = np.concatenate([z[j : 2 * j], z[2 * j + 4 : 2 * j + 5], z[2 * j + 6 : 2 * j + 7]])
    if np.any(log_vars < np.log(_VAR_FLOOR)):  # a variance would collapse: plain EM step
        return x2
    return _unpack(z, x2)
