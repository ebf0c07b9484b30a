"""Base classes of every scenario schema.

Every table of a scenario is a frozen, strict pydantic model: unknown keys, wrong
types, NaN and infinities are rejected; defaults live in the ``Field`` declarations
of the kind's schema module, and nowhere else.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Section", "ScenarioBase", "META_KEYS"]


class Section(BaseModel):
    """One table of a scenario file (``[auction]``, ``[strategy]``, ...)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, populate_by_name=True
    )


class ScenarioBase(Section):
    """Top-level keys shared by every kind.

    A kind's schema subclasses this, narrows ``kind`` to a ``Literal`` and adds
    its own tables as fields whose defaults are section instances.
    """

    kind: str = Field(..., description="scenario kind: selects the schema and the experiment")
    name: str = Field("unnamed", description="scenario name, echoed in summaries")
    description: str = Field("", description="free text: what the scenario studies")
    seed: int = Field(0, ge=0, lt=2**63, description="root of the seed tree (non-negative integer)")
    replications: int = Field(
        1, ge=1, le=1_000_000, description="independent replications of every grid point"
    )


META_KEYS = ("kind", "name", "description", "seed", "replications", "sweep")
"""Top-level keys that are not model parameters (and cannot be swept)."""
