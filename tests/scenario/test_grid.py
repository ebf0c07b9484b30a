"""The sweep grid is lazy: its size is known at once, a point is built when used (issue 20)."""

from __future__ import annotations

import itertools
import time

import pytest

from auction_sim.cli import main
from auction_sim.scenario import ScenarioError, scenario_from_dict
from auction_sim.scenario.loader import EAGER_POINTS


def _raw(sweep: dict) -> dict:
    return {"kind": "auction", "auction": {"auctions": 100}, "sweep": sweep}


def test_points_follow_the_product_order_last_key_fastest():
    sweep = {"auction.bidders": [2, 3, 4], "auction.reserve": [0.0, 0.5], "strategy.shade": [0.1]}
    s = scenario_from_dict(_raw(sweep))
    want = [dict(zip(sweep, combo, strict=True)) for combo in itertools.product(*sweep.values())]
    assert len(s.points) == len(want)
    assert [p.params for p in s.points] == want
    assert [p.index for p in s.points] == list(range(len(want)))
    for p in s.points:
        assert p.scenario.auction.bidders == p.params["auction.bidders"]
        assert p.scenario.auction.reserve == p.params["auction.reserve"]
    assert s.points[-1].params == want[-1]


def test_a_huge_grid_is_sized_without_building_it():
    vals = [round(0.001 * (i + 1), 3) for i in range(100)]
    sweep = {"auction.reserve": vals, "strategy.shade": vals, "auction.increment": vals}
    sweep["auction.bidders"] = list(range(2, 12))
    t = time.perf_counter()
    s = scenario_from_dict(_raw(sweep))
    assert len(s.points) == 10**7
    assert s.points[123_456].params == {
        "auction.reserve": vals[1],
        "strategy.shade": vals[23],
        "auction.increment": vals[45],
        "auction.bidders": 8,
    }
    assert time.perf_counter() - t < 2.0


def test_a_large_grid_still_rejects_a_bad_value_at_load():
    sweep = {"auction.reserve": [0.001 * i for i in range(500)], "auction.bidders": [2, 0]}
    sweep["strategy.shade"] = [0.1 * i for i in range(1, 10)]
    assert 500 * 2 * 9 > EAGER_POINTS
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(_raw(sweep))
    assert "sweep.auction.bidders[1]" in str(exc.value)


def test_a_small_grid_rejects_a_bad_combination_at_load():
    # each value is fine alone; the combination (a sniper in a sealed auction) is not
    sweep = {"auction.format": ["english", "first_price"], "strategy.kind": ["sniper"]}
    raw = _raw(sweep)
    raw["auction"].update({"duration": 1.0})
    with pytest.raises(ScenarioError):
        scenario_from_dict(raw)


def _huge_file(tmp_path):
    vals = ", ".join(str(round(0.001 * (i + 1), 3)) for i in range(100))
    keys = ["auction.reserve", "strategy.shade", "auction.increment"]
    text = 'kind = "auction"\n[auction]\nauctions = 100\n[sweep]\n'
    text += "\n".join(f'"{k}" = [{vals}]' for k in keys) + '\n"auction.bidders" = [2, 3, 4]\n'
    p = tmp_path / "huge.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("cmd", ["run", "validate"])
def test_an_absurd_grid_is_refused_at_once(tmp_path, capsys, cmd):
    p = _huge_file(tmp_path)
    t = time.perf_counter()
    assert main([cmd, str(p), "--no-progress"] if cmd == "run" else [cmd, str(p)]) == 2
    assert time.perf_counter() - t < 1.0
    err = capsys.readouterr().err
    assert "3,000,000 tasks" in err and "--max-tasks" in err and "Traceback" not in err


def test_validate_tells_size_and_an_estimate_and_the_limit_can_be_raised(tmp_path, capsys):
    p = _huge_file(tmp_path)
    assert main(["validate", str(p), "--max-tasks", "5000000"]) == 0
    out = capsys.readouterr().out
    assert "3,000,000 grid points" in out and "estimated run time about" in out
    assert "(100 values)" in out
