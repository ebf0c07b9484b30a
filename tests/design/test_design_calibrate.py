"""``auction-sim calibrate`` (issue 18 part 3): recovery of hidden parameters within two
standard errors, the fit of every target, the calibrated scenario, bad targets files."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from auction_sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCEN = str(ROOT / "scenarios" / "optimize_reserve.toml")
HIDDEN = {"auction.values.high": 1.3, "auction.reserve": 0.4}


def _targets(tmp: Path, capsys, scenario: str, sets: list[str], metrics, reps: int, seed=999):
    """Targets generated at hidden values (another seed than the calibration's)."""
    args = ["run", scenario, *sum((["--set", s] for s in sets), []), "--seed", str(seed)]
    assert main([*args, "--reps", str(reps), "--json", "--no-progress", "--backend", "serial"]) == 0
    m = json.loads(capsys.readouterr().out)["points"][0]["metrics"]
    lines = []
    for k in metrics:
        lines += ["[[target]]", f'metric = "{k}"', f"value = {m[k]['mean']!r}"]
        lines += [f"stderr = {m[k]['stderr']!r}"]
    path = tmp / "targets.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_recovers_hidden_auction_parameters_within_two_standard_errors(tmp_path, capsys):
    sets = ["auction.auctions=20000", 'auction.values={dist="uniform",low=0.0,high=1.3}']
    sets.append("auction.reserve=0.4")
    targets = _targets(tmp_path, capsys, SCEN, sets, ["revenue", "sale_rate", "price_to_value"], 8)
    out = tmp_path / "cal"
    args = ["calibrate", SCEN, "--targets", str(targets), "--set", "auction.auctions=20000"]
    args += ["--param", "auction.values.high=0.5:2.5", "--param", "auction.reserve=0:1"]
    args += ["--reps", "2", "--budget", "20", "--backend", "serial", "--no-progress"]
    assert main([*args, "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key, truth in HIDDEN.items():
        se = doc["stderr"][key]
        assert 0 < se < 0.05
        assert abs(doc["params"][key] - truth) < 2 * se + 1e-3, (key, doc["params"][key], se)
        lo, hi = doc["ci95"][key]
        assert lo < doc["params"][key] < hi
    # bootstrap (replications resampled, targets redrawn, one Gauss-Newton step per draw):
    # covers the hidden values, as wide as the curvature interval to within a factor of 2.5
    boot = doc["bootstrap"]
    assert doc["identified"] is True
    assert boot["draws"] == 1000 and boot["used"] > 990 and boot["steps"] == 1
    for key, truth in HIDDEN.items():
        lo, hi = boot["ci95"][key]
        assert lo < truth < hi, (key, lo, hi)
        c_lo, c_hi = doc["ci95"][key]
        assert 0.4 < (hi - lo) / (c_hi - c_lo) < 2.5, (key, [lo, hi], [c_lo, c_hi])
        assert 0.4 < boot["stderr"][key] / doc["stderr"][key] < 2.5
    assert [f["metric"] for f in doc["fit"]] == ["revenue", "sale_rate", "price_to_value"]
    assert all(abs(f["z"]) < 3 for f in doc["fit"])
    page = (out / "optimize.html").read_text()
    assert "Fitted parameters" in page and "percentile interval" in page
    chosen = tomllib.loads((out / "calibrated.toml").read_text())
    assert chosen["auction"]["reserve"] == pytest.approx(doc["params"]["auction.reserve"])
    assert (out / "trials.parquet").exists() and (out / "optimize.html").exists()


def test_bootstrap_with_simulated_steps_agrees_and_a_calibrate_table_drives_it(tmp_path, capsys):
    """The study from a [calibrate] table (targets relative to the scenario file); two
    Gauss-Newton steps per draw (the second simulated) land where one step does on this nearly
    linear case; --bootstrap 0 (over the table's 60) reports none; a negative count exits 2."""
    sets = ["auction.auctions=5000", 'auction.values={dist="uniform",low=0.0,high=1.3}']
    sets.append("auction.reserve=0.4")
    _targets(tmp_path, capsys, SCEN, sets, ["revenue", "sale_rate"], 4)
    scen = tmp_path / "lab.toml"
    scen.write_text(
        Path(SCEN).read_text().split("\n[optimize]\n")[0]
        + '\n[calibrate]\ntargets = "targets.toml"\nreps = 2\nbudget = 12\nconfirm = 2\n'
        + 'bootstrap = 60\n[calibrate.params]\n"auction.values.high" = [0.5, 2.5]\n'
        + '"auction.reserve" = [0.0, 1.0]\n'
    )
    args = ["calibrate", str(scen), "--set", "auction.auctions=5000", "--backend", "serial"]
    args += ["--no-progress", "--json"]
    docs = []
    for extra in ([], ["--bootstrap-steps", "2"]):
        assert main([*args, *extra]) == 0
        docs.append(json.loads(capsys.readouterr().out))
    one, two = docs
    assert one["budget"] == 12 and one["reps"] == 2 and one["bootstrap"]["draws"] == 60
    assert one["targets"] == str(tmp_path / "targets.toml")
    assert two["tasks"] == one["tasks"] + 60 * 8  # the second step: 60 draws x 8 replications
    for key in HIDDEN:
        w1 = one["bootstrap"]["ci95"][key][1] - one["bootstrap"]["ci95"][key][0]
        w2 = two["bootstrap"]["ci95"][key][1] - two["bootstrap"]["ci95"][key][0]
        assert 0.5 < w2 / w1 < 2, (key, w1, w2)
    assert main([*args, "--bootstrap", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["bootstrap"] is None
    with pytest.raises(SystemExit) as exc:
        main([*args, "--bootstrap", "-1"])
    assert exc.value.code == 2


def test_fewer_targets_than_parameters_is_said_and_gets_no_interval(tmp_path, capsys):
    """One target, two parameters: the curvature is singular; no standard error of 0, no
    bootstrap along the flat direction, and the summary says so."""
    path = tmp_path / "one.toml"
    path.write_text('[[target]]\nmetric = "revenue"\nvalue = 0.5\nstderr = 0.01\n')
    args = ["calibrate", SCEN, "--targets", str(path), "--set", "auction.auctions=5000"]
    args += ["--param", "auction.values.high=0.5:2.5", "--param", "auction.reserve=0:1"]
    args += ["--reps", "2", "--budget", "6", "--confirm", "2", "--backend", "serial"]
    assert main([*args, "--no-progress", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["identified"] is False and doc["bootstrap"] is None
    assert all(v is None for v in doc["stderr"].values())
    assert main([*args, "--no-progress"]) == 0
    assert "not identified" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, key",
    [
        ('[[target]]\nmetric = "profit"\nvalue = 1.0\nstderr = 0.1\n', "target[0].metric"),
        ('[[target]]\nmetric = "revenue"\nvalue = 1.0\n', "target[0]"),  # no stderr / weight
        ('[[target]]\nmetric = "revenue"\nvalue = 1.0\nstderr = 0\n', "target[0].stderr"),
        ('[[target]]\nmetric = "revenue"\nvalue = "a"\nweight = 1\n', "target[0].value"),
        ('kind = "market"\n[[target]]\nmetric = "revenue"\nvalue = 1.0\nweight = 1\n', "kind"),
        ('[[target]]\nmetric = "revenue"\nvalue = 1.0\nweight = 1\nsd = 2\n', "target[0].sd"),
    ],
)
def test_bad_targets_exit_2_naming_the_key(tmp_path, text, key, capsys):
    path = tmp_path / "t.toml"
    path.write_text(text)
    args = ["calibrate", SCEN, "--targets", str(path), "--param", "auction.reserve=0:1"]
    assert main([*args, "--backend", "serial"]) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err


def test_the_shipped_real_target_set_loads_for_the_market():
    from auction_sim.design.targets import load_targets
    from auction_sim.scenario import metrics_for

    path = ROOT / "scenarios" / "targets" / "zhejiang_auctions.toml"
    ts = load_targets(path, "market", list(metrics_for("market")))
    assert ts.metrics[0] == "premium_over_reserve"
    assert ts.targets[0].value == pytest.approx(0.356)
    text = path.read_text()
    assert "1,539" in text and "2.556" in text and "+28" in text and "+156" in text


MARKET = str(ROOT / "scenarios" / "policy_exemption.toml")
SMALL_MARKET = [
    "market.horizon_days=240",
    "market.achievement_rate=4.0",
    "buyers.firms=250",
    "pricing.reviewers=150",
]


@pytest.mark.slow
def test_recovers_hidden_market_demand_and_markup_within_two_standard_errors(tmp_path, capsys):
    """Targets generated at buyer_rate 20, liability_markup 0.45 (hidden); calibrated from
    [8, 40] x [0, 1]."""
    hidden = {"market.buyer_rate": 20.0, "policy.liability_markup": 0.45}
    base = tmp_path / "m.toml"
    raw = tomllib.loads(Path(MARKET).read_text())
    raw.pop("sweep")
    from auction_sim.scenario.loader import tomli_w

    base.write_text(tomli_w.dumps(raw))
    sets = [*SMALL_MARKET, *(f"{k}={v}" for k, v in hidden.items())]
    metrics = ["deal_rate", "price_to_value", "volume", "premium_over_reserve", "auction_sale_rate"]
    targets = _targets(tmp_path, capsys, str(base), sets, metrics, 12)
    args = ["calibrate", str(base), "--targets", str(targets)]
    args += sum((["--set", s] for s in SMALL_MARKET), [])
    args += ["--param", "market.buyer_rate=8:40", "--param", "policy.liability_markup=0:1"]
    args += ["--reps", "4", "--budget", "24", "--confirm", "3", "--confirm-reps", "8"]
    assert main([*args, "--workers", "2", "--no-progress", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    print(json.dumps({k: doc[k] for k in ("params", "stderr", "ci95", "bootstrap", "distance")}))
    for key, truth in hidden.items():
        se = doc["stderr"][key]
        assert abs(doc["params"][key] - truth) < 2 * se, (key, doc["params"][key], se)
        lo, hi = doc["bootstrap"]["ci95"][key]  # recentred one-step bootstrap
        assert lo < truth < hi, (key, lo, hi)
