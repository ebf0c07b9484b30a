"""Per grid point and metric: mean, standard error, 95 % confidence interval, n."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["summarize", "metric_stats"]


def metric_stats(values: np.ndarray) -> dict[str, float]:
    """Mean, standard error (sample sd / sqrt(n)), 95 % t-interval and n of finite values.

    ``stderr`` and the interval are NaN with fewer than two finite values.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    if n > 1:
        se = float(x.std(ddof=1) / math.sqrt(n))
        from scipy import stats  # imported here: workers never summarise

        half = float(stats.t.ppf(0.975, n - 1)) * se
    else:
        se = half = math.nan
    return {"mean": mean, "stderr": se, "ci95_low": mean - half, "ci95_high": mean + half, "n": n}


def summarize(runs: pd.DataFrame, params: list[str], metrics: list[str]) -> pd.DataFrame:
    """Long table: one row per (point, metric) with the point's parameters and statistics."""
    rows = []
    for point, grp in runs.groupby("point", sort=True):
        first = grp.iloc[0]
        for m in metrics:
            row = {"point": int(point)}
            row.update({p: first[p] for p in params})
            row["metric"] = m
            row.update(metric_stats(grp[m].to_numpy() if m in grp else np.array([])))
            rows.append(row)
    cols = ["point", *params, "metric", "mean", "stderr", "ci95_low", "ci95_high", "n"]
    return pd.DataFrame(rows, columns=cols)
