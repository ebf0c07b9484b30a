"""One simulated population and the three estimators of the ``pricing`` kind.

:func:`simulate` draws a population (achievements, reviewer pool, panels, quotes, deals)
from named streams of a task's seed; :func:`estimate` prices it with

* ``joint`` -- :func:`auction_sim.core.pricing.estimate_joint` (EM over biases,
  precisions, score scale, shading, prior; deals calibrate the level);
* ``mean_score`` -- the achievement's mean score, calibrated on deals (baseline);
* ``median_quote`` -- the achievement's median log quote, shading calibrated on deals
  (baseline);

and :func:`oracle` gives the exact posterior with the true parameters.  Every estimate is
a Gaussian (mean, variance) of each achievement's log value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core import pricing as core
from ..rng import child
from . import signals
from .calibration import calibrate

__all__ = ["Population", "Estimate", "simulate", "estimate", "oracle", "ESTIMATORS"]

ESTIMATORS = ("joint", "mean_score", "median_quote")


class Estimate(NamedTuple):
    """Gaussian posterior of every log value from one estimator."""

    mean: np.ndarray  # (n,)
    var: np.ndarray  # (n,)
    shift: float  # estimated mean log quote - log value (NaN when not estimated)
    joint: core.JointResult | None  # the full EM result for ``joint``


@dataclass(frozen=True)
class Population:
    """A simulated population with its signals in the kernels' CSR layout."""

    achievements: signals.Achievements
    pool: signals.ReviewerPool
    panels: signals.Panels
    reviews: core.ReviewLists
    quotes: core.QuoteLists
    features: core.Features
    has_deal: np.ndarray  # (n,) bool
    deal_y: np.ndarray  # (n,) log deal price, 0 where no deal
    true_params: core.PricingParams

    @property
    def n(self) -> int:
        return self.achievements.n


def simulate(p, seed: np.random.SeedSequence) -> Population:
    """Draw a population from a :class:`~auction_sim.scenario.pricing.PricingSection` ``p``:
    each part from a node of ``seed`` (one stream per purpose below it, drawn per entity),
    so achievement ``i``, reviewer ``j``, reviewer ``j``'s score of achievement ``i`` and
    quote ``q`` of achievement ``i`` are the same whatever the number of achievements,
    reviewers or inquiries (common random numbers, :mod:`auction_sim.rng`)."""
    r_ach, r_rev, r_panel, r_quote, r_deal = (
        child(seed, name) for name in ("achievements", "reviewers", "panels", "quotes", "deals")
    )
    a = signals.draw_achievements(r_ach, p.achievements, p.fields, p.prior_sd)
    pool = signals.draw_reviewers(
        r_rev, p.reviewers, p.fields, p.bias_sd, p.noise_sd, p.noise_sd_spread
    )
    pan = signals.draw_panels(
        r_panel, a, pool, p.panel, p.same_field_share, p.field_noise_factor,
        p.score_offset, p.score_scale,
    )  # fmt: skip
    q = signals.draw_quotes(r_quote, a.theta, p.inquiries, p.inquiry_sd, p.shading)
    has_deal, deal_y = signals.draw_deals(r_deal, a.theta, p.deals, p.deal_sd)
    reviews = core.build_reviews(a.n, p.reviewers, pan.achievement, pan.reviewer, pan.score,
                                 pan.same)  # fmt: skip
    quotes = core.build_quotes(a.n, q.achievement, q.log_quote)
    features = core.make_features(*signals.feature_codes(a))
    tiny = 1e-12  # zero sds in a scenario: the oracle treats them as (almost) exact
    true = core.PricingParams(
        alpha=p.score_offset,
        gamma=p.score_scale,
        bias=pool.bias,
        noise_var=np.maximum(pool.sd**2, tiny),
        field_factor=max(p.field_noise_factor**2, tiny),
        shift=float(np.log1p(-p.shading)),
        quote_var=max(p.inquiry_sd**2, tiny),
        effects=np.zeros(0),
        prior_var=max(p.prior_sd**2, tiny),
        deal_var=max(p.deal_sd**2, tiny),
    )
    return Population(a, pool, pan, reviews, quotes, features, has_deal, deal_y, true)


def oracle(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior of every log value with the true parameters and prior mean, from
    reviews and quotes (not the deal prices)."""
    return core.fuse(pop.reviews, pop.quotes, pop.true_params, pop.achievements.prior_mean)


def estimate(pop: Population, estimator: str, tol: float = 1e-6, max_iter: int = 200) -> Estimate:
    """Price every achievement of ``pop`` with ``estimator`` (one of :data:`ESTIMATORS`)."""
    d = pop.has_deal
    y = pop.deal_y[d]
    if estimator == "joint":
        res = core.estimate_joint(
            pop.reviews, pop.quotes, pop.features, pop.has_deal, pop.deal_y,
            tol=tol, max_iter=max_iter,
        )  # fmt: skip
        return Estimate(res.mean, res.var, res.params.shift, res)
    ms = core.achievement_mean(pop.reviews.ach_ptr, pop.reviews.score)
    mq = core.achievement_median(pop.quotes.q_ptr, pop.quotes.log_quote)
    cal = calibrate(y, ms[d], mq[d])
    fallback = float(np.mean(y))  # no signal at all: the mean deal price
    fallback_var = float(np.var(y))
    shift = float("nan")
    if estimator == "mean_score":
        m, sd = (ms - cal.alpha) / cal.gamma, cal.score_sd
    elif estimator == "median_quote":
        m, sd, shift = mq - cal.shift, cal.quote_sd, cal.shift
    else:
        raise ValueError(f"unknown estimator {estimator!r}; expected one of {ESTIMATORS}")
    ok = np.isfinite(m)
    mean = np.where(ok, m, fallback)
    var = np.where(ok, sd**2 if np.isfinite(sd) else fallback_var, fallback_var)
    return Estimate(mean, var, shift, None)
