"""The ``theory`` fixture: every theory check states its exact value, measurement and tolerance.

A check is ``theory(name, exact, measured, tol, unit="", se=None)``: it asserts
``|measured - exact| <= tol`` and records the check.  ``se`` is the Monte Carlo standard
error of ``measured`` (``None`` for deterministic checks); ``docs/validation.md`` shows
how many standard errors the measurement lies from the exact value.  ``kind`` says which
check it is (``exact`` is then a bound):

* ``"=="`` (default): ``|measured - exact| <= tol``;
* ``"<="`` / ``">="``: ``measured <= exact + tol`` / ``measured >= exact - tol``;
* ``"<"`` / ``">"``: significantly below / above the bound: ``measured + tol < exact`` /
  ``measured - tol > exact`` (e.g. ``tol = 4 * se``).

When the environment variable ``AUCTION_SIM_VALIDATION_OUT`` names a file, each record
is appended to it as one JSON line (``docs/gen_validation.py`` sets it, runs
``pytest tests/validation`` and renders ``docs/validation.md``).  Names must be unique
and must not depend on Monte Carlo noise (``tests/validation/test_validation_doc.py``
checks that the document lists every name recorded in the run).
"""

from __future__ import annotations

import json
import math
import os

import pytest

ENV = "AUCTION_SIM_VALIDATION_OUT"
KINDS = ("==", "<=", ">=", "<", ">")


def _passes(kind: str, exact: float, measured: float, tol: float) -> bool:
    if not (math.isfinite(measured) and math.isfinite(exact)):
        return False
    if kind == "<=":
        return measured <= exact + tol
    if kind == ">=":
        return measured >= exact - tol
    if kind == "<":
        return measured + tol < exact
    if kind == ">":
        return measured - tol > exact
    return abs(measured - exact) <= tol


@pytest.fixture(scope="session")
def validation_records() -> list[dict]:
    """Every check recorded in this pytest session, in order."""
    return []


@pytest.fixture
def theory(request, validation_records):
    """``theory(name, exact, measured, tol, unit="", se=None, kind="==")``: assert and record."""

    def check(
        name: str,
        exact: float,
        measured: float,
        tol: float,
        unit: str = "",
        se: float | None = None,
        kind: str = "==",
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, found {kind!r}")
        exact, measured, tol = float(exact), float(measured), float(tol)
        se = None if se is None else float(se)
        ok = _passes(kind, exact, measured, tol)
        rec = {
            "name": name,
            "test": request.node.nodeid,
            "exact": exact,
            "measured": measured,
            "tol": tol,
            "se": se,
            "unit": unit,
            "kind": kind,
            "passed": ok,
        }
        validation_records.append(rec)
        path = os.environ.get(ENV)
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec) + "\n")
        want = {
            "==": f"|measured - exact| <= {tol:.3g}",
            "<=": f"measured <= exact + {tol:.3g}",
            ">=": f"measured >= exact - {tol:.3g}",
            "<": f"measured + {tol:.3g} < exact",
            ">": f"measured - {tol:.3g} > exact",
        }[kind]
        note = f" (se {se:.3g})" if se else ""
        assert ok, f"{name}: exact {exact:.6g}, measured {measured:.6g}; expected {want}{note}"

    return check


def pytest_collection_modifyitems(config, items):
    """Run test_validation_doc.py last, after every check of the session is recorded."""
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith("test_validation_doc.py"))
