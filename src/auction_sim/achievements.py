"""Achievements: the one holder taxonomy and the one generator of what chance decides.

**Holder types** (one taxonomy for the pricing laboratory and the market), in the order
of every per-holder list (``[achievements]`` ``holder_mix``, ``holder_effects``,
``public_funded``):

=============== ========= =========================================================
holder type     public    liability markup, use-first deadlines (when publicly funded)
=============== ========= =========================================================
``university``  yes       yes
``institute``   yes       yes
``hospital``    yes       yes
``state_owned`` yes       yes (state-owned enterprise)
``enterprise``  no        no (private firm)
=============== ========= =========================================================

An achievement has a technology field (uniform over ``n_fields``), a holder type (drawn
from ``holder_mix``), whether its project was publicly funded (probability
``public_funded[holder]``), a technology readiness level (uniform over
``readiness_low .. readiness_high``) and a latent log value (DESIGN §6)

``theta = value_mean_log + field_effect[field] + readiness_slope * (readiness - 5)
+ holder_effects[holder] + u``,  ``u ~ N(0, value_sd^2)``,

with the field effects ``N(0, field_effect_sd^2)`` drawn once per population.
:func:`draw_achievements` draws them; the pricing laboratory
(:func:`auction_sim.pricing.signals.draw_achievements`) and the market
(:func:`auction_sim.market.arrivals.draw_achievements`, which adds the Poisson project
ends, grant and registration dates through a :class:`Clock`) both call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from .rng import child, purposes

__all__ = [
    "HOLDER_TYPES",
    "PUBLIC_HOLDERS",
    "N_READINESS",
    "HOLDER_MIX",
    "HOLDER_EFFECTS",
    "PUBLIC_FUNDED",
    "AchievementModel",
    "Clock",
    "Drawn",
    "draw_achievements",
    "feature_codes",
    "feature_levels",
]

HOLDER_TYPES = ("university", "institute", "hospital", "state_owned", "enterprise")
"""Holder types, in the order of every per-holder list."""

PUBLIC_HOLDERS = (True, True, True, True, False)
"""Which holder types are public holders (subject to the liability markup)."""

N_READINESS = 9
"""Technology readiness levels ``1 .. 9``."""

HOLDER_MIX = (0.35, 0.25, 0.10, 0.10, 0.20)
"""Default shares of the holder types."""

HOLDER_EFFECTS = (0.0, 0.1, 0.0, 0.2, 0.3)
"""Default log-value effect of each holder type."""

PUBLIC_FUNDED = (0.9, 0.9, 0.8, 0.6, 0.1)
"""Default probability that a result of each holder type was publicly funded."""


@dataclass(frozen=True)
class AchievementModel:
    """Parameters of :func:`draw_achievements` (the market's ``[achievements]`` keys; the
    pricing laboratory takes the defaults with ``value_sd = prior_sd``)."""

    value_mean_log: float = 0.0
    field_effect_sd: float = 0.5
    readiness_low: int = 1
    readiness_high: int = N_READINESS
    readiness_slope: float = 0.15
    holder_mix: tuple[float, ...] = HOLDER_MIX
    holder_effects: tuple[float, ...] = HOLDER_EFFECTS
    public_funded: tuple[float, ...] = PUBLIC_FUNDED
    value_sd: float = 0.6

    @classmethod
    def from_section(cls, section) -> AchievementModel:
        """From an ``[achievements]`` section (or any object with these attributes)."""
        return cls(**{k: getattr(section, k) for k in cls.__dataclass_fields__})


class Clock(Protocol):
    """When achievements arrive (the market's; see :mod:`auction_sim.market.arrivals`)."""

    def arrivals(self, rng: np.random.Generator) -> np.ndarray:
        """Sorted arrival days (their number is the population size)."""

    def dates(
        self, rng: np.random.Generator | np.random.SeedSequence, arrival: np.ndarray,
        funded: np.ndarray,
    ) -> Any:  # fmt: skip
        """Further dates of each achievement (drawn after its readiness level; from a seed
        node, one stream per kind of date)."""


class Drawn(NamedTuple):
    """A drawn population; arrays of shape ``(n,)`` unless stated."""

    field: np.ndarray  # int64, technology field in [0, n_fields)
    holder: np.ndarray  # int64, index into HOLDER_TYPES
    public_funded: np.ndarray  # bool, result of a publicly funded project
    readiness: np.ndarray  # int64, technology readiness level
    prior_mean: np.ndarray  # float64, x . beta (true): theta without u
    theta: np.ndarray  # float64, latent log value
    field_effect: np.ndarray  # float64, shape (n_fields,)
    arrival: np.ndarray | None  # float64, the clock's arrival days (None without a clock)
    dates: Any  # what the clock's ``dates`` returned (None without a clock)


def draw_achievements(
    rng: np.random.Generator | np.random.SeedSequence,
    model: AchievementModel,
    n_fields: int,
    n: int | None = None,
    clock: Clock | None = None,
) -> Drawn:
    """Draw ``n`` achievements, or as many as ``clock.arrivals`` gives.

    ``rng`` a generator: one stream in a fixed draw order (a run's numbers depend on it):
    field effects (none when ``field_effect_sd`` is 0), the clock's arrivals, fields,
    holders, public funding, readiness, the clock's dates, ``u``.  ``rng`` a seed node: one
    stream per attribute (``field_effects``, ``arrivals``, ``fields``, ``holders``,
    ``funding``, ``readiness``, ``dates`` (a node: the clock draws its own streams),
    ``values``), each drawn in arrival order, so achievement ``k`` keeps its attributes when
    the number of achievements changes (common random numbers, :mod:`auction_sim.rng`).
    """
    if (n is None) == (clock is None):
        raise ValueError("give either n or a clock")
    node = rng if isinstance(rng, np.random.SeedSequence) else None
    r_eff, r_arr, r_field, r_holder, r_fund, r_ready, r_u = purposes(
        rng, "field_effects", "arrivals", "fields", "holders", "funding", "readiness", "values"
    )
    sd = model.field_effect_sd
    field_effect = r_eff.normal(0.0, sd, n_fields) if sd else np.zeros(n_fields)
    arrival = None
    if clock is not None:
        arrival = clock.arrivals(r_arr)
        n = arrival.size
    field = r_field.integers(0, n_fields, n)
    mix = np.asarray(model.holder_mix, dtype=np.float64)
    holder = r_holder.choice(len(HOLDER_TYPES), size=n, p=mix / mix.sum())
    funded = r_fund.random(n) < np.asarray(model.public_funded)[holder]
    readiness = r_ready.integers(model.readiness_low, model.readiness_high + 1, n)
    dates = None
    if clock is not None:
        dates = clock.dates(rng if node is None else child(node, "dates"), arrival, funded)
    u = r_u.normal(0.0, model.value_sd, n)
    prior_mean = (
        model.value_mean_log
        + field_effect[field]
        + model.readiness_slope * (readiness - 5)
        + np.asarray(model.holder_effects)[holder]
    )
    theta = prior_mean + u
    return Drawn(field, holder, funded, readiness, prior_mean, theta, field_effect, arrival, dates)


def feature_levels(n_fields: int) -> tuple[int, int, int]:
    """Level counts of the categorical features of :func:`feature_codes`."""
    return (n_fields, N_READINESS, len(HOLDER_TYPES))


def feature_codes(field: np.ndarray, readiness: np.ndarray, holder: np.ndarray) -> np.ndarray:
    """Categorical prior features, int64 of shape ``(n, 3)``: field, readiness level - 1
    (levels 1..9 -> 0..8), holder type.  The true ``x . beta`` is additive in them."""
    return np.stack([field, readiness - 1, holder], axis=1)
