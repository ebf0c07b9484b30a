"""``auction-sim optimize``: a noisy search with Optuna's ask-and-tell interface.

The study lives in ``--out DIR`` as an Optuna journal (``study.journal``): a search that is
interrupted continues where it stopped, and a trial that was asked but never told (the batch
in flight) is evaluated again with its stored parameters.  The sampler (TPE) is seeded from the
scenario's seed and the trial's number before every ask, so the same seed gives the same search,
whether it ran in one go or was resumed, and whatever the backend.

Each batch asks ``batch`` trials (TPE with the constant liar, so a batch spreads out), evaluates
them together on the backend (candidates x replications in one map, common random numbers:
:mod:`.evaluate`) and tells their values in trial order.  The confirmation stage reruns the best
``confirm`` distinct candidates with ``confirm_reps`` replications (the same common random numbers)
and picks the winner on those; its interval and the paired difference to the runner-up come from
the per-replication values.
"""

from __future__ import annotations

import json
import math
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.summary import metric_stats
from .evaluate import Evaluation, Evaluator
from .paired import paired_stats
from .space import Param

__all__ = ["Study", "SearchResult", "run_search", "STUDY_FILE", "TRIALS_FILE", "BEST_FILE"]

STUDY_FILE = "study.journal"
TRIALS_FILE = "trials.parquet"
BEST_FILE = "best.toml"
SUMMARY_FILE = "optimize.json"


@dataclass
class Study:
    """What a search needs: the space, the objective of an evaluation, its direction."""

    params: list[Param]
    objective: Callable[[Evaluation], float]
    minimize: bool
    per_rep: Callable[[Evaluation], np.ndarray] | None = None
    """Per-replication objective (for the winner's interval); None where the objective is not
    a mean over replications (calibration's distance)."""


@dataclass
class SearchResult:
    trials: pd.DataFrame
    confirmed: list[Evaluation]
    confirmed_values: list[float]
    winner: Evaluation
    winner_value: float
    runner_up: Evaluation | None
    seconds: float = 0.0
    tasks: int = 0
    resumed: int = 0
    extra: dict = field(default_factory=dict)


def _trial_seed(seed: int, number: int) -> int:
    return zlib.crc32(f"optimize:{seed}:{number}".encode()) & 0x7FFFFFFF


def _quiet_optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def _storage(out: Path | None):
    optuna = _quiet_optuna()
    if out is None:
        return optuna.storages.InMemoryStorage()
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    out.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(out / STUDY_FILE)))


def _sampler(seed: int, number: int, budget: int):
    optuna = _quiet_optuna()
    startup = max(4, min(10, budget // 3))
    return optuna.samplers.TPESampler(
        seed=_trial_seed(seed, number),
        n_startup_trials=startup,
        multivariate=True,
        constant_liar=True,
    )


def _key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def run_search(
    study_def: Study,
    evaluator: Evaluator,
    *,
    seed: int,
    budget: int,
    reps: int,
    batch: int,
    confirm: int,
    confirm_reps: int,
    out: Path | None = None,
    study_name: str = "optimize",
    fingerprint: str = "",
    progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """Search, then confirm; see the module docstring."""
    import time

    optuna = _quiet_optuna()
    start = time.perf_counter()
    storage = _storage(out)
    direction = "minimize" if study_def.minimize else "maximize"
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=direction,
        sampler=_sampler(seed, 0, budget),
        load_if_exists=True,
    )
    old = study.user_attrs.get("fingerprint")
    if old is None:
        study.set_user_attr("fingerprint", fingerprint)
    elif old != fingerprint:
        raise StudyMismatch(
            f"{out} holds a search of different settings (scenario, space, objective, seed or"
            " replications); choose another --out folder"
        )
    dists = {p.key: p.distribution() for p in study_def.params}
    TS = optuna.trial.TrialState

    def tell(trials, evals):
        for t, ev in zip(trials, evals, strict=True):
            value = study_def.objective(ev)
            for m in evaluator.metrics:
                study._storage.set_trial_user_attr(
                    t._trial_id, f"mean:{m}", _json_float(ev.mean(m))
                )
                study._storage.set_trial_user_attr(
                    t._trial_id, f"stderr:{m}", _json_float(ev.stderr(m))
                )
            if ev.errors or not math.isfinite(value):
                study.tell(t.number, state=TS.FAIL)
            else:
                study.tell(t.number, value)

    # trials asked but never told: the batch in flight when the search stopped
    pending = [t for t in study.get_trials(deepcopy=False) if t.state == TS.RUNNING]
    resumed = len([t for t in study.get_trials(deepcopy=False) if t.state.is_finished()])
    if pending:
        tell(pending, evaluator.evaluate([dict(t.params) for t in pending], reps))
    while True:
        done = len(study.get_trials(deepcopy=False))
        if done >= budget:
            break
        k = min(batch, budget - done)
        asked = []
        for _ in range(k):
            study.sampler = _sampler(seed, len(study.get_trials(deepcopy=False)), budget)
            asked.append(study.ask(dists))
        evals = evaluator.evaluate([dict(t.params) for t in asked], reps)
        tell(asked, evals)
        if progress:
            best = _best_value(study)
            progress(f"{min(done + k, budget)}/{budget} trials, best so far {best:.6g}")
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TS.COMPLETE]
    if not complete:
        raise RuntimeError("every trial failed: no candidate to confirm")
    ranked = sorted(complete, key=lambda t: t.value, reverse=not study_def.minimize)
    chosen, seen = [], set()
    for t in ranked:
        if _key(t.params) not in seen:
            seen.add(_key(t.params))
            chosen.append(t)
        if len(chosen) >= confirm:
            break
    if progress:
        progress(f"confirming the best {len(chosen)} with {confirm_reps} replications")
    confirmed = evaluator.evaluate([dict(t.params) for t in chosen], confirm_reps)
    values = [study_def.objective(ev) for ev in confirmed]
    order = sorted(
        (i for i in range(len(values)) if math.isfinite(values[i])),
        key=lambda i: values[i],
        reverse=not study_def.minimize,
    )
    if not order:
        raise RuntimeError("every confirmed candidate failed")
    winner = confirmed[order[0]]
    runner = confirmed[order[1]] if len(order) > 1 else None
    table = trials_table(study_def.params, trials, evaluator.metrics)
    conf_rows = []
    for rank, i in enumerate(order):
        t = chosen[i]
        row = {"number": t.number, "stage": "confirm", "state": "COMPLETE", "rank": rank + 1}
        row.update({f"params.{k}": v for k, v in t.params.items()})
        row["value"] = values[i]
        row["reps"] = confirm_reps
        for m in evaluator.metrics:
            row[f"mean.{m}"] = confirmed[i].mean(m)
            row[f"stderr.{m}"] = confirmed[i].stderr(m)
        conf_rows.append(row)
    table = pd.concat([table, pd.DataFrame(conf_rows)], ignore_index=True)
    return SearchResult(
        trials=table,
        confirmed=[confirmed[i] for i in order],
        confirmed_values=[values[i] for i in order],
        winner=winner,
        winner_value=values[order[0]],
        runner_up=runner,
        seconds=time.perf_counter() - start,
        tasks=evaluator.tasks_run,
        resumed=resumed,
    )


class StudyMismatch(RuntimeError):
    """The output folder holds a search with other settings."""


def _json_float(x: float):
    return float(x) if math.isfinite(x) else None


def _best_value(study) -> float:
    try:
        return float(study.best_value)
    except ValueError:
        return float("nan")


def trials_table(params: list[Param], trials, metrics: list[str]) -> pd.DataFrame:
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "stage": "search", "state": t.state.name}
        row["rank"] = 0
        row.update({f"params.{p.key}": t.params.get(p.key) for p in params})
        row["value"] = t.value if t.value is not None else float("nan")
        row["reps"] = None
        for m in metrics:
            for what in ("mean", "stderr"):
                v = t.user_attrs.get(f"{what}:{m}")
                row[f"{what}.{m}"] = float("nan") if v is None else float(v)
        rows.append(row)
    return pd.DataFrame(rows)


def winner_summary(res: SearchResult, study_def: Study, objective_name: str) -> dict:
    """Winner with a 95 % interval (per-replication objective) and the paired difference to
    the runner-up."""
    out: dict[str, Any] = {"params": res.winner.params, "value": res.winner_value}
    if study_def.per_rep is not None:
        x = study_def.per_rep(res.winner)
        s = metric_stats(x)
        out.update({"stderr": s["stderr"], "ci95": [s["ci95_low"], s["ci95_high"]], "n": s["n"]})
        if res.runner_up is not None:
            d = paired_stats(x, study_def.per_rep(res.runner_up), paired=True)
            out["runner_up"] = {
                "params": res.runner_up.params,
                "value": res.confirmed_values[1],
                "diff": d["diff"],
                "stderr": d["stderr"],
                "ci95": [d["ci95_low"], d["ci95_high"]],
                "n": d["n"],
            }
    elif res.runner_up is not None:
        out["runner_up"] = {"params": res.runner_up.params, "value": res.confirmed_values[1]}
    out["objective"] = objective_name
    return out
