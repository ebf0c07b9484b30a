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
import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..batch import Results
from .figures import (
    TIMESERIES_FILE,
    figure_name,
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


def _summary_table(results: Results) -> str:
    summary = results.summary()
    if summary.empty:
        return '<p class="note">No finished task: nothing to summarise.</p>'
    params, metrics = results.params, results.metrics
    head = "".join(f"<th>{html.escape(p)}</th>" for p in ["point", *params])
    head += "".join(f"<th>{html.escape(m)}</th>" for m in metrics)
    rows = []
    for point, grp in summary.groupby("point", sort=True):
        first = grp.iloc[0]
        cells = [f'<td class="p">{int(point)}</td>']
        cells += [f'<td class="p">{html.escape(str(first[p]))}</td>' for p in params]
        by_metric = {r["metric"]: r for _, r in grp.iterrows()}
        for m in metrics:
            r = by_metric.get(m)
            if r is None:
                cells.append("<td>—</td>")
                continue
            cells.append(
                f"<td>{_num(r['mean'])} ± {_num(r['stderr'])}<br>"
                f"<small>[{_num(r['ci95_low'])}, {_num(r['ci95_high'])}] n={int(r['n'])}"
                "</small></td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table><thead><tr>"
        + head
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + "<p class=note>mean ± standard error; [95 % t-confidence interval]; n finite runs</p>"
    )


def _figure_block(figs: dict[str, Figure], fig_dir: Path | None) -> str:
    items = []
    for name, fig in figs.items():
        png = _png(fig)
        if fig_dir is not None:
            (fig_dir / f"{name}.png").write_bytes(png)
        b64 = base64.b64encode(png).decode("ascii")
        cap = html.escape(name.replace("__", " vs ", 1) if "__" in name else name)
        items.append(
            f'<figure><img alt="{cap}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{cap}</figcaption></figure>"
        )
    return '<div class="figs">' + "".join(items) + "</div>"


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

    parts.append("<h2>Metrics against swept parameters</h2>")
    figs = sweep_figures(results) if results.params and n_tasks else {}
    if figs:
        parts.append(
            '<p class="note">Mean over replications with 95 % confidence-interval error bars;'
            " one line per value of the other swept parameters.</p>"
        )
        for param in results.params:
            suffix = "__" + figure_name(param)
            mine = {k: f for k, f in figs.items() if k.endswith(suffix)}
            if mine:
                parts.append(f"<h3>against {esc(param)}</h3>")
                parts.append(_figure_block(mine, fig_dir))
    else:
        parts.append('<p class="note">No swept parameter (or no finished task): see the table.</p>')

    ts_path = d / TIMESERIES_FILE if d is not None else None
    if ts_path is not None and ts_path.exists():
        ts = pd.read_parquet(ts_path)
        parts.append("<h2>Monthly time series</h2>")
        parts.append(
            f'<p class="note">From {TIMESERIES_FILE}: mean over replications by month,'
            " 95 % confidence band, one line per grid point.</p>"
        )
        parts.append(_figure_block(timeseries_figures(ts, point_labels(results.points)), fig_dir))
    elif results.kind == "market":
        parts.append("<h2>Monthly time series</h2>")
        parts.append(f'<p class="note">No {TIMESERIES_FILE} in this folder.</p>')

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
