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
# # Price discovery: peer review and price inquiry
#
# The platform prices achievements that have no market history from review panels (experts
# with personal biases and precisions, more precise in their own field) and shaded price
# quotes from interested firms (DESIGN §6).  The `pricing` kind compares the **joint**
# estimator (reviewer biases and precisions fitted together with the values, calibrated on
# completed deals) with two baselines, the calibrated **mean score** and the calibrated
# **median quote**, and with the **oracle**: the exact posterior that knows the true
# parameters.  `rmse_log` is the error of the estimated log value, `coverage90` the share of
# true values inside the 90 % interval.
#
# The grid is `scenarios/peer_review_pricing.toml` at a small size (5 000 achievements and
# 300 reviewers instead of 100 000 and 2 000), so the intervals are wide.

# %%
# %matplotlib inline
from pathlib import Path

import auction_sim as asim
from auction_sim.report import sweep_figure
from auction_sim.scenario import scenario_from_dict

# the repository root, whether Jupyter was started in notebooks/ or at the root
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()

# %%
small = {"pricing.achievements": 5000, "pricing.reviewers": 300, "replications": 3}
scenario = asim.load_scenario(ROOT / "scenarios" / "peer_review_pricing.toml")
res = asim.run(scenario, overrides=small, backend="serial")
summary = res.summary()
res.params

# %% [markdown]
# ## 1. Accuracy against panel size
#
# Same-field share 0.6.  The joint estimator follows the oracle at every panel size; the
# mean score is poor with small panels because one reviewer's bias is not averaged out, and
# the median quote cannot get better than the quote noise and shading allow.

# %%
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

# %% [markdown]
# ## 2. Coverage of the 90 % interval
#
# The joint estimator's intervals are calibrated (near 0.90, dashed) at every panel size.

# %%
fig = sweep_figure(
    by_panel, "pricing.panel", "coverage90", params=["pricing.panel", "pricing.estimator"]
)
fig.axes[0].axhline(0.9, color="k", ls="--", lw=1)
fig

# %% [markdown]
# ## 3. Same-field reviewers
#
# Panels of 5.  Same-field ("vertical") reviewers are more precise; the joint estimator
# learns each reviewer's precision and gains most from them.

# %%
by_share = summary[summary["pricing.panel"] == 5]
fig = sweep_figure(
    by_share,
    "pricing.same_field_share",
    "rmse_log",
    params=["pricing.same_field_share", "pricing.estimator"],
)
fig.axes[0].set_yscale("log")
fig

# %% [markdown]
# ## 4. Shaded quotes
#
# Firms understate value in their quotes by `shading` on average.  The joint estimator
# estimates the shading from completed deals (`shading_hat`, against the identity line) and
# keeps its accuracy; the median quote is calibrated on the same deals.

# %%
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

# %%
sweep_figure(res_shading, "pricing.shading", "rmse_log")
