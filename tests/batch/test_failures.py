"""A task that raises is recorded with its error, the others go on, and the run exits 1.

A test-only scenario kind ``failing`` is registered in-process (monkeypatch): this module
is its schema and its experiment.  Its ``run_point`` raises for a negative ``fail.value``.
"""

from typing import Literal

import pandas as pd
import pytest
from pydantic import Field

import auction_sim as asim
from auction_sim import cli
from auction_sim.scenario import registry
from auction_sim.scenario.base import ScenarioBase, Section

METRICS = ("value",)
BROKEN = {"on": True}  # a test flips it off to let a rerun succeed


class FailSection(Section):
    value: float = Field(1.0, description="returned as the metric; negative raises")


class FailingScenario(ScenarioBase):
    kind: Literal["failing"] = "failing"
    fail: FailSection = Field(default_factory=FailSection)


def run_point(scenario, seed):
    if scenario.fail.value < 0 and BROKEN["on"]:
        raise ValueError(f"negative value {scenario.fail.value}")
    return {"value": scenario.fail.value + float(seed.generate_state(1)[0]) / 2**32}


SCENARIO = """
kind = "failing"
name = "failing"
seed = 3
replications = 2
[sweep]
"fail.value" = [1.0, -1.0, 2.0]
"""


@pytest.fixture
def failing(monkeypatch, tmp_path):
    monkeypatch.setitem(registry.KINDS, "failing", (f"{__name__}:FailingScenario", __name__))
    monkeypatch.setitem(BROKEN, "on", True)
    path = tmp_path / "failing.toml"
    path.write_text(SCENARIO)
    return path


def test_failing_task_is_recorded_and_the_others_are_kept(failing, tmp_path):
    out = tmp_path / "o"
    res = asim.run(failing, backend="serial", out=out)
    assert len(res.failures) == 2
    assert {(f["point"], f["replication"]) for f in res.failures} == {(1, 0), (1, 1)}
    assert all(f["error"].startswith("ValueError: negative value -1.0") for f in res.failures)
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(zip(runs["point"], runs["replication"], strict=True)) == [
        (0, 0),
        (0, 1),
        (2, 0),
        (2, 1),
    ]
    lines = (out / "failures.jsonl").read_text().splitlines()
    assert len(lines) == 2 and "Traceback" in lines[0]  # the full error is kept on disk
    assert len(asim.Results.load(out).failures) == 2


def test_cli_exits_1_with_a_summary_of_the_failures(failing, tmp_path, capsys):
    status = cli.main(["run", str(failing), "--backend", "serial", "--no-progress"])
    captured = capsys.readouterr()
    assert status == 1
    assert "2 task(s) failed" in captured.err
    assert "point 1 replication 0: ValueError: negative value -1.0" in captured.err
    assert "value" in captured.out  # the table of the tasks that worked is still printed


def test_rerun_retries_only_the_failed_tasks(failing, tmp_path):
    out = tmp_path / "o"
    asim.run(failing, backend="serial", out=out)
    BROKEN["on"] = False
    seen = []
    res = asim.run(failing, backend="serial", out=out, progress=lambda d, t: seen.append(d))
    assert seen[0] == 4 and not res.failures
    assert len(pd.read_parquet(out / "runs.parquet")) == 6
    assert not (out / "failures.jsonl").exists()


def test_too_many_process_workers_are_capped_with_a_warning(capsys):
    import os

    from auction_sim.batch.backends import ProcessBackend

    cores = os.cpu_count() or 1
    assert ProcessBackend(workers=cores + 5).workers == cores
    assert "warning: " in capsys.readouterr().err
