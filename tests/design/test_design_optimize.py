"""``auction-sim optimize`` (issue 18 part 2): the optimal reserve, same seed same search,
resuming, outputs, and bad input (exit 2 naming the key)."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from auction_sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCEN = str(ROOT / "scenarios" / "optimize_reserve.toml")
SMALL = ["--set", "auction.auctions=20000", "--reps", "2", "--backend", "serial", "--no-progress"]


def _opt(tmp, *extra, budget=16, capsys=None):
    args = ["optimize", SCEN, "--objective", "revenue", "--param", "auction.reserve=0:1.5"]
    rc = main([*args, "--budget", str(budget), *SMALL, "--out", str(tmp), "--json", *extra])
    assert rc == 0
    return json.loads(capsys.readouterr().out)


def test_small_search_finds_the_uniform_reserve_and_writes_its_outputs(tmp_path, capsys):
    doc = _opt(tmp_path / "o", "--confirm", "3", capsys=capsys)
    best = doc["best"]
    # 40 000 auctions per candidate: revenue 1/3 + r^2 - 4r^3/3 is flat near 0.5 (loss (r-0.5)^2)
    assert abs(best["params"]["auction.reserve"] - 0.5) < 0.1
    lo, hi = best["ci95"]
    assert lo < 5 / 12 < hi or abs(best["value"] - 5 / 12) < 4 * best["stderr"]
    ru = best["runner_up"]
    assert ru["ci95"][0] <= ru["diff"] <= ru["ci95"][1]
    assert doc["trials"] == 16 and doc["confirm_reps"] == 8
    out = tmp_path / "o"
    trials = pd.read_parquet(out / "trials.parquet")
    assert (trials["stage"] == "search").sum() == 16 and (trials["stage"] == "confirm").sum() == 3
    assert {"params.auction.reserve", "value", "mean.revenue", "stderr.revenue"} <= set(trials)
    chosen = tomllib.loads((out / "best.toml").read_text())
    assert chosen["auction"]["reserve"] == best["params"]["auction.reserve"]
    assert (out / "study.journal").exists() and (out / "optimize.html").exists()
    assert (out / "figures" / "trace.png").exists()
    assert (out / "figures" / "objective__auction.reserve.png").exists()


def test_same_seed_same_search_and_a_resumed_search_is_the_same_search(tmp_path, capsys):
    a = _opt(tmp_path / "a", "--batch", "2", budget=8, capsys=capsys)
    b = _opt(tmp_path / "b", "--batch", "2", budget=8, capsys=capsys)
    ta = pd.read_parquet(tmp_path / "a" / "trials.parquet")
    tb = pd.read_parquet(tmp_path / "b" / "trials.parquet")
    pd.testing.assert_frame_equal(ta, tb)
    assert a["best"] == b["best"]
    # budget 4, then continue to 8 in the same folder == budget 8 in one go
    _opt(tmp_path / "c", "--batch", "2", budget=4, capsys=capsys)
    c = _opt(tmp_path / "c", "--batch", "2", budget=8, capsys=capsys)
    assert c["resumed_from"] == 4
    tc = pd.read_parquet(tmp_path / "c" / "trials.parquet")
    pd.testing.assert_frame_equal(ta, tc)
    # another seed, another search
    _opt(tmp_path / "d", "--batch", "2", "--seed", "1", budget=8, capsys=capsys)
    td = pd.read_parquet(tmp_path / "d" / "trials.parquet")
    assert not ta["params.auction.reserve"].equals(td["params.auction.reserve"])


def test_a_trial_in_flight_when_the_search_stopped_is_evaluated_on_resume(tmp_path, capsys):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    _opt(tmp_path / "r", budget=4, capsys=capsys)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "r" / "study.journal")))
    study = optuna.load_study(study_name="optimize", storage=storage)
    dist = optuna.distributions.FloatDistribution(0.0, 1.5)
    study.ask({"auction.reserve": dist})  # asked, never told: an interrupted batch
    doc = _opt(tmp_path / "r", budget=6, capsys=capsys)
    trials = optuna.load_study(study_name="optimize", storage=storage).trials
    states = [t.state.name for t in trials]
    assert states == ["COMPLETE"] * 6 and doc["trials"] == 6


def test_integer_and_categorical_parameters(tmp_path, capsys):
    args = ["optimize", SCEN, "--objective", "revenue", "--param", "auction.reserve=0:1"]
    args += ["--param", "auction.bidders=2:4", "--param", "auction.format=first_price,english"]
    assert main([*args, "--budget", "8", *SMALL, "--confirm", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    p = doc["best"]["params"]
    assert isinstance(p["auction.bidders"], int) and 2 <= p["auction.bidders"] <= 4
    assert p["auction.format"] in ("first_price", "english")


@pytest.mark.parametrize(
    "extra, key",
    [
        (["--param", "auction.nope=0:1"], "auction.nope"),
        (["--param", "auction.format=0:1"], "auction.format"),  # not numeric
        (["--param", "auction.reserve=0.5:0.5"], "auction.reserve"),  # empty range
        (["--param", "auction.reserve=-1:1"], "auction.reserve"),  # refused by the schema
        (["--param", "auction.bidders=2.5:4"], "auction.bidders"),  # integer parameter
        (["--param", "auction.reserve=0:1", "--budget", "0"], "--budget"),
        (["--param", "auction.reserve=0:1", "--objective", "profit"], "profit"),
    ],
)
def test_bad_input_exits_2_naming_the_key(extra, key, capsys):
    args = ["optimize", SCEN, "--objective", "revenue", *extra]
    if "--objective" in extra:
        args = ["optimize", SCEN, *extra]
    try:
        rc = main([*args, "--backend", "serial"])
    except SystemExit as exc:  # argparse's own checks (--budget 0)
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize(
    "values, optimum, tol",
    [
        ('{dist="uniform",low=0.0,high=1.0}', 0.5, 0.03),
        ('{dist="exponential",scale=1.0}', 1.0, 0.05),
    ],
)
def test_full_size_optimal_reserve_within_tolerance_and_a_minute(values, optimum, tol, capsys):
    start = time.perf_counter()
    args = ["optimize", SCEN, "--objective", "revenue", "--param", "auction.reserve=0:1.5"]
    args += ["--set", f"auction.values={values}", "--budget", "40", "--workers", "2"]
    assert main([*args, "--json", "--no-progress"]) == 0
    seconds = time.perf_counter() - start
    doc = json.loads(capsys.readouterr().out)
    assert abs(doc["best"]["params"]["auction.reserve"] - optimum) < tol
    assert seconds < 60
