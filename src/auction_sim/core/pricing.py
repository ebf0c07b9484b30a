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
  below ``tol``, at most ``max_iter`` E-steps;
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


@njit(cache=True)
def _is_sorted(a):
    for k in range(1, a.size):
        if a[k] < a[k - 1]:
            return False
    return True


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
    same = np.asarray(same).astype(np.uint8)
    n_r = achievement.size
    if not (reviewer.size == score.size == same.size == n_r):
        raise ValueError("achievement, reviewer, score and same must have the same length")
    if n_r and (achievement.min() < 0 or achievement.max() >= n_achievements):
        raise ValueError("achievement index out of range")
    if n_r and (reviewer.min() < 0 or reviewer.max() >= n_reviewers):
        raise ValueError("reviewer index out of range")
    if not np.all(np.isfinite(score)):
        raise ValueError("scores must be finite")
    if n_achievements >= 2**31 or n_reviewers >= 2**30:
        raise ValueError("at most 2**31 - 1 achievements and 2**30 - 1 reviewers")
    out = []
    for key, n_keys, other in (
        (achievement, n_achievements, reviewer),
        (reviewer, n_reviewers, achievement),
    ):
        if key is achievement and _is_sorted(key):  # the usual case: no permutation needed
            ptr = np.concatenate([[0], np.cumsum(np.bincount(key, minlength=n_keys))])
            out.append((ptr, other.astype(np.int32), score, same))
            continue
        if key is reviewer and not reviewer_major:
            ptr = np.concatenate([[0], np.cumsum(np.bincount(key, minlength=n_keys))])
            e = np.zeros(0)
            out.append((ptr, e.astype(np.int32), e, e.astype(np.uint8)))
            continue
        order, ptr = _counting_sort(key, int(n_keys))
        o_other = np.empty(n_r, np.int32)
        o_same = np.empty(n_r, np.uint8)
        o_score = np.empty(n_r, np.float64)
        _gather_reviews(order, other.astype(np.int32), same, score, o_other, o_same, o_score)
        out.append((ptr, o_other, o_score, o_same))
    (ap, ar, asc, asame), (rp, ra, rsc, rsame) = out
    return ReviewLists(ap, ar, asc, asame, rp, ra, rsc, rsame)


def build_quotes(n_achievements, achievement, log_quote) -> QuoteLists:
    """CSR quote lists (by achievement) from quotes in any order."""
    achievement = np.asarray(achievement, np.int64)
    log_quote = np.ascontiguousarray(log_quote, np.float64)
    if achievement.size != log_quote.size:
        raise ValueError("achievement and log_quote must have the same length")
    if achievement.size and (achievement.min() < 0 or achievement.max() >= n_achievements):
        raise ValueError("achievement index out of range")
    if not np.all(np.isfinite(log_quote)):
        raise ValueError("log quotes must be finite")
    if _is_sorted(achievement):  # the usual case: no permutation needed
        ptr = np.concatenate([[0], np.cumsum(np.bincount(achievement, minlength=n_achievements))])
        return QuoteLists(ptr.astype(np.int64), log_quote)
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
# ``data`` = (ach_ptr, key, score, q_ptr, log_quote, has_deal, deal_y, codes, offsets,
#             base): the fixed inputs, ``key = 2 * reviewer + same`` per review;
# ``par``  = [prior_prec, inv_gamma, shift, inv_qvar, inv_dvar]: the scalars;
# ``wk[key] = gamma^2 / (v_j phi^same)`` (a review's precision about theta) and
# ``ck[key] = alpha + b_j`` (its offset): per-key tables rebuilt for every E-step;
# the prior mean of achievement i is base[i or 0] + sum_k effects[offsets[k] + codes[i, k]].


@njit(cache=True, inline="always")
def _fuse_row(i, data, par, effects, wk, ck):
    """Posterior mean and variance of theta_i (precision-weighted evidence) and the sum,
    sum of squares and count of its log quotes."""
    ach_ptr, key, score, q_ptr, log_quote, has_deal, deal_y, codes, offsets, base = data
    prior_prec, inv_gamma, shift, inv_qvar, inv_dvar = par[0], par[1], par[2], par[3], par[4]
    mu = base[i] if base.size > 1 else base[0]
    for k in range(codes.shape[1]):
        mu += effects[offsets[k] + codes[i, k]]
    prec = prior_prec
    s = prior_prec * mu
    sr = 0.0
    for r in range(ach_ptr[i], ach_ptr[i + 1]):
        w = wk[key[r]]
        prec += w
        sr += w * (score[r] - ck[key[r]])
    s += sr * inv_gamma
    lq = lq2 = 0.0
    for k in range(q_ptr[i], q_ptr[i + 1]):
        q = log_quote[k]
        lq += q
        lq2 += q * q
    nq = q_ptr[i + 1] - q_ptr[i]
    prec += nq * inv_qvar
    s += inv_qvar * (lq - nq * shift)
    if has_deal[i]:
        prec += inv_dvar
        s += inv_dvar * deal_y[i]
    if prec > 0.0:
        return s / prec, 1.0 / prec, lq, lq2, nq
    return mu, np.inf, lq, lq2, nq  # flat prior and no evidence


@njit(cache=True, inline="always")
def _estep_chunk(c, n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats):
    """Fuse the achievements of chunk ``c``; add their sufficient statistics to ``acc[c]``
    and, when ``rstats`` has ``n_chunks`` rows, the reviewers' moving moments to ``rstats[c]``
    (``rstats[c, key, [0, 1, 2]]`` = sum m, sum s m, sum (m^2 + V); one 64-byte row per
    reviewer).

    ``acc[c]`` = ``[sum_level m (L), sum m^2, sum V, sum_q (lq - m), sum_q (lq - m)^2,
    sum_q V, n_q, sum_deal (y - m)^2 + V, n_deal, sum_deal (y - m), sum_deal V,
    max |m - m_old|]``.
    """
    ach_ptr, key, score, q_ptr, log_quote, has_deal, deal_y, codes, offsets, base = data
    n = mean.shape[0]
    n_lev = effects.size
    lo = c * n // n_chunks
    hi = (c + 1) * n // n_chunks
    a = acc[c]
    fused = rstats.shape[0] == n_chunks
    dmax = 0.0
    s_m2 = s_v = q_e = q_e2 = q_v = q_n = d_e2 = d_n = d_e = d_v = 0.0
    for i in range(lo, hi):
        m, v, lq, lq2, nq = _fuse_row(i, data, par, effects, wk, ck)
        d = abs(m - mean[i])
        dmax = d if d > dmax else dmax
        mean[i] = m
        var[i] = v
        if v == np.inf:
            continue
        for k in range(codes.shape[1]):
            a[offsets[k] + codes[i, k]] += m
        s_m2 += m * m
        s_v += v
        if nq > 0:  # sums over the quotes of (lq - m), (lq - m)^2, V
            q_e += lq - nq * m
            q_e2 += lq2 - 2.0 * m * lq + nq * m * m
            q_v += nq * v
            q_n += nq
        if has_deal[i]:
            e = deal_y[i] - m
            d_e2 += e * e + v
            d_n += 1.0
            d_e += e
            d_v += v
        if fused:  # only the moments that move with m; counts, sum s, sum s^2 are fixed
            m2v = m * m + v
            for r in range(ach_ptr[i], ach_ptr[i + 1]):
                k = key[r]
                rstats[c, k, 0] += m
                rstats[c, k, 1] += score[r] * m
                rstats[c, k, 2] += m2v
    a[n_lev] += s_m2
    a[n_lev + 1] += s_v
    a[n_lev + 2] += q_e
    a[n_lev + 3] += q_e2
    a[n_lev + 4] += q_v
    a[n_lev + 5] += q_n
    a[n_lev + 6] += d_e2
    a[n_lev + 7] += d_n
    a[n_lev + 8] += d_e
    a[n_lev + 9] += d_v
    a[n_lev + 10] = max(a[n_lev + 10], dmax)


@njit(cache=True)
def _estep_serial(n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats):
    for c in range(n_chunks):
        _estep_chunk(c, n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats)


@njit(cache=True, parallel=True)
def _estep_parallel(n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats):
    for c in prange(n_chunks):
        _estep_chunk(c, n_chunks, data, par, effects, wk, ck, mean, var, acc, rstats)


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
def _reviewer_data_moments(n_reviewers, reviewer, score, same):
    """Per reviewer ``[n, sum s, sum s^2]`` of out-of-field then same-field reviews: the
    statistics that do not move with the E-step (columns 0, 1, 5, 6, 7, 11 of the full
    statistics), scattered from the reviews in any order."""
    out = np.zeros((n_reviewers, 6))
    for r in range(score.size):
        j = reviewer[r]
        s = score[r]
        o = 3 if same[r] else 0
        out[j, o] += 1.0
        out[j, o + 1] += s
        out[j, o + 2] += s * s
    return out


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
    if codes.size and (codes.min() < 0 or np.any(codes.max(axis=0) >= np.array(n_levels))):
        raise ValueError("feature code out of range")
    dtype = np.uint8 if max(n_levels, default=1) <= 256 else np.int32
    return Features(np.ascontiguousarray(codes, dtype), n_levels)


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


def _estep(data, params, mean, var, parallel, rstats):
    n_lev = params.effects.size
    acc = np.zeros((N_CHUNKS, n_lev + _N_ACC_EXTRA))
    rstats[:] = 0.0
    wk, ck = _key_tables(params)
    kernel = _estep_parallel if parallel else _estep_serial
    kernel(
        N_CHUNKS, data, _par(params), np.ascontiguousarray(params.effects, np.float64), wk, ck,
        mean, var, acc, rstats.reshape(rstats.shape[0], 2 * rstats.shape[1], 4),
    )  # fmt: skip
    tot = acc.sum(axis=0)
    tot[n_lev + 10] = acc[:, n_lev + 10].max()
    return tot


def _data(reviews, quotes, has_deal, deal_y, features, base):
    key = _review_keys(reviews.reviewer, reviews.same)
    return (
        reviews.ach_ptr, key, reviews.score, quotes.q_ptr, quotes.log_quote, has_deal, deal_y,
        features.codes, features.offsets, np.ascontiguousarray(base, np.float64),
    )  # fmt: skip


@njit(cache=True)
def _review_keys(reviewer, same):
    key = np.empty(reviewer.size, np.int32)
    for r in range(reviewer.size):
        key[r] = 2 * reviewer[r] + (1 if same[r] else 0)
    return key


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


@njit(cache=True)
def _residual_var(ach_ptr, score, theta0, alpha, gamma):
    """Mean squared residual of the scores around ``alpha + gamma * theta0`` (1 if none)."""
    s = 0.0
    for i in range(ach_ptr.size - 1):
        for r in range(ach_ptr[i], ach_ptr[i + 1]):
            e = score[r] - alpha - gamma * theta0[i]
            s += e * e
    n_r = ach_ptr[-1]
    return s / n_r if n_r > 0 else 1.0


def _initial_params(reviews, quotes, features, has_deal, deal_y, learn_scale, learn_prior,
                    prior_var):  # fmt: skip
    """Starting values: score scale and quote shift calibrated on the deals (if any)."""
    n_rev = reviews.n_reviewers
    ms = achievement_mean(reviews.ach_ptr, reviews.score)
    mq = achievement_mean(quotes.q_ptr, quotes.log_quote)
    has_r = np.diff(reviews.ach_ptr) > 0
    has_q = np.diff(quotes.q_ptr) > 0
    d = has_deal.astype(bool)
    alpha, gamma, shift = 0.0, 1.0, 0.0
    dr = d & has_r
    if learn_scale and dr.sum() >= 3 and np.var(deal_y[dr]) > 0:
        yd, sd = deal_y[dr], ms[dr]
        gamma = np.mean((yd - yd.mean()) * (sd - sd.mean())) / np.var(yd)
        alpha = sd.mean() - gamma * yd.mean()
        if not np.isfinite(gamma) or abs(gamma) < 1e-3:
            alpha, gamma = float(sd.mean() - yd.mean()), 1.0
    dq = d & has_q
    if dq.any():
        shift = float(np.mean(mq[dq] - deal_y[dq]))
    theta0 = np.where(has_q, mq - shift, (ms - alpha) / gamma)
    v0 = _residual_var(reviews.ach_ptr, reviews.score, theta0, alpha, gamma)
    effects = np.zeros(features.size)
    if learn_prior and d.sum() > features.size:
        G, g = _gram(features, np.flatnonzero(d), deal_y)
        effects = np.linalg.pinv(G) @ g
    return PricingParams(
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
    if init is None:
        init = _initial_params(reviews, quotes, features, has_deal, deal_y, learn_scale,
                               learn_prior, prior_var)  # fmt: skip
    params = _clean(init, reviews.n_reviewers, n_lev)
    if not learn_precision:
        params = params._replace(field_factor=1.0)
    bias_prior_prec = 0.0 if bias_prior_sd == np.inf else 1.0 / bias_prior_sd**2
    gram = _gram(features)[0] if learn_prior else None
    gram_pinv = np.linalg.pinv(gram) if learn_prior else None
    n_q = quotes.log_quote.size
    n_d = int(has_deal.sum())
    level = _level_direction(features, gram, learn_scale, learn_prior, params.prior_var, n_d)
    data = _data(reviews, quotes, has_deal, deal_y, features, np.zeros(1))
    n_rev = reviews.n_reviewers
    # reviewer statistics: scattered from the achievement pass while the per-chunk copies
    # are small, else gathered over the reviewer CSR
    fused = N_CHUNKS * n_rev * 12 * 8 <= _FUSED_MAX_BYTES
    if not fused and reviews.rev_ach.size != reviews.score.size:
        raise ValueError("a reviewer pool this large needs build_reviews(reviewer_major=True)")
    rstats = np.zeros((N_CHUNKS if fused else 0, n_rev, 8))
    stats = np.empty((n_rev, 12))
    if fused:  # the data moments (count, sum s, sum s^2) are computed once
        fixed = _reviewer_data_moments(n_rev, reviews.reviewer, reviews.score, reviews.same)
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
    tot = _estep(data, x0, mean, var, parallel, rstats)
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
        tot = _estep(data, x2, mean, var, parallel, rstats)
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
