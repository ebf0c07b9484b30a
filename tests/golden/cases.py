"""The golden record's cases: every bundled scenario and every laboratory branch, small.

Each case is ``(scenario file, --set overrides, replications)``.  The sizes keep one case to
a second or two on 2 cores; the record (``tests/golden/<case>.json``) holds the JSON summary
of DESIGN §4 and a SHA-256 of the metric columns of ``runs.parquet``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

# Overrides that make one replication of each kind small (but not trivial).
SMALL: dict[str, list[str]] = {
    "auction": ["auction.auctions=2000"],
    "bargaining": ["bargaining.negotiations=1000"],
    "listing": ["listing.listings=2000"],
    "double_auction": ["market.periods=2", "market.orders_per_period=200"],
    "pricing": ["pricing.achievements=1500", "pricing.reviewers=150"],
    "market": ["market.horizon_days=90"],
    "procurement": ["procurement.contracts=2000"],
}

# Every file in scenarios/ is a case of its own (added by ``cases()``); these exercise the
# branches that no bundled scenario reaches: formats, strategies, protocols, rules, policy paths.
EXTRA: dict[str, tuple[str, list[str], int]] = {
    "lab_auction_zi_dutch": (
        "revenue_equivalence.toml",
        ["strategy.kind='zi'", "auction.format='dutch'", "auction.reserve=0.2"],
        2,
    ),
    "lab_auction_adaptive": (
        "revenue_equivalence.toml",
        ["strategy.kind='adaptive'", "auction.bidders=3", "auction.auctions=1000"],
        2,
    ),
    "lab_auction_affiliated_english": (
        "common_values.toml",
        [
            "auction.value_model='affiliated'",
            "auction.format='english'",
            "strategy.kind='equilibrium'",
            "auction.bidders=4",
        ],
        2,
    ),
    "lab_auction_lognormal_equilibrium": (
        "reserve_price_study.toml",
        [
            "auction.values={dist='lognormal', mean_log=0.0, sd_log=0.5}",
            "auction.bidders=3",
            "auction.reserve=0.8",
        ],
        2,
    ),
    "lab_bargaining_kda_private": (
        "bargaining_tactics.toml",
        [
            "bargaining.protocol='k_double_auction'",
            "bargaining.information='private'",
            "bargaining.k=0.3",
            "bargaining.seller_tactic='truthful'",
            "bargaining.buyer_tactic='truthful'",
        ],
        2,
    ),
    "lab_bargaining_nash": (
        "bargaining_tactics.toml",
        [
            "bargaining.protocol='nash'",
            "bargaining.information='complete'",
            "bargaining.seller_tactic='equilibrium'",
            "bargaining.buyer_tactic='equilibrium'",
        ],
        2,
    ),
    "lab_bargaining_equilibrium": (
        "bargaining_tactics.toml",
        [
            "bargaining.seller_tactic='equilibrium'",
            "bargaining.buyer_tactic='equilibrium'",
            "bargaining.first_mover='buyer'",
            "bargaining.information='complete'",
        ],
        2,
    ),
    "lab_double_auction_truthful_call": (
        "zero_intelligence.toml",
        ["traders.strategy='truthful'", "market.rule='call'"],
        2,
    ),
    "lab_listing_first_come": (
        "listing_rules.toml",
        ["listing.multi_intent='first_come'", "listing.max_relists=0"],
        2,
    ),
    "market_deadlines": (
        "province_baseline.toml",
        [
            "market.horizon_days=240",
            "market.achievement_rate=15.0",
            "market.buyer_rate=60.0",
            "policy.forced_listing_days=60",
            "policy.free_license_days=150",
        ],
        1,
    ),
    "market_forced_negotiation": (
        "province_baseline.toml",
        ["mechanism.choice='negotiation'", "pricing.estimator='mean_score'"],
        1,
    ),
    "market_forced_listing": (
        "province_baseline.toml",
        [
            "mechanism.choice='listing'",
            "pricing.reserve_rule='myerson'",
            "pricing.listing_rule='quantile'",
            "pricing.listing_level=0.6",
        ],
        1,
    ),
}


def cases() -> dict[str, tuple[Path, list[str], int]]:
    """Name -> (scenario path, overrides, replications), scenario files first."""
    from auction_sim.scenario import load_scenario

    out: dict[str, tuple[Path, list[str], int]] = {}
    for path in sorted(SCENARIOS.glob("*.toml")):
        kind = load_scenario(path).kind
        out[path.stem] = (path, list(SMALL[kind]), 2 if kind != "market" else 1)
    for name, (file, sets, reps) in EXTRA.items():
        path = SCENARIOS / file
        kind = load_scenario(path).kind
        out[name] = (path, list(SMALL[kind]) + sets, reps)
    return out
