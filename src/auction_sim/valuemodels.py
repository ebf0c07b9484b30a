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
"""

from __future__ import annotations

import numpy as np

from .values import draw_values

__all__ = ["VALUE_MODELS", "draw_value_model"]

VALUE_MODELS = ("private", "common", "affiliated")


def draw_value_model(
    model: str,
    dist,
    common_share: float,
    rng: np.random.Generator,
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """True values and signals of shape ``shape = (n_auctions, n_bidders)``."""
    m, n = shape
    if model == "private":
        x = draw_values(dist, rng, (m, n))
        return x, x
    w = float(common_share)
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"common_share must be in [0, 1], got {common_share!r}")
    c = draw_values(dist, rng, (m, 1))
    x = draw_values(dist, rng, (m, n))
    if model == "affiliated":
        v = w * c + (1.0 - w) * x
        return v, v
    if model == "common":
        values = np.broadcast_to(c, (m, n)).copy()
        signals = c + (1.0 - w) * (x - dist.mean())
        return values, signals
    raise ValueError(f"unknown value model {model!r}; expected one of {VALUE_MODELS}")
