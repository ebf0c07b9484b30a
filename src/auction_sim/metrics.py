"""Every metric's unit, range and one-line definition: the one source for the CLI, docs, report.

``auction-sim metrics [KIND]`` prints this catalogue; ``docs/metrics.md`` is generated from
it (``python -m auction_sim.metrics > docs/metrics.md``; a test keeps the two equal); the
summary table groups by it (economics first, engine statistics apart, counts as integers)
and the report labels axes with its units and clips intervals to its ranges.  A test checks
that the catalogue names exactly the metrics each kind reports.

Units: ``share`` (a fraction in [0, 1]), ``currency`` (the scenario's money unit; values
have median about 1 unless the scenario says otherwise), ``days`` (simulated days),
``count`` (a whole number per run), ``log`` (natural-log units: 0.1 is about 10 %),
``ratio`` (dimensionless, not bounded by 1), ``rounds``, ``%``, ``quality``.
"""

from __future__ import annotations

import math
import re
import sys
from typing import NamedTuple

__all__ = [
    "Metric",
    "CATALOGUE",
    "PER_CLASS",
    "KEY",
    "GROUPS",
    "SERIES",
    "KEY_SERIES",
    "lookup",
    "axis_label",
    "bounds",
    "metrics_of_kind",
    "render_markdown",
]


class Metric(NamedTuple):
    name: str
    unit: str
    definition: str
    low: float | None = None  # the metric's range, for clipping intervals
    high: float | None = None
    engine: bool = False  # an engine statistic, not an economic quantity

    @property
    def count(self) -> bool:
        return self.unit == "count"


def _share(name: str, definition: str) -> Metric:
    return Metric(name, "share", definition, 0.0, 1.0)


def _count(name: str, definition: str, engine: bool = False) -> Metric:
    return Metric(name, "count", definition, 0.0, None, engine)


def _money(name: str, definition: str, low: float | None = 0.0) -> Metric:
    return Metric(name, "currency", definition, low)


CATALOGUE: dict[str, tuple[Metric, ...]] = {
    "auction": (
        _money("revenue", "mean seller receipts per auction (0 when unsold)"),
        _share("efficiency", "sum of winners' values / sum of the highest values"),
        _share("sale_rate", "share of auctions that sold (a bid at or above the reserve)"),
        _money("bidder_surplus", "mean winner's value minus price per auction", None),
        Metric("price_to_value", "ratio", "price / highest value, over sold auctions", 0.0),
        _money("winner_curse", "mean price minus the winner's true value, sold auctions", None),
        _share("late_bid_share", "bids placed in the closing window / bids placed (timed)"),
        Metric("extensions", "count", "soft-close extensions per auction (timed)", 0.0),
    ),
    "bargaining": (
        _share("agreement_rate", "share of buyer-seller pairs that agree"),
        _share("gains_ratio", "realised gains from trade / first-best gains"),
        _share("seller_share", "the seller's part of the realised gains"),
        Metric("rounds", "rounds", "mean rounds to agreement (1 = first offer accepted)", 1.0),
        _money("price", "mean agreed price"),
    ),
    "listing": (
        _share("sale_rate", "share of listings sold in any listing period"),
        _money("revenue", "mean price per listing (0 when withdrawn)"),
        Metric("days_to_sale", "days", "mean days from first listing to sale, sold ones", 0.0),
        _share("bidding_share", "share of listings that went to competitive bidding"),
        _share("efficiency", "sum of the buyers' values / sum of the highest values, sold"),
    ),
    "double_auction": (
        _share("efficiency", "realised gains from trade / maximum (competitive) gains"),
        Metric("volume", "count", "trades per period", 0.0),
        _money("price_rmse", "RMS deviation of trade prices from the equilibrium price"),
        Metric("alpha", "%", "Smith's coefficient of convergence in the last period", 0.0),
        Metric("alpha_first", "%", "Smith's alpha in the first period", 0.0),
        _money("mean_price", "mean trade price"),
    ),
    "pricing": (
        Metric("rmse_log", "log", "RMSE of the posterior mean log value against the truth", 0.0),
        Metric("oracle_rmse_log", "log", "the same for the oracle (true parameters)", 0.0),
        _share("coverage90", "share of true log values inside the 90 % posterior interval"),
        Metric("bias_log", "log", "mean error of the posterior mean log value (est - true)"),
        Metric("rmse_ratio", "ratio", "rmse_log / oracle_rmse_log (1 = as good as the oracle)"),
        _share("oracle_coverage90", "coverage of the oracle's 90 % interval"),
        _share("shading_hat", "estimated quote shading (true value: pricing.shading)"),
        _count("iterations", "EM iterations of the joint estimator (0 otherwise)", True),
        Metric("comparables_rmse_log", "log", "RMSE of the comparable-deal model, log", 0.0),
    ),
    "market": (
        _share("deal_rate", "paid deals / achievements registered during the horizon"),
        Metric("days_to_deal", "days", "median days from registration to a paid deal", 0.0),
        _money("volume", "total price of paid deals"),
        Metric("price_to_value", "ratio", "mean price / highest value among lookers, deals", 0.0),
        _share("efficiency", "buyers' values / highest values among lookers, deals"),
        _share("converted_2y", "public results converted within 2 years of registration"),
        _count("free_licensed", "free licences under use-first-transfer-later"),
        _money("broker_income", "total broker commissions"),
        _count("events", "SimPy events processed (depends on the engine's batching)", True),
        _count("registered", "achievements registered during the horizon"),
        _count("deals", "paid deals"),
        _share("auction_share", "share of paid deals made by auction"),
        _share("listing_share", "share of paid deals made by listed trade"),
        _share("negotiation_share", "share of paid deals made by negotiation"),
        _count("forced_auctions", "paid deals from forced public auctions (use-first)"),
        _money("platform_fees", "total platform fees"),
        _money("subsidy_paid", "the state's insurance premium subsidy"),
        _share("insured_share", "paid deals (price > 0) that carry an insurance premium"),
        _money("claims_paid", "the insurer's claims on failed adoptions (insurance = claims)"),
        Metric("loss_ratio", "ratio", "claims paid / insurance premiums (whole)", 0.0),
        _share("exempt_share", "public holders' paid deals made through the exempt channel"),
        _money("exemption_spent", "exempt channel review costs paid by holders (channel)"),
        _share("registered_on_time", "public results due in the horizon registered in time"),
        _share("poc_share", "registered results that went through a proof-of-concept centre"),
        _money("poc_spent", "the proof-of-concept centres' cost (the state's)"),
        _money("pledge_volume", "IP-pledge loans lent against bought results"),
        _share("loan_loss_rate", "the lender's losses on defaulted pledge loans / lent"),
        _share("institution_conversion_sd", "sd of the public institutions' conversion"),
        _share("low_rank_conversion", "conversion of the institutions low-ranked last"),
        Metric(
            "price_error_first",
            "log",
            "RMS error predicting log deal prices (posterior mean), first quarter",
            0.0,
        ),  # fmt: skip
        Metric(
            "price_error_last",
            "log",
            "RMS error predicting log deal prices (posterior mean), last quarter",
            0.0,
        ),  # fmt: skip
        _count("failed_fits", "joint-estimator refits not used (failed or degenerate)", True),
        Metric(
            "premium_over_reserve",
            "ratio",
            "mean price / reserve - 1, paid auction deals with a positive reserve",
            -1.0,
        ),  # fmt: skip
        _count("auction_fallbacks", "auction winners unable to pay at the close: runner-up won"),
        _share("auction_sale_rate", "timed auctions sold / timed auctions held (relists count)"),
        Metric(
            "value_error_first",
            "log",
            "RMSE of posterior mean log value vs true θ at pricing, first quarter",
            0.0,
        ),  # fmt: skip
        Metric(
            "value_error_last",
            "log",
            "RMSE of posterior mean log value vs true θ at pricing, last quarter",
            0.0,
        ),  # fmt: skip
        Metric("value_bias_last", "log", "mean posterior mean log value - true θ, last quarter"),
        Metric(
            "oracle_value_error_last",
            "log",
            "value_error_last of the in-market oracle (true parameters, same signals)",
            0.0,
        ),  # fmt: skip
        _money("due_diligence_spent", "total cost of technical due diligence"),
        _count(
            "auction_fp_approximate",
            "sealed first-price auctions bid with the symmetric fallback (composition"
            " beyond the asymmetric solver)",
            engine=True,
        ),
        _count("problems_posted", "problems firms posted (the demand side; 0 when off)"),
        _count("problems_awarded", "posted problems awarded a contract before the horizon"),
        _share("rd_success_rate", "awarded contracts whose R&D succeeded"),
        _count(
            "project_status_count", "successful contracts over the provincial project threshold"
        ),
        _money("compensation_paid", "risk compensation paid on failed contracts"),
        Metric("procurement_quality", "quality", "mean delivered quality, awarded problems", 0.0),
    ),
    "procurement": (
        Metric("buyer_utility", "currency", "mean buyer score (w q - p) per problem, 0 unawarded"),
        Metric("quality", "quality", "mean delivered quality, awarded contracts", 0.0),
        _money("price", "mean price paid, awarded contracts"),
        _money("supplier_surplus", "mean winner's price minus cost per problem", None),
        _share("efficiency", "realised surplus / maximum surplus"),
        _share("award_rate", "share of problems awarded a contract"),
    ),
}

PER_CLASS: dict[str, tuple[Metric, ...]] = {
    "auction": (
        _share("win_share_{k}", "share of auctions won by a bidder of class k"),
        _money("class_surplus_{k}", "mean surplus of class k's winners per auction", None),
    ),
    "market": (
        _share("auction_win_share_{k}", "share of the sold auctions won by a firm of class k"),
        Metric(
            "auction_win_excess_{k}",
            "share",
            "mean over sold auctions of (class k won) - (class k's share of the bidders)",
            -1.0,
            1.0,
        ),
    ),
}
"""Metrics reported once per bidder class (k = 1, 2, ... in file order), where classes exist
(market: the firm size classes of ``[[buyers.classes]]``)."""


KEY: dict[str, tuple[str, ...]] = {
    "auction": ("revenue", "efficiency", "sale_rate", "bidder_surplus", "price_to_value"),
    "bargaining": ("agreement_rate", "gains_ratio", "seller_share", "rounds"),
    "listing": ("sale_rate", "revenue", "days_to_sale", "bidding_share", "efficiency"),
    "double_auction": ("efficiency", "volume", "price_rmse", "alpha"),
    "pricing": ("rmse_log", "oracle_rmse_log", "coverage90", "bias_log"),
    "market": ("deal_rate", "days_to_deal", "price_to_value", "efficiency"),
    "procurement": ("buyer_utility", "quality", "price", "efficiency", "award_rate"),
}
"""The metrics a report leads with, per kind (the rest follow under "All metrics")."""

GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "market": {"method_shares": ("auction_share", "listing_share", "negotiation_share")},
}
"""Metrics of one unit drawn together in one key figure (name -> metrics)."""

SERIES: dict[str, Metric] = {
    m.name: m
    for m in (
        _count("deals", "paid deals in the month"),
        _money("volume", "total price of the month's paid deals"),
        _money("broker_income", "broker commissions in the month"),
        _count("deals_auction", "paid deals by auction"),
        _count("deals_listing", "paid deals by listed trade"),
        _count("deals_negotiation", "paid deals by negotiation"),
        _count("deals_free_license", "free licences"),
        Metric("price_error", "log", "RMS error predicting the month's log deal prices", 0.0),
        _count("priced_deals", "deals with a price estimate"),
        Metric("value_error", "log", "RMS error of the posterior mean against true θ", 0.0),
        _count("priced", "achievements priced in the month"),
        Metric("oracle_value_error", "log", "value_error of the in-market oracle", 0.0),
        Metric("value_bias", "log", "mean posterior mean - true θ of the month's pricings"),
    )
}
"""The market's monthly series (``timeseries.parquet`` columns) with their units."""

KEY_SERIES: dict[str, tuple[str, ...]] = {"market": ("deals", "value_error", "price_error")}


def metrics_of_kind(kind: str) -> tuple[Metric, ...]:
    """The catalogue entries of a kind (``KeyError`` for an unknown kind)."""
    return CATALOGUE[kind]


def lookup(kind: str, name: str) -> Metric | None:
    """The entry of one metric, per-class names included; None if it is not catalogued."""
    for m in CATALOGUE.get(kind, ()):
        if m.name == name:
            return m
    for m in PER_CLASS.get(kind, ()):
        pattern = re.escape(m.name).replace(r"\{k\}", r"(\d+)")
        hit = re.fullmatch(pattern, name)
        if hit:
            k = hit.group(1)
            return m._replace(name=name, definition=m.definition.replace("class k", f"class {k}"))
    return None


def axis_label(kind: str | None, name: str) -> str:
    """``name (unit)`` for a figure axis (a metric or a monthly series of the kind)."""
    m = lookup(kind, name) if kind else None
    if m is None and kind == "market":
        m = SERIES.get(name)
    return f"{name} ({m.unit})" if m else name


def bounds(kind: str | None, name: str) -> tuple[float, float]:
    """The range a metric's values (and intervals) can take: (-inf, inf) if unknown."""
    m = lookup(kind, name) if kind else None
    if m is None and kind == "market":
        m = SERIES.get(name)
    lo = -math.inf if m is None or m.low is None else m.low
    hi = math.inf if m is None or m.high is None else m.high
    return lo, hi


def render_text(kinds: list[str]) -> str:
    """The plain-text table ``auction-sim metrics`` prints."""
    lines = []
    for kind in kinds:
        lines.append(f"{kind}")
        rows = list(CATALOGUE[kind]) + list(PER_CLASS.get(kind, ()))
        width = max(len(m.name) for m in rows)
        for m in rows:
            tag = "  [engine statistic]" if m.engine else ""
            lines.append(f"  {m.name:<{width}}  {m.unit:<8}  {m.definition}{tag}")
        lines.append("")
    return "\n".join(lines)


def render_markdown() -> str:
    """``docs/metrics.md``: every kind's metrics with unit, range and definition."""
    out = [
        "# Metrics",
        "",
        "Generated from `src/auction_sim/metrics.py` (`python -m auction_sim.metrics >"
        " docs/metrics.md`); `auction-sim metrics [KIND]` prints the same. Engine statistics"
        " describe the engine, not the modelled market.",
        "",
    ]
    for kind in CATALOGUE:
        out += [f"## {kind}", "", "| metric | unit | range | definition |", "|---|---|---|---|"]
        for m in list(CATALOGUE[kind]) + list(PER_CLASS.get(kind, ())):
            lo = "" if m.low is None else f"{m.low:g}"
            hi = "" if m.high is None else f"{m.high:g}"
            rng = f"[{lo}, {hi}]" if (lo or hi) else "any"
            eng = " *(engine statistic)*" if m.engine else ""
            if m in PER_CLASS.get(kind, ()):
                eng += " *(per bidder class, k = 1, 2, ...)*"
            out.append(f"| `{m.name}` | {m.unit} | {rng} | {m.definition}{eng} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
