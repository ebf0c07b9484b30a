"""Kinds with monthly series (market) store them per task and in DIR/timeseries.parquet."""

import pandas as pd

import auction_sim as asim
from auction_sim.batch.store import TIMESERIES_FILE
from auction_sim.scenario import scenario_from_dict

RAW = {"kind": "market", "seed": 3, "replications": 2, "market": {"horizon_days": 45}}


def test_market_series_are_stored_and_resumed(tmp_path):
    scen = scenario_from_dict(RAW)
    res = asim.run(scen, backend="serial", out=tmp_path / "a")
    ts = pd.read_parquet(tmp_path / "a" / TIMESERIES_FILE)
    assert list(ts.columns[:3]) == ["point", "replication", "month"]
    assert sorted(set(ts["replication"])) == [0, 1] and ts["month"].min() == 0
    pd.testing.assert_frame_equal(ts, res.timeseries)
    loaded = asim.Results.load(tmp_path / "a")
    pd.testing.assert_frame_equal(loaded.timeseries, ts)
    # lose one task (metrics and series), rerun: identical files
    for f in (tmp_path / "a" / "parts").glob("*_r0000001.parquet"):
        f.unlink()
    asim.run(scen, backend="serial", out=tmp_path / "a")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / TIMESERIES_FILE), ts)


def test_kinds_without_series_write_no_timeseries(tmp_path):
    raw = {"kind": "auction", "auction": {"auctions": 200}, "strategy": {"kind": "truthful"}}
    res = asim.run(scenario_from_dict(raw), backend="serial", out=tmp_path)
    assert res.timeseries is None and not (tmp_path / TIMESERIES_FILE).exists()
