"""Paired differences between the points of a run, replication by replication.

With common random numbers (``[sweep] paired = true``) replication r of every grid point saw
the same random streams, so the difference of a metric between two points is estimated from
the per-replication differences d_r = x_r(point) - x_r(baseline): mean, standard error
sd(d) / sqrt(n) and a 95 % t-interval.  The independent-samples standard error
sqrt(se_point^2 + se_baseline^2) is reported beside it; for an unpaired run it is the one that
holds (the replications of two points share no numbers) and it is the one used for the interval.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["paired_stats", "paired_differences", "match_baseline"]


def _t(n: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, n - 1)) if n > 1 else math.nan


def paired_stats(x: np.ndarray, base: np.ndarray, paired: bool = True) -> dict[str, float]:
    """Difference ``mean(x) - mean(base)`` with its standard errors and 95 % interval.

    ``x`` and ``base`` are aligned by replication (NaN where a replication is undefined; a
    replication counts in the paired statistics only where both are finite).
    """
    x = np.asarray(x, dtype=np.float64)
    b = np.asarray(base, dtype=np.float64)
    both = np.isfinite(x) & np.isfinite(b)
    d = x[both] - b[both]
    n = int(d.size)
    se_p = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    xa, ba = x[np.isfinite(x)], b[np.isfinite(b)]
    if xa.size > 1 and ba.size > 1:
        se_i = math.sqrt(xa.var(ddof=1) / xa.size + ba.var(ddof=1) / ba.size)
        diff_i = float(xa.mean() - ba.mean())
    else:
        se_i, diff_i = math.nan, math.nan
    if paired:
        diff, se, dof_n = (float(d.mean()) if n else math.nan), se_p, n
    else:
        diff, se, dof_n = diff_i, se_i, min(xa.size, ba.size)
    half = _t(dof_n) * se if math.isfinite(se) else math.nan
    ratio = (se_i / se_p) ** 2 if se_p and math.isfinite(se_p) and se_p > 0 else math.nan
    return {
        "diff": diff,
        "stderr": se,
        "ci95_low": diff - half,
        "ci95_high": diff + half,
        "n": n if paired else int(dof_n),
        "stderr_paired": se_p,
        "stderr_independent": se_i,
        "variance_ratio": ratio,
    }


def match_baseline(points: list[dict], baseline: dict) -> dict[int, int]:
    """For every point, the index of its baseline point.

    ``baseline`` fixes some swept keys; a point's baseline agrees with it on every other swept
    key and has the baseline's values on the fixed ones.  Points without such a partner (none
    in a full grid) are left out.
    """
    index = {}
    for i, p in enumerate(points):
        want = {**p, **baseline}
        for j, q in enumerate(points):
            if all(_same(q.get(k), v) for k, v in want.items()):
                index[i] = j
                break
    return index


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return a == b


def paired_differences(
    runs: pd.DataFrame,
    points: list[dict],
    metrics: list[str],
    baseline: dict,
    paired: bool = True,
) -> pd.DataFrame:
    """Long table: per point (other than its baseline) and metric, the difference against the
    baseline point with ``stderr``, ``ci95_low``, ``ci95_high``, ``n`` and both standard
    errors (``stderr_paired``, ``stderr_independent``) and their variance ratio."""
    base_of = match_baseline(points, baseline)
    rows = []
    by_point = {int(k): g.set_index("replication") for k, g in runs.groupby("point")}
    for i, j in sorted(base_of.items()):
        if i == j or i not in by_point or j not in by_point:
            continue
        a, b = by_point[i], by_point[j]
        reps = a.index.intersection(b.index)
        for m in metrics:
            s = paired_stats(a.loc[reps, m].to_numpy(), b.loc[reps, m].to_numpy(), paired)
            rows.append({"point": i, "baseline_point": j, **points[i], "metric": m, **s})
    keys = list(points[0]) if points else []
    cols = ["point", "baseline_point", *keys, "metric", "diff", "stderr", "ci95_low",
            "ci95_high", "n", "stderr_paired", "stderr_independent", "variance_ratio"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)
