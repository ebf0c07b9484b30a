"""Files of an optimize / calibrate folder: trials.parquet, best.toml (calibrated.toml),
optimize.json (the stdout summary) and the report page optimize.html with its figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from .jsonsafe import json_safe as _clean

__all__ = ["write_search_outputs", "SUMMARY_FILE", "PAGE_FILE"]

SUMMARY_FILE = "optimize.json"
PAGE_FILE = "optimize.html"


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None}
            if len(kinds) > 1 and not kinds <= {int, float}:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return df


def write_search_outputs(
    outdir: Path, scenario, res, doc: dict, scenario_file: str, objective: str
) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    tmp = outdir / "trials.parquet.tmp"
    _parquet_safe(res.trials).to_parquet(tmp, index=False)
    os.replace(tmp, outdir / "trials.parquet")
    chosen = scenario.with_overrides(res.winner.params)
    head = (
        f"# {doc['command']} of {scenario.source}: {', '.join(doc['space'])}\n"
        f"# chosen {json.dumps(_clean(res.winner.params))} ({objective} {res.winner_value:.6g})\n"
    )
    (outdir / scenario_file).write_text(head + chosen.to_toml())
    (outdir / SUMMARY_FILE).write_text(json.dumps(_clean(doc), indent=1, allow_nan=False) + "\n")
    from ..report.design import optimize_page

    optimize_page(outdir)
