"""The human summary table of ``auction-sim run``: economics first, engine statistics apart.

Numbers are shown as ``mean ± stderr`` with the error to two significant figures and the
mean to the same decimal place; counts (``metrics.Metric.unit == "count"``) as integers;
a metric undefined at every point (NaN everywhere: a sealed auction's late bids) is left
out and named under the table.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .metrics import lookup

if TYPE_CHECKING:
    from rich.console import Console

    from .batch import Results

__all__ = ["fmt_estimate", "order_metrics", "print_summary"]


def _finite(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def fmt_estimate(mean: float | None, se: float | None = None, count: bool = False) -> str:
    """``mean ± se``: se to 2 significant figures, the mean to the same place."""
    if not _finite(mean):
        return "—"
    if _finite(se) and se <= 1e-10 * abs(mean):  # rounding noise of a constant: no error
        se = 0.0
    if not _finite(se) or se == 0:
        if count:
            return f"{round(mean):d}" + (" ± 0" if _finite(se) else "")
        return f"{mean:.4g}" + (" ± 0" if _finite(se) else "")
    place = math.floor(math.log10(abs(se))) - 1  # the 2nd significant figure of se
    if count:
        place = max(place, 0)
    decimals = max(0, -place)
    m = round(mean, -place)
    e = round(se, -place)
    if abs(m) >= 1e7 or (m != 0 and abs(m) < 1e-4):
        return f"{mean:.3e} ± {se:.1e}"
    return f"{m:.{decimals}f} ± {e:.{decimals}f}"


def order_metrics(
    kind: str, metrics: list[str], data: dict
) -> tuple[list[str], list[str], list[str]]:
    """(economic, engine, undefined) metric names: undefined = NaN at every point."""

    def defined(m: str) -> bool:
        return any(_finite(pt["metrics"][m]["mean"]) for pt in data["points"])

    economic, engine, undefined = [], [], []
    for m in metrics:
        if not defined(m):
            undefined.append(m)
            continue
        entry = lookup(kind, m)
        (engine if entry is not None and entry.engine else economic).append(m)
    return economic, engine, undefined


def print_summary(results: Results, console: Console) -> None:
    """Wide table (one row per point) when it fits; long (one row per point and metric) else."""
    from rich.table import Table

    data = results.to_json_dict()
    kind = data["kind"]
    economic, engine, undefined = order_metrics(kind, list(results.metrics), data)
    shown = economic + engine
    title = (
        f"{data['scenario']} ({kind}, seed {data['seed']},"
        f" {data['replications']} replications; mean ± stderr)"
    )
    wide = len(results.params) + len(shown) <= 9
    table = Table(title=title)
    for p in results.params:
        table.add_column(p)

    def cell(stats: dict, m: str) -> str:
        entry = lookup(kind, m)
        return fmt_estimate(stats[m]["mean"], stats[m]["stderr"], bool(entry and entry.count))

    if wide:
        for m in shown:
            table.add_column(m + (" (engine)" if m in engine else ""), justify="right")
    else:
        table.add_column("metric")
        table.add_column("mean ± stderr", justify="right")
    for i, pt in enumerate(data["points"]):
        cells = [str(pt["params"][p]) for p in results.params]
        stats = pt["metrics"]
        if wide:
            table.add_row(*cells, *(cell(stats, m) for m in shown))
            continue
        for k, m in enumerate(shown):
            table.add_row(
                *(cells if k == 0 else [""] * len(cells)),
                "engine: " + m if m in engine else m,
                cell(stats, m),
                end_section=k == len(shown) - 1 and i < len(data["points"]) - 1,
            )
    console.print(table)
    if undefined:
        console.print(
            f"not defined in this run (NaN everywhere): {', '.join(undefined)}",
            markup=False,
            highlight=False,
        )
