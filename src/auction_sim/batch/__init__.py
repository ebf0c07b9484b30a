"""Batch runs: grid x replications on a backend, a resumable result store, summaries.

Names are imported on first use, so a worker that only needs :mod:`.tasks` does not
pay for pandas and the store.
"""

from __future__ import annotations

import importlib

__all__ = [
    "Results",
    "RunInterrupted",
    "StoreMismatch",
    "Task",
    "TaskResult",
    "execute",
    "make_tasks",
    "run_task",
]

_WHERE = {
    "Results": ".results",
    "RunInterrupted": ".runner",
    "execute": ".runner",
    "StoreMismatch": ".store",
    "Task": ".tasks",
    "TaskResult": ".tasks",
    "make_tasks": ".tasks",
    "run_task": ".tasks",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
