"""Group ``orderbook``: the limit order book against a sortedcontainers book and liquibook.

Run: ``pytest benchmarks/test_orderbook.py --benchmark-only``.  Throughput is
``extra_info["items"]`` (orders) / median time.  Every book processes the same random
stream (about 80 % limit orders, 10 % market orders, 10 % cancels of recent orders,
integer prices 1 .. 1000); trade checksums are compared where the semantics coincide
(they all do on this stream: price-time priority, maker's price, market orders
immediate-or-cancel, a cancel of a non-resting order is a no-op).

Matching is sequential, so there is no parallel variant: every test uses one thread.
"""

from __future__ import annotations

import hashlib
from collections import deque

import numpy as np
import pytest

from auction_sim.core.orderbook import (
    ACCELERATED,
    BUY,
    CANCEL,
    LIMIT,
    MARKET,
    SELL,
    OrderBook,
    PurePythonOrderBook,
)

N_TICKS = 1000
N_BATCH = 1_000_000
N_SINGLE = 200_000  # per-order paths (Python loops)


def make_stream(n: int, seed: int = 0):
    """Orders around the middle of the grid; cancels aim at one of the last 64 ids."""
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    kind = np.where(u < 0.1, MARKET, np.where(u < 0.2, CANCEL, LIMIT)).astype(np.int64)
    side = rng.integers(0, 2, n)
    mid = N_TICKS // 2
    offset = rng.integers(-60, 61, n) + np.where(side == BUY, -5, 5)
    price = (mid + offset).astype(np.float64)  # ticks 1 .. 1000, price_min = 1, tick = 1
    qty = rng.integers(1, 10, n)
    owner = rng.integers(0, 1000, n)
    idx = np.arange(n)
    target = np.where(kind == CANCEL, np.maximum(idx - 1 - rng.integers(0, 64, n), -1), -1)
    return kind, side, price, qty, owner, target


def checksum(buy, sell, price, qty) -> str:
    """SHA-1 of the trade reports (buy order index, sell order index, price, qty) in order."""
    a = np.stack([np.asarray(x, np.int64) for x in (buy, sell, price, qty)], axis=1)
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def stream():
    return make_stream(N_BATCH)


@pytest.fixture(scope="module")
def reference(stream):
    """Checksum of the first N_SINGLE orders by the batch replay (the other paths must agree)."""
    part = [a[:N_SINGLE] for a in stream]
    t = OrderBook(1.0, 1.0, N_TICKS).replay(*part).trades
    return checksum(t.buy_id, t.sell_id, t.price, t.qty)


# --------------------------------------------------------------------------- ours


@pytest.mark.benchmark(group="orderbook")
def test_orderbook_auction_sim_batch(benchmark, stream):
    OrderBook(1.0, 1.0, N_TICKS).replay(*[a[:1000] for a in stream])  # compile / warm

    def run():
        return OrderBook(1.0, 1.0, N_TICKS, capacity=1 << 18).replay(*stream)

    benchmark.extra_info.update(items=N_BATCH, shape="stream", threads=1)
    res = benchmark(run)
    benchmark.extra_info["trades"] = int(res.trades.qty.size)
    benchmark.extra_info["resting_at_end"] = res.book.n_bids + res.book.n_asks


@pytest.mark.benchmark(group="orderbook")
def test_orderbook_auction_sim_batch_kernel(benchmark, stream):
    """The replay kernel alone: a fresh book and pre-touched output arrays made untimed."""
    from auction_sim.core.orderbook import _replay_kernel

    n = N_BATCH

    def setup():
        book = OrderBook(1.0, 1.0, N_TICKS, capacity=1 << 18)
        book.reserve_ids(n)
        book._mem[:] = book._mem  # touch every page of the state
        out = (np.zeros(n, np.int8), np.zeros(n, np.int64), np.zeros(n * 6, np.int64))
        for a in out:
            a.fill(0)
        return (book._mem, *stream, 0, *out, 0), {}

    benchmark.extra_info.update(items=n, shape="stream", threads=1)
    i, ntr, _ = benchmark.pedantic(_replay_kernel, setup=setup, rounds=7, iterations=1)
    assert i == n and ntr > 0


def _per_order(book, kind, side, price, qty, owner, target, collect=None):
    limit, market, cancel = book.limit, book.market, book.cancel
    for i in range(len(kind)):
        k = kind[i]
        if k == LIMIT:
            limit(side[i], price[i], qty[i], owner[i])
        elif k == MARKET:
            market(side[i], qty[i], owner[i])
        else:
            cancel(target[i])
        if collect is not None and book.n_fills:
            f = book.fills()
            collect.append(np.stack([f.buy_id, f.sell_id, f.price, f.qty], axis=1))
    return book


@pytest.mark.benchmark(group="orderbook")
@pytest.mark.parametrize("Book", [OrderBook, PurePythonOrderBook], ids=lambda c: c.__name__)
def test_orderbook_auction_sim_per_order(benchmark, stream, reference, Book):
    """``OrderBook``: per-order methods of the C type ``_bookcall.BookCore`` (when built);
    ``PurePythonOrderBook``: the Python methods it falls back to.  Same kernels."""
    if Book is OrderBook and not ACCELERATED:
        pytest.skip("the C accelerator is not built: OrderBook is PurePythonOrderBook")
    orders = [a[:N_SINGLE].tolist() for a in stream]

    def run():
        book = Book(1.0, 1.0, N_TICKS, capacity=1 << 16)
        book.reserve_ids(N_SINGLE)
        return _per_order(book, *orders)

    run()
    benchmark.extra_info.update(items=N_SINGLE, shape="stream", threads=1)
    benchmark(run)
    # the trades of the same per-order calls, collected once outside the timing
    rows = []
    _per_order(Book(1.0, 1.0, N_TICKS), *orders, collect=rows)
    t = np.concatenate(rows)
    assert checksum(t[:, 0], t[:, 1], t[:, 2], t[:, 3]) == reference


# --------------------------------------------------------------------------- sortedcontainers


class SortedBook:
    """A plain-Python price-time book: a SortedDict of price levels holding FIFO deques."""

    def __init__(self):
        from sortedcontainers import SortedDict

        self.levels = (SortedDict(), SortedDict())  # bids keyed by -price, asks by price
        self.orders = {}  # id -> [side, key, qty, id, owner]
        self.trades = []

    def limit(self, oid, side, price, qty, owner):
        qty = self._match(oid, side, price, qty, owner)
        if qty > 0:
            key = -price if side == BUY else price
            book = self.levels[side]
            level = book.get(key)
            if level is None:
                level = book[key] = deque()
            o = [side, key, qty, oid, owner]
            level.append(o)
            self.orders[oid] = o

    def market(self, oid, side, qty, owner):
        self._match(oid, side, None, qty, owner)

    def cancel(self, target):
        o = self.orders.pop(target, None)
        if o is None:
            return False
        book = self.levels[o[0]]
        level = book[o[1]]
        level.remove(o)
        if not level:
            del book[o[1]]
        return True

    def _match(self, oid, side, price, qty, owner):
        opp = self.levels[1 - side]
        trades = self.trades
        while qty > 0 and opp:
            key, level = opp.peekitem(0)
            p = -key if side == SELL else key
            if price is not None and (p > price if side == BUY else p < price):
                break
            while qty > 0 and level:
                m = level[0]
                f = m[2] if m[2] < qty else qty
                if side == BUY:
                    trades.append((oid, m[3], p, f))
                else:
                    trades.append((m[3], oid, p, f))
                qty -= f
                m[2] -= f
                if m[2] == 0:
                    level.popleft()
                    del self.orders[m[3]]
            if not level:
                del opp[key]
        return qty


@pytest.mark.benchmark(group="orderbook")
def test_orderbook_python_sortedcontainers(benchmark, stream, reference):
    pytest.importorskip("sortedcontainers")
    kind, side, price, qty, owner, target = (a[:N_SINGLE].tolist() for a in stream)

    def run():
        book = SortedBook()
        for i in range(N_SINGLE):
            k = kind[i]
            if k == LIMIT:
                book.limit(i, side[i], int(price[i]), qty[i], owner[i])
            elif k == MARKET:
                book.market(i, side[i], qty[i], owner[i])
            else:
                book.cancel(target[i])
        return book

    benchmark.extra_info.update(items=N_SINGLE, shape="stream", threads=1)
    book = benchmark(run)
    t = np.array(book.trades, np.int64)
    assert checksum(t[:, 0], t[:, 1], t[:, 2], t[:, 3]) == reference


# --------------------------------------------------------------------------- liquibook


@pytest.mark.benchmark(group="orderbook")
def test_orderbook_liquibook(benchmark, stream, reference):
    lb = pytest.importorskip("liquibook")
    kind, side, price, qty, owner, target = (a[:N_SINGLE].tolist() for a in stream)

    class Fills(lb.OrderListener):
        def __init__(self):
            lb.OrderListener.__init__(self)
            self.rows = []

        def on_accept(self, order):
            pass

        def on_reject(self, order, reason):
            pass

        def on_cancel(self, order):
            pass

        def on_cancel_reject(self, order, reason):
            pass

        def on_replace(self, order, size_delta, new_price):
            pass

        def on_replace_reject(self, order, reason):
            pass

        def on_fill(self, order, matched_order, fill_qty, fill_price):
            self.rows.append((order.order_id_, matched_order.order_id_, fill_price, fill_qty))

    ioc = lb.oc_immediate_or_cancel

    def run():
        book = lb.DepthOrderBook()
        fills = Fills()
        book.set_order_listener(fills)
        orders = [None] * N_SINGLE
        for i in range(N_SINGLE):
            k = kind[i]
            if k == LIMIT:
                o = orders[i] = lb.SimpleOrder(side[i] == BUY, int(price[i]), qty[i])
                book.add(o, 0)
            elif k == MARKET:  # price 0 = market order; IOC: the remainder is cancelled
                o = orders[i] = lb.SimpleOrder(side[i] == BUY, 0, qty[i], 0, ioc)
                book.add(o, ioc)
            else:
                j = target[i]
                if j >= 0 and orders[j] is not None and kind[j] == LIMIT:
                    book.cancel(orders[j])
        return book, fills, orders

    benchmark.extra_info.update(items=N_SINGLE, shape="stream", threads=1)
    _, fills, orders = benchmark(run)
    # map liquibook's ids back to stream indices; on_fill gets (incoming, resting) orders
    index = {o.order_id_: i for i, o in enumerate(orders) if o is not None}
    rows = []
    for a, b, p, q in fills.rows:
        ia, ib = index[a], index[b]
        buy, sell = (ia, ib) if side[ia] == BUY else (ib, ia)
        rows.append((buy, sell, p, q))
    t = np.array(rows, np.int64)
    same = checksum(t[:, 0], t[:, 1], t[:, 2], t[:, 3]) == reference
    benchmark.extra_info["checksum_matches"] = bool(same)
    assert same


# --------------------------------------------------------------------------- memory


@pytest.mark.benchmark(group="orderbook")
def test_orderbook_auction_sim_memory_1e6_resting(benchmark):
    """A book holding 1e6 resting orders (bids below 500, asks above): bytes of its state."""
    n = 1_000_000
    rng = np.random.default_rng(1)
    side = rng.integers(0, 2, n)
    price = np.where(side == BUY, rng.integers(1, 500, n), rng.integers(501, 1001, n)).astype(float)
    kind = np.zeros(n, np.int64)
    qty = np.ones(n, np.int64)

    def run():
        book = OrderBook(1.0, 1.0, N_TICKS, capacity=n)
        book.replay(kind, side, price, qty)
        return book

    book = benchmark.pedantic(run, rounds=3, iterations=1)
    assert book.n_bids + book.n_asks == n
    benchmark.extra_info.update(items=n, shape="1e6 resting", threads=1, bytes=book.nbytes)
    assert book.nbytes < 200e6
