"""Schema of the ``auction`` kind (DESIGN §3): independent single-item auctions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..values import Distribution, Uniform
from .base import ScenarioBase, Section
from .errors import FieldError

__all__ = ["BidderClass", "AuctionSection", "StrategySection", "AuctionScenario", "NOT_YET"]

Format = Literal["first_price", "second_price", "english", "dutch"]
ValueModel = Literal["private", "common", "affiliated"]
StrategyKind = Literal["truthful", "equilibrium", "shade", "zi", "adaptive", "sniper"]

NOT_YET: dict[str, tuple[str, ...]] = {}
"""Values the schema accepts but the engine does not run yet (rejected at validation)."""


class BidderClass(Section):
    """``[[auction.classes]]``: one class of bidders (asymmetric auctions, issue 19)."""

    count: int = Field(..., ge=1, le=10_000, description="bidders of this class per auction")
    values: Distribution = Field(..., description="distribution of this class's values")


class AuctionSection(Section):
    """``[auction]``: the format and the market of every single-item auction."""

    format: Format = Field("first_price", description="auction format")
    bidders: int = Field(5, ge=1, le=10_000, description="bidders per auction")
    auctions: int = Field(
        100_000, ge=1, le=100_000_000, description="independent auctions per replication"
    )
    reserve: float = Field(
        0.0, ge=0.0, description="public reserve price: no sale below it (currency)"
    )
    increment: float = Field(0.01, gt=0, description="english / dutch clock step (currency)")
    soft_close: bool = Field(
        False,
        description="timed english (duration > 0): a bid in the closing window moves the end"
        " to that bid's time plus closing_window; false = hard close at duration",
    )
    duration: float = Field(
        0.0,
        ge=0.0,
        le=1e6,
        description="english only: 0 = the instantaneous clock auction; > 0 = a timed online"
        " auction with proxy bidding lasting this many days (bidders arrive uniformly over it)",
    )
    closing_window: float = Field(
        0.1, gt=0.0, description="timed english: the closing window (days) of late bids"
    )
    reaction: float = Field(
        0.02,
        gt=0.0,
        description="timed english: mean delay (days, exponential) before an outbid"
        " incremental bidder raises again",
    )
    values: Distribution = Field(
        default_factory=Uniform, description="distribution of bidders' values"
    )
    classes: list[BidderClass] | None = Field(
        None,
        description="bidder classes ([[auction.classes]] tables with count and values), instead"
        " of bidders + values; the bidders per auction are then the classes' total count",
    )
    value_model: ValueModel = Field("private", description="private | common | affiliated")
    common_share: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of the common component (common / affiliated)"
    )


class StrategySection(Section):
    """``[strategy]``: how bidders map values to bids."""

    kind: StrategyKind = Field("equilibrium", description="bidding strategy")
    shade: float = Field(
        0.1, ge=0.0, le=1.0, description="for kind = 'shade': bid (1 - shade) * value"
    )
    sniper_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="for kind = 'sniper': each bidder is a sniper with this probability;"
        " the others bid incrementally (the minimum bid on arrival and whenever outbid)",
    )
    snipe_lead: float = Field(
        0.005,
        gt=0.0,
        description="for kind = 'sniper': snipers bid their value at a uniform time in the"
        " last snipe_lead days before the scheduled end",
    )
    arms: int = Field(
        21, ge=2, le=1001, description="for kind = 'adaptive': shading factors 0, 1/(arms-1), .., 1"
    )
    learning_rate: float = Field(
        1.0,
        gt=0.0,
        le=1e3,
        description="for kind = 'adaptive': Hedge step on utilities in units of the value scale"
        " (top of the value support, or its 0.999999 quantile)",
    )


class AuctionScenario(ScenarioBase):
    """A scenario of kind ``auction``."""

    kind: Literal["auction"] = "auction"
    auction: AuctionSection = Field(default_factory=AuctionSection)
    strategy: StrategySection = Field(default_factory=StrategySection)

    @model_validator(mode="after")
    def _supported(self) -> AuctionScenario:
        for key, values in NOT_YET.items():
            section, _, name = key.partition(".")
            found = getattr(getattr(self, section), name)
            if found in values:
                raise FieldError(
                    key, f"'{found}' is part of the scenario format but not implemented yet"
                )
        a, s = self.auction, self.strategy
        if a.classes is not None:
            _check_classes(a, s)
        timed = a.format == "english" and a.duration > 0
        if a.duration > 0 and a.format != "english":
            raise FieldError(
                "auction.duration",
                f"expected 0 unless auction.format = 'english' (timed auctions are"
                f" ascending), found {a.duration} with format '{a.format}'",
            )
        if a.soft_close and not timed:
            raise FieldError(
                "auction.soft_close",
                "a soft close needs a timed auction: auction.format = 'english' and"
                f" auction.duration > 0; found format '{a.format}', duration {a.duration}",
            )
        if timed and a.closing_window >= a.duration:
            raise FieldError(
                "auction.closing_window",
                f"expected less than auction.duration = {a.duration}, found {a.closing_window}",
            )
        if s.kind == "sniper" and not timed:
            raise FieldError(
                "strategy.kind",
                "'sniper' fits only timed auctions (auction.format = 'english' with"
                f" auction.duration > 0); found format '{a.format}', duration {a.duration}",
            )
        if s.kind == "sniper" and s.snipe_lead >= a.duration:
            raise FieldError(
                "strategy.snipe_lead",
                f"expected less than auction.duration = {a.duration}, found {s.snipe_lead}",
            )
        if s.kind == "adaptive" and timed:
            raise FieldError(
                "strategy.kind",
                "'adaptive' learns over sealed and clock auctions; timed auctions"
                " (auction.duration > 0) take truthful, equilibrium, shade, zi or sniper",
            )
        if s.kind == "equilibrium" and a.value_model != "private":
            if a.value_model == "common" or a.format in ("first_price", "dutch"):
                raise FieldError(
                    "strategy.kind",
                    "'equilibrium' is the independent-private-values equilibrium; with"
                    f" auction.value_model = '{a.value_model}' it is defined only for"
                    " affiliated values in second_price / english (bid the value);"
                    f" found format '{a.format}'",
                )
        return self


def _check_classes(a: AuctionSection, s: StrategySection) -> None:
    """What bidder classes combine with (DESIGN §3, asymmetric bidders)."""
    from ..core.asymmetric import AsymmetricError, common_low

    if not a.classes:
        raise FieldError("auction.classes", "expected at least one [[auction.classes]] table")
    total = sum(c.count for c in a.classes)
    if a.bidders != total and a.bidders != AuctionSection.model_fields["bidders"].default:
        raise FieldError(
            "auction.bidders",
            f"with [[auction.classes]] the bidders are the classes' counts ({total});"
            f" remove auction.bidders, found {a.bidders}",
        )
    if a.values != Uniform():
        raise FieldError(
            "auction.values",
            "with [[auction.classes]] each class has its own values; remove auction.values",
        )
    if a.value_model != "private":
        raise FieldError(
            "auction.value_model",
            f"bidder classes have independent private values; found '{a.value_model}'",
        )
    if s.kind == "adaptive":
        raise FieldError("strategy.kind", "'adaptive' is not available with bidder classes")
    dists = [c.values for c in a.classes]
    if s.kind == "equilibrium" and a.format in ("first_price", "dutch"):
        for i, d in enumerate(dists):
            lo, hi = d.support()
            if not hi > lo:
                raise FieldError(
                    f"auction.classes[{i}].values",
                    "the first-price equilibrium with classes needs a value density;"
                    " found a point mass (dist = 'constant')",
                )
    try:
        common_low(dists, a.reserve)
    except AsymmetricError as exc:
        solved = s.kind == "equilibrium" and a.format in ("first_price", "dutch")
        if exc.index is None:  # nobody can bid: degenerate in every format
            raise FieldError("auction.reserve", str(exc)) from None
        if solved:  # truthful formats need no common lowest bid
            raise FieldError(f"auction.classes[{exc.index}].values", str(exc)) from None
