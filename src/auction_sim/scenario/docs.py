"""Generate the scenario reference (``docs/scenarios.md``) from the schemas.

Every key, type, default, range and meaning comes from the ``Field`` declarations
of the registered kinds, so the reference cannot drift from the code:
``python -m auction_sim.scenario.docs > docs/scenarios.md`` regenerates it and a
test fails when the committed file differs.
"""

from __future__ import annotations

import json
import types
import typing

import annotated_types
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .base import ScenarioBase
from .loader import _target
from .registry import KINDS, schema_for
from .studies import STUDIES, study_keys

__all__ = ["render"]

_OPS = {
    annotated_types.Gt: (">", "gt"),
    annotated_types.Ge: (">=", "ge"),
    annotated_types.Lt: ("<", "lt"),
    annotated_types.Le: ("<=", "le"),
}


def _type_name(annotation: typing.Any) -> str:
    kind, target = _target(annotation)
    if kind == "union":
        return "distribution"
    if kind == "model":
        return "table"
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in typing.get_args(annotation))
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return f"array of {_type_name(args[0])}" if args else "array"
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(_type_name(a) for a in args)
    names = {int: "integer", float: "number", bool: "boolean", str: "string"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _range(field) -> str:
    parts = []
    for m in field.metadata:
        for cls, (op, attr) in _OPS.items():
            if isinstance(m, cls):
                parts.append(f"{op} {getattr(m, attr)}")
    return ", ".join(parts)


def _default(field) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
    else:
        value = field.default
    if value is PydanticUndefined:
        return ""
    if isinstance(value, BaseModel):
        if "dist" in type(value).model_fields:
            inner = ", ".join(
                f"{k} = {json.dumps(v)}" for k, v in value.model_dump(by_alias=True).items()
            )
            return f"`{{{inner}}}`"
        return "(table)"
    return f"`{json.dumps(value)}`"


def _table(cls: type[BaseModel], prefix: str, skip: tuple[str, ...] = ()) -> list[str]:
    lines = ["| key | type | default | range | meaning |", "|---|---|---|---|---|"]
    nested = []
    for name, f in cls.model_fields.items():
        key = f.alias or name
        if key in skip:
            continue
        kind, target = _target(f.annotation)
        if kind == "model":
            nested.append((f"{prefix}{key}", target, f.description or ""))
            continue
        lines.append(
            f"| `{prefix}{key}` | {_type_name(f.annotation)} | {_default(f)} | {_range(f)}"
            f" | {(f.description or '').replace('|', '/')} |"
        )
    out = lines if len(lines) > 2 else []
    for path, target, desc in nested:
        out += ["", f"#### `[{path}]`", ""]
        if desc:
            out += [desc, ""]
        doc = (target.__doc__ or "").strip().splitlines()
        if doc and not desc:
            out += [doc[0], ""]
        out += _table(target, f"{path}.")
    return out


def _distributions() -> list[str]:
    from ..values import Distribution

    _, members = _target(typing.get_args(Distribution)[0])
    out = [
        "## Value distributions",
        "",
        "A value distribution is an inline table selected by its `dist` key.",
        "",
    ]
    for tag, cls in members.items():
        out += [f'### `dist = "{tag}"`', "", (cls.__doc__ or "").strip().splitlines()[0], ""]
        out += _table(cls, "", skip=("dist",)) or ["(no parameters besides `dist`)"]
        out.append("")
    return out


def _studies() -> list[str]:
    out = [
        "## Design studies: `[optimize]` and `[calibrate]`",
        "",
        "A scenario may carry the study that `auction-sim optimize FILE` or `auction-sim"
        " calibrate FILE` runs on it. A command-line flag replaces the table's setting (`--param`"
        " replaces all its params). `auction-sim run` ignores both tables: the scenario runs at"
        " its own values, and the results folder's `scenario.toml` does not hold them.",
        "",
        'Under `params`, `"dotted.key" = [LOW, HIGH]` is a range (integer when the key holds an'
        " integer), an array of strings or booleans is a list of choices, `{ choices = [...] }`"
        " gives numeric choices. Every key is checked against the kind's schema and both ends"
        " (every choice) must be accepted; the objective must be a metric of the kind.",
        "",
        "```toml",
        "[optimize]",
        'objective = "revenue"',
        "budget = 40",
        "[optimize.params]",
        '"auction.reserve" = [0.0, 1.5]',
        '"auction.bidders" = [2, 6]',
        '"auction.format" = ["first_price", "second_price"]',
        "",
        "[calibrate]",
        'targets = "targets/zhejiang_auctions.toml"',
        "[calibrate.params]",
        '"market.buyer_rate" = [50.0, 400.0]',
        "```",
        "",
    ]
    for name in STUDIES:
        out += [
            f"### `[{name}]`",
            "",
            "| key | type | default | meaning |",
            "|---|---|---|---|",
        ]
        for k in study_keys(name):
            default = "" if k.default is None else f"`{json.dumps(k.default)}`"
            default = "**required**" if k.required else default
            out.append(f"| `{name}.{k.name}` | {k.type} | {default} | {k.meaning} |")
        out.append("")
    return out


def render() -> str:
    """The whole reference as Markdown."""
    out = [
        "# Scenario reference",
        "",
        "<!-- generated by `python -m auction_sim.scenario.docs > docs/scenarios.md`;"
        " do not edit by hand -->",
        "",
        "A scenario is one TOML file. Top-level keys are common to every kind; each kind adds its",
        "tables. `[sweep]` maps dotted keys to non-empty arrays of values (the run covers the full",
        "grid); `--set KEY=VALUE` overrides one dotted key. Unknown keys, wrong types, NaN,",
        "infinities and out-of-range values are rejected with the file and the dotted key",
        "(exit status 2).",
        "",
        "## Top-level keys (every kind)",
        "",
    ]
    out += _table(ScenarioBase, "")
    out += ["| `sweep` | table | `{}` | | dotted key -> array of values; full grid |"]
    out += [
        "| `optimize`, `calibrate` | table | | | a design study of the scenario (below);"
        " `run` ignores it |",
        "",
    ]
    for kind in KINDS:
        schema = schema_for(kind)
        out += [f'## kind = `"{kind}"`', ""]
        doc = (schema.__doc__ or "").strip()
        if doc:
            out += [doc.splitlines()[0], ""]
        out += _table(schema, "", skip=tuple(ScenarioBase.model_fields))
        out.append("")
    out += _studies()
    out += _distributions()
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
