"""Kernels and state layout of the limit order book: a tick grid, price-time priority (numba).

The single implementation of continuous matching: the batch replay, the per-order
API (used by the discrete-event market and the ``double_auction`` laboratory), the C
per-order doorway's cfuncs (:mod:`._orderbook_entry`) and the benchmarks all run
:func:`_exec`.  The Python API (:class:`~.orderbook_api.OrderBook`) is in
:mod:`.orderbook_api`; :mod:`.orderbook` re-exports both.

Rules
-----
* Prices live on a grid ``price = price_min + k * tick`` for ``k = 0 .. n_ticks - 1``.
  A limit price must be a grid point (relative tolerance 1e-9 of a tick); otherwise
  the order is rejected with :data:`REJECT_OFF_GRID`.  Quantities are integers (units).
* Priority: better price first, then earlier arrival (FIFO at a price level).
* An incoming order (the *taker*) trades with resting orders (the *makers*) while it
  crosses: a buy at limit ``L`` trades with the best ask while ``best_ask <= L``.
  Every fill is one trade report (buy order id, sell order id, buyer, seller, price,
  quantity) at the **maker's price**.  Partial fills leave the rest of the maker at
  the head of its level, or the rest of a limit taker resting at its limit price.
* A market order trades at any price until it is filled or the opposite side is
  empty; an unfilled remainder is cancelled (immediate-or-cancel) and shows as
  ``filled < qty`` in the order's outcome, never silently.
* A cancel removes the whole remaining quantity of a resting order.  Cancelling an
  id that is not resting (unknown, already filled or already cancelled) is
  rejected with :data:`REJECT_UNKNOWN_ID`.
* Self-trades are allowed (no self-trade prevention); ``owner`` is only reported.
* Every submission, rejected or not and cancels included, takes the next order id
  (``0, 1, 2, ...`` on a new book), so a batch of ``n`` orders on a new book has
  ids ``0 .. n - 1``.
* Checks run in this order and the first failure is the reason code: kind; for a
  cancel the target id; otherwise side, quantity (a positive integer: 2.5 or NaN is
  rejected, never truncated), owner (an integer), NaN price and off grid (the last
  two for limit orders only).  A rejected order changes nothing but the id counter.
  Scalars and arrays may be integer or floating point; a float is accepted only
  when it holds an exact integer.

State layout
------------
The whole book is one int64 array ``mem`` (so the per-order API passes a single
array to numba): a header, then the price levels ``(n_ticks, 6)`` (head, tail and
total quantity per side), the order slots ``(capacity, 8)`` (id, owner, quantity,
tick, side, next, prev, padding: one cache line per order; doubly linked FIFO lists
per level, freed slots on a free list), the id -> slot map ``(id_capacity,)`` and
the fill buffer of the last submission ``(fill_capacity, 6)``.  Inside the kernels
the blocks are flat 1-d views indexed ``row * width + column`` (building 2-d views
with ``reshape`` on every call cost more than matching an order).  The id map keeps
the slot an order rested in; a cancel is valid only while that slot still holds the
id with a positive quantity (freed slots have quantity 0).  Kernels never
allocate: when a region is too small they return a ``_GROW_*`` code before
changing anything, and the Python wrapper enlarges ``mem`` and retries.  About
64 bytes per resting order plus 8 bytes per order id ever issued.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "BUY",
    "SELL",
    "LIMIT",
    "MARKET",
    "CANCEL",
    "OK",
    "REJECT_KIND",
    "REJECT_SIDE",
    "REJECT_QUANTITY",
    "REJECT_NAN_PRICE",
    "REJECT_OFF_GRID",
    "REJECT_UNKNOWN_ID",
    "REJECT_OWNER",
    "REASONS",
    "submit",
    "submit_limit",
    "submit_market",
    "submit_cancel",
    "cancel_all",
    "last_fills",
    "best_ticks",
    "FILL_BUY",
    "FILL_SELL",
    "FILL_BUYER",
    "FILL_SELLER",
    "FILL_TICK",
    "FILL_QTY",
]

BUY = 0
SELL = 1
LIMIT = 0
MARKET = 1
CANCEL = 2

OK = 0
REJECT_KIND = -1
REJECT_SIDE = -2
REJECT_QUANTITY = -3
REJECT_NAN_PRICE = -4
REJECT_OFF_GRID = -5
REJECT_UNKNOWN_ID = -6
REJECT_OWNER = -7
REASONS = {
    OK: "accepted",
    REJECT_KIND: "unknown order kind",
    REJECT_SIDE: "side is neither BUY (0) nor SELL (1)",
    REJECT_QUANTITY: "quantity <= 0",
    REJECT_NAN_PRICE: "NaN limit price",
    REJECT_OFF_GRID: "limit price off the tick grid",
    REJECT_UNKNOWN_ID: "cancel of an order id that is not resting",
    REJECT_OWNER: "owner is not an integer",
}

_GROW_IDS = -101
_GROW_POOL = -102
_GROW_FILLS = -103

# header fields of mem
_H_PMIN = 0  # float64 bits
_H_TICK = 1  # float64 bits
_H_NT = 2
_H_CAP = 3
_H_IDCAP = 4
_H_FCAP = 5
_H_NEXT = 6  # next order id
_H_FREE = 7  # head of the free slot list (-1: none)
_H_USED = 8  # slots ever used (high-water mark)
_H_BB = 9  # best bid tick (-1: none)
_H_BA = 10  # best ask tick (n_ticks: none)
_H_NB = 11  # resting buy orders
_H_NA = 12  # resting sell orders
_H_NFILL = 13  # fills of the last submission
_H_FILLED = 14  # quantity filled (or cancelled) by the last submission
_H_NEED = 15  # size a _GROW_* code asks for
_H_LEN = 16

# rows of the level block
_HEAD = 0  # + side
_TAIL = 2
_LQTY = 4
# rows of the slot block
_S_ID = 0
_S_OWNER = 1
_S_QTY = 2
_S_TICK = 3
_S_SIDE = 4
_S_NEXT = 5
_S_PREV = 6
_SLOT = 8  # fields per slot (one 64-byte cache line; the last is padding)
# columns of a trade block (fill buffer and batch output)
_T_BUY = FILL_BUY = 0
_T_SELL = FILL_SELL = 1
_T_BUYER = FILL_BUYER = 2
_T_SELLER = FILL_SELLER = 3
_T_TICK = FILL_TICK = 4
_T_QTY = FILL_QTY = 5

_GRID_TOL = 1e-9
_INT_MAX = 2**62  # quantities and owners must be below this (exact in float64 and int64)


@njit(cache=True, inline="always")
def _layout_size(n_ticks, cap, idcap, fcap):
    """Length of the state array (int64 words); also used by the C entry points' cfuncs."""
    return _H_LEN + 6 * n_ticks + _SLOT * cap + idcap + 6 * fcap


@njit(cache=True, inline="always")
def _views(mem):
    nt = mem[_H_NT]
    cap = mem[_H_CAP]
    idc = mem[_H_IDCAP]
    fc = mem[_H_FCAP]
    o = _H_LEN
    lv = mem[o : o + 6 * nt]
    o += 6 * nt
    sl = mem[o : o + _SLOT * cap]
    o += _SLOT * cap
    ids = mem[o : o + idc]
    o += idc
    fl = mem[o : o + 6 * fc]
    return lv, sl, ids, fl


@njit(cache=True, inline="always")
def _to_tick(mem, price):
    """Grid index of ``price``; -1 when off the grid (NaN handled by the caller)."""
    fp = mem[:2].view(np.float64)
    x = (price - fp[0]) / fp[1]
    k = np.floor(x + 0.5)
    if not (abs(x - k) <= _GRID_TOL) or k < 0 or k >= mem[_H_NT]:
        return -1
    return np.int64(k)


@njit(cache=True, inline="always")
def _unlink(mem, lv, sl, s):
    """Remove slot ``s`` from its level (level quantity untouched) and free it.

    Removing the head leaves the new head's ``prev`` stale (it still names ``s``):
    nothing is ever inserted before a head, so a head's ``prev`` is never read, and
    the match loop saves touching the next order's cache line.  A freed slot has
    quantity 0, which is how a cancel tells a live order from a gone one.
    """
    side = sl[s * _SLOT + _S_SIDE]
    t = sl[s * _SLOT + _S_TICK]
    q = sl[s * _SLOT + _S_NEXT]
    if lv[t * 6 + _HEAD + side] == s:
        lv[t * 6 + _HEAD + side] = q
        if q < 0:
            lv[t * 6 + _TAIL + side] = -1
    else:
        p = sl[s * _SLOT + _S_PREV]
        sl[p * _SLOT + _S_NEXT] = q
        if q >= 0:
            sl[q * _SLOT + _S_PREV] = p
        else:
            lv[t * 6 + _TAIL + side] = p
    sl[s * _SLOT + _S_QTY] = 0
    sl[s * _SLOT + _S_NEXT] = mem[_H_FREE]
    mem[_H_FREE] = s
    mem[_H_NB + side] -= 1


@njit(cache=True, inline="always")
def _fix_best(mem, lv, side):
    """Move the best price of ``side`` past empty levels."""
    nt = mem[_H_NT]
    if side == BUY:
        if mem[_H_NB] == 0:
            mem[_H_BB] = -1
            return
        t = mem[_H_BB]
        while lv[t * 6 + _HEAD] < 0:
            t -= 1
        mem[_H_BB] = t
    else:
        if mem[_H_NA] == 0:
            mem[_H_BA] = nt
            return
        t = mem[_H_BA]
        while lv[t * 6 + _HEAD + 1] < 0:
            t += 1
        mem[_H_BA] = t


@njit(cache=True, inline="always")
def _exec(mem, lv, sl, ids, fl, fpos, kind, side_in, price, qty_in, owner_in, target_in):
    """Process one order against the book in ``mem``.

    Fills are written from row ``fpos`` of ``fl``, a flat C-order ``(m, 6)`` buffer of
    rows (buy id, sell id, buyer, seller, tick, quantity); the blocks are flat so that
    no reshape runs per order.  Returns the order id (>= 0), a ``REJECT_*`` code,
    or a ``_GROW_*`` code (nothing changed; ``mem[_H_NEED]`` says how much is needed).
    Sets ``mem[_H_NFILL]`` and ``mem[_H_FILLED]``.
    """
    oid = mem[_H_NEXT]
    if oid >= mem[_H_IDCAP]:
        mem[_H_NEED] = oid + 1
        return _GROW_IDS
    mem[_H_NFILL] = 0
    mem[_H_FILLED] = 0
    # ---- validation (no state change but the id counter) ----
    code = OK
    tick = np.int64(-1)
    if kind != LIMIT and kind != MARKET and kind != CANCEL:
        code = REJECT_KIND
    elif kind == CANCEL:
        if not (target_in >= 0 and target_in < oid and target_in == np.floor(target_in)):
            code = REJECT_UNKNOWN_ID
        else:
            s = ids[np.int64(target_in)]  # the slot it rested in, if it ever did
            if s < 0 or sl[s * _SLOT + _S_ID] != target_in or sl[s * _SLOT + _S_QTY] <= 0:
                code = REJECT_UNKNOWN_ID
    elif side_in != BUY and side_in != SELL:
        code = REJECT_SIDE
    elif not (qty_in > 0 and qty_in < _INT_MAX) or qty_in != np.floor(qty_in):
        code = REJECT_QUANTITY
    elif not (abs(owner_in) < _INT_MAX) or owner_in != np.floor(owner_in):
        code = REJECT_OWNER
    elif kind == LIMIT:
        if np.isnan(price):
            code = REJECT_NAN_PRICE
        else:
            tick = _to_tick(mem, price)
            if tick < 0:
                code = REJECT_OFF_GRID
    if code != OK:
        mem[_H_NEXT] = oid + 1
        ids[oid] = -1
        return code
    # exact integers from here on (the checks above refuse anything a cast would change)
    target = np.int64(target_in) if kind == CANCEL else np.int64(-1)
    qty = np.int64(qty_in) if kind != CANCEL else np.int64(0)
    owner = np.int64(owner_in) if kind != CANCEL else np.int64(0)
    side = np.int64(side_in) if kind != CANCEL else np.int64(0)
    # ---- cancel ----
    if kind == CANCEL:
        s = ids[target]
        sd = sl[s * _SLOT + _S_SIDE]
        t = sl[s * _SLOT + _S_TICK]
        q = sl[s * _SLOT + _S_QTY]
        lv[t * 6 + _LQTY + sd] -= q
        _unlink(mem, lv, sl, s)
        ids[target] = -1
        if lv[t * 6 + _HEAD + sd] < 0 and t == mem[_H_BB + sd]:
            _fix_best(mem, lv, sd)
        mem[_H_NEXT] = oid + 1
        ids[oid] = -1
        mem[_H_FILLED] = q
        return oid
    # ---- capacity (before any change) ----
    other = 1 - side
    bound = min(qty, mem[_H_NB + other])
    if fpos + bound > fl.shape[0] // 6:
        mem[_H_NEED] = fpos + bound
        return _GROW_FILLS
    if kind == LIMIT and mem[_H_FREE] < 0 and mem[_H_USED] >= mem[_H_CAP]:
        mem[_H_NEED] = mem[_H_USED] + 1
        return _GROW_POOL
    mem[_H_NEXT] = oid + 1
    ids[oid] = -1
    # ---- match ----
    nt = mem[_H_NT]
    left = qty
    nf = 0
    if side == BUY:
        lim = tick if kind == LIMIT else nt - 1
        while left > 0:
            t = mem[_H_BA]
            if t >= nt or t > lim:
                break
            s = lv[t * 6 + _HEAD + SELL]
            mq = sl[s * _SLOT + _S_QTY]
            f = mq if mq < left else left
            j = fpos + nf
            fl[j * 6 + _T_BUY] = oid
            fl[j * 6 + _T_SELL] = sl[s * _SLOT + _S_ID]
            fl[j * 6 + _T_BUYER] = owner
            fl[j * 6 + _T_SELLER] = sl[s * _SLOT + _S_OWNER]
            fl[j * 6 + _T_TICK] = t
            fl[j * 6 + _T_QTY] = f
            nf += 1
            left -= f
            lv[t * 6 + _LQTY + SELL] -= f
            if f == mq:
                _unlink(mem, lv, sl, s)
                if lv[t * 6 + _HEAD + SELL] < 0:
                    _fix_best(mem, lv, SELL)
            else:
                sl[s * _SLOT + _S_QTY] = mq - f
    else:
        lim = tick if kind == LIMIT else 0
        while left > 0:
            t = mem[_H_BB]
            if t < 0 or t < lim:
                break
            s = lv[t * 6 + _HEAD + BUY]
            mq = sl[s * _SLOT + _S_QTY]
            f = mq if mq < left else left
            j = fpos + nf
            fl[j * 6 + _T_BUY] = sl[s * _SLOT + _S_ID]
            fl[j * 6 + _T_SELL] = oid
            fl[j * 6 + _T_BUYER] = sl[s * _SLOT + _S_OWNER]
            fl[j * 6 + _T_SELLER] = owner
            fl[j * 6 + _T_TICK] = t
            fl[j * 6 + _T_QTY] = f
            nf += 1
            left -= f
            lv[t * 6 + _LQTY + BUY] -= f
            if f == mq:
                _unlink(mem, lv, sl, s)
                if lv[t * 6 + _HEAD + BUY] < 0:
                    _fix_best(mem, lv, BUY)
            else:
                sl[s * _SLOT + _S_QTY] = mq - f
    mem[_H_NFILL] = nf
    mem[_H_FILLED] = qty - left
    # ---- rest ----
    if left > 0 and kind == LIMIT:
        s = mem[_H_FREE]
        if s >= 0:
            mem[_H_FREE] = sl[s * _SLOT + _S_NEXT]
        else:
            s = mem[_H_USED]
            mem[_H_USED] = s + 1
        sl[s * _SLOT + _S_ID] = oid
        sl[s * _SLOT + _S_OWNER] = owner
        sl[s * _SLOT + _S_QTY] = left
        sl[s * _SLOT + _S_TICK] = tick
        sl[s * _SLOT + _S_SIDE] = side
        sl[s * _SLOT + _S_NEXT] = -1
        tl = lv[tick * 6 + _TAIL + side]
        sl[s * _SLOT + _S_PREV] = tl
        if tl >= 0:
            sl[tl * _SLOT + _S_NEXT] = s
        else:
            lv[tick * 6 + _HEAD + side] = s
        lv[tick * 6 + _TAIL + side] = s
        lv[tick * 6 + _LQTY + side] += left
        ids[oid] = s
        mem[_H_NB + side] += 1
        if side == BUY:
            if tick > mem[_H_BB]:
                mem[_H_BB] = tick
        elif tick < mem[_H_BA]:
            mem[_H_BA] = tick
    return oid


@njit(cache=True)
def submit(mem, kind, side, price, qty, owner, target):
    """Per-order entry point: one order into ``mem``; fills go to its fill buffer."""
    lv, sl, ids, fl = _views(mem)
    return _exec(mem, lv, sl, ids, fl, 0, kind, side, price, qty, owner, target)


@njit(cache=True)
def last_fills(mem):
    """The fills of the last submission: a view of shape ``(n_fills, 6)``, columns ``FILL_*``."""
    n = mem[_H_NFILL]
    return _views(mem)[3][: 6 * n].reshape((n, 6))


@njit(cache=True)
def best_ticks(mem):
    """``(best bid tick, best ask tick)``; -1 / ``n_ticks`` when a side is empty."""
    return mem[_H_BB], mem[_H_BA]


@njit(cache=True)
def submit_limit(mem, side, price, qty, owner):
    """Per-order entry point for a limit order (fewer arguments: less dispatch time)."""
    return submit(mem, LIMIT, side, price, qty, owner, -1)


@njit(cache=True)
def submit_market(mem, side, qty, owner):
    """Per-order entry point for a market order."""
    return submit(mem, MARKET, side, np.nan, qty, owner, -1)


@njit(cache=True)
def submit_cancel(mem, target):
    """Per-order entry point for a cancel."""
    return submit(mem, CANCEL, BUY, np.nan, 1, 0, target)


@njit(cache=True)
def _replay_kernel(mem, kind, side, price, qty, owner, target, start, status, filled, tr, ntr):
    """Orders ``start ..`` of the arrays into ``mem``; trades appended to ``tr[ntr:]``.

    Returns ``(next order index, number of trades, last code)``; stops early on a
    ``_GROW_*`` code so the caller can enlarge ``mem`` or ``tr`` and resume.
    """
    lv, sl, ids, _ = _views(mem)
    n = kind.shape[0]
    i = start
    while i < n:
        r = _exec(
            mem, lv, sl, ids, tr, ntr, kind[i], side[i], price[i], qty[i], owner[i], target[i]
        )
        if r <= _GROW_IDS:
            return i, ntr, r
        status[i] = r if r < 0 else OK
        filled[i] = mem[_H_FILLED]
        ntr += mem[_H_NFILL]
        i += 1
    return i, ntr, 0


@njit(cache=True)
def cancel_all(mem):
    """Remove every resting order (a call-market reset, or Gode-Sunder's clearing of quotes)."""
    lv, sl, _, _ = _views(mem)
    for side in range(2):
        t = mem[_H_BB + side]
        step = -1 if side == BUY else 1
        while mem[_H_NB + side] > 0:
            s = lv[t * 6 + _HEAD + side]
            while s >= 0:
                q = sl[s * _SLOT + _S_NEXT]
                _unlink(mem, lv, sl, s)
                s = q
            lv[t * 6 + _LQTY + side] = 0
            t += step
        _fix_best(mem, lv, side)


@njit(cache=True)
def _resting(mem, out):
    """Resting orders in priority order into ``out`` ``(5, n)``: id, owner, side, tick, qty."""
    lv, sl, _, _ = _views(mem)
    k = 0
    nt = mem[_H_NT]
    for side in range(2):
        t = mem[_H_BB + side]
        while 0 <= t < nt:
            s = lv[t * 6 + _HEAD + side]
            while s >= 0:
                out[0, k] = sl[s * _SLOT + _S_ID]
                out[1, k] = sl[s * _SLOT + _S_OWNER]
                out[2, k] = side
                out[3, k] = t
                out[4, k] = sl[s * _SLOT + _S_QTY]
                k += 1
                s = sl[s * _SLOT + _S_NEXT]
            t += -1 if side == BUY else 1
    return k


@njit(cache=True)
def _depth(mem, levels, out):
    """Top ``levels`` non-empty levels per side into ``out`` (shape ``(4, levels)``)."""
    lv, _, _, _ = _views(mem)
    nt = mem[_H_NT]
    counts = np.zeros(2, np.int64)
    for side in range(2):
        t = mem[_H_BB + side]
        k = 0
        while 0 <= t < nt and k < levels:
            if lv[t * 6 + _HEAD + side] >= 0:
                out[2 * side, k] = t
                out[2 * side + 1, k] = lv[t * 6 + _LQTY + side]
                k += 1
            t += -1 if side == BUY else 1
        counts[side] = k
    return counts[0], counts[1]
