"""Run a scenario's grid x replications on a backend, storing results as they finish."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ..scenario import Scenario, metrics_for
from .backends import make_backend
from .results import Results
from .store import ResultStore, runs_table, series_table, table_frames
from .tasks import TaskResult, make_tasks

__all__ = ["execute", "RunInterrupted"]


class RunInterrupted(RuntimeError):
    """Ctrl-C during a run; what finished is kept (and stored, with ``out``)."""


def execute(
    scenario: Scenario,
    *,
    replications: int | None = None,
    backend: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Run every (grid point, replication) task of ``scenario``.

    Parameters
    ----------
    replications : int, optional
        Overrides the scenario's ``replications``.
    backend : {"serial", "process", "dask"}
        Where tasks run.  The numbers do not depend on it.
    workers : int, optional
        Worker processes (process / dask local cluster); default all cores.
    out : path, optional
        Output folder: results are stored as tasks finish and a rerun resumes.
    progress : callable(done, total), optional
        Called after every finished task (and once at the start).

    Returns
    -------
    Results
        ``failures`` lists the tasks that raised; the others are complete.
    """
    if replications is not None and int(replications) != scenario.replications:
        # the scenario as run (scenario.toml, the report) records the replications run
        scenario = scenario.with_overrides({"replications": int(replications)})
    metrics = list(metrics_for(scenario.kind, scenario))
    tasks = make_tasks(scenario, replications)
    total = len(tasks)
    store = ResultStore(out, scenario, overwrite=overwrite) if out is not None else None
    done_keys = store.done() & {t.key for t in tasks} if store else set()
    finished: list[TaskResult] = store.read(done_keys) if store else []
    failures: list[TaskResult] = []
    todo = [t for t in tasks if t.key not in done_keys]
    if progress:
        progress(len(finished), total)
    if len(todo) <= 1 and backend == "process":
        backend = "serial"  # nothing to parallelise: skip the pool start-up
    runner = make_backend(backend, workers=workers, scheduler=scheduler)
    try:
        for res in runner.map(todo):
            if res.error is None:
                if store:
                    store.write(res)
                finished.append(res)
            else:
                failures.append(res)
                print(
                    f"task point={res.point} replication={res.replication} failed:"
                    f" {res.error.splitlines()[0]}",
                    file=sys.stderr,
                )
            if progress:
                progress(len(finished) + len(failures), total)
    except KeyboardInterrupt:
        runner.close()
        raise RunInterrupted(
            f"interrupted after {len(finished)} of {total} tasks"
            + ("; run the same command again to resume" if store else "")
        ) from None
    finally:
        runner.close()
    reps = scenario.replications if replications is None else int(replications)
    runs = runs_table(scenario, finished, metrics)
    results = Results(
        name=scenario.name,
        kind=scenario.kind,
        seed=scenario.seed,
        replications=reps,
        params=list(scenario.sweep),
        metrics=metrics,
        runs=runs,
        points=[p.params for p in scenario.points],
        failures=[
            {"point": f.point, "replication": f.replication, "error": f.error} for f in failures
        ],
        directory=Path(out) if out is not None else None,
        timeseries=series_table(finished),
        paired=bool(getattr(scenario, "paired", False)),
    )
    if store:
        store.record_failures(failures)
        store.finalize(runs, results.summary(), results.timeseries, table_frames(finished))
    return results
