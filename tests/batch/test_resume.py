"""Interrupted runs resume: Ctrl-C and ``kill -9`` of the CLI, then the same command again.

The rerun computes only the missing tasks (the parts already stored are not rewritten) and
its ``runs.parquet`` is identical to an uninterrupted run's.  Another scenario pointed at
the same folder is refused (exit 2) unless ``--overwrite``.
"""

import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import auction_sim as asim

SCEN = "scenarios/revenue_equivalence.toml"
REPS, AUCTIONS = 6, 100_000
TOTAL = 8 * REPS
ARGS = ["--reps", str(REPS), "--set", f"auction.auctions={AUCTIONS}", "--no-progress"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """runs.parquet of an uninterrupted run."""
    out = tmp_path_factory.mktemp("reference")
    asim.run(
        SCEN,
        replications=REPS,
        overrides={"auction.auctions": AUCTIONS},
        backend="serial",
        out=out,
    )
    return out / "runs.parquet"


def _cmd(out, backend, *extra):
    cmd = [sys.executable, "-m", "auction_sim", "run", SCEN, *ARGS, "--out", str(out)]
    cmd += ["--backend", backend, *extra]
    if backend == "process":
        cmd += ["--workers", "1"]  # one spawned worker: the pool paths, at half the start-up
    return cmd


def _parts(out):
    d = out / "parts"
    return sorted(d.glob("*.parquet")) if d.exists() else []


def _snapshot(out):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in _parts(out)}


def _interrupt(out, backend, sig, at_least):
    """Start the CLI, wait until ``at_least`` parts are stored, then send ``sig``."""
    proc = subprocess.Popen(
        _cmd(out, backend),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
    )
    deadline = time.monotonic() + 120
    while len(_parts(out)) < at_least:
        assert proc.poll() is None, f"run ended before the interrupt: {proc.stderr.read()}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    else:
        os.kill(proc.pid, signal.SIGKILL)  # only the CLI process: workers are orphaned
    stdout, stderr = proc.communicate(timeout=60)
    return proc, stderr


def _group_gone(pgid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _rerun_and_check(out, backend, reference):
    before = _snapshot(out)
    assert 0 < len(before) < TOTAL
    proc = subprocess.run(_cmd(out, backend), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert f"resuming: {len(before)} of {TOTAL} tasks" in proc.stderr
    after = _snapshot(out)
    # Stored tasks were not recomputed: their part files are the very same files.
    assert {k: after[k] for k in before} == before
    assert len(after) == TOTAL
    runs = pd.read_parquet(out / "runs.parquet")
    assert not runs.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(pd.read_parquet(reference), runs, check_exact=True)
    assert (out / "runs.parquet").read_bytes() == reference.read_bytes()


def test_ctrl_c_then_rerun_completes_only_the_missing_tasks(reference, tmp_path):
    out = tmp_path / "o"
    proc, stderr = _interrupt(out, "serial", signal.SIGINT, at_least=4)
    assert proc.returncode == 1, stderr
    assert "interrupted after" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    assert not (out / "runs.parquet").exists()
    _rerun_and_check(out, "serial", reference)


def test_process_pool_kill_9_then_ctrl_c_then_rerun_loses_and_duplicates_nothing(
    reference, tmp_path
):
    """kill -9 at a random moment, a rerun stopped by Ctrl-C, then a rerun that completes."""
    out = tmp_path / "o"
    at = random.randint(1, TOTAL // 3)
    print(f"kill -9 after {at} stored tasks")  # shown on failure, to reproduce
    proc, _ = _interrupt(out, "process", signal.SIGKILL, at_least=at)
    assert proc.returncode == -signal.SIGKILL
    # Orphaned pool workers notice their parent is gone and exit.
    assert _group_gone(proc.pid), "pool workers outlived the killed run"
    first = _snapshot(out)

    proc, stderr = _interrupt(out, "process", signal.SIGINT, at_least=len(first) + 4)
    assert proc.returncode == 1, stderr
    assert f"resuming: {len(first)} of {TOTAL} tasks" in stderr
    assert "interrupted after" in stderr and "Traceback" not in stderr
    assert _group_gone(proc.pid), "pool workers outlived the interrupted run"
    second = _snapshot(out)
    assert {k: second[k] for k in first} == first  # stored tasks were not redone

    _rerun_and_check(out, "process", reference)


def test_damaged_part_and_stale_temp_files_are_redone(reference, tmp_path):
    import shutil

    out = tmp_path / "o"
    shutil.copytree(reference.parent, out)
    parts = _parts(out)
    parts[3].write_bytes(b"PAR1 torn")  # as a full disk might leave it
    (out / "parts" / "p000000_r0000001.tmp999").write_bytes(b"half")
    (out / "runs.parquet").unlink()
    asim.run(
        SCEN,
        replications=REPS,
        overrides={"auction.auctions": AUCTIONS},
        backend="serial",
        out=out,
    )
    assert (out / "runs.parquet").read_bytes() == reference.read_bytes()
    assert not list((out / "parts").glob("*.tmp*"))


def test_another_scenario_in_the_same_folder_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "o"
    small = ["--reps", "1", "--set", "auction.auctions=100", "--no-progress", "--out", str(out)]
    base = [sys.executable, "-m", "auction_sim", "run", SCEN, "--backend", "serial", *small]
    asim.run(SCEN, replications=1, overrides={"auction.auctions": 100}, backend="serial", out=out)
    kept = (out / "runs.parquet").read_bytes()

    proc = subprocess.run([*base, "--seed", "7"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "holds results of a different scenario" in proc.stderr
    assert "--overwrite" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "runs.parquet").read_bytes() == kept

    proc = subprocess.run(
        [*base, "--seed", "7", "--overwrite"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["seed"] == 7).all() and len(runs) == 8
