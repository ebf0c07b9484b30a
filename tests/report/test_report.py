"""``auction-sim report DIR``: figures per swept parameter and metric, one self-contained page."""

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import auction_sim as asim
from auction_sim import cli
from auction_sim.metrics import GROUPS
from auction_sim.report import (
    TIMESERIES_FILE,
    build_report,
    sweep_figure,
    sweep_figures,
    timeseries_figures,
)
from test_scenario_catalogue import SCENARIOS  # tests/ is on sys.path (conftest)

PARAMS = ["auction.format", "auction.bidders"]


def _drawn_metrics(run_dir):
    """Metrics with at least one finite mean (all-NaN metrics get no figure)."""
    summ = asim.Results.load(run_dir).summary()
    finite = summ.groupby("metric", sort=False)["mean"].apply(lambda s: s.notna().any())
    return [m for m, ok in finite.items() if ok]


def test_one_png_per_swept_parameter_and_metric(run_dir, report_page):
    metrics = _drawn_metrics(run_dir)
    assert {"revenue", "efficiency", "sale_rate", "bidder_surplus", "price_to_value"} <= set(
        metrics
    )
    names = sorted(p.name for p in (run_dir / "figures").glob("*.png"))
    assert names == sorted(f"{m}__{p}.png" for m in metrics for p in PARAMS)
    for p in (run_dir / "figures").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_page_is_self_contained_with_figures_table_and_scenario(run_dir, report_page):
    page = report_page.read_text()
    assert report_page == run_dir / "report.html"
    imgs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    metrics = _drawn_metrics(run_dir)
    assert len(imgs) == len(metrics) * len(PARAMS)
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    png = base64.b64decode(imgs[0].split(",", 1)[1])
    assert png[:4] == b"\x89PNG"
    # Nothing is fetched from elsewhere: no external src/href, no script.
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "<script" not in page
    # The summary table: one row per defined metric, one column per point, at most 6 points
    # a table (8 points: two tables); undefined metrics named, not shown as "— ± —".
    assert page.count("<tr>") == 2 * (1 + len(metrics))
    assert all(f"<th>point {i}<br>" in page for i in range(8))
    assert all(m in page for m in metrics)
    assert "— ± —" not in page and "not defined in this run" in page
    assert "[sweep]" in page and "revenue_equivalence" in page
    assert "auction.auctions = 2000" in page or "auctions = 2000" in page


def test_figure_has_one_line_per_other_swept_value_and_ci_bars(run_dir):
    res = asim.Results.load(run_dir)
    fig = sweep_figure(res, "auction.bidders", "revenue")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "auction.bidders" and ax.get_ylabel() == "revenue (currency)"
    assert "n = 3 runs per point" in ax.get_title()
    assert len(ax.containers) == 2  # first_price and second_price, each an errorbar
    summ = res.summary()
    fp = summ[(summ["metric"] == "revenue") & (summ["auction.format"] == "first_price")]
    line = ax.containers[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), fp["mean"].to_numpy())
    segs = ax.containers[0].lines[2][0].get_segments()  # the CI bars
    np.testing.assert_allclose([s[0][1] for s in segs], fp["ci95_low"].to_numpy())
    np.testing.assert_allclose([s[1][1] for s in segs], fp["ci95_high"].to_numpy())
    # A categorical parameter: one line per bidder count, ticks named by format.
    fig2 = sweep_figure(res, "auction.format", "revenue")
    assert len(fig2.axes[0].containers) == 4
    assert [t.get_text() for t in fig2.axes[0].get_xticklabels()] == ["first_price", "second_price"]
    with pytest.raises(ValueError, match="not swept"):
        sweep_figure(res, "auction.reserve", "revenue")
    assert set(sweep_figures(res)) == {f"{m}__{p}" for m in _drawn_metrics(run_dir) for p in PARAMS}


def test_timeseries_section_from_the_optional_parquet(run_dir, tmp_path):
    import shutil

    d = tmp_path / "r"
    shutil.copytree(run_dir, d, ignore=shutil.ignore_patterns("figures", "report.html"))
    rng = np.random.default_rng(0)
    rows = [
        {"point": p, "replication": r, "month": m, "deals": rng.poisson(10 + m), "volume": 1.0}
        for p in range(8)
        for r in range(3)
        for m in range(12)
    ]
    pd.DataFrame(rows).to_parquet(d / TIMESERIES_FILE)
    page = build_report(d).read_text()
    assert "Monthly time series" in page
    assert (d / "figures" / "timeseries__deals.png").exists()
    assert (d / "figures" / "timeseries__volume.png").exists()
    figs = timeseries_figures(pd.DataFrame(rows))
    assert len(figs["timeseries__deals"].axes[0].lines) == 8  # one line per point


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_report_builds_for_every_bundled_scenario(path, tmp_path, monkeypatch):
    """Every kind's grid and metrics, through the real runner and store.

    The simulation itself is replaced by seeded random metrics (one NaN-only metric
    included), so this checks the report for each kind's shape in milliseconds; the
    scenarios' own runs are tested by the scenario catalogue.
    """
    from types import SimpleNamespace

    from auction_sim.batch import tasks as batch_tasks
    from auction_sim.scenario import metrics_for

    # One swept parameter (the others pinned to their first value) keeps it quick.
    full = asim.load_scenario(path)
    pins = [f"{k}={json.dumps(v[0])}" for k, v in list(full.sweep.items())[1:]]
    scenario = asim.load_scenario(path, pins)
    metrics = metrics_for(scenario.kind)

    def run_point(scen, seed):
        rng = np.random.default_rng(seed)
        vals = {m: float(rng.normal()) for m in metrics}
        vals[metrics[-1]] = float("nan")  # a metric undefined everywhere
        return vals

    monkeypatch.setattr(
        batch_tasks, "experiment_for", lambda kind: SimpleNamespace(run_point=run_point)
    )
    asim.run(scenario, replications=2, backend="serial", out=tmp_path)
    page = build_report(tmp_path).read_text()
    assert "Summary" in page and "Scenario as run" in page
    n_figs = len(list((tmp_path / "figures").glob("*.png")))
    groups = [g for g in GROUPS.get(scenario.kind, {}).values() if set(g) <= set(metrics)]
    assert n_figs == len(scenario.sweep) * (len(metrics) - 1 + len(groups))
    assert page.count("<img ") == n_figs


def test_report_without_sweep_and_with_failures(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(
        'kind = "auction"\nname = "single"\nreplications = 2\n[auction]\nauctions = 500\n'
    )
    asim.run(toml, backend="serial", out=tmp_path / "o")
    (tmp_path / "o" / "failures.jsonl").write_text(
        '{"point": 0, "replication": 2, "error": "ValueError: <boom>\\nTraceback ..."}\n'
    )
    page = build_report(tmp_path / "o").read_text()
    # a run without a sweep leads with a headline table of the key metrics (5 for auction),
    # then the summary table (the 6 metrics defined for a sealed auction)
    assert "No swept parameter" in page and page.count("<tr>") == (1 + 5) + (1 + 6)
    assert page.index('class="headline"') < page.index("<h2>Summary")
    assert "Failed tasks" in page and "ValueError: &lt;boom&gt;" in page


def test_cli_report(run_dir, tmp_path, capsys):
    target = tmp_path / "page.html"
    assert cli.main(["report", str(run_dir), "--out", str(target)]) == 0
    assert target.exists() and str(target) in capsys.readouterr().out
    assert cli.main(["report", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
