"""Schema of the ``pricing`` kind (DESIGN §3, §6): price discovery for one population.

:class:`PricingSection` is reusable: the ``market`` kind embeds it as its ``[pricing]``
table (and may subclass it to add ``reserve_rule`` and ``listing_rule``).  Its cross-field
checks live on the section, so errors name ``pricing.<key>`` wherever it is embedded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ScenarioBase, Section
from .errors import FieldError

__all__ = ["PricingSection", "PricingScenario", "ESTIMATORS"]

Estimator = Literal["joint", "mean_score", "median_quote"]
ESTIMATORS = ("joint", "mean_score", "median_quote")


class PricingSection(Section):
    """``[pricing]``: achievements, the reviewer pool, panels, inquiries, deals, estimator.

    Noise sds must be positive (the estimators are Gaussian; an exact signal is a limit they
    are not built for); reviewer biases may be all zero.
    """

    achievements: int = Field(
        100_000, ge=1, le=50_000_000, description="achievements in the population"
    )
    fields: int = Field(8, ge=1, le=1000, description="technology fields")
    reviewers: int = Field(2000, ge=1, le=10_000_000, description="reviewers in the pool")
    panel: int = Field(5, ge=1, le=100, description="reviews per achievement (panel size)")
    same_field_share: float = Field(
        0.6, ge=0.0, le=1.0, description="share of a panel drawn from the achievement's own field"
    )
    bias_sd: float = Field(0.5, ge=0.0, description="sd of reviewers' personal biases (score)")
    noise_sd: float = Field(
        1.0, gt=0.0, description="typical out-of-field reviewer noise sd (score units)"
    )
    noise_sd_spread: float = Field(
        0.3, ge=0.0, le=3.0, description="log-sd of reviewers' personal noise sd around noise_sd"
    )
    field_noise_factor: float = Field(
        0.5, gt=0.0, description="noise sd of a same-field review / out-of-field noise sd"
    )
    score_offset: float = Field(5.0, description="score of log value 0 by an unbiased reviewer")
    score_scale: float = Field(1.0, description="score points per unit of log value")
    inquiries: int = Field(3, ge=0, le=100, description="price quotes per achievement")
    inquiry_sd: float = Field(0.4, gt=0.0, description="sd of log quote noise")
    shading: float = Field(
        0.15, ge=0.0, lt=1.0, description="quotes understate value by this share (median)"
    )
    prior_sd: float = Field(
        1.0, gt=0.0, description="sd of log value around its feature prediction (sigma_u)"
    )
    deal_share: float = Field(
        0.02, ge=0.0, lt=1.0, description="share of achievements with a completed deal (price seen)"
    )
    deal_sd: float = Field(0.2, gt=0.0, description="sd of log deal price around log value")
    estimator: Estimator = Field(
        "joint", description="joint | mean_score | median_quote (the last two are baselines)"
    )
    tol: float = Field(1e-6, gt=0.0, le=1.0, description="joint: convergence tolerance")
    max_iter: int = Field(200, ge=1, le=100_000, description="joint: iteration cap")

    @model_validator(mode="after")
    def _consistent(self) -> PricingSection:
        if self.reviewers < self.panel:
            raise FieldError(
                "reviewers",
                f"expected at least panel = {self.panel} reviewers (panels have distinct"
                f" reviewers), found {self.reviewers}",
            )
        if self.score_scale == 0.0:
            raise FieldError("score_scale", "expected a non-zero scale, found 0.0")
        return self

    @property
    def deals(self) -> int:
        """Number of completed deals: ``round(deal_share * achievements)``."""
        return int(round(self.deal_share * self.achievements))


class PricingScenario(ScenarioBase):
    """A scenario of kind ``pricing``: one replication = one population of achievements."""

    kind: Literal["pricing"] = "pricing"
    pricing: PricingSection = Field(default_factory=PricingSection)

    @model_validator(mode="after")
    def _estimable(self) -> PricingScenario:
        p = self.pricing
        if p.estimator == "median_quote" and p.inquiries == 0:
            raise FieldError("pricing.inquiries", "estimator 'median_quote' needs inquiries >= 1")
        if p.deals < 3:
            raise FieldError(
                "pricing.deal_share",
                "every estimator calibrates the score scale and the shading on completed deals:"
                f" expected deal_share * achievements >= 3, found {p.deals} deals",
            )
        return self
