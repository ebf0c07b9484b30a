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


def fuse_vectorized(ach, rev, score, same, q_ach, log_q, p, prior_mean, n, has_deal, deal_y):
    """The same posterior as :func:`fuse`, with bincount sums (fast enough to iterate)."""
    w = p.gamma**2 / (p.noise_var[rev] * np.where(same, p.field_factor, 1.0))
    z = (score - p.alpha - p.bias[rev]) / p.gamma
    prec = 1.0 / p.prior_var + np.bincount(ach, w, n) + np.bincount(q_ach, None, n) / p.quote_var
    s = prior_mean / p.prior_var + np.bincount(ach, w * z, n)
    s += np.bincount(q_ach, log_q - p.shift, n) / p.quote_var
    d = has_deal.astype(bool)
    prec[d] += 1.0 / p.deal_var
    s[d] += deal_y[d] / p.deal_var
    return s / prec, 1.0 / prec


def joint_em(ach, rev, score, same, q_ach, log_q, codes, n_levels, has_deal, deal_y, n, n_rev,
             bias_prior_sd=10.0, var_prior_weight=1.0, iters=3000):  # fmt: skip
    """Plain EM for the model of core/pricing.py, written from the model, not the kernel.

    E-step: :func:`fuse`.  M-step, parameter by parameter with the others at their current
    values (one coordinate sweep per iteration; the fixed point is the same):
    biases (weighted mean residual with the N(0, sd^2) prior, then centred into alpha),
    (alpha, gamma) by weighted least squares on E[theta], E[theta^2], per-reviewer variances
    (MAP with ``var_prior_weight`` pseudo reviews at the pooled variance), the same-field
    variance ratio, quote shift and variance, deal variance, prior effects (least squares on
    the one-hot design) and prior variance.
    """
    from auction_sim.core.pricing import PricingParams

    X = np.zeros((n, sum(n_levels)))
    off = np.concatenate([[0], np.cumsum(n_levels)[:-1]])
    for k in range(codes.shape[1]):
        X[np.arange(n), off[k] + codes[:, k]] = 1.0
    same = same.astype(bool)
    d = has_deal.astype(bool)
    p = PricingParams(0.0, 1.0, np.zeros(n_rev), np.ones(n_rev), 1.0, 0.0, 1.0,
                      np.zeros(X.shape[1]), 1.0, 1.0)  # fmt: skip
    old = np.full(n, np.inf)
    for _ in range(iters):
        m, V = fuse_vectorized(ach, rev, score, same, q_ach, log_q, p, X @ p.effects, n,
                               has_deal, deal_y)  # fmt: skip
        if np.max(np.abs(m - old)) < 1e-14:
            break
        old = m
        mi, Vi = m[ach], V[ach]
        w = np.where(same, 1.0 / p.field_factor, 1.0)
        # biases, centred into alpha
        # per reviewer j: sum over its reviews r of w_r (s_r - alpha - gamma m_r), and of w_r
        num = np.bincount(rev, weights=w * (score - p.alpha - p.gamma * mi), minlength=n_rev)
        den = np.bincount(rev, weights=w, minlength=n_rev)
        b = num / (den + p.noise_var / bias_prior_sd**2)
        alpha = p.alpha + b.mean()
        b -= b.mean()
        # alpha, gamma
        ww = w / p.noise_var[rev]
        A = np.array([[ww.sum(), (ww * mi).sum()], [(ww * mi).sum(), (ww * (mi**2 + Vi)).sum()]])
        rhs = np.array([(ww * (score - b[rev])).sum(), (ww * (score - b[rev]) * mi).sum()])
        alpha, gamma = np.linalg.solve(A, rhs)
        # variances
        e2 = (score - alpha - b[rev] - gamma * mi) ** 2 + gamma**2 * Vi
        pooled = np.sum(e2 * w) / score.size
        per_rev = np.bincount(rev, weights=e2 * w, minlength=n_rev)  # sum over j's reviews
        count = np.bincount(rev, minlength=n_rev)
        v = (per_rev + var_prior_weight * pooled) / (count + var_prior_weight)
        phi = np.sum(e2[same] / v[rev[same]]) / same.sum()
        # quotes, deals, prior
        mq, Vq = m[q_ach], V[q_ach]
        shift = np.mean(log_q - mq)
        qv = np.mean((log_q - mq - shift) ** 2 + Vq)
        dv = np.mean((deal_y[d] - m[d]) ** 2 + V[d])
        eff = np.linalg.lstsq(X, m, rcond=None)[0]
        pv = np.mean((m - X @ eff) ** 2 + V)
        p = PricingParams(alpha, gamma, b, v, phi, shift, qv, eff, pv, dv)
    m, V = fuse(ach, rev, score, same, q_ach, log_q, p, X @ p.effects, n, has_deal, deal_y)
    return m, V, p
