"""The platform's catalogue: which achievements a visiting firm can find.

Per field, entries are kept in the order they were (re)posted, newest last.  A
look picks a field (one of the firm's interests, or any field with probability
``explore_share``), then a recency rank ``k ~ Geometric(1 / recency_items)`` counted
from the newest entry.  A firm's ``attention`` ordinary looks always accept the
entry found; brokers add ``(max_boost - 1) x attention`` extra looks per visit that
accept an entry with probability ``(boost - 1) / (max_boost - 1)``, so a result with
``boost = broker_boost`` is found ``broker_boost`` times as often as without a broker
and the others exactly as often as in a market without brokers.

Removal is lazy: an entry is live while its item's ``slot`` still points
at it; dead entries are compacted when they outnumber live ones.

The state is arrays (``buf`` rows are the per-field lists, ``meta`` their lengths and
live counts) so that the numba visit kernel (:func:`auction_sim.market.buyers.visit_batch`)
looks into it directly; :func:`look` is the per-look rule, compiled.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["Catalog", "look"]

_TRIES = 4  # rejected draws per look before the look is lost
_LEN, _LIVE = 0, 1  # rows of Catalog.meta


class Catalog:
    """Per-field recency lists of item indices.

    Parameters
    ----------
    n_fields : int
        Technology fields.
    n_items : int
        Items (achievements) of the run; ``slot`` and ``boost`` are indexed by item.
    boost : ndarray, shape (n_items,)
        Discovery-rate factor of each item (>= 1).
    """

    def __init__(self, n_fields: int, n_items: int, boost: np.ndarray):
        self.buf = np.full((n_fields, 64), -1, np.int64)  # row f: field f's list (meta[0, f] used)
        self.meta = np.zeros((2, n_fields), np.int64)  # lengths and live counts
        self.slot = np.full(n_items, -1, np.int64)  # position in its field list, -1: not posted
        self.item_field = np.zeros(n_items, np.int64)
        boost = np.asarray(boost, dtype=np.float64)
        self.max_boost = float(boost.max()) if boost.size else 1.0
        extra = (boost - 1.0) / (self.max_boost - 1.0) if self.max_boost > 1 else 0.0 * boost
        self.accept = np.ascontiguousarray(extra, np.float64)  # acceptance of an extra look

    @property
    def live(self) -> np.ndarray:
        """Live entries per field, shape ``(n_fields,)``."""
        return self.meta[_LIVE]

    def post(self, item: int, field: int) -> None:
        """(Re)post ``item`` as the newest entry of ``field``."""
        if not _post(self.buf, self.meta, self.slot, self.item_field, item, field):
            grown = np.full((self.buf.shape[0], 2 * self.buf.shape[1]), -1, np.int64)
            grown[:, : self.buf.shape[1]] = self.buf
            self.buf = grown
            _post(self.buf, self.meta, self.slot, self.item_field, item, field)

    def remove(self, item: int) -> None:
        """Take ``item`` off the catalogue (no-op when it is not posted)."""
        _remove(self.buf, self.meta, self.slot, self.item_field, item)

    def remove_many(self, items: np.ndarray) -> None:
        """Take ``items`` off the catalogue, in order."""
        _remove_many(self.buf, self.meta, self.slot, self.item_field, items)

    def look(self, field: int, u_rank: float, u_accept: float, log_q: float, extra: bool) -> int:
        """One look into ``field``: the looked-at item, or -1 (see :func:`look`)."""
        return int(look(self.buf, self.meta, self.slot, self.accept, field, u_rank, u_accept,
                        log_q, extra))  # fmt: skip


@numba.njit(cache=True)
def _remove(buf, meta, slot, item_field, item):
    if slot[item] < 0:
        return
    f = item_field[item]
    slot[item] = -1
    meta[_LIVE, f] -= 1
    n = meta[_LEN, f]
    if n > 64 and 2 * meta[_LIVE, f] < n:  # compact: keep the live entries, in order
        k = 0
        for p in range(n):
            i = buf[f, p]
            if slot[i] == p:
                buf[f, k] = i
                slot[i] = k
                k += 1
        meta[_LEN, f] = k


@numba.njit(cache=True)
def _remove_many(buf, meta, slot, item_field, items):
    for i in items:
        _remove(buf, meta, slot, item_field, i)


@numba.njit(cache=True)
def _post(buf, meta, slot, item_field, item, field):
    """(Re)post ``item``; False when the field's row is full (the item is then off)."""
    _remove(buf, meta, slot, item_field, item)
    n = meta[_LEN, field]
    if n >= buf.shape[1]:
        return False
    buf[field, n] = item
    slot[item] = n
    item_field[item] = field
    meta[_LEN, field] = n + 1
    meta[_LIVE, field] += 1
    return True


@numba.njit(cache=True)
def look(buf, meta, slot, accept, field, u_rank, u_accept, log_q, extra):
    """One look into ``field``: the looked-at item, or -1.

    ``u_rank`` and ``u_accept`` are uniforms in [0, 1) (``u_accept`` is used by the
    brokers' ``extra`` looks only); the rank is
    ``floor(log(1 - u_rank) / log_q)`` from the newest entry, with
    ``log_q = log(1 - 1 / recency_items)`` (``-inf``: always the newest).
    """
    n = meta[_LEN, field]
    if n == 0 or meta[_LIVE, field] == 0:
        return -1
    k = int(math.log1p(-u_rank) / log_q)
    # ranks count live entries only approximately (dead entries are skipped forward)
    pos = n - 1 - (k % n)
    for _ in range(_TRIES):
        item = buf[field, pos]
        if slot[item] == pos:
            if extra and not u_accept < accept[item]:
                return -1
            return item
        pos -= 1
        if pos < 0:
            pos = n - 1
    return -1
