"""numba set-up: a first compile is announced on stderr, the cache lives outside the tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from auction_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["scenarios/listing_rules.toml", "--set", "listing.listings=50", "--reps", "1"]
RUN = [sys.executable, "-m", "auction_sim", "run", *TINY, "--backend", "serial", "--json"]


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(extra)
    return env


def test_a_cold_cache_is_announced_once_and_a_warm_one_is_silent(tmp_path):
    env = _env(NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    cold = subprocess.run(RUN, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count("compiling numba kernels for first use") == 1
    assert str(tmp_path / "cache") in cold.stderr
    warm = subprocess.run(RUN, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0 and "compiling" not in warm.stderr
    assert cold.stdout == warm.stdout  # the same numbers from compiled and cached code


def test_the_default_cache_is_under_the_user_cache_not_the_source_tree(tmp_path):
    env = _env(XDG_CACHE_HOME=str(tmp_path))
    code = "import auction_sim, os; print(os.environ['NUMBA_CACHE_DIR'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(tmp_path / "auction_sim" / "numba")
    code = "import auction_sim, os; print(os.environ['NUMBA_CACHE_DIR'])"
    env["NUMBA_CACHE_DIR"] = "/x/y"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "/x/y"  # the user's choice wins


def test_warmup_command(capsys):
    assert main(["warmup", "listing"]) == 0
    captured = capsys.readouterr()
    assert "kernels ready" in captured.out and "listing:" in captured.err
    assert main(["warmup", "nope"]) == 2
    assert "unknown kind 'nope'" in capsys.readouterr().err
