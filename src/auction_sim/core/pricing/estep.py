"""The E-step: Gaussian fusion of prior, review, quote and deal evidence per achievement.

:func:`_data` packs the CSR lists of :mod:`.layout` once into the slim layout the pass
streams (described in the comment above :func:`_fuse_row`; about 80 bytes per achievement
with 5 reviews and 3 quotes); :func:`_estep` runs one pass at given parameters over
``N_CHUNKS`` chunks, filling the posterior ``mean (n,)`` and ``var (n,)`` of the log value
(natural log of the price), and returns the summed sufficient statistics ``(L + 11,)``
(see :func:`_estep_chunk`); when asked it also scatters every reviewer's moving moments
into per-chunk copies ``rstats (N_CHUNKS, J, 8)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .common import _ONE, N_CHUNKS, _u, _use_parallel

_N_ACC_EXTRA = 11  # accumulator slots after the L level sums (see _estep_chunk)
_MAX_CELLS = 4096  # combinations of feature levels up to which the pass reads a cell code


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
