"""The market gives identical results on the serial backend, the process pool and Dask.

Two tasks (one grid point, two replications) of a tiny market (40 days, short reviews and
attempts so that every mechanism trades, brokers and the exempt channel on), run serially and
on a pool of two worker processes: runs.parquet and timeseries.parquet must be byte-identical.
The cost is mostly the pool's start-up (each worker imports the package and loads the numba
cache); the two market runs themselves take a fraction of a second.
"""

import os

import pandas as pd
import pytest

import auction_sim as asim
from auction_sim.batch.store import TIMESERIES_FILE
from auction_sim.scenario import scenario_from_dict

RAW = {
    "kind": "market",
    "seed": 11,
    "replications": 2,
    "market": {"horizon_days": 40.0, "achievement_rate": 6.0, "buyer_rate": 30.0, "fields": 3},
    "buyers": {"firms": 150},
    "pricing": {"reviewers": 60, "review_days": 3.0},
    "mechanism": {"listing_days": 5.0, "auction_days": 3.0, "negotiation_days": 5.0},
    "policy": {"exemption_share": 0.5, "broker_share": 0.5},
}


def _identical(a_dir, b_dir):
    for name in ("runs.parquet", TIMESERIES_FILE):
        sa, sb = a_dir / name, b_dir / name
        pd.testing.assert_frame_equal(pd.read_parquet(sa), pd.read_parquet(sb), check_exact=True)
        assert sa.read_bytes() == sb.read_bytes(), name


def test_process_pool_matches_serial(tmp_path):
    scen = scenario_from_dict(RAW)
    a = asim.run(scen, backend="serial", out=tmp_path / "serial")
    b = asim.run(scen, backend="process", workers=2, out=tmp_path / "process")
    assert not a.failures and not b.failures
    runs_a = pd.read_parquet(tmp_path / "serial" / "runs.parquet")
    assert len(runs_a) == 2 and (runs_a["deals"] > 0).all()
    assert runs_a["volume"].nunique() == 2  # the two replications have their own seeds
    _identical(tmp_path / "serial", tmp_path / "process")


def test_dask_matches_serial(tmp_path):
    """On the cluster of ``AUCTION_SIM_TEST_SCHEDULER`` (``.ci/run``), else a LocalCluster."""
    pytest.importorskip("distributed")
    scheduler = os.environ.get("AUCTION_SIM_TEST_SCHEDULER")
    scen = scenario_from_dict(RAW)
    a = asim.run(scen, backend="serial", out=tmp_path / "serial")
    b = asim.run(scen, backend="dask", workers=None if scheduler else 2, scheduler=scheduler,
                 out=tmp_path / "dask")  # fmt: skip
    assert not a.failures and not b.failures
    _identical(tmp_path / "serial", tmp_path / "dask")
