"""Bidder classes on the command line: bad classes exit 2 naming the key; good ones run."""

import json
import subprocess
import sys

import pytest

from auction_sim.experiments.auction import METRICS

HEAD = """kind = "auction"
[auction]
format = "first_price"
auctions = 2000
"""
WEAK = '[[auction.classes]]\ncount = {c}\nvalues = {{dist = "uniform", low = {lo}, high = 1.0}}\n'
STRONG = '[[auction.classes]]\ncount = 1\nvalues = {dist = "uniform", low = 0.0, high = 2.0}\n'


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "auction_sim", *args], capture_output=True, text=True, timeout=300
    )


def write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "extra, body, key",
    [
        ("", WEAK.format(c=1, lo=0.0) + STRONG.replace("count = 1", "count = 0"),
         "auction.classes[1].count"),
        ("", WEAK.format(c=1, lo=0.5) + STRONG, "auction.classes[1].values"),
        ("reserve = 2.5\n", WEAK.format(c=1, lo=0.0) + STRONG, "auction.reserve"),
        ('value_model = "common"\n', WEAK.format(c=1, lo=0.0) + STRONG, "auction.value_model"),
        ("bidders = 7\n", WEAK.format(c=1, lo=0.0) + STRONG, "auction.bidders"),
        ("", WEAK.format(c=1, lo=0.0) + '[[auction.classes]]\ncount = 1\n'
         'values = {dist = "constant", value = 0.5}\n', "auction.classes[1].values"),
        ("", '[[auction.classes]]\ncount = 1\nvalues = {dist = "uniform", lo = 0.0}\n',
         "auction.classes[0].values.lo: unknown key; did you mean 'low'?"),
    ],
)  # fmt: skip
def test_bad_classes_exit_2_naming_the_key(tmp_path, extra, body, key):
    proc = cli("validate", write(tmp_path, HEAD + extra + body))
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and "Traceback" not in proc.stderr


def test_run_exits_2_before_running(tmp_path):
    body = WEAK.format(c=1, lo=0.0) + STRONG.replace("count = 1", "count = 0")
    proc = cli("run", write(tmp_path, HEAD + body), "--backend", "serial")
    assert proc.returncode == 2 and "auction.classes[1].count" in proc.stderr


def test_class_scenario_reports_per_class_metrics(tmp_path):
    path = write(tmp_path, HEAD + WEAK.format(c=2, lo=0.0) + STRONG)
    assert cli("validate", path).returncode == 0
    proc = cli("run", path, "--json", "--backend", "serial", "--reps", "2", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)["points"][0]["metrics"]
    per_class = ["win_share_1", "class_surplus_1", "win_share_2", "class_surplus_2"]
    assert list(metrics) == list(METRICS) + per_class
    shares = metrics["win_share_1"]["mean"] + metrics["win_share_2"]["mean"]
    assert shares == pytest.approx(metrics["sale_rate"]["mean"])
    surplus = metrics["class_surplus_1"]["mean"] + metrics["class_surplus_2"]["mean"]
    assert surplus == pytest.approx(metrics["bidder_surplus"]["mean"])


def test_scenario_without_classes_keeps_its_metrics(tmp_path):
    path = write(tmp_path, HEAD + "bidders = 3\n")
    proc = cli("run", path, "--json", "--backend", "serial", "--reps", "1", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert list(json.loads(proc.stdout)["points"][0]["metrics"]) == list(METRICS)
