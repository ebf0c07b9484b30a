"""Schema of the ``bargaining`` kind (DESIGN §3): independent buyer-seller negotiations."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..values import Distribution, Uniform
from .base import ScenarioBase, Section
from .errors import FieldError

__all__ = ["BargainingSection", "BargainingScenario"]

Protocol = Literal["alternating_offers", "k_double_auction", "nash"]
Tactic = Literal["equilibrium", "truthful", "boulware", "conceder", "linear"]
Side = Literal["seller", "buyer"]
Information = Literal["complete", "private"]

_TIME_TACTICS = ("truthful", "boulware", "conceder", "linear")
_SEALED_TACTICS = ("truthful", "equilibrium")


class BargainingSection(Section):
    """``[bargaining]``: the protocol, the deadline, the sides' tactics and values."""

    protocol: Protocol = Field(
        "alternating_offers", description="alternating_offers | k_double_auction | nash"
    )
    negotiations: int = Field(
        100_000, ge=1, le=100_000_000, description="independent buyer-seller pairs per replication"
    )
    k: float = Field(
        0.5, ge=0.0, le=1.0, description="k_double_auction: price = k * bid + (1 - k) * ask"
    )
    rounds: int = Field(
        10, ge=1, le=100_000, description="alternating_offers: the deadline in rounds"
    )
    first_mover: Side = Field("seller", description="alternating_offers: who proposes first")
    discount_buyer: float = Field(
        0.95, gt=0.0, le=1.0, description="buyer's discount factor per round, in (0, 1]"
    )
    discount_seller: float = Field(
        0.95, gt=0.0, le=1.0, description="seller's discount factor per round, in (0, 1]"
    )
    buyer_tactic: Tactic = Field(
        "equilibrium", description="equilibrium | truthful | boulware | conceder | linear"
    )
    seller_tactic: Tactic = Field(
        "equilibrium", description="equilibrium | truthful | boulware | conceder | linear"
    )
    information: Information = Field(
        "complete", description="complete | private: whether each side knows the other's value"
    )
    buyer_values: Distribution = Field(
        default_factory=Uniform, description="distribution of buyers' values (currency)"
    )
    seller_values: Distribution = Field(
        default_factory=Uniform, description="distribution of sellers' values (currency)"
    )
    seller_power: float = Field(
        0.5, ge=0.0, le=1.0, description="nash: the seller's bargaining power (share of surplus)"
    )
    boulware_e: float = Field(
        0.2, gt=0.0, lt=1.0, description="concession exponent e of the boulware tactic (e < 1)"
    )
    conceder_e: float = Field(
        5.0, gt=1.0, le=1000.0, description="concession exponent e of the conceder tactic (e > 1)"
    )


class BargainingScenario(ScenarioBase):
    """A scenario of kind ``bargaining``.

    Which tactics apply:

    * ``equilibrium`` is played by both sides or by neither;
    * ``alternating_offers`` with ``information = "complete"``: ``equilibrium`` (the
      subgame-perfect equilibrium), or time-dependent tactics
      (``truthful | boulware | conceder | linear``, opening at the other side's value);
    * ``alternating_offers`` with ``information = "private"``: time-dependent tactics
      only (opening at the end of the other side's value distribution);
    * ``k_double_auction``: ``truthful`` or ``equilibrium`` (the Chatterjee–Samuelson
      linear equilibrium, defined for both values uniform on the same interval);
    * ``nash``: the tactics and ``information`` do not apply.
    """

    kind: Literal["bargaining"] = "bargaining"
    bargaining: BargainingSection = Field(default_factory=BargainingSection)

    @model_validator(mode="after")
    def _consistent(self) -> BargainingScenario:
        b = self.bargaining
        tactics = {"bargaining.buyer_tactic": b.buyer_tactic}
        tactics["bargaining.seller_tactic"] = b.seller_tactic
        if b.protocol == "alternating_offers" and b.information == "private":
            for key, t in tactics.items():
                if t == "equilibrium":
                    raise FieldError(
                        key,
                        "expected a time-dependent tactic (truthful | boulware | conceder |"
                        " linear) under information = 'private': the equilibrium of"
                        " alternating offers is implemented for complete information only;"
                        " found 'equilibrium'",
                    )
        if b.protocol != "nash" and (b.buyer_tactic == "equilibrium") != (
            b.seller_tactic == "equilibrium"
        ):
            key = next(k for k, t in tactics.items() if t != "equilibrium")
            raise FieldError(
                key,
                "expected 'equilibrium' on both sides or on neither (an equilibrium is played"
                f" by both sides), found '{tactics[key]}' against 'equilibrium'",
            )
        if b.protocol == "k_double_auction":
            for key, t in tactics.items():
                if t not in _SEALED_TACTICS:
                    raise FieldError(
                        key,
                        "expected truthful | equilibrium for protocol = 'k_double_auction',"
                        f" found '{t}'",
                    )
            if "equilibrium" in tactics.values():
                bv, sv = b.buyer_values, b.seller_values
                if not (bv.is_uniform and sv.is_uniform):
                    bad = (
                        "bargaining.buyer_values"
                        if not bv.is_uniform
                        else "bargaining.seller_values"
                    )
                    found = bv.dist if not bv.is_uniform else sv.dist
                    raise FieldError(
                        bad,
                        "expected uniform values: the Chatterjee-Samuelson linear equilibrium of"
                        " the k-double auction is defined for uniform values only"
                        f" (use tactic 'truthful' otherwise), found dist = '{found}'",
                    )
                if (bv.low, bv.high) != (sv.low, sv.high):
                    raise FieldError(
                        "bargaining.seller_values",
                        "expected the same interval as buyer_values: the linear equilibrium is"
                        " implemented for buyer and seller values uniform on one interval,"
                        f" found [{sv.low}, {sv.high}] against [{bv.low}, {bv.high}]",
                    )
        return self
