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
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Catalog"]

_TRIES = 4  # rejected draws per look before the look is lost


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
        # plain lists: scalar access from Python is several times faster than on arrays
        self.lists: list[list[int]] = [[] for _ in range(n_fields)]
        self.live = [0] * n_fields
        self.slot = [-1] * n_items  # position in its field list, or -1 when not posted
        self.item_field = [0] * n_items
        boost = np.asarray(boost, dtype=np.float64)
        self.max_boost = float(boost.max()) if boost.size else 1.0
        extra = (boost - 1.0) / (self.max_boost - 1.0) if self.max_boost > 1 else 0.0 * boost
        self.accept = extra.tolist()  # acceptance probability of a broker's extra look

    def post(self, item: int, field: int) -> None:
        """(Re)post ``item`` as the newest entry of ``field``."""
        if self.slot[item] >= 0:
            self.remove(item)
        lst = self.lists[field]
        self.slot[item] = len(lst)
        self.item_field[item] = field
        lst.append(item)
        self.live[field] += 1

    def remove(self, item: int) -> None:
        """Take ``item`` off the catalogue (no-op when it is not posted)."""
        if self.slot[item] < 0:
            return
        f = self.item_field[item]
        self.slot[item] = -1
        self.live[f] -= 1
        lst = self.lists[f]
        if len(lst) > 64 and 2 * self.live[f] < len(lst):
            self._compact(f)

    def _compact(self, f: int) -> None:
        slot = self.slot
        kept = [i for k, i in enumerate(self.lists[f]) if slot[i] == k]
        for k, i in enumerate(kept):
            slot[i] = k
        self.lists[f] = kept

    def look(self, field: int, u_rank: float, u_accept: float, log_q: float, extra: bool) -> int:
        """One look into ``field``: the looked-at item, or -1.

        ``u_rank`` and ``u_accept`` are uniforms in [0, 1) (``u_accept`` is used by the
        brokers' ``extra`` looks only); the rank is
        ``floor(log(1 - u_rank) / log_q)`` from the newest entry, with
        ``log_q = log(1 - 1 / recency_items)`` (``-inf``: always the newest).
        """
        lst = self.lists[field]
        n = len(lst)
        if n == 0 or self.live[field] == 0:
            return -1
        k = int(math.log1p(-u_rank) / log_q)
        # ranks count live entries only approximately (dead entries are skipped forward)
        pos = n - 1 - (k % n)
        slot = self.slot
        for _ in range(_TRIES):
            item = lst[pos]
            if slot[item] == pos:
                if extra and not u_accept < self.accept[item]:
                    return -1
                return item
            pos -= 1
            if pos < 0:
                pos = n - 1
        return -1
