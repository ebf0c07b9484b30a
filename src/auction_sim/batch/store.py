"""A resumable result store: one Parquet part file per finished task, then ``runs.parquet``.

Layout of an output folder::

    DIR/manifest.json      scenario hash, name, kind (refuses a different scenario)
    DIR/parts/p{point}_r{rep}.parquet   one row per finished task, written atomically
    DIR/failures.jsonl     tasks that raised (retried on the next run)
    DIR/parts/s{point}_r{rep}.parquet   its monthly series, for kinds that have them
    DIR/runs.parquet       one row per grid point x replication (point, replication order)
    DIR/timeseries.parquet one row per (point, replication, month), for kinds with series
    DIR/parts/t{point}_r{rep}__{name}.parquet   a per-run table (market: institutions)
    DIR/{name}.parquet     the per-run tables of every task (point, replication first), e.g.
                           institutions.parquet (market with [policy] institutions_per_holder)
    DIR/summary.csv        per point and metric: mean, stderr, ci95, n
    DIR/scenario.toml      the scenario as run

A task's part is written (to a temporary name, then renamed) as soon as it
finishes, so a crash, ``kill -9`` or Ctrl-C loses at most the tasks in flight;
running again with the same scenario computes only the missing tasks.  The
replication count is not part of the scenario hash: asking for more
replications extends a finished run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..scenario import Scenario
from .tasks import TaskResult

__all__ = [
    "ResultStore",
    "StoreMismatch",
    "TIMESERIES_FILE",
    "table_frames",
    "scenario_hash",
    "runs_table",
    "series_table",
]

TIMESERIES_FILE = "timeseries.parquet"
"""Long format read by the report: point, replication, month, then one column per series."""


class StoreMismatch(RuntimeError):
    """The output folder holds results of a different scenario."""


def scenario_hash(scenario: Scenario) -> str:
    raw = {k: v for k, v in scenario.raw.items() if k != "replications"}
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _param_value(v: Any) -> Any:
    if isinstance(v, dict | list | tuple):
        return json.dumps(v, sort_keys=True)
    return v


def runs_table(scenario: Scenario, results: list[TaskResult], metrics: list[str]) -> pd.DataFrame:
    """One row per task: point, replication, seed, the swept parameters, every metric."""
    params = {p.index: p.params for p in scenario.points}
    rows = []
    for r in sorted(results, key=lambda r: r.key):
        row: dict[str, Any] = {"point": r.point, "replication": r.replication}
        row["seed"] = scenario.seed
        row.update({k: _param_value(v) for k, v in params[r.point].items()})
        row.update({m: r.metrics.get(m, float("nan")) for m in metrics})
        rows.append(row)
    cols = ["point", "replication", "seed", *scenario.sweep, *metrics]
    df = pd.DataFrame(rows, columns=cols)
    for k in scenario.sweep:  # a sweep mixing ints and floats is a float column
        vals = [v for v in df[k] if v is not None]
        if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            if any(isinstance(v, float) for v in vals):
                df[k] = df[k].astype("float64")
    return df


def _write_text(path: Path, text: str) -> None:
    """Write a small file atomically (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def table_frames(results: list[TaskResult]) -> dict[str, pd.DataFrame]:
    """The per-run tables of every task by name, long format (point, replication first)."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for r in sorted(results, key=lambda r: r.key):
        for name, cols in (r.tables or {}).items():
            df = pd.DataFrame(cols)
            df.insert(0, "replication", r.replication)
            df.insert(0, "point", r.point)
            frames.setdefault(name, []).append(df)
    return {n: pd.concat(f, ignore_index=True) for n, f in frames.items()}


def series_table(results: list[TaskResult]) -> pd.DataFrame | None:
    """Monthly series of every task, long format (point, replication order); None if none."""
    frames = []
    for r in sorted(results, key=lambda r: r.key):
        if r.series:
            df = pd.DataFrame(r.series)
            if "month" not in df:
                df.insert(0, "month", range(len(df)))
            df["month"] = df["month"].astype("int64")
            df.insert(0, "replication", r.replication)
            df.insert(0, "point", r.point)
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


class ResultStore:
    """Output folder of a run; see the module docstring for its layout."""

    def __init__(self, root: str | Path, scenario: Scenario, overwrite: bool = False):
        self.root = Path(root)
        self.scenario = scenario
        self.parts = self.root / "parts"
        self.hash = scenario_hash(scenario)
        manifest = self.root / "manifest.json"
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError):
                old = {"scenario": "unreadable manifest.json"}
            if old.get("scenario_hash") != self.hash:
                if not overwrite:
                    raise StoreMismatch(
                        f"{self.root} holds results of a different scenario"
                        f" ({old.get('scenario')!r}, kind {old.get('kind')!r},"
                        f" seed {old.get('seed')!r}; this run: {scenario.name!r},"
                        f" kind {scenario.kind!r}, seed {scenario.seed!r}, and any"
                        " other setting may differ); choose another --out folder"
                        " or pass --overwrite to replace them"
                    )
                self._clear()
        self.parts.mkdir(parents=True, exist_ok=True)
        for stale in self.parts.glob("*.tmp*"):  # a write cut short by a crash
            stale.unlink(missing_ok=True)
        _write_text(
            manifest,
            json.dumps(
                {
                    "format": 1,
                    "scenario_hash": self.hash,
                    "scenario": scenario.name,
                    "kind": scenario.kind,
                    "seed": scenario.seed,
                },
                indent=2,
            ),
        )
        _write_text(self.root / "scenario.toml", scenario.to_toml())

    def _clear(self) -> None:
        for f in self.parts.glob("*.parquet"):
            f.unlink()
        for name in (
            "runs.parquet",
            "summary.csv",
            "failures.jsonl",
            "manifest.json",
            TIMESERIES_FILE,
            "institutions.parquet",
        ):
            (self.root / name).unlink(missing_ok=True)

    def _part(self, point: int, rep: int) -> Path:
        return self.parts / f"p{point:06d}_r{rep:07d}.parquet"

    def _series_part(self, point: int, rep: int) -> Path:
        return self.parts / f"s{point:06d}_r{rep:07d}.parquet"

    def _table_part(self, point: int, rep: int, name: str) -> Path:
        return self.parts / f"t{point:06d}_r{rep:07d}__{name}.parquet"

    def done(self) -> set[tuple[int, int]]:
        """Keys (point, replication) of tasks already stored (readable part files)."""
        keys = set()
        for f in self.parts.glob("p*_r*.parquet"):
            try:
                p, r = f.stem[1:].split("_r")
                key = (int(p), int(r))
                pq.read_metadata(f)  # a damaged part (e.g. a disk-full write) is redone
            except Exception:  # noqa: BLE001 - anything unreadable is recomputed
                f.unlink(missing_ok=True)
                continue
            keys.add(key)
        return keys

    def write(self, result: TaskResult) -> None:
        """Store one finished task atomically (temp file + rename)."""
        row = {"point": result.point, "replication": result.replication, **result.metrics}
        row["_seconds"] = result.seconds
        for name, cols in (result.tables or {}).items():  # first, as the series
            tpart = self._table_part(result.point, result.replication, name)
            tmp = tpart.with_suffix(f".tmp{os.getpid()}")
            pq.write_table(pa.Table.from_pydict(cols), tmp)
            os.replace(tmp, tpart)
        if result.series:  # written first: a stored task always has its series
            spart = self._series_part(result.point, result.replication)
            tmp = spart.with_suffix(f".tmp{os.getpid()}")
            pq.write_table(pa.Table.from_pydict(result.series), tmp)
            os.replace(tmp, spart)
        final = self._part(result.point, result.replication)
        tmp = final.with_suffix(f".tmp{os.getpid()}")
        pq.write_table(pa.Table.from_pylist([row]), tmp)
        os.replace(tmp, final)

    def read(self, keys: set[tuple[int, int]]) -> list[TaskResult]:
        out = []
        for p, r in sorted(keys):
            row = pq.read_table(self._part(p, r)).to_pylist()[0]
            secs = row.pop("_seconds", 0.0)
            row.pop("point"), row.pop("replication")
            spart = self._series_part(p, r)
            series = pq.read_table(spart).to_pydict() if spart.exists() else None
            tables = {
                f.stem.split("__", 1)[1]: pq.read_table(f).to_pydict()
                for f in sorted(self.parts.glob(f"t{p:06d}_r{r:07d}__*.parquet"))
            }
            out.append(TaskResult(p, r, row, secs, series=series, tables=tables or None))
        return out

    def record_failures(self, failures: list[TaskResult]) -> None:
        path = self.root / "failures.jsonl"
        if not failures:
            path.unlink(missing_ok=True)
            return
        with path.open("w") as fh:
            for f in failures:
                fh.write(
                    json.dumps({"point": f.point, "replication": f.replication, "error": f.error})
                    + "\n"
                )

    def finalize(
        self,
        runs: pd.DataFrame,
        summary: pd.DataFrame,
        series: pd.DataFrame | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
    ) -> None:
        """Write ``runs.parquet``, ``summary.csv``, ``timeseries.parquet`` and each per-run
        table as ``{name}.parquet`` (atomically)."""
        for name, df in (tables or {}).items():
            tmp = self.root / f"{name}.parquet.tmp"
            df.to_parquet(tmp, index=False)
            os.replace(tmp, self.root / f"{name}.parquet")
        tmp = self.root / "runs.parquet.tmp"
        runs.to_parquet(tmp, index=False)
        os.replace(tmp, self.root / "runs.parquet")
        if series is not None:
            tmp = self.root / f"{TIMESERIES_FILE}.tmp"
            series.to_parquet(tmp, index=False)
            os.replace(tmp, self.root / TIMESERIES_FILE)
        _write_text(self.root / "summary.csv", summary.to_csv(index=False))
