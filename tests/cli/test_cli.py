"""The auction-sim command end to end, in subprocesses."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from auction_sim.experiments.auction import METRICS

SCEN = "scenarios/revenue_equivalence.toml"
SMALL = ["--set", "auction.auctions=1000", "--reps", "3", "--no-progress"]


def cli(*args, check=None):
    proc = subprocess.run(
        [sys.executable, "-m", "auction_sim", *args], capture_output=True, text=True, timeout=300
    )
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


def test_json_schema():
    proc = cli("run", SCEN, "--json", "--backend", "serial", *SMALL, check=0)
    data = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert set(data) == {"scenario", "kind", "seed", "replications", "points"}
    assert data["kind"] == "auction" and data["replications"] == 3
    assert data["seed"] == 20260101 and data["scenario"] == "revenue_equivalence"
    assert len(data["points"]) == 8
    for pt in data["points"]:
        assert set(pt) == {"params", "metrics"}
        assert set(pt["params"]) == {"auction.format", "auction.bidders"}
        design = ["revenue", "efficiency", "sale_rate", "bidder_surplus", "price_to_value"]
        assert list(pt["metrics"])[:5] == design  # DESIGN §5 names first, extras after
        assert list(pt["metrics"]) == list(METRICS)
        for name, stats in pt["metrics"].items():
            assert set(stats) == {"mean", "stderr", "n"}
            if name in design:  # extras (e.g. late_bid_share) are undefined for sealed bids
                assert stats["n"] == 3 and stats["mean"] is not None


def test_table_output_and_seed_option():
    proc = cli("run", SCEN, "--backend", "serial", "--seed", "5", *SMALL, check=0)
    assert "revenue" in proc.stdout and "seed 5" in proc.stdout
    assert proc.stderr == "" or "Traceback" not in proc.stderr


def test_out_folder(tmp_path):
    out = tmp_path / "o"
    cli("run", SCEN, "--out", str(out), "--backend", "process", "--workers", "2", *SMALL, check=0)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 24
    assert {"point", "replication", "seed", "auction.format", "auction.bidders", "revenue"} <= set(
        runs.columns
    )
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean", "stderr", "ci95_low", "ci95_high", "n"} <= set(summary.columns)
    assert len(summary) == 8 * len(METRICS)
    assert "auction" in (out / "scenario.toml").read_text()
    # a different scenario in the same folder is refused, unless --overwrite
    proc = cli("run", SCEN, "--out", str(out), "--set", "auction.reserve=0.2", *SMALL, check=2)
    assert "different scenario" in proc.stderr and "Traceback" not in proc.stderr
    cli(
        "run",
        SCEN,
        "--out",
        str(out),
        "--set",
        "auction.reserve=0.2",
        "--overwrite",
        "--backend",
        "serial",
        *SMALL,
        check=0,
    )


@pytest.mark.parametrize(
    "args,words",
    [
        (["run", "nope.toml"], ["nope.toml", "file not found"]),
        (["run", SCEN, "--set", "auction.biders=3"], ["auction.biders", "did you mean"]),
        (["run", SCEN, "--set", "auction.bidders=0"], ["auction.bidders", ">= 1"]),
        (["run", SCEN, "--reps", "0"], ["--reps"]),
        (["run", SCEN, "--seed", "-1"], ["--seed"]),
        (["run", SCEN, "--backend", "gpu"], ["--backend"]),
        (["validate", SCEN, "--set", "seed=1.5"], ["seed", "integer"]),
        (["frobnicate"], ["invalid choice"]),
    ],
)
def test_bad_input_exits_2_without_traceback(args, words):
    proc = cli(*args, check=2)
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in proc.stderr


def test_malformed_file_exits_2(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('kind = "auction"\n[auction]\nbidders = [\n')
    proc = cli("validate", str(p), check=2)
    assert str(p) in proc.stderr and "line" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_ok():
    proc = cli("validate", SCEN, check=0)
    assert "8 grid points" in proc.stdout


@pytest.mark.parametrize("cmd", [[], ["run"], ["validate"]])
def test_help_works_everywhere(cmd):
    proc = cli(*cmd, "--help", check=0)
    assert "usage" in proc.stdout
