"""Signal generation for price discovery (DESIGN §6): achievements, reviewers, panels, quotes.

Everything is drawn up front from explicit generators (named streams of the task's seed
tree); nothing here estimates anything.

* **Achievements** have a field, a technology readiness level (TRL ``1 .. 9``), a holder
  type and a latent log value ``theta = x . beta + u``, ``u ~ N(0, prior_sd^2)``: the
  market's generator and taxonomy (:func:`auction_sim.achievements.draw_achievements`)
  with its default model and ``value_sd = prior_sd``.
* **Reviewers** belong to a field (``j mod n_fields``: balanced), have a bias
  ``b_j ~ N(0, bias_sd^2)`` and a personal noise sd ``noise_sd * exp(spread * z_j -
  spread^2 / 2)``; on an achievement of their own field their noise sd is multiplied by
  ``field_noise_factor``.
* **Panels**: each seat is filled from the achievement's own field with probability
  ``same_field_share`` (binomial count), without repetition inside a panel; a review
  scores ``s = offset + scale * theta + b_j + e``.
* **Inquiries**: ``log q = theta + log(1 - shading) + N(0, inquiry_sd^2)``: a quote
  understates the value by the share ``shading`` (in the median).
* **Deals**: completed trades of the first ``n_deals`` achievements, with log price
  ``theta + N(0, deal_sd^2)``; they calibrate the score scale and the quote shading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .. import achievements as ach
from ..rng import purposes, slots

__all__ = [
    "Achievements",
    "ReviewerPool",
    "Panels",
    "Quotes",
    "draw_achievements",
    "draw_reviewers",
    "draw_panels",
    "draw_quotes",
    "draw_deals",
    "feature_codes",
]


@dataclass(frozen=True)
class Achievements:
    """A population of ``n`` achievements; every array has shape ``(n,)``."""

    field: np.ndarray  # int64 in [0, n_fields)
    trl: np.ndarray  # int64 in [1, 9]
    holder: np.ndarray  # int64 index into auction_sim.achievements.HOLDER_TYPES
    prior_mean: np.ndarray  # float64, x . beta (true)
    theta: np.ndarray  # float64, latent log value
    n_fields: int
    prior_sd: float

    @property
    def n(self) -> int:
        return self.theta.size


@dataclass(frozen=True)
class ReviewerPool:
    """``n_reviewers`` reviewers; arrays of shape ``(n_reviewers,)``."""

    field: np.ndarray  # int64
    bias: np.ndarray  # float64, score units
    sd: np.ndarray  # float64, out-of-field noise sd (score units)


@dataclass(frozen=True)
class Panels:
    """Reviews in achievement-major order; arrays of shape ``(n_reviews,)``."""

    achievement: np.ndarray  # int64
    reviewer: np.ndarray  # int64
    score: np.ndarray  # float64
    same: np.ndarray  # bool
    sd: np.ndarray  # float64, true noise sd of the review


@dataclass(frozen=True)
class Quotes:
    """Price inquiries; arrays of shape ``(n_quotes,)``."""

    achievement: np.ndarray  # int64
    log_quote: np.ndarray  # float64, natural log of the quoted price


def draw_achievements(
    rng: np.random.Generator | np.random.SeedSequence, n: int, n_fields: int, prior_sd: float
) -> Achievements:
    """Draw features and latent log values of ``n`` achievements
    (:func:`auction_sim.achievements.draw_achievements`, default model, ``value_sd =
    prior_sd``)."""
    model = ach.AchievementModel(value_sd=float(prior_sd))
    d = ach.draw_achievements(rng, model, n_fields, n=n)
    return Achievements(d.field, d.readiness, d.holder, d.prior_mean, d.theta, n_fields,
                        float(prior_sd))  # fmt: skip


def feature_codes(a: Achievements) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Categorical prior features ``(n, 3)`` (:func:`auction_sim.achievements.feature_codes`)
    and their level counts."""
    return ach.feature_codes(a.field, a.trl, a.holder), ach.feature_levels(a.n_fields)


def draw_reviewers(
    rng: np.random.Generator | np.random.SeedSequence,
    n_reviewers: int,
    n_fields: int,
    bias_sd: float,
    noise_sd: float,
    noise_sd_spread: float,
) -> ReviewerPool:
    """Draw the reviewer pool (fields balanced: reviewer ``j`` is of field ``j mod n_fields``);
    from a seed node, biases and noise levels from streams ``bias`` and ``noise_sd`` in
    reviewer order (reviewer ``j`` keeps them whatever the size of the pool)."""
    r_bias, r_sd = purposes(rng, "bias", "noise_sd")
    field = np.arange(n_reviewers, dtype=np.int64) % n_fields
    bias = r_bias.normal(0.0, bias_sd, n_reviewers)
    z = r_sd.normal(0.0, 1.0, n_reviewers)
    sd = noise_sd * np.exp(noise_sd_spread * z - 0.5 * noise_sd_spread**2)
    return ReviewerPool(field, bias, sd)


@njit(cache=True)
def _fill_panels(ach_field, n_same, u, by_field, field_ptr, others, others_ptr, reviewer):
    """Partial Fisher-Yates draws without repetition: ``n_same[i]`` seats from the own
    field's list, the rest from the other fields' list (swaps undone after each panel)."""
    n, panel = u.shape
    for i in range(n):
        f = ach_field[i]
        for part in range(2):
            if part == 0:
                pool = by_field[field_ptr[f] : field_ptr[f + 1]]
                lo, hi = 0, n_same[i]
            else:
                pool = others[others_ptr[f] : others_ptr[f + 1]]
                lo, hi = n_same[i], panel
            m = pool.size
            for t in range(lo, hi):
                k = t - lo
                pick = k + int(u[i, t] * (m - k))
                pool[k], pool[pick] = pool[pick], pool[k]
                reviewer[i * panel + t] = pool[k]
            # undo in reverse to keep the pool in its canonical order (draw-order independence)
            for t in range(hi - 1, lo - 1, -1):
                k = t - lo
                pick = k + int(u[i, t] * (m - k))
                pool[k], pool[pick] = pool[pick], pool[k]


def draw_panels(
    rng: np.random.Generator | np.random.SeedSequence,
    a: Achievements,
    pool: ReviewerPool,
    panel: int,
    same_field_share: float,
    field_noise_factor: float,
    score_offset: float,
    score_scale: float,
) -> Panels:
    """Draw a panel of ``panel`` distinct reviewers for every achievement and their scores.

    From a seed node: the own-field seats (``same``), the seats' uniforms (``seats``) and
    the seats' score noise (``scores``), each in achievement order, so achievement ``i``'s
    seats keep their numbers whatever the number of achievements or reviewers (who sits
    on a seat depends on the pool; a generator: one stream in that order)."""
    n_rev = pool.field.size
    if panel > n_rev:
        raise ValueError(f"panel ({panel}) larger than the reviewer pool ({n_rev})")
    n_fields = a.n_fields
    order = np.argsort(pool.field, kind="stable")
    field_size = np.bincount(pool.field, minlength=n_fields)
    field_ptr = np.concatenate([[0], np.cumsum(field_size)])
    by_field = order.astype(np.int64)
    others = np.concatenate([np.flatnonzero(pool.field != f) for f in range(n_fields)])
    others_ptr = np.concatenate([[0], np.cumsum(n_rev - field_size)])
    r_same, r_seats, r_scores = purposes(rng, "same", "seats", "scores")
    n_same = r_same.binomial(panel, same_field_share, a.n)
    fs = field_size[a.field]
    n_same = np.clip(n_same, panel - (n_rev - fs), fs)  # what the pools can supply
    u = r_seats.random((a.n, panel))
    reviewer = np.empty(a.n * panel, np.int64)
    _fill_panels(a.field, n_same, u, by_field, field_ptr, others.astype(np.int64), others_ptr,
                 reviewer)  # fmt: skip
    achievement = np.repeat(np.arange(a.n, dtype=np.int64), panel)
    same = pool.field[reviewer] == a.field[achievement]
    sd = pool.sd[reviewer] * np.where(same, field_noise_factor, 1.0)
    z = r_scores.standard_normal(reviewer.size)
    score = score_offset + score_scale * a.theta[achievement] + pool.bias[reviewer] + sd * z
    return Panels(achievement, reviewer, score, same, sd)


def draw_quotes(
    rng: np.random.Generator | np.random.SeedSequence,
    theta: np.ndarray,
    inquiries: int,
    inquiry_sd: float,
    shading: float,
) -> Quotes:
    """``inquiries`` quotes per achievement: ``log q = theta + log(1 - shading) + noise``;
    from a seed node, quote ``q``'s noise on achievement ``i`` is the ``i``-th draw of
    inquiry slot ``q``'s stream, whatever the number of inquiries or achievements."""
    n = theta.size
    achievement = np.repeat(np.arange(n, dtype=np.int64), inquiries)
    log_q = theta[achievement] + np.log1p(-shading)
    if isinstance(rng, np.random.SeedSequence):  # one stream per inquiry slot
        z = np.empty((inquiries, n))
        for j, g in enumerate(slots(rng, "noise", range(inquiries))):
            g.standard_normal(out=z[j])
        z = z.T.ravel()  # achievement-major, as ``achievement``
    else:
        z = rng.standard_normal(achievement.size)
    log_q = log_q + inquiry_sd * z
    return Quotes(achievement, log_q)


def draw_deals(
    rng: np.random.Generator | np.random.SeedSequence,
    theta: np.ndarray,
    n_deals: int,
    deal_sd: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Completed deals of the first ``n_deals`` achievements (achievements are exchangeable).

    Returns ``has_deal`` (bool, shape ``(n,)``) and ``deal_y`` (log price, 0 where no deal).
    """
    n = theta.size
    has = np.zeros(n, bool)
    has[:n_deals] = True
    y = np.zeros(n)
    (r_deal,) = purposes(rng, "prices")
    y[:n_deals] = theta[:n_deals] + deal_sd * r_deal.standard_normal(n_deals)
    return has, y
