"""The inverse-bid system of :mod:`auction_sim.core.asymmetric`, integrated for shooting.

State ``q_i = F_i(phi_i(b))`` (quantiles), ``dq_i / db = q_i (S - c_i)`` with
``c_i = 1 / (phi_i - b)`` and ``S = sum_j n_j c_j / (N - 1)`` over the classes still
bidding at ``b``; ``phi_i = F_i^{-1}(q_i)`` from a three-piece table per class.  One
shot (:func:`_shoot`) integrates from a trial top bid down to the low end and says
whether it met the diagonal (top bid too high) or reached the low end (too low): RK4
where the system is not stiff, backward Euler with Newton where it is (thin upper tails).
The solver and the reasons for the method are in :mod:`auction_sim.core.asymmetric`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_HIGH = 1  # a shot met the diagonal: bbar too high
_LOW = 2  # a shot reached b = a above the low end: bbar too low


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
    else:  # upper tail; at q = 1, or on a flat segment (the table's last points are flat
        # where ppf rounds to the top), the slope at 1 - 1e-12: a class entering from its
        # top is seen stiff
        if q >= 1.0:
            q = 1.0 - 1e-12
        piece, u, du = 2, (-math.log1p(-q) - P[i, _ZH0]) * P[i, _INVH], P[i, _INVH] / (1.0 - q)
        k = min(max(int(u), 0), last - 1)
        slope = (Q[i, 2, k + 1] - Q[i, 2, k]) * du
        if slope == 0.0 and q > 1.0 - 1e-12:
            q = 1.0 - 1e-12
            u, du = (-math.log1p(-q) - P[i, _ZH0]) * P[i, _INVH], P[i, _INVH] / (1.0 - q)
            k = min(max(int(u), 0), last - 1)
            slope = (Q[i, 2, k + 1] - Q[i, 2, k]) * du
        return slope
    k = min(max(int(u), 0), last - 1)
    return (Q[i, piece, k + 1] - Q[i, piece, k]) * du


@njit(cache=True)
def _jacobian(q, on, counts, c, D, f, J):
    """``J[i, j] = d(dq_i / db) / d q_j`` (per unit bid) for the active set ``on``.

    ``q``, ``on``, ``counts``, ``c`` (1 / currency), ``D`` (currency per unit of q), ``f``
    (the slopes ``dq_i / db``): ``(K,)``; ``J``: ``(K, K)``, written."""
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
    """Solve ``A x = r`` in place of ``r`` (``A``: ``(K, K)``, destroyed; ``r``: ``(K,)``;
    Gaussian elimination with partial pivoting, K <= ~8).  False if ``A`` is singular."""
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
def _stage(y, base, alpha, bs, on, counts, q0, P, Q, q_top, z, c, D, f, J, r, sc):
    """Solve ``z = base + alpha * F(bs, z)`` (``F``: :func:`_slopes` in ``b``) by Newton
    from ``z = y``, the active set taken at each iterate (``on``: work array): a class
    at its top enters within the step where it should, not at the next step's start
    (late, an active class could fall below its top value, forcing a falling bid
    function when it enters).  In the upper tail table the unknown is ``-log(1 - q)``
    (``sc``: work array), in which the table is even and the quantile function smooth: a
    density vanishing at the top like ``(top - v)**k`` makes it a cusp in ``q``, where
    Newton stalls.  False if an iterate crosses the diagonal or Newton stalls."""
    K = y.shape[0]
    for i in range(K):
        z[i] = y[i]
    for _it in range(30):
        if not _slopes(bs, z, q_top, counts, q0, P, Q, c, on, f):
            return False
        for i in range(K):
            D[i] = _dvalue(z[i], i, q0, P, Q) if on[i] > 0.0 else 0.0
        _jacobian(z, on, counts, c, D, f, J)
        for i in range(K):
            sc[i] = 1.0 - z[i] if z[i] > P[i, _QM1] and z[i] < _QCEIL else 1.0
        big = 0.0
        for i in range(K):
            r[i] = base[i] + alpha * f[i] - z[i]
            for j in range(K):
                J[i, j] = ((1.0 if i == j else 0.0) - alpha * J[i, j]) * sc[j]
        if not _solve_small(J, r):
            return False
        for i in range(K):
            old = z[i]
            if sc[i] < 1.0:
                z[i] = 1.0 - sc[i] * math.exp(-max(min(r[i], 700.0), -700.0))
            else:
                z[i] += r[i]
            big = max(big, abs(z[i] - old))  # before clamping: a clamped move is no
            if z[i] > q_top[i]:  # convergence (the step fails: bbar too high)
                z[i] = q_top[i]
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
    z, c, D, f, r, y, sc = w[0], w[1], w[2], w[3], w[4], w[5], w[6]
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
                          z, c, D, f, J, r, sc):  # fmt: skip
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
