"""Scenario files: TOML -> typed, validated, immutable scenarios; sweeps and overrides."""

from .base import ScenarioBase, Section
from .errors import FieldError, ScenarioError
from .loader import Point, Scenario, load_scenario, parse_override, scenario_from_dict
from .registry import KINDS, PLANNED_KINDS, experiment_for, metrics_for, schema_for

__all__ = [
    "KINDS",
    "PLANNED_KINDS",
    "FieldError",
    "Point",
    "Scenario",
    "ScenarioBase",
    "ScenarioError",
    "Section",
    "experiment_for",
    "load_scenario",
    "metrics_for",
    "parse_override",
    "scenario_from_dict",
    "schema_for",
]
