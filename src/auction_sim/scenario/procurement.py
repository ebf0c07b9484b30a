"""Schema of the ``procurement`` kind (issue 21): independent scoring procurements.

A buyer (a firm posting a problem) buys one contract from ``suppliers`` research teams.
Team ``j`` has a private cost type θ_j (i.i.d., ``cost_types``); delivering quality ``q``
costs it ``θ q² / 2`` (currency).  The buyer's score of an offer ``(q, p)`` is
``quality_weight * q - p``, which is also its utility.  See
:mod:`auction_sim.mechanisms.procurement` for the formats and strategies.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..values import Distribution, Uniform
from .base import ScenarioBase, Section
from .errors import FieldError

__all__ = ["ProcurementSection", "StrategySection", "ProcurementScenario", "SUPPORTED"]

Format = Literal["first_score", "second_score", "price_only", "negotiation"]
StrategyKind = Literal["equilibrium", "truthful", "markup"]

SUPPORTED: dict[str, tuple[str, ...]] = {
    "equilibrium": ("first_score", "second_score", "price_only", "negotiation"),
    "truthful": ("first_score", "second_score", "price_only"),
    "markup": ("first_score", "second_score", "price_only"),
}
"""The formats each ``strategy.kind`` is defined for (anything else: exit 2)."""


class ProcurementSection(Section):
    """``[procurement]``: the format, the suppliers and the buyer's scoring rule."""

    format: Format = Field(
        "first_score", description="first_score | second_score | price_only | negotiation"
    )
    suppliers: int = Field(3, ge=1, le=10_000, description="competing suppliers per contract")
    contracts: int = Field(
        100_000, ge=1, le=100_000_000, description="independent procurements per replication"
    )
    cost_types: Distribution = Field(
        default_factory=lambda: Uniform(low=1.0, high=2.0),
        description="distribution of the cost type θ > 0: quality q costs θ q² / 2 (currency)",
    )
    quality_weight: float = Field(
        1.0, gt=0.0, description="w of the buyer's score w * q - p (currency per quality unit)"
    )
    reserve_score: float = Field(
        0.0, ge=0.0, description="no contract is awarded below this score (currency)"
    )
    min_quality: float = Field(
        0.75, gt=0.0, description="price_only: the fixed quality every offer delivers"
    )
    supplier_power: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="negotiation: the team's Nash bargaining power over the surplus at q*",
    )


class StrategySection(Section):
    """``[strategy]``: how suppliers choose their offers."""

    kind: StrategyKind = Field(
        "equilibrium",
        description="equilibrium (Bayes-Nash of the format) | truthful (offer at cost)"
        " | markup (price = (1 + markup) * cost)",
    )
    markup: float = Field(
        0.1, ge=0.0, le=100.0, description="for kind = 'markup': price = (1 + markup) * cost"
    )


class ProcurementScenario(ScenarioBase):
    """A scenario of kind ``procurement``."""

    kind: Literal["procurement"] = "procurement"
    procurement: ProcurementSection = Field(default_factory=ProcurementSection)
    strategy: StrategySection = Field(default_factory=StrategySection)

    @model_validator(mode="after")
    def _supported(self) -> ProcurementScenario:
        p, s = self.procurement, self.strategy
        dist = p.cost_types
        lo = dist.support()[0]
        if lo < 0:
            raise FieldError(
                "procurement.cost_types",
                f"expected cost types θ > 0 (quality q costs θ q² / 2); the '{dist.dist}'"
                f" distribution has negative support (lower end {lo})",
            )
        if lo == 0 and dist.dist != "lognormal":
            raise FieldError(
                "procurement.cost_types",
                f"expected cost types bounded away from 0 (the efficient quality w / θ and"
                f" the surplus w² / (2 θ) grow without bound as θ -> 0; lognormal is"
                f" accepted); the '{dist.dist}' distribution has lower end {lo}",
            )
        if p.format not in SUPPORTED[s.kind]:
            raise FieldError(
                "strategy.kind",
                f"'{s.kind}' is defined for procurement.format in {SUPPORTED[s.kind]};"
                f" found format '{p.format}'",
            )
        return self
