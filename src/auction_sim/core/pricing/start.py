"""Start values of the joint EM from one set-up pass over the E-step layout.

:func:`_setup` returns the starting :class:`~.model.PricingParams` (score scale
``(alpha, gamma)`` and quote shift calibrated on the deals, if any; pooled variance of the
scores in score units squared), the fixed reviewer moments ``(J, 6)`` and the one-hot Gram
``(L, L)`` of the prior features (level counts; :func:`_gram`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .common import _ONE, N_CHUNKS, _u
from .model import PricingParams


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
