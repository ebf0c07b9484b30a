"""Batch clearing of sealed-bid single-item auctions (numba kernels).

Arrays in, arrays out: ``bids`` and ``tie_u`` have shape ``(n_auctions, n_bidders)``
(float64, C order); the four outputs have shape ``(n_auctions,)``.

Rules (the single implementation used by the laboratories, the market and the
benchmarks):

* ``high`` is the highest bid and ``second`` the second-highest (equal to ``high``
  when two bids tie at the top; ``-inf`` with one bidder).
* A NaN bid is an abstention: it never wins and is never the second bid.
* The item sells iff ``high >= reserve``.  The winner is the highest bidder; among
  bids tied at the top, the one with the largest pre-drawn ``tie_u`` wins (the
  lowest index if those tie too).  ``winner = -1`` when unsold.
* ``FIRST_PRICE``: the winner pays its bid.  ``SECOND_PRICE``: the winner pays
  ``max(second, reserve)``.  ``price = 0`` when unsold.

Comparisons are exact (no fastmath), so ties are ties.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = [
    "FIRST_PRICE",
    "SECOND_PRICE",
    "ClearingResult",
    "clear_sealed",
    "clear_row",
    "top_two",
]

FIRST_PRICE = 0
SECOND_PRICE = 1

_PARALLEL_MIN_BIDS = 200_000  # below this, thread start-up costs more than it saves


@njit(cache=True, inline="always")
def top_two(bids: np.ndarray, i: int) -> tuple[float, float, int, int]:
    """Highest and second-highest bid of row ``i``, the first argmax and the count at the top.

    Branch-free inner loop: selects instead of jumps, so random bids cost no
    mispredictions.  NaN compares false everywhere and is skipped.
    """
    m1 = -np.inf
    m2 = -np.inf
    w = -1
    cnt = 0
    for j in range(bids.shape[1]):
        b = bids[i, j]
        gt = b > m1
        lo = m1 if gt else b  # the smaller of (m1, b) when b is not NaN
        m2 = lo if lo > m2 else m2
        cnt = 1 if gt else cnt + (b == m1)
        w = j if gt else w
        m1 = b if gt else m1
    return m1, m2, w, cnt


@njit(cache=True, inline="always")
def clear_row(
    bids: np.ndarray,
    tie_u: np.ndarray,
    i: int,
    reserve: float,
    rule: int,
    winner: np.ndarray,
    price: np.ndarray,
    high: np.ndarray,
    second: np.ndarray,
) -> None:
    """Clear auction ``i`` into ``winner[i]``, ``price[i]``, ``high[i]``, ``second[i]``."""
    m1, m2, w, cnt = top_two(bids, i)
    high[i] = m1
    second[i] = m2
    if not (m1 >= reserve) or w < 0:
        winner[i] = -1
        price[i] = 0.0
        return
    if cnt > 1:  # tie at the top: largest pre-drawn uniform wins
        best = -np.inf
        for j in range(bids.shape[1]):
            if bids[i, j] == m1 and tie_u[i, j] > best:
                best = tie_u[i, j]
                w = j
    winner[i] = w
    if rule == FIRST_PRICE:
        price[i] = m1
    else:
        price[i] = m2 if m2 > reserve else reserve


@njit(cache=True)
def _clear_serial(bids, tie_u, reserve, rule, winner, price, high, second):
    for i in range(bids.shape[0]):
        clear_row(bids, tie_u, i, reserve, rule, winner, price, high, second)


@njit(cache=True, parallel=True)
def _clear_parallel(bids, tie_u, reserve, rule, winner, price, high, second):
    for i in prange(bids.shape[0]):
        clear_row(bids, tie_u, i, reserve, rule, winner, price, high, second)


class ClearingResult(NamedTuple):
    """Outcome of a batch of auctions; every array has shape ``(n_auctions,)``."""

    winner: np.ndarray  # int64, bidder index or -1 when unsold
    price: np.ndarray  # float64, payment (currency), 0 when unsold
    high: np.ndarray  # float64, highest bid
    second: np.ndarray  # float64, second-highest bid (-inf with one bidder)


def clear_sealed(
    bids: np.ndarray,
    tie_u: np.ndarray,
    reserve: float = 0.0,
    rule: int = FIRST_PRICE,
    *,
    parallel: bool | None = None,
    out: ClearingResult | None = None,
) -> ClearingResult:
    """Clear ``n_auctions`` sealed-bid auctions at once.

    Parameters
    ----------
    bids : ndarray, shape (n_auctions, n_bidders), float64
        Bids in currency units; NaN means the bidder abstains.
    tie_u : ndarray, shape (n_auctions, n_bidders), float64
        Uniforms drawn beforehand; break ties at the top (largest wins).
    reserve : float
        Public reserve price: no sale below it.
    rule : int
        ``FIRST_PRICE`` or ``SECOND_PRICE``.
    parallel : bool, optional
        Use the multi-threaded kernel; by default when there are at least
        200 000 bids.  Results are identical either way.
    out : ClearingResult, optional
        Preallocated outputs to fill.

    Returns
    -------
    ClearingResult
    """
    bids = np.ascontiguousarray(bids, dtype=np.float64)
    tie_u = np.ascontiguousarray(tie_u, dtype=np.float64)
    if bids.ndim != 2 or bids.shape != tie_u.shape:
        raise ValueError(
            f"bids and tie_u must have the same 2-d shape, got {bids.shape} and {tie_u.shape}"
        )
    if rule not in (FIRST_PRICE, SECOND_PRICE):
        raise ValueError(f"rule must be FIRST_PRICE (0) or SECOND_PRICE (1), got {rule!r}")
    reserve = float(reserve)
    if np.isnan(reserve):
        raise ValueError("reserve must not be NaN")
    n = bids.shape[0]
    if out is None:
        out = ClearingResult(np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n))
    if parallel is None:
        parallel = bids.size >= _PARALLEL_MIN_BIDS
    kernel = _clear_parallel if parallel else _clear_serial
    kernel(bids, tie_u, reserve, rule, *out)
    return out
