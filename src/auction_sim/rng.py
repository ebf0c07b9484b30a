"""The one seed tree of the project.

::

    scenario seed ──► grid point ──► replication ──► named stream ("values", "ties", ...)

Every node is a :class:`numpy.random.SeedSequence` whose ``spawn_key`` spells out
its path in the tree, so a node is computed directly from its coordinates and never
from how many siblings were spawned before it.  A task's numbers therefore do not
depend on which worker ran it, or when.

* the grid-point key is a stable 32-bit hash of the point's parameters (canonical
  JSON), so adding or reordering sweep values does not change the numbers of the
  points that stay;
* the replication key is the replication index;
* a stream key is a stable 32-bit hash (CRC-32) of the stream name.

Common random numbers (``[sweep] paired = true``, ``run --paired``): the grid-point key
of every point is the key of the empty parameter set, so a task's seed depends on the
replication alone; every point of the grid then sees the numbers of the unswept scenario,
replication by replication, and points differ only through the swept parameters.

Send :class:`SeedSequence` objects (picklable, tiny) to workers, not generators.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import numpy as np

__all__ = ["point_key", "task_seed", "stream", "streams", "child", "PAIRED_KEY"]


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8")) & 0xFFFFFFFF


def point_key(params: dict[str, Any]) -> int:
    """Stable 32-bit key of a grid point from its swept parameters (``{}`` for no sweep)."""
    return _key(json.dumps(params, sort_keys=True, separators=(",", ":"), default=str))


PAIRED_KEY = point_key({})
"""Grid-point key of every point of a paired run: that of a scenario without a sweep."""


def task_seed(
    seed: int, params: dict[str, Any], replication: int, paired: bool = False
) -> np.random.SeedSequence:
    """Seed of one (grid point, replication) task.

    With ``paired`` (common random numbers) the point's parameters are ignored: the seed
    is the one of replication ``replication`` of the scenario run without a sweep.
    """
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must be non-negative")
    key = PAIRED_KEY if paired else point_key(params)
    return np.random.SeedSequence(seed, spawn_key=(key, int(replication)))


def child(node: np.random.SeedSequence, name: str | int) -> np.random.SeedSequence:
    """The child of ``node`` named ``name`` (a string, hashed, or an explicit integer index)."""
    k = _key(name) if isinstance(name, str) else int(name)
    return np.random.SeedSequence(node.entropy, spawn_key=tuple(node.spawn_key) + (k,))


def stream(node: np.random.SeedSequence, name: str | int) -> np.random.Generator:
    """A generator for the named stream under ``node`` (e.g. ``"values"``, ``"ties"``)."""
    return np.random.Generator(np.random.PCG64(child(node, name)))


def streams(node: np.random.SeedSequence, *names: str) -> tuple[np.random.Generator, ...]:
    """Several named streams at once: ``values, ties = streams(seed, "values", "ties")``."""
    return tuple(stream(node, n) for n in names)
