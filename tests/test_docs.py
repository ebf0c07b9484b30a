"""Generated documentation stays in step with the code."""

from pathlib import Path

from auction_sim.scenario import KINDS
from auction_sim.scenario.docs import render

ROOT = Path(__file__).parent.parent


def test_scenario_reference_is_up_to_date():
    committed = (ROOT / "docs" / "scenarios.md").read_text()
    assert committed == render(), (
        "docs/scenarios.md is out of date: python -m auction_sim.scenario.docs > docs/scenarios.md"
    )


def test_scenario_reference_covers_every_kind_and_key():
    text = render()
    for kind in KINDS:
        assert f'kind = `"{kind}"`' in text
    keys = ("auction.reserve", "strategy.kind", "market.horizon_days", "policy.broker_commission")
    for key in keys:
        assert f"`{key}`" in text
