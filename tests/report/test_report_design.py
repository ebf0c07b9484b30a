"""What a designer sees (issue 20 item 5): units, clipped intervals, n, categories as points,
numeric positions kept, key figures first, the scenario as run."""

from __future__ import annotations

import numpy as np
import pandas as pd

import auction_sim as asim
from auction_sim.report import build_report, sweep_figure, timeseries_figure
from auction_sim.report.figures import group_figure


def _summary(rows):
    return pd.DataFrame(rows)


def _row(point, fmt, bidders, metric, mean, lo, hi, n=4):
    return {
        "point": point,
        "auction.format": fmt,
        "auction.bidders": bidders,
        "metric": metric,
        "mean": mean,
        "stderr": (hi - lo) / 4,
        "ci95_low": lo,
        "ci95_high": hi,
        "n": n,
    }


PARAMS = ["auction.format", "auction.bidders"]
ROWS = [
    _row(0, "first_price", 2, "sale_rate", 0.98, 0.90, 1.06),
    _row(1, "first_price", 5, "sale_rate", 0.50, 0.40, 0.60),
    _row(2, "second_price", 2, "sale_rate", 0.03, -0.05, 0.11),
    _row(3, "second_price", 5, "sale_rate", 0.60, 0.55, 0.65),
]


def _bars(container):
    segs = container.lines[2][0].get_segments()
    return [(s[0][1], s[1][1]) for s in segs], [s[0][0] for s in segs]


def test_intervals_are_clipped_to_the_metric_range_and_the_axis_has_its_unit():
    fig = sweep_figure(
        _summary(ROWS), "auction.bidders", "sale_rate", params=PARAMS, kind="auction"
    )
    ax = fig.axes[0]
    assert ax.get_ylabel() == "sale_rate (share)"
    assert "n = 4 runs per point" in ax.get_title()
    ends = [e for c in ax.containers for e in _bars(c)[0]]
    assert min(lo for lo, _ in ends) == 0.0 and max(hi for _, hi in ends) == 1.0
    # without a kind nothing is known about the range: the interval is drawn as computed
    raw = sweep_figure(_summary(ROWS), "auction.bidders", "sale_rate", params=PARAMS)
    ends = [e for c in raw.axes[0].containers for e in _bars(c)[0]]
    assert min(lo for lo, _ in ends) < 0 and max(hi for _, hi in ends) > 1


def test_numeric_positions_stay_true_and_categories_are_points_not_lines():
    fig = sweep_figure(
        _summary(ROWS), "auction.bidders", "sale_rate", params=PARAMS, kind="auction"
    )
    for c in fig.axes[0].containers:  # two series (formats) on a numeric axis: not dodged
        np.testing.assert_array_equal(c.lines[0].get_xdata(), [2.0, 5.0])
        assert c.lines[0].get_linestyle() == "-"
    cat = sweep_figure(_summary(ROWS), "auction.format", "sale_rate", params=PARAMS, kind="auction")
    xs = []
    for c in cat.axes[0].containers:
        assert c.lines[0].get_linestyle() == "None"  # not joined by lines
        xs.append(c.lines[0].get_xdata())
    assert not np.array_equal(xs[0], xs[1])  # dodged, around the category positions 0 and 1
    assert all(abs(x - round(x)) < 0.5 for arr in xs for x in arr)


def test_group_figure_draws_shares_together():
    rows = []
    for i, b in enumerate([2, 5]):
        for m, v in (("auction_share", 0.6), ("listing_share", 0.3), ("negotiation_share", 0.1)):
            rows.append({**_row(i, "x", b, m, v, v - 0.05, v + 0.05), "auction.format": "x"})
    fig = group_figure(
        _summary(rows),
        "auction.bidders",
        ["auction_share", "listing_share", "negotiation_share"],
        "method shares",
        params=PARAMS,
        kind="market",
    )
    ax = fig.axes[0]
    assert len(ax.containers) == 3 and ax.get_ylabel() == "method shares (share)"


def test_months_are_integers_and_the_band_is_clipped():
    rng = np.random.default_rng(1)
    ts = pd.DataFrame(
        [
            {"point": 0, "replication": r, "month": m, "deals": max(0, rng.normal(1, 3))}
            for r in range(3)
            for m in range(5)
        ]
    )
    fig = timeseries_figure(ts, "deals", kind="market")
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert all(float(t).is_integer() for t in ticks)
    assert ax.get_ylabel() == "deals (count)" and "n = 3 runs per line" in ax.get_title()
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() >= 0.0


def test_market_report_leads_with_key_figures_and_records_the_replications_run(tmp_path):
    out = tmp_path / "m"
    asim.run(
        "scenarios/policy_use_first.toml",
        replications=2,
        overrides={"market.horizon_days": 60},
        backend="serial",
        out=out,
    )
    page = build_report(out).read_text()
    key, rest = page.index("<h2>Key figures"), page.index("<h2>All metrics")
    assert key < rest < page.index("<h2>Summary")
    head = page[key:rest]
    for name in ("deal_rate", "days_to_deal", "price_to_value", "efficiency", "method_shares"):
        assert name in head
    assert "price_error by month" in head  # the price error over time is a key figure
    assert "events" not in head and "events" in page[rest:]
    scen = (out / "scenario.toml").read_text()
    assert "replications = 2" in scen and "replications = 2" in page
