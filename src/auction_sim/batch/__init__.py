"""Batch runs: grid x replications on a backend, a resumable result store, summaries."""

from .results import Results
from .runner import RunInterrupted, execute
from .store import StoreMismatch
from .tasks import Task, TaskResult, make_tasks, run_task

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
