"""Schema of the ``listing`` kind (DESIGN §3): independent listed trades."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..values import Distribution, LogNormal, Uniform
from .base import ScenarioBase, Section
from .errors import FieldError

__all__ = ["ListingSection", "ListingScenario"]

MultiIntent = Literal["auction", "first_come"]


class ListingSection(Section):
    """``[listing]``: the listing price rule, buyer arrivals, what intents lead to, relists."""

    listings: int = Field(
        100_000, ge=1, le=100_000_000, description="independent listed trades per replication"
    )
    price: float = Field(
        1.0, gt=0.0, description="listing price as a multiple of the platform's value estimate"
    )
    period_days: float = Field(20.0, gt=0.0, description="length of one listing period (days)")
    buyer_rate: float = Field(
        0.3, ge=0.0, description="interested buyers arriving per day (Poisson process)"
    )
    multi_intent: MultiIntent = Field(
        "auction",
        description="auction (at the period's end, two or more intents -> English auction"
        " opening at the listing price) | first_come (the first intent buys at once)",
    )
    relist_discount: float = Field(
        0.1, ge=0.0, lt=1.0, description="price cut at each relist: price * (1 - relist_discount)"
    )
    max_relists: int = Field(
        3, ge=0, le=1000, description="relists after the first listing before withdrawal"
    )
    values: Distribution = Field(
        default_factory=lambda: LogNormal(mean_log=0.0, sd_log=0.5),
        description="distribution of the items' values (currency)",
    )
    estimate_sd_log: float = Field(
        0.3, ge=0.0, description="sd of the log error of the platform's value estimate"
    )
    fit: Distribution = Field(
        default_factory=lambda: Uniform(low=0.5, high=1.5),
        description="firm-fit factor: a buyer's value is the item's value times an independent"
        " draw of this (mean 1 by default)",
    )


class ListingScenario(ScenarioBase):
    """A scenario of kind ``listing``.

    Per listing: value ``v``; the platform's estimate ``v * exp(estimate_sd_log * Z)``
    with ``Z`` standard normal (median-unbiased);
    listing price ``price * estimate``; buyers arrive as a Poisson process at
    ``buyer_rate`` per day, each with value ``v * fit``; a buyer whose value is at least
    the price registers an intent.  Without intents the item is relisted at
    ``price * (1 - relist_discount)`` (per relist), at most ``max_relists`` times, then
    withdrawn.
    """

    kind: Literal["listing"] = "listing"
    listing: ListingSection = Field(default_factory=ListingSection)

    @model_validator(mode="after")
    def _non_negative(self) -> ListingScenario:
        for name in ("values", "fit"):
            dist = getattr(self.listing, name)
            lo = dist.support()[0]
            if not lo >= 0:
                raise FieldError(
                    f"listing.{name}",
                    f"expected a distribution of non-negative numbers, found dist = '{dist.dist}'"
                    f" with support starting at {lo}",
                )
        return self
