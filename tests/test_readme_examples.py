"""The example tables in README.md are the code's output (docs/readme_examples.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from golden.record import fingerprint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import readme_examples as rx  # noqa: E402


def test_every_example_is_found_and_the_main_job_is_one():
    found = rx.examples(rx.README.read_text())
    assert len(found) >= 6
    assert any("province_baseline" in c for _, _, c in found)


def test_a_drifted_table_is_caught_and_rewritten(monkeypatch):
    text = "intro\n```\n$ auction-sim run x.toml\nold table\n```\nend\n"
    monkeypatch.setattr(rx, "run_example", lambda cmd: "new table\nline 2")
    assert rx.render(text) == "intro\n```\n$ auction-sim run x.toml\nnew table\nline 2\n```\nend\n"
    assert rx.render(text, skip=("x.toml",)) == text


@pytest.mark.slow
def test_readme_tables_match_the_code():
    """All examples but the main job (benchmarks/readme_times.py checks that one)."""
    doc = json.loads((ROOT / "tests" / "golden" / "revenue_equivalence.json").read_text())
    if fingerprint() != doc["fingerprint"]:
        pytest.skip("README numbers were printed on another floating-point environment")
    assert rx.main(["--check", "--skip", "province_baseline"]) == 0, (
        "README examples drifted: python docs/readme_examples.py"
    )
