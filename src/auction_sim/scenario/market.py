"""Schema of the ``market`` kind (DESIGN §3): the discrete-event technology market.

Every key has a default, so a file with only ``kind = "market"`` and
``[market] horizon_days`` runs a province-like market.  The keys of DESIGN §3
(``[market]`` rates, ``[mechanism] choice`` and the ``[policy]`` levers) are public;
the others are what the model needs beside them.  Time is in days, money in
currency units (any consistent unit; value medians are about 1).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..achievements import HOLDER_EFFECTS, HOLDER_MIX, HOLDER_TYPES, PUBLIC_FUNDED, PUBLIC_HOLDERS
from ..values import Distribution, LogNormal
from .base import ScenarioBase, Section
from .errors import FieldError
from .market_problems import ProblemsSection

__all__ = [
    "HOLDER_TYPES",
    "PUBLIC_HOLDERS",
    "MarketSection",
    "AchievementsSection",
    "BuyersSection",
    "FirmClass",
    "MarketPricingSection",
    "MechanismSection",
    "PolicySection",
    "MarketScenario",
]

_TAXONOMY = ", ".join(
    f"{h} ({'public' if pub else 'private'})"
    for h, pub in zip(HOLDER_TYPES, PUBLIC_HOLDERS, strict=True)
)  # the holder types of auction_sim.achievements, in the order of every per-holder list


def _share() -> dict:
    return {"ge": 0.0, "le": 1.0}


class MarketSection(Section):
    """``[market]``: size and clock of the market."""

    horizon_days: float = Field(1095.0, gt=0, le=36_500, description="simulated days")
    achievement_rate: float = Field(
        40.0, ge=0, description="newly registered achievements per day (Poisson, all fields)"
    )
    buyer_rate: float = Field(150.0, ge=0, description="firm visits to the platform per day")
    fields: int = Field(8, ge=1, le=1000, description="technology fields")
    platform_fee: float = Field(0.02, **_share(), description="platform fee, share of the price")


class AchievementsSection(Section):
    """``[achievements]``: the latent log value ``theta = x.beta + u`` and the holder mix."""

    value_mean_log: float = Field(0.0, description="mean log value (currency)")
    field_effect_sd: float = Field(
        0.5, ge=0, description="sd of the per-field log-value effects (drawn once per run)"
    )
    readiness_low: int = Field(1, ge=1, le=9, description="lowest readiness level (TRL)")
    readiness_high: int = Field(9, ge=1, le=9, description="highest readiness level (TRL)")
    readiness_slope: float = Field(
        0.15, description="log-value effect of one readiness level (centred at level 5)"
    )
    holder_mix: list[float] = Field(
        default_factory=lambda: list(HOLDER_MIX),
        min_length=len(HOLDER_TYPES),
        max_length=len(HOLDER_TYPES),
        description=f"shares of the holder types {_TAXONOMY}",
    )
    holder_effects: list[float] = Field(
        default_factory=lambda: list(HOLDER_EFFECTS),
        min_length=len(HOLDER_TYPES),
        max_length=len(HOLDER_TYPES),
        description="log-value effect of each holder type (same order as holder_mix)",
    )
    public_funded: list[float] = Field(
        default_factory=lambda: list(PUBLIC_FUNDED),
        min_length=len(HOLDER_TYPES),
        max_length=len(HOLDER_TYPES),
        description="probability that a result of each holder type was publicly funded",
    )
    value_sd: float = Field(0.6, ge=0, description="sd of the idiosyncratic log value u")
    grant_lag_days: float = Field(
        365.0, ge=0, description="IP grant date: uniform within this many days before project end"
    )
    private_registration_days: float = Field(
        90.0,
        ge=0,
        description="results not publicly funded register uniformly within this many days",
    )

    @model_validator(mode="after")
    def _check(self) -> AchievementsSection:
        if self.readiness_high < self.readiness_low:
            raise FieldError(
                "readiness_high",
                f"expected >= readiness_low = {self.readiness_low}, found {self.readiness_high}",
            )
        for name in ("holder_mix", "public_funded"):
            vals = getattr(self, name)
            if any(not 0 <= v <= 1 for v in vals):
                raise FieldError(name, f"expected shares in [0, 1], found {vals}")
        if sum(self.holder_mix) <= 0:
            raise FieldError("holder_mix", "expected a positive sum, found all zeros")
        return self


class FirmClass(Section):
    """``[[buyers.classes]]``: one size class of firms (asymmetric bidders, issue 19)."""

    share: float = Field(..., **_share(), description="share of the firms in this class")
    value_scale: float = Field(
        ..., gt=0, le=1e6, description="factor on this class's values (item value x fit x it)"
    )


class BuyersSection(Section):
    """``[buyers]``: the firms that visit the platform."""

    firms: int = Field(2000, ge=1, le=10_000_000, description="firms in the population")
    interests: int = Field(2, ge=1, description="fields of interest per firm (capped at fields)")
    explore_share: float = Field(
        0.1, **_share(), description="share of looks at items outside the firm's fields"
    )
    attention: int = Field(5, ge=1, le=1000, description="catalogue items looked at per visit")
    recency_items: float = Field(
        40.0, ge=1, description="mean recency rank of a looked-at item within its field"
    )
    fit_sd_log: float = Field(
        0.4, ge=0, description="sd of log fit: a firm's value = item value x fit"
    )
    off_field_fit: float = Field(
        0.5, gt=0, description="fit factor for an item outside the firm's fields"
    )
    budget: Distribution = Field(
        default_factory=lambda: LogNormal(mean_log=1.5, sd_log=1.0),
        description="budget per firm and renewal period (currency)",
    )
    budget_renewal_days: float = Field(365.0, gt=0, description="budgets are reset this often")
    inquire_prob: float = Field(
        0.6, **_share(), description="probability that a firm sends a quote on an item under review"
    )
    proxy_share: float = Field(
        0.6, **_share(), description="auction bidders that bid their limit at once (proxy)"
    )
    sniper_share: float = Field(
        0.2, **_share(), description="auction bidders that bid their limit at the last moment"
    )
    tactic: Literal["boulware", "conceder", "linear"] = Field(
        "conceder", description="firms' concession tactic in negotiations"
    )
    adoption_risk: float = Field(
        0.3, **_share(), description="probability that adopting a result fails"
    )
    premium_loading: float = Field(
        0.3, ge=0, description="insurance premium = adoption_risk x (1 + loading) x value"
    )
    classes: list[FirmClass] = Field(
        default_factory=list,
        max_length=8,
        description="size classes ([[buyers.classes]] tables with share and value_scale, shares"
        " summing to 1); none: one class of scale 1",
    )

    @model_validator(mode="after")
    def _check(self) -> BuyersSection:
        if self.classes and abs(sum(c.share for c in self.classes) - 1.0) > 1e-9:
            raise FieldError(
                "classes",
                "expected class shares summing to 1, found"
                f" {' + '.join(f'{c.share:g}' for c in self.classes)}"
                f" = {sum(c.share for c in self.classes):g}",
            )
        if self.proxy_share + self.sniper_share > 1:
            raise FieldError(
                "sniper_share",
                f"expected proxy_share + sniper_share <= 1, found"
                f" {self.proxy_share} + {self.sniper_share}",
            )
        return self


class MarketPricingSection(Section):
    """``[pricing]``: price discovery (as in the pricing kind) and the price rules."""

    review_days: float = Field(14.0, ge=0, description="days a review panel takes")
    reviewers: int = Field(500, ge=1, description="reviewers in the expert pool")
    panel: int = Field(5, ge=0, le=100, description="reviews per achievement")
    same_field_share: float = Field(
        0.6, **_share(), description="share of a panel drawn from the achievement's field"
    )
    bias_sd: float = Field(0.3, ge=0, description="sd of reviewers' personal biases")
    noise_sd: float = Field(1.0, gt=0, description="typical out-of-field reviewer noise sd")
    noise_sd_spread: float = Field(
        0.3, ge=0, le=3, description="log-sd of reviewers' personal noise sd around noise_sd"
    )
    field_noise_factor: float = Field(
        0.5, gt=0, description="same-field reviewers' noise = noise_sd x this factor"
    )
    score_offset: float = Field(
        0.0,
        description="alpha of score = alpha + gamma theta + b + e: the platform's appraisal"
        " scale, known to it (the reviews anchor the level of theta, docs/pricing.md)",
    )
    score_scale: float = Field(
        1.0, gt=0, description="gamma of score = alpha + gamma theta + b + e (known, as alpha)"
    )
    inquiries: int = Field(3, ge=0, description="at most this many quotes enter an estimate")
    inquiry_sd: float = Field(0.4, gt=0, description="sd of a quote's log noise")
    shading: float = Field(
        0.15,
        ge=0,
        lt=1,
        description="a quote understates the quoting firm's own value (item value x its fit)"
        " by this share (median)",
    )
    prior_sd: float = Field(1.0, gt=0, description="sd of the prior before any deal")
    estimator: Literal[
        "joint", "reviews_only", "quotes_only", "comparables_only", "mean_score", "median_quote"
    ] = Field(
        "joint",
        description="price-discovery channels: joint (prior, reviews, quotes, corrected deals);"
        " reviews_only, quotes_only, comparables_only (one channel); mean_score, median_quote"
        " (the laboratory's baselines); see docs/pricing.md",
    )
    readiness_error_sd: float = Field(
        1.0, ge=0, le=9, description="sd (levels) of the evaluated readiness around the true one"
    )
    due_diligence_share: float = Field(
        0.2, **_share(), description="share of achievements given technical due diligence"
    )
    due_diligence_error_sd: float = Field(
        0.3, ge=0, le=9, description="sd (levels) of the evaluated readiness after due diligence"
    )
    due_diligence_cost: float = Field(
        0.05, ge=0, description="cost of one due diligence (currency, paid by the holder)"
    )
    due_diligence_days: float = Field(
        14.0, ge=0, description="days due diligence adds to the review"
    )
    ridge: float = Field(
        1.0, ge=0, description="ridge penalty of the comparable-deal model (log price on features)"
    )
    refit_days: float = Field(
        30.0, gt=0, description="the joint estimator is refitted on all deals this often"
    )
    reserve_rule: Literal["quantile", "mean_share", "myerson"] = Field(
        "quantile",
        description="quantile: exp(posterior quantile); mean_share: share x posterior mean"
        " value; myerson: optimal reserve against lognormal buyers (fit_sd_log wide)",
    )
    reserve_level: float = Field(
        0.3, gt=0, lt=1, description="the quantile (quantile rule) or the share (mean_share)"
    )
    listing_rule: Literal["mean", "quantile"] = Field(
        "mean", description="mean: markup x posterior mean value; quantile: exp(quantile)"
    )
    listing_level: float = Field(
        1.0, gt=0, description="the markup (mean rule) or the quantile in (0, 1) (quantile rule)"
    )

    @model_validator(mode="after")
    def _check(self) -> MarketPricingSection:
        if self.listing_rule == "quantile" and not 0 < self.listing_level < 1:
            raise FieldError(
                "listing_level", f"expected a quantile in (0, 1), found {self.listing_level}"
            )
        return self


class MechanismSection(Section):
    """``[mechanism]``: how a holder sells, and the rules of each trading method."""

    choice: Literal["rule", "auction", "listing", "negotiation"] = Field(
        "rule", description="rule: by expected interest; otherwise every holder uses this method"
    )
    auction_min_interest: int = Field(
        2, ge=1, description="rule: at least this many inquiries -> timed auction"
    )
    negotiation_min_interest: int = Field(
        1, ge=1, description="rule: at least this many (and fewer than the above) -> negotiation"
    )
    listing_days: float = Field(20.0, gt=0, description="listing period")
    multi_intent: Literal["auction", "first_come"] = Field(
        "auction", description="two or more intents: competitive bidding, or the first intent buys"
    )
    relist_discount: float = Field(0.1, **_share(), description="price cut at each relist")
    max_relists: int = Field(2, ge=0, description="relists (listing or auction) before waiting")
    wait_days: float = Field(60.0, gt=0, description="withdrawn this long after failed attempts")
    max_rounds: int = Field(
        3,
        ge=1,
        description="rounds of attempts and waits before the holder withdraws the result"
        " (until its next use-first deadline; for good when none applies)",
    )
    auction_format: Literal["english", "first_price"] = Field(
        "english",
        description="english: timed English auction (soft close as set below); first_price:"
        " sealed first price, firms bid the asymmetric equilibrium of the classes present"
        " (docs/interfaces.md, market auctions)",
    )
    auction_days: float = Field(7.0, gt=0, description="timed auction length")
    increment: float = Field(0.02, gt=0, le=1, description="bid increment, share of the reserve")
    soft_close: bool = Field(True, description="late bids extend the end of a timed auction")
    soft_close_days: float = Field(
        0.0104, gt=0, description="extension window (and extension) of the soft close (~15 min)"
    )
    reaction_days: float = Field(
        0.02, gt=0, description="mean reaction delay of incremental bidders once outbid"
    )
    snipe_lead_days: float = Field(
        0.005,
        gt=0,
        description="snipers bid at a uniform time this close to the scheduled end",
    )
    rounds: int = Field(6, ge=1, le=1000, description="alternating offers: deadline in rounds")
    response_days: float = Field(2.0, gt=0, description="days between offers")
    first_mover: Literal["seller", "buyer"] = Field(
        "seller", description="who makes the first offer (seller = the holder)"
    )
    holder_tactic: Literal["boulware", "conceder", "linear"] = Field(
        "boulware", description="holders' concession tactic in negotiations"
    )
    boulware_e: float = Field(
        0.2, gt=0.0, lt=1.0, description="concession exponent e of the boulware tactic (e < 1)"
    )
    conceder_e: float = Field(
        5.0, gt=1.0, le=1000.0, description="concession exponent e of the conceder tactic (e > 1)"
    )
    buyer_open_share: float = Field(
        0.5, gt=0, le=1, description="a firm opens at this share of what it will pay"
    )
    negotiation_days: float = Field(
        30.0, gt=0, description="a holder waits this long for a negotiation partner"
    )
    max_negotiations: int = Field(
        2, ge=1, description="negotiations before moving on (rule: to listing; forced: a wait)"
    )


class PolicySection(Section):
    """``[policy]``: the policy levers of DESIGN §1."""

    registration_days: float = Field(
        30.0, ge=0, description="publicly funded results are registered within this many days"
    )
    registration_compliance: float = Field(
        1.0,
        **_share(),
        description="probability that a publicly funded result registers within"
        " registration_days (the others are late: market/registration.py)",
    )
    registration_late_days: float = Field(
        180.0,
        ge=0,
        description="a late result registers uniformly within this many days"
        " after its deadline (unless an audit finds it first)",
    )
    registration_audit_days: float = Field(
        0.0,
        ge=0,
        description="audits every this many days make late results visible (0: no audits)",
    )
    poc_share: float = Field(
        0.0,
        **_share(),
        description="share of results that go through a proof-of-concept centre before"
        " registering (+1 or 2 readiness levels: market/poc.py)",
    )
    poc_cost: float = Field(
        0.1, ge=0, description="cost of one proof of concept to the state's centre (currency)"
    )
    poc_days: float = Field(90.0, ge=0, description="a proof of concept delays registration")
    pledge_share: float = Field(
        0.0,
        **_share(),
        description="share of bought results pledged for a loan valued from the platform's"
        " posterior (market/loans.py); 0: no loans",
    )
    pledge_ltv: float = Field(0.25, gt=0, le=1, description="loan-to-value ratio of a pledge")
    pledge_quantile: float = Field(
        0.1, gt=0, lt=1, description="posterior quantile of the value the lender lends against"
    )
    pledge_bias_log: float = Field(
        0.0, ge=-5, le=5, description="bias injected into the lender's log value estimate"
    )
    pledge_default_rate: float = Field(
        0.2, **_share(), description="probability that a pledging borrower defaults"
    )
    pledge_recovery: float = Field(
        0.5, **_share(), description="on default the lender sells the result for this x its value"
    )
    pledge_holders: bool = Field(
        False, description="holders of results priced but unsold at the horizon pledge them too"
    )
    institutions_per_holder: int = Field(
        0,
        ge=0,
        le=1000,
        description="institutions per holder type, ranked by conversion (market/institutions.py);"
        " 0: none",
    )
    institution_size_sd: float = Field(
        1.0, ge=0, le=5, description="sd of the institutions' lognormal size weights"
    )
    ranking_days: float = Field(90.0, gt=0, description="a ranking is published this often")
    ranking_response: Literal["none", "markup"] = Field(
        "none",
        description="markup: the low-ranked half cut their liability markup by ranking_markup_cut",
    )
    ranking_markup_cut: float = Field(
        0.5, **_share(), description="share of the markup a low-ranked institution drops"
    )
    forced_listing_days: float = Field(
        730.0, gt=0, description="after IP grant: unconverted public results go to public auction"
    )
    free_license_days: float = Field(
        1095.0, gt=0, description="after IP grant: still unconverted -> free licence to a firm"
    )
    use_first: bool = Field(True, description="apply the two deadlines above")
    liability_markup: float = Field(
        0.3, ge=0, le=10, description="public holders mark reserves up by this share"
    )
    exemption_share: float = Field(
        0.0,
        **_share(),
        description="coin: share of public holders' trades through the exempt channel;"
        " channel: share of public holders' results with access to it",
    )
    exemption: Literal["coin", "channel"] = Field(
        "coin",
        description="coin: a trade is exempt by a coin flip at each pricing (the model before"
        " issue 16); channel: holders with access weigh its cost, delay and method cap"
        " (market/exemption.py)",
    )
    exemption_cost: float = Field(
        0.05,
        ge=0,
        description="channel: the compliance review's cost to the holder (currency, once per"
        " result); taken when below liability_markup x the assessed reserve",
    )
    exemption_delay_days: float = Field(
        14.0, ge=0, description="channel: the review delays the first trade by this many days"
    )
    exemption_methods: list[Literal["auction", "listing", "negotiation"]] = Field(
        default_factory=lambda: ["auction", "listing"],
        min_length=1,
        description="channel: methods the channel allows (another becomes a listing)",
    )
    broker_share: float = Field(0.2, **_share(), description="share of holders using a broker")
    broker_commission: float = Field(
        0.05, ge=0.05, le=1.0, description="brokers' share of proceeds (policy floor 5 %)"
    )
    broker_boost: float = Field(
        2.0, ge=1.0, le=100.0, description="factor on the rate buyers find a brokered result"
    )
    insurance_subsidy: float = Field(
        0.8, **_share(), description="share of the adoption-risk premium paid by the state"
    )
    insurance: Literal["flat", "claims"] = Field(
        "flat",
        description="flat: every deal pays the premium, no claims (the model before issue 16);"
        " claims: adoption fails with p(readiness), firms insure when their premium share is"
        " below (1 + risk_aversion) x p, the insurer pays the price back on failure"
        " (market/insurance.py)",
    )
    adoption_readiness_slope: float = Field(
        0.3,
        ge=0,
        le=5,
        description="claims: failure probability = min(0.95, buyers.adoption_risk x"
        " exp(-slope x (readiness - 5)))",
    )
    risk_aversion: float = Field(
        0.5,
        ge=0,
        le=10,
        description="claims: firms weigh an uninsured expected loss p x price by (1 + this)",
    )
    conversion_window_days: float = Field(
        730.0,
        gt=0,
        description="converted_2y counts deals within this many days of registration",
    )

    @model_validator(mode="after")
    def _check(self) -> PolicySection:
        if not self.free_license_days > self.forced_listing_days:
            raise FieldError(
                "free_license_days",
                f"expected > forced_listing_days = {self.forced_listing_days},"
                f" found {self.free_license_days}",
            )
        return self


class MarketScenario(ScenarioBase):
    """A scenario of kind ``market``."""

    kind: Literal["market"] = "market"
    market: MarketSection = Field(default_factory=MarketSection)
    achievements: AchievementsSection = Field(default_factory=AchievementsSection)
    buyers: BuyersSection = Field(default_factory=BuyersSection)
    pricing: MarketPricingSection = Field(default_factory=MarketPricingSection)
    mechanism: MechanismSection = Field(default_factory=MechanismSection)
    policy: PolicySection = Field(default_factory=PolicySection)
    problems: ProblemsSection = Field(default_factory=ProblemsSection)

    @model_validator(mode="after")
    def _check(self) -> MarketScenario:
        m = self.mechanism
        if m.negotiation_min_interest > m.auction_min_interest:
            raise FieldError(
                "mechanism.negotiation_min_interest",
                f"expected <= auction_min_interest = {m.auction_min_interest},"
                f" found {m.negotiation_min_interest}",
            )
        if m.auction_format == "first_price" and self.buyers.fit_sd_log <= 0:
            raise FieldError(
                "buyers.fit_sd_log",
                "expected > 0 with auction_format = 'first_price' (the equilibrium needs a"
                f" value density), found {self.buyers.fit_sd_log}",
            )
        return self
