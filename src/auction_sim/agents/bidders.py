"""Bidder strategies of the auction laboratory: values in, bids out.

Every function maps an array of values of shape ``(n_auctions, n_bidders)``
(currency) to bids of the same shape.  Randomised strategies take an explicit
generator.
"""

from __future__ import annotations

import numpy as np

from ..values import Uniform

__all__ = ["truthful", "shaded", "first_price_equilibrium_uniform"]


def truthful(values: np.ndarray) -> np.ndarray:
    """Bid one's value (the dominant strategy of second-price and English auctions)."""
    return values


def shaded(values: np.ndarray, shade: float) -> np.ndarray:
    """Bid ``(1 - shade) * value``."""
    return (1.0 - shade) * values


def first_price_equilibrium_uniform(
    values: np.ndarray, dist: Uniform, n_bidders: int, reserve: float
) -> np.ndarray:
    """Symmetric Bayes-Nash bids of a first-price auction, values uniform on [low, high].

    For ``v >= r`` (``r = max(reserve, low)``), with ``x = v - low`` and ``s = r - low``,
    ``b(v) = v - (x**n - s**n) / (n * x**(n-1))``; on [0, 1] this is the textbook
    ``(n-1) v / n + r**n / (n v**(n-1))``.  Values below the reserve bid their value
    (they cannot win).
    """
    n = int(n_bidders)
    lo = dist.low
    r = max(float(reserve), lo)
    x = values - lo
    s = r - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        b = values - (x**n - s**n) / (n * x ** (n - 1))
    b = np.where(x > 0, b, values)
    return np.where(values >= r, b, values)
