"""The limit order book: one import for its numba kernels and its Python API.

* :mod:`.orderbook_kernels`: the rules (documented there), the reason codes, the state
  layout and the kernels (:func:`submit`, :func:`cancel_all`, the batch replay, ...).
* :mod:`.orderbook_api`: :class:`OrderBook` (per-order methods from the C type
  ``_bookcall.BookCore`` when built, ``ACCELERATED``), :class:`PurePythonOrderBook`,
  :func:`replay` and the result tuples ``Trades``, ``Depth``, ``Replay``.

This module holds no code of its own and nothing in those two imports it back.
"""

from __future__ import annotations

from .orderbook_api import (
    ACCELERATED,
    Depth,
    OrderBook,
    PurePythonOrderBook,
    Replay,
    Trades,
    replay,
)
from .orderbook_kernels import (
    BUY,
    CANCEL,
    FILL_BUY,
    FILL_BUYER,
    FILL_QTY,
    FILL_SELL,
    FILL_SELLER,
    FILL_TICK,
    LIMIT,
    MARKET,
    OK,
    REASONS,
    REJECT_KIND,
    REJECT_NAN_PRICE,
    REJECT_OFF_GRID,
    REJECT_OWNER,
    REJECT_QUANTITY,
    REJECT_SIDE,
    REJECT_UNKNOWN_ID,
    SELL,
    _replay_kernel,  # noqa: F401 - the batch kernel, imported from here by benchmarks/
    best_ticks,
    cancel_all,
    last_fills,
    submit,
    submit_cancel,
    submit_limit,
    submit_market,
)

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
