"""Search spaces: ``--param KEY=LOW:HIGH`` (real or integer) and ``KEY=a,b,c`` (categorical).

Every key is checked against the scenario's schema before anything runs: a key that does not
exist, a range on a key that is not numeric, an empty range, or an end the schema refuses
(out of its range) is a :class:`~auction_sim.scenario.ScenarioError` naming the key (exit 2).
A range is integer when the key holds an integer (``auction.bidders``), real otherwise.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from ..scenario import Scenario, ScenarioError, schema_for

__all__ = ["Param", "parse_param", "parse_params", "apply_choice"]


@dataclass(frozen=True)
class Param:
    key: str
    kind: str  # "float" | "int" | "categorical"
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple = ()

    def distribution(self):
        import optuna

        if self.kind == "float":
            return optuna.distributions.FloatDistribution(float(self.low), float(self.high))
        if self.kind == "int":
            return optuna.distributions.IntDistribution(int(self.low), int(self.high))
        return optuna.distributions.CategoricalDistribution(list(self.choices))

    def describe(self) -> str:
        if self.kind == "categorical":
            return f"{self.key} in {{{', '.join(map(str, self.choices))}}}"
        return f"{self.key} in [{self.low}, {self.high}] ({self.kind})"


def _value(text: str) -> Any:
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string choice


def _current(scenario: Scenario, key: str) -> Any:
    node: Any = scenario.model.model_dump(by_alias=True)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_path(scenario: Scenario, key: str, flag: str) -> None:
    from ..scenario.loader import _check_sweep_path

    try:
        _check_sweep_path(schema_for(scenario.kind), key, flag)
    except ScenarioError as exc:
        raise ScenarioError(flag, key, exc.message) from None


def _try(scenario: Scenario, key: str, value: Any, flag: str) -> None:
    try:
        scenario.with_overrides({key: value})
    except ScenarioError as exc:
        where = f"{exc.key}: " if exc.key and exc.key != key else ""
        raise ScenarioError(flag, key, f"{value!r} is refused: {where}{exc.message}") from None


def parse_param(text: str, scenario: Scenario, flag: str = "--param") -> Param:
    """One ``KEY=LOW:HIGH`` or ``KEY=a,b,c`` item, checked against ``scenario``."""
    key, sep, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    if not sep or not key or not spec:
        raise ScenarioError(flag, text, "expected KEY=LOW:HIGH or KEY=a,b,c")
    _check_path(scenario, key, flag)
    current = _current(scenario, key)
    if ":" in spec and "," not in spec:
        lo_t, _, hi_t = spec.partition(":")
        lo, hi = _value(lo_t), _value(hi_t)
        if not (_is_num(lo) and _is_num(hi)):
            raise ScenarioError(flag, key, f"expected numbers LOW:HIGH, found {spec!r}")
        if current is not None and not _is_num(current):
            raise ScenarioError(
                flag, key, f"not a numeric parameter (it holds {current!r}); give choices a,b,c"
            )
        integer = isinstance(current, int)
        if integer and not (isinstance(lo, int) and isinstance(hi, int)):
            raise ScenarioError(flag, key, f"an integer parameter: expected integers, found {spec}")
        if not lo < hi:
            raise ScenarioError(flag, key, f"empty range {spec}: expected LOW < HIGH")
        _try(scenario, key, lo, flag)
        _try(scenario, key, hi, flag)
        return Param(key, "int" if integer else "float", lo, hi)
    choices = tuple(_value(c) for c in spec.split(",") if c.strip())
    if len(choices) < 1:
        raise ScenarioError(flag, key, f"expected at least one choice, found {spec!r}")
    if len(set(map(repr, choices))) != len(choices):
        raise ScenarioError(flag, key, f"repeated choices in {spec!r}")
    for c in choices:
        if not isinstance(c, bool | int | float | str):
            raise ScenarioError(
                flag, key, f"a choice must be a number, a string or a boolean: {c!r}"
            )
        _try(scenario, key, c, flag)
    return Param(key, "categorical", choices=choices)


def parse_params(texts: list[str], scenario: Scenario, flag: str = "--param") -> list[Param]:
    if not texts:
        raise ScenarioError(flag, None, "expected at least one KEY=LOW:HIGH or KEY=a,b,c")
    params = [parse_param(t, scenario, flag) for t in texts]
    keys = [p.key for p in params]
    for k in keys:
        if keys.count(k) > 1:
            raise ScenarioError(flag, k, "given twice")
    for k in keys:
        if k in scenario.sweep:
            raise ScenarioError(
                flag, k, "also swept in the scenario's [sweep]; search it or sweep it, not both"
            )
    return params


def apply_choice(scenario: Scenario, choice: dict[str, Any]) -> Scenario:
    """The scenario with the chosen values set."""
    return scenario.with_overrides(choice)
