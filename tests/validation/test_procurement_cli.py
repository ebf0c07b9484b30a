"""The procurement kind from the command line: bad input exits 2 naming the key."""

import pytest

from auction_sim.cli import main

SCEN = "scenarios/procurement_scoring.toml"
TINY = ["--set", "procurement.contracts=300", "--reps", "1", "--backend", "serial", "--no-progress"]


@pytest.mark.parametrize(
    "override, key, words",
    [
        ("procurement.cost_types={dist='uniform', low=-1.0, high=2.0}", "procurement.cost_types",
         "negative"),
        ("procurement.cost_types={dist='normal', mean=1.5, sd=0.1}", "procurement.cost_types",
         "negative"),
        ("procurement.cost_types={dist='exponential', scale=1.0}", "procurement.cost_types",
         "bounded away from 0"),
        ("procurement.quality_weight=0.0", "procurement.quality_weight", "> 0"),
        ("procurement.quality_weight=-2.5", "procurement.quality_weight", "> 0"),
        ("procurement.suppliers=0", "procurement.suppliers", ">= 1"),
        ("strategy.kind='truthful'", "strategy.kind", "negotiation"),
        ("strategy.kind='markup'", "strategy.kind", "negotiation"),
        ("procurement.format='sealed'", "procurement.format", "first_score"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("cmd", ["run", "validate"])
def test_bad_input_exits_2_naming_the_key(cmd, override, key, words, capsys):
    extra = TINY if cmd == "run" else []
    assert main([cmd, SCEN, "--set", override, *extra]) == 2
    err = capsys.readouterr().err
    assert key in err and words in err and "Traceback" not in err


def test_a_strategy_fits_the_formats_it_is_defined_for(capsys):
    sets = ["--set", "strategy.kind='truthful'", "--set", "procurement.format='price_only'"]
    assert main(["run", SCEN, *sets, *TINY, "--json"]) == 0, capsys.readouterr().err
