"""Evaluate candidate parameter sets through the project's backends, with common random numbers.

A candidate is the scenario with some dotted keys set.  Replication r of every candidate runs
with the seed of replication r of the scenario itself (the paired seed of the seed tree,
:func:`auction_sim.rng.task_seed` with ``paired=True``), so candidates differ only through
their parameters.  All tasks of a batch of candidates (candidates x replications) go to the
backend in one map, so several candidates run in parallel.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..batch.tasks import Task
from ..rng import task_seed
from ..scenario import Scenario

__all__ = ["Evaluation", "Evaluator"]


@dataclass
class Evaluation:
    """Per-replication metrics of one candidate: ``values[metric]`` is an array over reps."""

    params: dict[str, Any]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def mean(self, metric: str) -> float:
        x = self.values.get(metric)
        if x is None:
            return float("nan")
        x = x[np.isfinite(x)]
        return float(x.mean()) if x.size else float("nan")

    def stderr(self, metric: str) -> float:
        x = self.values.get(metric)
        if x is None:
            return float("nan")
        x = x[np.isfinite(x)]
        return float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")


def _persistent_process_backend(workers: int | None):
    """The process backend with one pool for the whole study (a pool per batch of candidates
    would pay the workers' start-up, ~1-2 s, every time)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..batch.backends import ProcessBackend, _init_worker
    from ..batch.tasks import run_task

    class Persistent(ProcessBackend):
        def map(self, tasks):
            tasks = list(tasks)
            if not tasks:
                return
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=mp.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.threads,),
                )
            futures = [self._pool.submit(run_task, t) for t in tasks]
            for fut in as_completed(futures):
                yield fut.result()

    return Persistent(workers)


class Evaluator:
    """Runs candidates of ``scenario`` on a backend (kept for the whole study)."""

    def __init__(
        self,
        scenario: Scenario,
        metrics: list[str],
        *,
        backend: str = "process",
        workers: int | None = None,
        scheduler: str | None = None,
    ):
        from ..batch.backends import make_backend

        self.scenario = scenario
        self.metrics = list(metrics)
        self.backend_name = backend
        if backend == "process":
            self.backend = _persistent_process_backend(workers)
        else:
            self.backend = make_backend(backend, workers=workers, scheduler=scheduler)
        self.tasks_run = 0

    def close(self) -> None:
        self.backend.close()

    def evaluate(self, candidates: list[dict[str, Any]], reps: int) -> list[Evaluation]:
        tasks = []
        for i, cand in enumerate(candidates):
            model = self.scenario.with_overrides(cand).points[0].scenario
            for r in range(reps):
                seed = task_seed(self.scenario.seed, {}, r, paired=True)
                tasks.append(Task(i, r, dict(cand), model, seed))
        out = [
            Evaluation(dict(c), {m: np.full(reps, np.nan) for m in self.metrics})
            for c in candidates
        ]
        backend = self.backend
        if len(tasks) <= 1 and self.backend_name == "process":
            from ..batch.backends import SerialBackend

            backend = SerialBackend()
        for res in backend.map(tasks):
            ev = out[res.point]
            if res.error is not None:
                ev.errors.append(res.error.splitlines()[0])
                print(
                    f"auction-sim: candidate {ev.params} replication {res.replication} failed:"
                    f" {res.error.splitlines()[0]}",
                    file=sys.stderr,
                )
                continue
            for m in self.metrics:
                ev.values[m][res.replication] = res.metrics.get(m, np.nan)
        self.tasks_run += len(tasks)
        return out
