"""Scenario loading: good files, overrides, sweeps, and every kind of bad input."""

import textwrap

import pytest
from pydantic import ValidationError

from auction_sim.scenario import ScenarioError, load_scenario, parse_override

GOOD = """
kind = "auction"
name = "t"
seed = 7
replications = 3
[auction]
format = "second_price"
bidders = 4
auctions = 1000
reserve = 0.1
values = {dist = "uniform", low = 0, high = 2}
[strategy]
kind = "truthful"
[sweep]
"auction.bidders" = [2, 3]
auction.format = ["first_price", "second_price"]
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_good_file_typed_and_frozen(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    m = s.model
    assert (s.kind, s.name, s.seed, s.replications) == ("auction", "t", 7, 3)
    assert m.auction.bidders == 4 and isinstance(m.auction.reserve, float)
    assert m.auction.values.high == 2.0
    with pytest.raises(ValidationError):
        m.auction.bidders = 9  # immutable


def test_defaults_fill_everything(tmp_path):
    s = load_scenario(write(tmp_path, 'kind = "auction"\n'))
    a = s.model.auction
    assert (a.format, a.bidders, a.auctions, a.reserve) == ("first_price", 5, 100000, 0.0)
    assert a.values.dist == "uniform" and s.model.strategy.kind == "equilibrium"
    assert len(s.points) == 1 and s.points[0].params == {}


def test_sweep_is_the_full_grid_in_order(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert [p.params for p in s.points] == [
        {"auction.bidders": 2, "auction.format": "first_price"},
        {"auction.bidders": 2, "auction.format": "second_price"},
        {"auction.bidders": 3, "auction.format": "first_price"},
        {"auction.bidders": 3, "auction.format": "second_price"},
    ]
    assert [p.scenario.auction.bidders for p in s.points] == [2, 2, 3, 3]
    assert s.points[0].scenario.auction.reserve == 0.1  # non-swept keys kept


def test_sweep_into_a_distribution(tmp_path):
    s = load_scenario(
        write(
            tmp_path,
            'kind = "auction"\n[sweep]\n"auction.values.high" = [2.0, 3.0]\n'
            '"strategy.kind" = ["truthful"]\n',
        )
    )
    assert [p.scenario.auction.values.high for p in s.points] == [2.0, 3.0]


def test_overrides_parse_toml_values_and_fix_swept_keys(tmp_path):
    p = write(tmp_path, GOOD)
    s = load_scenario(
        p,
        [
            "auction.bidders=6",
            "auction.reserve=0.25",
            "strategy.kind=shade",
            "strategy.shade=0.2",
            "auction.values={dist='uniform', high=5}",
        ],
    )
    assert s.model.auction.bidders == 6 and "auction.bidders" not in s.sweep
    assert len(s.points) == 2 and s.model.auction.values.high == 5.0
    assert s.model.strategy.kind == "shade"
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_override("a.b=word") == ("a.b", "word")


def test_roundtrip_of_the_scenario_as_run(tmp_path):
    s = load_scenario(write(tmp_path, GOOD), ["seed=11"])
    again = write(tmp_path, s.to_toml(), "again.toml")
    s2 = load_scenario(again)
    assert s2.model == s.model and s2.sweep == s.sweep


BAD = [
    # (file text, overrides, dotted key or None, words that must appear)
    ('kind = "auction"\n[auction]\nbidders = \n', [], None, ["TOML syntax error", "line 3"]),
    ('kind = "auction"\n[auction]\nbiders = 3\n', [], "auction.biders", ["did you mean 'bidders'"]),
    ('kind = "auction"\n[auctoin]\nbidders = 3\n', [], "auctoin", ["did you mean 'auction'"]),
    ('kind = "auction"\n[auction]\nbidders = "3"\n', [], "auction.bidders", ["integer", "'3'"]),
    ('kind = "auction"\n[auction]\nbidders = 2.5\n', [], "auction.bidders", ["integer", "2.5"]),
    ('kind = "auction"\n[auction]\nbidders = 0\n', [], "auction.bidders", [">= 1", "found 0"]),
    ('kind = "auction"\n[auction]\nreserve = nan\n', [], "auction.reserve", ["finite", "nan"]),
    ('kind = "auction"\n[auction]\nreserve = inf\n', [], "auction.reserve", ["finite", "inf"]),
    (
        'kind = "auction"\n[auction]\nformat = "frist_price"\n',
        [],
        "auction.format",
        ["did you mean 'first_price'"],
    ),
    (
        'kind = "auction"\n[auction]\nvalues = {dist = "unifrom"}\n',
        [],
        "auction.values.dist",
        ["did you mean 'uniform'"],
    ),
    (
        'kind = "auction"\n[auction]\nvalues = {dist = "uniform", hgh = 2}\n',
        [],
        "auction.values.hgh",
        ["did you mean 'high'"],
    ),
    (
        'kind = "auction"\n[auction]\nvalues = {dist = "uniform", low = 2, high = 1}\n',
        [],
        "auction.values",
        ["high > low"],
    ),
    (
        'kind = "auction"\n[auction]\nvalues = {dist = "normal", sd = -1}\n',
        [],
        "auction.values.sd",
        ["> 0", "-1"],
    ),
    ('kind = "auction"\nseed = -1\n', [], "seed", [">= 0", "-1"]),
    ('kind = "auction"\nseed = 1.5\n', [], "seed", ["integer", "1.5"]),
    ('kind = "auction"\nreplications = 0\n', [], "replications", [">= 1"]),
    ('kind = "auctoin"\n', [], "kind", ["did you mean 'auction'"]),
    ('name = "x"\n', [], "kind", ["found nothing"]),
    ('kindd = "auction"\n', [], "kindd", ["unknown key", "did you mean 'kind'"]),
    ('Kind = "auction"\nseed = 3\n', [], "Kind", ["unknown key", "did you mean 'kind'"]),
    (
        'kind = "auction"\n[sweep]\n"auction.biders" = [1, 2]\n',
        [],
        "sweep.auction.biders",
        ["did you mean 'auction.bidders'"],
    ),
    (
        'kind = "auction"\n[sweep]\n"auction.bidders" = []\n',
        [],
        "sweep.auction.bidders",
        ["non-empty array"],
    ),
    (
        'kind = "auction"\n[sweep]\n"auction.bidders" = 3\n',
        [],
        "sweep.auction.bidders",
        ["non-empty array", "3"],
    ),
    (
        'kind = "auction"\n[sweep]\n"auction.bidders" = [2, 0]\n',
        [],
        "sweep.auction.bidders[1]",
        [">= 1"],
    ),
    ('kind = "auction"\n[sweep]\n"seed" = [1, 2]\n', [], "sweep.seed", ["cannot be swept"]),
    ('kind = "auction"\n[sweep]\n"auction" = [1, 2]\n', [], "sweep.auction", ["whole table"]),
    ('kind = "auction"\n', ["auction.bidders=-3"], "auction.bidders", [">= 1"]),
    ('kind = "auction"\n', ["auction.bidders"], "auction.bidders", ["KEY=VALUE"]),
]


@pytest.mark.parametrize("text,overrides,key,words", BAD)
def test_bad_input_names_file_key_expected_and_found(tmp_path, text, overrides, key, words):
    p = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p, overrides)
    err = info.value
    msg = str(err)
    if not msg.startswith("--set"):
        assert str(p) in msg
    if key is not None:
        assert err.key == key, msg
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize(
    "content,words",
    [
        (b"", ["empty"]),
        (b"  \n\n", ["empty"]),
        (b"\x00\x01\x02binary", ["binary"]),
        (b"\xff\xfe kind", ["UTF-8"]),
    ],
)
def test_empty_and_binary_files(tmp_path, content, words):
    p = tmp_path / "s.toml"
    p.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    for w in words:
        assert w in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="directory"):
        load_scenario(tmp_path)


def test_nothing_is_evaluated(tmp_path):
    p = write(tmp_path, "kind = \"auction\"\nname = \"__import__('os').system('false')\"\n")
    assert load_scenario(p).name.startswith("__import__")
    with pytest.raises(ScenarioError):
        load_scenario(write(tmp_path, 'kind = "auction"\n[auction]\nbidders = "2+3"\n'))
