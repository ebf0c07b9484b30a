"""The ``[optimize]`` and ``[calibrate]`` tables of a scenario: a design study kept in the file.

::

    [optimize]
    objective = "revenue"            # a metric of the kind
    minimize = false
    budget = 40                      # search trials
    [optimize.params]
    "auction.reserve" = [0.0, 1.5]   # two numbers: a range (integer when the key is an integer)
    "auction.bidders" = [2, 6]
    "auction.format" = ["first_price", "second_price"]   # strings or booleans: choices
    "auction.values.high" = { choices = [1.0, 2.0] }     # numeric choices

    [calibrate]
    targets = "targets/zhejiang_auctions.toml"           # relative to the scenario file
    [calibrate.params]
    "market.buyer_rate" = [50.0, 400.0]

``auction-sim optimize FILE`` / ``calibrate FILE`` read their table; a command-line flag replaces
the table's value (``--param`` replaces all its params).  ``auction-sim run`` ignores both tables:
they describe a study *of* the scenario, which runs at its own values (the tables are not part of
``Scenario.raw``, so the results folder, its resume check and the golden record do not see them).

This module checks the tables' shape (known keys, types, ranges); the loader checks the params
against the kind's schema (the key exists, a range is on a numeric key, both ends are accepted)
and the objective against the kind's metrics.  Every failure is a :class:`ScenarioError` naming
the file and the dotted key (``optimize.params.auction.reserve``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ScenarioError

__all__ = ["STUDIES", "StudyKey", "ParamSpec", "Study", "parse_study", "study_keys"]

STUDIES = ("optimize", "calibrate")


@dataclass(frozen=True)
class StudyKey:
    name: str
    type: str  # "string" | "boolean" | "integer >= 1" | "integer >= 0" | "table"
    default: Any
    meaning: str
    required: bool = False


_COMMON = (
    StudyKey(
        "params",
        "table",
        None,
        'searched keys: `"dotted.key" = [LOW, HIGH]` (a real range, integer when the key holds'
        " an integer), an array of strings or booleans (choices) or `{ choices = [...] }`"
        " (numeric choices); `--param` replaces the whole table",
        True,
    ),
    StudyKey("budget", "integer >= 1", 40, "search trials (`--budget`)"),
    StudyKey("reps", "integer >= 1", None, "replications per trial (default: `replications`)"),
    StudyKey("batch", "integer >= 1", 4, "trials evaluated together (`--batch`)"),
    StudyKey("confirm", "integer >= 1", 5, "best candidates rerun at the end (`--confirm`)"),
    StudyKey("confirm_reps", "integer >= 1", None, "their replications (default 4 x reps)"),
)

_KEYS: dict[str, tuple[StudyKey, ...]] = {
    "optimize": (
        StudyKey("objective", "string", None, "the metric to optimise (`--objective`)", True),
        StudyKey("minimize", "boolean", False, "minimise instead of maximise (`--minimize`)"),
        *_COMMON,
    ),
    "calibrate": (
        StudyKey(
            "targets",
            "string",
            None,
            "targets file, relative to the scenario file (`--targets`)",
            True,
        ),
        *_COMMON,
        StudyKey(
            "bootstrap",
            "integer >= 0",
            1000,
            "bootstrap draws for percentile intervals, 0 for none (`--bootstrap`)",
        ),
        StudyKey(
            "bootstrap_steps",
            "integer >= 1",
            1,
            "Gauss-Newton steps per draw; each after the first simulates (`--bootstrap-steps`)",
        ),
    ),
}


def study_keys(name: str) -> tuple[StudyKey, ...]:
    """The keys of the ``[name]`` table (for the reference and the CLI's defaults)."""
    return _KEYS[name]


@dataclass(frozen=True)
class ParamSpec:
    """One searched key: ``kind`` "range" (low, high; the loader makes it "int" or "float")
    or "categorical" (choices)."""

    key: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple = ()


@dataclass(frozen=True)
class Study:
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    """The keys given in the file (defaults are the command's)."""
    params: tuple[ParamSpec, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


def _found(v: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "an array"
    return f"{names.get(type(v), type(v).__name__)} ({v!r})"


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_value(spec: StudyKey, v: Any, file: str, where: str) -> None:
    t = spec.type
    if t == "string" and not (isinstance(v, str) and v.strip()):
        raise ScenarioError(file, where, f"expected a non-empty string, found {_found(v)}")
    if t == "boolean" and not isinstance(v, bool):
        raise ScenarioError(file, where, f"expected true or false, found {_found(v)}")
    if t.startswith("integer"):
        least = int(t.rsplit(" ", 1)[1])
        if not isinstance(v, int) or isinstance(v, bool):
            raise ScenarioError(file, where, f"expected an integer, found {_found(v)}")
        if v < least:
            raise ScenarioError(file, where, f"expected a value >= {least}, found {v}")


def _flatten(table: dict, prefix: str = "") -> dict[str, Any]:
    """``auction.reserve = [..]`` parses as nested tables; flatten to dotted keys (a table with
    ``choices`` is a value)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "choices" not in v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _choices(values: list, file: str, where: str) -> tuple:
    if not values:
        raise ScenarioError(file, where, "expected a non-empty array of choices")
    for c in values:
        if not isinstance(c, bool | int | float | str):
            raise ScenarioError(
                file, where, f"a choice must be a number, a string or a boolean: {_found(c)}"
            )
    if len({repr(c) for c in values}) != len(values):
        raise ScenarioError(file, where, f"repeated choices in {values!r}")
    return tuple(values)


def _param(key: str, v: Any, file: str, where: str) -> ParamSpec:
    if isinstance(v, dict):
        extra = sorted(set(v) - {"choices"})
        if extra:
            raise ScenarioError(file, f"{where}.{extra[0]}", "unknown key; valid keys: choices")
        if not isinstance(v["choices"], list):
            raise ScenarioError(
                file, f"{where}.choices", f"expected an array, found {_found(v['choices'])}"
            )
        return ParamSpec(key, "categorical", choices=_choices(v["choices"], file, where))
    if not isinstance(v, list):
        raise ScenarioError(
            file,
            where,
            "expected [LOW, HIGH], an array of choices or { choices = [...] },"
            f" found {_found(v)}",
        )
    if v and all(_is_num(x) for x in v):
        if len(v) != 2:
            raise ScenarioError(
                file,
                where,
                f"a range is [LOW, HIGH] (two numbers), found {len(v)} numbers;"
                " numeric choices are { choices = [...] }",
            )
        lo, hi = v
        if not lo < hi:
            raise ScenarioError(file, where, f"empty range {v}: expected LOW < HIGH")
        return ParamSpec(key, "range", lo, hi)
    return ParamSpec(key, "categorical", choices=_choices(v, file, where))


def parse_study(name: str, table: Any, file: str) -> Study:
    """Check the shape of an ``[optimize]`` / ``[calibrate]`` table (module docstring)."""
    if not isinstance(table, dict):
        raise ScenarioError(file, name, f"expected a table, found {_found(table)}")
    specs = {k.name: k for k in _KEYS[name]}
    for k in table:
        if k not in specs:
            import difflib

            close = difflib.get_close_matches(k, list(specs), n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(specs)}"
            raise ScenarioError(file, f"{name}.{k}", f"unknown key{hint}")
    for spec in specs.values():
        if spec.name not in table:
            if spec.required:
                raise ScenarioError(
                    file, f"{name}.{spec.name}", "expected a value (this key is required)"
                )
            continue
        if spec.name != "params":
            _check_value(spec, table[spec.name], file, f"{name}.{spec.name}")
    raw_params = table["params"]
    if not isinstance(raw_params, dict) or not raw_params:
        raise ScenarioError(
            file,
            f"{name}.params",
            f'expected a table of searched keys ("dotted.key" = [LOW, HIGH]), found'
            f" {_found(raw_params) if raw_params != {} else 'an empty table'}",
        )
    params = tuple(
        _param(k, v, file, f"{name}.params.{k}") for k, v in _flatten(raw_params).items()
    )
    settings = {k: v for k, v in table.items() if k != "params"}
    return Study(name, settings, params)
