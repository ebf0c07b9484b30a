"""Tasks: one (grid point, replication) of a scenario, carrying its own seed."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..rng import task_seed
from ..scenario import Scenario, ScenarioBase, experiment_for

__all__ = ["Task", "TaskResult", "make_tasks", "run_task"]


@dataclass(frozen=True)
class Task:
    """An independent unit of work; picklable, so it can run on any worker."""

    point: int
    replication: int
    params: dict[str, Any]
    scenario: ScenarioBase
    seed: np.random.SeedSequence

    @property
    def key(self) -> tuple[int, int]:
        return self.point, self.replication


@dataclass(frozen=True)
class TaskResult:
    """Metrics of one task, or the error it raised."""

    point: int
    replication: int
    metrics: dict[str, float]
    seconds: float
    error: str | None = None
    series: dict[str, list[float]] | None = None  # monthly series, for kinds that have them
    tables: dict[str, dict[str, list]] | None = None  # per-run tables (market: institutions)

    @property
    def key(self) -> tuple[int, int]:
        return self.point, self.replication


def make_tasks(scenario: Scenario, replications: int | None = None) -> list[Task]:
    """Every (grid point, replication) task, point-major, with its seed from the seed tree.

    A paired scenario (``[sweep] paired = true``) keys the seeds by the replication alone
    (common random numbers across the grid).
    """
    reps = scenario.replications if replications is None else int(replications)
    paired = bool(getattr(scenario, "paired", False))
    return [
        Task(p.index, r, p.params, p.scenario, task_seed(scenario.seed, p.params, r, paired))
        for p in scenario.points
        for r in range(reps)
    ]


def run_task(task: Task) -> TaskResult:
    """Run one task; an exception becomes a recorded error, not a crash of the run."""
    start = time.perf_counter()
    try:
        experiment = experiment_for(task.scenario.kind)
        series = tables = None
        if hasattr(experiment, "run_point_tables"):  # kinds with series and tables (market)
            metrics, raw, tabs = experiment.run_point_tables(task.scenario, task.seed)
            tables = {n: {k: np.asarray(v).tolist() for k, v in t.items()} for n, t in tabs.items()}
        elif hasattr(experiment, "run_point_series"):  # kinds with time series
            metrics, raw = experiment.run_point_series(task.scenario, task.seed)
        else:
            metrics, raw = experiment.run_point(task.scenario, task.seed), None
        if raw is not None:
            series = {k: np.asarray(v, dtype=np.float64).tolist() for k, v in raw.items()}
        metrics = {k: float(v) for k, v in metrics.items()}
        elapsed = time.perf_counter() - start
        return TaskResult(task.point, task.replication, metrics, elapsed, series=series,
                          tables=tables or None)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - recorded and reported by the runner
        err = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        return TaskResult(task.point, task.replication, {}, time.perf_counter() - start, err)
