"""Figures of the design studies: paired differences (``compare``) and the optimize page.

* :func:`compare_figure` one panel per metric: each point's difference against its baseline
  with the 95 % interval, a line at zero;
* :func:`optimize_page` ``DIR/optimize.html`` of an ``optimize`` / ``calibrate`` folder: the
  trace (each trial's value and the best so far) and the objective against each parameter.
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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["compare_figure", "optimize_figures", "optimize_page"]


def _fig(w: float, h: float) -> Figure:
    fig = Figure(figsize=(w, h), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def compare_figure(doc: dict, metrics: list[str] | None = None) -> Figure:
    """Differences with 95 % intervals from a ``compare.json`` document."""
    comps = doc["comparisons"]
    names = metrics or list(comps[0]["metrics"]) if comps else []
    names = [
        m for m in names if any(c["metrics"].get(m, {}).get("diff") is not None for c in comps)
    ]
    cols = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    fig = _fig(4.2 * cols, 0.5 + 0.35 * max(2, len(comps)) * rows + 0.6 * rows)
    labels = [", ".join(f"{k}={v}" for k, v in c["params"].items()) for c in comps]
    how = "paired" if doc.get("paired") else "independent samples"
    for i, m in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        y = np.arange(len(comps))
        d = np.array([c["metrics"][m]["diff"] or np.nan for c in comps], dtype=float)
        lo = np.array([(c["metrics"][m]["ci95"][0] or np.nan) for c in comps], dtype=float)
        hi = np.array([(c["metrics"][m]["ci95"][1] or np.nan) for c in comps], dtype=float)
        ax.errorbar(d, y, xerr=[d - lo, hi - d], fmt="o", capsize=3, color="C0")
        ax.axvline(0.0, color="0.5", lw=0.8)
        ax.set_yticks(y, labels if i % cols == 0 else [""] * len(y), fontsize=7)
        ax.set_title(f"{m}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.invert_yaxis()
    base = ", ".join(f"{k}={v}" for k, v in doc["baseline"].items())
    fig.suptitle(
        f"{doc['scenario']}: difference against {base} (95 % CI, {how},"
        f" n={doc['replications']} reps)",
        fontsize=9,
    )
    return fig


def optimize_figures(trials: pd.DataFrame, objective: str, minimize: bool) -> dict[str, Figure]:
    search = trials[(trials["stage"] == "search") & (trials["state"] == "COMPLETE")]
    search = search.sort_values("number")
    figs: dict[str, Figure] = {}
    fig = _fig(6.4, 3.6)
    ax = fig.add_subplot()
    ax.plot(search["number"], search["value"], "o", ms=4, alpha=0.7, label="trial")
    run = search["value"].cummin() if minimize else search["value"].cummax()
    ax.step(search["number"], run, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.legend(fontsize=8)
    ax.set_title(f"trace ({len(search)} completed trials)", fontsize=9)
    figs["trace"] = fig
    conf = trials[trials["stage"] == "confirm"]
    for col in [c for c in trials.columns if c.startswith("params.")]:
        key = col[len("params.") :]
        fig = _fig(5.2, 3.6)
        ax = fig.add_subplot()
        x = search[col]
        numeric = pd.api.types.is_numeric_dtype(x)
        if numeric:
            ax.plot(x, search["value"], "o", ms=4, alpha=0.7, label="search")
            if len(conf):
                ax.plot(conf[col], conf["value"], "D", color="C3", ms=6, label="confirmed")
        else:
            cats = sorted({str(v) for v in x})
            pos = {c: i for i, c in enumerate(cats)}
            ax.plot([pos[str(v)] for v in x], search["value"], "o", ms=4, alpha=0.7)
            if len(conf):
                ax.plot([pos.get(str(v), np.nan) for v in conf[col]], conf["value"], "D",
                        color="C3", ms=6)  # fmt: skip
            ax.set_xticks(range(len(cats)), cats)
        ax.set_xlabel(key)
        ax.set_ylabel(objective)
        ax.set_title(f"{objective} against {key}", fontsize=9)
        if numeric:
            ax.legend(fontsize=8)
        figs[f"objective__{key}"] = fig
    return figs


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.6g}"


def _fitted_table(doc: dict) -> list[str]:
    """Calibrated parameters: value, curvature (delta-method) and bootstrap intervals."""
    boot = doc.get("bootstrap") or {}
    head = "<tr><th>parameter</th><th>fitted</th><th>se (curvature)</th>"
    head += "<th>95 % interval (curvature)</th>"
    if boot:
        head += f"<th>se (bootstrap)</th><th>95 % percentile interval ({boot['draws']} draws,"
        head += f" {boot['steps']} step{'s' if boot['steps'] > 1 else ''})</th>"
    rows = [head + "</tr>"]
    for k, v in doc["params"].items():
        ci = doc["ci95"].get(k) or [None, None]
        row = f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td>"
        row += f"<td>{_fmt(doc['stderr'].get(k))}</td><td>[{_fmt(ci[0])}, {_fmt(ci[1])}]</td>"
        if boot:
            bci = boot["ci95"].get(k) or [None, None]
            row += f"<td>{_fmt(boot['stderr'].get(k))}</td>"
            row += f"<td>[{_fmt(bci[0])}, {_fmt(bci[1])}]</td>"
        rows.append(row + "</tr>")
    return ["<h2>Fitted parameters</h2>", "<table border=1 cellpadding=4>", *rows, "</table>"]


def optimize_page(directory: str | Path) -> Path:
    """Write ``DIR/optimize.html`` (and ``DIR/figures/*.png``) of a search folder."""
    d = Path(directory)
    doc = json.loads((d / "optimize.json").read_text())
    trials = pd.read_parquet(d / "trials.parquet")
    minimize = doc["command"] == "calibrate" or doc.get("direction") == "minimize"
    objective = doc.get("objective", "distance")
    figs = optimize_figures(trials, objective, minimize)
    fig_dir = d / "figures"
    fig_dir.mkdir(exist_ok=True)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(doc['scenario'])} — {doc['command']}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "img{max-width:100%}pre{background:#f6f6f6;padding:1em}</style></head><body>",
        f"<h1>{esc(doc['scenario'])}: {doc['command']}</h1>",
        f"<p>{esc(', '.join(doc['space']))}; {doc['trials']} trials x {doc['reps']} reps,"
        f" confirmation with {doc['confirm_reps']} reps; seed {doc['seed']}.</p>",
    ]
    for name, fig in figs.items():
        png = _png(fig)
        (fig_dir / f"{name}.png").write_bytes(png)
        parts.append(
            f'<figure><img alt="{esc(name)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}"></figure>'
        )
    if doc["command"] == "calibrate":
        parts += _fitted_table(doc)
    parts.append("<h2>Summary</h2>")
    parts.append(f"<pre>{esc(json.dumps(doc, indent=1))}</pre>")
    parts.append("</body></html>")
    path = d / "optimize.html"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
