"""Counter-based uniforms per entity: ``u[i, j]`` is a pure function of slot ``j``'s key and
the index ``i`` of the auction (SplitMix64: the ``i``-th output of the generator started at the
key), so the draws of bidder slot ``j`` in auction ``i`` do not depend on how many slots or
auctions there are, nor on how the auctions are cut into batches, and they are written in the
``(auctions, slots)`` layout the kernels read, without a transpose.

Keys come from the seed tree (:func:`slot_keys`: 64 bits of ``child(child(seed, name), key)``),
so a run stays a pure function of (scenario, seed).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit, prange, uint64

from ..rng import child

__all__ = ["derive", "slot_keys", "slot_uniforms", "unit"]

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_PARALLEL_MIN = 200_000


def slot_keys(
    node: np.random.SeedSequence, name: str, keys: Sequence[int | str | tuple[int | str, ...]]
) -> np.ndarray:
    """uint64 keys of the entities ``keys`` of stream ``name`` under ``node``."""
    base = child(node, name)
    out = np.empty(len(keys), np.uint64)
    for j, key in enumerate(keys):
        n = base
        for part in key if isinstance(key, tuple) else (key,):
            n = child(n, part)
        out[j] = n.generate_state(1, np.uint64)[0]
    return out


@njit(cache=True, inline="always")
def derive(key, i):
    """Output ``i`` of SplitMix64 started at ``key`` (a uint64): a sub-key, or 64 random bits."""
    z = key + _GOLDEN * (uint64(i) + uint64(1))
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def unit(key, i) -> float:
    """Uniform on [0, 1) (53 bits): output ``i`` of SplitMix64 started at ``key``."""
    return (derive(key, i) >> uint64(11)) * (1.0 / 9007199254740992.0)


_unit = unit


@njit(cache=True)
def _fill_serial(keys, first, out):
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = _unit(keys[j], first + i)


@njit(cache=True, parallel=True)
def _fill_parallel(keys, first, out):
    for i in prange(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = _unit(keys[j], first + i)


def slot_uniforms(keys: np.ndarray, first: int, m: int) -> np.ndarray:
    """``(m, len(keys))`` uniforms on [0, 1): row ``i`` is auction ``first + i``."""
    out = np.empty((int(m), keys.size))
    kernel = _fill_parallel if out.size >= _PARALLEL_MIN else _fill_serial
    kernel(keys, np.int64(first), out)
    return out
