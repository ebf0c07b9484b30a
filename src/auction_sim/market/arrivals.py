"""Arrivals of achievements: a Poisson process by field, with holders, dates and values.

Everything about an achievement that chance decides is drawn here, up front, into
arrays of shape ``(n_achievements,)`` sorted by registration time.  The latent log
value is ``theta = value_mean_log + field_effect[field] + readiness_slope * (trl - 5)
+ holder_effect[holder] + u`` with ``u ~ N(0, value_sd**2)`` (DESIGN §6).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..scenario.market import HOLDER_TYPES, PUBLIC_HOLDERS, MarketScenario

__all__ = ["Achievements", "draw_achievements", "features", "N_READINESS"]

N_READINESS = 9


class Achievements(NamedTuple):
    """Achievements of one run; every array has shape ``(n,)``, sorted by ``registered``."""

    field: np.ndarray  # int64, technology field in [0, fields)
    holder: np.ndarray  # int64, index into HOLDER_TYPES
    public_holder: np.ndarray  # bool, holder type is public (university ... state-owned)
    public_funded: np.ndarray  # bool, result of a publicly funded project
    readiness: np.ndarray  # int64, technology readiness level
    project_end: np.ndarray  # float64, day the project ended (the Poisson arrival)
    grant: np.ndarray  # float64, day the IP was granted (may be negative: before day 0)
    registered: np.ndarray  # float64, day the result is registered on the platform
    theta: np.ndarray  # float64, latent log value
    value: np.ndarray  # float64, exp(theta) (currency)
    field_effect: np.ndarray  # float64, shape (fields,), the per-field effects of this run


def draw_achievements(scenario: MarketScenario, rng: np.random.Generator) -> Achievements:
    """Draw every achievement whose project ends in ``[0, horizon_days)``.

    Fields are a superposition of independent Poisson processes of equal rate, so
    the total count is Poisson(achievement_rate * horizon) and fields are uniform.
    Publicly funded results register uniformly within ``policy.registration_days``
    of project end, the others within ``achievements.private_registration_days``;
    results that register after the horizon are dropped.
    """
    m, a, p = scenario.market, scenario.achievements, scenario.policy
    horizon = float(m.horizon_days)
    field_effect = rng.normal(0.0, a.field_effect_sd, m.fields) if a.field_effect_sd else None
    if field_effect is None:
        field_effect = np.zeros(m.fields)
    n = int(rng.poisson(m.achievement_rate * horizon))
    end = np.sort(rng.uniform(0.0, horizon, n))
    field = rng.integers(0, m.fields, n)
    mix = np.asarray(a.holder_mix, dtype=np.float64)
    holder = rng.choice(len(HOLDER_TYPES), size=n, p=mix / mix.sum())
    funded = rng.random(n) < np.asarray(a.public_funded)[holder]
    readiness = rng.integers(a.readiness_low, a.readiness_high + 1, n)
    grant = end - rng.uniform(0.0, 1.0, n) * a.grant_lag_days
    delay_max = np.where(funded, p.registration_days, a.private_registration_days)
    registered = end + rng.uniform(0.0, 1.0, n) * delay_max
    u = rng.normal(0.0, a.value_sd, n)
    theta = (
        a.value_mean_log
        + field_effect[field]
        + a.readiness_slope * (readiness - 5)
        + np.asarray(a.holder_effects)[holder]
        + u
    )
    keep = registered < horizon
    order = np.argsort(registered[keep], kind="stable")
    pub = np.asarray(PUBLIC_HOLDERS)[holder]

    def take(x):
        return np.ascontiguousarray(x[keep][order])

    return Achievements(
        field=take(field),
        holder=take(holder),
        public_holder=take(pub),
        public_funded=take(funded),
        readiness=take(readiness),
        project_end=take(end),
        grant=take(grant),
        registered=take(registered),
        theta=take(theta),
        value=np.exp(take(theta)),
        field_effect=field_effect,
    )


def features(ach: Achievements, idx: np.ndarray) -> np.ndarray:
    """Categorical features of the comparable-deal prior, int64 of shape ``(len(idx), 3)``.

    Columns: field, readiness level - 1 (levels 1..9 -> 0..8), holder type.
    """
    idx = np.asarray(idx, dtype=np.int64)
    return np.stack([ach.field[idx], ach.readiness[idx] - 1, ach.holder[idx]], axis=1)
