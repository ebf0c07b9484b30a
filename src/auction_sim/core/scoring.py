"""Batch clearing of scoring (procurement) auctions (numba kernels).

Arrays in, arrays out: ``quality``, ``price`` and ``tie_u`` have shape
``(n_contracts, n_suppliers)`` (float64, C order); the outputs have shape
``(n_contracts,)``.  Supplier ``j`` of contract ``i`` offers quality ``quality[i, j]``
for price ``price[i, j]`` (currency); the buyer scores it

    score[i, j] = quality_weight * quality[i, j] - price[i, j]      (currency)

and the contract is then cleared as a sealed-bid auction *on scores*, by the very
rule of :mod:`auction_sim.core.clearing` (:func:`~auction_sim.core.clearing.clear_row`:
highest score wins, ties to the largest pre-drawn ``tie_u``, no award below
``reserve_score``; a NaN offer abstains).  What the winner delivers:

* ``FIRST_SCORE``: its own offer, ``(quality, price)``.
* ``SECOND_SCORE``: its own quality, at the price that matches the runner-up's score
  (or the reserve score, whichever is higher): ``price = w * q - max(second, reserve)``
  (Che 1993; Asker and Cantillon 2008).

``quality = price = 0`` when no contract is awarded, so ``w * quality - price`` is the
buyer's utility in every row.  Comparisons are exact (no fastmath), so ties are ties.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .clearing import FIRST_PRICE, SECOND_PRICE, clear_row

__all__ = ["FIRST_SCORE", "SECOND_SCORE", "ScoringResult", "clear_scoring"]

FIRST_SCORE = FIRST_PRICE
SECOND_SCORE = SECOND_PRICE

_BLOCK = 256  # contracts per scratch block of scores (stays in L1/L2)
_PARALLEL_MIN_OFFERS = 200_000  # below this, thread start-up costs more than it saves


@njit(cache=True, inline="always")
def _clear_block(quality, price, tie_u, w, reserve, rule, start, stop, scores,
                 winner, q_out, p_out, high, second):  # fmt: skip
    """Clear contracts ``start .. stop-1``; ``scores`` is a ``(_BLOCK, n)`` scratch."""
    n = quality.shape[1]
    tv = tie_u[start:stop]
    wv = winner[start:stop]
    pv = p_out[start:stop]
    hv = high[start:stop]
    sv = second[start:stop]
    for r in range(stop - start):
        i = start + r
        for j in range(n):
            scores[r, j] = w * quality[i, j] - price[i, j]
        clear_row(scores, tv, r, reserve, rule, wv, pv, hv, sv)  # pv: the score to match
        k = wv[r]
        if k < 0:
            q_out[i] = 0.0
            p_out[i] = 0.0
        else:
            q = quality[i, k]
            q_out[i] = q
            p_out[i] = price[i, k] if rule == FIRST_PRICE else w * q - pv[r]


@njit(cache=True)
def _clear_serial(quality, price, tie_u, w, reserve, rule, winner, q_out, p_out, high, second):
    m, n = quality.shape
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    for b in range(n_blocks):
        scores = np.empty((_BLOCK, n))
        start = b * _BLOCK
        stop = min(start + _BLOCK, m)
        _clear_block(quality, price, tie_u, w, reserve, rule, start, stop, scores,
                     winner, q_out, p_out, high, second)  # fmt: skip


@njit(cache=True, parallel=True)
def _clear_parallel(quality, price, tie_u, w, reserve, rule, winner, q_out, p_out, high, second):
    m, n = quality.shape
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):
        scores = np.empty((_BLOCK, n))
        start = b * _BLOCK
        stop = min(start + _BLOCK, m)
        _clear_block(quality, price, tie_u, w, reserve, rule, start, stop, scores,
                     winner, q_out, p_out, high, second)  # fmt: skip


class ScoringResult(NamedTuple):
    """Outcome of a batch of scoring auctions; every array has shape ``(n_contracts,)``."""

    winner: np.ndarray  # int64, supplier index or -1 when no contract is awarded
    quality: np.ndarray  # float64, delivered quality, 0 when not awarded
    price: np.ndarray  # float64, price paid (currency), 0 when not awarded
    high: np.ndarray  # float64, highest offered score (currency)
    second: np.ndarray  # float64, second-highest offered score (-inf with one supplier)


def clear_scoring(
    quality: np.ndarray,
    price: np.ndarray,
    tie_u: np.ndarray,
    quality_weight: float,
    reserve_score: float = 0.0,
    rule: int = FIRST_SCORE,
    *,
    parallel: bool | None = None,
    out: ScoringResult | None = None,
) -> ScoringResult:
    """Clear ``n_contracts`` scoring auctions at once.

    Parameters
    ----------
    quality, price : ndarray, shape (n_contracts, n_suppliers), float64
        Each supplier's offer: quality (quality units) and price (currency); NaN in
        either means the supplier does not offer.
    tie_u : ndarray, shape (n_contracts, n_suppliers), float64
        Uniforms drawn beforehand; break ties at the top score (largest wins).
    quality_weight : float
        ``w > 0`` of the score ``w * q - p`` (currency per quality unit).
    reserve_score : float
        No contract is awarded below this score (currency).
    rule : int
        ``FIRST_SCORE`` or ``SECOND_SCORE``.
    parallel : bool, optional
        Use the multi-threaded kernel; by default when there are at least 200 000
        offers.  Results are identical either way.
    out : ScoringResult, optional
        Preallocated outputs to fill.

    Returns
    -------
    ScoringResult
    """
    quality = np.ascontiguousarray(quality, dtype=np.float64)
    price = np.ascontiguousarray(price, dtype=np.float64)
    tie_u = np.ascontiguousarray(tie_u, dtype=np.float64)
    if quality.ndim != 2 or quality.shape != price.shape or quality.shape != tie_u.shape:
        raise ValueError(
            "quality, price and tie_u must have the same 2-d shape, got"
            f" {quality.shape}, {price.shape} and {tie_u.shape}"
        )
    if rule not in (FIRST_SCORE, SECOND_SCORE):
        raise ValueError(f"rule must be FIRST_SCORE (0) or SECOND_SCORE (1), got {rule!r}")
    w = float(quality_weight)
    if not (np.isfinite(w) and w > 0):
        raise ValueError(f"quality_weight must be finite and > 0, got {quality_weight!r}")
    reserve = float(reserve_score)
    if np.isnan(reserve):
        raise ValueError("reserve_score must not be NaN")
    m = quality.shape[0]
    if out is None:
        out = ScoringResult(
            np.empty(m, np.int64), np.empty(m), np.empty(m), np.empty(m), np.empty(m)
        )
    if parallel is None:
        parallel = quality.size >= _PARALLEL_MIN_OFFERS
    kernel = _clear_parallel if parallel else _clear_serial
    kernel(quality, price, tie_u, w, reserve, rule, *out)
    return out
