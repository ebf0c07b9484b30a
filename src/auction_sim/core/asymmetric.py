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

Method: backward shooting on ``bbar`` in quantile variables, with bisection brackets,
an implicit integrator where the system is stiff, and restarts (multiple shooting along
the unstable direction); :func:`solve_first_price` (the integration is in
:mod:`auction_sim.core.asymmetric_ode`).  Why this and not a boundary-value
(Fibich-Gavish) or polynomial (Bajari; Gayle-Richard) method: it needs no Jacobian of
the whole discretised system and no initial guess, it cannot diverge (every step keeps
a bracket), and classes that enter below ``bbar`` (their top type bids less) are an
event of the integration, where a collocation method needs their entry bids as extra
unknowns with non-smooth conditions.  Its failures in an earlier version were not the
instability shooting is known for but three defects, now removed (below): explicit
steps in stiff thin tails, an accuracy test in value space where values are
ill-conditioned, and a method choice that changed between shots.  Measured on 2 to 5
classes of uniform, beta, normal (cut by a reserve) and lognormal values, scales up to
8x apart, 1 to 16 bidders: best replies within 9e-5 of expected utility in the tests and
in ``tests/validation/asymmetric_sweep.py`` but for one beta composition (1.4e-3); some
beta compositions are still refused.

* State ``q_i = F_i(phi_i)`` with ``dq_i/db = q_i (S - c_i)``, ``S = sum_j n_j c_j /
  (N - 1)``: bounded and smooth where the bid function is flat.  ``phi_i =
  F_i^{-1}(q_i)`` comes from a three-piece table per class (even in ``log q``, in ``q``
  and in ``-log(1 - q)``; one exact even table for uniform values).
* ``bbar`` lies in ``(a, second-highest top]``.  From a trial ``bbar`` the system is
  integrated downwards.  A too high ``bbar`` makes some inverse bid meet the diagonal
  (``phi_i <= b``) or turn down before ``b`` reaches ``a``; a too low ``bbar`` reaches
  ``b = a`` with every ``phi_i(a) > a``.  The two outcomes are a sign, so bisection
  converges to ``bbar`` to the last bit.  A class at the top of its support whose slope
  would be negative stops bidding higher (its top type bids below ``bbar``): it is left
  out of ``S`` above that bid; it enters where its slope ``S - c_i`` (with it counted)
  reaches 0 (smooth pasting: its top type is indifferent to bidding higher).
* Stiffness.  ``d(S - c_i)/dq_i`` grows like ``c_i^2 / f_i(phi_i)``: in a thin upper
  tail (lognormal or normal values truncated at the 1 - 1e-9 quantile, beta densities
  vanishing at the top) it is 1e6-1e9 per unit bid, and a class entering from its top
  relaxes onto a slow manifold with slope ~0.  Explicit RK4 overshot there to a
  negative slope, read as "bbar too high" for every ``bbar`` above some value, so the
  bisection converged to that jump instead of the root (the refused compositions of
  issue 19).  Steps where ``||J|| |db|`` exceeds 0.5 are taken by backward Euler (two
  substeps, Newton with the analytic Jacobian, the active set found at each iterate so
  a class enters inside the step): L-stable, and it keeps the sign of the slopes
  (``F(z) = (z - y) / db``), so a quantile that fell has a non-negative slope.  Which
  steps are implicit is decided once (from the two shots bracketing the first
  bisection, widened by 4 steps) and frozen for the final bisection and restarts,
  whose outcome is then continuous in ``bbar`` and in the restart state.
* Independent variable ``t`` with ``b = a + (bbar - a) sin(pi t / 2)**2``: near the low
  end the inverse bids behave like ``a + c (b - a)`` (common lowest value) or
  ``a + c sqrt(b - a)`` (reserve inside a support), both smooth in ``t``, and the steps
  also shrink near ``bbar`` where the bids of high types are flat.
* Restarts: the two paths of the final bracket (``bbar`` one ulp apart) separate like
  ``(bbar / b)**(N - 1)`` towards the low end.  Where they stop agreeing -- per class,
  values within :data:`AGREE` of the value range or quantiles within AGREE relative (in
  a thin tail one ulp of ``q`` is a large value difference that no bid feels) -- their
  states differ along the unstable direction; a new bisection on the segment between
  the two states restores full precision there and the integration goes on down.
  Below the last agreeing row (``patched_below``) each inverse bid is closed with its
  low-end asymptote (linear in ``b``, or in ``sqrt(b - a)`` when ``F_i(a) > 0``).  With
  a reserve the patch covers ~1e-7 of the bid range; without one and with many bidders
  up to ~15 % -- bids that win with probability 1e-13 or less (:func:`patch_stake`), so
  it is accepted where that stake is below :data:`MAX_STAKE`.

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

from .asymmetric_ode import _HIGH, _LOW, _quantile_tables, _shoot, _values
from .clearing import FIRST_PRICE, SECOND_PRICE, ClearingResult, clear_row
from .equilibrium import TOP_QUANTILE

__all__ = [
    "AGREE",
    "MAX_PATCH",
    "MAX_STAKE",
    "MAX_GAIN",
    "best_reply_gain",
    "patch_stake",
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
"""Agreement of the two bracketing paths kept as solution: per class, values within this
share of the value range, or quantiles within this relative difference."""

_PARALLEL_MIN_BIDS = 200_000


MAX_PATCH = 1e-2
"""Largest share of the bid range :func:`solve_first_price` lets its low-end patch cover
where bids in it win more than :data:`MAX_STAKE` (with a reserve patches stay near 1e-7 of
the range; without one, with 8-15 bidders, they reach 2-15 % where bids win with
probability 1e-13 or less)."""


MAX_STAKE = 1e-6
"""A patch over :data:`MAX_PATCH` of the bid range is still accepted where bids in it win
this rarely (:func:`patch_stake`): with many bidders the low end is unstable for
shooting, but no bidder's utility feels it."""


MAX_GAIN = 1e-3
""":func:`solve_first_price` refuses an answer in which some type gains more than this
share of its class's expected utility by another bid (:func:`best_reply_gain`), the bound
of the validation tests.  The two checks sample types and bids differently and can
disagree either way: an answer passing here with 8e-4 measured 1.4e-3 there, and
beta(0.2, 0.2) against beta(3, 3) measures 7e-4 here (types near the top, where the
U-shaped class's values round to 1) and 6e-7 there."""


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
    dists,
    counts,
    reserve: float = 0.0,
    *,
    steps: int = 4096,
    table: int = 16385,
    restarts: int = 64,
    max_patch: float | None = MAX_PATCH,
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
        RK4 steps in ``t`` (``b = a + (bbar - a) sin(pi t / 2)**2``).
    table : int
        Points of each of the three pieces of a class's quantile-function table.
    restarts : int
        Most restarts of the bisection down the bid grid (0: bisect on ``bbar`` only).
    max_patch : float or None
        Largest share of the bid range the low-end asymptotic patch may cover unless bids
        in it (almost) never win (:func:`patch_stake` up to :data:`MAX_STAKE`); beyond it,
        or where a type gains more than :data:`MAX_GAIN` by another bid
        (:func:`best_reply_gain`), :class:`AsymmetricError` is raised (``None``: no
        checks, the answer is returned as it is, for callers that check it themselves).

    Returns
    -------
    AsymmetricEquilibrium

    Raises
    ------
    AsymmetricError
        Count below 1, a point mass, no common lowest bid, a reserve at or above
        every class's highest value, or a composition the solver does not resolve.
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
    Q = np.empty((idx.size, 3, table))
    inv_w = np.empty((idx.size, 9))  # table parameters (see _quantile_tables)
    q0 = np.empty(idx.size)
    q_top = np.empty(idx.size)
    for r, i in enumerate(idx):
        q0[r] = float(dists[i].cdf(a))
        q_top[r] = float(dists[i].cdf(tops[r]))
        inv_w[r], Q[r] = _quantile_tables(dists[i], a, tops[r], q0[r], q_top[r], table)
    path = np.empty((m + 1, idx.size))
    by_top = np.sort(np.repeat(tops, cnt.astype(np.int64)))
    top_b = float(by_top[-2])  # no bid above the second-highest top value
    mask = np.zeros(m + 1, np.uint8)  # steps taken implicitly (see _shoot)
    scratch = np.zeros(m + 1, np.uint8)

    def shoot(bb, q_start, row, out, freeze=True):
        return _shoot(bb, a, q_start, row, q_top, cnt, q0, inv_w, Q, out,
                      mask if freeze else scratch, freeze)  # fmt: skip

    def bisect(lo_b, hi_b, freeze, tol=0.0):
        for _ in range(200):
            mid = 0.5 * (lo_b + hi_b)
            if not (lo_b < mid < hi_b) or hi_b - lo_b <= tol:
                break
            if shoot(mid, q_top, m, path, freeze)[0] == _HIGH:
                hi_b = mid
            else:
                lo_b = mid
        return lo_b, hi_b

    # 1. bisection on bbar (to 1e-9 of the range), each shot choosing its implicit steps
    lo_b, hi_b = bisect(a, top_b, False, 1e-9 * (top_b - a))
    # 2. the implicit steps of the two final shots (widened by a few steps) frozen, and
    # the bisection redone inside a bracket widened until it holds with them
    for bb in (lo_b, hi_b):
        shoot(bb, q_top, m, path, False)
        mask |= scratch
    mask = np.maximum.reduce([np.roll(mask, k) for k in range(-4, 5)])
    width = max(hi_b - lo_b, 1e-15 * max(abs(hi_b), 1.0))
    lo2, hi2 = lo_b, hi_b
    for k in range(60):
        if lo2 <= a or shoot(lo2, q_top, m, path)[0] == _LOW:
            break
        lo2 = max(a, lo_b - width * 4.0**k)
    for k in range(60):
        if hi2 >= top_b or shoot(hi2, q_top, m, path)[0] == _HIGH:
            break
        hi2 = min(top_b, hi_b + width * 4.0**k)
    lo_b, hi_b = bisect(lo2, hi2, True)
    bbar = lo_b
    qlow = np.empty_like(path)
    qhigh = np.full_like(path, np.nan)
    shoot(lo_b, q_top, m, qlow)
    _status, fail = shoot(hi_b, q_top, m, qhigh)
    qhigh[: fail + 1] = np.nan

    def values(qp):
        out = np.empty_like(qp)
        _values(np.ascontiguousarray(qp), q0, inv_w, Q, out)
        return out

    scale = float(tops.max() - a)

    def first_agreeing_row(lq, hq, lp, hp, upto):
        """Rows ``d..upto`` agree: per class, values within AGREE of the value range or
        quantiles within AGREE relative (in a thin tail a tiny quantile difference is a
        large value difference that no bid or win probability feels)."""
        dv = np.abs(lp[: upto + 1] - hp[: upto + 1]) <= AGREE * scale
        dq = np.abs(lq[: upto + 1] - hq[: upto + 1]) <= AGREE * np.abs(lq[: upto + 1])
        bad = np.flatnonzero(~(dv | dq).all(axis=1))
        return int(bad.max()) + 1 if bad.size else 0

    low_path, high_path = values(qlow), values(qhigh)
    d = first_agreeing_row(qlow, qhigh, low_path, high_path, m)
    # Restarts (multiple shooting): at row d the bracketing paths still agree to AGREE
    # but differ along the unstable direction; bisect on the segment between their
    # states there (sign as for bbar) to restore full precision, integrate on down.
    for _ in range(restarts):
        if d == 0 or d >= m:
            break
        qa, qb = qlow[d].copy(), qhigh[d].copy()
        lo_s, hi_s = 0.0, 1.0
        for _ in range(80):
            mid = 0.5 * (lo_s + hi_s)
            if not (lo_s < mid < hi_s):
                break
            if shoot(bbar, qa + mid * (qb - qa), d, path)[0] == _HIGH:
                hi_s = mid
            else:
                lo_s = mid
        nl, nh = np.empty_like(path), np.full_like(path, np.nan)
        st_l, _s = shoot(bbar, qa + lo_s * (qb - qa), d, nl)
        _st, fail = shoot(bbar, qa + hi_s * (qb - qa), d, nh)
        nh[: fail + 1] = np.nan
        if st_l != _LOW:
            break
        lp, hp = values(nl[: d + 1]), values(nh[: d + 1])
        d_new = first_agreeing_row(nl, nh, lp, hp, d)
        if d_new >= d:
            break
        qlow[: d + 1], qhigh[: d + 1] = nl[: d + 1], nh[: d + 1]
        low_path[: d + 1], high_path[: d + 1] = lp, hp
        d = d_new
    sol = 0.5 * (low_path + np.where(np.isnan(high_path), low_path, high_path))
    t = np.arange(m + 1) / m
    grid = np.sin(0.5 * np.pi * t) ** 2  # _g(t)
    if d > 0:
        d = min(d, m)
        has_mass = np.array([float(dists[i].cdf(a)) > 0.0 for i in idx])
        ratio = (grid[:d] / grid[d])[:, None]
        frac = np.where(has_mass[None, :], np.sqrt(ratio), ratio)
        sol[:d] = a + (sol[d] - a)[None, :] * frac
    sol[0] = a
    sol = np.maximum.accumulate(sol, axis=0)  # round-off guard: inverse bids increase
    bid = a + (bbar - a) * grid
    inv = np.full((K, m + 1), np.nan)
    inv[idx] = sol.T
    eq = AsymmetricEquilibrium(
        bid, inv, a, bbar, tops_all, active, reserve, float(bid[d] if d else a)
    )
    if max_patch is None:
        return eq
    gain = best_reply_gain(eq, dists, counts)
    if not gain <= MAX_GAIN:
        raise AsymmetricError(
            f"the equilibrium solver did not resolve these classes: on its own grid a"
            f" bidder gains {gain:.2g} of its expected utility by another bid (limit"
            f" {MAX_GAIN:.0e}); the answer would be wrong, so none is given",
            None,
        )
    share = (eq.patched_below - a) / (bbar - a) if bbar > a else 0.0
    if share > max_patch:
        stake = patch_stake(eq, dists, counts)
        if not stake <= MAX_STAKE:
            raise AsymmetricError(
                f"the equilibrium solver did not resolve these classes: its low-end"
                f" asymptotic patch covers {share:.1%} of the bid range (limit"
                f" {max_patch:.0e}) where a bid wins with {stake:.2g} of a bidder's expected"
                f" win probability (limit {MAX_STAKE:.0e}); the answer could be wrong, so"
                " none is given",
                None,
            )
    return eq


def _own_rows(inverse: np.ndarray) -> int:
    """Rows of the grid a class bids: up to the first reaching its largest value (a class
    that stops bidding below ``bbar`` has a flat inverse above its top type's bid; that
    value can sit an ulp below ``tops[i]``, so it is not searched for)."""
    return min(int(np.searchsorted(inverse, inverse[-1])) + 1, inverse.size)


def best_reply_gain(eq: AsymmetricEquilibrium, dists, counts, types: int = 256) -> float:
    """The largest gain of any type of any class from any bid of the grid ``eq.bid``
    against the other bidders' equilibrium bids, over the class's expected equilibrium
    utility (a self-check: what the validation tests measure, on the solver's grid).

    Types: ``types`` values per class at even quantiles above the lowest bid; bids and
    win probabilities ``prod_j F_j(phi_j(b))**(n_j - [i == j])`` from the inverse bids
    (interpolated) and the classes' cdfs, so the low-end patch is checked too.
    """
    act = np.flatnonzero(eq.active)
    if eq.high_bid <= eq.low or act.size == 0:
        return 0.0
    n = np.array([float(counts[i]) for i in act])

    def log_cdf_at(bids):  # (len(act), len(bids)): log F_j(phi_j(b))
        out = [np.asarray(dists[i].cdf(np.interp(bids, eq.bid, eq.inverse[i])), dtype=float)
               for i in act]  # fmt: skip
        return np.log(np.maximum(np.array(out), 1e-300))

    grid = log_cdf_at(eq.bid)
    worst = 0.0
    for r, i in enumerate(act):
        e = n.copy()
        e[r] -= 1.0
        win = np.exp(e @ grid)  # (m,): win probability of each grid bid
        q0 = float(dists[i].cdf(eq.low))
        q = q0 + (1.0 - q0) * (np.arange(types) + 0.5) / types * (1.0 - 1e-6)
        v = np.minimum(np.asarray(dists[i].ppf(q), dtype=float), eq.tops[i])
        end = _own_rows(eq.inverse[i])
        b = np.interp(v, eq.inverse[i, :end], eq.bid[:end])
        u_eq = (v - b) * np.exp(e @ log_cdf_at(b))
        best = ((v[:, None] - eq.bid[None, :]) * win[None, :]).max(axis=1)
        expected = float(u_eq.mean()) * (1.0 - q0)
        gain = float(np.maximum(best - u_eq, 0.0).max())
        if gain > 0.0:
            worst = max(worst, gain / expected if expected > 0.0 else math.inf)
    return worst


def patch_stake(eq: AsymmetricEquilibrium, dists, counts) -> float:
    """What the low-end patch of ``eq`` puts at stake: over the classes, the largest
    probability that a bid at the top of the patch wins, over the class's expected win
    probability (types above the patch only: a lower bound).  A bid in the patch wins
    at most that often, so no type gains or loses more than about this share of its
    expected utility by the patch's error (0 without a patch)."""
    if not eq.patched_below > eq.low:
        return 0.0
    k = min(int(np.searchsorted(eq.bid, eq.patched_below)), eq.bid.size - 1)
    act = np.flatnonzero(eq.active)
    q = np.array([np.asarray(dists[i].cdf(eq.inverse[i]), dtype=float) for i in act])
    logq = np.log(np.maximum(q, 1e-300))
    n = np.array([float(counts[i]) for i in act])
    worst = 0.0
    for r in range(act.size):
        e = n.copy()
        e[r] -= 1.0
        win = np.exp(e @ logq)  # (m + 1,): win probability of a class-r bid on the grid
        dq = np.diff(q[r, k:])
        expected = float((0.5 * (win[k:-1] + win[k + 1 :]) * dq).sum()) / max(
            q[r, -1] - q[r, 0], 1e-300
        )
        worst = max(worst, float(win[k]) / expected if expected > 0 else math.inf)
    return worst


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
        end = _own_rows(inv)  # a class whose top bids below bbar
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
