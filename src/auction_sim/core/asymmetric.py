"""Asymmetric first-price (and Dutch) Bayes-Nash equilibria: bidder classes, any distribution.

Bidders come in ``K`` classes; class ``i`` has ``n_i`` bidders whose private values are
i.i.d. with cdf ``F_i`` (density ``f_i``) on ``[lo_i, top_i]``; there is a public
reserve ``r``.  Every bidder bids ``a = max(r, lo_i)`` or more, which must be one
number for all classes (a common low bid at the reserve or at the common lowest value);
bidders with values below ``a`` do not bid.  In equilibrium a bidder of class ``i``
with value ``v`` bids ``b_i(v)``; its inverse ``phi_i(b)`` solves, for ``a < b < bbar``,

    (phi_i(b) - b) * sum_j (n_j - [i == j]) * f_j(phi_j) phi_j' / F_j(phi_j) = 1,

a linear system in ``g_j = d log F_j(phi_j) / db`` whose solution is explicit
(``N = sum n_j``, ``c_j = 1 / (phi_j - b)``)::

    phi_i'(b) = F_i(phi_i) / f_i(phi_i) * (sum_j n_j c_j / (N - 1) - c_i),

with boundary conditions ``phi_i(a) = a`` (common low bid) and ``phi_i(bbar) = top_i``
(common high bid ``bbar``, unknown).  The ODE is singular at ``b = a``.

Method: backward shooting on ``bbar`` with a bisection bracket and a change of
variables (:func:`solve_first_price`).

* ``bbar`` lies in the bracket ``(a, min_i top_i)``.  From a trial ``bbar`` the system
  is integrated downwards with classical RK4.  A too high ``bbar`` makes some inverse
  bid meet the diagonal (``phi_i <= b``: that class would bid its value) before ``b``
  reaches ``a``; a too low ``bbar`` reaches ``b = a`` with every ``phi_i(a) > a``.
  The two outcomes are a sign, so bisection converges to ``bbar`` to the last bit
  (about 60 halvings); unlike a Newton or secant step it cannot jump out of the
  bracket, which is what makes naive shooting fail as classes are added.
* Independent variable ``t`` with ``b = a + (bbar - a) t**2``.  Near the low end the
  inverse bids behave like ``a + c (b - a)`` (common lowest value, positive density)
  or ``a + c sqrt(b - a)`` (reserve inside a support): both are smooth in ``t``, so
  fixed-step RK4 keeps its order down to ``t = 0`` where the ``b``-variable has an
  infinite slope.  ``F_i / f_i`` is tabulated once per class on an even grid and
  interpolated linearly (exact for uniform values).
* Shooting's known weakness is that the correct path is a separatrix: the two paths of
  the final bracket (``bbar`` one ulp apart) agree to about ``sqrt(ulp)`` near the low
  end.  The solution is the mean of the two paths while they agree to
  :data:`AGREE` of the value range; below that point (recorded in ``patched_below``,
  within about 1e-7 of the range above ``a`` in the tests) each inverse bid is closed
  with its low-end asymptote (linear in ``b``, or in ``sqrt(b - a)`` when ``F_i(a) > 0``).
  The tests measure stability for 2 to 5 classes: closed-form error, identical
  classes against the symmetric solver, and a best-response check.

Bids are evaluated per class from even value grids (inverse tables resampled) by
:func:`bid_at_class` inside the kernels :func:`class_bids` (bids only) and
:func:`bid_and_clear` (bids, then :func:`auction_sim.core.clearing.clear_row`: the
clearing rule is not re-implemented here).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .clearing import FIRST_PRICE, SECOND_PRICE, ClearingResult, clear_row
from .equilibrium import TOP_QUANTILE

__all__ = [
    "AGREE",
    "AsymmetricError",
    "AsymmetricEquilibrium",
    "ClassBidTables",
    "solve_first_price",
    "class_bid_tables",
    "bid_at_class",
    "class_bids",
    "bid_and_clear",
    "class_columns",
]

AGREE = 1e-9
"""Relative agreement (of the value range) of the two bracketing paths kept as solution."""

_HIGH = 1  # a shot met the diagonal: bbar too high
_LOW = 2  # a shot reached b = a above the low end: bbar too low
_PARALLEL_MIN_BIDS = 200_000


class AsymmetricError(ValueError):
    """The classes admit no (non-degenerate) equilibrium the solver can compute.

    ``index`` is the class to blame (or ``None`` for the reserve); ``what`` the part of
    it (``"values"``, ``"count"``) so callers can name the scenario key.
    """

    def __init__(self, message: str, index: int | None = None, what: str = "values"):
        self.index = index
        self.what = what
        super().__init__(message)


class AsymmetricEquilibrium(NamedTuple):
    """The equilibrium on a common bid grid.

    ``inverse[i, k]`` is the value of a class-``i`` bidder who bids ``bid[k]``
    (currency); ``bid`` runs from ``low`` to ``high_bid``.  Inactive classes (every
    value at or below ``low``) have ``active[i] = False`` and do not bid.
    """

    bid: np.ndarray  # float64, (m,)
    inverse: np.ndarray  # float64, (K, m)
    low: float  # a = max(reserve, lowest value): the common lowest bid
    high_bid: float  # bbar: the common highest bid
    tops: np.ndarray  # float64, (K,): top of each class's (truncated) support
    active: np.ndarray  # bool, (K,)
    reserve: float
    patched_below: float  # bids below this come from the low-end asymptote (>= low)


class ClassBidTables(NamedTuple):
    """Per-class bid functions on even value grids, for :func:`bid_at_class`.

    ``bid[i, k]`` is the bid of value ``low + k / inv_width[i]``; values below ``low``
    abstain (NaN), values above the grid bid ``bid[i, -1]``.
    """

    bid: np.ndarray  # float64, (K, T)
    inv_width: np.ndarray  # float64, (K,)
    low: float


# --------------------------------------------------------------------------- the ODE


@njit(cache=True, inline="always")
def _value(q, i, q0, inv_w, Q):
    """``F_i^{-1}(q)``, linear on class ``i``'s even quantile grid from ``q0[i]``."""
    last = Q.shape[1] - 1
    u = (q - q0[i]) * inv_w[i]
    k = 0
    if u > 0.0:
        k = int(u)
        if k >= last:
            k = last - 1
    return Q[i, k] + (u - k) * (Q[i, k + 1] - Q[i, k])


@njit(cache=True)
def _slopes(b, q, q_top, counts, q0, inv_w, Q, c, on, out):
    """``dq_i / db = q_i (S - c_i)`` over the classes still bidding at ``b``.

    A class at the top of its support (``q_i = q_top_i``) whose top value is at or below
    ``b``, or whose slope would be negative, bids below ``b`` with certainty: it is left
    out (slope 0) and ``S`` is taken over the others (``c``, ``on``: work arrays).
    Returns False when a class below its top has its value at or below ``b``.
    """
    K = q.shape[0]
    for i in range(K):
        gap = _value(q[i], i, q0, inv_w, Q) - b
        top = q[i] >= q_top[i]
        if not (gap > 0.0):  # beyond the diagonal (also NaN)
            if not top:
                return False
            on[i] = 0.0
            c[i] = 0.0
        else:
            on[i] = 1.0
            c[i] = 1.0 / gap
    s = 0.0
    while True:
        n_on = 0.0
        s = 0.0
        for i in range(K):
            n_on += on[i] * counts[i]
            s += on[i] * counts[i] * c[i]
        if n_on < 2.0:
            return False
        s /= n_on - 1.0
        worst = -1
        excess = 0.0
        for i in range(K):
            if on[i] > 0.0 and q[i] >= q_top[i] and c[i] - s > excess:
                excess = c[i] - s
                worst = i
        if worst < 0:
            break
        on[worst] = 0.0
    for i in range(K):
        out[i] = q[i] * (s - c[i]) if on[i] > 0.0 else 0.0
    return True


@njit(cache=True)
def _shoot(bbar, a, q_top, counts, q0, inv_w, Q, path):
    """Integrate the quantiles ``q_i = F_i(phi_i)`` from ``bbar`` down to ``a`` on ``t``.

    Fills ``path[s]`` (t = s / m).  Returns ``(status, s)``: ``_HIGH`` and the step that
    met the diagonal or turned a bid function down (a quantile rising as ``b`` falls),
    or ``_LOW`` and 0 when ``b = a`` was reached.
    """
    m = path.shape[0] - 1
    K = q_top.shape[0]
    q = q_top.copy()
    k1 = np.empty(K)
    k2 = np.empty(K)
    k3 = np.empty(K)
    k4 = np.empty(K)
    y = np.empty(K)
    c = np.empty(K)
    on = np.empty(K)
    L = bbar - a
    h = 1.0 / m
    path[m] = q
    for s in range(m, 0, -1):
        t0 = s * h
        tm = t0 - 0.5 * h
        t1 = t0 - h
        bm = a + L * tm * tm
        b1 = a + L * t1 * t1
        if not _slopes(a + L * t0 * t0, q, q_top, counts, q0, inv_w, Q, c, on, k1):
            return _HIGH, s
        for i in range(K):
            if k1[i] < 0.0 and q[i] < q_top[i]:  # a decreasing bid function: bbar too high
                return _HIGH, s
            k1[i] *= 2.0 * t0 * L
            y[i] = q[i] - 0.5 * h * k1[i]
        if not _slopes(bm, y, q_top, counts, q0, inv_w, Q, c, on, k2):
            return _HIGH, s - 1
        for i in range(K):
            k2[i] *= 2.0 * tm * L
            y[i] = q[i] - 0.5 * h * k2[i]
        if not _slopes(bm, y, q_top, counts, q0, inv_w, Q, c, on, k3):
            return _HIGH, s - 1
        for i in range(K):
            k3[i] *= 2.0 * tm * L
            y[i] = q[i] - h * k3[i]
        if s > 1:
            if not _slopes(b1, y, q_top, counts, q0, inv_w, Q, c, on, k4):
                return _HIGH, s - 1
            for i in range(K):
                k4[i] *= 2.0 * t1 * L
        else:
            for i in range(K):
                k4[i] = 0.0  # 2 t L vanishes at t = 0
        for i in range(K):
            q[i] -= h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        path[s - 1] = q
        for i in range(K):
            v = _value(q[i], i, q0, inv_w, Q)
            if s > 1:
                if not (v > b1) and q[i] < q_top[i]:
                    return _HIGH, s - 1
            elif not (v >= a):
                return _HIGH, 0
    return _LOW, 0


# --------------------------------------------------------------------------- solver


def _support(dist) -> tuple[float, float]:
    lo, hi = dist.support()
    top = hi if math.isfinite(hi) else float(dist.ppf(TOP_QUANTILE))
    return float(lo), float(top)


def common_low(dists, reserve: float) -> float:
    """``a = max(reserve, lo_i)`` when it is one number; else :class:`AsymmetricError`."""
    reserve = float(reserve)
    lows = [_support(d)[0] for d in dists]
    tops = [_support(d)[1] for d in dists]
    if not any(t > reserve for t in tops):
        raise AsymmetricError(
            f"reserve {reserve} is at or above every class's highest value"
            f" ({', '.join(f'{t:g}' for t in tops)}): nobody bids (a degenerate auction)",
            None,
            "reserve",
        )
    starts = [max(reserve, lo) for lo in lows]
    a = max(starts)
    for i, s in enumerate(starts):
        if s != a and tops[i] > reserve:
            j = starts.index(a)
            raise AsymmetricError(
                f"the lowest bid must be common: class {i} starts at {s:g} but class {j}"
                f" at {a:g} (supports with different lower ends need a reserve >= {a:g};"
                " the solver covers a common lowest value or a binding reserve)",
                i,
            )
    return a


def solve_first_price(
    dists, counts, reserve: float = 0.0, *, steps: int = 4096, table: int = 65537
) -> AsymmetricEquilibrium:
    """The first-price Bayes-Nash equilibrium with bidder classes.

    Parameters
    ----------
    dists : sequence of values.Distribution
        One value distribution per class (needs ``cdf``, ``pdf``, ``ppf``, ``support``
        and a density: a point mass is rejected).
    counts : sequence of int
        Bidders per class (>= 1 each).
    reserve : float
        Public reserve (currency).
    steps : int
        RK4 steps in ``t`` (``b = a + (bbar - a) t**2``).
    table : int
        Points of each class's ``F / f`` table.

    Returns
    -------
    AsymmetricEquilibrium

    Raises
    ------
    AsymmetricError
        Count below 1, a point mass, no common lowest bid, or a reserve at or above
        every class's highest value.
    """
    K = len(dists)
    if K < 1 or len(counts) != K:
        raise ValueError("need one count per class and at least one class")
    for i, c in enumerate(counts):
        if int(c) < 1:
            raise AsymmetricError(f"class {i} has count {c}; expected >= 1", i, "count")
    for i, d in enumerate(dists):
        lo, top = _support(d)
        if not top > lo:
            raise AsymmetricError(
                f"class {i} has a point mass at {lo:g}: the first-price equilibrium with"
                " classes needs a value density",
                i,
            )
    reserve = float(reserve)
    a = common_low(dists, reserve)
    tops_all = np.array([_support(d)[1] for d in dists])
    active = tops_all > a
    idx = np.flatnonzero(active)
    cnt = np.array([float(counts[i]) for i in idx])
    tops = tops_all[idx].copy()
    n_total = float(cnt.sum())
    m = int(steps)
    if n_total < 2:  # one bidder: it bids the lowest admissible bid
        t = np.linspace(0.0, 1.0, m + 1)
        inv = np.full((K, m + 1), np.nan)
        inv[idx] = a + (tops[:, None] - a) * t
        return AsymmetricEquilibrium(np.full(m + 1, a), inv, a, a, tops_all, active, reserve, a)
    Q = np.empty((idx.size, table))
    q0 = np.empty(idx.size)
    q_top = np.empty(idx.size)
    inv_w = np.empty(idx.size)
    for r, i in enumerate(idx):
        q0[r] = float(dists[i].cdf(a))
        q_top[r] = float(dists[i].cdf(tops[r]))
        qs = np.linspace(q0[r], q_top[r], table)
        x = np.asarray(dists[i].ppf(qs), dtype=np.float64)
        x[0], x[-1] = a, tops[r]
        Q[r] = np.maximum.accumulate(np.clip(x, a, tops[r]))
        inv_w[r] = (table - 1) / (q_top[r] - q0[r])
    path = np.empty((m + 1, idx.size))
    by_top = np.sort(np.repeat(tops, cnt.astype(np.int64)))
    lo_b, hi_b = a, float(by_top[-2])  # no bid above the second-highest top value
    for _ in range(200):
        mid = 0.5 * (lo_b + hi_b)
        if not (lo_b < mid < hi_b):
            break
        status, _s = _shoot(mid, a, q_top, cnt, q0, inv_w, Q, path)
        if status == _HIGH:
            hi_b = mid
        else:
            lo_b = mid
    qlow = np.empty_like(path)
    qhigh = np.full_like(path, np.nan)
    _shoot(lo_b, a, q_top, cnt, q0, inv_w, Q, qlow)
    _status, fail = _shoot(hi_b, a, q_top, cnt, q0, inv_w, Q, qhigh)
    qhigh[: fail + 1] = np.nan
    low_path = np.empty_like(path)
    high_path = np.empty_like(path)
    for r in range(idx.size):
        grid = np.linspace(q0[r], q_top[r], table)
        low_path[:, r] = np.interp(qlow[:, r], grid, Q[r])
        high_path[:, r] = np.where(
            np.isnan(qhigh[:, r]), np.nan, np.interp(qhigh[:, r], grid, Q[r])
        )
    bbar = lo_b
    scale = float(tops.max() - a)
    gap = np.abs(low_path - high_path).max(axis=1)
    bad = np.flatnonzero(~(gap <= AGREE * scale))
    d = int(bad.max()) + 1 if bad.size else 0  # rows d.. agree
    sol = 0.5 * (low_path + np.where(np.isnan(high_path), low_path, high_path))
    t = np.arange(m + 1) / m
    if d > 0:
        d = min(d, m)
        has_mass = np.array([float(dists[i].cdf(a)) > 0.0 for i in idx])
        frac = np.where(has_mass[None, :], t[:d, None] / t[d], (t[:d, None] / t[d]) ** 2)
        sol[:d] = a + (sol[d] - a)[None, :] * frac
    sol[0] = a
    sol = np.maximum.accumulate(sol, axis=0)  # round-off guard: inverse bids increase
    bid = a + (bbar - a) * t * t
    inv = np.full((K, m + 1), np.nan)
    inv[idx] = sol.T
    return AsymmetricEquilibrium(
        bid, inv, a, bbar, tops_all, active, reserve, float(bid[d] if d else a)
    )


def class_bid_tables(eq: AsymmetricEquilibrium, table: int = 4097) -> ClassBidTables:
    """Resample each class's inverse bid function to a bid function on an even value grid.

    ``table`` points per class (4097 points are 32 KiB each and stay in the L1/L2 cache).
    """
    K = eq.inverse.shape[0]
    bid = np.empty((K, table))
    inv_w = np.empty(K)
    a = eq.low
    for i in range(K):
        top = eq.tops[i]
        if not eq.active[i]:
            bid[i] = a
            inv_w[i] = 0.0
            continue
        x = np.linspace(a, top, table)
        inv = eq.inverse[i]
        end = int(np.searchsorted(inv, top)) + 1  # a class whose top bids below bbar
        bid[i] = np.interp(x, inv[:end], eq.bid[:end]) if eq.high_bid > a else a
        inv_w[i] = (table - 1) / (top - a)
    return ClassBidTables(bid, inv_w, float(a))


# --------------------------------------------------------------------------- kernels


@njit(cache=True, inline="always")
def bid_at_class(v, k, bid, inv_width, low) -> float:
    """Bid of value ``v`` of class ``k``: NaN below ``low``, the table's last bid above it."""
    if not (v >= low):
        return np.nan
    last = bid.shape[1] - 1
    u = (v - low) * inv_width[k]
    if u >= last:
        return bid[k, last]
    j = int(u)
    return bid[k, j] + (u - j) * (bid[k, j + 1] - bid[k, j])


@njit(cache=True, inline="always")
def _bid_row(values, cls, bid, inv_width, low, i, out):
    """Row ``i`` of :func:`bid_at_class`, written out: as a call it compiles ~7x slower
    in the serial driver (measured; the parallel driver was unaffected)."""
    last = bid.shape[1] - 1
    for j in range(values.shape[1]):
        v = values[i, j]
        k = cls[j]
        if not (v >= low):
            out[i, j] = np.nan
            continue
        u = (v - low) * inv_width[k]
        if u >= last:
            out[i, j] = bid[k, last]
            continue
        c = int(u)
        out[i, j] = bid[k, c] + (u - c) * (bid[k, c + 1] - bid[k, c])


@njit(cache=True)
def _bids_serial(values, cls, bid, inv_width, low, out):
    for i in range(values.shape[0]):
        _bid_row(values, cls, bid, inv_width, low, i, out)


@njit(cache=True, parallel=True)
def _bids_parallel(values, cls, bid, inv_width, low, out):
    for i in prange(values.shape[0]):
        _bid_row(values, cls, bid, inv_width, low, i, out)


@njit(cache=True)
def _bid_clear_serial(
    values, cls, bid, inv_width, low, tie_u, reserve, rule, bids, winner, price, high, second
):
    for i in range(values.shape[0]):
        _bid_row(values, cls, bid, inv_width, low, i, bids)
        clear_row(bids, tie_u, i, reserve, rule, winner, price, high, second)


@njit(cache=True, parallel=True)
def _bid_clear_parallel(
    values, cls, bid, inv_width, low, tie_u, reserve, rule, bids, winner, price, high, second
):
    for i in prange(values.shape[0]):
        _bid_row(values, cls, bid, inv_width, low, i, bids)
        clear_row(bids, tie_u, i, reserve, rule, winner, price, high, second)


def class_columns(counts) -> np.ndarray:
    """The class of each bidder column (classes in order, ``counts[i]`` columns each)."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), np.asarray(counts, dtype=np.int64))


def _check(values, cls, tables):
    values = np.ascontiguousarray(values, dtype=np.float64)
    cls = np.ascontiguousarray(cls, dtype=np.int64)
    if values.ndim != 2 or cls.shape != (values.shape[1],):
        raise ValueError(
            f"values must be 2-d with one class per column, got {values.shape} and {cls.shape}"
        )
    K = tables.bid.shape[0]
    if cls.size and (cls.min() < 0 or cls.max() >= K):
        raise ValueError(f"class indices must lie in [0, {K}), got {cls.min()}..{cls.max()}")
    return values, cls


def class_bids(
    values: np.ndarray, cls: np.ndarray, tables: ClassBidTables, *, parallel: bool | None = None
) -> np.ndarray:
    """Equilibrium bids ``(n_auctions, n_bidders)``; column ``j`` is of class ``cls[j]``."""
    values, cls = _check(values, cls, tables)
    out = np.empty_like(values)
    if parallel is None:
        parallel = values.size >= _PARALLEL_MIN_BIDS
    kernel = _bids_parallel if parallel else _bids_serial
    kernel(values, cls, tables.bid, tables.inv_width, tables.low, out)
    return out


def bid_and_clear(
    values: np.ndarray,
    cls: np.ndarray,
    tables: ClassBidTables,
    tie_u: np.ndarray,
    reserve: float = 0.0,
    rule: int = FIRST_PRICE,
    *,
    parallel: bool | None = None,
) -> tuple[np.ndarray, ClearingResult]:
    """Bid every value from ``tables`` and clear each auction, in one pass over the rows.

    Returns ``(bids, ClearingResult)``; the clearing is
    :func:`auction_sim.core.clearing.clear_row`, the same as
    :func:`auction_sim.core.clearing.clear_sealed` on those bids.
    """
    values, cls = _check(values, cls, tables)
    tie_u = np.ascontiguousarray(tie_u, dtype=np.float64)
    if tie_u.shape != values.shape:
        raise ValueError(f"tie_u must have shape {values.shape}, got {tie_u.shape}")
    if rule not in (FIRST_PRICE, SECOND_PRICE):
        raise ValueError(f"rule must be FIRST_PRICE (0) or SECOND_PRICE (1), got {rule!r}")
    n = values.shape[0]
    bids = np.empty_like(values)
    res = ClearingResult(np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n))
    if parallel is None:
        parallel = values.size >= _PARALLEL_MIN_BIDS
    kernel = _bid_clear_parallel if parallel else _bid_clear_serial
    kernel(values, cls, tables.bid, tables.inv_width, tables.low, tie_u, float(reserve), rule,
           bids, *res)  # fmt: skip
    return bids, res
