"""The market kind's schema: defaults, the minimal file, bad input naming its key."""

import math
import subprocess
import sys

import pytest

from auction_sim.experiments.market import METRICS, run_point
from auction_sim.rng import task_seed
from auction_sim.scenario import ScenarioError, load_scenario

DESIGN_METRICS = (
    "deal_rate",
    "days_to_deal",
    "volume",
    "price_to_value",
    "efficiency",
    "converted_2y",
    "free_licensed",
    "broker_income",
    "events",
)


def write(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text('kind = "market"\n' + text)
    return p


def test_design_metrics_come_first():
    assert METRICS[: len(DESIGN_METRICS)] == DESIGN_METRICS


def test_defaults_are_the_design_table(tmp_path):
    sc = load_scenario(write(tmp_path, "")).model
    m, mech, p = sc.market, sc.mechanism, sc.policy
    assert (m.horizon_days, m.achievement_rate, m.buyer_rate, m.fields, m.platform_fee) == (
        1095.0, 40.0, 150.0, 8, 0.02
    )  # fmt: skip
    assert mech.choice == "rule"
    assert (p.registration_days, p.forced_listing_days, p.free_license_days) == (30, 730, 1095)
    assert (p.liability_markup, p.exemption_share, p.broker_share) == (0.3, 0.0, 0.2)
    assert (p.broker_commission, p.broker_boost, p.insurance_subsidy) == (0.05, 2.0, 0.8)


def test_a_file_with_only_kind_and_horizon_runs(tmp_path):
    sc = load_scenario(write(tmp_path, "[market]\nhorizon_days = 20\n"))
    out = run_point(sc.model, task_seed(0, {}, 0))
    assert set(out) == set(METRICS)
    assert all(isinstance(v, float) for v in out.values())
    assert out["registered"] > 0 and out["events"] > 0
    assert math.isnan(out["converted_2y"])  # nobody is two years old after 20 days


BAD = [
    ("[market]\nachievement_rate = -1.0", "market.achievement_rate"),
    ("[market]\nbuyer_rate = -0.5", "market.buyer_rate"),
    ("[market]\nhorizon_days = 0", "market.horizon_days"),
    ("[market]\nplatform_fee = 1.5", "market.platform_fee"),
    ("[policy]\nforced_listing_days = 800\nfree_license_days = 700", "policy.free_license_days"),
    ("[policy]\nexemption_share = 1.2", "policy.exemption_share"),
    ("[policy]\nbroker_share = -0.1", "policy.broker_share"),
    ("[policy]\ninsurance_subsidy = 2.0", "policy.insurance_subsidy"),
    ("[policy]\nbroker_commission = -0.01", "policy.broker_commission"),
    ("[policy]\nbroker_commission = 1.01", "policy.broker_commission"),
    ("[policy]\nbroker_commission = 0.02", "policy.broker_commission"),  # below the 5 % floor
    ("[buyers]\nproxy_share = 0.8\nsniper_share = 0.5", "buyers.sniper_share"),
    ('[mechanism]\nchoice = "lottery"', "mechanism.choice"),
    ("[achievements]\nholder_mix = [0.5, 0.5]", "achievements.holder_mix"),
    ("[achievements]\nreadiness_low = 6\nreadiness_high = 3", "achievements.readiness_high"),
    (
        "[mechanism]\nnegotiation_min_interest = 3\nauction_min_interest = 2",
        "mechanism.negotiation_min_interest",
    ),
]


@pytest.mark.parametrize("text,key", BAD, ids=[k for _, k in BAD])
def test_bad_input_names_the_key(tmp_path, text, key):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    assert err.value.key == key or key in str(err.value)


def test_cli_validate_exits_2_without_traceback(tmp_path):
    p = write(tmp_path, "[policy]\nforced_listing_days = 900\nfree_license_days = 800\n")
    r = subprocess.run(
        [sys.executable, "-m", "auction_sim", "validate", str(p)], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert "policy.free_license_days" in r.stderr and "Traceback" not in r.stderr
