"""Arrivals of achievements: a Poisson process by field, with holders, dates and values.

Everything about an achievement that chance decides is drawn here, up front, into
arrays of shape ``(n_achievements,)`` sorted by registration time: the holders,
fields, readiness levels and latent log values by the one generator
:func:`auction_sim.achievements.draw_achievements` (its taxonomy and value model), the
project ends, IP grant and registration days by this module's clock.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..achievements import PUBLIC_HOLDERS, AchievementModel, feature_codes
from ..achievements import draw_achievements as draw_population
from ..rng import child, purposes
from ..scenario.market import MarketScenario
from .draws import poisson_times
from .poc import verify
from .registration import late_registrations, on_time

__all__ = ["Achievements", "draw_achievements", "features"]


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
    due: int = 0  # publicly funded results whose registration deadline is in the horizon
    on_time: int = 0  # of them, registered by the deadline (market.registration)
    poc: np.ndarray | None = None  # bool, went through a verification centre (market.poc)
    identity: np.ndarray | None = None  # int64, index of the project in the aligned draw
    n_projects: int = 0  # projects drawn (registered in the horizon or not)


class _Clock(NamedTuple):
    """Project ends in ``[0, horizon)`` (Poisson), IP grants before them, registrations."""

    horizon: float
    rate: float  # project ends per day
    grant_lag_days: float
    public_days: float  # publicly funded results register within this many days
    private_days: float  # the others within this many

    def arrivals(self, rng: np.random.Generator) -> np.ndarray:
        return poisson_times(rng, self.rate, self.horizon)  # arrival k is the k-th gap sum

    def dates(self, rng, end, funded):
        n = end.size
        r_grant, r_reg = purposes(rng, "grant_lags", "registration_delays")
        grant = end - r_grant.uniform(0.0, 1.0, n) * self.grant_lag_days
        delay_max = np.where(funded, self.public_days, self.private_days)
        registered = end + r_reg.uniform(0.0, 1.0, n) * delay_max
        return grant, registered


def draw_achievements(
    scenario: MarketScenario, rng: np.random.Generator | np.random.SeedSequence
) -> Achievements:
    """Draw every achievement whose project ends in ``[0, horizon_days)``.

    Fields are a superposition of independent Poisson processes of equal rate, so
    the total count is Poisson(achievement_rate * horizon) and fields are uniform.
    From a seed node (the market's ``achievements`` node) every attribute, date and policy
    draw has its own stream drawn in project-end order, so the ``k``-th project keeps them
    when ``achievement_rate`` or the horizon changes (its day scales with the rate).
    Publicly funded results register uniformly within ``policy.registration_days``
    of project end (unless they fail to comply: :mod:`auction_sim.market.registration`),
    the others within ``achievements.private_registration_days``;
    results that register after the horizon are dropped.
    """
    m, a, p = scenario.market, scenario.achievements, scenario.policy
    horizon = float(m.horizon_days)
    clock = _Clock(horizon, m.achievement_rate, a.grant_lag_days, p.registration_days,
                   a.private_registration_days)  # fmt: skip
    d = draw_population(rng, AchievementModel.from_section(a), m.fields, clock=clock)
    grant, registered = d.dates
    node = rng if isinstance(rng, np.random.SeedSequence) else None
    late, centres = (rng, rng) if node is None else (child(node, "late"), child(node, "poc"))
    registered = late_registrations(scenario, late, d.arrival, d.public_funded, registered)
    due, in_time = on_time(scenario, d.arrival, d.public_funded, registered)
    readiness, theta, registered, poc = verify(scenario, centres, d.readiness, d.theta, registered)
    keep = registered < horizon
    order = np.argsort(registered[keep], kind="stable")
    pub = np.asarray(PUBLIC_HOLDERS)[d.holder]

    def take(x):
        return np.ascontiguousarray(x[keep][order])

    return Achievements(
        field=take(d.field),
        holder=take(d.holder),
        public_holder=take(pub),
        public_funded=take(d.public_funded),
        readiness=take(readiness),
        project_end=take(d.arrival),
        grant=take(grant),
        registered=take(registered),
        theta=take(theta),
        value=np.exp(take(theta)),
        field_effect=d.field_effect,
        due=due,
        on_time=in_time,
        poc=take(poc),
        identity=np.flatnonzero(keep)[order].astype(np.int64),
        n_projects=int(keep.size),
    )


def features(ach: Achievements, idx: np.ndarray) -> np.ndarray:
    """Categorical features of the comparable-deal prior of the items ``idx``
    (:func:`auction_sim.achievements.feature_codes`)."""
    idx = np.asarray(idx, dtype=np.int64)
    return feature_codes(ach.field[idx], ach.readiness[idx], ach.holder[idx])
