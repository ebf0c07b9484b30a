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
# # The market under the policy levers
#
# The `market` kind is the discrete-event simulation of the technology market: achievements
# are registered, priced (peer review and inquiry), and traded by auction, listing or
# negotiation to firms that visit the platform (DESIGN §1, §3).  This notebook turns the
# policy levers one at a time:
#
# * **use first, transfer later** (`policy.use_first`): unconverted public results go to a
#   mandatory public auction after `forced_listing_days`, and are licensed free after
#   `free_license_days`;
# * the **liability exemption** (`policy.exemption_share`): the share of public holders'
#   trades that go through the exempt compliance channel, without the reserve markup that
#   fear of blame adds (`policy.liability_markup`, 0.3);
# * **brokers** (`policy.broker_share`): holders whose results buyers find faster, for a
#   commission of at least 5 %.
#
# It starts from `scenarios/market_policy.toml` and shrinks the market (540 days, two
# achievements a day, the deadlines shortened to 240 and 360 days, `converted_2y` counted
# over 240 days) so the whole notebook runs in well under a minute; the numbers are noisy
# at this size (one replication per point).

# %%
# %matplotlib inline
from pathlib import Path

import auction_sim as asim
from auction_sim.report import point_labels, sweep_figure, timeseries_figure
from auction_sim.scenario import scenario_from_dict

# the repository root, whether Jupyter was started in notebooks/ or at the root
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()

# %%
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

# %% [markdown]
# ## 1. Exemption channel and use-first deadlines
#
# The liability markup keeps public holders' reserves high and deals rare; the exemption
# channel removes it.  The use-first deadlines raise `converted_2y` (public results sold or
# licensed within the conversion window) with or without the exemption.

# %%
sweep_figure(res, "policy.exemption_share", "deal_rate")

# %%
sweep_figure(res, "policy.exemption_share", "converted_2y")

# %% [markdown]
# ## 2. Monthly time series
#
# `asim.run` keeps the market's monthly series (`Results.timeseries`: one row per point,
# replication and month; `DIR/timeseries.parquet` with `out=`): deals per month; the
# platform's **value error** (RMSE of its posterior mean log value against the true log value
# θ that the simulator knows, at each pricing), beside the same error of the in-market oracle
# that knows the true signal parameters; and its **price error** (its prediction of the log
# deal price). Deal prices are selected signals (the buyer who values an item most pays, an
# auction's runner-up sets the price), so the estimator corrects them by a mechanism offset
# before it learns from them (`docs/pricing.md`): the value error falls towards the oracle's.
# One line per grid point.  The jump in deals at month 12 coincides with the yearly renewal of
# the firms' budgets (`buyers.budget_renewal_days` = 365; only 100 firms in this small market).

# %%
labels = point_labels(res.points)
timeseries_figure(res.timeseries, "deals", labels, kind="market")

# %%
timeseries_figure(res.timeseries, "value_error", labels, kind="market")

# %%
timeseries_figure(res.timeseries, "oracle_value_error", labels, kind="market")

# %%
timeseries_figure(res.timeseries, "price_error", labels, kind="market")

# %% [markdown]
# ## 3. Brokers
#
# Holders that use a broker are found `broker_boost` (2) times as often, for a commission of
# 5 % of the proceeds.  The same small market with no exemption and the deadlines on, for
# three broker shares.

# %%
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

# %%
timeseries_figure(res_brokers.timeseries, "deals", point_labels(res_brokers.points))
