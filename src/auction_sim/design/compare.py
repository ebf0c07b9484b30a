"""``auction-sim compare DIR --baseline KEY=VALUE``: every point against its baseline point.

The baseline fixes one or more swept keys; each point is compared with the point that has the
baseline's values on those keys and its own values on the others (one baseline per slice of a
multi-key grid).  For a paired run (common random numbers) the statistics are paired by
replication; for an unpaired run the independent-samples standard error is used (said in the
output).  ``compare`` writes ``DIR/compare.json``, which ``auction-sim report`` turns into a
figure of the differences with their intervals.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenario import ScenarioError, parse_override
from .paired import paired_differences

__all__ = ["parse_baseline", "compare_results", "COMPARE_FILE"]

COMPARE_FILE = "compare.json"


def _clean(x: Any) -> Any:
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def parse_baseline(texts: list[str], results) -> dict[str, Any]:
    """``KEY=VALUE`` items -> {swept key: value}; exit 2 (ScenarioError) naming a bad key."""
    if not texts:
        raise ScenarioError("--baseline", None, "expected at least one KEY=VALUE")
    out: dict[str, Any] = {}
    for text in texts:
        key, sep, _ = text.partition("=")
        if not sep:
            raise ScenarioError("--baseline", text, "expected KEY=VALUE with a swept KEY")
        key, value = parse_override(text)
        if key not in results.params:
            swept = ", ".join(results.params) or "none (the run has no sweep)"
            raise ScenarioError("--baseline", key, f"not a swept key of this run; swept: {swept}")
        values = sorted({repr(p[key]) for p in results.points})
        if not any(_eq(p[key], value) for p in results.points):
            raise ScenarioError(
                "--baseline", key, f"no grid point has {value!r}; values: {', '.join(values)}"
            )
        out[key] = next(p[key] for p in results.points if _eq(p[key], value))
    return out


def _eq(a, b) -> bool:
    from .paired import _same

    return _same(a, b)


def compare_results(results, baseline: dict[str, Any]) -> tuple[pd.DataFrame, dict]:
    """The long table of :func:`~auction_sim.design.paired.paired_differences` and its JSON."""
    table = paired_differences(
        results.runs, results.points, list(results.metrics), baseline, results.paired
    )
    comps = []
    for (point, base), grp in table.groupby(["point", "baseline_point"], sort=True):
        metrics = {}
        for _, r in grp.iterrows():
            metrics[r["metric"]] = {
                "diff": _clean(r["diff"]),
                "stderr": _clean(r["stderr"]),
                "ci95": [_clean(r["ci95_low"]), _clean(r["ci95_high"])],
                "n": int(r["n"]),
                "stderr_paired": _clean(r["stderr_paired"]),
                "stderr_independent": _clean(r["stderr_independent"]),
            }
        comps.append(
            {
                "point": int(point),
                "params": {k: _clean(v) for k, v in results.points[int(point)].items()},
                "baseline_point": int(base),
                "baseline_params": {k: _clean(v) for k, v in results.points[int(base)].items()},
                "metrics": metrics,
            }
        )
    doc = {
        "scenario": results.name,
        "kind": results.kind,
        "seed": results.seed,
        "replications": results.replications,
        "paired": bool(results.paired),
        "statistics": "paired by replication" if results.paired else "independent samples",
        "baseline": {k: _clean(v) for k, v in baseline.items()},
        "comparisons": comps,
    }
    return table, doc


def write_compare(directory: str | Path, doc: dict) -> Path:
    path = Path(directory) / COMPARE_FILE
    path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    return path
