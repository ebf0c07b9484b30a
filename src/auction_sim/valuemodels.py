"""Value models of the auction laboratory: true values and the signals bidders see.

Every function returns ``(values, signals)``, two float64 arrays of shape
``(n_auctions, n_bidders)`` in currency units.  ``values`` are the true values
(surplus and efficiency are always measured with them); ``signals`` are what the
bidders know and bid on.  ``dist`` is the scenario's value distribution and
``w = common_share`` the weight of the common component.  Per auction ``i`` a common
component ``C_i`` and per bidder a private component ``X_ij`` are drawn from ``dist``
(independently).

* ``private``: ``value = signal = X_ij`` (independent private values).
* ``affiliated``: ``value = signal = w C_i + (1 - w) X_ij``: each bidder knows its own
  value, and values are positively correlated (affiliated private values).
* ``common`` (mineral rights): the item is worth ``C_i`` to everyone; bidder ``j`` sees
  the unbiased signal ``C_i + (1 - w) (X_ij - E[X])`` (``w = 1``: everyone knows the
  value).  The highest signal overstates the value on average: bidding it is the
  winner's curse.

Streams: with one generator per bidder slot (``rng`` a sequence, :func:`auction_sim.rng.slots`)
or counter-based uniforms per slot (:mod:`auction_sim.core.counters`, turned into values by
:func:`from_uniforms`, passed as an array), column ``j`` holds slot ``j``'s private components
auction after auction and ``common``
(its own generator) the common components auction after auction, so the values of bidder
``j`` in auction ``i`` do not depend on how many bidders or auctions there are.  With one
generator the ``(n_auctions, n_bidders)`` block is drawn row by row from it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .rng import columns
from .values import draw_values

__all__ = ["COUNTER_DISTS", "VALUE_MODELS", "draw_value_model", "from_uniforms"]

COUNTER_DISTS = ("uniform", "exponential", "constant")
"""Distributions drawn from counter-based uniforms by the inverse of their distribution
function (:func:`from_uniforms`); the others are drawn by NumPy, one generator per slot."""


def from_uniforms(dists: Sequence, u: np.ndarray) -> np.ndarray:
    """Values of column ``j`` from the uniforms ``u[:, j]`` by the inverse distribution function
    of ``dists[j]`` (one of :data:`COUNTER_DISTS`), in place: ``low + (high - low) u``,
    ``-scale log(1 - u)``, the constant."""
    if len(dists) != u.shape[1]:
        raise ValueError(f"expected one law per column ({u.shape[1]}), got {len(dists)}")
    j = 0
    while j < len(dists):
        d, k = dists[j], j + 1
        while k < len(dists) and dists[k] == d:
            k += 1
        block = u[:, j:k]
        if d.dist == "uniform":
            block *= d.high - d.low
            block += d.low
        elif d.dist == "exponential":
            np.log1p(-block, out=block)
            block *= -d.scale
        elif d.dist == "constant":
            block[:] = d.value
        else:
            raise ValueError(f"{d.dist!r} is not drawn from uniforms")
        j = k
    return u


VALUE_MODELS = ("private", "common", "affiliated")


def draw_value_model(
    model: str,
    dist,
    common_share: float,
    rng: np.random.Generator | Sequence[np.random.Generator] | np.ndarray,
    shape: tuple[int, int],
    common: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """True values and signals of shape ``shape = (n_auctions, n_bidders)``.

    ``rng``: one generator; or one per bidder slot (``len(rng) == n_bidders``), or the
    private components already drawn per slot (an array of ``shape``), and then the common
    components come from ``common``.
    """
    m, n = shape
    per_slot = not isinstance(rng, np.random.Generator)
    if per_slot and len(rng) != (m if isinstance(rng, np.ndarray) else n):
        raise ValueError(f"expected {n} slot generators or an array of shape {shape}")

    def private() -> np.ndarray:
        if isinstance(rng, np.ndarray):
            return rng
        if per_slot:
            return columns(rng, m, lambda g, k: draw_values(dist, g, (k,)))
        return draw_values(dist, rng, (m, n))

    if model == "private":
        x = private()
        return x, x
    w = float(common_share)
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"common_share must be in [0, 1], got {common_share!r}")
    if per_slot and common is None:
        raise ValueError("per-slot generators need a generator for the common components")
    c = draw_values(dist, common if per_slot else rng, (m, 1))
    x = private()
    if model == "affiliated":
        v = w * c + (1.0 - w) * x
        return v, v
    if model == "common":
        values = np.broadcast_to(c, (m, n)).copy()
        signals = c + (1.0 - w) * (x - dist.mean())
        return values, signals
    raise ValueError(f"unknown value model {model!r}; expected one of {VALUE_MODELS}")
