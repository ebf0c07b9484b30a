"""Exit codes and messages a new user meets first (issue 20 item 7), in-process."""

from __future__ import annotations

import importlib.util

import pytest

from auction_sim import __version__
from auction_sim.cli import main

SCEN = "scenarios/revenue_equivalence.toml"
TINY = ["--set", "auction.auctions=200", "--reps", "1", "--backend", "serial", "--no-progress"]


def test_out_naming_a_file_exits_2(tmp_path, capsys):
    f = tmp_path / "results.txt"
    f.write_text("keep me")
    assert main(["run", SCEN, "--out", str(f), *TINY]) == 2
    err = capsys.readouterr().err
    assert f"--out: {f} is a file" in err and "Traceback" not in err
    assert f.read_text() == "keep me"  # nothing lost


def test_dask_backend_without_the_extra_exits_2(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    assert main(["run", SCEN, *TINY[:-3], "--backend", "dask", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--backend" in err and "pip install 'auction_sim[dask]'" in err


@pytest.mark.parametrize("make,words", [(False, "does not exist"), (True, "is a file")])
def test_report_on_a_missing_folder_or_a_file_says_so(tmp_path, capsys, make, words):
    target = tmp_path / "runs"
    if make:
        target.write_text("")
    assert main(["report", str(target)]) == 2
    assert words in capsys.readouterr().err


def test_report_on_an_empty_folder_says_no_finished_results(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no finished results" in capsys.readouterr().err


def test_bad_enumerated_value_lists_values_not_keys(capsys):
    assert main(["validate", SCEN, "--set", "auction.format=foo"]) == 2
    err = capsys.readouterr().err
    assert "auction.format" in err and "'first_price'" in err and "valid keys" not in err


def test_unknown_key_still_lists_valid_keys(tmp_path, capsys):
    p = tmp_path / "x.toml"
    p.write_text('kind = "auction"\n[auction]\nqqqqqqqq = 1\n')
    assert main(["validate", str(p)]) == 2
    assert "unknown key; valid keys:" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"auction-sim {__version__}"
