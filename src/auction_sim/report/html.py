"""One self-contained HTML page for a result folder (``auction-sim report DIR``).

The page holds, with no external file, script or font:

* the run's header (scenario name, kind, seed, replications, tasks, failures);
* one figure per swept parameter and metric (PNG, base64-embedded) — the same PNGs are
  written to ``DIR/figures/``;
* for a folder with ``DIR/timeseries.parquet`` (the market kind writes it; columns in
  :data:`~auction_sim.report.figures.TIMESERIES_FILE`), a monthly time-series section;
* the summary table (mean ± stderr, 95 % CI, n per point and metric);
* the failed tasks, if any;
* the scenario as run (``DIR/scenario.toml``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..batch import Results
from ..metrics import GROUPS, KEY, KEY_SERIES, bounds, lookup
from ..table import fmt_estimate
from .figures import (
    TIMESERIES_FILE,
    figure_name,
    group_figure,
    point_labels,
    sweep_figures,
    timeseries_figures,
)

__all__ = ["build_report", "render_html", "REPORT_FILE"]

REPORT_FILE = "report.html"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #1a1a1a; background: #fff; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; } .note { color: #666; font-style: italic; }
.figs { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; flex: 0 1 520px; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .85rem; color: #555; text-align: center; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th { background: #f4f4f4; } td.p { text-align: left; }
small { color: #777; }
pre { background: #f7f7f7; padding: 1rem; overflow-x: auto; border: 1px solid #eee; }
.fail { color: #a00; }
.scroll { overflow-x: auto; max-width: 100%; }
figure img { max-width: 100%; }
"""


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _num(x) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return html.escape(str(x))
    return "—" if not math.isfinite(x) else f"{x:.4g}"


POINTS_PER_TABLE = 5
"""Grid points per summary table: more points are split over several tables (page width)."""


def _summary_table(results: Results) -> str:
    """One row per metric (with its unit), one column per grid point; metrics undefined
    at every point are left out and named below the table."""
    summary = results.summary()
    if summary.empty:
        return '<p class="note">No finished task: nothing to summarise.</p>'
    params, kind = results.params, results.kind
    defined = summary.groupby("metric", sort=False)["mean"].apply(lambda s: s.notna().any())
    undefined = [m for m in results.metrics if not defined.get(m, False)]
    shown = [m for m in results.metrics if defined.get(m, False)]
    economic = [m for m in shown if not ((e := lookup(kind, m)) and e.engine)]
    engine = [m for m in shown if m not in economic]
    points = sorted(summary["point"].unique())
    by = {(int(r["point"]), r["metric"]): r for _, r in summary.iterrows()}
    first = {int(p): grp.iloc[0] for p, grp in summary.groupby("point", sort=True)}
    out = []
    for start in range(0, len(points), POINTS_PER_TABLE):
        chunk = [int(p) for p in points[start : start + POINTS_PER_TABLE]]
        head = "<th>metric</th>" + "".join(
            f"<th>point {p}<br><small>"
            + "<br>".join(html.escape(f"{k}={first[p][k]}") for k in params)
            + "</small></th>"
            for p in chunk
        )
        rows = []
        for m in economic + engine:
            entry = lookup(kind, m)
            unit = f" <small>({html.escape(entry.unit)})</small>" if entry else ""
            tag = " <small>engine</small>" if m in engine else ""
            cells = [f'<td class="p">{html.escape(m)}{unit}{tag}</td>']
            for p in chunk:
                r = by.get((p, m))
                if r is None or not math.isfinite(float(r["mean"])):
                    cells.append("<td>—</td>")
                    continue
                lo, hi = np.clip([r["ci95_low"], r["ci95_high"]], *bounds(kind, m))
                cells.append(
                    f"<td>{fmt_estimate(r['mean'], r['stderr'], bool(entry and entry.count))}"
                    f"<br><small>[{_num(lo)}, {_num(hi)}] n={int(r['n'])}</small></td>"
                )
            rows.append("<tr>" + "".join(cells) + "</tr>")
        out.append(
            '<div class="scroll"><table><thead><tr>'
            + head
            + "</tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></div>"
        )
    note = (
        "mean ± standard error; [95 % t-confidence interval, clipped to the metric's range];"
        " n finite runs"
    )
    if undefined:
        note += "; not defined in this run (NaN everywhere): " + ", ".join(undefined)
    return "".join(out) + f'<p class="note">{html.escape(note)}</p>'


def _figure_block(figs: dict[str, Figure], fig_dir: Path | None) -> str:
    items = []
    for name, fig in figs.items():
        png = _png(fig)
        if fig_dir is not None:
            (fig_dir / f"{name}.png").write_bytes(png)
        b64 = base64.b64encode(png).decode("ascii")
        if name.startswith("timeseries__"):
            cap = html.escape(name.split("__", 1)[1] + " by month")
        else:
            cap = html.escape(name.replace("__", " vs ", 1) if "__" in name else name)
        items.append(
            f'<figure><img alt="{cap}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{cap}</figcaption></figure>"
        )
    return '<div class="figs">' + "".join(items) + "</div>"


def _headline(results: Results, key: list[str]) -> str:
    """The key metrics of a run without a sweep: value ± stderr, 95 % CI, unit."""
    summary = results.summary()
    rows = []
    for m in key:
        r = summary[summary["metric"] == m]
        if r.empty or not math.isfinite(float(r.iloc[0]["mean"])):
            continue
        r = r.iloc[0]
        entry = lookup(results.kind, m)
        lo, hi = np.clip([r["ci95_low"], r["ci95_high"]], *bounds(results.kind, m))
        rows.append(
            f'<tr><td class="p">{html.escape(m)}</td>'
            f"<td>{fmt_estimate(r['mean'], r['stderr'], bool(entry and entry.count))}</td>"
            f"<td>[{_num(lo)}, {_num(hi)}]</td>"
            f"<td>{html.escape(entry.unit if entry else '')}</td><td>{int(r['n'])}</td></tr>"
        )
    if not rows:
        return ""
    return (
        '<table class="headline"><thead><tr><th>metric</th><th>mean ± stderr</th>'
        "<th>95 % CI</th><th>unit</th><th>n</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def render_html(results: Results, directory: Path | None = None, save_figures: bool = True) -> str:
    """The report page of ``results`` as a string (PNGs go to ``directory/figures``)."""
    d = Path(directory) if directory is not None else results.directory
    fig_dir = None
    if save_figures and d is not None:
        fig_dir = d / "figures"
        fig_dir.mkdir(parents=True, exist_ok=True)
        for old in fig_dir.glob("*.png"):
            old.unlink()
    esc = html.escape
    n_tasks = len(results.runs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request
        f"<title>{esc(results.name)} — auction_sim report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(results.name)}</h1>",
        f'<p class="meta">kind <b>{esc(results.kind)}</b> · seed {results.seed} · '
        f"{results.replications} replication(s) per point · {len(results.points)} grid "
        f"point(s) · {n_tasks} finished task(s)"
        + (
            f' · <span class="fail">{len(results.failures)} failed</span>'
            if results.failures
            else ""
        )
        + "</p>",
    ]

    ts_path = d / TIMESERIES_FILE if d is not None else None
    ts = pd.read_parquet(ts_path) if ts_path is not None and ts_path.exists() else None
    labels = point_labels(results.points)
    key = [m for m in KEY.get(results.kind, ()) if m in results.metrics]
    key_series = KEY_SERIES.get(results.kind, ())
    figs = sweep_figures(results) if results.params and n_tasks else {}

    parts.append("<h2>Key figures</h2>")
    if figs:
        parts.append(
            '<p class="note">Mean over replications with 95 % confidence intervals (clipped to'
            " each metric's range); one series per value of the other swept parameters.</p>"
        )
        for param in results.params:
            suffix = "__" + figure_name(param)
            mine = {f"{m}{suffix}": figs[f"{m}{suffix}"] for m in key if f"{m}{suffix}" in figs}
            for name, group in GROUPS.get(results.kind, {}).items():
                if all(m in results.metrics for m in group):
                    mine[figure_name(name, param)] = group_figure(
                        results, param, list(group), name.replace("_", " ")
                    )
            if mine:
                parts.append(f"<h3>against {esc(param)}</h3>")
                parts.append(_figure_block(mine, fig_dir))
    elif n_tasks:
        parts.append(_headline(results, key))
    if ts is not None and key_series:
        parts.append(
            _figure_block(timeseries_figures(ts, labels, results.kind, columns=key_series), fig_dir)
        )

    rest = {k: f for k, f in figs.items() if k.split("__", 1)[0] not in key}
    parts.append("<h2>All metrics</h2>")
    if rest:
        for param in results.params:
            suffix = "__" + figure_name(param)
            mine = {k: f for k, f in rest.items() if k.endswith(suffix)}
            if mine:
                parts.append(f"<h3>against {esc(param)}</h3>")
                parts.append(_figure_block(mine, fig_dir))
    elif not figs:
        parts.append('<p class="note">No swept parameter (or no finished task): see the table.</p>')
    if ts is not None:
        others = [c for c in ts.columns if c not in ("point", "replication", "month", *key_series)]
        parts.append("<h3>Monthly time series</h3>")
        parts.append(
            f'<p class="note">From {TIMESERIES_FILE}: mean over replications by month,'
            " 95 % confidence band, one line per grid point.</p>"
        )
        parts.append(
            _figure_block(timeseries_figures(ts, labels, results.kind, columns=others), fig_dir)
        )
    elif results.kind == "market":
        parts.append("<h3>Monthly time series</h3>")
        parts.append(f'<p class="note">No {TIMESERIES_FILE} in this folder.</p>')

    cmp_path = d / "compare.json" if d is not None else None
    if cmp_path is not None and cmp_path.exists():  # written by `auction-sim compare DIR`
        from .design import compare_figure

        doc = json.loads(cmp_path.read_text())
        if doc.get("comparisons"):
            parts.append("<h2>Paired differences</h2>")
            parts.append(
                f'<p class="note">From compare.json: each point minus its baseline'
                f" ({esc(', '.join(f'{k}={v}' for k, v in doc['baseline'].items()))}),"
                f" 95 % intervals, {esc(doc['statistics'])}.</p>"
            )
            key_m = [m for m in key if m in results.metrics] or None
            parts.append(_figure_block({"compare": compare_figure(doc, key_m)}, fig_dir))
    parts.append("<h2>Summary</h2>")
    parts.append(_summary_table(results))

    if results.failures:
        parts.append("<h2>Failed tasks</h2><ul>")
        for f in results.failures:
            first = (f.get("error") or "").splitlines()[0] if f.get("error") else ""
            parts.append(
                f"<li>point {f['point']} replication {f['replication']}: "
                f"<code>{esc(first)}</code></li>"
            )
        parts.append("</ul>")

    scen = d / "scenario.toml" if d is not None else None
    if scen is not None and scen.exists():
        parts.append("<h2>Scenario as run</h2>")
        parts.append(f"<pre>{esc(scen.read_text())}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_report(directory: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of a result folder; returns the HTML path.

    Parameters
    ----------
    directory : path
        A folder written by ``auction-sim run --out DIR`` (``runs.parquet`` and
        ``scenario.toml`` are needed).
    out : path, optional
        Where to write the page; default ``DIR/report.html``.  PNGs go to ``DIR/figures/``.
    """
    d = Path(directory)
    results = Results.load(d)
    page = render_html(results, d)
    target = Path(out) if out is not None else d / REPORT_FILE
    target.write_text(page, encoding="utf-8")
    return target
