"""docs/validation.md lists every theory check recorded in this run (names, not numbers).

The conftest moves this test after the others of the session, so it sees every check the
run recorded; run alone it only checks the renderer.  Regenerate the document with
``python docs/gen_validation.py``.
"""

import importlib.util
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_validation", ROOT / "docs" / "gen_validation.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_renderer_shows_every_record():
    gen = _generator()
    recs = [
        {"name": "a | b", "test": "tests/validation/x.py::t", "exact": 0.5, "measured": 0.51,
         "tol": 0.04, "se": 0.01, "unit": "", "kind": "==", "passed": True},
        {"name": "bound", "test": "tests/validation/x.py::u", "exact": 0.8, "measured": 0.5,
         "tol": 0.0, "se": None, "unit": "log", "kind": "<", "passed": True},
    ]  # fmt: skip
    md = gen.render(recs)
    assert gen.cell("a | b") in md and "+1.00" in md and "0.5 log" in md


def test_splice_replaces_one_module_table_and_keeps_the_notes():
    gen = _generator()
    rec = {"name": "x", "test": "tests/validation/a.py::t", "exact": 1.0, "measured": 1.0,
           "tol": 0.1, "se": 0.05, "unit": "", "kind": "==", "passed": True}  # fmt: skip
    doc = gen.render(
        [rec, {**rec, "name": "y"}, {**rec, "name": "w", "test": "tests/validation/b.py::u"}]
    )
    doc = doc.replace("## `tests/validation/b.py`", "## `tests/validation/b.py`\n\nA note.")
    new = gen.splice(doc, [{**rec, "name": "z", "measured": 1.05}])
    assert "| z |" in new and "| x |" not in new and "| y |" not in new
    assert "A note." in new and "| `u` |" in new  # module b and its note untouched
    assert "**2 checks, 2 passed.**" in new


def test_doc_lists_every_recorded_check(validation_records):
    names = [r["name"] for r in validation_records]
    dup = [n for n, k in Counter(names).items() if k > 1]
    assert not dup, f"theory check names must be unique: {dup}"
    doc = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    gen = _generator()
    missing = [n for n in names if f"| {gen.cell(n)}" not in doc]
    assert not missing, (
        f"{len(missing)} theory check(s) missing from docs/validation.md; run "
        f"`python docs/gen_validation.py`: {missing[:5]}"
    )


def test_the_generator_keeps_the_hand_written_measurements(tmp_path):
    """Everything after the KEEP line (full-size runs, design studies) survives a regeneration."""
    gen = _generator()
    doc = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert doc.count(gen.KEEP) == 1
    tail = gen.kept_tail(ROOT / "docs" / "validation.md")
    assert tail.startswith(gen.KEEP) and "Design studies (issue 18)" in tail
    rec = {"name": "x", "test": "tests/validation/x.py::t", "exact": 0.5, "measured": 0.5,
           "tol": 0.1, "se": None, "unit": "", "kind": "==", "passed": True}  # fmt: skip
    records = tmp_path / "r.jsonl"
    records.write_text(__import__("json").dumps(rec) + "\n")
    out = tmp_path / "v.md"
    out.write_text("old tables\n\n" + tail)
    assert gen.main(["--records", str(records), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "old tables" not in text and text.endswith(tail) and "| x |" in text
