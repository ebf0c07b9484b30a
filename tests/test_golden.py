"""The golden record: every scenario's numbers, bit for bit, as recorded in ``tests/golden/``.

A refactor must leave every number where it was.  A change that moves numbers on purpose
regenerates the record in the same commit (``python -m tests.golden.record [NAME ...]``)
and says why in the commit message.  Bitwise comparison needs the same floating-point
environment as the record's (``record.fingerprint``); elsewhere the test is skipped with the
difference named, never loosened into a tolerance that chaotic market runs could not meet.
"""

from __future__ import annotations

import json

import pytest

from golden.cases import cases
from golden.record import fingerprint, record_path, run_case

CASES = cases()


def test_every_case_has_a_record_and_every_record_a_case():
    recorded = {p.stem for p in record_path("x").parent.glob("*.json")}
    assert recorded == set(CASES), (
        f"missing records {sorted(set(CASES) - recorded)}, stale {sorted(recorded - set(CASES))}:"
        " run python -m tests.golden.record"
    )


def _first_difference(want, got, where="summary"):
    """The first dotted path where two JSON trees differ (for a readable failure)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in want.keys() | got.keys():
            d = _first_difference(want.get(k), got.get(k), f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{where}: {len(want)} items recorded, {len(got)} now"
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            d = _first_difference(a, b, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if want == got else f"{where}: recorded {want!r}, now {got!r}"


@pytest.mark.parametrize("name", list(CASES))
def test_numbers_match_the_golden_record(name):
    doc = json.loads(record_path(name).read_text())
    path, sets, reps = CASES[name]
    assert (doc["scenario"], doc["overrides"], doc["replications"]) == (path.name, sets, reps), (
        "the case changed since it was recorded: run python -m tests.golden.record " + name
    )
    here = fingerprint()
    if here != doc["fingerprint"]:
        pytest.skip(f"recorded on {doc['fingerprint']}, running on {here}: bits may differ")
    got = run_case(path, sets, reps)
    assert got["rows"] == doc["rows"]
    diff = _first_difference(doc["summary"], got["summary"])
    assert diff is None, f"{name}: {diff}"
    assert got["runs_sha256"] == doc["runs_sha256"], f"{name}: runs.parquet metric columns moved"


def test_the_golden_check_catches_a_moved_number(monkeypatch):
    """Inject a change of one unit in the last place and see the comparison catch it."""
    name = "revenue_equivalence"
    doc = json.loads(record_path(name).read_text())
    got = json.loads(json.dumps(doc["summary"]))
    m = got["points"][0]["metrics"]["revenue"]
    import math

    m["mean"] = math.nextafter(m["mean"], math.inf)
    assert _first_difference(doc["summary"], got) is not None
    assert _first_difference(doc["summary"], doc["summary"]) is None
