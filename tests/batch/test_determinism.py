"""The same seed gives identical runs.parquet on every built-in backend and worker count."""

import pandas as pd
import pytest

import auction_sim as asim

SMALL = {"auction.auctions": 2000}


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    asim.run(
        "scenarios/revenue_equivalence.toml",
        replications=2,
        overrides=SMALL,
        backend="serial",
        out=out,
    )
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_process_pool_matches_serial(serial_run, tmp_path, workers):
    asim.run(
        "scenarios/revenue_equivalence.toml",
        replications=2,
        overrides=SMALL,
        backend="process",
        workers=workers,
        out=tmp_path,
    )
    a = pd.read_parquet(serial_run / "runs.parquet")
    b = pd.read_parquet(tmp_path / "runs.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (serial_run / "runs.parquet").read_bytes() == (tmp_path / "runs.parquet").read_bytes()
    assert len(a) == 16 and list(a.columns[:3]) == ["point", "replication", "seed"]


def test_another_seed_gives_other_numbers(serial_run, tmp_path):
    asim.run(
        "scenarios/revenue_equivalence.toml",
        replications=2,
        overrides=SMALL,
        seed=99,
        backend="serial",
        out=tmp_path,
    )
    a = pd.read_parquet(serial_run / "runs.parquet")
    b = pd.read_parquet(tmp_path / "runs.parquet")
    assert not a["revenue"].equals(b["revenue"])


def test_resume_computes_only_missing_tasks(serial_run, tmp_path):
    import shutil

    shutil.copytree(serial_run, tmp_path / "r")
    parts = sorted((tmp_path / "r" / "parts").glob("*.parquet"))
    for p in parts[::3]:  # lose a third of the tasks, as a crash would
        p.unlink()
    (tmp_path / "r" / "runs.parquet").unlink()
    calls = []
    asim.run(
        "scenarios/revenue_equivalence.toml",
        replications=2,
        overrides=SMALL,
        backend="serial",
        out=tmp_path / "r",
        progress=lambda d, t: calls.append(d),
    )
    assert calls[0] == len(parts) - len(parts[::3])  # started from what was stored
    assert (tmp_path / "r" / "runs.parquet").read_bytes() == (
        serial_run / "runs.parquet"
    ).read_bytes()


def test_more_replications_extend_a_finished_run(serial_run, tmp_path):
    import shutil

    shutil.copytree(serial_run, tmp_path / "r")
    calls = []
    res = asim.run(
        "scenarios/revenue_equivalence.toml",
        replications=3,
        overrides=SMALL,
        backend="serial",
        out=tmp_path / "r",
        progress=lambda d, t: calls.append(d),
    )
    assert calls[0] == 16 and len(res.runs) == 24
    old = pd.read_parquet(serial_run / "runs.parquet")
    new = res.to_pandas()
    pd.testing.assert_frame_equal(
        old, new[new["replication"] < 2].reset_index(drop=True), check_exact=True
    )
