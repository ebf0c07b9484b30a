"""Targets files of ``auction-sim calibrate``: observed values of a kind's metrics.

::

    kind = "market"                       # optional: the kind the targets are for
    name = "zhejiang_auctions"
    [[target]]
    metric = "premium_over_reserve"       # a metric the kind reports
    value = 0.356                         # the observed figure
    stderr = 0.05                         # its standard error (weight = 1 / stderr^2) ...
    # weight = 400.0                      # ... or a weight (the interval then has only the
    #                                       simulation's noise in it)

Every key is checked; a metric the kind does not report, a missing value, a non-positive
standard error or weight is a :class:`~auction_sim.scenario.ScenarioError` naming the key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..scenario import ScenarioError

__all__ = ["Target", "TargetSet", "load_targets"]

_TOP = {"kind", "name", "description", "target"}
_ITEM = {"metric", "value", "stderr", "weight", "note"}


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    stderr: float | None
    weight: float

    @property
    def variance(self) -> float | None:
        return None if self.stderr is None else self.stderr**2


@dataclass(frozen=True)
class TargetSet:
    source: str
    name: str
    kind: str | None
    targets: tuple[Target, ...]

    @property
    def metrics(self) -> list[str]:
        return [t.metric for t in self.targets]


def _num(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def load_targets(path: str | Path, kind: str, metrics: list[str]) -> TargetSet:
    """Read and check a targets file against the metrics of ``kind``."""
    p = Path(path)
    file = str(p)
    if not p.is_file():
        raise ScenarioError(file, None, "targets file not found")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, None, f"not a TOML targets file: {exc}") from None
    for k in raw:
        if k not in _TOP:
            raise ScenarioError(file, k, f"unknown key; valid keys: {', '.join(sorted(_TOP))}")
    tkind = raw.get("kind")
    if tkind is not None and tkind != kind:
        raise ScenarioError(file, "kind", f"targets for kind {tkind!r}, scenario of kind {kind!r}")
    items = raw.get("target")
    if not isinstance(items, list) or not items:
        raise ScenarioError(file, "target", "expected one or more [[target]] tables")
    out, seen = [], set()
    for i, item in enumerate(items):
        where = f"target[{i}]"
        if not isinstance(item, dict):
            raise ScenarioError(file, where, "expected a table")
        for k in item:
            if k not in _ITEM:
                raise ScenarioError(
                    file, f"{where}.{k}", f"unknown key; valid keys: {', '.join(sorted(_ITEM))}"
                )
        m = item.get("metric")
        if not isinstance(m, str):
            raise ScenarioError(file, f"{where}.metric", "expected a metric name")
        if m not in metrics:
            raise ScenarioError(
                file,
                f"{where}.metric",
                f"the {kind} kind does not report {m!r}; its metrics: {', '.join(metrics)}",
            )
        if m in seen:
            raise ScenarioError(file, f"{where}.metric", f"{m!r} is targeted twice")
        seen.add(m)
        v = item.get("value")
        if not _num(v):
            raise ScenarioError(file, f"{where}.value", f"expected a finite number, found {v!r}")
        se, w = item.get("stderr"), item.get("weight")
        if se is None and w is None:
            raise ScenarioError(file, where, "expected stderr or weight")
        if se is not None and w is not None:
            raise ScenarioError(file, where, "give stderr or weight, not both")
        if se is not None and not (_num(se) and se > 0):
            raise ScenarioError(file, f"{where}.stderr", f"expected a number > 0, found {se!r}")
        if w is not None and not (_num(w) and w > 0):
            raise ScenarioError(file, f"{where}.weight", f"expected a number > 0, found {w!r}")
        weight = 1.0 / float(se) ** 2 if se is not None else float(w)
        out.append(Target(m, float(v), None if se is None else float(se), weight))
    return TargetSet(file, str(raw.get("name", p.stem)), tkind, tuple(out))
