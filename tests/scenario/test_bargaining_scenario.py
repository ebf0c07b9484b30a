"""The bargaining kind: defaults, every bad input naming its key, the CLI exit status."""

import subprocess
import sys

import pytest

from auction_sim.experiments.bargaining import METRICS, run_point
from auction_sim.rng import task_seed
from auction_sim.scenario import ScenarioError, load_scenario


def write(tmp_path, text):
    p = tmp_path / "b.toml"
    p.write_text('kind = "bargaining"\n' + text)
    return p


def test_defaults_are_the_design_table(tmp_path):
    b = load_scenario(write(tmp_path, "")).model.bargaining
    assert (b.protocol, b.negotiations, b.k, b.rounds, b.first_mover) == (
        "alternating_offers", 100_000, 0.5, 10, "seller"
    )  # fmt: skip
    assert (b.discount_buyer, b.discount_seller, b.information) == (0.95, 0.95, "complete")
    assert (b.buyer_tactic, b.seller_tactic) == ("equilibrium", "equilibrium")
    assert (b.seller_power, b.boulware_e, b.conceder_e) == (0.5, 0.2, 5.0)
    assert b.buyer_values.dist == b.seller_values.dist == "uniform"


UNIFORM_2 = '{dist = "uniform", low = 0, high = 2}'
BAD = [
    ("k = 1.5", "bargaining.k"),
    ("k = -0.1", "bargaining.k"),
    ("discount_buyer = 0.0", "bargaining.discount_buyer"),
    ("discount_seller = 1.01", "bargaining.discount_seller"),
    ("rounds = 0", "bargaining.rounds"),
    ('buyer_tactic = "stubborn"', "bargaining.buyer_tactic"),
    ('protocol = "haggle"', "bargaining.protocol"),
    ('first_mover = "broker"', "bargaining.first_mover"),
    ("negotiations = -5", "bargaining.negotiations"),
    ("seller_power = 2.0", "bargaining.seller_power"),
    ("boulware_e = 1.5", "bargaining.boulware_e"),
    ("conceder_e = 0.5", "bargaining.conceder_e"),
    ('information = "private"', "bargaining.buyer_tactic"),
    ('information = "private"\nbuyer_tactic = "linear"', "bargaining.seller_tactic"),
    ('seller_tactic = "boulware"', "bargaining.seller_tactic"),
    ('protocol = "k_double_auction"\nbuyer_tactic = "conceder"', "bargaining.buyer_tactic"),
    ('protocol = "k_double_auction"\nseller_tactic = "truthful"', "bargaining.seller_tactic"),
    (
        'protocol = "k_double_auction"\nbuyer_tactic = "linear"\nseller_tactic = "linear"',
        "bargaining.buyer_tactic",
    ),
    (
        'protocol = "k_double_auction"\nbuyer_values = {dist = "lognormal"}',
        "bargaining.buyer_values",
    ),
    (f'protocol = "k_double_auction"\nseller_values = {UNIFORM_2}', "bargaining.seller_values"),
]


@pytest.mark.parametrize("text, key", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_key(tmp_path, text, key):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, "[bargaining]\n" + text + "\n"))
    assert err.value.key == key, str(err.value)


def test_equilibrium_message_says_why(tmp_path):
    text = '[bargaining]\nprotocol = "k_double_auction"\nbuyer_values = {dist = "normal"}\n'
    with pytest.raises(ScenarioError, match="uniform values only"):
        load_scenario(write(tmp_path, text))


def test_truthful_k_double_auction_takes_any_distribution(tmp_path):
    text = (
        '[bargaining]\nprotocol = "k_double_auction"\nbuyer_tactic = "truthful"\n'
        'seller_tactic = "truthful"\nbuyer_values = {dist = "lognormal"}\n'
    )
    s = load_scenario(write(tmp_path, text)).model
    assert run_point(s.model_copy(), task_seed(0, {}, 0))["gains_ratio"] == 1.0


def test_run_point_returns_the_metrics_as_floats(tmp_path):
    s = load_scenario(write(tmp_path, "[bargaining]\nnegotiations = 300\n")).model
    m = run_point(s, task_seed(0, {}, 0))
    assert tuple(m) == METRICS and all(type(v) is float for v in m.values())


def test_cli_exits_2_without_traceback(tmp_path):
    p = write(tmp_path, "[bargaining]\nk = 2.0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "auction_sim", "validate", str(p)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bargaining.k" in proc.stderr
