"""The M-steps of the joint EM: closed-form updates from E-step statistics.

* reviewer statistics ``stats (J, 12)``: for out-of-field then same-field reviews ``[n,
  sum s, sum m, sum s m, sum (m^2 + V), sum s^2]`` (``s`` a score in score units, ``m``,
  ``V`` the posterior mean and variance of the log value), gathered over the reviewer CSR
  (:func:`_reviewer_serial`, :func:`_reviewer_parallel`);
* :func:`_mstep_reviewers`: biases ``(J,)``, ``(alpha, gamma)``, variances ``(J,)`` (score
  units squared) and the same-field ratio ``phi``;
* :func:`_mstep_global`: quote shift and variance, deal variance, prior effects ``(L,)``
  and variance (log units) from the E-step sums ``tot (L + 11,)``;
* :func:`_level_direction`, :func:`_level_step`: the one-step move of the common level to
  where the deals put it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .common import _VAR_FLOOR

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
