"""Which scenario kinds exist, and where their schema and experiment live.

A kind is registered by adding one line to ``KINDS``: the schema class (a
:class:`~auction_sim.scenario.base.ScenarioBase` subclass) and the experiment
function ``run_point(scenario, seed) -> dict[str, float]``, as import paths so
nothing heavy is imported until a kind is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["KINDS", "PLANNED_KINDS", "schema_for", "experiment_for", "metrics_for"]

KINDS: dict[str, tuple[str, str]] = {
    "auction": ("auction_sim.scenario.auction:AuctionScenario", "auction_sim.experiments.auction"),
    "double_auction": (
        "auction_sim.scenario.double_auction:DoubleAuctionScenario",
        "auction_sim.experiments.double_auction",
    ),
    "pricing": ("auction_sim.scenario.pricing:PricingScenario", "auction_sim.experiments.pricing"),
    "market": ("auction_sim.scenario.market:MarketScenario", "auction_sim.experiments.market"),
    "bargaining": (
        "auction_sim.scenario.bargaining:BargainingScenario",
        "auction_sim.experiments.bargaining",
    ),
    "listing": ("auction_sim.scenario.listing:ListingScenario", "auction_sim.experiments.listing"),
    "procurement": (
        "auction_sim.scenario.procurement:ProcurementScenario",
        "auction_sim.experiments.procurement",
    ),
}

PLANNED_KINDS: tuple[str, ...] = ()
"""Kinds of DESIGN §3 that are not implemented yet: rejected with a clear message."""


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod


def schema_for(kind: str) -> type:
    return _load(KINDS[kind][0])


def experiment_for(kind: str):
    """The experiment module of a kind: it has ``METRICS`` and ``run_point``."""
    return _load(KINDS[kind][1])


def metrics_for(kind: str, scenario: Any = None) -> tuple[str, ...]:
    """The kind's metric names; a kind whose names depend on the scenario (auction with
    bidder classes) has ``metric_names(scenario)``, used when ``scenario`` is given."""
    module = experiment_for(kind)
    if scenario is not None and hasattr(module, "metric_names"):
        return tuple(module.metric_names(scenario))
    return tuple(module.METRICS)
