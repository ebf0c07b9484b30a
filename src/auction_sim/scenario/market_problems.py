"""``[problems]`` of the market kind: the demand side, firms post problems (issue 21).

Firms post technical problems; research teams of the public institutions (universities,
institutes, hospitals, state-owned firms) offer quality and price; the firm awards by a
scoring rule (the procurement kind's formats, :mod:`auction_sim.mechanisms.procurement`).
Money is in the scenario's currency unit; the provincial project thresholds (3 million and
2 million CNY) are therefore written in that unit (``cny_per_unit`` converts, default one
million CNY per unit).  ``rate_per_field = 0`` (the default) switches the side off.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..values import Distribution, LogNormal, Uniform
from .base import Section
from .errors import FieldError

__all__ = ["ProblemsSection"]


def _share() -> dict:
    return {"ge": 0.0, "le": 1.0}


class ProblemsSection(Section):
    """``[problems]``: problem posting, team offers, R&D outcome, project status, compensation."""

    rate_per_field: float = Field(
        0.0, ge=0, description="problems firms consider posting, per field per day (0: off)"
    )
    format: Literal["first_score", "second_score", "negotiation"] = Field(
        "first_score", description="how the firm awards: scoring auction or one negotiation"
    )
    teams_per_field: int = Field(
        12, ge=1, le=100_000, description="research teams with capability in each field"
    )
    suppliers: int = Field(
        3, ge=1, le=1000, description="teams that see a problem before its deadline and offer"
    )
    deadline_days: float = Field(
        45.0, gt=0, description="days from posting to award (teams offer within it)"
    )
    value: Distribution = Field(
        default_factory=lambda: LogNormal(mean_log=0.7, sd_log=0.8),
        description="the firm's value of a solved problem V (currency); offers scale with V",
    )
    cost_types: Distribution = Field(
        default_factory=lambda: Uniform(low=1.0, high=2.0),
        description="teams' cost types θ > 0: quality q costs θ q² V / 2 (currency)",
    )
    quality_weight: float = Field(
        1.0, gt=0, description="w of the firm's score (w q - p / V), per unit of quality"
    )
    min_quality: float = Field(0.5, ge=0, description="offers below this quality are not admitted")
    budget_share: Distribution = Field(
        default_factory=lambda: Uniform(low=0.4, high=1.0),
        description="the firm's budget as a share of V: offers priced above it are not admitted",
    )
    post_cost: float = Field(
        0.1, ge=0, description="mean hurdle (share of V) a problem's expected gain must clear"
    )
    expected_price_share: float = Field(
        0.3, ge=0, le=10, description="price (share of V) a firm expects when deciding to post"
    )
    quality_half: float = Field(
        0.4, gt=0, description="R&D success = q / (q + quality_half) x readiness factor"
    )
    project_threshold: float = Field(
        3.0, ge=0, description="price for provincial major-project status (currency; 3 M CNY)"
    )
    mountain_threshold: float = Field(
        2.0, ge=0, description="the threshold for firms in the 26 mountain counties (2 M CNY)"
    )
    mountain_share: float = Field(
        0.15, **_share(), description="share of firms located in the mountain counties"
    )
    project_subsidy: float = Field(
        0.1, ge=0, le=1, description="state subsidy to a major project, share of its price"
    )
    compensation_share: float = Field(
        0.0, **_share(), description="risk compensation: share of the price refunded on failure"
    )
    cny_per_unit: float = Field(
        1.0e6, gt=0, description="CNY per currency unit (documents the thresholds' unit)"
    )

    @model_validator(mode="after")
    def _check(self) -> ProblemsSection:
        lo = self.cost_types.support()[0]
        if not lo > 0:
            raise FieldError(
                "cost_types", f"expected cost types θ > 0 (lower end > 0), found lower end {lo}"
            )
        b_lo = self.budget_share.support()[0]
        if b_lo < 0:
            raise FieldError("budget_share", f"expected shares >= 0, found lower end {b_lo}")
        if self.mountain_threshold > self.project_threshold:
            raise FieldError(
                "mountain_threshold",
                f"expected <= project_threshold = {self.project_threshold},"
                f" found {self.mountain_threshold}",
            )
        return self
