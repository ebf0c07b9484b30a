"""Value distributions and value models.

A *value distribution* is an immutable, validated inline table of a scenario
(DESIGN §3), e.g. ``{dist = "uniform", low = 0, high = 1}``.  Each class here is
both the schema of that table and the numerics: ``draw`` fills arrays of any
shape (``(n_auctions, n_bidders)`` in the auction laboratory), and ``cdf``,
``pdf``, ``ppf``, ``support`` and ``mean`` serve equilibrium computations.

Values are in currency units (any consistent unit).  All randomness comes in
through an explicit ``numpy.random.Generator``; nothing here touches a global RNG.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Beta",
    "Constant",
    "Distribution",
    "Exponential",
    "LogNormal",
    "Normal",
    "Uniform",
    "draw_values",
]


def _stats():
    """scipy.stats, imported on first use (it costs ~0.4 s; drawing values never needs it)."""
    from scipy import stats

    return stats


class _Dist(BaseModel):
    """Base of every value distribution: strict, frozen, finite numbers only."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """Draw float64 values of the given shape."""
        raise NotImplementedError

    def _frozen(self):  # a scipy.stats frozen distribution with the same law
        raise NotImplementedError

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        return self._frozen().cdf(x)

    def pdf(self, x: np.ndarray | float) -> np.ndarray:
        return self._frozen().pdf(x)

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        return self._frozen().ppf(q)

    def support(self) -> tuple[float, float]:
        """Lower and upper end of the support (may be infinite)."""
        lo, hi = self._frozen().support()
        return float(lo), float(hi)

    def mean(self) -> float:
        return float(self._frozen().mean())

    @property
    def is_uniform(self) -> bool:
        return False


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(0.0, description="lower end of the support")
    high: float = Field(1.0, description="upper end of the support")

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"expected high > low, found low={self.low}, high={self.high}")
        return self

    def draw(self, rng, shape):
        return rng.uniform(self.low, self.high, size=shape)

    def _frozen(self):
        return _stats().uniform(loc=self.low, scale=self.high - self.low)

    # Closed forms: a worker running a uniform scenario never imports scipy.stats (~0.7 s).
    def cdf(self, x):
        return np.clip((np.asarray(x, dtype=np.float64) - self.low) / (self.high - self.low), 0, 1)

    def pdf(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)

    def ppf(self, q):
        q = np.asarray(q, dtype=np.float64)
        out = self.low + q * (self.high - self.low)
        return np.where((q >= 0) & (q <= 1), out, np.nan)

    def support(self):
        return float(self.low), float(self.high)

    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def is_uniform(self) -> bool:
        return True


class Normal(_Dist):
    """Normal with ``mean`` and standard deviation ``sd``."""

    dist: Literal["normal"] = "normal"
    mean_: float = Field(0.0, alias="mean", description="mean")
    sd: float = Field(1.0, gt=0, description="standard deviation")

    model_config = ConfigDict(populate_by_name=True)

    def draw(self, rng, shape):
        return rng.normal(self.mean_, self.sd, size=shape)

    def _frozen(self):
        return _stats().norm(loc=self.mean_, scale=self.sd)

    def support(self):
        return -math.inf, math.inf

    def mean(self):
        return float(self.mean_)


class LogNormal(_Dist):
    """Log-normal: ``log(value) ~ N(mean_log, sd_log**2)``."""

    dist: Literal["lognormal"] = "lognormal"
    mean_log: float = Field(0.0, description="mean of log value")
    sd_log: float = Field(1.0, gt=0, description="standard deviation of log value")

    def draw(self, rng, shape):
        return rng.lognormal(self.mean_log, self.sd_log, size=shape)

    def _frozen(self):
        return _stats().lognorm(s=self.sd_log, scale=math.exp(self.mean_log))

    def support(self):
        return 0.0, math.inf

    def mean(self):
        return math.exp(self.mean_log + 0.5 * self.sd_log**2)


class Exponential(_Dist):
    """Exponential with mean ``scale``."""

    dist: Literal["exponential"] = "exponential"
    scale: float = Field(1.0, gt=0, description="mean")

    def draw(self, rng, shape):
        return rng.exponential(self.scale, size=shape)

    def _frozen(self):
        return _stats().expon(scale=self.scale)

    def cdf(self, x):
        return -np.expm1(-np.maximum(np.asarray(x, dtype=np.float64), 0.0) / self.scale)

    def support(self):
        return 0.0, math.inf

    def mean(self):
        return float(self.scale)


class Beta(_Dist):
    """Beta(a, b) rescaled to ``[low, high]``."""

    dist: Literal["beta"] = "beta"
    a: float = Field(..., gt=0, description="first shape parameter")
    b: float = Field(..., gt=0, description="second shape parameter")
    low: float = Field(0.0, description="lower end of the support")
    high: float = Field(1.0, description="upper end of the support")

    @model_validator(mode="after")
    def _check(self) -> Beta:
        if not self.high > self.low:
            raise ValueError(f"expected high > low, found low={self.low}, high={self.high}")
        return self

    def draw(self, rng, shape):
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, size=shape)

    def _frozen(self):
        return _stats().beta(self.a, self.b, loc=self.low, scale=self.high - self.low)

    def support(self):
        return float(self.low), float(self.high)

    def mean(self):
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)


class Constant(_Dist):
    """A point mass at ``value``."""

    dist: Literal["constant"] = "constant"
    value: float = Field(..., description="the value")

    def draw(self, rng, shape):
        return np.full(shape, self.value, dtype=np.float64)

    def cdf(self, x):
        return (np.asarray(x, dtype=np.float64) >= self.value).astype(np.float64)

    def pdf(self, x):
        return np.zeros_like(np.asarray(x, dtype=np.float64))

    def ppf(self, q):
        return np.full_like(np.asarray(q, dtype=np.float64), self.value)

    def support(self):
        return self.value, self.value

    def mean(self):
        return self.value


Distribution = Annotated[
    Uniform | Normal | LogNormal | Exponential | Beta | Constant,
    Field(discriminator="dist"),
]
"""Any value distribution of DESIGN §3, selected by its ``dist`` tag."""

DIST_NAMES = ("uniform", "normal", "lognormal", "exponential", "beta", "constant")


def draw_values(dist: _Dist, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Draw values of ``shape`` (e.g. ``(n_auctions, n_bidders)``), float64 currency units."""
    out = np.asarray(dist.draw(rng, shape), dtype=np.float64)
    assert out.shape == tuple(shape)
    return out
