"""double_auction scenarios: defaults, the bundled file, and every kind of bad input."""

import subprocess
import sys
import textwrap

import pytest

from auction_sim.scenario import ScenarioError, load_scenario

BASE = """
kind = "double_auction"
[market]
rule = "{rule}"
periods = {periods}
orders_per_period = {opp}
buyer_values = {bv}
seller_costs = {sc}
[traders]
strategy = "zi_c"
price_min = {pmin}
price_max = {pmax}
tick = {tick}
"""
GOOD = dict(
    rule="continuous", periods=2, opp=50, bv="[[200, 180], [190, 150]]",
    sc="[[60, 90], [70, 120]]", pmin=1, pmax=200, tick=1,
)  # fmt: skip


def write(tmp_path, **kw):
    p = tmp_path / "da.toml"
    p.write_text(textwrap.dedent(BASE.format(**{**GOOD, **kw})))
    return p


def test_good_file_and_defaults(tmp_path):
    s = load_scenario(write(tmp_path))
    assert s.kind == "double_auction" and s.model.market.buyer_values[0] == [200.0, 180.0]
    d = load_scenario(_file(tmp_path, 'kind = "double_auction"\n')).model
    assert (d.market.rule, d.market.periods, d.traders.strategy) == ("continuous", 6, "zi_c")
    assert d.traders.learning == 0.0


def _file(tmp_path, text):
    p = tmp_path / "d.toml"
    p.write_text(text)
    return p


BAD = [
    (dict(bv="[]"), "market.buyer_values"),
    (dict(sc="[]"), "market.seller_costs"),
    (dict(bv="[[200], []]"), "market.buyer_values[1]"),
    (dict(bv="[[150, 180]]"), "market.buyer_values[0]"),  # values out of order
    (dict(sc="[[60, 90], [120, 70]]"), "market.seller_costs[1]"),  # costs out of order
    (dict(bv="[[250]]"), "market.buyer_values[0]"),  # above price_max
    (dict(pmin=200, pmax=200), "traders.price_min"),
    (dict(pmin=300, pmax=200), "traders.price_min"),
    (dict(opp=0), "market.orders_per_period"),
    (dict(opp=-5), "market.orders_per_period"),
    (dict(periods=0), "market.periods"),
    (dict(tick=0.7), "traders.tick"),
    (dict(tick=0), "traders.tick"),
    (dict(rule="batch"), "market.rule"),
]


@pytest.mark.parametrize(("kw", "key"), BAD, ids=[k for _, k in BAD])
def test_bad_input_names_the_key(tmp_path, kw, key):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, **kw))
    assert info.value.key == key, str(info.value)


def test_bad_file_exits_2_without_traceback(tmp_path):
    p = write(tmp_path, opp=0)
    proc = subprocess.run(
        [sys.executable, "-m", "auction_sim", "validate", str(p)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "market.orders_per_period" in proc.stderr and "Traceback" not in proc.stderr
