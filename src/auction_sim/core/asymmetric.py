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

Method: backward shooting on ``bbar`` in quantile variables, with bisection brackets
and restarts (multiple shooting along the unstable direction); :func:`solve_first_price`.
Why this and not a boundary-value (Fibich-Gavish) or polynomial (Bajari; Gayle-Richard)
method: it needs no Jacobian or initial guess, it cannot diverge (every step keeps a
bracket), it handles reserves and classes that stop bidding below ``bbar`` with the same
code, and its one weakness -- the correct path is a separatrix that integration away
from ``bbar`` loses exponentially fast, worse as bidders are added -- is removed by the
restarts below.  The tests measure it with 2 to 5 classes and up to 9 bidders.

* State ``q_i = F_i(phi_i)`` with ``dq_i/db = q_i (S - c_i)``, ``S = sum_j n_j c_j /
  (N - 1)``: bounded and smooth where the bid function is flat (in the upper tail of an
  unbounded distribution ``phi_i' = F/f (S - c_i)`` is stiff; ``q_i'`` is not).
  ``phi_i = F_i^{-1}(q_i)`` comes from a three-piece table per class (even in ``log q``,
  in ``q`` and in ``-log(1 - q)``; one exact even table for uniform values).
* ``bbar`` lies in ``(a, second-highest top]``.  From a trial ``bbar`` the system is
  integrated downwards with classical RK4.  A too high ``bbar`` makes some inverse bid
  meet the diagonal (``phi_i <= b``) or turn down before ``b`` reaches ``a``; a too low
  ``bbar`` reaches ``b = a`` with every ``phi_i(a) > a``.  The two outcomes are a sign,
  so bisection converges to ``bbar`` to the last bit; unlike a Newton or secant step it
  cannot leave the bracket.  A class at the top of its support whose slope would be
  negative stops bidding higher (its top type bids below ``bbar``): it is left out of
  ``S`` above that bid (the active set is recomputed at every stage).
* Independent variable ``t`` with ``b = a + (bbar - a) sin(pi t / 2)**2``: near the low
  end the inverse bids behave like ``a + c (b - a)`` (common lowest value) or
  ``a + c sqrt(b - a)`` (reserve inside a support), both smooth in ``t``, and the steps
  also shrink near ``bbar`` where the bids of high types are flat.
* Restarts: the two paths of the final bracket (``bbar`` one ulp apart) separate like
  ``(bbar / b)**(N - 1)`` towards the low end.  Where they stop agreeing to
  :data:`AGREE` of the value range, their states differ along the unstable direction;
  a new bisection on the segment between the two states (same sign test) restores full
  precision there and the integration goes on down.  Below the last agreeing row
  (``patched_below``: 1e-7 of the bid range for 2 to 5 single bidders, 1e-4 with 9
  bidders) each inverse bid is closed with its low-end asymptote (linear in ``b``, or in
  ``sqrt(b - a)`` when ``F_i(a) > 0``).

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
    "MAX_PATCH",
    "MAX_STAKE",
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
"""Relative agreement (of the value range) of the two bracketing paths kept as solution."""

_HIGH = 1  # a shot met the diagonal: bbar too high
_LOW = 2  # a shot reached b = a above the low end: bbar too low
_PARALLEL_MIN_BIDS = 200_000


MAX_PATCH = 1e-2
"""Largest share of the bid range :func:`solve_first_price` lets its low-end patch cover
(resolved compositions stay under 0.3 %, with best replies within 1e-6; unresolved ones
cover 20-100 %)."""


MAX_STAKE = 1e-6
"""A patch over :data:`MAX_PATCH` of the bid range is still accepted where bids in it win
this rarely (:func:`patch_stake`): with many bidders the low end is unstable for
shooting, but no bidder's utility feels it."""


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
def _lerp(Q, i, piece, u):
    last = Q.shape[2] - 1
    if u <= 0.0:
        return Q[i, piece, 0]
    if u >= last:
        return Q[i, piece, last]
    k = int(u)
    return Q[i, piece, k] + (u - k) * (Q[i, piece, k + 1] - Q[i, piece, k])


@njit(cache=True, inline="always")
def _value(q, i, q0, P, Q):
    """``F_i^{-1}(q)`` from class ``i``'s three-piece table (see :func:`_quantile_tables`)."""
    if q < P[i, _QMIN]:  # below the lower tail table: linear from (q0, a)
        if not (q > q0[i]):  # below the lowest bid: a decreasing continuation
            return P[i, _A] - (q0[i] - q)
        w = (q - q0[i]) / (P[i, _QMIN] - q0[i])
        return P[i, _A] + w * (Q[i, 0, 0] - P[i, _A])
    if q < P[i, _QM0]:  # lower tail, even in log q
        return _lerp(Q, i, 0, (math.log(q) - P[i, _ZL0]) * P[i, _INVL])
    if q <= P[i, _QM1]:  # body, even in q
        return _lerp(Q, i, 1, (q - P[i, _QM0]) * P[i, _INVM])
    if q >= 1.0:
        return Q[i, 2, Q.shape[2] - 1]
    return _lerp(Q, i, 2, (-math.log1p(-q) - P[i, _ZH0]) * P[i, _INVH])  # upper tail


_A, _QMIN, _ZL0, _INVL, _QM0, _INVM, _QM1, _ZH0, _INVH = range(9)
_TAIL = 0.01  # tables even in log q below this quantile and in -log(1 - q) above 1 - _TAIL
_QFLOOR = 1e-30  # the lower tail table starts here (values below: linear to the low end)
_QCEIL = 1.0 - 1e-15  # the upper tail table ends here (above: the top value)


def _quantile_tables(dist, a, top, q0, q_top, table):
    """Quantile function of one class on ``[q0, q_top]`` in three even tables.

    Body even in ``q`` (exact for uniform values); tails even in ``log q`` and in
    ``-log(1 - q)``, where the quantile function is steep in ``q`` (a single even table
    in ``q`` misplaces values in the lowest and highest 1e-5 of the mass by up to 10 %).
    Returns ``(P, Q)``: parameters ``(9,)`` and values ``(3, table)``.
    """
    P = np.zeros(9)
    Q = np.empty((3, table))
    P[_A] = a
    qm0 = max(q0, _TAIL)
    qm1 = max(min(q_top, 1.0 - _TAIL), qm0)
    if dist.is_uniform:  # the quantile function is linear: one exact table
        qm0, qm1 = q0, q_top
    qmin = max(q0, _QFLOOR)
    if qm0 > qmin:
        zl = np.linspace(math.log(qmin), math.log(qm0), table)
        Q[0] = dist.ppf(np.exp(zl))
        P[_ZL0], P[_INVL] = zl[0], (table - 1) / (zl[-1] - zl[0])
    else:
        qmin = qm0
        Q[0] = a
    qs = np.linspace(qm0, qm1, table)
    Q[1] = dist.ppf(qs) if qm1 > qm0 else a
    P[_INVM] = (table - 1) / (qm1 - qm0) if qm1 > qm0 else 0.0
    qh = min(q_top, _QCEIL)
    if qh > qm1:
        zh = np.linspace(-math.log1p(-qm1), -math.log1p(-qh), table)
        Q[2] = dist.ppf(-np.expm1(-zh))
        P[_ZH0], P[_INVH] = zh[0], (table - 1) / (zh[-1] - zh[0])
    else:
        Q[2] = Q[1, -1]
    P[_QMIN], P[_QM0], P[_QM1] = qmin, qm0, qm1
    Q = np.where(np.isfinite(Q), Q, top)
    Q = np.maximum.accumulate(np.clip(Q, a, top), axis=1)
    return P, Q


@njit(cache=True)
def _values(qp, q0, P, Q, out):
    """Values of a path of quantiles ``qp`` ``(m + 1, K)``; NaN stays NaN."""
    for s in range(qp.shape[0]):
        for i in range(qp.shape[1]):
            q = qp[s, i]
            out[s, i] = q if np.isnan(q) else _value(q, i, q0, P, Q)


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


@njit(cache=True, inline="always")
def _g(t):
    """The bid grid: ``b = a + (bbar - a) g(t)``, ``g(t) = sin(pi t / 2)**2``."""
    x = math.sin(0.5 * math.pi * t)
    return x * x


@njit(cache=True, inline="always")
def _dg(t):
    return 0.5 * math.pi * math.sin(math.pi * t)


@njit(cache=True, inline="always")
def _dvalue(q, i, q0, P, Q):
    """``d F_i^{-1}(q) / dq`` of the table interpolation of :func:`_value` (its segment's
    slope): ``1 / f_i``, huge in a thin upper tail, where the system is stiff."""
    last = Q.shape[2] - 1
    if q < P[i, _QMIN]:
        if not (q > q0[i]):
            return 1.0
        return (Q[i, 0, 0] - P[i, _A]) / (P[i, _QMIN] - q0[i])
    if q < P[i, _QM0]:
        piece, u, du = 0, (math.log(q) - P[i, _ZL0]) * P[i, _INVL], P[i, _INVL] / q
    elif q <= P[i, _QM1]:
        piece, u, du = 1, (q - P[i, _QM0]) * P[i, _INVM], P[i, _INVM]
    else:  # upper tail; at q = 1 the slope at 1 - 1e-12 (the table's last points are
        # flat where ppf rounds to the top), so a class entering from its top is seen stiff
        q = min(q, 1.0 - 1e-12)
        piece, u, du = 2, (-math.log1p(-q) - P[i, _ZH0]) * P[i, _INVH], P[i, _INVH] / (1.0 - q)
    k = min(max(int(u), 0), last - 1)
    return (Q[i, piece, k + 1] - Q[i, piece, k]) * du


@njit(cache=True)
def _jacobian(q, on, counts, c, D, f, J):
    """``J[i, j] = d(dq_i / db) / d q_j`` for the active set ``on`` (``f``: the slopes)."""
    K = q.shape[0]
    n_on = 0.0
    for i in range(K):
        n_on += on[i] * counts[i]
    for i in range(K):
        for j in range(K):
            J[i, j] = 0.0
            if on[i] > 0.0 and on[j] > 0.0:
                w = counts[j] / (n_on - 1.0) - (1.0 if i == j else 0.0)
                J[i, j] = -q[i] * c[j] * c[j] * D[j] * w
        if on[i] > 0.0 and q[i] > 0.0:
            J[i, i] += f[i] / q[i]


@njit(cache=True)
def _solve_small(A, r):
    """Solve ``A x = r`` in place of ``r`` (Gaussian elimination, partial pivoting; K <= ~8)."""
    K = r.shape[0]
    for k in range(K):
        p = k
        for i in range(k + 1, K):
            if abs(A[i, k]) > abs(A[p, k]):
                p = i
        if A[p, k] == 0.0:
            return False
        if p != k:
            for j in range(K):
                A[k, j], A[p, j] = A[p, j], A[k, j]
            r[k], r[p] = r[p], r[k]
        for i in range(k + 1, K):
            m = A[i, k] / A[k, k]
            for j in range(k, K):
                A[i, j] -= m * A[k, j]
            r[i] -= m * r[k]
    for k in range(K - 1, -1, -1):
        x = r[k]
        for j in range(k + 1, K):
            x -= A[k, j] * r[j]
        r[k] = x / A[k, k]
    return True


_NOISE = 256 * 2.220446049250313e-16  # round-off allowance of the falling-bid tests
_SUB = 2  # backward-Euler substeps per grid step where the system is stiff
_STIFF = 0.5  # implicit steps where ||J|| |db| exceeds this (RK4 is stable below ~2.8)


@njit(cache=True)
def _stage(y, base, alpha, bs, on, counts, q0, P, Q, q_top, z, c, D, f, J, r):
    """Solve ``z = base + alpha * F(bs, z)`` (``F``: :func:`_slopes` in ``b``) by Newton
    from ``z = y``, the active set taken at each iterate (``on``: work array): a class
    at its top enters within the step where it should, not at the next step's start
    (late, an active class could fall below its top value, forcing a falling bid
    function when it enters).  False if an iterate crosses the diagonal or Newton stalls."""
    K = y.shape[0]
    for i in range(K):
        z[i] = y[i]
    for _it in range(30):
        if not _slopes(bs, z, q_top, counts, q0, P, Q, c, on, f):
            return False
        for i in range(K):
            D[i] = _dvalue(z[i], i, q0, P, Q) if on[i] > 0.0 else 0.0
        _jacobian(z, on, counts, c, D, f, J)
        big = 0.0
        for i in range(K):
            r[i] = base[i] + alpha * f[i] - z[i]
            for j in range(K):
                J[i, j] = (1.0 if i == j else 0.0) - alpha * J[i, j]
        if not _solve_small(J, r):
            return False
        for i in range(K):
            z[i] += r[i]
            if z[i] > q_top[i]:
                z[i] = q_top[i]
            big = max(big, abs(r[i]))
        if big <= 4e-16:
            return True
    return big <= 1e-12


@njit(cache=True)
def _implicit(t0, t1, a, L, q, on, counts, q0, P, Q, q_top, w):
    """One step from ``t0`` down to ``t1`` by backward Euler in :data:`_SUB` substeps
    (halved on failure); ``q`` is updated in place (``on``, ``w``: work arrays).  False:
    no valid step.

    Backward Euler keeps the sign of the slopes: ``F(z) = (z - y) / dt``, so a class
    whose quantile fell over a substep has a non-negative slope at its end -- on the
    slow manifold of a stiff tail (slopes ~0) a higher-order L-stable method overshoots
    to small negative slopes, which the shooting would read as a falling bid function.
    """
    K = q.shape[0]
    z, c, D, f, r, y = w[0], w[1], w[2], w[3], w[4], w[5]
    J = np.empty((K, K))
    n = _SUB
    while n <= 64:
        for i in range(K):
            y[i] = q[i]
        ok = True
        for k in range(n):
            tb = t0 + (t1 - t0) * (k + 1) / n
            ta = t0 + (t1 - t0) * k / n
            alpha = (a + L * _g(tb)) - (a + L * _g(ta))  # db of the substep (< 0)
            if not _stage(y, y, alpha, a + L * _g(tb), on, counts, q0, P, Q, q_top,
                          z, c, D, f, J, r):  # fmt: skip
                ok = False
                break
            for i in range(K):
                y[i] = z[i]
        if ok:
            for i in range(K):
                q[i] = y[i]
            return True
        n *= 2
    return False


@njit(cache=True)
def _shoot(bbar, a, q_start, row, q_top, counts, q0, inv_w, Q, path, stiff, freeze):
    """Integrate the quantiles ``q_i = F_i(phi_i)`` from row ``row`` (state ``q_start``)
    down to ``b = a``, on ``t`` with ``b = a + (bbar - a) sin(pi t / 2)**2``, ``t = s / m``.

    Classical RK4 where the system is not stiff; where it is (``||J|| |db| >`` _STIFF:
    thin upper tails, where ``d phi / dq = 1 / f`` is huge and the quantiles relax fast
    onto a slow manifold) an L-stable implicit step (backward Euler, Newton) with the active
    set of the step's start.  ``stiff[s]`` (uint8, ``(m + 1,)``) records which steps were
    implicit, or with ``freeze`` dictates it: the choice is then the same for every shot
    of a bisection, whose outcome is continuous in ``bbar`` (a choice per shot would
    make it jump where a step changes method, and bisection would converge to that jump).
    Fills ``path[s]`` for ``s <= row``.  Returns ``(status, s)``:
    ``_HIGH`` and the step that met the diagonal or turned a bid function down (a
    quantile rising as ``b`` falls), or ``_LOW`` and 0 when ``b = a`` was reached.
    """
    m = path.shape[0] - 1
    K = q_top.shape[0]
    q = q_start.copy()
    qprev = np.empty(K)
    k1 = np.empty(K)
    k2 = np.empty(K)
    k3 = np.empty(K)
    k4 = np.empty(K)
    y = np.empty(K)
    c = np.empty(K)
    on = np.empty(K)
    D = np.empty(K)
    J = np.empty((K, K))
    w = np.empty((8, K))
    L = bbar - a
    h = 1.0 / m
    path[row] = q
    for s in range(row, 0, -1):
        t0 = s * h
        tm = t0 - 0.5 * h
        t1 = t0 - h
        b0 = a + L * _g(t0)
        bm = a + L * _g(tm)
        b1 = a + L * _g(t1)
        if not _slopes(b0, q, q_top, counts, q0, inv_w, Q, c, on, k1):
            return _HIGH, s
        for i in range(K):
            if k1[i] < 0.0 and q[i] < q_top[i]:  # a decreasing bid function: bbar too high
                # unless within round-off: a quantile one ulp off moves the slope by
                # ~ q c^2 dphi/dq ulp, large in a thin tail (a class just entered)
                if k1[i] < -_NOISE * q[i] * q[i] * c[i] * c[i] * _dvalue(q[i], i, q0, inv_w, Q):
                    return _HIGH, s
                k1[i] = 0.0
            qprev[i] = q[i]
        if freeze:
            implicit = stiff[s] != 0
        else:  # stiffness: ||J||_inf |db| over the step, with the classes at their top
            # that may enter during it (bidding below b) counted as active
            for i in range(K):
                y[i] = 1.0 if c[i] > 0.0 else 0.0
                D[i] = _dvalue(q[i], i, q0, inv_w, Q) if y[i] > 0.0 else 0.0
            _jacobian(q, y, counts, c, D, k1, J)
            norm = 0.0
            for i in range(K):
                row_sum = 0.0
                for j in range(K):
                    row_sum += abs(J[i, j])
                norm = max(norm, row_sum)
            implicit = norm * (b0 - b1) > _STIFF
            stiff[s] = 1 if implicit else 0
        if implicit:
            if not _implicit(t0, t1, a, L, q, on, counts, q0, inv_w, Q, q_top, w):
                return _HIGH, s - 1
            for i in range(K):
                if q[i] > qprev[i] and qprev[i] < q_top[i]:
                    if q[i] > qprev[i] * (1.0 + _NOISE):
                        return _HIGH, s - 1
                    q[i] = qprev[i]
        else:
            for i in range(K):
                k1[i] *= L * _dg(t0)
                y[i] = q[i] - 0.5 * h * k1[i]
            if not _slopes(bm, y, q_top, counts, q0, inv_w, Q, c, on, k2):
                return _HIGH, s - 1
            for i in range(K):
                k2[i] *= L * _dg(tm)
                y[i] = q[i] - 0.5 * h * k2[i]
            if not _slopes(bm, y, q_top, counts, q0, inv_w, Q, c, on, k3):
                return _HIGH, s - 1
            for i in range(K):
                k3[i] *= L * _dg(tm)
                y[i] = q[i] - h * k3[i]
            if s > 1:
                if not _slopes(b1, y, q_top, counts, q0, inv_w, Q, c, on, k4):
                    return _HIGH, s - 1
                for i in range(K):
                    k4[i] *= L * _dg(t1)
            else:
                for i in range(K):
                    k4[i] = 0.0  # g'(0) = 0
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
        Largest share of the bid range the low-end asymptotic patch may cover; beyond it
        the shooting did not resolve the equilibrium and :class:`AsymmetricError` is raised
        (``None``: return it anyway, for callers that check ``patched_below`` themselves).

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

    def bisect(lo_b, hi_b, freeze):
        for _ in range(200):
            mid = 0.5 * (lo_b + hi_b)
            if not (lo_b < mid < hi_b):
                break
            if shoot(mid, q_top, m, path, freeze)[0] == _HIGH:
                hi_b = mid
            else:
                lo_b = mid
        return lo_b, hi_b

    # 1. bisection on bbar, each shot choosing its implicit steps
    lo_b, hi_b = bisect(a, top_b, False)
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
    share = (eq.patched_below - a) / (bbar - a) if bbar > a else 0.0
    if max_patch is not None and share > max_patch:
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
