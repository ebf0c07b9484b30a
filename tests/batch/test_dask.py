"""The Dask backend: same numbers as serial, survives a dying worker, fails fast when unreachable.

Cluster tests use ``AUCTION_SIM_TEST_SCHEDULER`` (set by ``.ci/run``: a ``dask scheduler`` and
``dask worker`` started as separate processes) or, without it, start such a pair themselves on
127.0.0.1.  The worker-kill test always uses its own LocalCluster so it disturbs nobody.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

import auction_sim as asim
from auction_sim import cli

distributed = pytest.importorskip("distributed")

from auction_sim.batch.dask_backend import BackendError, DaskBackend  # noqa: E402
from auction_sim.batch.tasks import make_tasks  # noqa: E402

SCEN = "scenarios/revenue_equivalence.toml"
SMALL = {"auction.auctions": 2000}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def serial_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    asim.run(SCEN, replications=2, overrides=SMALL, backend="serial", out=out)
    return out


@pytest.fixture(scope="module")
def private_cluster():
    """Our own scheduler and two one-thread workers, as separate processes on 127.0.0.1.

    Each runs in its own process group, so teardown kills nannies and workers at once.
    """
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    # No rescheduling by the scheduler after a worker death: a lost task comes back as
    # KilledWorker at once, so the backend's own resubmission is what the kill test checks.
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    sched = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port)]
        + ["--no-dashboard"],
        env=env,
        **quiet,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "dask", "worker", addr, "--nworkers", "2", "--nthreads", "1"]
        + ["--no-dashboard", "--host", "127.0.0.1"],
        **quiet,
    )
    try:
        client = None
        deadline = time.monotonic() + 60
        while client is None:
            try:
                client = distributed.Client(addr, timeout=2, set_as_default=False)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        client.wait_for_workers(2, timeout=60)
        yield client
        client.close()
    finally:
        for proc in (worker, sched):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def scheduler_address(private_cluster):
    """``AUCTION_SIM_TEST_SCHEDULER`` (the cluster ``.ci/run`` starts) or our own."""
    return os.environ.get("AUCTION_SIM_TEST_SCHEDULER") or private_cluster.scheduler.address


def test_local_cluster_matches_serial(serial_dir, tmp_path):
    asim.run(SCEN, replications=2, overrides=SMALL, backend="dask", workers=2, out=tmp_path)
    a = pd.read_parquet(serial_dir / "runs.parquet")
    b = pd.read_parquet(tmp_path / "runs.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (serial_dir / "runs.parquet").read_bytes() == (tmp_path / "runs.parquet").read_bytes()


def test_separate_scheduler_and_worker_processes_match_serial(
    serial_dir, scheduler_address, tmp_path
):
    asim.run(
        SCEN,
        replications=2,
        overrides=SMALL,
        backend="dask",
        scheduler=scheduler_address,
        out=tmp_path,
    )
    assert (serial_dir / "runs.parquet").read_bytes() == (tmp_path / "runs.parquet").read_bytes()


def test_worker_killed_mid_run_still_completes_with_identical_results(private_cluster):
    """Runs after the determinism tests: it leaves the private cluster with a restarted worker."""
    scenario = asim.load_scenario(SCEN, ["auction.auctions=100000"])
    tasks = make_tasks(scenario, 3)  # 24 tasks of ~25 ms
    expected = asim.run(scenario, replications=3, backend="serial").runs
    watcher = private_cluster
    backend = DaskBackend(scheduler=watcher.scheduler.address, window=12)
    try:
        got, killed = [], None
        for res in backend.map(tasks):
            got.append(res)
            if killed is None:
                # Kill the worker that holds the most tasks right now, as a crash would.
                processing = watcher.processing()
                addr = max(processing, key=lambda a: len(processing[a]))
                assert processing[addr], "no task in flight to lose"
                pid = watcher.run(os.getpid, workers=[addr])[addr]
                os.kill(pid, signal.SIGKILL)
                killed = pid
        assert killed is not None
        assert backend.resubmitted >= 1  # the lost tasks were sent again
    finally:
        backend.close()
    assert all(r.error is None for r in got), [r.error for r in got if r.error]
    assert sorted(r.key for r in got) == sorted(t.key for t in tasks)  # nothing lost or doubled
    from auction_sim.batch.store import runs_table
    from auction_sim.scenario import metrics_for

    runs = runs_table(scenario, got, list(metrics_for("auction")))
    pd.testing.assert_frame_equal(expected, runs, check_exact=True)


def test_local_cluster_workers_close_gracefully_and_quickly():
    """Our LocalCluster's workers skip the interpreter teardown only after a normal close."""
    from auction_sim.batch import dask_backend as db

    backend = DaskBackend(workers=1)
    client = backend._connect()
    (plugins,) = client.run(lambda dask_worker: list(dask_worker.plugins)).values()
    assert "auction-sim-quick-exit" in plugins
    tasks = make_tasks(asim.load_scenario(SCEN, ["auction.auctions=100"]), 1)
    assert all(r.error is None for r in backend.map(tasks))
    procs = [w.process.process for w in backend._cluster.workers.values()]
    backend.close()
    assert [p.exitcode for p in procs] == [0]
    # In this process (never flagged): the finalizer must not exit.
    assert db._CLOSED_GRACEFULLY is False
    db._exit_if_closed()


def test_quick_exit_only_after_teardown(monkeypatch):
    from auction_sim.batch import dask_backend as db

    calls = []
    monkeypatch.setattr(db.os, "_exit", calls.append)
    monkeypatch.setattr(db, "_CLOSED_GRACEFULLY", False)
    db._exit_if_closed()
    assert calls == []
    db.QuickExit().teardown(None)
    db._exit_if_closed()
    assert calls == [0]


def test_unreachable_scheduler_fails_fast_with_a_clear_message(monkeypatch, capsys):
    addr = f"tcp://127.0.0.1:{_free_port()}"
    backend = DaskBackend(scheduler=addr, timeout=1)
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler"):
        list(backend.map(make_tasks(asim.load_scenario(SCEN, ["auction.auctions=100"]), 1)))
    # The command line: exit 1, one clear line, no traceback, bounded by the timeout.
    monkeypatch.setenv("AUCTION_SIM_DASK_TIMEOUT", "1")
    start = time.monotonic()
    status = cli.main(
        ["run", SCEN, "--reps", "1", "--no-progress", "--set", "auction.auctions=100"]
        + ["--backend", "dask", "--scheduler", addr]
    )
    err = capsys.readouterr().err
    assert status == 1 and time.monotonic() - start < 15
    assert f"cannot reach the Dask scheduler at {addr}" in err and "Traceback" not in err


def test_too_many_local_workers_are_capped_with_a_warning(capsys):
    cores = os.cpu_count() or 1
    backend = DaskBackend(workers=cores + 3)
    assert backend.workers == cores
    assert "warning" in capsys.readouterr().err


@pytest.mark.parametrize("addr", ["nonsense", "http://127.0.0.1:8786", "tcp://127.0.0.1"])
def test_malformed_scheduler_address_exits_2(addr, capsys):
    status = cli.main(
        ["run", SCEN, "--reps", "1", "--no-progress", "--backend", "dask", "--scheduler", addr]
    )
    err = capsys.readouterr().err
    assert status == 2 and "expected an address like tcp://host:8786" in err
