"""Institutions and their ranking (issue 16): the markup response raises the conversion of the
low-ranked institutions and the deal rate, each by more than 3 paired standard errors (both
arms on the same seeds); without institutions nothing is drawn; the run folder gets
institutions.parquet."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from market_small import scenario, seed

import auction_sim as asim
from auction_sim.experiments.market import run_point

R = 5  # replications per arm
INST = {
    "market__horizon_days": 300.0,
    "policy__institutions_per_holder": 6,
    "policy__use_first": False,
    "policy__liability_markup": 0.6,
}
RESPOND = {**INST, "policy__ranking_response": "markup"}


@pytest.mark.parametrize("metric", ["low_rank_conversion", "deal_rate"])
def test_markup_response_raises_metric(metric):
    a = np.array([run_point(scenario(**INST), seed(r))[metric] for r in range(R)])
    b = np.array([run_point(scenario(**RESPOND), seed(r))[metric] for r in range(R)])
    d = b - a
    se = d.std(ddof=1) / math.sqrt(R)
    print(f"{metric}: {a.mean():.4f} -> {b.mean():.4f}, diff {d.mean():.4f}, se {se:.4f}")
    assert d.mean() > 3 * se


def test_institutions_without_response_change_nothing_and_off_draws_nothing():
    off = run_point(scenario(**{**INST, "policy__institutions_per_holder": 0}), seed(0))
    on = run_point(scenario(**INST), seed(0))
    assert on["deal_rate"] == off["deal_rate"] and math.isnan(off["low_rank_conversion"])


def test_the_run_folder_gets_institutions_parquet(tmp_path):
    sc = asim.load_scenario(
        Path(__file__).resolve().parents[2] / "scenarios" / "institutions.toml",
        ["market.horizon_days=90", "market.achievement_rate=3"],
    )
    asim.run(sc, replications=1, backend="serial", out=tmp_path)
    df = pd.read_parquet(tmp_path / "institutions.parquet")
    assert len(df) == 2 * 6 * 5  # points x institutions per holder x holder types
    assert {"point", "replication", "institution", "holder", "conversion", "rank"} <= set(df)
