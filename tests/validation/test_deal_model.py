"""The deal model's correction: unselected deals stay unbiased, a known offset is removed.

The platform's pricer (:class:`auction_sim.market.pricing.Pricer`) on the pricing
laboratory's signals (reviews, quotes) with deals drawn outside the market: a single
buyer pays its own value, ``log price = theta + eta`` (no selection, offset 0), or the
same plus a known offset.  The pricer goes through the market's sequence: price every
achievement, record its deal against the posterior mean it had before the deal, refit with
the corrected deals, then price new achievements.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from auction_sim.market.pricing import Pricer
from auction_sim.pricing import signals as sg
from auction_sim.pricing.deals import deal_class

N_OLD, N_NEW, N_REV, FIELDS = 6000, 6000, 300, 8


def _population(seed: int):
    rng = np.random.default_rng(seed)
    a = sg.draw_achievements(rng, N_OLD + N_NEW, FIELDS, 0.6)
    pool = sg.draw_reviewers(rng, N_REV, FIELDS, 0.3, 1.0, 0.3)
    pan = sg.draw_panels(rng, a, pool, 5, 0.6, 0.5, 0.0, 1.0)
    q = sg.draw_quotes(rng, a.theta, 3, 0.4, 0.15)
    codes, _ = sg.feature_codes(a)
    return rng, a, pan, q, codes


def _evidence(idx, pan, q):
    """Reviews and quotes of the achievements ``idx`` (local indices)."""
    pos = np.full(pan.achievement.max() + 1, -1)
    pos[idx] = np.arange(idx.size)
    r = np.isin(pan.achievement, idx)
    k = np.isin(q.achievement, idx)
    return (pos[pan.achievement[r]], pan.reviewer[r], pan.score[r], pan.same[r],
            pos[q.achievement[k]], q.log_quote[k])  # fmt: skip


def mu_ref(pricer) -> float:
    """True prior mean of field 0, readiness 1, university (the comparables' intercept):
    the field effect is drawn, so compare with the joint fit's learned prior instead."""
    eff = pricer.params.effects
    levels = pricer.levels
    return float(eff[0] + eff[levels[0]] + eff[levels[0] + levels[1]])


def _learn(offset: float, seed: int):
    rng, a, pan, q, codes = _population(seed)
    old = np.arange(N_OLD)
    new = np.arange(N_OLD, N_OLD + N_NEW)
    pricer = Pricer(N_REV, FIELDS, 1.0, 1.0, fit_sd=0.4, log_willingness=-0.07)
    ev = _evidence(old, pan, q)
    pricer.refit(codes[old], *ev, np.zeros(N_OLD, bool), np.zeros(N_OLD, np.int64),
                 np.zeros(N_OLD))  # fmt: skip
    pre, _ = pricer.posterior(codes[old], *ev)
    has = rng.random(N_OLD) < 0.5  # half of them sell, whatever their value (no selection)
    y = a.theta[old] + offset + 0.3 * rng.standard_normal(N_OLD)
    cls = np.full(N_OLD, deal_class(0, 1, False))  # an auction with a single bidder
    pricer.add_deals(codes[old][has], cls[has], y[has], pre[has])
    pricer.refit(codes[old], *ev, has, cls, np.where(has, y, 0.0))
    mean, _ = pricer.posterior(codes[new], *_evidence(new, pan, q))
    r = y[has] - pre[has]
    # the offset is measured against the review-anchored level: the pool's mean bias
    # (sd 0.3 / sqrt(N_REV)) enters it beside the deals' sampling error
    se = math.hypot(float(r.std(ddof=1) / math.sqrt(r.size)), 0.3 / math.sqrt(N_REV))
    return pricer, mean - a.theta[new], se


@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_correction_keeps_unselected_deals_unbiased(theory, offset):
    pricer, err, se_mu = _learn(offset, 11)
    mu = pricer.deals.offsets[deal_class(0, 1, False)]
    theory(f"deal offset estimated: single buyer at its own value + {offset}", offset, mu,
           4 * se_mu, "log", se_mu)  # fmt: skip
    # the level is anchored by the reviews, whose biases average to zero over pools: a pool
    # of N_REV reviewers moves it by its mean bias (sd 0.3 / sqrt(N_REV)) on top of the
    # sampling error of the new achievements
    se = math.hypot(float(err.std(ddof=1) / math.sqrt(err.size)), 0.3 / math.sqrt(N_REV))
    theory(f"posterior mean - theta of new achievements after corrected deals (offset {offset})",
           0.0, float(err.mean()), 4 * se, "log", se)  # fmt: skip
    _, err0, _ = _learn(0.0, 11)
    assert abs(err.mean() - err0.mean()) < 1e-3  # the offset is corrected away, nothing else
    # the comparable-deal model learned the level of theta, not of the prices
    pred = pricer.ridge.predict(np.zeros((1, pricer.ridge.n_features)))[0]
    assert abs(pred - mu_ref(pricer)) < 0.25
