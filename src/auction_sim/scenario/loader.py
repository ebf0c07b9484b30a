"""TOML file -> validated, immutable :class:`Scenario`; ``--set`` overrides; sweep grid.

Nothing in a scenario file is evaluated as code: it is parsed with :mod:`tomllib`
and validated by the kind's strict pydantic schema.  Every failure becomes a
:class:`ScenarioError` naming the file, the dotted key, what was expected and
what was found.
"""

from __future__ import annotations

import copy
import difflib
import math
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from .base import META_KEYS, ScenarioBase
from .errors import FieldError, ScenarioError
from .registry import KINDS, PLANNED_KINDS, metrics_for, schema_for
from .studies import STUDIES, Study, parse_study

__all__ = ["Scenario", "Point", "load_scenario", "parse_override", "scenario_from_dict"]


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class Point:
    """One grid point: its index, swept parameters (dotted key -> value) and scenario."""

    index: int
    params: dict[str, Any]
    scenario: ScenarioBase


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the base model plus the sweep grid.

    Attributes
    ----------
    source : str
        File the scenario came from (or ``"<dict>"``).
    model : ScenarioBase
        The validated base scenario (frozen pydantic model of the kind's schema).
    sweep : dict[str, list]
        Dotted parameter path -> values; the grid is their full product.
    points : Sequence[Point]
        The grid, in sweep order (the last key varies fastest): a lazy :class:`Grid`,
        so ``len(points)`` is instant and a point is validated when it is used.
    raw : dict
        The scenario as run (after overrides), for writing a copy next to results.
    paired : bool
        ``[sweep] paired = true``: common random numbers, every grid point sees the
        random streams of the replication alone (see :mod:`auction_sim.rng`).
    studies : dict[str, Study]
        The ``[optimize]`` / ``[calibrate]`` tables, checked (:mod:`.studies`); not part of
        ``raw``: ``run`` ignores them, and a scenario derived by :meth:`with_overrides` has none.
    """

    source: str
    model: ScenarioBase
    sweep: dict[str, list] = field(default_factory=dict)
    points: Sequence[Point] = ()
    raw: dict = field(default_factory=dict)
    paired: bool = False
    studies: dict[str, Study] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def seed(self) -> int:
        return self.model.seed

    @property
    def replications(self) -> int:
        return self.model.replications

    def to_toml(self) -> str:
        """The scenario as run, as TOML text."""
        return tomli_w.dumps(_toml_safe(self.raw))

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new scenario with dotted keys set (the same rules as ``--set``)."""
        raw = copy.deepcopy(self.raw)
        for key, value in overrides.items():
            _apply_override(raw, key, value, self.source)
        return scenario_from_dict(raw, source=self.source)

    def with_paired(self, paired: bool = True) -> Scenario:
        """The same scenario with ``[sweep] paired`` set (``run --paired``)."""
        raw = copy.deepcopy(self.raw)
        sweep = raw.pop("sweep", {})
        sweep.pop("paired", None)
        if paired:
            sweep["paired"] = True
        if sweep:
            raw["sweep"] = sweep
        return scenario_from_dict(raw, source=self.source)


def _toml_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _toml_safe(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_toml_safe(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- reading


def _read_toml(path: Path) -> dict:
    file = str(path)
    if not path.exists():
        raise ScenarioError(file, None, "file not found")
    if path.is_dir():
        raise ScenarioError(file, None, "expected a TOML file, found a directory")
    data = path.read_bytes()
    if not data.strip():
        raise ScenarioError(file, None, "expected a TOML scenario, found an empty file")
    if b"\x00" in data:
        raise ScenarioError(file, None, "expected a TOML text file, found binary data")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            file, None, f"expected UTF-8 text, found undecodable bytes at offset {exc.start}"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if "line" not in msg:  # tomllib says "at end of document" without a position
            lines = text.splitlines() or [""]
            msg += f" (line {len(lines)}, column {len(lines[-1]) + 1})"
        raise ScenarioError(file, None, f"TOML syntax error: {msg}") from None


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` of ``--set``: VALUE is a TOML value; a bare word is a string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError("--set", text, "expected KEY=VALUE with a dotted KEY")
    value = value.strip()
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        if value and all(c.isalnum() or c in "_-." for c in value):
            parsed = value  # bare word, e.g. --set auction.format=second_price
        else:
            raise ScenarioError("--set", key, f"expected a TOML value, found {value!r}") from None
    return key, parsed


def _apply_override(raw: dict, key: str, value: Any, file: str) -> None:
    parts = key.split(".")
    if parts[0] == "sweep" and key != "sweep.paired":
        raise ScenarioError(file, key, "cannot override the sweep table; override a parameter")
    # Fixing a swept parameter removes it from the sweep.
    if isinstance(raw.get("sweep"), dict):
        raw["sweep"].pop(key, None)
    node = raw
    for i, p in enumerate(parts[:-1]):
        nxt = node.get(p)
        if nxt is None:
            nxt = node[p] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(
                file, ".".join(parts[: i + 1]), f"expected a table, found {_found(nxt)}"
            )
        node = nxt
    node[parts[-1]] = value


# --------------------------------------------------------------------------- errors


def _found(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array {value!r}" if len(repr(value)) < 60 else "an array"
    if isinstance(value, bool):
        return f"{str(value).lower()} (boolean)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} (not finite)"
    return f"{value!r} ({type(value).__name__})"


def _nearest(word: str, candidates: typing.Iterable[str], listing: str | None = "keys") -> str:
    """``; did you mean 'x'?`` for a close candidate; else ``; valid <listing>: ...``.

    ``listing=None`` where the message lists the candidates already (enumerated values).
    """
    cands = list(candidates)
    close = difflib.get_close_matches(str(word), cands, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; valid {listing}: {', '.join(cands)}" if cands and listing else ""


def _target(annotation: Any) -> tuple[str, Any]:
    """Classify a field annotation: ('model', cls) | ('union', {tag: cls}) | ('leaf', None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _target(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if isinstance(a, type)]
        if members and all(issubclass(m, BaseModel) and "dist" in m.model_fields for m in members):
            tags = {typing.get_args(m.model_fields["dist"].annotation)[0]: m for m in members}
            return "union", tags
    return "leaf", None


def _field_names(cls: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in cls.model_fields.items()]


def _get_field(cls: type[BaseModel], key: str):
    for name, f in cls.model_fields.items():
        if key in (name, f.alias):
            return f
    return None


def _walk(root: type[BaseModel], loc: tuple) -> tuple[list[str], type[BaseModel] | None]:
    """Dotted parts of a pydantic error location, skipping union tags; the model at the end."""
    parts: list[str] = []
    cls: Any = root
    union: dict | None = None
    for el in loc:
        if union is not None:
            if el in union:  # discriminator tag inserted by pydantic: not a key of the file
                cls, union = union[el], None
                continue
            union = None
        if isinstance(el, int):
            parts[-1:] = [f"{parts[-1]}[{el}]"] if parts else [f"[{el}]"]
            continue
        parts.append(str(el))
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            f = _get_field(cls, str(el))
            if f is None:
                return parts, cls
            kind, tgt = _target(f.annotation)
            cls = tgt if kind == "model" else _item_model(f.annotation)
            union = tgt if kind == "union" else None
        else:
            cls = None
    return parts, cls


def _item_model(annotation: Any) -> type[BaseModel] | None:
    """The model of an array of tables (``list[M]`` or ``list[M] | None``), else None."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _translate(err: dict, root: type[BaseModel]) -> tuple[str, str]:
    """One pydantic error -> (dotted key, 'expected ..., found ...' message)."""
    typ, loc, ctx = err["type"], tuple(err["loc"]), err.get("ctx") or {}
    value = err.get("input")
    if typ == "extra_forbidden":
        parts, parent = _walk(root, loc[:-1])
        parts.append(str(loc[-1]))
        names = _field_names(parent) if parent is not None else []
        return ".".join(parts), f"unknown key{_nearest(loc[-1], names)}"
    parts, cls = _walk(root, loc)
    key = ".".join(parts)
    expected = {
        "missing": "a value (this key is required)",
        "int_type": "an integer",
        "float_type": "a number",
        "bool_type": "true or false",
        "string_type": "a string",
        "model_type": "a table",
        "model_attributes_type": "a table",
        "dict_type": "a table",
        "list_type": "an array",
        "finite_number": "a finite number",
        "greater_than": f"a value > {ctx.get('gt')}",
        "greater_than_equal": f"a value >= {ctx.get('ge')}",
        "less_than": f"a value < {ctx.get('lt')}",
        "less_than_equal": f"a value <= {ctx.get('le')}",
        "too_short": "a non-empty array",
    }.get(typ)
    if typ == "literal_error":
        exp = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in exp.replace(" or ", ",").split(",") if o.strip()]
        return key, f"expected one of {exp}, found {_found(value)}{_nearest(value, options, None)}"
    if typ == "union_tag_invalid":
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        msg = f"expected dist to be one of {', '.join(tags)}, found {ctx.get('tag')!r}"
        return f"{key}.dist", msg + _nearest(ctx.get("tag"), tags, None)
    if typ == "union_tag_not_found":
        return key, "expected a distribution table with a 'dist' key, found no 'dist'"
    if typ == "value_error":
        exc = ctx.get("error")
        if isinstance(exc, FieldError):
            full = ".".join(p for p in (key, exc.key) if p)
            return full, exc.message
        return key, str(exc) if exc is not None else err["msg"]
    if expected is None:
        return key, f"{err['msg']}, found {_found(value)}"
    if typ == "missing":
        return key, f"expected {expected}, found nothing"
    return key, f"expected {expected}, found {_found(value)}"


def _validate(schema: type[ScenarioBase], raw: dict, file: str, where: str = "") -> ScenarioBase:
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        key, msg = _translate(exc.errors()[0], schema)
        extra = len(exc.errors()) - 1
        if extra:
            msg += f" (and {extra} more problem{'s' if extra > 1 else ''})"
        raise ScenarioError(file, where or key, msg if not where else f"{key}: {msg}") from None


# --------------------------------------------------------------------------- sweep


def _check_sweep_path(
    schema: type[BaseModel], path: str, file: str, key: str | None = None
) -> None:
    key = key or f"sweep.{path}"
    parts = path.split(".")
    if parts[0] in META_KEYS:
        raise ScenarioError(file, key, f"'{parts[0]}' cannot be swept; sweep a model parameter")
    cls: Any = schema
    for i, p in enumerate(parts):
        if isinstance(cls, dict):  # inside a distribution table: any member's field
            names = sorted({n for m in cls.values() for n in _field_names(m)})
            if p not in names:
                raise ScenarioError(
                    file, key, f"unknown parameter path{_nearest(p, names, 'paths')}"
                )
            cls = None
            continue
        if cls is None:
            raise ScenarioError(file, key, "unknown parameter path: nothing below a plain value")
        names = [n for n in _field_names(cls) if i or n not in META_KEYS]
        f = _get_field(cls, p) if p in names else None
        if f is None:
            prefix = ".".join(parts[:i] + [""])
            close = difflib.get_close_matches(p, names, n=1, cutoff=0.5)
            near = f"; did you mean '{prefix}{close[0]}'?" if close else ""
            raise ScenarioError(file, key, f"unknown parameter path{near}")
        kind, tgt = _target(f.annotation)
        cls = tgt if kind in ("model", "union") else None
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        raise ScenarioError(file, key, "expected a parameter, found a whole table")


EAGER_POINTS = 4096
"""Grids up to this many points are validated point by point when loaded (every error at
load time, as exit 2); larger grids validate every swept value on its own, the first and
the last point, and each other point when it is used."""


class Grid(Sequence[Point]):
    """The sweep grid as a lazy sequence of :class:`Point` (the last key varies fastest).

    Nothing of size ``len(grid)`` is built: ``grid[i]`` decodes ``i`` into one value per
    swept key and validates that point's scenario on demand, so a grid of 10^7
    combinations costs no memory until it is iterated (and ``len`` is instant).
    """

    def __init__(self, schema, base: ScenarioBase, sweep: dict, file: str):
        self._schema = schema
        self._full = base.model_dump(by_alias=True)
        self._base = base
        self._keys = list(sweep)
        self._values = [list(sweep[k]) for k in self._keys]
        self._file = file
        self._len = math.prod(len(v) for v in self._values)

    def __len__(self) -> int:
        return self._len

    def params(self, index: int) -> dict[str, Any]:
        """The swept values of point ``index`` (dotted key -> value), without validating."""
        out = {}
        for k, vals in zip(reversed(self._keys), reversed(self._values), strict=True):
            index, j = divmod(index, len(vals))
            out[k] = vals[j]
        return {k: out[k] for k in self._keys}

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        params = self.params(index)
        if not self._keys:
            return Point(0, {}, self._base)
        raw = copy.deepcopy(self._full)
        for k, v in params.items():
            _apply_override(raw, k, copy.deepcopy(v), self._file)
        try:
            model = self._schema.model_validate(raw)
        except ValidationError as exc:
            k, msg = _translate(exc.errors()[0], self._schema)
            swept = next((s for s in self._keys if k == s or k.startswith(s + ".")), None)
            if swept is not None:
                i = self._values[self._keys.index(swept)].index(params[swept])
                raise ScenarioError(self._file, f"sweep.{swept}[{i}]", msg) from None
            raise ScenarioError(self._file, k, f"{msg} (at sweep point {params})") from None
        return Point(index, params, model)

    def __iter__(self):
        for i in range(self._len):
            yield self[i]

    def check(self) -> None:
        """Validate at load: every point of a small grid; else each swept value on its own
        (against the base scenario) and the first and last points."""
        if self._len <= EAGER_POINTS:
            for _ in self:
                pass
            return
        for k, vals in zip(self._keys, self._values, strict=True):
            for i, v in enumerate(vals):
                raw = copy.deepcopy(self._full)
                _apply_override(raw, k, copy.deepcopy(v), self._file)
                try:
                    self._schema.model_validate(raw)
                except ValidationError as exc:
                    key, msg = _translate(exc.errors()[0], self._schema)
                    if key == k or key.startswith(k + "."):
                        raise ScenarioError(self._file, f"sweep.{k}[{i}]", msg) from None
        self[0], self[self._len - 1]


def _expand(schema, base: ScenarioBase, sweep: dict, file: str) -> Grid:
    grid = Grid(schema, base, sweep, file)
    grid.check()
    return grid


# --------------------------------------------------------------------------- entry points


def scenario_from_dict(raw: dict, source: str = "<dict>") -> Scenario:
    """Validate a raw scenario table (as parsed from TOML) into a :class:`Scenario`."""
    file = str(source)
    raw = copy.deepcopy(raw)
    if not isinstance(raw, dict) or not raw:
        raise ScenarioError(file, None, "expected a TOML scenario, found an empty document")
    kind = raw.get("kind")
    if kind is None:
        # A misspelt ``kind`` is an unknown top-level key: name it, with its did-you-mean.
        top = list(ScenarioBase.model_fields)
        for key in raw:
            if key not in top and not isinstance(raw[key], dict):
                hint = _nearest(key, top)
                if hint.endswith("'kind'?"):
                    raise ScenarioError(file, key, f"unknown key{hint}")
        raise ScenarioError(file, "kind", f"expected one of {', '.join(KINDS)}, found nothing")
    if not isinstance(kind, str):
        raise ScenarioError(file, "kind", f"expected a string, found {_found(kind)}")
    if kind not in KINDS:
        if kind in PLANNED_KINDS:
            raise ScenarioError(
                file,
                "kind",
                f"kind '{kind}' is part of the scenario format but not implemented yet;"
                f" implemented: {', '.join(KINDS)}",
            )
        raise ScenarioError(
            file,
            "kind",
            f"expected one of {', '.join(KINDS)}, found {kind!r}"
            f"{_nearest(kind, list(KINDS) + list(PLANNED_KINDS), None)}",
        )
    schema = schema_for(kind)
    sweep = raw.pop("sweep", {})
    if not isinstance(sweep, dict):
        raise ScenarioError(file, "sweep", f"expected a table, found {_found(sweep)}")
    sweep = dict(sweep)
    paired = sweep.pop("paired", False)
    if not isinstance(paired, bool):
        raise ScenarioError(file, "sweep.paired", f"expected true or false, found {_found(paired)}")
    sweep = _flatten_sweep(sweep)
    tables = {name: raw.pop(name) for name in STUDIES if name in raw}
    base = _validate(schema, raw, file)
    studies = {
        name: _check_study(schema, base, parse_study(name, table, file), file)
        for name, table in tables.items()
    }
    for path, values in sweep.items():
        _check_sweep_path(schema, path, file)
        if not isinstance(values, list) or not values:
            raise ScenarioError(
                file,
                f"sweep.{path}",
                f"expected a non-empty array of values, found {_found(values)}",
            )
    points = _expand(schema, base, sweep, file)
    raw_out = dict(raw)
    if sweep or paired:
        raw_out["sweep"] = {**sweep, **({"paired": True} if paired else {})}
    return Scenario(
        source=file,
        model=base,
        sweep=sweep,
        points=points,
        raw=raw_out,
        paired=paired,
        studies=studies,
    )


def _current(full: dict, key: str) -> Any:
    node: Any = full
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_study(schema, base: ScenarioBase, study: Study, file: str) -> Study:
    """The params of an ``[optimize]`` / ``[calibrate]`` table against the kind's schema (the
    key exists, a range is on a numeric key, integer on an integer key, every end and choice
    is accepted) and the objective against the kind's metrics."""
    import dataclasses

    full = base.model_dump(by_alias=True)
    params = []
    for p in study.params:
        where = f"{study.name}.params.{p.key}"
        if p.key.split(".")[0] in META_KEYS:
            raise ScenarioError(file, where, f"'{p.key}' cannot be searched; search a parameter")
        _check_sweep_path(schema, p.key, file, key=where)
        current = _current(full, p.key)
        values: tuple = p.choices
        if p.kind == "range":
            if current is not None and not (
                isinstance(current, int | float) and not isinstance(current, bool)
            ):
                raise ScenarioError(
                    file, where, f"not a numeric parameter (it holds {current!r}); give choices"
                )
            integer = isinstance(current, int) and not isinstance(current, bool)
            if integer and not (isinstance(p.low, int) and isinstance(p.high, int)):
                raise ScenarioError(
                    file, where, f"an integer parameter: expected integers, found {[p.low, p.high]}"
                )
            p = dataclasses.replace(p, kind="int" if integer else "float")
            values = (p.low, p.high)
        for v in values:
            trial = copy.deepcopy(full)
            _apply_override(trial, p.key, copy.deepcopy(v), file)
            try:
                schema.model_validate(trial)
            except ValidationError as exc:
                k, msg = _translate(exc.errors()[0], schema)
                at = f"{k}: " if k != p.key else ""
                raise ScenarioError(file, where, f"{v!r} is refused: {at}{msg}") from None
        params.append(p)
    if study.name == "optimize":
        objective = study.settings["objective"]
        metrics = metrics_for(base.kind, base)
        if objective not in metrics:
            raise ScenarioError(
                file,
                "optimize.objective",
                f"the {base.kind} kind does not report {objective!r}; its metrics:"
                f" {', '.join(metrics)}",
            )
    return dataclasses.replace(study, params=tuple(params))


def _flatten_sweep(sweep: dict, prefix: str = "") -> dict[str, Any]:
    """``[sweep] auction.bidders = [..]`` parses as nested tables; flatten to dotted keys."""
    flat: dict[str, Any] = {}
    for k, v in sweep.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(_flatten_sweep(v, key + "."))
        else:
            flat[key] = v
    return flat


def load_scenario(
    path: str | Path, overrides: typing.Iterable[str] | dict[str, Any] = ()
) -> Scenario:
    """Load, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML scenario.
    overrides : iterable of "KEY=VALUE" strings, or dict of dotted key -> value
        Applied before validation, as ``--set`` does.  Overriding a swept key fixes it.

    Raises
    ------
    ScenarioError
        For every kind of malformed input; the message names file and dotted key.
    """
    path = Path(path)
    raw = _read_toml(path)
    items = overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides)
    for key, value in items:
        _apply_override(raw, key, value, str(path))
    return scenario_from_dict(raw, source=str(path))
