"""A limit order book on a tick grid with price-time priority (numba kernels).

The single implementation of continuous matching: the batch replay, the per-order
API (used by the discrete-event market and the ``double_auction`` laboratory) and
the benchmarks all run :func:`_exec`.

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

import os
from typing import NamedTuple

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
    "OrderBook",
    "PurePythonOrderBook",
    "ACCELERATED",
    "Trades",
    "Depth",
    "Replay",
    "replay",
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


_ENTRY: list = []


def _not_numbers(method: str, **args) -> TypeError:
    found = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return TypeError(f"OrderBook.{method}: arguments must be real numbers, found {found}")


def _entries() -> tuple:
    """Compiled entry points of ``submit_limit``, ``submit_market`` and ``submit_cancel``.

    Each is the kernel's specialisation for the book array and float64 scalars (loaded from
    numba's cache on first use).  It converts any Python or NumPy real number to float64
    itself and raises ``TypeError`` for anything else; the kernel then checks that sides,
    quantities, owners and ids hold integers (else a ``REJECT_*`` code, never truncation).
    """
    if not _ENTRY:
        f = "float64"
        _ENTRY.extend(
            (
                submit_limit.compile(f"(int64[::1], {f}, {f}, {f}, {f})"),
                submit_market.compile(f"(int64[::1], {f}, {f}, {f})"),
                submit_cancel.compile(f"(int64[::1], {f})"),
            )
        )
    return tuple(_ENTRY)


# numba's float64 unboxing would parse text ("2" -> 2.0): text is not a number here.
_TEXT = frozenset((str, bytes, bytearray, np.str_, np.bytes_))


class _PyBookCore:
    """Per-order methods in Python: used when the C accelerator ``_bookcall`` is not built
    (or ``AUCTION_SIM_PURE_PYTHON_BOOK=1``).  Same kernels, same results; each call costs
    about 0.2 us more (measured: 0.26 us against 0.09 us for a cancel of an unknown id).

    They call the compiled entry point of the kernel's all-float64 specialisation directly
    (see ``_entries``), skipping numba's dispatcher.  Any real number converts to float64
    (exactly for integers below 2**53) and the kernel rejects non-integral sides, quantities,
    owners and ids with a reason code, as it does on the dispatcher path (``submit``).
    """

    __slots__ = ("_mem", "_ep")

    def limit(self, side: int, price: float, qty: int, owner: int = 0) -> int:
        """A limit order at ``price`` (a grid point): trades while it crosses, the rest rests."""
        try:
            t = _TEXT
            if type(side) in t or type(price) in t or type(qty) in t or type(owner) in t:
                raise TypeError
            r = self._ep[0](self._mem, side, price, qty, owner)
        except TypeError:
            raise _not_numbers("limit", side=side, price=price, qty=qty, owner=owner) from None
        if r <= _GROW_IDS:
            return self._submit_grow(LIMIT, side, price, qty, owner, -1)
        return r

    def market(self, side: int, qty: int, owner: int = 0) -> int:
        """A market order: trades at any price; an unfilled remainder is cancelled."""
        try:
            t = _TEXT
            if type(side) in t or type(qty) in t or type(owner) in t:
                raise TypeError
            r = self._ep[1](self._mem, side, qty, owner)
        except TypeError:
            raise _not_numbers("market", side=side, qty=qty, owner=owner) from None
        if r <= _GROW_IDS:
            return self._submit_grow(MARKET, side, np.nan, qty, owner, -1)
        return r

    def cancel(self, order_id: int, owner: int = 0) -> int:
        """Cancel the resting order ``order_id``; ``filled`` is then the quantity removed."""
        try:
            if type(order_id) in _TEXT or type(owner) in _TEXT:
                raise TypeError
            r = self._ep[2](self._mem, order_id)
        except TypeError:
            raise _not_numbers("cancel", order_id=order_id) from None
        if r <= _GROW_IDS:
            return self._submit_grow(CANCEL, BUY, np.nan, 0, owner, order_id)
        return r


_C_KERNELS: list = []


def _c_core():
    """The C base class ``_bookcall.BookCore``, or ``None`` (not built, or turned off)."""
    if os.environ.get("AUCTION_SIM_PURE_PYTHON_BOOK", "") not in ("", "0"):
        return None
    try:
        from ._bookcall import BookCore
    except ImportError:
        return None
    return BookCore


def _bind_c_kernels() -> None:
    """Give ``_bookcall`` the addresses of the cfuncs (once per process)."""
    if not _C_KERNELS:
        from . import _bookcall
        from . import _orderbook_entry as e

        _bookcall.set_kernels(
            e.limit_entry.address, e.market_entry.address, e.cancel_entry.address,
            _GROW_IDS, LIMIT, MARKET, CANCEL, BUY,
        )  # fmt: skip
        _C_KERNELS.append(e)  # keeps the cfuncs (and their code) alive


_CORE = _c_core() or _PyBookCore
ACCELERATED = _CORE is not _PyBookCore  # per-order calls go through the C type


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


class Trades(NamedTuple):
    """Trade reports, one per fill; every array has shape ``(n_trades,)``."""

    buy_id: np.ndarray  # int64, order id of the buy order
    sell_id: np.ndarray  # int64, order id of the sell order
    buyer: np.ndarray  # int64, owner of the buy order
    seller: np.ndarray  # int64, owner of the sell order
    price: np.ndarray  # float64, the maker's price (currency)
    qty: np.ndarray  # int64, units


class Depth(NamedTuple):
    """Aggregated quantity of the best levels, best first."""

    bid_price: np.ndarray
    bid_qty: np.ndarray
    ask_price: np.ndarray
    ask_qty: np.ndarray


class Replay(NamedTuple):
    """Outcome of :func:`replay` / :meth:`OrderBook.replay` for ``n`` orders."""

    trades: Trades
    status: np.ndarray  # int8 (n,), OK or a REJECT_* code
    filled: np.ndarray  # int64 (n,), quantity traded as taker (cancels: quantity removed)
    first_id: int  # order i got id first_id + i
    book: OrderBook


def _as(a, dtype, n, name):
    a = np.asarray(a)
    if dtype is np.int64 and a.dtype.kind not in "biu":
        dtype = np.float64  # the kernel rejects non-integral values instead of truncating
    a = np.ascontiguousarray(a, dtype=dtype)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    return a


class _BookAPI:
    """A price-time priority limit order book on the grid ``price_min + k * tick``.

    Parameters
    ----------
    price_min : float
        Lowest grid price (currency).
    tick : float
        Grid step (currency), > 0.
    n_ticks : int
        Number of grid prices; the highest is ``price_min + (n_ticks - 1) * tick``.
    capacity : int
        Initial number of resting-order slots (grows by doubling).

    Per-order methods (:meth:`limit`, :meth:`market`, :meth:`cancel`, :meth:`submit`)
    return the order id (>= 0) or a negative ``REJECT_*`` code; the fills of the last
    submission are :meth:`fills` (``n_fills`` and ``filled`` without building arrays).
    :meth:`limit`, :meth:`market` and :meth:`cancel` are implemented by the small C type
    ``_bookcall.BookCore`` when the package was built with a C compiler (``ACCELERATED``;
    ~0.09 us per call plus the matching), else by :class:`PurePythonOrderBook`'s Python
    methods (~0.26 us); both call the same kernels.
    """

    __slots__ = ()

    def __init__(self, price_min: float, tick: float, n_ticks: int, capacity: int = 1024):
        price_min, tick, n_ticks = float(price_min), float(tick), int(n_ticks)
        if not np.isfinite(price_min) or not (np.isfinite(tick) and tick > 0):
            raise ValueError("price_min must be finite and tick finite and > 0")
        if n_ticks < 1:
            raise ValueError(f"n_ticks must be >= 1, got {n_ticks}")
        self.price_min, self.tick, self.n_ticks = price_min, tick, n_ticks
        cap = max(int(capacity), 16)
        self._mem = self._alloc(cap, cap, 64)
        self._bind()

    def __getstate__(self):
        return self._mem, self.price_min, self.tick, self.n_ticks

    def __setstate__(self, state):
        self._mem, self.price_min, self.tick, self.n_ticks = state
        self._bind()

    @classmethod
    def from_range(cls, price_min: float, price_max: float, tick: float, capacity: int = 1024):
        """A book whose grid runs from ``price_min`` to ``price_max`` (a grid point) by ``tick``."""
        n = (price_max - price_min) / tick
        k = round(n)
        if abs(n - k) > _GRID_TOL or k < 0:
            raise ValueError("price_max - price_min must be a non-negative multiple of tick")
        return cls(price_min, tick, k + 1, capacity)

    # ---- storage ----
    def _alloc(self, cap, idcap, fcap):
        nt = self.n_ticks
        mem = np.empty(_layout_size(nt, cap, idcap, fcap), np.int64)
        mem[:_H_LEN] = 0
        mem[:2].view(np.float64)[:] = (self.price_min, self.tick)
        mem[_H_NT], mem[_H_CAP], mem[_H_IDCAP], mem[_H_FCAP] = nt, cap, idcap, fcap
        mem[_H_FREE], mem[_H_BB], mem[_H_BA] = -1, -1, nt
        lv = mem[_H_LEN : _H_LEN + 6 * nt].reshape(nt, 6)
        lv[:, :4] = -1  # heads and tails
        lv[:, 4:] = 0  # level quantities
        return mem

    def _blocks(self, mem=None):
        mem = self._mem if mem is None else mem
        nt, cap, idc, fc = (int(x) for x in mem[_H_NT : _H_FCAP + 1])
        o = _H_LEN
        lv = mem[o : o + 6 * nt].reshape(nt, 6)
        o += 6 * nt
        sl = mem[o : o + _SLOT * cap].reshape(cap, _SLOT)
        o += _SLOT * cap
        ids = mem[o : o + idc]
        o += idc
        fl = mem[o : o + 6 * fc].reshape(fc, 6)
        return lv, sl, ids, fl

    def _grow(self, code: int) -> None:
        old = self._mem
        need = int(old[_H_NEED])
        cap, idcap, fcap = (int(x) for x in old[_H_CAP : _H_FCAP + 1])
        if code == _GROW_POOL:
            cap = max(2 * cap, need)
        elif code == _GROW_IDS:
            idcap = max(2 * idcap, need)
        elif code == _GROW_FILLS:
            fcap = max(2 * fcap, need)
        else:  # pragma: no cover
            raise RuntimeError(f"unexpected kernel code {code}")
        new = self._alloc(cap, idcap, fcap)
        new[_H_NEXT:_H_LEN] = old[_H_NEXT:_H_LEN]
        lv0, sl0, id0, fl0 = self._blocks(old)
        lv1, sl1, id1, fl1 = self._blocks(new)
        lv1[:] = lv0
        nf = min(int(old[_H_NFILL]), fl0.shape[0], fl1.shape[0])
        fl1[:nf] = fl0[:nf]  # the last submission's fills stay readable
        used = int(old[_H_USED])
        sl1[:used] = sl0[:used]
        n_ids = int(old[_H_NEXT])
        id1[:n_ids] = id0[:n_ids]
        self._mem = new

    def reserve_ids(self, n: int) -> None:
        """Make room for ``n`` more order ids (avoids regrowth inside a long loop)."""
        need = int(self._mem[_H_NEXT]) + int(n)
        if need > self._mem[_H_IDCAP]:
            self._mem[_H_NEED] = need
            self._grow(_GROW_IDS)

    # ---- per-order API ----
    def submit(
        self, kind: int, side: int, price: float, qty: int, owner: int = 0, target: int = -1
    ):
        """Submit one order; returns its id (>= 0) or a negative ``REJECT_*`` code."""
        r = submit(self._mem, kind, side, price, qty, owner, target)
        while r <= _GROW_IDS:
            self._grow(r)
            r = submit(self._mem, kind, side, price, qty, owner, target)
        return r

    # limit / market / cancel: from the base class, ``_bookcall.BookCore`` (C) or
    # ``_PyBookCore`` (Python); both call the kernels below and hand a ``_GROW_*`` code
    # to ``_submit_grow``.
    def _bind(self) -> None:
        if isinstance(self, _PyBookCore):
            self._ep = _entries()
        else:
            _bind_c_kernels()

    def _submit_grow(self, kind, side, price, qty, owner, target) -> int:
        """Enlarge the state until the order fits, then submit it (after a ``_GROW_*`` code;
        the arguments were accepted as real numbers by the per-order method)."""
        return self.submit(int(kind), float(side), float(price), float(qty), float(owner),
                           float(target))  # fmt: skip

    def cancel_all(self) -> None:
        """Remove every resting order."""
        cancel_all(self._mem)

    @property
    def n_fills(self) -> int:
        """Number of fills of the last submission."""
        return int(self._mem[_H_NFILL])

    @property
    def filled(self) -> int:
        """Quantity the last submission traded (for a cancel: the quantity removed)."""
        return int(self._mem[_H_FILLED])

    def fills(self) -> Trades:
        """Trade reports of the last submission (copies)."""
        n = int(self._mem[_H_NFILL])
        fl = self._blocks()[3]
        return self._trades(fl[:n].copy(), n)

    def _trades(self, tr, n) -> Trades:
        """Columns of ``tr[:n]`` as (strided) views, prices converted from ticks."""
        tr = tr[:n]
        price = self.price_min + tr[:, _T_TICK] * self.tick
        return Trades(
            tr[:, _T_BUY], tr[:, _T_SELL], tr[:, _T_BUYER], tr[:, _T_SELLER], price, tr[:, _T_QTY]
        )

    # ---- state ----
    def price_of(self, tick):
        return self.price_min + np.asarray(tick, np.float64) * self.tick

    @property
    def next_id(self) -> int:
        return int(self._mem[_H_NEXT])

    @property
    def best_bid(self) -> float:
        """Best bid price; NaN when there is no bid."""
        t = int(self._mem[_H_BB])
        return self.price_min + t * self.tick if t >= 0 else float("nan")

    @property
    def best_ask(self) -> float:
        """Best ask price; NaN when there is no ask."""
        t = int(self._mem[_H_BA])
        return self.price_min + t * self.tick if t < self.n_ticks else float("nan")

    @property
    def best_bid_tick(self) -> int:
        return int(self._mem[_H_BB])

    @property
    def best_ask_tick(self) -> int:
        return int(self._mem[_H_BA])

    @property
    def n_bids(self) -> int:
        """Resting buy orders."""
        return int(self._mem[_H_NB])

    @property
    def n_asks(self) -> int:
        """Resting sell orders."""
        return int(self._mem[_H_NA])

    def depth(self, levels: int = 10) -> Depth:
        """Aggregated quantity at the ``levels`` best non-empty prices per side, best first."""
        out = np.zeros((4, max(int(levels), 0)), np.int64)
        nb, na = _depth(self._mem, out.shape[1], out)
        return Depth(
            self.price_of(out[0, :nb]),
            out[1, :nb].copy(),
            self.price_of(out[2, :na]),
            out[3, :na].copy(),
        )

    def resting(self) -> dict[str, np.ndarray]:
        """Every resting order in priority order (bids best first, then asks best first).

        Keys ``id``, ``owner``, ``side``, ``price``, ``qty`` (arrays of equal length).
        """
        n = self.n_bids + self.n_asks
        out = np.empty((5, n), np.int64)
        k = _resting(self._mem, out)
        assert k == n
        return {
            "id": out[0],
            "owner": out[1],
            "side": out[2],
            "price": self.price_of(out[3]),
            "qty": out[4],
        }

    @property
    def nbytes(self) -> int:
        """Bytes held by the book's state."""
        return int(self._mem.nbytes)

    # ---- batch API ----
    def replay(self, kind, side, price, qty, owner=None, target=None) -> Replay:
        """Submit ``n`` orders at once (the fast path); same rules as :meth:`submit`.

        Parameters
        ----------
        kind, side : array_like, shape (n,), int
            ``LIMIT`` / ``MARKET`` / ``CANCEL`` and ``BUY`` / ``SELL``.
        price : array_like, shape (n,), float64
            Limit prices (currency); ignored for market orders and cancels.
        qty : array_like, shape (n,), int64
            Units; ignored for cancels.
        owner : array_like, shape (n,), int64, optional
            Trader ids reported in the trades (default 0).
        target : array_like, shape (n,), int64, optional
            For cancels, the order id to cancel (default -1).

        Returns
        -------
        Replay
            Trades in time order, per-order ``status`` and ``filled``, and this book.
        """
        n = len(kind)
        kind = _as(kind, np.int64, n, "kind")
        side = _as(side, np.int64, n, "side")
        price = _as(price, np.float64, n, "price")
        qty = _as(qty, np.int64, n, "qty")
        owner = np.zeros(n, np.int64) if owner is None else _as(owner, np.int64, n, "owner")
        target = np.full(n, -1, np.int64) if target is None else _as(target, np.int64, n, "target")
        first = self.next_id
        self.reserve_ids(n)
        status = np.zeros(n, np.int8)
        filled = np.zeros(n, np.int64)
        tr = np.empty((max(n, 16), 6), np.int64)
        i = ntr = 0
        while True:
            i, ntr, code = _replay_kernel(
                self._mem,
                kind,
                side,
                price,
                qty,
                owner,
                target,
                i,
                status,
                filled,
                tr.reshape(-1),
                ntr,
            )
            if i >= n:
                break
            if code == _GROW_FILLS:
                bigger = np.empty((max(2 * tr.shape[0], int(self._mem[_H_NEED])), 6), np.int64)
                bigger[:ntr] = tr[:ntr]
                tr = bigger
            else:
                self._grow(code)
        return Replay(self._trades(tr, ntr), status, filled, first, self)


class OrderBook(_BookAPI, _CORE):
    __doc__ = _BookAPI.__doc__
    __slots__ = ("price_min", "tick", "n_ticks")


class PurePythonOrderBook(_BookAPI, _PyBookCore):
    """:class:`OrderBook` with its per-order methods in Python: what ``OrderBook`` is when
    the C accelerator is not built.  Same kernels and results (tests and benchmarks)."""

    __slots__ = ("price_min", "tick", "n_ticks")


def replay(
    kind,
    side,
    price,
    qty,
    owner=None,
    target=None,
    *,
    price_min=0.0,
    tick=1.0,
    n_ticks=None,
    capacity=None,
) -> Replay:
    """Replay a stream of orders into a new :class:`OrderBook` (see :meth:`OrderBook.replay`).

    ``n_ticks`` is required; ``capacity`` (resting-order slots) defaults to a guess
    that grows as needed.
    """
    if n_ticks is None:
        raise ValueError("n_ticks is required")
    n = len(kind)
    book = OrderBook(price_min, tick, n_ticks, capacity or max(1024, n // 4))
    return book.replay(kind, side, price, qty, owner, target)
