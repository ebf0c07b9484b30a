"""Review and quote lists in compressed sparse rows (CSR), built from raw arrays.

Review-level index arrays are int32 (memory bandwidth is the cost here):

* achievement -> reviews: ``ach_ptr (n+1,) int64``, ``reviewer (R,) int32``,
  ``score (R,) float64`` (score units), ``same (R,) uint8``;
* reviewer -> reviews: ``rev_ptr (J+1,) int64``, ``rev_ach (R,) int32``, ``rev_score
  (R,) float64``, ``rev_same (R,) uint8``;
* achievement -> quotes: ``q_ptr (n+1,) int64``, ``log_quote (Q,) float64`` (natural log
  of the quoted price).

Both are built in one pass over the raw arrays (``N_CHUNKS`` chunks, parallel from
``_PARALLEL_MIN_ITEMS`` rows) when these are in achievement order (checks, copies and the
CSR pointer together; a counting sort otherwise).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .common import _PARALLEL_MIN_ITEMS, N_CHUNKS, _u


class ReviewLists(NamedTuple):
    """Reviews in two CSR orders; ``n_achievements = ach_ptr.size - 1``."""

    ach_ptr: np.ndarray  # (n+1,) int64
    reviewer: np.ndarray  # (R,) int32, achievement-major
    score: np.ndarray  # (R,) float64
    same: np.ndarray  # (R,) uint8, 1 = reviewer of the achievement's field
    rev_ptr: np.ndarray  # (J+1,) int64
    rev_ach: np.ndarray  # (R,) int32, reviewer-major
    rev_score: np.ndarray  # (R,) float64
    rev_same: np.ndarray  # (R,) uint8

    @property
    def n_achievements(self) -> int:
        return self.ach_ptr.size - 1

    @property
    def n_reviewers(self) -> int:
        return self.rev_ptr.size - 1


class QuoteLists(NamedTuple):
    """Quotes (natural log of the quoted price) in CSR by achievement."""

    q_ptr: np.ndarray  # (n+1,) int64
    log_quote: np.ndarray  # (Q,) float64


@njit(cache=True)
def _counting_sort(keys, n_keys):
    """Stable order of ``keys`` (ints in [0, n_keys)) and the CSR pointer, in O(n)."""
    ptr = np.zeros(n_keys + 1, np.int64)
    for k in keys:
        ptr[k + 1] += 1
    for k in range(n_keys):
        ptr[k + 1] += ptr[k]
    pos = ptr[:-1].copy()
    order = np.empty(keys.size, np.int64)
    for r in range(keys.size):
        k = keys[r]
        order[pos[k]] = r
        pos[k] += 1
    return order, ptr


@njit(cache=True)
def _gather_reviews(order, a, b, s, out_a, out_b, out_s):
    for k in range(order.size):
        r = order[k]
        out_a[k] = a[r]
        out_b[k] = b[r]
        out_s[k] = s[r]


@njit(cache=True, inline="always")
def _scan_chunk(achievement, n_ach, ptr, lo, hi):
    """The part of one pass over raw rows ``[lo, hi)`` keyed by ``achievement`` common to
    reviews and quotes: order and range flags (1: achievement out of range, 4: not sorted)
    and ``ptr[k] = r`` for the first row ``r`` of every achievement ``k`` above the largest
    one before (the CSR pointer when the achievements are sorted)."""
    b = 0
    mx = achievement[lo - 1] if lo > 0 else -1
    prev = mx if lo > 0 else 0
    for r in range(_u(lo), _u(hi)):
        a = achievement[r]
        if a < 0 or a >= n_ach:
            b |= 1
        elif a > mx:
            for k in range(_u(mx + 1 if mx >= 0 else 0), _u(a + 1)):
                ptr[k] = r
            mx = a
        if a < prev:
            b |= 4
        prev = a
    return b


@njit(cache=True, inline="always")
def _scan_reviews_chunk(c, achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                        same8, ptr):  # fmt: skip
    """Chunk ``c`` of one pass over raw reviews: ``bad[c]`` gets range, order and
    finiteness flags (1: achievement out of range, 2: reviewer out of range, 4: achievements
    not sorted, 8: score not finite); ``rev32 = reviewer``, ``same8 = same != 0``, ``ptr``
    (see :func:`_scan_chunk`) and, when ``counts`` has rows, ``counts[c]`` the reviews of
    every reviewer."""
    n_r = achievement.size
    n_rev = counts.shape[1]
    count = counts.shape[0] > 0
    lo = c * n_r // N_CHUNKS
    hi = (c + 1) * n_r // N_CHUNKS
    b = _scan_chunk(achievement, n_ach, ptr, lo, hi)
    for r in range(_u(lo), _u(hi)):
        j = reviewer[r]
        if j < 0 or j >= n_rev:
            b |= 2
        elif count:
            counts[c, _u(j)] += 1
        if not np.isfinite(score[r]):
            b |= 8
        rev32[r] = j
        same8[r] = 1 if same[r] else 0
    bad[c] = b


@njit(cache=True)
def _scan_reviews_serial(achievement, reviewer, score, same, n_ach, bad, counts, rev32, same8,
                         ptr):  # fmt: skip
    for c in range(N_CHUNKS):
        _scan_reviews_chunk(c, achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                            same8, ptr)  # fmt: skip


@njit(cache=True, parallel=True)
def _scan_reviews_parallel(achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                           same8, ptr):  # fmt: skip
    for c in prange(N_CHUNKS):
        _scan_reviews_chunk(c, achievement, reviewer, score, same, n_ach, bad, counts, rev32,
                            same8, ptr)  # fmt: skip


@njit(cache=True, inline="always")
def _scan_quotes_chunk(c, achievement, log_quote, n_ach, bad, ptr):
    """Chunk ``c`` of one pass over raw quotes: flags as :func:`_scan_reviews_chunk`
    (1, 4, 8) and ``ptr``."""
    n_r = achievement.size
    lo = c * n_r // N_CHUNKS
    hi = (c + 1) * n_r // N_CHUNKS
    b = _scan_chunk(achievement, n_ach, ptr, lo, hi)
    for r in range(_u(lo), _u(hi)):
        if not np.isfinite(log_quote[r]):
            b |= 8
    bad[c] = b


@njit(cache=True)
def _scan_quotes_serial(achievement, log_quote, n_ach, bad, ptr):
    for c in range(N_CHUNKS):
        _scan_quotes_chunk(c, achievement, log_quote, n_ach, bad, ptr)


@njit(cache=True, parallel=True)
def _scan_quotes_parallel(achievement, log_quote, n_ach, bad, ptr):
    for c in prange(N_CHUNKS):
        _scan_quotes_chunk(c, achievement, log_quote, n_ach, bad, ptr)


def _finish_ptr(ptr, achievement):
    """Complete the pointer of :func:`_scan_chunk` for sorted ``achievement``."""
    ptr[achievement[-1] + 1 if achievement.size else 0 :] = achievement.size
    return ptr


def _ptr_from_counts(counts):
    ptr = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


def build_reviews(
    n_achievements, n_reviewers, achievement, reviewer, score, same, *, reviewer_major=True
) -> ReviewLists:
    """CSR review lists from reviews in any order.

    Parameters
    ----------
    n_achievements, n_reviewers : int
    achievement, reviewer : ndarray, shape (R,), int
        Indices in ``[0, n_achievements)`` and ``[0, n_reviewers)``.
    score : ndarray, shape (R,), float
        Review scores (score units).
    same : ndarray, shape (R,), bool
        Whether reviewer and achievement share a field.
    reviewer_major : bool
        Also build the reviewer -> reviews lists (``rev_ach``, ``rev_score``, ``rev_same``).
        :func:`estimate_joint` needs them only for very large reviewer pools (see
        ``_FUSED_MAX_BYTES``); without them those arrays are empty, ``rev_ptr`` is kept.
    """
    achievement = np.asarray(achievement, np.int64)
    reviewer = np.asarray(reviewer, np.int64)
    score = np.ascontiguousarray(score, np.float64)
    same = np.asarray(same)
    n_r = achievement.size
    if not (reviewer.size == score.size == same.size == n_r):
        raise ValueError("achievement, reviewer, score and same must have the same length")
    if n_achievements >= 2**31 or n_reviewers >= 2**30:
        raise ValueError("at most 2**31 - 1 achievements and 2**30 - 1 reviewers")
    achievement, reviewer = achievement.ravel(), reviewer.ravel()
    score, same = score.ravel(), same.ravel()
    rev32 = np.empty(n_r, np.int32)
    same8 = np.empty(n_r, np.uint8)
    count = N_CHUNKS * n_reviewers <= 1 << 22  # per-chunk reviewer counts stay small
    counts = np.zeros((N_CHUNKS if count else 0, n_reviewers), np.int64)
    bad = np.zeros(N_CHUNKS, np.int64)
    parallel = n_r >= _PARALLEL_MIN_ITEMS
    scan = _scan_reviews_parallel if parallel else _scan_reviews_serial
    ptr = np.empty(n_achievements + 1, np.int64)
    scan(achievement, reviewer, score, same, int(n_achievements), bad, counts, rev32, same8,
         ptr)  # fmt: skip
    flags = np.bitwise_or.reduce(bad)
    if flags & 1:
        raise ValueError("achievement index out of range")
    if flags & 2:
        raise ValueError("reviewer index out of range")
    if flags & 8:
        raise ValueError("scores must be finite")
    if flags & 4:  # not in achievement order: counting sort
        order, ach_ptr = _counting_sort(achievement, int(n_achievements))
        a_rev = np.empty(n_r, np.int32)
        a_same = np.empty(n_r, np.uint8)
        a_score = np.empty(n_r, np.float64)
        _gather_reviews(order, rev32, same8, score, a_rev, a_same, a_score)
    else:  # the usual case: no permutation needed
        ach_ptr = _finish_ptr(ptr, achievement)
        a_rev, a_same, a_score = rev32, same8, score
    if reviewer_major:
        order, rev_ptr = _counting_sort(rev32, int(n_reviewers))
        r_ach = np.empty(n_r, np.int32)
        r_same = np.empty(n_r, np.uint8)
        r_score = np.empty(n_r, np.float64)
        _gather_reviews(order, achievement.astype(np.int32), same8, score, r_ach, r_same,
                        r_score)  # fmt: skip
    else:
        rev_counts = counts.sum(axis=0) if count else np.bincount(rev32, minlength=n_reviewers)
        rev_ptr = _ptr_from_counts(rev_counts)
        e = np.zeros(0)
        r_ach, r_score, r_same = e.astype(np.int32), e, e.astype(np.uint8)
    return ReviewLists(ach_ptr, a_rev, a_score, a_same, rev_ptr, r_ach, r_score, r_same)


def build_quotes(n_achievements, achievement, log_quote) -> QuoteLists:
    """CSR quote lists (by achievement) from quotes in any order.

    ``achievement`` (Q,) ints in ``[0, n_achievements)``, ``log_quote`` (Q,) the natural
    log of the quoted prices.
    """
    achievement = np.asarray(achievement, np.int64).ravel()
    log_quote = np.ascontiguousarray(log_quote, np.float64)
    if achievement.size != log_quote.size:
        raise ValueError("achievement and log_quote must have the same length")
    log_quote = log_quote.ravel()
    ptr = np.empty(n_achievements + 1, np.int64)
    bad = np.zeros(N_CHUNKS, np.int64)
    parallel = achievement.size >= _PARALLEL_MIN_ITEMS
    scan = _scan_quotes_parallel if parallel else _scan_quotes_serial
    scan(achievement, log_quote, int(n_achievements), bad, ptr)
    flags = np.bitwise_or.reduce(bad)
    if flags & 1:
        raise ValueError("achievement index out of range")
    if flags & 8:
        raise ValueError("log quotes must be finite")
    if not flags & 4:  # the usual case: no permutation needed
        return QuoteLists(_finish_ptr(ptr, achievement), log_quote)
    order, ptr = _counting_sort(achievement, int(n_achievements))
    return QuoteLists(ptr, log_quote[order])
