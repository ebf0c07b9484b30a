"""Bidder strategies of the auction laboratory: values in, bids out.

Every function maps an array of values of shape ``(n_auctions, n_bidders)``
(currency) to bids of the same shape.  Randomised strategies take an explicit
generator.
"""

from __future__ import annotations

import numpy as np

from ..core.asymmetric import ClassBidTables, class_bid_tables, class_bids, solve_first_price
from ..core.equilibrium import BidFunction, bids_from_function, first_price_bid_function
from ..values import Uniform

__all__ = [
    "truthful",
    "shaded",
    "zero_intelligence",
    "equilibrium_bid_function",
    "equilibrium_bids",
    "first_price_equilibrium_uniform",
    "class_equilibrium_tables",
    "class_equilibrium_bids",
]

SEALED_OR_CLOCK = ("first_price", "second_price", "english", "dutch")


def truthful(values: np.ndarray) -> np.ndarray:
    """Bid one's value (the dominant strategy of second-price and English auctions)."""
    return values


def shaded(values: np.ndarray, shade: float) -> np.ndarray:
    """Bid ``(1 - shade) * value``."""
    return (1.0 - shade) * values


def zero_intelligence(values: np.ndarray, rng: np.random.Generator | np.ndarray) -> np.ndarray:
    """Zero intelligence: a uniform random bid on ``[v - |v|, v]`` (``[0, v]`` for ``v >= 0``).

    ``rng``: a generator, or the uniforms themselves (same shape as ``values``)."""
    u = rng.random(values.shape) if isinstance(rng, np.random.Generator) else rng
    return values - u * np.abs(values)


def equilibrium_bid_function(
    dist, n_bidders: int, reserve: float = 0.0, format: str = "first_price", grid: int = 2049
) -> BidFunction:
    """The symmetric Bayes-Nash equilibrium bid function of ``format``, for any distribution.

    First price and Dutch: ``b(v) = v - ∫_r^v F(x)^(n-1) dx / F(v)^(n-1)`` for
    ``v >= r``, computed numerically (:mod:`auction_sim.core.equilibrium`); a Dutch
    clock with a small increment is strategically the first-price auction, so it uses
    the same function.  Second price and English: bid (drop out at) the value.
    Values below the reserve bid their value (they cannot win).

    Returns
    -------
    BidFunction
        ``x`` (values) and ``bid`` on a grid; evaluate with :func:`equilibrium_bids`
        or, inside numba kernels, :func:`auction_sim.core.equilibrium.bid_at`.

    Examples
    --------
    >>> from auction_sim.values import Exponential
    >>> fn = equilibrium_bid_function(Exponential(scale=1.0), 3, reserve=0.5)
    >>> bids = equilibrium_bids(np.array([[0.4, 1.0, 2.0]]), fn)
    """
    if format not in SEALED_OR_CLOCK:
        raise ValueError(f"format must be one of {SEALED_OR_CLOCK}, got {format!r}")
    if format in ("second_price", "english"):
        x = np.array([float(reserve)])
        return BidFunction(x, x.copy(), float(reserve), truthful=True)
    return first_price_bid_function(dist, n_bidders, reserve, grid)


def equilibrium_bids(values: np.ndarray, fn: BidFunction) -> np.ndarray:
    """Bids of ``values`` (any shape) under the bid function ``fn`` (evaluated in a kernel)."""
    values = np.asarray(values, dtype=np.float64)
    if fn.truthful:
        return values.copy()
    flat = values.reshape(1, -1) if values.ndim != 2 else values
    return bids_from_function(flat, fn).reshape(values.shape)


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


def class_equilibrium_tables(
    dists, counts, reserve: float = 0.0, format: str = "first_price"
) -> ClassBidTables | None:
    """Asymmetric Bayes-Nash equilibrium with bidder classes (``None``: bid the value).

    First price and Dutch: the numerical equilibrium of
    :func:`auction_sim.core.asymmetric.solve_first_price`, resampled per class.
    Second price and English: truthful (``None``).
    """
    if format not in SEALED_OR_CLOCK:
        raise ValueError(f"format must be one of {SEALED_OR_CLOCK}, got {format!r}")
    if format in ("second_price", "english"):
        return None
    return class_bid_tables(solve_first_price(dists, counts, reserve))


def class_equilibrium_bids(values: np.ndarray, cls: np.ndarray, tables) -> np.ndarray:
    """Bids of ``values`` ``(n_auctions, n_bidders)``; column ``j`` has class ``cls[j]``."""
    if tables is None:
        return values
    return class_bids(values, cls, tables)
