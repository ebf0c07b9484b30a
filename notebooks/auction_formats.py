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
# # Auction formats: revenue equivalence and where it breaks
#
# With independent private values, risk-neutral bidders and the symmetric equilibrium, every
# standard format earns the seller the same expected revenue: the expected second-highest
# value, $(n-1)/(n+1)$ for $n$ bidders with values uniform on $[0, 1]$.  This notebook runs
# the `auction` kind through `auction_sim.run` and draws the measured means (95 % confidence
# intervals) against the theory curves, then breaks the theorem's assumptions one at a time:
# a reserve price, common values, and snipers under a hard close.
#
# Sizes are small (a few thousand auctions per replication) so the notebook runs in seconds;
# raise `auctions` and `replications` for tighter intervals.

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np

import auction_sim as asim
from auction_sim.report import sweep_figure
from auction_sim.scenario import scenario_from_dict

# the repository root, whether Jupyter was started in notebooks/ or at the root
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()

# %% [markdown]
# ## 1. Four formats, one revenue
#
# First and second price (sealed), English (ascending clock) and Dutch (descending clock),
# each bidder playing the format's equilibrium.  The clock formats move in steps of
# `auction.increment` (0.01), so their prices sit within about one step of the sealed ones.

# %%
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

# %%
fig = sweep_figure(res, "auction.bidders", "revenue")
n = np.linspace(2, 8, 61)
fig.axes[0].plot(n, (n - 1) / (n + 1), "k--", lw=1, label="theory (n-1)/(n+1)")
fig.axes[0].legend(fontsize="small")
fig

# %% [markdown]
# ## 2. A reserve price
#
# A public reserve $r$ changes revenue in the same way in every format (revenue equivalence
# still holds), but now the seller gains from it: with $n$ uniform bidders the expected
# revenue is $(n-1)/(n+1) + r^n - 2n\,r^{n+1}/(n+1)$ (Myerson), highest at $r = 1/2$
# whatever $n$.  The price of the reserve is efficiency: the item stays unsold when every
# value is below $r$, so efficiency falls to $1 - r^{n+1}$.

# %%
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

# %%
fig = sweep_figure(res, "auction.reserve", "efficiency")
fig.axes[0].plot(r, 1 - r ** (n + 1), "k--", lw=1, label="theory 1 - r^(n+1)")
fig.axes[0].legend(fontsize="small")
fig

# %% [markdown]
# ## 3. Common values: the winner's curse
#
# Under `value_model = "common"` the item is worth the same $C$ to everyone and each bidder
# sees an unbiased signal $C + (1-w)(X - 1/2)$, with $w$ = `common_share`.  Bidders who bid
# their signal (`strategy.kind = "truthful"`) ignore that winning means having the highest
# signal: the winner pays more than the item is worth on average.  The `winner_curse` metric
# (price minus the winner's true value) is $(1-w)\,(E[X_{(k)}] - 1/2)$ where $X_{(k)}$ is the
# order statistic that sets the price: the highest, $n/(n+1)$, in first price and the second
# highest, $(n-1)/(n+1)$, in second price.  Naive first-price bidders lose twice as much.

# %%
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

# %% [markdown]
# ## 4. Snipers under a hard close
#
# A timed online English auction (`duration` 7 days, proxy bidding) with two kinds of
# bidders: incremental bidders raise by the minimum whenever they are outbid (after a short
# reaction delay), snipers bid their value in the last moments.  Under a **hard close** an
# incremental bidder who is sniped has no time to answer: the price stops short and the item
# may go to a lower value, so revenue and efficiency fall below the revenue-equivalence line
# $(n-1)/(n+1)$.  A **soft close** (a bid in the closing window extends the end) gives
# everyone time to answer and restores it.  With only snipers (share 1) everyone bids the
# value at once: a second-price auction again.

# %%
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

# %%
sweep_figure(res, "strategy.sniper_share", "efficiency")

# %%
summary = res.summary()
summary[summary["metric"].isin(["late_bid_share", "extensions"])].pivot(
    index="strategy.sniper_share", columns=["metric", "auction.soft_close"], values="mean"
)
