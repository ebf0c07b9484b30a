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

Streams per entity, so that pairing survives a parameter that changes *how many* numbers a
run draws (``auction.bidders``, ``auction.auctions``, ``market.buyer_rate``, ``buyers.firms``,
``listing.buyer_rate``, the double auction's traders, ``pricing.reviewers``):
a purpose whose draws belong to entities (a bidder slot, a firm, an achievement, a visit)
gets one generator per entity, :func:`slots` (``child(child(node, name), j)``), drawn in the
order of the entity's own events (bidder slot j's values auction after auction), or one
stream per attribute drawn in entity order (firm k's budget is the k-th budget whatever the
number of firms).  A generator's first k draws do not depend on how many come after them
(NumPy's ``random``, ``uniform``, ``normal``, ``exponential``, ``lognormal``, ``beta`` draw
element by element), so bidder 3 sees the same values with 3 or 4 bidders, and auction 999
the same with 1,000 or 2,000 auctions.  A generator serves one purpose and one draw call per
batch: interleaving two purposes in one stream would tie each to the batch sizes.  Arrivals
at a swept rate are thinned from bands of a fixed rate (:mod:`auction_sim.market.draws`), so
a higher rate keeps every arrival of a lower one.  What is aligned, kind by kind:
``docs/interfaces.md`` ("Design studies").

Send :class:`SeedSequence` objects (picklable, tiny) to workers, not generators.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "point_key",
    "task_seed",
    "stream",
    "streams",
    "child",
    "slots",
    "columns",
    "purposes",
    "PAIRED_KEY",
]


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


def purposes(
    rng: np.random.Generator | np.random.SeedSequence, *names: str
) -> tuple[np.random.Generator, ...]:
    """One stream per purpose under a seed node, or the generator ``rng`` itself for every
    purpose (for callers that keep one generator drawn in a fixed order)."""
    if isinstance(rng, np.random.SeedSequence):
        return tuple(stream(rng, n) for n in names)
    return (rng,) * len(names)


def slots(
    node: np.random.SeedSequence, name: str, keys: Sequence[int | tuple[int | str, ...]]
) -> list[np.random.Generator]:
    """One generator per entity of the named stream: ``keys[j]`` (an index or a tuple of
    them, e.g. ``(class, position)``) is the entity's path below ``child(node, name)``.

    Entity ``k``'s generator is the same whatever the other keys are (how many bidders,
    firms, ...), which keeps its numbers aligned across a sweep of the count.
    """
    base = child(node, name)
    out = []
    for key in keys:
        n = base
        for part in key if isinstance(key, tuple) else (key,):
            n = child(n, part)
        out.append(np.random.Generator(np.random.PCG64(n)))
    return out


def columns(
    gens: Sequence[np.random.Generator],
    m: int,
    draw: Callable[[np.random.Generator, int], np.ndarray] | None = None,
) -> np.ndarray:
    """A C-contiguous ``(m, len(gens))`` float64 array whose column ``j`` holds the next ``m``
    draws of ``gens[j]`` (``draw(g, m)``; uniforms on [0, 1) by default): the entity-major
    layout of :func:`slots`, handed to kernels that read auctions row by row."""
    out = np.empty((len(gens), m))
    for j, g in enumerate(gens):
        if draw is None:
            g.random(out=out[j])
        else:
            out[j] = draw(g, m)
    return np.ascontiguousarray(out.T)
