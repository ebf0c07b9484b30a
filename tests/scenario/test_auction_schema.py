"""The auction kind's schema: new keys and defaults, every bad input naming its dotted key,
the CLI exit status, and the bundled auction scenarios."""

import subprocess
import sys
from pathlib import Path

import pytest

from auction_sim.experiments.auction import METRICS
from auction_sim.scenario import ScenarioError, load_scenario
from auction_sim.scenario.auction import NOT_YET

ROOT = Path(__file__).parent.parent.parent


def write(tmp_path, text):
    p = tmp_path / "a.toml"
    p.write_text('kind = "auction"\n' + text)
    return p


def test_defaults_and_new_keys(tmp_path):
    m = load_scenario(write(tmp_path, "")).model
    a, s = m.auction, m.strategy
    assert (a.format, a.bidders, a.reserve, a.increment, a.soft_close) == (
        "first_price", 5, 0.0, 0.01, False)  # fmt: skip
    assert (a.duration, a.closing_window, a.reaction) == (0.0, 0.1, 0.02)
    assert (s.kind, s.shade, s.sniper_share, s.snipe_lead, s.arms, s.learning_rate) == (
        "equilibrium", 0.1, 0.5, 0.005, 21, 1.0)  # fmt: skip
    assert NOT_YET == {}
    assert METRICS[:5] == ("revenue", "efficiency", "sale_rate", "bidder_surplus",
                           "price_to_value")  # fmt: skip
    assert METRICS[5:] == ("winner_curse", "late_bid_share", "extensions")


GOOD = [
    "[auction]\nformat = 'dutch'\nvalues = {dist = 'lognormal', mean_log = 0, sd_log = 1}\n",
    "[auction]\nformat = 'english'\nduration = 7.0\nsoft_close = true\n"
    "[strategy]\nkind = 'sniper'\n",
    "[auction]\nformat = 'second_price'\nvalue_model = 'affiliated'\n",
    "[auction]\nvalue_model = 'common'\n[strategy]\nkind = 'truthful'\n",
    "[auction]\nformat = 'english'\n[strategy]\nkind = 'adaptive'\n",
]


@pytest.mark.parametrize("text", GOOD)
def test_good_files(tmp_path, text):
    load_scenario(write(tmp_path, text))


T = "[auction]\nformat = 'english'\nduration = 7.0\n"
BAD = [
    ("[auction]\nreserve = -0.1\n", "auction.reserve"),
    ("[auction]\nincrement = 0\n", "auction.increment"),
    ("[auction]\nincrement = -0.01\n", "auction.increment"),
    ("[auction]\nbidders = 0\n", "auction.bidders"),
    ("[auction]\nvalues = {dist = 'uniform', low = 1, high = 1}\n", "auction.values"),
    ("[auction]\nvalues = {dist = 'normal', sd = 0}\n", "auction.values.sd"),
    ("[auction]\nvalues = {dist = 'exponential', scale = -1}\n", "auction.values.scale"),
    ("[auction]\nvalues = {dist = 'lognormal', sd_log = 0}\n", "auction.values.sd_log"),
    ("[auction]\nvalues = {dist = 'beta', a = 0, b = 1}\n", "auction.values.a"),
    ("[auction]\nformat = 'first_price'\n[strategy]\nkind = 'sniper'\n", "strategy.kind"),
    ("[auction]\nformat = 'english'\n[strategy]\nkind = 'sniper'\n", "strategy.kind"),
    (T + "[strategy]\nkind = 'adaptive'\n", "strategy.kind"),
    ("[auction]\nsoft_close = true\n", "auction.soft_close"),
    ("[auction]\nformat = 'english'\nsoft_close = true\n", "auction.soft_close"),
    ("[auction]\nformat = 'dutch'\nduration = 3.0\n", "auction.duration"),
    (T + "closing_window = 7.0\n", "auction.closing_window"),
    (T + "closing_window = 0\n", "auction.closing_window"),
    (T + "reaction = 0\n", "auction.reaction"),
    ("[auction]\nduration = -1.0\n", "auction.duration"),
    (T + "[strategy]\nkind = 'sniper'\nsnipe_lead = 8.0\n", "strategy.snipe_lead"),
    ("[strategy]\nsniper_share = 1.5\n", "strategy.sniper_share"),
    ("[strategy]\narms = 1\n", "strategy.arms"),
    ("[strategy]\nlearning_rate = 0\n", "strategy.learning_rate"),
    ("[auction]\ncommon_share = 1.2\n", "auction.common_share"),
    ("[auction]\nvalue_model = 'common'\n", "strategy.kind"),  # equilibrium: private only
    ("[auction]\nvalue_model = 'affiliated'\nformat = 'dutch'\n", "strategy.kind"),
    ("[auction]\nvalue_model = 'interdependent'\n", "auction.value_model"),
    ("[strategy]\nkind = 'greedy'\n", "strategy.kind"),
]


@pytest.mark.parametrize("text, key", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_key(tmp_path, text, key):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    assert err.value.key == key, str(err.value)


def test_override_is_checked_like_the_file(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, ""), ["strategy.kind=sniper"])
    assert err.value.key == "strategy.kind"


def test_cli_exits_2_without_traceback(tmp_path):
    p = write(tmp_path, "[auction]\nformat = 'second_price'\n[strategy]\nkind = 'sniper'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "auction_sim", "validate", str(p)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "strategy.kind" in proc.stderr and "sniper" in proc.stderr


@pytest.mark.parametrize("name", ["reserve_price_study", "soft_close", "common_values"])
def test_bundled_auction_scenarios(name):
    path = ROOT / "scenarios" / f"{name}.toml"
    text = path.read_text()
    assert text.startswith("#") and "Look at" in text
    s = load_scenario(path)
    assert s.kind == "auction" and len(s.points) >= 4
