"""C-callable per-order entry points of the order book (numba ``cfunc``; DESIGN §4).

Each cfunc takes the address of the book's state array (see :mod:`.orderbook_kernels`) and float64
arguments, rebuilds the array view from the sizes in its header, and calls the same kernel
as every other path (``submit_limit`` / ``submit_market`` / ``submit_cancel``).  The C type
``_bookcall.BookCore`` calls them; nothing else should.  Imported lazily (compiled into
numba's cache on first use).
"""

from __future__ import annotations

from numba import carray, cfunc, njit, types

from .orderbook_kernels import (
    _H_CAP,
    _H_FCAP,
    _H_IDCAP,
    _H_LEN,
    _H_NT,
    _layout_size,
    submit_cancel,
    submit_limit,
    submit_market,
)

_P = types.CPointer(types.int64)
_F = types.float64


@njit(cache=True, inline="always")
def _book(ptr):
    """The state array at ``ptr``: shape ``(n,)`` with ``n`` from its header."""
    h = carray(ptr, (_H_LEN,))
    return carray(ptr, (_layout_size(h[_H_NT], h[_H_CAP], h[_H_IDCAP], h[_H_FCAP]),))


@cfunc(types.int64(_P, _F, _F, _F, _F), cache=True)
def limit_entry(ptr, side, price, qty, owner):
    return submit_limit(_book(ptr), side, price, qty, owner)


@cfunc(types.int64(_P, _F, _F, _F), cache=True)
def market_entry(ptr, side, qty, owner):
    return submit_market(_book(ptr), side, qty, owner)


@cfunc(types.int64(_P, _F), cache=True)
def cancel_entry(ptr, target):
    return submit_cancel(_book(ptr), target)
