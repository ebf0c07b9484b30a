"""The ``[optimize]`` and ``[calibrate]`` tables of a scenario (issue 18): the study kept in the
file, flags overriding it, ``run`` ignoring it, bad tables exiting 2 naming the dotted key."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from auction_sim.cli import main
from auction_sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCEN = ROOT / "scenarios" / "optimize_reserve.toml"
SMALL = ["--set", "auction.auctions=20000", "--reps", "2", "--backend", "serial", "--no-progress"]
BASE = SCEN.read_text().split("\n[optimize]\n")[0] + "\n"


def test_the_shipped_table_loads_and_stays_out_of_the_scenario_as_run():
    s = load_scenario(SCEN)
    study = s.studies["optimize"]
    assert study.settings["objective"] == "revenue" and study.settings["budget"] == 40
    (p,) = study.params
    assert (p.key, p.kind, p.low, p.high) == ("auction.reserve", "float", 0.0, 1.5)
    assert "optimize" not in s.raw and "[optimize]" not in s.to_toml()
    assert s.with_overrides({"auction.reserve": 0.5}).studies == {}


def test_a_search_from_the_table_is_the_search_from_the_same_flags(tmp_path, capsys):
    def opt(out, *args):
        rc = main(["optimize", str(SCEN), *args, "--budget", "6", "--confirm", "2", *SMALL,
                   "--out", str(tmp_path / out), "--json"])  # fmt: skip
        assert rc == 0
        return json.loads(capsys.readouterr().out)

    table = opt("t")
    flags = opt("f", "--objective", "revenue", "--param", "auction.reserve=0.0:1.5")
    assert table["budget"] == 6 and table["objective"] == "revenue"  # --budget over the table's 40
    assert table["direction"] == "maximize" and table["space"] == flags["space"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "t" / "trials.parquet"),
        pd.read_parquet(tmp_path / "f" / "trials.parquet"),
    )
    narrow = opt("n", "--param", "auction.reserve=0.3:0.7", "--minimize")
    assert narrow["space"] == ["auction.reserve in [0.3, 0.7] (float)"]
    assert narrow["direction"] == "minimize"
    assert 0.3 <= narrow["best"]["params"]["auction.reserve"] <= 0.7


def test_run_ignores_the_table(tmp_path, capsys):
    args = ["run", str(SCEN), "--set", "auction.auctions=2000", "--reps", "1"]
    args += ["--backend", "serial", "--no-progress", "--json"]
    assert main([*args, "--out", str(tmp_path / "r")]) == 0
    with_table = json.loads(capsys.readouterr().out)
    plain = tmp_path / "plain.toml"
    plain.write_text(BASE)
    assert main(["run", str(plain), *args[2:]]) == 0
    without = json.loads(capsys.readouterr().out)
    assert with_table["points"] == without["points"]
    assert "[optimize]" not in (tmp_path / "r" / "scenario.toml").read_text()


OPT = '[optimize]\nobjective = "revenue"\n'
K = "optimize.params."


def P(line: str, head: str = OPT) -> str:
    return f"{head}[optimize.params]\n{line}\n"


@pytest.mark.parametrize(
    "table, key",
    [
        (P('"auction.reserve" = [1.5, 0.0]'), K + "auction.reserve"),  # empty range
        (P('"auction.reserv" = [0.0, 1.5]'), K + "auction.reserv"),  # no such key
        (P('"auction.format" = [0, 1]'), K + "auction.format"),  # not numeric
        (P('"auction.bidders" = [2.5, 4]'), K + "auction.bidders"),  # an integer key
        (P('"auction.bidders" = [0, 4]'), K + "auction.bidders"),  # refused by the schema
        (P('"auction.bidders" = [2, 3, 4]'), K + "auction.bidders"),  # numeric choices?
        (P('auction.format = ["dutch", "x"]'), K + "auction.format"),  # a refused choice
        (P('"seed" = [0, 4]'), K + "seed"),
        (OPT, "optimize.params"),
        (P('"auction.reserve" = [0, 1]', OPT.replace("revenue", "profit")), "optimize.objective"),
        (P('"auction.reserve" = [0, 1]', OPT + "budget = 0\n"), "optimize.budget"),
        (P('"auction.reserve" = [0, 1]', OPT + 'minimize = "yes"\n'), "optimize.minimize"),
        (P('"auction.reserve" = [0, 1]', OPT + "budgt = 4\n"), "optimize.budgt"),
        ('[calibrate]\n[calibrate.params]\n"auction.reserve" = [0, 1]\n', "calibrate.targets"),
        ('[calibrate]\ntargets = "t.toml"\nbootstrap = -1\n[calibrate.params]\n'
         '"auction.reserve" = [0, 1]\n', "calibrate.bootstrap"),
    ],
)  # fmt: skip
def test_bad_tables_exit_2_naming_the_file_and_the_dotted_key(tmp_path, table, key, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(BASE + table)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.key == key
    for command in (["validate", str(path)], ["run", str(path), "--backend", "serial"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"bad.toml: {key}" in err and "Traceback" not in err


def test_a_study_needs_its_objective_or_targets_from_the_table_or_a_flag(tmp_path, capsys):
    path = tmp_path / "plain.toml"
    path.write_text(BASE)
    assert main(["optimize", str(path), "--param", "auction.reserve=0:1"]) == 2
    assert "--objective" in capsys.readouterr().err
    assert main(["calibrate", str(path), "--param", "auction.reserve=0:1"]) == 2
    assert "--targets" in capsys.readouterr().err
    assert main(["optimize", str(path), "--objective", "revenue"]) == 2
    assert "--param" in capsys.readouterr().err
