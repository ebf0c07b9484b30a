"""One source of metric units and definitions: complete, in the docs, used by the table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from auction_sim.cli import main
from auction_sim.metrics import CATALOGUE, lookup, render_markdown
from auction_sim.scenario import KINDS, experiment_for
from auction_sim.table import fmt_estimate, order_metrics

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_catalogue_names_exactly_the_metrics_of_every_kind(kind):
    assert tuple(m.name for m in CATALOGUE[kind]) == tuple(experiment_for(kind).METRICS)


def test_per_class_metrics_are_found_with_their_class():
    m = lookup("auction", "win_share_3")
    assert m is not None and m.unit == "share" and "class 3" in m.definition
    assert lookup("auction", "win_share_x") is None and lookup("market", "nope") is None


def test_docs_metrics_md_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "metrics.md").read_text() == render_markdown(), (
        "regenerate: python -m auction_sim.metrics > docs/metrics.md"
    )


@pytest.mark.parametrize(
    "mean,se,count,want",
    [
        (0.461532, 0.002131, False, "0.4615 ± 0.0021"),
        (259.4, 12.3, True, "259 ± 12"),
        (42430.2, 1034.0, False, "42400 ± 1000"),
        (3.547e5, 4.0e3, True, "354700 ± 4000"),
        (0.5, 0.0, False, "0.5 ± 0"),
        (0.99999999999999989, 1.1e-16, False, "1 ± 0"),
        (259.4, 0.0, True, "259 ± 0"),
        (0.25, None, False, "0.25"),
        (float("nan"), 0.1, False, "—"),
        (None, None, False, "—"),
    ],
)
def test_estimates_show_two_significant_figures_of_the_error(mean, se, count, want):
    assert fmt_estimate(mean, se, count) == want


def test_the_table_puts_engine_statistics_apart_and_leaves_out_undefined_metrics():
    nan = math.nan
    stats = {m: {"mean": 1.0, "stderr": 0.1, "n": 2} for m in ("deal_rate", "events", "deals")}
    stats["converted_2y"] = {"mean": nan, "stderr": nan, "n": 0}
    data = {"points": [{"params": {}, "metrics": stats}]}
    names = ["deal_rate", "events", "converted_2y", "deals"]
    assert order_metrics("market", names, data) == (
        ["deal_rate", "deals"],
        ["events"],
        ["converted_2y"],
    )


def test_run_prints_the_grouped_table(capsys):
    args = ["run", "scenarios/reserve_price_study.toml", "--set", "auction.auctions=2000"]
    args += ["--set", "auction.format='second_price'", "--set", "auction.bidders=2"]
    assert main([*args, "--reps", "2", "--backend", "serial", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "not defined in this run (NaN everywhere): late_bid_share, extensions" in out
    assert "— ± —" not in out


def test_metrics_command(capsys):
    assert main(["metrics", "market"]) == 0
    out = capsys.readouterr().out
    for m in CATALOGUE["market"]:
        line = next(x for x in out.splitlines() if x.split()[:1] == [m.name])
        assert m.unit in line
    assert main(["metrics", "nope"]) == 2


def test_the_market_series_have_units():
    from auction_sim.experiments.market import SERIES as MARKET_SERIES
    from auction_sim.metrics import SERIES

    assert set(SERIES) == set(MARKET_SERIES) - {"month"}
