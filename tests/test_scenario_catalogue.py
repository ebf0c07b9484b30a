"""Every bundled scenario validates, documents itself and runs with tiny overrides."""

from pathlib import Path

import pytest

from auction_sim.cli import main
from auction_sim.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))

# Overrides that shrink one replication of each kind to a fraction of a second.
TINY = {
    "auction": ["auction.auctions=400"],
    "bargaining": ["bargaining.negotiations=400"],
    "listing": ["listing.listings=400"],
    "double_auction": ["market.periods=2", "market.orders_per_period=100"],
    "pricing": ["pricing.achievements=400", "pricing.reviewers=60"],
    "market": ["market.horizon_days=45"],
    "procurement": ["procurement.contracts=400"],
}


def test_there_are_scenarios():
    assert SCENARIOS, "scenarios/ is empty"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_starts_with_a_comment_saying_what_it_studies(path):
    first = path.read_text().lstrip().splitlines()[0]
    assert first.startswith("#") and len(first) > 10, f"{path.name}: start with a comment"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_runs_with_tiny_overrides(path, capsys):
    kind = load_scenario(path).kind
    assert kind in TINY, f"add tiny overrides for kind {kind!r} to this test"
    sets = [a for s in TINY[kind] for a in ("--set", s)]
    args = ["run", str(path), "--reps", "1", "--backend", "serial", "--no-progress", "--json"]
    assert main(args + sets) == 0, capsys.readouterr().err
