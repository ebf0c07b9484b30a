"""The listing kind: defaults, every bad input naming its key, the CLI exit status."""

import subprocess
import sys

import pytest

from auction_sim.experiments.listing import METRICS, run_point
from auction_sim.rng import task_seed
from auction_sim.scenario import ScenarioError, load_scenario


def write(tmp_path, text):
    p = tmp_path / "l.toml"
    p.write_text('kind = "listing"\n' + text)
    return p


def test_defaults_are_the_design_table(tmp_path):
    s = load_scenario(write(tmp_path, "")).model.listing
    assert (s.listings, s.price, s.period_days, s.buyer_rate) == (100_000, 1.0, 20.0, 0.3)
    assert (s.multi_intent, s.relist_discount, s.max_relists) == ("auction", 0.1, 3)
    assert (s.values.dist, s.values.mean_log, s.values.sd_log) == ("lognormal", 0.0, 0.5)
    assert s.estimate_sd_log == 0.3 and (s.fit.dist, s.fit.low, s.fit.high) == ("uniform", 0.5, 1.5)


BAD = [
    ("buyer_rate = -0.1", "listing.buyer_rate"),
    ("period_days = -5", "listing.period_days"),
    ("period_days = 0", "listing.period_days"),
    ("price = 0", "listing.price"),
    ("relist_discount = 1.0", "listing.relist_discount"),
    ("max_relists = -1", "listing.max_relists"),
    ('multi_intent = "lottery"', "listing.multi_intent"),
    ("estimate_sd_log = -0.1", "listing.estimate_sd_log"),
    ("listings = 0", "listing.listings"),
    ('values = {dist = "normal", mean = 1, sd = 1}', "listing.values"),
    ('fit = {dist = "uniform", low = -1, high = 1}', "listing.fit"),
]


@pytest.mark.parametrize("text, key", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_key(tmp_path, text, key):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, "[listing]\n" + text + "\n"))
    assert err.value.key == key, str(err.value)


def test_run_point_returns_the_metrics_as_floats(tmp_path):
    s = load_scenario(write(tmp_path, "[listing]\nlistings = 300\n")).model
    m = run_point(s, task_seed(0, {}, 0))
    assert tuple(m) == METRICS and all(type(v) is float for v in m.values())


def test_nobody_comes(tmp_path):
    s = load_scenario(write(tmp_path, "[listing]\nlistings = 50\nbuyer_rate = 0.0\n")).model
    m = run_point(s, task_seed(0, {}, 0))
    assert m["sale_rate"] == 0.0 and m["revenue"] == 0.0
    assert m["days_to_sale"] != m["days_to_sale"] and m["efficiency"] != m["efficiency"]  # NaN


def test_cli_exits_2_without_traceback(tmp_path):
    p = write(tmp_path, "[listing]\nbuyer_rate = -1.0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "auction_sim", "validate", str(p)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "listing.buyer_rate" in proc.stderr
