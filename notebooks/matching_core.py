# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The matching core against its peers
#
# Benchmarks of the numba kernels in `core/` and of the market against the peers of
# DESIGN §7, read from the pytest-benchmark JSON files in `benchmarks/results/`.  Five
# groups, each counting its own items per second:
#
# * `clearing`: bids (sealed first and second price, $10^6$ auctions × 10 bidders and
#   $10^5$ × 100); ours the numba kernel on 1 and 2 threads, the peer NumPy, vectorised.
# * `orderbook`: order submissions (a stream of $10^6$ orders, $2 \cdot 10^5$ one at a
#   time); ours the batch kernel and the per-order `OrderBook`, the peers a Python book on
#   `sortedcontainers` and liquibook (C++).
# * `negotiation`: negotiations ($10^6$ pairs, 50 rounds of alternating offers); ours the
#   numba kernel, the peer NegMAS's `SAOMechanism`.
# * `pricing`: review scores ($10^6$ achievements × 5 reviews + 3 quotes); ours the joint
#   EM, the peers scipy's `lsqr` and statsmodels' `MixedLM` (at a small size).
# * `market`: SimPy events of a market run (90 days, and a province-year); the baseline a
#   bare SimPy timeout loop.
#
# The committed files are quick runs on a shared 2-core machine (noisy; short settings):
# `latest.json` (clearing, orderbook) and `negotiation_pricing_market.json`:
#
# ```
# pytest benchmarks/test_orderbook.py benchmarks/test_clearing.py --benchmark-only \
#     -k "not memory" --benchmark-max-time=0.2 --benchmark-min-rounds=3 \
#     --benchmark-json=benchmarks/results/latest.json
# pytest benchmarks/test_negotiation.py benchmarks/test_pricing.py \
#     benchmarks/test_market_engine.py --benchmark-only -k "not memory" \
#     --benchmark-max-time=0.2 --benchmark-min-rounds=3 \
#     --benchmark-json=benchmarks/results/negotiation_pricing_market.json
# ```
#
# A peer that is not installed (the `bench` extra) is skipped by its benchmark and missing
# from the file that run wrote: see the list under the figure.  Point `BENCH` at your own
# `--benchmark-json` files to see your machine.  The tables are those of
# `benchmarks/README.md`, made by `benchmarks/table.py`.

# %%
# %matplotlib inline
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
RESULTS = ROOT / "benchmarks" / "results"
BENCH = [RESULTS / "latest.json", RESULTS / "negotiation_pricing_market.json"]
GROUPS = {  # the groups this notebook shows, and what each counts
    "clearing": "bids / s",
    "orderbook": "orders / s",
    "negotiation": "negotiations / s",
    "pricing": "review scores / s",
    "market": "SimPy events / s",
}

# %%
tables = [
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "table.py"), str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for path in BENCH
]
Markdown("\n\n".join(tables))

# %% [markdown]
# ## Throughput by group
#
# Items per second (`extra_info["items"]` / median time), on a log axis with a labelled
# tick at every decade (1k = $10^3$, 1M = $10^6$, 1G = $10^9$).  Ours (`auction_sim` in
# the name) in blue, peers in grey; each bar is labelled with its throughput.

# %%
runs = [json.loads(path.read_text()) for path in BENCH]
bench = pd.DataFrame(
    [
        {
            "group": b["group"],
            "test": b["name"].removeprefix("test_").removeprefix(b["group"] + "_"),
            "median_s": b["stats"]["median"],
            "items_per_s": b["extra_info"].get("items", 1) / b["stats"]["median"],
            "ours": "auction_sim" in b["name"],
        }
        for run in runs
        for b in run["benchmarks"]
    ]
)
missing = set(GROUPS) - set(bench["group"])
assert not missing, f"no benchmarks of {missing} in {[p.name for p in BENCH]}"
bench = bench[bench["group"].isin(GROUPS)]


def si(x, _pos=None):
    """1e6 -> '1M': a readable label for a power of ten (or any value)."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")):
        if x >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


sizes = [int((bench["group"] == g).sum()) for g in GROUPS]
fig = Figure(figsize=(9, 1.2 * len(GROUPS) + 0.3 * sum(sizes)), layout="constrained")
axes = fig.subplots(len(GROUPS), 1, gridspec_kw={"height_ratios": [n + 1.5 for n in sizes]})
for ax, (group, unit) in zip(axes, GROUPS.items(), strict=True):
    sub = bench[bench["group"] == group].sort_values("items_per_s")
    ax.barh(
        sub["test"],
        sub["items_per_s"],
        color=["tab:blue" if o else "tab:gray" for o in sub["ours"]],
    )
    ax.set_xscale("log")
    low = 10 ** np.floor(np.log10(sub["items_per_s"].min()))
    ax.set_xlim(low, 5 * sub["items_per_s"].max())  # room for the bar labels
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=20))
    ax.xaxis.set_major_formatter(FuncFormatter(si))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10), numticks=20))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="x", which="major", alpha=0.4)
    for y, value in enumerate(sub["items_per_s"]):
        ax.text(value * 1.08, y, si(value), va="center", fontsize="small")
    ax.tick_params(axis="y", labelsize="small")
    ax.set_title(group, loc="left", fontweight="bold")
    ax.set_xlabel(unit)
fig

# %% [markdown]
# Peers missing from these files (their benchmark was skipped because the peer was not
# installed in that run; `benchmarks/README.md` has runs with them):

# %%
expected_peers = {
    "orderbook": ["python_sortedcontainers", "liquibook"],
    "negotiation": ["negmas"],
    "pricing": ["lsqr", "statsmodels_mixedlm"],
    "market": ["simpy_timeout_loop"],
}
{
    group: [
        peer
        for peer in peers
        if not bench.loc[bench["group"] == group, "test"].str.startswith(peer).any()
    ]
    for group, peers in expected_peers.items()
}

# %%
pd.DataFrame(
    [
        {
            "file": path.name,
            "groups": ", ".join(dict.fromkeys(b["group"] for b in run["benchmarks"])),
            "cpu": run["machine_info"].get("cpu", {}).get("brand_raw"),
            "cores": run["machine_info"].get("cpu", {}).get("count"),
            "python": run["machine_info"].get("python_version"),
            "when": run["datetime"][:16],
        }
        for path, run in zip(BENCH, runs, strict=True)
    ]
)
