"""Write the notebooks of this folder (without outputs) from the cell lists below.

Usage: ``python notebooks/build.py`` (writes ``notebooks/*.ipynb``) or
``python notebooks/build.py --check`` (exit 1 when a committed notebook differs from
what this script writes).  Edit the cells here, not in Jupyter, and run the script;
``tests/test_notebooks.py`` executes every notebook with nbclient and checks that the
committed files match this script.

The notebooks use only the public API (``auction_sim.run``, ``load_scenario``,
``Results``, ``auction_sim.report`` figures) with small
sizes set through overrides, so each runs in well under a minute.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

ROOT_LINE = """
# the repository root, whether Jupyter was started in notebooks/ or at the root
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()"""


def setup(*imports: str) -> str:
    """The first code cell: inline figures, sorted imports, ``ROOT``."""
    return "%matplotlib inline\n" + "\n".join(imports) + "\n" + ROOT_LINE


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


AUCTION_FORMATS = [
    md("""
# Auction formats: revenue equivalence and where it breaks

With independent private values, risk-neutral bidders and the symmetric equilibrium, every
standard format earns the seller the same expected revenue: the expected second-highest
value, $(n-1)/(n+1)$ for $n$ bidders with values uniform on $[0, 1]$.  This notebook runs
the `auction` kind through `auction_sim.run` and draws the measured means (95 % confidence
intervals) against the theory curves, then breaks the theorem's assumptions one at a time:
a reserve price, common values, and snipers under a hard close.

Sizes are small (a few thousand auctions per replication) so the notebook runs in seconds;
raise `auctions` and `replications` for tighter intervals.
"""),
    code(
        setup(
            "from pathlib import Path\n",
            "import numpy as np\n",
            "import auction_sim as asim",
            "from auction_sim.report import sweep_figure",
            "from auction_sim.scenario import scenario_from_dict",
        )
    ),
    md("""
## 1. Four formats, one revenue

First and second price (sealed), English (ascending clock) and Dutch (descending clock),
each bidder playing the format's equilibrium.  The clock formats move in steps of
`auction.increment` (0.01), so their prices sit within about one step of the sealed ones.
"""),
    code("""
formats = {
    "kind": "auction",
    "name": "formats",
    "seed": 1,
    "replications": 4,
    "auction": {"auctions": 2000, "values": {"dist": "uniform", "low": 0.0, "high": 1.0}},
    "strategy": {"kind": "equilibrium"},
    "sweep": {
        "auction.format": ["first_price", "second_price", "english", "dutch"],
        "auction.bidders": [2, 3, 5, 8],
    },
}
res = asim.run(scenario_from_dict(formats), backend="serial")
summary = res.summary()
summary[summary["metric"] == "revenue"].pivot(
    index="auction.bidders", columns="auction.format", values="mean"
)
"""),
    code("""
fig = sweep_figure(res, "auction.bidders", "revenue")
n = np.linspace(2, 8, 61)
fig.axes[0].plot(n, (n - 1) / (n + 1), "k--", lw=1, label="theory (n-1)/(n+1)")
fig.axes[0].legend(fontsize="small")
fig
"""),
    md("""
## 2. A reserve price

A public reserve $r$ changes revenue in the same way in every format (revenue equivalence
still holds), but now the seller gains from it: with $n$ uniform bidders the expected
revenue is $(n-1)/(n+1) + r^n - 2n\\,r^{n+1}/(n+1)$ (Myerson), highest at $r = 1/2$
whatever $n$.  The price of the reserve is efficiency: the item stays unsold when every
value is below $r$, so efficiency falls to $1 - r^{n+1}$.
"""),
    code("""
reserve = {
    "kind": "auction",
    "name": "reserve",
    "seed": 2,
    "replications": 4,
    "auction": {"auctions": 2000, "bidders": 3},
    "strategy": {"kind": "equilibrium"},
    "sweep": {
        "auction.format": ["first_price", "second_price"],
        "auction.reserve": [0.0, 0.2, 0.4, 0.5, 0.6, 0.8],
    },
}
res = asim.run(scenario_from_dict(reserve), backend="serial")
r, n = np.linspace(0, 0.8, 81), 3
fig = sweep_figure(res, "auction.reserve", "revenue")
fig.axes[0].plot(
    r,
    (n - 1) / (n + 1) + r**n - 2 * n * r ** (n + 1) / (n + 1),
    "k--",
    lw=1,
    label="theory (Myerson)",
)
fig.axes[0].legend(fontsize="small")
fig
"""),
    code("""
fig = sweep_figure(res, "auction.reserve", "efficiency")
fig.axes[0].plot(r, 1 - r ** (n + 1), "k--", lw=1, label="theory 1 - r^(n+1)")
fig.axes[0].legend(fontsize="small")
fig
"""),
    md("""
## 3. Common values: the winner's curse

Under `value_model = "common"` the item is worth the same $C$ to everyone and each bidder
sees an unbiased signal $C + (1-w)(X - 1/2)$, with $w$ = `common_share`.  Bidders who bid
their signal (`strategy.kind = "truthful"`) ignore that winning means having the highest
signal: the winner pays more than the item is worth on average.  The `winner_curse` metric
(price minus the winner's true value) is $(1-w)\\,(E[X_{(k)}] - 1/2)$ where $X_{(k)}$ is the
order statistic that sets the price: the highest, $n/(n+1)$, in first price and the second
highest, $(n-1)/(n+1)$, in second price.  Naive first-price bidders lose twice as much.
"""),
    code("""
common = {
    "kind": "auction",
    "name": "common_values",
    "seed": 3,
    "replications": 4,
    "auction": {"auctions": 2000, "bidders": 5, "value_model": "common"},
    "strategy": {"kind": "truthful"},
    "sweep": {
        "auction.format": ["first_price", "second_price"],
        "auction.common_share": [0.0, 0.25, 0.5, 0.75, 1.0],
    },
}
res = asim.run(scenario_from_dict(common), backend="serial")
w, n = np.linspace(0, 1, 11), 5
fig = sweep_figure(res, "auction.common_share", "winner_curse")
ax = fig.axes[0]
ax.plot(w, (1 - w) * (n / (n + 1) - 0.5), "k--", lw=1, label="theory, first price")
ax.plot(w, (1 - w) * ((n - 1) / (n + 1) - 0.5), "k:", lw=1, label="theory, second price")
ax.legend(fontsize="small")
fig
"""),
    md("""
## 4. Snipers under a hard close

A timed online English auction (`duration` 7 days, proxy bidding) with two kinds of
bidders: incremental bidders raise by the minimum whenever they are outbid (after a short
reaction delay), snipers bid their value in the last moments.  Under a **hard close** an
incremental bidder who is sniped has no time to answer: the price stops short and the item
may go to a lower value, so revenue and efficiency fall below the revenue-equivalence line
$(n-1)/(n+1)$.  A **soft close** (a bid in the closing window extends the end) gives
everyone time to answer and restores it.  With only snipers (share 1) everyone bids the
value at once: a second-price auction again.
"""),
    code("""
sniping = {
    "kind": "auction",
    "name": "sniping",
    "seed": 4,
    "replications": 4,
    "auction": {"auctions": 1000, "bidders": 5, "format": "english", "duration": 7.0},
    "strategy": {"kind": "sniper"},
    "sweep": {
        "auction.soft_close": [False, True],
        "strategy.sniper_share": [0.0, 0.25, 0.5, 0.75, 1.0],
    },
}
res = asim.run(scenario_from_dict(sniping), backend="serial")
n = 5
fig = sweep_figure(res, "strategy.sniper_share", "revenue")
fig.axes[0].axhline((n - 1) / (n + 1), color="k", ls="--", lw=1, label="theory (n-1)/(n+1)")
fig.axes[0].legend(fontsize="small")
fig
"""),
    code("""
sweep_figure(res, "strategy.sniper_share", "efficiency")
"""),
    code("""
summary = res.summary()
summary[summary["metric"].isin(["late_bid_share", "extensions"])].pivot(
    index="strategy.sniper_share", columns=["metric", "auction.soft_close"], values="mean"
)
"""),
]

PRICE_DISCOVERY = [
    md("""
# Price discovery: peer review and price inquiry

The platform prices achievements that have no market history from review panels (experts
with personal biases and precisions, more precise in their own field) and shaded price
quotes from interested firms (DESIGN §6).  The `pricing` kind compares the **joint**
estimator (reviewer biases and precisions fitted together with the values, calibrated on
completed deals) with two baselines, the calibrated **mean score** and the calibrated
**median quote**, and with the **oracle**: the exact posterior that knows the true
parameters.  `rmse_log` is the error of the estimated log value, `coverage90` the share of
true values inside the 90 % interval.

The grid is `scenarios/peer_review_pricing.toml` at a small size (5 000 achievements and
300 reviewers instead of 100 000 and 2 000), so the intervals are wide.
"""),
    code(
        setup(
            "from pathlib import Path\n",
            "import auction_sim as asim",
            "from auction_sim.report import sweep_figure",
            "from auction_sim.scenario import scenario_from_dict",
        )
    ),
    code("""
small = {"pricing.achievements": 5000, "pricing.reviewers": 300, "replications": 3}
scenario = asim.load_scenario(ROOT / "scenarios" / "peer_review_pricing.toml")
res = asim.run(scenario, overrides=small, backend="serial")
summary = res.summary()
res.params
"""),
    md("""
## 1. Accuracy against panel size

Same-field share 0.6.  The joint estimator follows the oracle at every panel size; the
mean score is poor with small panels because one reviewer's bias is not averaged out, and
the median quote cannot get better than the quote noise and shading allow.
"""),
    code("""
by_panel = summary[summary["pricing.same_field_share"] == 0.6]
fig = sweep_figure(
    by_panel, "pricing.panel", "rmse_log", params=["pricing.panel", "pricing.estimator"]
)
oracle = by_panel[
    (by_panel["metric"] == "oracle_rmse_log") & (by_panel["pricing.estimator"] == "joint")
]
ax = fig.axes[0]
ax.plot(oracle["pricing.panel"], oracle["mean"], "k--", lw=1, label="oracle")
ax.set_yscale("log")
ax.legend(fontsize="small")
fig
"""),
    md("""
## 2. Coverage of the 90 % interval

The joint estimator's intervals are calibrated (near 0.90, dashed) at every panel size.
"""),
    code("""
fig = sweep_figure(
    by_panel, "pricing.panel", "coverage90", params=["pricing.panel", "pricing.estimator"]
)
fig.axes[0].axhline(0.9, color="k", ls="--", lw=1)
fig
"""),
    md("""
## 3. Same-field reviewers

Panels of 5.  Same-field ("vertical") reviewers are more precise; the joint estimator
learns each reviewer's precision and gains most from them.
"""),
    code("""
by_share = summary[summary["pricing.panel"] == 5]
fig = sweep_figure(
    by_share,
    "pricing.same_field_share",
    "rmse_log",
    params=["pricing.same_field_share", "pricing.estimator"],
)
fig.axes[0].set_yscale("log")
fig
"""),
    md("""
## 4. Shaded quotes

Firms understate value in their quotes by `shading` on average.  The joint estimator
estimates the shading from completed deals (`shading_hat`, against the identity line) and
keeps its accuracy; the median quote is calibrated on the same deals.
"""),
    code("""
shading = {
    "kind": "pricing",
    "name": "shading",
    "seed": 5,
    "replications": 2,
    "pricing": {"achievements": 5000, "reviewers": 300, "panel": 3},
    "sweep": {
        "pricing.shading": [0.0, 0.15, 0.3, 0.5, 0.9],
        "pricing.estimator": ["joint", "median_quote"],
    },
}
res_shading = asim.run(scenario_from_dict(shading), backend="serial")
fig = sweep_figure(res_shading, "pricing.shading", "shading_hat")
fig.axes[0].plot([0, 0.9], [0, 0.9], "k--", lw=1, label="true shading")
fig.axes[0].legend(fontsize="small")
fig
"""),
    code("""
sweep_figure(res_shading, "pricing.shading", "rmse_log")
"""),
]

MARKET_POLICY = [
    md("""
# The market under the policy levers

The `market` kind is the discrete-event simulation of the technology market: achievements
are registered, priced (peer review and inquiry), and traded by auction, listing or
negotiation to firms that visit the platform (DESIGN §1, §3).  This notebook turns the
policy levers one at a time:

* **use first, transfer later** (`policy.use_first`): unconverted public results go to a
  mandatory public auction after `forced_listing_days`, and are licensed free after
  `free_license_days`;
* the **liability exemption** (`policy.exemption_share`): the share of public holders'
  trades that go through the exempt compliance channel, without the reserve markup that
  fear of blame adds (`policy.liability_markup`, 0.3);
* **brokers** (`policy.broker_share`): holders whose results buyers find faster, for a
  commission of at least 5 %.

It starts from `scenarios/market_policy.toml` and shrinks the market (540 days, two
achievements a day, the deadlines shortened to 240 and 360 days, `converted_2y` counted
over 240 days) so the whole notebook runs in well under a minute; the numbers are noisy
at this size (one replication per point).
"""),
    code(
        setup(
            "from pathlib import Path\n",
            "import auction_sim as asim",
            "from auction_sim.report import point_labels, sweep_figure, timeseries_figure",
            "from auction_sim.scenario import scenario_from_dict",
        )
    ),
    code("""
small = {
    "market.horizon_days": 540,
    "market.achievement_rate": 2.0,
    "market.buyer_rate": 8.0,
    "buyers.firms": 100,
    "policy.forced_listing_days": 240,
    "policy.free_license_days": 360,
    "policy.conversion_window_days": 240,
}
scenario = asim.load_scenario(ROOT / "scenarios" / "market_policy.toml")
res = asim.run(scenario, overrides=small, replications=1, backend="serial")
summary = res.summary()
summary[summary["metric"].isin(["deal_rate", "converted_2y", "free_licensed"])].pivot(
    index=["policy.exemption_share", "policy.use_first"], columns="metric", values="mean"
)
"""),
    md("""
## 1. Exemption channel and use-first deadlines

The liability markup keeps public holders' reserves high and deals rare; the exemption
channel removes it.  The use-first deadlines raise `converted_2y` (public results sold or
licensed within the conversion window) with or without the exemption.
"""),
    code("""
sweep_figure(res, "policy.exemption_share", "deal_rate")
"""),
    code("""
sweep_figure(res, "policy.exemption_share", "converted_2y")
"""),
    md("""
## 2. Monthly time series

`asim.run` keeps the market's monthly series (`Results.timeseries`: one row per point,
replication and month; `DIR/timeseries.parquet` with `out=`): deals per month, and the
platform's price error (RMSE of its log price estimate against the log deal price), which
falls as completed deals calibrate the estimator.  One line per grid point.  The jump in
deals at month 12, with and without the deadlines, coincides with the yearly renewal of the
firms' budgets (`buyers.budget_renewal_days` = 365; only 100 firms in this small market).
"""),
    code("""
labels = point_labels(res.points)
timeseries_figure(res.timeseries, "deals", labels)
"""),
    code("""
timeseries_figure(res.timeseries, "price_error", labels)
"""),
    md("""
## 3. Brokers

Holders that use a broker are found `broker_boost` (2) times as often, for a commission of
5 % of the proceeds.  The same small market with no exemption and the deadlines on, for
three broker shares.
"""),
    code("""
brokers = {
    "kind": "market",
    "name": "brokers",
    "seed": 7,
    "replications": 1,
    "market": {"horizon_days": 540, "achievement_rate": 2.0, "buyer_rate": 8.0},
    "buyers": {"firms": 100},
    "policy": {
        "forced_listing_days": 240,
        "free_license_days": 360,
        "conversion_window_days": 240,
    },
    "sweep": {"policy.broker_share": [0.0, 0.3, 0.6]},
}
res_brokers = asim.run(scenario_from_dict(brokers), backend="serial")
summary = res_brokers.summary()
summary[summary["metric"].isin(["deal_rate", "days_to_deal", "broker_income"])].pivot(
    index="policy.broker_share", columns="metric", values="mean"
)
"""),
    code("""
timeseries_figure(res_brokers.timeseries, "deals", point_labels(res_brokers.points))
"""),
]

MATCHING_CORE = [
    md("""
# The matching core against its peers

Benchmarks of the numba kernels in `core/` against the peers of DESIGN §7, read from a
pytest-benchmark JSON file.  The committed file `benchmarks/results/latest.json` is a
quick run on a shared 2-core machine (noisy; short settings):

```
pytest benchmarks/test_orderbook.py benchmarks/test_clearing.py --benchmark-only \\
    -k "not memory" --benchmark-max-time=0.2 --benchmark-min-rounds=3 \\
    --benchmark-json=benchmarks/results/latest.json
```

Point `BENCH` at another `--benchmark-json` file to see your own machine.  The table is
the one of `benchmarks/README.md`, made by `benchmarks/table.py`.
"""),
    code("""
%matplotlib inline
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
BENCH = ROOT / "benchmarks" / "results" / "latest.json"
"""),
    code("""
table = subprocess.run(
    [sys.executable, str(ROOT / "benchmarks" / "table.py"), str(BENCH)],
    capture_output=True,
    text=True,
    check=True,
).stdout
Markdown(table)
"""),
    md("""
## Throughput by group

Items per second (`extra_info["items"]` / median time): bids for `clearing`, order
submissions for `orderbook`.  Ours (`auction_sim` in the name) in blue, peers in grey.
"""),
    code("""
data = json.loads(BENCH.read_text())
rows = [
    {
        "group": b["group"],
        "test": b["name"].removeprefix("test_"),
        "median_s": b["stats"]["median"],
        "items_per_s": b["extra_info"].get("items", 1) / b["stats"]["median"],
        "ours": "auction_sim" in b["name"],
    }
    for b in data["benchmarks"]
]
bench = pd.DataFrame(rows).sort_values(["group", "items_per_s"])
groups = list(dict.fromkeys(bench["group"]))
fig = Figure(figsize=(8, 2 + 0.35 * len(bench)), layout="constrained")
for i, group in enumerate(groups):
    sub = bench[bench["group"] == group]
    ax = fig.add_subplot(len(groups), 1, i + 1)
    ax.barh(
        sub["test"],
        sub["items_per_s"],
        color=["tab:blue" if o else "tab:gray" for o in sub["ours"]],
    )
    ax.set_xscale("log")
    ax.set_title(group)
    ax.set_xlabel("items / s")
fig
"""),
    code("""
machine = data["machine_info"]
{
    "cpu": machine.get("cpu", {}).get("brand_raw"),
    "cores": machine.get("cpu", {}).get("count"),
    "python": machine.get("python_version"),
    "when": data["datetime"],
}
"""),
]

NOTEBOOKS = {
    "auction_formats.ipynb": AUCTION_FORMATS,
    "price_discovery.ipynb": PRICE_DISCOVERY,
    "market_policy.ipynb": MARKET_POLICY,
    "matching_core.ipynb": MATCHING_CORE,
}


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}  # fmt: skip
    nb.metadata["language_info"] = {"name": "python"}
    # stable cell ids: the committed files do not change when nothing changed
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def text(cells) -> str:
    return nbformat.writes(build(cells)) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        want = text(cells)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != want:
                stale.append(name)
        else:
            path.write_text(want, encoding="utf-8")
    if stale:
        print(f"out of date (run python notebooks/build.py): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
