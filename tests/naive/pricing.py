"""Naive twins of :mod:`auction_sim.core.pricing`: one achievement at a time, plain NumPy."""

import numpy as np


def csr(keys, n_keys):
    """Stable order and pointer (the CSR layout)."""
    order = np.argsort(keys, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n_keys))])
    return order, ptr


def fuse(achievement, reviewer, score, same, q_ach, log_q, params, prior_mean, n,
         has_deal=None, deal_y=None):  # fmt: skip
    """Posterior of each theta_i: product of Gaussian likelihoods, written out per achievement."""
    mean, var = np.empty(n), np.empty(n)
    for i in range(n):
        obs, prec = [], []
        if params.prior_var != np.inf:
            obs.append(prior_mean[i])
            prec.append(1.0 / params.prior_var)
        for r in np.flatnonzero(achievement == i):
            j = reviewer[r]
            v = params.noise_var[j] * (params.field_factor if same[r] else 1.0)
            obs.append((score[r] - params.alpha - params.bias[j]) / params.gamma)
            prec.append(params.gamma**2 / v)
        for k in np.flatnonzero(q_ach == i):
            obs.append(log_q[k] - params.shift)
            prec.append(1.0 / params.quote_var)
        if has_deal is not None and has_deal[i]:
            obs.append(deal_y[i])
            prec.append(1.0 / params.deal_var)
        if not prec or sum(prec) == 0:
            mean[i], var[i] = prior_mean[i], np.inf
            continue
        P = np.sum(prec)
        mean[i] = np.dot(prec, obs) / P
        var[i] = 1.0 / P
    return mean, var


def reviewer_stats(achievement, reviewer, score, same, mean, var, n_reviewers):
    """Per reviewer, for same in (0, 1): n, sum s, sum m, sum s m, sum (m^2 + V), sum s^2."""
    st = np.zeros((n_reviewers, 12))
    for j in range(n_reviewers):
        for o in (0, 1):
            rows = np.flatnonzero((reviewer == j) & (same.astype(bool) == bool(o)))
            s, m, v = score[rows], mean[achievement[rows]], var[achievement[rows]]
            st[j, 6 * o : 6 * o + 6] = [
                rows.size,
                s.sum(),
                m.sum(),
                (s * m).sum(),
                (m * m + v).sum(),
                (s * s).sum(),
            ]
    return st


def row_mean(ptr, values):
    rows = [values[ptr[i] : ptr[i + 1]] for i in range(ptr.size - 1)]
    return np.array([r.mean() if r.size else np.nan for r in rows])


def row_median(ptr, values):
    rows = [values[ptr[i] : ptr[i + 1]] for i in range(ptr.size - 1)]
    return np.array([np.median(r) if r.size else np.nan for r in rows])


def two_way_ls_biases(achievement, reviewer, score, n, n_reviewers):
    """Reviewer biases of the two-way model s = a_i + b_j by dense least squares, centred."""
    A = np.zeros((score.size, n + n_reviewers))
    A[np.arange(score.size), achievement] = 1.0
    A[np.arange(score.size), n + reviewer] = 1.0
    sol = np.linalg.lstsq(A, score, rcond=None)[0]
    b = sol[n:]
    return b - b.mean()
