"""Common random numbers (issue 18 part 1): paired seeds, aligned streams, paired differences."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from auction_sim import rng
from auction_sim.batch import execute, make_tasks
from auction_sim.cli import main
from auction_sim.design.paired import paired_stats
from auction_sim.mechanisms.auctions import AuctionLab
from auction_sim.scenario import ScenarioError, scenario_from_dict

AUCTION = {
    "kind": "auction",
    "name": "crn",
    "seed": 11,
    "replications": 3,
    "auction": {"format": "second_price", "bidders": 3, "auctions": 3000},
    "strategy": {"kind": "truthful"},
}


def _scenario(sweep=None, paired=False, **over):
    raw = json.loads(json.dumps(AUCTION))
    for k, v in over.items():
        raw["auction"][k] = v
    if sweep or paired:
        raw["sweep"] = {**(sweep or {}), **({"paired": True} if paired else {})}
    return scenario_from_dict(raw)


def test_unpaired_seeds_are_unchanged_and_paired_seeds_ignore_the_point():
    a = rng.task_seed(5, {"x": 1}, 3)
    assert a.spawn_key == (rng.point_key({"x": 1}), 3)  # the seed tree as it always was
    assert rng.task_seed(5, {"x": 1}, 3, paired=False).spawn_key == a.spawn_key
    p1 = rng.task_seed(5, {"x": 1}, 3, paired=True)
    p2 = rng.task_seed(5, {"x": 2}, 3, paired=True)
    assert p1.spawn_key == p2.spawn_key == rng.task_seed(5, {}, 3).spawn_key
    assert rng.task_seed(5, {"x": 1}, 4, paired=True).spawn_key != p1.spawn_key


def test_paired_flag_loads_round_trips_and_is_checked():
    s = _scenario({"auction.reserve": [0.0, 0.3]}, paired=True)
    assert s.paired and list(s.sweep) == ["auction.reserve"]
    assert "paired = true" in s.to_toml()
    assert s.with_overrides({"auction.bidders": 2}).paired
    assert not s.with_paired(False).paired and s.with_paired(False).with_paired().paired
    tasks = make_tasks(s)
    assert tasks[0].seed.spawn_key == tasks[3].seed.spawn_key  # point 0 and 1, replication 0
    unpaired = make_tasks(_scenario({"auction.reserve": [0.0, 0.3]}))
    assert unpaired[0].seed.spawn_key != unpaired[3].seed.spawn_key
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict({**AUCTION, "sweep": {"paired": "yes"}})
    assert e.value.key == "sweep.paired"


def test_a_paired_point_sees_the_numbers_of_the_scenario_run_alone():
    paired = execute(_scenario({"auction.reserve": [0.0, 0.3]}, paired=True), backend="serial")
    alone = execute(_scenario(reserve=0.3), backend="serial")
    got = paired.runs[paired.runs["point"] == 1]["revenue"].to_numpy()
    np.testing.assert_array_equal(got, alone.runs["revenue"].to_numpy())


@pytest.mark.parametrize(
    "variant",
    [{"reserve": 0.4}, {"format": "first_price"}, {"format": "english", "increment": 0.01}],
)
def test_values_stay_aligned_when_a_parameter_changes_the_draws(variant):
    """One named stream per purpose: the values of auction i of replication r are the same at
    every reserve and format, even where the format draws other numbers (the timed English
    auction draws arrival times, in its own stream)."""
    base = _scenario()
    other = _scenario(**variant)
    for r in range(2):
        seed = rng.task_seed(base.seed, {"whatever": 1}, r, paired=True)
        a = AuctionLab(base.model, seed).batch(500).values
        b = AuctionLab(other.model, rng.task_seed(base.seed, variant, r, paired=True)).batch(500)
        np.testing.assert_array_equal(a, b.values)


def test_paired_stats_match_the_textbook_formulas():
    g = np.random.default_rng(0)
    common = g.normal(size=50)
    x, b = common + 0.1 + 0.05 * g.normal(size=50), common + 0.05 * g.normal(size=50)
    s = paired_stats(x, b, paired=True)
    d = x - b
    assert s["diff"] == pytest.approx(d.mean())
    assert s["stderr"] == pytest.approx(d.std(ddof=1) / math.sqrt(50))
    assert s["stderr_independent"] == pytest.approx(
        math.sqrt(x.var(ddof=1) / 50 + b.var(ddof=1) / 50)
    )
    assert s["ci95_low"] < 0.1 < s["ci95_high"]
    assert s["stderr"] < s["stderr_independent"] / 5
    u = paired_stats(x, b, paired=False)
    assert u["stderr"] == pytest.approx(s["stderr_independent"])
    nan = paired_stats(np.array([1.0, np.nan, 3.0]), np.array([0.0, 1.0, np.nan]))
    assert nan["n"] == 1 and math.isnan(nan["stderr"])


def test_compare_cli_json_report_and_bad_baselines(tmp_path, capsys):
    from auction_sim.scenario.loader import tomli_w

    path = tmp_path / "s.toml"
    raw = {**AUCTION, "sweep": {"auction.reserve": [0.0, 0.3, 0.5]}}
    path.write_text(tomli_w.dumps(raw))
    out = tmp_path / "out"
    args = ["run", str(path), "--paired", "--out", str(out), "--backend", "serial"]
    assert main([*args, "--json", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["paired"] is True
    assert main(["compare", str(out), "--baseline", "auction.reserve=0.0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["paired"] and doc["baseline"] == {"auction.reserve": 0.0}
    assert [c["params"]["auction.reserve"] for c in doc["comparisons"]] == [0.3, 0.5]
    rev = doc["comparisons"][0]["metrics"]["revenue"]
    assert rev["ci95"][0] <= rev["diff"] <= rev["ci95"][1] and rev["n"] == 3
    assert rev["stderr_paired"] < rev["stderr_independent"]  # what pairing buys
    assert (out / "compare.json").exists()
    assert main(["report", str(out)]) == 0
    assert "Paired differences" in (out / "report.html").read_text()
    assert (out / "figures" / "compare.png").exists()
    capsys.readouterr()
    for bad, key in (
        ("auction.bidders=3", "auction.bidders"),  # not swept
        ("auction.reserve=0.7", "auction.reserve"),  # no such point
    ):
        assert main(["compare", str(out), "--baseline", bad]) == 2
        assert key in capsys.readouterr().err


def test_pairing_shrinks_the_standard_error_of_a_market_policy_difference():
    """policy_exemption, scaled down: the liability markup's effect on the deal rate. With
    common random numbers the per-replication differences vary far less than two independent
    replications would (the independent se is estimated from the same runs: pairing does not
    change a point's own distribution)."""
    from pathlib import Path

    from auction_sim.design.paired import paired_differences
    from auction_sim.scenario import load_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "policy_exemption.toml"
    sets = ["market.horizon_days=120", "market.achievement_rate=4.0", "buyers.firms=250"]
    sets += ["pricing.reviewers=150", "policy.exemption_share=0.0", "sweep.paired=true"]
    s = load_scenario(path, sets)
    assert s.paired and list(s.sweep) == ["policy.liability_markup"]
    res = execute(s, replications=4, backend="serial")
    table = paired_differences(res.runs, res.points, ["deal_rate", "volume"], {s_key(s): 0.0})
    row = table[(table["metric"] == "deal_rate") & (table["point"] == 2)].iloc[0]
    assert row["diff"] < 0  # a 60 % markup loses deals
    assert row["stderr_paired"] < row["stderr_independent"]


def s_key(s):
    return next(iter(s.sweep))
