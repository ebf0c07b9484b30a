"""Figures and an HTML report of a result folder (``auction-sim report DIR``).

Figure helpers for notebooks and scripts::

    from auction_sim.report import sweep_figure, sweep_figures, timeseries_figures
    fig = sweep_figure(asim.Results.load("out/"), "auction.bidders", "revenue")

``build_report(DIR)`` writes ``DIR/report.html`` (self-contained: PNGs embedded) and the
PNGs in ``DIR/figures/``.
"""

from .figures import (
    TIMESERIES_FILE,
    figure_name,
    point_labels,
    sweep_figure,
    sweep_figures,
    timeseries_figure,
    timeseries_figures,
)
from .html import REPORT_FILE, build_report, render_html

__all__ = [
    "REPORT_FILE",
    "TIMESERIES_FILE",
    "build_report",
    "figure_name",
    "point_labels",
    "render_html",
    "sweep_figure",
    "sweep_figures",
    "timeseries_figure",
    "timeseries_figures",
]
