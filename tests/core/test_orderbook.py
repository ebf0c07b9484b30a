"""The order book against its naive twin (sorted lists), fill for fill, plus edge cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction_sim.core import orderbook as ob
from auction_sim.core.orderbook import (
    BUY,
    CANCEL,
    LIMIT,
    MARKET,
    SELL,
    OrderBook,
    PurePythonOrderBook,
)
from naive import orderbook as naive

PMIN, TICK, NT = 10.0, 0.5, 41


# The per-order methods come from the C type ``_bookcall.BookCore`` when it is built, else
# from Python (``PurePythonOrderBook``); every per-order test runs on both.
BOOKS = pytest.mark.parametrize(
    "Book", [OrderBook, PurePythonOrderBook], ids=["OrderBook", "PurePythonOrderBook"]
)


def random_stream(rng, n, n_ticks=NT, p_market=0.1, p_cancel=0.1, p_bad=0.0, max_qty=5):
    """Orders around the middle of the grid; cancels aim at earlier ids (some not resting)."""
    u = rng.random(n)
    kind = np.where(u < p_market, MARKET, np.where(u < p_market + p_cancel, CANCEL, LIMIT))
    side = rng.integers(0, 2, n)
    mid = n_ticks // 2
    spread = max(1, n_ticks // 4)
    # buys mostly below the middle, sells mostly above, with overlap so orders cross
    k = np.clip(
        mid + rng.integers(-spread, spread + 1, n) + np.where(side == BUY, -1, 1), 0, n_ticks - 1
    )
    price = PMIN + k * TICK
    qty = rng.integers(1, max_qty + 1, n)
    owner = rng.integers(0, 50, n)
    idx = np.arange(n)
    target = np.where(kind == CANCEL, (idx - 1 - rng.integers(0, 30, n)).clip(-1), -1)
    if p_bad:
        bad = rng.random(n) < p_bad
        which = rng.integers(0, 8, n)
        price = np.where(bad & (which == 0), np.nan, price)
        price = np.where(bad & (which == 1), price + 0.25 * TICK, price)  # off grid
        price = np.where(bad & (which == 2), PMIN + NT * TICK, price)  # above the grid
        qty = np.where(bad & (which == 3), -rng.integers(0, 2, n), qty)
        target = np.where(bad & (kind == CANCEL) & (which == 4), n + 5, target)
        # non-integral values (the arrays become float): rejected, never truncated
        qty = np.where(bad & (which == 5), qty + 0.5, qty)
        owner = np.where(bad & (which == 6), owner + 0.25, owner)
        target = np.where(bad & (kind == CANCEL) & (which == 7), target + 0.5, target)
    return kind, side, price, qty, owner, target


def check_against_naive(stream, capacity=16):
    kind, side, price, qty, owner, target = stream
    book = OrderBook(PMIN, TICK, NT, capacity=capacity)
    res = book.replay(kind, side, price, qty, owner, target)
    ref, status, filled = naive.replay(kind, side, price, qty, owner, target, PMIN, TICK, NT)
    np.testing.assert_array_equal(res.status, status)
    np.testing.assert_array_equal(res.filled, filled)
    t = res.trades
    got = list(
        zip(
            t.buy_id.tolist(),
            t.sell_id.tolist(),
            t.buyer.tolist(),
            t.seller.tolist(),
            ((t.price - PMIN) / TICK).round().astype(int).tolist(),
            t.qty.tolist(),
            strict=True,
        )
    )
    assert got == ref.trades
    r = book.resting()
    got_rest = list(
        zip(
            r["id"].tolist(),
            r["owner"].tolist(),
            r["side"].tolist(),
            ((r["price"] - PMIN) / TICK).round().astype(int).tolist(),
            r["qty"].tolist(),
            strict=True,
        )
    )
    assert got_rest == ref.resting()
    assert book.best_bid_tick == ref.best_bid_tick()
    assert book.best_ask_tick == ref.best_ask_tick()
    d = book.depth(5)
    (bids, asks) = ref.depth(5)
    assert (
        list(
            zip(
                ((d.bid_price - PMIN) / TICK).round().astype(int).tolist(),
                d.bid_qty.tolist(),
                strict=True,
            )
        )
        == bids
    )
    assert (
        list(
            zip(
                ((d.ask_price - PMIN) / TICK).round().astype(int).tolist(),
                d.ask_qty.tolist(),
                strict=True,
            )
        )
        == asks
    )
    return book, res


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    p_market=st.floats(0, 0.3),
    p_cancel=st.floats(0, 0.3),
    p_bad=st.sampled_from([0.0, 0.05]),
    max_qty=st.integers(1, 10),
)
def test_book_matches_naive_fill_for_fill(seed, n, p_market, p_cancel, p_bad, max_qty):
    rng = np.random.default_rng(seed)
    check_against_naive(
        random_stream(rng, n, p_market=p_market, p_cancel=p_cancel, p_bad=p_bad, max_qty=max_qty)
    )


def test_long_stream_matches_naive_and_invariants():
    rng = np.random.default_rng(1)
    stream = random_stream(rng, 20_000, p_bad=0.01)
    book, res = check_against_naive(stream)
    kind, side, price, qty, owner, target = stream
    t = res.trades
    assert len(t.qty) > 1000 and (res.status == ob.REJECT_UNKNOWN_ID).any()
    # volume bought = volume sold (per order ids on each side)
    bought = np.bincount(t.buy_id, weights=t.qty, minlength=len(kind))
    sold = np.bincount(t.sell_id, weights=t.qty, minlength=len(kind))
    assert bought.sum() == sold.sum() == t.qty.sum()
    # no trade outside a limit price
    lim_b = np.where(kind[t.buy_id] == LIMIT, price[t.buy_id], np.inf)
    lim_s = np.where(kind[t.sell_id] == LIMIT, price[t.sell_id], -np.inf)
    assert (t.price <= lim_b).all() and (t.price >= lim_s).all()
    # nobody trades more than they asked for
    taken = bought + sold
    assert (taken <= np.where(kind == CANCEL, 0, qty.clip(0))).all()


@BOOKS
def test_book_never_crossed_after_each_order(Book):
    rng = np.random.default_rng(2)
    kind, side, price, qty, owner, target = random_stream(rng, 3000)
    book = Book(PMIN, TICK, NT, capacity=16)
    for i in range(len(kind)):
        book.submit(
            kind[i].item(),
            side[i].item(),
            price[i].item(),
            qty[i].item(),
            owner[i].item(),
            target[i].item(),
        )
        assert book.best_bid_tick < book.best_ask_tick


@BOOKS
def test_per_order_api_equals_batch_replay(Book):
    rng = np.random.default_rng(3)
    kind, side, price, qty, owner, target = random_stream(rng, 5000, p_bad=0.02)
    batch = Book(PMIN, TICK, NT).replay(kind, side, price, qty, owner, target)
    book = Book(PMIN, TICK, NT, capacity=16)
    fills = []
    for i in range(len(kind)):
        r = book.submit(  # floats where the stream has them: one signature
            int(kind[i]), float(side[i]), float(price[i]), float(qty[i]), float(owner[i]),
            float(target[i]),
        )  # fmt: skip
        assert (r if r < 0 else 0) == batch.status[i]
        assert r < 0 or r == i
        assert book.filled == batch.filled[i]
        f = book.fills()
        assert len(f.qty) == book.n_fills
        fills.extend(
            zip(
                f.buy_id.tolist(), f.sell_id.tolist(), f.price.tolist(), f.qty.tolist(), strict=True
            )
        )
    t = batch.trades
    assert fills == list(
        zip(t.buy_id.tolist(), t.sell_id.tolist(), t.price.tolist(), t.qty.tolist(), strict=True)
    )


@BOOKS
def test_partial_fills_and_price_time_priority(Book):
    book = Book(1.0, 1.0, 10)
    a = book.limit(SELL, 5.0, 3, owner=7)
    b = book.limit(SELL, 5.0, 2, owner=8)
    c = book.limit(SELL, 4.0, 1, owner=9)
    assert (book.best_bid, book.best_ask) == (pytest.approx(np.nan, nan_ok=True), 4.0)
    buy = book.limit(BUY, 5.0, 5, owner=1)
    f = book.fills()
    assert f.sell_id.tolist() == [c, a, b] and f.qty.tolist() == [1, 3, 1]
    assert f.price.tolist() == [4.0, 5.0, 5.0] and f.seller.tolist() == [9, 7, 8]
    assert (f.buy_id == buy).all() and (f.buyer == 1).all()
    assert book.best_ask == 5.0 and book.depth(3).ask_qty.tolist() == [1]
    m = book.market(BUY, 4, owner=2)  # only 1 left: the rest is cancelled, not rested
    assert m >= 0 and book.filled == 1 and book.n_asks == 0 and book.n_bids == 0
    assert np.isnan(book.best_ask)


@BOOKS
def test_rejections_have_reasons_and_change_nothing(Book):
    book = Book(1.0, 0.5, 5)  # grid 1.0 .. 3.0
    book.limit(BUY, 2.0, 1)
    assert book.limit(BUY, 2.25, 1) == ob.REJECT_OFF_GRID
    assert book.limit(BUY, 3.5, 1) == ob.REJECT_OFF_GRID
    assert book.limit(BUY, 0.5, 1) == ob.REJECT_OFF_GRID
    assert book.limit(BUY, float("inf"), 1) == ob.REJECT_OFF_GRID
    assert book.limit(BUY, float("nan"), 1) == ob.REJECT_NAN_PRICE
    assert book.limit(BUY, 2.0, 0) == ob.REJECT_QUANTITY
    assert book.market(SELL, -1) == ob.REJECT_QUANTITY
    assert book.limit(3, 2.0, 1) == ob.REJECT_SIDE
    assert book.submit(9, BUY, 2.0, 1) == ob.REJECT_KIND
    assert book.cancel(12345) == ob.REJECT_UNKNOWN_ID
    assert book.cancel(-1) == ob.REJECT_UNKNOWN_ID
    assert book.cancel(1) == ob.REJECT_UNKNOWN_ID  # id 1 was a rejected order
    assert book.n_bids == 1 and book.best_bid == 2.0 and book.next_id == 13
    assert book.cancel(0) >= 0 and book.filled == 1 and book.n_bids == 0
    assert book.cancel(0) == ob.REJECT_UNKNOWN_ID  # already cancelled
    # floats are accepted only when they hold exact integers (one float signature: compiles once)
    nan = float("nan")
    assert book.submit(LIMIT, 0.0, 2.0, 2.5, 0.0, -1.0) == ob.REJECT_QUANTITY  # never 2
    assert book.submit(LIMIT, 0.0, 2.0, nan, 0.0, -1.0) == ob.REJECT_QUANTITY
    assert book.submit(LIMIT, 0.5, 2.0, 1.0, 0.0, -1.0) == ob.REJECT_SIDE
    assert book.submit(LIMIT, 0.0, 2.0, 1.0, 1.5, -1.0) == ob.REJECT_OWNER
    oid = book.submit(LIMIT, 0.0, 2.0, 3.0, 4.0, -1.0)
    assert oid >= 0 and book.resting()["qty"].tolist() == [3]
    assert book.submit(CANCEL, 0.0, nan, 0.0, 0.0, oid + 0.5) == ob.REJECT_UNKNOWN_ID
    res = Book(1.0, 0.5, 5).replay([LIMIT, LIMIT], [BUY, BUY], [2.0, 2.0], [1.5, 2.0])
    assert res.status.tolist() == [ob.REJECT_QUANTITY, 0] and res.book.resting()[
        "qty"
    ].tolist() == [2]
    assert set(ob.REASONS) == {0, -1, -2, -3, -4, -5, -6, -7}


@BOOKS
def test_empty_book_and_market_order_on_empty_side(Book):
    book = Book(0.0, 1.0, 3)
    assert book.market(BUY, 5) >= 0 and book.filled == 0 and book.n_fills == 0
    d = book.depth()
    assert d.bid_price.size == d.ask_price.size == 0
    assert book.resting()["id"].size == 0
    res = Book(0.0, 1.0, 3).replay([], [], [], [])
    assert res.trades.qty.size == 0 and res.status.size == 0


@BOOKS
def test_cancel_all_and_growth(Book):
    book = Book(0.0, 1.0, 100, capacity=16)
    for i in range(1000):
        book.limit(i % 2, float(i % 2 * 50 + i % 50), 1)
    assert book.n_bids + book.n_asks == 1000 and book.best_bid < book.best_ask
    book.market(SELL, 2000)  # one order sweeping 500 makers: the fill buffer grows
    assert book.n_fills == 500 and book.n_bids == 0
    before = book.fills()
    book.reserve_ids(10_000)  # a regrowth keeps the last fills readable
    assert all(np.array_equal(x, y) for x, y in zip(book.fills(), before, strict=True))
    book.cancel_all()
    assert book.n_asks == 0 and np.isnan(book.best_ask)
    assert book.limit(BUY, 99.0, 1) >= 0 and book.best_bid == 99.0


def test_replay_function_and_from_range():
    b = OrderBook.from_range(1.0, 200.0, 1.0)
    assert b.n_ticks == 200
    with pytest.raises(ValueError):
        OrderBook.from_range(1.0, 2.5, 1.0)
    with pytest.raises(ValueError):
        OrderBook(0.0, 0.0, 10)
    res = ob.replay([LIMIT, LIMIT], [BUY, SELL], [3.0, 2.0], [2, 1], n_ticks=5)
    assert res.trades.price.tolist() == [3.0] and res.book.n_bids == 1


def _drive(book, kind, side, price, qty, owner, target, *, via_submit=False):
    """Submit a stream through limit / market / cancel (the compiled entry points) or through
    ``submit`` (numba's dispatcher); statuses, fills and the final book."""
    out = []
    for i in range(len(kind)):
        if via_submit:
            r = book.submit(kind[i], side[i], price[i], qty[i], owner[i], target[i])
        elif kind[i] == LIMIT:
            r = book.limit(side[i], price[i], qty[i], owner[i])
        elif kind[i] == MARKET:
            r = book.market(side[i], qty[i], owner[i])
        else:
            r = book.cancel(target[i])
        f = book.fills()
        out.append((r, book.filled, f.buy_id.tolist(), f.price.tolist(), f.qty.tolist()))
    return out, {k: v.tolist() for k, v in book.resting().items()}


@BOOKS
def test_direct_entry_path_equals_the_dispatcher_path(Book):
    """limit / market / cancel call the kernel's float64 entry point directly, with Python ints,
    floats or NumPy scalars alike; ``submit`` goes through numba's dispatcher.  Same kernel, so
    the same statuses, fills and book, bad orders (non-integral quantities...) included."""
    rng = np.random.default_rng(7)
    stream = random_stream(rng, 4000, p_bad=0.02)
    kind, side, price, qty, owner, target = stream
    py = [a.tolist() for a in (kind, side, price)]
    py += [[int(x) if float(x).is_integer() else x for x in a.tolist()] for a in (qty, owner)]
    py += [[int(x) if float(x).is_integer() else x for x in target.tolist()]]
    assert {type(x) for x in py[3]} == {int, float}  # integral and bad quantities
    fast_py = _drive(Book(PMIN, TICK, NT, capacity=16), *py)
    fast_np = _drive(Book(PMIN, TICK, NT, capacity=16), *[list(a) for a in stream])
    slow = _drive(Book(PMIN, TICK, NT, capacity=16), *[list(a) for a in stream],
                  via_submit=True)  # fmt: skip
    assert fast_py == slow and fast_np == slow
    batch = Book(PMIN, TICK, NT).replay(*stream)
    assert [r if r < 0 else 0 for r, *_ in slow[0]] == batch.status.tolist()


@BOOKS
def test_book_pickles(Book):
    import pickle

    book = Book(1.0, 0.5, 5)
    book.limit(BUY, 2.0, 3)
    clone = pickle.loads(pickle.dumps(book))
    assert clone.resting()["qty"].tolist() == [3]
    assert clone.market(SELL, 2) >= 0 and clone.filled == 2 and book.n_bids == 1


@BOOKS
def test_non_numbers_raise_a_clear_type_error(Book):
    book = Book(1.0, 0.5, 5)
    with pytest.raises(TypeError, match=r"OrderBook.limit: .*qty='x'"):
        book.limit(BUY, 2.0, "x")
    with pytest.raises(TypeError, match=r"OrderBook.cancel: .*order_id=None"):
        book.cancel(None)
    assert book.n_bids == 0 and book.next_id == 0  # nothing happened


@BOOKS
def test_per_order_arguments_keywords_and_defaults(Book):
    book = Book(1.0, 1.0, 10)
    a = book.limit(side=SELL, price=5.0, qty=2, owner=3)
    b = book.limit(BUY, 5.0, qty=1)  # owner defaults to 0
    f = book.fills()
    assert f.sell_id.tolist() == [a] and f.buy_id.tolist() == [b]
    assert f.seller.tolist() == [3] and f.buyer.tolist() == [0]
    assert book.market(BUY, 1, owner=4) >= 0 and book.fills().buyer.tolist() == [4]
    assert book.cancel(order_id=a) == ob.REJECT_UNKNOWN_ID  # fully filled: not resting
    # NumPy scalars and bools are real numbers; text is not (never parsed as a number)
    assert book.limit(np.int64(BUY), np.float32(2.0), np.uint8(1), True) >= 0
    with pytest.raises(TypeError, match=r"OrderBook.limit: .*price='2'"):
        book.limit(BUY, "2", 1)
    with pytest.raises(TypeError):
        book.limit(BUY, 2.0)  # qty missing
    with pytest.raises(TypeError):
        book.limit(BUY, 2.0, 1, ownr=1)  # unknown keyword
    with pytest.raises(TypeError):
        book.market(BUY, 1, 0, 0)  # too many
    with pytest.raises(TypeError):
        book.cancel(0, order_id=0)  # twice
    assert book.n_bids == 1 and book.resting()["qty"].tolist() == [1]


def test_c_accelerator_is_used_when_built():
    import os

    try:
        from auction_sim.core._bookcall import BookCore
    except ImportError:
        pytest.skip("the C accelerator is not built here (no C compiler at install)")
    if os.environ.get("AUCTION_SIM_PURE_PYTHON_BOOK", "") not in ("", "0"):
        assert not ob.ACCELERATED
        return
    assert ob.ACCELERATED and issubclass(OrderBook, BookCore)
    assert OrderBook.limit is BookCore.limit and not issubclass(PurePythonOrderBook, BookCore)
    # the switch to the Python methods (for comparisons and debugging)
    import subprocess
    import sys

    code = "from auction_sim.core import orderbook as ob; print(ob.ACCELERATED)"
    env = {**os.environ, "AUCTION_SIM_PURE_PYTHON_BOOK": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
    book = OrderBook(1.0, 1.0, 10)
    with pytest.raises(TypeError, match="int64"):
        book._mem = np.zeros(40, np.float64)  # the state must stay an int64 array
    assert book.limit(BUY, 2.0, 1) == 0
