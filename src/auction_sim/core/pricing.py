"""Price discovery kernels: review/inquiry estimation and evidence fusion (DESIGN §6).

The model.  Achievement ``i`` has a latent log value ``theta_i ~ N(x_i . beta, prior_var)``
(``x_i . beta``: additive effects of categorical features, see :class:`Features`).
Review ``r`` of achievement ``i`` by reviewer ``j`` scores

    s_r = alpha + gamma * theta_i + b_j + e_r,   e_r ~ N(0, v_j * phi ** same_r)

(``b_j`` the reviewer's bias, ``v_j`` its out-of-field noise variance, ``phi`` the variance
ratio of same-field reviews, ``same_r`` 1 when reviewer and achievement share a field).
Quote ``k`` is ``log q_k = theta_i + shift + eps_k``, ``eps_k ~ N(0, quote_var)``, where
``shift = log(1 - shading)`` (quotes understate).  A completed deal observes
``y_i = theta_i + eta_i``, ``eta_i ~ N(0, deal_var)``: deals anchor the level of ``theta``
and so calibrate the score scale ``(alpha, gamma)`` and the quote shift.

Data layout (built once by :func:`build_reviews` / :func:`build_quotes`): compressed
sparse rows, review-level index arrays int32 (memory bandwidth is the cost here):

* achievement -> reviews: ``ach_ptr (n+1,) int64``, ``reviewer (R,) int32``,
  ``score (R,) float64``, ``same (R,) uint8``;
* reviewer -> reviews: ``rev_ptr (J+1,) int64``, ``rev_ach (R,) int32``, ``rev_score``,
  ``rev_same``;
* achievement -> quotes: ``q_ptr (n+1,) int64``, ``log_quote (Q,) float64``.

Both are built in one parallel pass over the raw arrays when these are in achievement order
(checks, copies and the CSR pointer together; a counting sort otherwise).  The E-step
streams a slimmer copy (:func:`_data`: uint16 review keys, the mean log quote, one byte of
quote count and deal flag, one cell code for the prior features), about 80 bytes per
achievement with 5 reviews and 3 quotes.

Kernels:

* :func:`fuse` -- the Gaussian posterior (mean, variance) of every ``theta_i`` given all
  parameters: prior, review and quote evidence multiplied together (the E-step, and the
  oracle when called with the true parameters);
* :func:`estimate_joint` -- EM (ECM) over the latent ``theta`` and the parameters
  ``alpha, gamma, b, v, phi, shift, quote_var, effects, prior_var, deal_var``: an
  achievement-parallel E-step that also scatters each reviewer's sufficient statistics
  into per-chunk copies (or, for very large pools, a reviewer-parallel gather over the
  reviewer CSR), then closed-form M-steps, a one-step move of the common level to where
  the deals put it, and SQUAREM extrapolation.  Identifiability is explicit: biases sum
  to zero (their mean moves into ``alpha``) and carry a weak ``N(0, bias_prior_sd**2)``
  prior; reviewer variances carry a weak inverse-gamma prior (``var_prior_weight`` pseudo
  reviews at the pooled variance), so a reviewer with one review gets no zero variance.
  Iterates until the largest change of a posterior mean and of a bias in one EM step is
  below ``tol``, at most ``max_iter`` E-steps.  Large problems (from 800 000
  achievements) start from a loose fit on every 32nd achievement (a warm start: fewer
  full passes, same fixed point);
* :func:`achievement_mean`, :func:`achievement_median` -- per-achievement mean / median of
  a CSR value list (the ``mean_score`` and ``median_quote`` baselines).

Results do not depend on the number of threads: the achievement pass is split into a fixed
number of chunks whose partial sums are reduced in order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = [
    "NO_REVIEWS",
    "NO_QUOTES",
    "FEW_REVIEWS",
    "REVIEWER_IDLE",
    "ReviewLists",
    "QuoteLists",
    "PricingParams",
    "Features",
    "make_features",
    "JointResult",
    "build_reviews",
    "build_quotes",
    "fuse",
    "estimate_joint",
    "achievement_mean",
    "achievement_median",
]

NO_REVIEWS = 1  # achievement flag: no review (posterior from prior and quotes only)
NO_QUOTES = 2  # achievement flag: no quote
FEW_REVIEWS = 1  # reviewer flag: fewer than two reviews (bias and variance prior-dominated)
REVIEWER_IDLE = 2  # reviewer flag: no review at all

N_CHUNKS = 16  # fixed split of the achievement pass: results independent of thread count
_PARALLEL_MIN_ITEMS = 100_000  # reviews + quotes below which the serial kernels are used
_VAR_FLOOR = 1e-10
_N_ACC_EXTRA = 11  # accumulator slots after the L level sums (see _estep_chunk)
_FUSED_MAX_BYTES = 64 << 20  # per-chunk reviewer statistics up to this size
_MAX_CELLS = 4096  # combinations of feature levels up to which the pass reads a cell code


# Indices are cast to uint64 where they are known to be >= 0: numba then skips the
# negative-index wraparound test, which otherwise keeps LLVM from optimising the inner loops
# (up to 10x on a plain copy loop).  Never mix uint64 and int64 in arithmetic (the result
# is float64): add ``_ONE``, not ``1``, to a uint64.
_ONE = np.uint64(1)


@njit(cache=True, inline="always")
def _u(x):
    return np.uint64(x)


# --------------------------------------------------------------------------- data layout


class ReviewLists(NamedTuple):
    """Reviews in two CSR orders; ``n_achievements = ach_ptr.size - 1``."""

    ach_ptr: np.ndarray  # (n+1,) int64
    reviewer: np.ndarray  # (R,) int32, achievement-major
    score: np.ndarray  # (R,) float64
    same: np.ndarray  # (R,) uint8, 1 = reviewer of the achievement's field
    rev_ptr: np.ndarray  # (J+1,) int64
    rev_ach: np.ndarray  # (R,) int32, reviewer-major
    rev_score: np.ndarray  # (R,) float64
    rev_same: np.ndarray  # (R,) uint8

    @property
    def n_achievements(self) -> int:
        return self.ach_ptr.size - 1

    @property
    def n_reviewers(self) -> int:
        return self.rev_ptr.size - 1


class QuoteLists(NamedTuple):
    """Quotes (natural log of the quoted price) in CSR by achievement."""

    q_ptr: np.ndarray  # (n+1,) int64
    log_quote: np.ndarray  # (Q,) float64


@njit(cache=True)
def _counting_sort(keys, n_keys):
    """Stable order of ``keys`` (ints in [0, n_keys)) and the CSR pointer, in O(n)."""
    ptr = np.zeros(n_keys + 1, np.int64)
    for k in keys:
        ptr[k + 1] += 1
    for k in range(n_keys):
        ptr[k + 1] += ptr[k]
    pos = ptr[:-1].copy()
    order = np.empty(keys.size, np.int64)
    for r in range(keys.size):
        k = keys[r]
        order[pos[k]] = r
        pos[k] += 1
    return order, ptr


@njit(cache=True)
def _gather_reviews(order, a, b, s, out_a, out_b, out_s):
    for k in range(order.size):
        r = order[k]
        out_a[k] = a[r]
        out_b[k] = b[r]
        out_s[k] = s[r]


@njit(cache=True, inline="always")
def _scan_chunk(achievement, n_ach, ptr, lo, hi):
    """The part of one pass over raw rows ``[lo, hi)`` keyed by ``achievement`` common to
    reviews and quotes: order and range flags (1: achievement out of range, 4: not sorted)
    and ``ptr[k] = r`` for the first row ``r`` of every achievement ``k`` above the largest
    one before (the CSR pointer when the achievements are sorted)."""
    b = 0
    mx = achievement[lo - 1] if lo > 0 else -1
    prev = mx if lo > 0 else 0
    for r in range(_u(lo), _u(hi)):
        a = achievement[r]
        if a < 0 or a >= n_ach:
            b |= 1
        elif a > mx:
            for k in range(_u(mx + 1 if mx >= 0 else 0), _u(a + 1)):
                ptr[k] = r
            mx = a
        if a < prev:
            b |= 4
        prev = a
    return b


@njit(cache=True, inline="always")
def _scan_reviews_chunk(c, achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                        same8, ptr):  # fmt: skip
    """Chunk ``c`` of one pass over raw reviews: ``bad[c]`` gets range, order and
    finiteness flags (1: achievement out of range, 2: reviewer out of range, 4: achievements
    not sorted, 8: score not finite); ``rev32 = reviewer``, ``same8 = same != 0``, ``ptr``
    (see :func:`_scan_chunk`) and, when ``counts`` has rows, ``counts[c]`` the reviews of
    every reviewer."""
    n_r = achievement.size
    n_rev = counts.shape[1]
    count = counts.shape[0] > 0
    lo = c * n_r // N_CHUNKS
    hi = (c + 1) * n_r // N_CHUNKS
    b = _scan_chunk(achievement, n_ach, ptr, lo, hi)
    for r in range(_u(lo), _u(hi)):
        j = reviewer[r]
        if j < 0 or j >= n_rev:
            b |= 2
        elif count:
            counts[c, _u(j)] += 1
        if not np.isfinite(score[r]):
            b |= 8
        rev32[r] = j
        same8[r] = 1 if same[r] else 0
    bad[c] = b


@njit(cache=True)
def _scan_reviews_serial(achievement, reviewer, score, same, n_ach, bad, counts, rev32, same8,
                         ptr):  # fmt: skip
    for c in range(N_CHUNKS):
        _scan_reviews_chunk(c, achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                            same8, ptr)  # fmt: skip


@njit(cache=True, parallel=True)
def _scan_reviews_parallel(achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                           same8, ptr):  # fmt: skip
    for c in prange(N_CHUNKS):
        _scan_reviews_chunk(c, achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                            same8, ptr)  # fmt: skip


@njit(cache=True, inline="always")
def _scan_quotes_chunk(c, achievement, log_quote, n_ach, bad, ptr):
    """Chunk ``c`` of one pass over raw quotes: flags as :func:`_scan_reviews_chunk`
    (1, 4, 8) and ``ptr``."""
    n_r = achievement.size
    lo = c * n_r // N_CHUNKS
    hi = (c + 1) * n_r // N_CHUNKS
    b = _scan_chunk(achievement, n_ach, ptr, lo, hi)
    for r in range(_u(lo), _u(hi)):
        if not np.isfinite(log_quote[r]):
            b |= 8
    bad[c] = b


@njit(cache=True)
def _scan_quotes_serial(achievement, log_quote, n_ach, bad, ptr):
    for c in range(N_CHUNKS):
        _scan_quotes_chunk(c, achievement, log_quote, n_ach, bad, ptr)


@njit(cache=True, parallel=True)
def _scan_quotes_parallel(achievement, log_quote, n_ach, bad, ptr):
    for c in prange(N_CHUNKS):
        _scan_quotes_chunk(c, achievement, log_quote, n_ach, bad, ptr)


def _finish_ptr(ptr, achievement):
    """Complete the pointer of :func:`_scan_chunk` for sorted ``achievement``."""
    ptr[achievement[-1] + 1 if achievement.size else 0 :] = achievement.size
    return ptr


def _ptr_from_counts(counts):
    ptr = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


def build_reviews(
    n_achievements, n_reviewers, achievement, reviewer, score, same, *, reviewer_major=True
) -> ReviewLists:
    """CSR review lists from reviews in any order.

    Parameters
    ----------
    n_achievements, n_reviewers : int
    achievement, reviewer : ndarray, shape (R,), int
        Indices in ``[0, n_achievements)`` and ``[0, n_reviewers)``.
    score : ndarray, shape (R,), float
        Review scores (score units).
    same : ndarray, shape (R,), bool
        Whether reviewer and achievement share a field.
    reviewer_major : bool
        Also build the reviewer -> reviews lists (``rev_ach``, ``rev_score``, ``rev_same``).
        :func:`estimate_joint` needs them only for very large reviewer pools (see
        ``_FUSED_MAX_BYTES``); without them those arrays are empty, ``rev_ptr`` is kept.
    """
    achievement = np.asarray(achievement, np.int64)
    reviewer = np.asarray(reviewer, np.int64)
    score = np.ascontiguousarray(score, np.float64)
    same = np.asarray(same)
    n_r = achievement.size
    if not (reviewer.size == score.size == same.size == n_r):
        raise ValueError("achievement, reviewer, score and same must have the same length")
    if n_achievements >= 2**31 or n_reviewers >= 2**30:
        raise ValueError("at most 2**31 - 1 achievements and 2**30 - 1 reviewers")
    achievement, reviewer = achievement.ravel(), reviewer.ravel()
    score, same = score.ravel(), same.ravel()
    rev32 = np.empty(n_r, np.int32)
    same8 = np.empty(n_r, np.uint8)
    count = N_CHUNKS * n_reviewers <= 1 << 22  # per-chunk reviewer counts stay small
    counts = np.zeros((N_CHUNKS if count else 0, n_reviewers), np.int64)
    bad = np.zeros(N_CHUNKS, np.int64)
    parallel = n_r >= _PARALLEL_MIN_ITEMS
    scan = _scan_reviews_parallel if parallel else _scan_reviews_serial
    ptr = np.empty(n_achievements + 1, np.int64)
    scan(achievement, reviewer, score, same, int(n_achievements), bad, counts, rev32, same8,
         ptr)  # fmt: skip
    flags = np.bitwise_or.reduce(bad)
    if flags & 1:
        raise ValueError("achievement index out of range")
    if flags & 2:
        raise ValueError("reviewer index out of range")
    if flags & 8:
        raise ValueError("scores must be finite")
    if flags & 4:  # not in achievement order: counting sort
        order, ach_ptr = _counting_sort(achievement, int(n_achievements))
        a_rev = np.empty(n_r, np.int32)
        a_same = np.empty(n_r, np.uint8)
        a_score = np.empty(n_r, np.float64)
        _gather_reviews(order, rev32, same8, score, a_rev, a_same, a_score)
    else:  # the usual case: no permutation needed
        ach_ptr = _finish_ptr(ptr, achievement)
        a_rev, a_same, a_score = rev32, same8, score
    if reviewer_major:
        order, rev_ptr = _counting_sort(rev32, int(n_reviewers))
        r_ach = np.empty(n_r, np.int32)
        r_same = np.empty(n_r, np.uint8)
        r_score = np.empty(n_r, np.float64)
        _gather_reviews(order, achievement.astype(np.int32), same8, score, r_ach, r_same,
                        r_score)  # fmt: skip
    else:
        rev_counts = counts.sum(axis=0) if count else np.bincount(rev32, minlength=n_reviewers)
        rev_ptr = _ptr_from_counts(rev_counts)
        e = np.zeros(0)
        r_ach, r_score, r_same = e.astype(np.int32), e, e.astype(np.uint8)
    return ReviewLists(ach_ptr, a_rev, a_score, a_same, rev_ptr, r_ach, r_score, r_same)


def build_quotes(n_achievements, achievement, log_quote) -> QuoteLists:
    """CSR quote lists (by achievement) from quotes in any order.

    ``achievement`` (Q,) ints in ``[0, n_achievements)``, ``log_quote`` (Q,) the natural
    log of the quoted prices.
    """
    achievement = np.asarray(achievement, np.int64).ravel()
    log_quote = np.ascontiguousarray(log_quote, np.float64)
    if achievement.size != log_quote.size:
        raise ValueError("achievement and log_quote must have the same length")
    log_quote = log_quote.ravel()
    ptr = np.empty(n_achievements + 1, np.int64)
    bad = np.zeros(N_CHUNKS, np.int64)
    parallel = achievement.size >= _PARALLEL_MIN_ITEMS
    scan = _scan_quotes_parallel if parallel else _scan_quotes_serial
    scan(achievement, log_quote, int(n_achievements), bad, ptr)
    flags = np.bitwise_or.reduce(bad)
    if flags & 1:
        raise ValueError("achievement index out of range")
    if flags & 8:
        raise ValueError("log quotes must be finite")
    if not flags & 4:  # the usual case: no permutation needed
        return QuoteLists(_finish_ptr(ptr, achievement), log_quote)
    order, ptr = _counting_sort(achievement, int(n_achievements))
    return QuoteLists(ptr, log_quote[order])


# --------------------------------------------------------------------------- parameters


class PricingParams(NamedTuple):
    """Parameters of the model in the module docstring."""

    alpha: float  # score offset (score units)
    gamma: float  # score scale (score units per log value)
    bias: np.ndarray  # (J,) reviewer biases (score units)
    noise_var: np.ndarray  # (J,) out-of-field noise variance v_j (score units squared)
    field_factor: float  # phi: same-field variance / out-of-field variance
    shift: float  # mean of log quote - log value, log(1 - shading)
    quote_var: float  # variance of log quote noise
    effects: np.ndarray  # (L,) prior effects of every feature level, stacked by feature
    prior_var: float  # variance of theta around its prior mean (inf: flat prior)
    deal_var: float  # variance of log deal price around theta


class JointResult(NamedTuple):
    """Output of :func:`estimate_joint`."""

    mean: np.ndarray  # (n,) posterior mean of theta (log value)
    var: np.ndarray  # (n,) posterior variance of theta
    params: PricingParams  # the estimates
    n_iter: int
    converged: bool
    flags: np.ndarray  # (n,) uint8: NO_REVIEWS | NO_QUOTES
    reviewer_flags: np.ndarray  # (J,) uint8: FEW_REVIEWS | REVIEWER_IDLE


# --------------------------------------------------------------------------- E-step (fusion)
#
# ``data = (arrays, q_ssw, n_q, deals, cell_levels)`` from :func:`_data`; ``arrays`` =
# (ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets, base) are the fixed
# inputs in the layout the pass streams:
# ``key (R,) uint16`` (int32 for pools over 32 768 reviewers) ``= 2 * reviewer + same``;
# ``qbar (n,) float64`` the mean log quote of each achievement (0 without quotes);
# ``qd (n,) uint8`` (int64 for over 127 quotes on one achievement) ``= 2 * n_quotes +
# has_deal``; ``deal_ys (D,) float64`` the log deal prices in achievement order and
# ``deal_start (N_CHUNKS,) int64`` the first deal of every chunk; ``codes (n, K)``,
# ``offsets (K,)``, ``base ((1,) or (n,))`` the prior design (with at most ``_MAX_CELLS``
# level combinations: ``codes (n, 1) uint16`` the cell, ``offsets = [0]``, and the pass's
# "effects" are the cells' prior means).  About 80 bytes per achievement (5 reviews,
# 3 quotes) per pass, 16 more on the passes that test convergence.
# ``par``  = [prior_prec, inv_gamma, shift, inv_qvar, inv_dvar]: the scalars;
# ``wk[key] = gamma^2 / (v_j phi^same)`` (a review's precision about theta) and
# ``ck[key] = alpha + b_j`` (its offset): per-key tables rebuilt for every E-step;
# the prior mean of achievement i is base[i or 0] + sum_k effects[offsets[k] + codes[i, k]].


@njit(cache=True, inline="always")
def _fuse_row(i, t, data, par, effects, wk, ck):
    """Posterior mean and variance of theta_i (precision-weighted evidence), its number of
    quotes and whether it has a deal (the deal's price is ``deal_ys[t]``)."""
    ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets, base = data
    prior_prec, inv_gamma, shift, inv_qvar, inv_dvar = par[0], par[1], par[2], par[3], par[4]
    mu = base[i] if base.size > 1 else base[0]
    for k in range(codes.shape[1]):
        mu += effects[_u(offsets[k] + codes[i, k])]
    prec = prior_prec
    s = prior_prec * mu
    sr = 0.0
    for r in range(_u(ach_ptr[i]), _u(ach_ptr[i + _ONE])):
        k = _u(key[r])
        w = wk[k]
        prec += w
        sr += w * (score[r] - ck[k])
    s += sr * inv_gamma
    c = np.int64(qd[i])
    nq = c >> 1
    deal = (c & 1) == 1
    if nq > 0:
        prec += nq * inv_qvar
        s += inv_qvar * nq * (qbar[i] - shift)
    if deal:
        prec += inv_dvar
        s += inv_dvar * deal_ys[t]
    if prec > 0.0:
        v = 1.0 / prec
        return s * v, v, nq, deal
    return mu, np.inf, nq, deal  # flat prior and no evidence


@njit(cache=True, inline="always")
def _estep_chunk(c, n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats, check):
    """Fuse the achievements of chunk ``c``; add their sufficient statistics to ``acc[c]``
    and, when ``rstats`` has ``n_chunks`` rows, the reviewers' moving moments to ``rstats[c]``
    (``rstats[c, key, [0, 1, 2]]`` = sum m, sum s m, sum (m^2 + V); one 32-byte row per
    key).  ``check``: also store ``var`` and the largest change of ``mean`` (else ``var``
    is left alone and the change is not measured: passes that cannot end the iteration).

    ``acc[c]`` = ``[sum_level m (L), sum m^2, sum V, sum_q (lq - m), sum_q (qbar - m)^2,
    sum_q V, (n_q), sum_deal (y - m)^2 + V, n_deal, sum_deal (y - m), sum_deal V,
    max |m - m_old|]`` (:func:`_estep` adds the within-achievement quote sum of squares
    and ``n_q``).
    """
    ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets, base = data
    n = mean.shape[0]
    n_lev = effects.size
    lo = c * n // n_chunks
    hi = (c + 1) * n // n_chunks
    a = acc[c]
    fused = rstats.shape[0] == n_chunks
    t = deal_start[c]
    dmax = 0.0
    s_m2 = s_v = q_e = q_e2 = q_v = d_e2 = d_n = d_e = d_v = 0.0
    for i in range(_u(lo), _u(hi)):
        m, v, nq, deal = _fuse_row(i, t, data, par, effects, wk, ck)
        if check:
            d = abs(m - mean[i])
            dmax = d if d > dmax else dmax
            var[i] = v
        mean[i] = m
        if v == np.inf:  # no evidence, so no deal either
            continue
        for k in range(codes.shape[1]):
            a[_u(offsets[k] + codes[i, k])] += m
        s_m2 += m * m
        s_v += v
        if nq > 0:  # sums over the quotes of (lq - m), (qbar - m)^2, V
            e = qbar[i] - m
            q_e += nq * e
            q_e2 += nq * e * e
            q_v += nq * v
        if deal:
            e = deal_ys[t] - m
            t += 1
            d_e2 += e * e + v
            d_n += 1.0
            d_e += e
            d_v += v
        if fused:  # only the moments that move with m; counts, sum s, sum s^2 are fixed
            m2v = m * m + v
            for r in range(_u(ach_ptr[i]), _u(ach_ptr[i + _ONE])):
                k = _u(key[r])
                rstats[c, k, 0] += m
                rstats[c, k, 1] += score[r] * m
                rstats[c, k, 2] += m2v
    a[n_lev] += s_m2
    a[n_lev + 1] += s_v
    a[n_lev + 2] += q_e
    a[n_lev + 3] += q_e2
    a[n_lev + 4] += q_v
    a[n_lev + 6] += d_e2
    a[n_lev + 7] += d_n
    a[n_lev + 8] += d_e
    a[n_lev + 9] += d_v
    a[n_lev + 10] = max(a[n_lev + 10], dmax)


# The kernels take the arrays of ``data`` one by one: a tuple argument of a parallel loop is
# read through memory on every access (measured: 15 % slower).


@njit(cache=True)
def _estep_serial(n_chunks, ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets,
                  base, par, effects, wk, ck, mean, var, acc, rstats, check):  # fmt: skip
    for c in range(n_chunks):
        data = (ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets, base)
        _estep_chunk(c, n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats, check)


@njit(cache=True, parallel=True)
def _estep_parallel(n_chunks, ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes,
                    offsets, base, par, effects, wk, ck, mean, var, acc, rstats,
                    check):  # fmt: skip
    for c in prange(n_chunks):
        data = (ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets, base)
        _estep_chunk(c, n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats, check)


# --------------------------------------------------------------------------- reviewer pass


@njit(cache=True, inline="always")
def _reviewer_row(j, rev_ptr, rev_ach, rev_score, rev_same, mean, var, stats):
    """Sufficient statistics of reviewer ``j``: for same in (0, 1), columns
    ``6*same + [n, sum s, sum m, sum s m, sum (m^2 + V), sum s^2]``."""
    for k in range(12):
        stats[j, k] = 0.0
    for r in range(rev_ptr[j], rev_ptr[j + 1]):
        i = rev_ach[r]
        s = rev_score[r]
        m = mean[i]
        o = 6 if rev_same[r] else 0
        stats[j, o] += 1.0
        stats[j, o + 1] += s
        stats[j, o + 2] += m
        stats[j, o + 3] += s * m
        stats[j, o + 4] += m * m + var[i]
        stats[j, o + 5] += s * s


@njit(cache=True)
def _reviewer_serial(rev_ptr, rev_ach, rev_score, rev_same, mean, var, stats):
    for j in range(rev_ptr.size - 1):
        _reviewer_row(j, rev_ptr, rev_ach, rev_score, rev_same, mean, var, stats)


@njit(cache=True, parallel=True)
def _reviewer_parallel(rev_ptr, rev_ach, rev_score, rev_same, mean, var, stats):
    for j in prange(rev_ptr.size - 1):
        _reviewer_row(j, rev_ptr, rev_ach, rev_score, rev_same, mean, var, stats)


@njit(cache=True)
def _mstep_reviewers(
    stats, bias, noise_var, glob, learn_scale, equal_precision, bias_prior_prec, var_weight, sweeps
):
    """Closed-form coordinate M-steps for ``b``, ``(alpha, gamma)``, ``v`` and ``phi``.

    ``glob = [alpha, gamma, phi]`` is updated in place; so are ``bias`` and ``noise_var``.
    Returns the largest change of a bias.
    """
    n_rev = stats.shape[0]
    alpha, gamma, phi = glob[0], glob[1], glob[2]
    old = bias.copy()
    n_tot = 0.0
    n_same = 0.0
    n_active = 0
    for j in range(n_rev):
        n_tot += stats[j, 0] + stats[j, 6]
        n_same += stats[j, 6]
        if stats[j, 0] + stats[j, 6] > 0:
            n_active += 1
    learn_phi = (not equal_precision) and n_same > 0 and n_tot - n_same > 0
    resid = np.zeros((n_rev, 2))
    for _ in range(sweeps):
        # biases given (alpha, gamma, v, phi), then sum-to-zero
        mb = 0.0
        for j in range(n_rev):
            num = 0.0
            den = noise_var[j] * bias_prior_prec
            for o in range(2):
                ip = 1.0 / phi if o == 1 else 1.0
                st = stats[j, 6 * o : 6 * o + 6]
                num += ip * (st[1] - alpha * st[0] - gamma * st[2])
                den += ip * st[0]
            bias[j] = num / den if den > 0.0 else 0.0
            if stats[j, 0] + stats[j, 6] > 0:
                mb += bias[j]
        if n_active > 0:
            mb /= n_active
            for j in range(n_rev):
                if stats[j, 0] + stats[j, 6] > 0:
                    bias[j] -= mb
            if learn_scale:
                alpha += mb
        # score offset and scale: weighted least squares of (s - b) on theta
        if learn_scale:
            sa = sb = sc = sd = se = 0.0
            for j in range(n_rev):
                for o in range(2):
                    w = (1.0 / phi if o == 1 else 1.0) / noise_var[j]
                    st = stats[j, 6 * o : 6 * o + 6]
                    sa += w * st[0]
                    sb += w * st[2]
                    sc += w * st[4]
                    sd += w * (st[1] - bias[j] * st[0])
                    se += w * (st[3] - bias[j] * st[2])
            det = sa * sc - sb * sb
            if sa > 0.0 and det > 1e-12 * sa * sc:
                gamma = (sa * se - sb * sd) / det
                alpha = (sd - sb * gamma) / sa
        # expected squared residuals, then variances
        pooled_num = 0.0
        for j in range(n_rev):
            ab = alpha + bias[j]
            for o in range(2):
                st = stats[j, 6 * o : 6 * o + 6]
                r = (
                    st[5]
                    - 2.0 * ab * st[1]
                    - 2.0 * gamma * st[3]
                    + ab * ab * st[0]
                    + 2.0 * ab * gamma * st[2]
                    + gamma * gamma * st[4]
                )
                resid[j, o] = max(r, 0.0)
                pooled_num += resid[j, o] / (phi if o == 1 else 1.0)
        pooled = max(pooled_num / n_tot, _VAR_FLOOR) if n_tot > 0 else 1.0
        for j in range(n_rev):
            if equal_precision:
                noise_var[j] = pooled
            else:
                nj = stats[j, 0] + stats[j, 6]
                v = (resid[j, 0] + resid[j, 1] / phi + var_weight * pooled) / (nj + var_weight)
                noise_var[j] = max(v, _VAR_FLOOR)
        if learn_phi:
            num = 0.0
            for j in range(n_rev):
                num += resid[j, 1] / noise_var[j]
            phi = max(num / n_same, _VAR_FLOOR)
    glob[0], glob[1], glob[2] = alpha, gamma, phi
    d = 0.0
    for j in range(n_rev):
        d = max(d, abs(bias[j] - old[j]))
    return d


# --------------------------------------------------------------------------- public kernels


class Features(NamedTuple):
    """Categorical prior features: ``codes[i, k]`` in ``[0, n_levels[k])``.

    The prior mean of achievement ``i`` is ``sum_k effects[offsets[k] + codes[i, k]]``
    (one effect per level of every feature: an additive model, like a one-hot design).
    """

    codes: np.ndarray  # (n, K) small ints
    n_levels: tuple[int, ...]

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.n_levels)[:-1]]).astype(np.int64)

    @property
    def size(self) -> int:
        return int(sum(self.n_levels))


def make_features(codes, n_levels=None) -> Features:
    """Validated :class:`Features` from an ``(n, K)`` integer array (levels counted if not
    given)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError("feature codes must be a 2-d integer array (n_achievements, K)")
    if n_levels is None:
        n_levels = tuple(int(c.max()) + 1 if c.size else 1 for c in codes.T)
    n_levels = tuple(int(x) for x in n_levels)
    if len(n_levels) != codes.shape[1] or any(x < 1 for x in n_levels):
        raise ValueError("one positive level count per feature column")
    dtype = np.uint8 if max(n_levels, default=1) <= 256 else np.int32
    out = np.empty(codes.shape, dtype)
    if codes.size and not _convert_codes(codes, np.array(n_levels, np.int64), out):
        raise ValueError("feature code out of range")
    return Features(out, n_levels)


@njit(cache=True)
def _convert_codes(codes, n_levels, out):
    """``out[:] = codes``; whether every code is in ``[0, n_levels[k])``."""
    ok = True
    for i in range(_u(codes.shape[0])):
        for k in range(_u(codes.shape[1])):
            x = codes[i, k]
            ok &= (x >= 0) & (x < n_levels[k])
            out[i, k] = x
    return ok


def _deals(n, has_deal, deal_y):
    if has_deal is None:
        return np.zeros(n, np.uint8), np.zeros(n)
    has_deal = np.asarray(has_deal).astype(np.uint8)
    deal_y = np.ascontiguousarray(deal_y, np.float64)
    if has_deal.shape != (n,) or deal_y.shape != (n,):
        raise ValueError("has_deal and deal_y must have shape (n_achievements,)")
    if not np.all(np.isfinite(deal_y[has_deal.astype(bool)])):
        raise ValueError("deal prices must be finite")
    return has_deal, deal_y


def _use_parallel(parallel, reviews, quotes):
    if parallel is None:
        return reviews.score.size + quotes.log_quote.size >= _PARALLEL_MIN_ITEMS
    return bool(parallel)


def _par(params):
    prior_prec = 0.0 if params.prior_var == np.inf else 1.0 / params.prior_var
    return np.array([
        prior_prec, 1.0 / params.gamma, params.shift, 1.0 / params.quote_var,
        1.0 / params.deal_var,
    ], np.float64)  # fmt: skip


def _key_tables(params):
    """``wk``, ``ck`` of shape ``(2 J,)``: precision and offset of a review by key."""
    w = params.gamma**2 / params.noise_var
    wk = np.empty(2 * w.size)
    wk[0::2] = w
    wk[1::2] = w / params.field_factor
    ck = np.repeat(params.alpha + params.bias, 2)
    return wk, ck


def _estep(data, params, mean, var, parallel, rstats, check=True):
    """One E-step pass at ``params`` over ``data`` (from :func:`_data`): fills ``mean``
    (and, when ``check``, ``var``), scatters the reviewer moments into ``rstats`` (shape
    ``(N_CHUNKS, J, 8)``, or ``(0, ., .)``) and returns the summed ``acc`` (see
    :func:`_estep_chunk`)."""
    arrays, q_ssw, n_q, _, cell_levels = data
    n_lev = params.effects.size
    effects = np.ascontiguousarray(params.effects, np.float64)
    if cell_levels is not None:  # the pass sees one feature: the cell, its prior mean
        effects = cell_levels @ effects
    n_e = effects.size
    acc = np.zeros((N_CHUNKS, n_e + _N_ACC_EXTRA))
    rstats[:] = 0.0
    wk, ck = _key_tables(params)
    kernel = _estep_parallel if parallel else _estep_serial
    kernel(
        N_CHUNKS, *arrays, _par(params), effects, wk, ck, mean, var, acc,
        rstats.reshape(rstats.shape[0], 2 * rstats.shape[1], 4), check,
    )  # fmt: skip
    tot_e = acc.sum(axis=0)
    tot = np.empty(n_lev + _N_ACC_EXTRA)
    tot[n_lev:] = tot_e[n_e:]
    if cell_levels is None:
        tot[:n_lev] = tot_e[:n_e]
    else:  # level sums from the cell sums
        tot[:n_lev] = tot_e[:n_e] @ cell_levels
    tot[n_lev + 3] += q_ssw
    tot[n_lev + 5] = n_q
    tot[n_lev + 10] = acc[:, n_e + 10].max()
    return tot


def _data(reviews, quotes, has_deal, deal_y, features, base, parallel=None):
    """The E-step layout (see the comment above :func:`_fuse_row`), the within-achievement
    sum of squares of the log quotes ``sum_i sum_k (lq_ik - qbar_i)^2``, their number, the
    indices of the deals ``(D,)`` and, when there are at most ``_MAX_CELLS`` combinations
    of feature levels (cells), the one-hot levels ``(C, L)`` of every cell (else ``None``):
    the pass then reads one cell code per achievement instead of ``K`` codes."""
    n = reviews.n_achievements
    parallel = _use_parallel(parallel, reviews, quotes)
    key_type = np.uint16 if reviews.n_reviewers <= 2**15 else np.int32
    key = np.empty(reviews.reviewer.size, key_type)
    qbar = np.empty(n)
    ssw = np.zeros(N_CHUNKS)
    big = np.zeros(N_CHUNKS, np.int64)
    levels = np.array(features.n_levels, np.int64)
    strides = np.ones(levels.size, np.int64)
    for k in range(levels.size - 2, -1, -1):
        strides[k] = strides[k + 1] * levels[k + 1]
    if np.prod(levels.astype(float)) <= _MAX_CELLS:
        n_cells = int(np.prod(levels))
        levels_of = features.offsets + (np.arange(n_cells)[:, None] // strides) % levels
        cell_levels = np.zeros((n_cells, features.size))  # one-hot: the levels of a cell
        np.put_along_axis(cell_levels, levels_of, 1.0, axis=1)
        codes = np.empty((n, 1), np.uint16)
        offsets = np.zeros(1, np.int64)
    else:
        cell_levels = None
        codes, offsets = features.codes, features.offsets
    for qd_type in (np.uint8, np.int64):  # int64 only for more than 127 quotes in a row
        qd = np.empty(n, qd_type)
        (_pack_parallel if parallel else _pack_serial)(
            reviews.ach_ptr, reviews.reviewer, reviews.same, key, quotes.q_ptr,
            quotes.log_quote, has_deal, qbar, qd, ssw, big, features.codes, strides,
            codes if cell_levels is not None else codes[:0],
        )  # fmt: skip
        if not big.any():
            break
    deals = np.flatnonzero(has_deal)
    deal_start = np.searchsorted(deals, np.arange(N_CHUNKS) * n // N_CHUNKS)
    arrays = (
        reviews.ach_ptr, key, reviews.score, qbar, qd, deal_y[deals], deal_start, codes,
        offsets, np.ascontiguousarray(base, np.float64),
    )  # fmt: skip
    return arrays, ssw.sum(), float(quotes.log_quote.size), deals, cell_levels


@njit(cache=True, inline="always")
def _pack_chunk(c, ach_ptr, reviewer, same, key, q_ptr, log_quote, has_deal, qbar, qd, ssw,
                big, codes, strides, cell):  # fmt: skip
    """Chunk ``c`` of :func:`_data`: review keys, mean log quote and ``2 n_q + has_deal`` of
    every achievement; ``ssw[c]`` the within-achievement quote sum of squares, ``big[c]``
    whether a row has over 127 quotes (then ``qd`` must be int64); when ``cell`` has rows,
    ``cell[i, 0] = sum_k strides[k] codes[i, k]``."""
    n = q_ptr.size - 1
    lo = c * n // N_CHUNKS
    hi = (c + 1) * n // N_CHUNKS
    for r in range(_u(ach_ptr[lo]), _u(ach_ptr[hi])):
        key[r] = 2 * reviewer[r] + (1 if same[r] else 0)
    sc = 0.0
    b = 0
    for i in range(_u(lo), _u(hi)):
        q0, q1 = q_ptr[i], q_ptr[i + _ONE]
        mq = 0.0
        if q1 > q0:
            for k in range(_u(q0), _u(q1)):
                mq += log_quote[k]
            mq /= q1 - q0
            for k in range(_u(q0), _u(q1)):
                e = log_quote[k] - mq
                sc += e * e
        qbar[i] = mq
        if q1 - q0 > 127:
            b = 1
        qd[i] = 2 * (q1 - q0) + (1 if has_deal[i] else 0)
    if cell.shape[0] > 0:
        for i in range(_u(lo), _u(hi)):
            u = 0
            for k in range(codes.shape[1]):
                u += strides[k] * codes[i, k]
            cell[i, 0] = u
    ssw[c] = sc
    big[c] = b


@njit(cache=True)
def _pack_serial(ach_ptr, reviewer, same, key, q_ptr, log_quote, has_deal, qbar, qd, ssw, big,
                 codes, strides, cell):  # fmt: skip
    for c in range(N_CHUNKS):
        _pack_chunk(c, ach_ptr, reviewer, same, key, q_ptr, log_quote, has_deal, qbar, qd, ssw,
                    big, codes, strides, cell)  # fmt: skip


@njit(cache=True, parallel=True)
def _pack_parallel(ach_ptr, reviewer, same, key, q_ptr, log_quote, has_deal, qbar, qd, ssw,
                   big, codes, strides, cell):  # fmt: skip
    for c in prange(N_CHUNKS):
        _pack_chunk(c, ach_ptr, reviewer, same, key, q_ptr, log_quote, has_deal, qbar, qd, ssw,
                    big, codes, strides, cell)  # fmt: skip


def fuse(
    reviews: ReviewLists,
    quotes: QuoteLists,
    params: PricingParams,
    prior_mean: np.ndarray | float = 0.0,
    features: Features | None = None,
    has_deal: np.ndarray | None = None,
    deal_y: np.ndarray | None = None,
    *,
    parallel: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian posterior of every achievement's log value given the parameters.

    Precision-weighted product of the prior ``N(prior_mean + effects, prior_var)``, every
    review (an observation ``(s - alpha - b_j) / gamma`` of precision
    ``gamma^2 / (v_j phi^same)``), every quote (``log q - shift``, precision
    ``1 / quote_var``) and, where ``has_deal``, the deal's log price (``1 / deal_var``).
    The oracle is this with the true parameters and the true prior mean.

    Parameters
    ----------
    prior_mean : float or ndarray, shape (n_achievements,)
        Prior mean added to the feature effects (``params.effects`` over ``features``).

    Returns
    -------
    mean, var : ndarray, shape (n_achievements,)
        Posterior mean and variance of the log value (``var = inf`` only with a flat prior
        and no evidence).
    """
    n = reviews.n_achievements
    if features is None:
        features = make_features(np.zeros((n, 0), np.int64), ())
    base = np.atleast_1d(np.asarray(prior_mean, np.float64))
    if base.size not in (1, n):
        raise ValueError("prior_mean must be a scalar or have shape (n_achievements,)")
    has_deal, deal_y = _deals(n, has_deal, deal_y)
    params = _clean(params, reviews.n_reviewers, features.size)
    mean = np.zeros(n)
    var = np.empty(n)
    data = _data(reviews, quotes, has_deal, deal_y, features, base)
    _estep(data, params, mean, var, _use_parallel(parallel, reviews, quotes), np.empty((0, 0, 8)))
    return mean, var


def _clean(params, n_rev, n_lev):
    p = params._replace(
        bias=np.array(params.bias, np.float64),
        noise_var=np.array(params.noise_var, np.float64),
        effects=np.array(params.effects, np.float64),
    )
    if p.bias.shape != (n_rev,) or p.noise_var.shape != (n_rev,):
        raise ValueError(f"bias and noise_var must have shape ({n_rev},)")
    if p.effects.shape != (n_lev,):
        raise ValueError(f"effects must have shape ({n_lev},)")
    if not (np.all(p.noise_var > 0) and p.field_factor > 0 and p.quote_var > 0
            and p.deal_var > 0 and p.prior_var > 0):  # fmt: skip
        raise ValueError("variances must be positive")
    return p


@njit(cache=True)
def _gram_kernel(codes, offsets, n_lev, rows, y):
    """``X'X`` and ``X'y`` of the one-hot design over ``rows`` (all rows if empty)."""
    G = np.zeros((n_lev, n_lev))
    g = np.zeros(n_lev)
    K = codes.shape[1]
    n = rows.size if rows.size > 0 else codes.shape[0]
    for t in range(n):
        i = rows[t] if rows.size > 0 else t
        for k in range(K):
            u = offsets[k] + codes[i, k]
            g[u] += y[i] if y.size > 0 else 0.0
            for m in range(K):
                G[u, offsets[m] + codes[i, m]] += 1.0
    return G, g


def _gram(features, rows=None, y=None):
    """``X'X`` (and ``X'y``) of the one-hot design: cross-tabulated level counts."""
    rows = np.zeros(0, np.int64) if rows is None else np.asarray(rows, np.int64)
    y = np.zeros(0) if y is None else np.asarray(y, np.float64)
    return _gram_kernel(features.codes, features.offsets, features.size, rows, y)


@njit(cache=True, inline="always")
def _setup_chunk(c, arrays, alpha, gamma, shift, ss, mom, strides, cells):
    """Chunk ``c`` of the set-up pass: ``ss[c]`` the squared residuals of the scores around
    ``alpha + gamma * theta0`` (``theta0`` the mean log quote less ``shift``, else the
    inverted mean score); when they have ``N_CHUNKS`` rows, ``mom[c, key]`` the fixed
    review moments ``[n, sum s, sum s^2]`` and ``cells[c, sum_k strides[k] codes[i, k]]``
    the achievements of every combination of feature levels."""
    ach_ptr, key, score, qbar, qd, deal_ys, deal_start, codes, offsets, base = arrays
    n = ach_ptr.size - 1
    moments = mom.shape[0] == N_CHUNKS
    do_cells = cells.shape[0] == N_CHUNKS
    acc = 0.0
    for i in range(_u(c * n // N_CHUNKS), _u((c + 1) * n // N_CHUNKS)):
        r0, r1 = _u(ach_ptr[i]), _u(ach_ptr[i + _ONE])
        if r1 > r0:
            if np.int64(qd[i]) >> 1 > 0:
                th = qbar[i] - shift
            else:
                sm = 0.0
                for r in range(r0, r1):
                    sm += score[r]
                th = (sm / np.float64(r1 - r0) - alpha) / gamma
            for r in range(r0, r1):
                s = score[r]
                e = s - alpha - gamma * th
                acc += e * e
                if moments:
                    k = _u(key[r])
                    mom[c, k, 0] += 1.0
                    mom[c, k, 1] += s
                    mom[c, k, 2] += s * s
        if do_cells:
            u = 0
            for k in range(codes.shape[1]):
                u += strides[k] * codes[i, k]
            cells[c, _u(u)] += 1.0
    ss[c] = acc


@njit(cache=True)
def _setup_serial(arrays, alpha, gamma, shift, ss, mom, strides, cells):
    for c in range(N_CHUNKS):
        _setup_chunk(c, arrays, alpha, gamma, shift, ss, mom, strides, cells)


@njit(cache=True, parallel=True)
def _setup_parallel(arrays, alpha, gamma, shift, ss, mom, strides, cells):
    for c in prange(N_CHUNKS):
        _setup_chunk(c, arrays, alpha, gamma, shift, ss, mom, strides, cells)


@njit(cache=True)
def _rows_mean(ptr, values, rows):
    """Mean of the CSR rows ``rows`` of ``values`` (NaN for an empty row)."""
    out = np.empty(rows.size)
    for t in range(rows.size):
        lo, hi = ptr[rows[t]], ptr[rows[t] + 1]
        s = 0.0
        for k in range(lo, hi):
            s += values[k]
        out[t] = s / (hi - lo) if hi > lo else np.nan
    return out


def _setup(data, reviews, features, has_deal, deal_y, learn_scale, learn_prior, prior_var,
           moments, parallel):  # fmt: skip
    """Start values (score scale and quote shift calibrated on the deals, if any), the fixed
    reviewer moments ``(J, 6)`` (``[n, sum s, sum s^2]`` of out-of-field then same-field
    reviews; ``None`` unless ``moments``) and the one-hot Gram ``(L, L)`` (``None`` unless
    ``learn_prior``), from one pass over the E-step layout ``data``."""
    arrays = data[0]
    ach_ptr, qbar, qd = arrays[0], arrays[3], arrays[4]
    n_rev, n_lev = reviews.n_reviewers, features.size
    d = data[3]
    has_r = ach_ptr[d + 1] > ach_ptr[d]
    alpha, gamma, shift = 0.0, 1.0, 0.0
    dr = d[has_r]
    if learn_scale and dr.size >= 3 and np.var(deal_y[dr]) > 0:
        yd, sd = deal_y[dr], _rows_mean(ach_ptr, reviews.score, dr)
        gamma = np.mean((yd - yd.mean()) * (sd - sd.mean())) / np.var(yd)
        alpha = sd.mean() - gamma * yd.mean()
        if not np.isfinite(gamma) or abs(gamma) < 1e-3:
            alpha, gamma = float(sd.mean() - yd.mean()), 1.0
    dq = d[(qd[d] >> 1) > 0]
    if dq.size:
        shift = float(np.mean(qbar[dq] - deal_y[dq]))
    ss = np.zeros(N_CHUNKS)
    mom = np.zeros((N_CHUNKS if moments else 0, 2 * n_rev, 3))
    cell_levels = data[4]
    in_pass = learn_prior and cell_levels is not None  # the data hold cell codes: count them
    cells = np.zeros((N_CHUNKS if in_pass else 0, cell_levels.shape[0] if in_pass else 0))
    setup = _setup_parallel if parallel else _setup_serial
    setup(arrays, float(alpha), float(gamma), float(shift), ss, mom, np.ones(1, np.int64), cells)
    n_r = reviews.score.size
    v0 = ss.sum() / n_r if n_r > 0 else 1.0
    fixed = None
    if moments:
        m = mom.sum(axis=0)
        fixed = np.concatenate([m[0::2], m[1::2]], axis=1)
    G = None
    if learn_prior:
        G = (cell_levels.T * cells.sum(axis=0)) @ cell_levels if in_pass else _gram(features)[0]
    effects = np.zeros(n_lev)
    if learn_prior and d.size > n_lev:
        Gd, g = _gram(features, d, deal_y)
        effects = np.linalg.pinv(Gd) @ g
    start = PricingParams(
        alpha=float(alpha),
        gamma=float(gamma),
        bias=np.zeros(n_rev),
        noise_var=np.full(n_rev, max(v0, 1e-6)),
        field_factor=1.0,
        shift=float(shift),
        quote_var=1.0,
        effects=effects,
        prior_var=float(prior_var),
        deal_var=1.0,
    )
    return start, fixed, G


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


def _level_direction(features, gram, learn_scale, learn_prior, prior_var, n_d):
    """Effects ``c`` that add 1 to every prior mean (zeros for a flat prior), when a common
    level move of theta, the prior, ``alpha`` and the quote shift is a free direction that
    only the deals pin down; ``None`` when there is none to accelerate."""
    if n_d == 0 or not learn_scale:
        return None
    if prior_var == np.inf:
        return np.zeros(features.size)
    if not learn_prior or features.codes.shape[1] == 0:
        return None
    c = np.zeros(features.size)
    c[: features.n_levels[0]] = 1.0  # every achievement has exactly one level of feature 0
    return c


def _level_step(params, tot, n_lev, c):
    """Move the common level to where the deals put it (a parameter-expansion step).

    Shifting every theta by ``delta`` (with ``effects += delta c``, ``alpha -= gamma delta``,
    ``shift -= delta``) leaves every likelihood term but the deals' unchanged; EM moves along
    this direction only at the rate of the deals' share of the information, so it is taken
    in one step: ``delta = sum (y - m) / sum (1 - V / deal_var)`` over the deals.  At the
    maximum ``sum (y - m) = 0``, so the fixed point is that of EM.
    """
    nd = tot[n_lev + 7]
    den = nd - tot[n_lev + 9] / params.deal_var
    if nd <= 0 or den <= 1e-12 * nd:
        return params
    delta = tot[n_lev + 8] / den
    return params._replace(
        effects=params.effects + delta * c,
        alpha=params.alpha - params.gamma * delta,
        shift=params.shift - delta,
    )


def _mstep_global(params, tot, n_lev, n, n_q, n_d, gram, gram_pinv):
    """Quote shift and variance, deal variance, prior effects and variance."""
    upd = {}
    if n_q > 0:
        s_e, s_e2, s_v, nq = tot[n_lev + 2], tot[n_lev + 3], tot[n_lev + 4], tot[n_lev + 5]
        if nq > 0:
            shift = s_e / nq
            qv = (s_e2 - 2.0 * shift * s_e + shift * shift * nq + s_v) / nq
            upd.update(shift=float(shift), quote_var=float(max(qv, _VAR_FLOOR)))
    if n_d > 0 and tot[n_lev + 7] > 0:
        upd["deal_var"] = float(max(tot[n_lev + 6] / tot[n_lev + 7], _VAR_FLOOR))
    if gram is not None:
        xtm = tot[:n_lev]
        eff = gram_pinv @ xtm  # minimum-norm effects (the one-hot design is rank-deficient)
        ss = tot[n_lev] - 2.0 * eff @ xtm + eff @ gram @ eff + tot[n_lev + 1]
        upd.update(effects=eff, prior_var=float(max(ss / n, _VAR_FLOOR)))
    return params._replace(**upd)


# --------------------------------------------------------------------------- baselines


@njit(cache=True)
def achievement_mean(ptr, values):
    """Mean of each CSR row, shape ``(ptr.size - 1,)``; NaN for an empty row."""
    n = ptr.size - 1
    out = np.empty(n)
    for i in range(n):
        lo, hi = ptr[i], ptr[i + 1]
        if hi == lo:
            out[i] = np.nan
            continue
        s = 0.0
        for k in range(lo, hi):
            s += values[k]
        out[i] = s / (hi - lo)
    return out


@njit(cache=True)
def achievement_median(ptr, values):
    """Median of each CSR row, shape ``(ptr.size - 1,)``; NaN for an empty row."""
    n = ptr.size - 1
    out = np.empty(n)
    for i in range(n):
        lo, hi = ptr[i], ptr[i + 1]
        if hi == lo:
            out[i] = np.nan
            continue
        out[i] = np.median(values[lo:hi])
    return out
