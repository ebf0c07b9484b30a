"""``Results``: the runs table of a scenario, its summaries and the §4 JSON object."""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenario import scenario_from_dict
from .summary import metric_stats, summarize

__all__ = ["Results"]


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item"):  # numpy scalar
        return _clean(x.item())
    return x


@dataclass
class Results:
    """Results of a run.

    Attributes
    ----------
    name, kind : str
        The scenario's name and kind.
    seed, replications : int
        Root seed and replications per grid point.
    params : list[str]
        Swept dotted keys (the grid's axes), in sweep order.
    metrics : list[str]
        Metric names of the kind.
    runs : pandas.DataFrame
        One row per grid point x replication: point, replication, seed, params, metrics.
    points : list[dict]
        Parameters of every grid point, by point index.
    failures : list[dict]
        Tasks that raised: point, replication, error.
    """

    name: str
    kind: str
    seed: int
    replications: int
    params: list[str]
    metrics: list[str]
    runs: pd.DataFrame
    points: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    directory: Path | None = None
    timeseries: pd.DataFrame | None = None
    """Monthly series (kinds that have them, e.g. market): point, replication, month, series."""
    paired: bool = False
    """Common random numbers (``[sweep] paired = true``): replication r of every point saw
    the same random streams, so differences between points can be paired by replication."""

    def to_pandas(self) -> pd.DataFrame:
        """The runs table (a copy)."""
        return self.runs.copy()

    def summary(self) -> pd.DataFrame:
        """Per point and metric: mean, stderr, ci95_low, ci95_high, n."""
        return summarize(self.runs, self.params, self.metrics)

    def to_json_dict(self) -> dict:
        """The JSON summary object of DESIGN §4."""
        points = []
        for i, params in enumerate(self.points):
            grp = self.runs[self.runs["point"] == i]
            metrics = {}
            for m in self.metrics:
                s = metric_stats(grp[m].to_numpy()) if len(grp) else metric_stats([])
                metrics[m] = {"mean": _clean(s["mean"]), "stderr": _clean(s["stderr"]), "n": s["n"]}
            points.append({"params": {k: _clean(v) for k, v in params.items()}, "metrics": metrics})
        out = {
            "scenario": self.name,
            "kind": self.kind,
            "seed": self.seed,
            "replications": self.replications,
        }
        if self.paired:  # only when set: unpaired runs print the object they always did
            out["paired"] = True
        out["points"] = points
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), allow_nan=False)

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """Load the results a run wrote with ``--out DIR``."""
        from ..scenario import metrics_for

        d = Path(directory)
        raw = tomllib.loads((d / "scenario.toml").read_text())
        scenario = scenario_from_dict(raw, source=str(d / "scenario.toml"))
        runs = pd.read_parquet(d / "runs.parquet")
        failures = []
        fpath = d / "failures.jsonl"
        if fpath.exists():
            failures = [json.loads(line) for line in fpath.read_text().splitlines() if line]
        reps = int(runs["replication"].max()) + 1 if len(runs) else scenario.replications
        return cls(
            name=scenario.name,
            kind=scenario.kind,
            seed=scenario.seed,
            replications=reps,
            params=list(scenario.sweep),
            metrics=list(metrics_for(scenario.kind, scenario)),
            runs=runs,
            points=[p.params for p in scenario.points],
            failures=failures,
            directory=d,
            timeseries=pd.read_parquet(ts) if (ts := d / "timeseries.parquet").exists() else None,
            paired=bool(getattr(scenario, "paired", False)),
        )
