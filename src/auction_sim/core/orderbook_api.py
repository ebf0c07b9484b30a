"""The limit order book's Python API: :class:`OrderBook`, :class:`PurePythonOrderBook`,
:func:`replay` and their result tuples, with the glue to the optional C per-order doorway.

The rules, the reason codes and the state layout are those of :mod:`.orderbook_kernels`, whose
numba kernels every method calls; :mod:`.orderbook` re-exports this module's public names with
the kernels'.  ``OrderBook``'s per-order methods come from the C type ``_bookcall.BookCore``
when it is built (its cfuncs are in :mod:`._orderbook_entry`, bound by :func:`_bind_c_kernels`),
else from :class:`_PyBookCore`.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .orderbook_kernels import (
    _GRID_TOL,
    _GROW_FILLS,
    _GROW_IDS,
    _GROW_POOL,
    _H_BA,
    _H_BB,
    _H_CAP,
    _H_FCAP,
    _H_FILLED,
    _H_FREE,
    _H_IDCAP,
    _H_LEN,
    _H_NA,
    _H_NB,
    _H_NEED,
    _H_NEXT,
    _H_NFILL,
    _H_NT,
    _H_USED,
    _SLOT,
    _T_BUY,
    _T_BUYER,
    _T_QTY,
    _T_SELL,
    _T_SELLER,
    _T_TICK,
    BUY,
    CANCEL,
    LIMIT,
    MARKET,
    _depth,
    _layout_size,
    _replay_kernel,
    _resting,
    cancel_all,
    submit,
    submit_cancel,
    submit_limit,
    submit_market,
)

__all__ = [
    "OrderBook",
    "PurePythonOrderBook",
    "ACCELERATED",
    "Trades",
    "Depth",
    "Replay",
    "replay",
]


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
