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

import math
import re
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..batch.summary import metric_stats
from ..metrics import axis_label, bounds, lookup

__all__ = [
    "sweep_figure",
    "sweep_figures",
    "group_figure",
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


def _n_text(sub: pd.DataFrame) -> str:
    ns = sub["n"].to_numpy(dtype=float) if "n" in sub else np.array([])
    ns = ns[np.isfinite(ns)]
    if not ns.size:
        return ""
    lo, hi = int(ns.min()), int(ns.max())
    return f"n = {lo} run{'s' if hi != 1 else ''} per point" if lo == hi else f"n = {lo}-{hi} runs"


def _draw(ax, sub, param, pos, numeric, kind, metric, gi, n_groups, many, label, width):
    """One errorbar series: means at their true x (numeric), dodged only on a category axis."""
    sub = sub.sort_values(param, key=lambda s: s.map(pos))
    x = sub[param].map(pos).to_numpy(dtype=float)
    if not numeric and n_groups > 1:  # categories have no numeric meaning: spread them
        x = x + width * (gi - (n_groups - 1) / 2) / max(1, n_groups - 1)
    mean = sub["mean"].to_numpy(dtype=float)
    low, high = bounds(kind, metric)
    ci_lo = np.clip(sub["ci95_low"].to_numpy(dtype=float), low, high)
    ci_hi = np.clip(sub["ci95_high"].to_numpy(dtype=float), low, high)
    lo = np.maximum(np.nan_to_num(mean - ci_lo, nan=0.0), 0.0)
    hi = np.maximum(np.nan_to_num(ci_hi - mean, nan=0.0), 0.0)
    style = {"marker": "o", "capsize": 3} if not many else {"marker": ".", "capsize": 2}
    if not numeric:
        style["linestyle"] = "none"  # categories are not joined by lines
    ax.errorbar(x, mean, yerr=[lo, hi], label=label, linewidth=1.5 if not many else 1, **style)


def _axis(summary, param: str):
    xs = list(dict.fromkeys(summary[param]))  # sweep order (points are in grid order)
    numeric = all(_is_number(v) for v in xs)
    pos = {v: (float(v) if numeric else float(i)) for i, v in enumerate(xs)}
    width = (min(np.diff(sorted(pos.values()))) if len(xs) > 1 else 1.0) * 0.3
    return xs, numeric, pos, width


def sweep_figure(source, param: str, metric: str, *, params=None, kind=None) -> Figure:
    """``metric`` against the swept ``param`` with 95 % CI error bars.

    Parameters
    ----------
    source : Results or pandas.DataFrame
        A :class:`~auction_sim.batch.Results`, or its ``summary()`` table (then pass
        ``params``, the swept keys).
    param : str
        The swept dotted key on the x axis.  Numbers are placed on a numeric axis at
        their true values and joined by lines; anything else (e.g. ``auction.format``)
        on a categorical axis, in sweep order, as points (not joined), spread a little
        so that the series do not hide each other.
    metric : str
        Metric name on the y axis.
    kind : str, optional
        The scenario kind (taken from ``Results``): the axis shows the metric's unit and
        intervals are clipped to its range (shares to [0, 1], counts to >= 0).

    Returns
    -------
    matplotlib.figure.Figure
        One series per combination of the other swept parameters; the title gives n.
    """
    summary, swept, _ = _summary_of(source, params)
    kind = kind if kind is not None else getattr(source, "kind", None)
    if param not in swept:
        raise ValueError(f"{param!r} is not swept; swept: {', '.join(swept) or 'nothing'}")
    sub = summary[summary["metric"] == metric]
    if sub.empty:
        raise ValueError(f"no metric {metric!r} in the summary")
    others = [p for p in swept if p != param]
    xs, numeric, pos, width = _axis(sub, param)
    groups = list(sub.groupby(others, sort=False)) if others else [((), sub)]
    n_groups = len(groups)
    many = n_groups > LEGEND_INSIDE
    fig = _new_figure(11.0 if many else 6.4, 5.0 if many else 4.2)
    ax = fig.add_subplot()
    for gi, (key, grp) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        if len(others) == 1:
            label = f"{others[0]}={_fmt(key[0])}"
        else:  # values only; the legend title names the parameters
            label = ", ".join(_fmt(v) for v in key) or None
        _draw(ax, grp, param, pos, numeric, kind, metric, gi, n_groups, many, label, width)
    if not numeric:
        ax.set_xticks([pos[v] for v in xs], [_fmt(v) for v in xs])
        ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_xlabel(param)
    ax.set_ylabel(axis_label(kind, metric))
    n = _n_text(sub)
    ax.set_title(f"{metric} vs {param}\nmean, 95 % CI{'; ' + n if n else ''}", fontsize="medium")
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


def group_figure(source, param: str, metrics, title: str, *, params=None, kind=None) -> Figure:
    """Several metrics of one unit (e.g. the market's method shares) against ``param``.

    Only the first combination of the other swept parameters is drawn when there are any
    (the title says which); one series per metric.
    """
    summary, swept, _ = _summary_of(source, params)
    kind = kind if kind is not None else getattr(source, "kind", None)
    others = [p for p in swept if p != param]
    sub = summary[summary["metric"].isin(list(metrics))]
    fixed = ""
    if others:
        first = sub.iloc[0]
        for o in others:
            sub = sub[sub[o] == first[o]]
        fixed = ", ".join(f"{o}={_fmt(first[o])}" for o in others)
    xs, numeric, pos, width = _axis(sub, param)
    fig = _new_figure()
    ax = fig.add_subplot()
    for gi, m in enumerate(metrics):
        grp = sub[sub["metric"] == m]
        _draw(ax, grp, param, pos, numeric, kind, m, gi, len(metrics), False, m, width)
    if not numeric:
        ax.set_xticks([pos[v] for v in xs], [_fmt(v) for v in xs])
        ax.set_xlim(-0.5, len(xs) - 0.5)
    unit = lookup(kind, metrics[0]).unit if kind and lookup(kind, metrics[0]) else ""
    ax.set_xlabel(param)
    ax.set_ylabel(f"{title} ({unit})" if unit else title)
    n = _n_text(sub)
    extra = "; ".join(x for x in (n, fixed) if x)
    ax.set_title(
        f"{title} vs {param}\nmean, 95 % CI{'; ' + extra if extra else ''}", fontsize="medium"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def sweep_figures(source, *, params=None, metrics=None, kind=None) -> dict[str, Figure]:
    """One :func:`sweep_figure` per swept parameter and metric, keyed by ``figure_name``."""
    kind = kind if kind is not None else getattr(source, "kind", None)
    summary, swept, metric_list = _summary_of(source, params, metrics)
    if metrics is not None:
        metric_list = list(metrics)
    figs = {}
    for param in swept:
        for metric in metric_list:
            sub = summary[summary["metric"] == metric]
            if sub.empty or not np.isfinite(sub["mean"].to_numpy(dtype=float)).any():
                continue  # undefined everywhere (all NaN): nothing to draw
            figs[figure_name(metric, param)] = sweep_figure(
                summary, param, metric, params=swept, kind=kind
            )
    return figs


def _band(values: np.ndarray) -> tuple[float, float, float]:
    s = metric_stats(values)
    return s["mean"], s["ci95_low"], s["ci95_high"]


def timeseries_figure(
    ts: pd.DataFrame, metric: str, labels: dict[int, str] | None = None, kind: str | None = None
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
        label = re.sub(r"\b[a-z_]+\.(?=[a-z_]+=)", "", label)  # policy.x=1 -> x=1
        (line,) = ax.plot(month, mean, label=label)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            low, high = bounds(kind, metric)
            lo, hi = np.clip(lo, low, high), np.clip(hi, low, high)
            ax.fill_between(month[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.2)
    ax.set_xlabel("month")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(axis_label(kind, metric))
    reps = ts.groupby("point")["replication"].nunique() if "replication" in ts else None
    n = f"; n = {int(reps.min())} runs per line" if reps is not None and len(reps) else ""
    ax.set_title(f"{metric} by month\nmean, 95 % CI{n}", fontsize="medium")
    ax.grid(alpha=0.3)
    n_lines = ts["point"].nunique()
    if n_lines > 3:  # below the axes, so the lines stay visible
        fig.set_size_inches(7.0, 4.2 + 0.22 * math.ceil(n_lines / 2))
        fig.legend(loc="outside lower center", ncols=2, fontsize="x-small")
    elif n_lines > 1 or labels:
        ax.legend(fontsize="small")
    return fig


def timeseries_figures(
    ts: pd.DataFrame,
    labels: dict[int, str] | None = None,
    kind: str | None = None,
    columns=None,
) -> dict[str, Figure]:
    """One :func:`timeseries_figure` per metric column of ``ts`` (or of ``columns``)."""
    cols = [c for c in ts.columns if c not in ("point", "replication", "month")]
    if columns is not None:
        cols = [c for c in columns if c in cols]
    figs = {}
    for c in cols:
        vals = pd.to_numeric(ts[c], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(vals).any():
            continue
        figs[figure_name("timeseries", c)] = timeseries_figure(ts, c, labels, kind)
    return figs


def point_labels(points: list[dict]) -> dict[int, str]:
    """Legend text of each grid point from its swept parameters."""
    out = {}
    for i, params in enumerate(points):
        out[i] = ", ".join(f"{k}={_fmt(v)}" for k, v in params.items()) or "all runs"
    return out
