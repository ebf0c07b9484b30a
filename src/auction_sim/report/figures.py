"""Matplotlib figures of a run: metrics against swept parameters, and monthly time series.

The figures are plain :class:`matplotlib.figure.Figure` objects drawn on the Agg canvas
(no pyplot, no global backend switch), so they work in scripts, on headless servers and in
notebooks alike::

    import auction_sim as asim
    from auction_sim.report import sweep_figure, sweep_figures

    res = asim.Results.load("out/")
    fig = sweep_figure(res, "auction.bidders", "revenue")   # one line per other swept value
    fig.savefig("revenue.png")

Error bars are the 95 % t-confidence intervals of :meth:`Results.summary`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..batch.summary import metric_stats

__all__ = [
    "sweep_figure",
    "sweep_figures",
    "timeseries_figure",
    "timeseries_figures",
    "figure_name",
    "point_labels",
    "TIMESERIES_FILE",
]

TIMESERIES_FILE = "timeseries.parquet"
"""Optional monthly time series of a run folder (the market kind writes it).

Long format, one row per (point, replication, month): columns ``point`` (grid point
index, int), ``replication`` (int), ``month`` (0, 1, ... since the start, int) and one
float column per time-series metric (any names; e.g. ``deals``, ``volume``,
``mean_price``).  The report plots, per metric, the mean over replications by month with
a 95 % confidence band, one line per grid point.
"""


LEGEND_INSIDE = 8
"""Up to this many lines the legend sits inside the axes; more go beside them."""


def _new_figure(width: float = 6.4, height: float = 4.2) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_name(*parts: str) -> str:
    """A file-name-safe stem: ``("revenue", "auction.bidders")`` -> ``revenue__auction.bidders``."""
    return "__".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{float(v):g}"
    return str(v)


def _summary_of(source, params=None, metrics=None):
    """(summary table, swept params, metrics) from a Results or a summary DataFrame."""
    if hasattr(source, "summary") and callable(source.summary):
        return source.summary(), list(source.params), list(source.metrics)
    if params is None:
        raise TypeError("pass params= (the swept keys) with a summary DataFrame")
    metrics = metrics if metrics is not None else list(dict.fromkeys(source["metric"]))
    return source, list(params), list(metrics)


def sweep_figure(source, param: str, metric: str, *, params=None) -> Figure:
    """``metric`` against the swept ``param`` with 95 % CI error bars.

    Parameters
    ----------
    source : Results or pandas.DataFrame
        A :class:`~auction_sim.batch.Results`, or its ``summary()`` table (then pass
        ``params``, the swept keys).
    param : str
        The swept dotted key on the x axis.  Numbers are placed on a numeric axis,
        anything else (e.g. ``auction.format``) on a categorical one, in sweep order.
    metric : str
        Metric name on the y axis.

    Returns
    -------
    matplotlib.figure.Figure
        One line per combination of the other swept parameters.
    """
    summary, swept, _ = _summary_of(source, params)
    if param not in swept:
        raise ValueError(f"{param!r} is not swept; swept: {', '.join(swept) or 'nothing'}")
    sub = summary[summary["metric"] == metric]
    if sub.empty:
        raise ValueError(f"no metric {metric!r} in the summary")
    others = [p for p in swept if p != param]
    xs = list(dict.fromkeys(sub[param]))  # sweep order (points are in grid order)
    numeric = all(_is_number(v) for v in xs)
    pos = {v: (float(v) if numeric else float(i)) for i, v in enumerate(xs)}

    groups = list(sub.groupby(others, sort=False)) if others else [((), sub)]
    n_groups = len(groups)
    many = n_groups > LEGEND_INSIDE
    fig = _new_figure(11.0 if many else 6.4, 5.0 if many else 4.2)
    ax = fig.add_subplot()
    width = (min(np.diff(sorted(pos.values()))) if len(xs) > 1 else 1.0) * 0.15
    for gi, (key, grp) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        grp = grp.sort_values(param, key=lambda s: s.map(pos))
        x = grp[param].map(pos).to_numpy(dtype=float)
        if n_groups > 1:  # spread overlapping error bars a little
            x = x + width * (gi - (n_groups - 1) / 2) / max(1, n_groups - 1)
        mean = grp["mean"].to_numpy(dtype=float)
        lo = np.nan_to_num(mean - grp["ci95_low"].to_numpy(dtype=float), nan=0.0)
        hi = np.nan_to_num(grp["ci95_high"].to_numpy(dtype=float) - mean, nan=0.0)
        if len(others) == 1:
            label = f"{others[0]}={_fmt(key[0])}"
        else:  # values only; the legend title names the parameters
            label = ", ".join(_fmt(v) for v in key) or None
        style = {"marker": "o", "capsize": 3} if not many else {"marker": ".", "capsize": 2}
        ax.errorbar(x, mean, yerr=[lo, hi], label=label, linewidth=1.5 if not many else 1, **style)
    if not numeric:
        ax.set_xticks([pos[v] for v in xs], [_fmt(v) for v in xs])
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs {param} (mean, 95 % CI)")
    ax.grid(alpha=0.3)
    if others:
        title = None if len(others) == 1 else ", ".join(o.rsplit(".", 1)[-1] for o in others)
        if not many:
            ax.legend(fontsize="small", title=title, title_fontsize="small")
        else:  # beside the axes, in columns of at most 18 entries
            fig.legend(
                loc="outside right upper",
                fontsize="x-small",
                title=title,
                title_fontsize="x-small",
                ncols=int(np.ceil(n_groups / 18)),
            )
    return fig


def sweep_figures(source, *, params=None, metrics=None) -> dict[str, Figure]:
    """One :func:`sweep_figure` per swept parameter and metric, keyed by ``figure_name``."""
    summary, swept, metric_list = _summary_of(source, params, metrics)
    if metrics is not None:
        metric_list = list(metrics)
    figs = {}
    for param in swept:
        for metric in metric_list:
            sub = summary[summary["metric"] == metric]
            if sub.empty or not np.isfinite(sub["mean"].to_numpy(dtype=float)).any():
                continue  # undefined everywhere (all NaN): nothing to draw
            figs[figure_name(metric, param)] = sweep_figure(summary, param, metric, params=swept)
    return figs


def _band(values: np.ndarray) -> tuple[float, float, float]:
    s = metric_stats(values)
    return s["mean"], s["ci95_low"], s["ci95_high"]


def timeseries_figure(
    ts: pd.DataFrame, metric: str, labels: dict[int, str] | None = None
) -> Figure:
    """Monthly ``metric``: mean over replications with a 95 % CI band, one line per point.

    ``ts`` has the columns described in :data:`TIMESERIES_FILE`; ``labels`` maps a
    point index to its legend text (e.g. its swept parameters).
    """
    missing = {"point", "month", metric} - set(ts.columns)
    if missing:
        raise ValueError(f"time series lacks column(s) {', '.join(sorted(missing))}")
    fig = _new_figure(7.0, 4.2)
    ax = fig.add_subplot()
    for point, grp in ts.groupby("point", sort=True):
        rows = [(m, *_band(g[metric].to_numpy())) for m, g in grp.groupby("month", sort=True)]
        month, mean, lo, hi = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
        label = (labels or {}).get(int(point), f"point {int(point)}")
        (line,) = ax.plot(month, mean, label=label)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(month[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.2)
    ax.set_xlabel("month")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by month (mean, 95 % CI)")
    ax.grid(alpha=0.3)
    if ts["point"].nunique() > 1 or labels:
        ax.legend(fontsize="small")
    return fig


def timeseries_figures(ts: pd.DataFrame, labels: dict[int, str] | None = None) -> dict[str, Figure]:
    """One :func:`timeseries_figure` per metric column of ``ts``, keyed by ``figure_name``."""
    cols = [c for c in ts.columns if c not in ("point", "replication", "month")]
    figs = {}
    for c in cols:
        vals = pd.to_numeric(ts[c], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(vals).any():
            continue
        figs[figure_name("timeseries", c)] = timeseries_figure(ts, c, labels)
    return figs


def point_labels(points: list[dict]) -> dict[int, str]:
    """Legend text of each grid point from its swept parameters."""
    out = {}
    for i, params in enumerate(points):
        out[i] = ", ".join(f"{k}={_fmt(v)}" for k, v in params.items()) or "all runs"
    return out
