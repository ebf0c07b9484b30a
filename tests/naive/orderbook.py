"""Naive twin of :mod:`auction_sim.core.orderbook`: sorted Python lists, one order at a time.

Same rules (see the module docstring there): price-time priority, maker's price,
market remainder cancelled, every submission takes the next id, reasons checked in
the order kind, side, quantity, NaN, grid.
"""

import math

BUY, SELL = 0, 1
LIMIT, MARKET, CANCEL = 0, 1, 2
OK, R_KIND, R_SIDE, R_QTY, R_NAN, R_GRID, R_UNKNOWN, R_OWNER = 0, -1, -2, -3, -4, -5, -6, -7


class NaiveBook:
    def __init__(self, price_min, tick, n_ticks):
        self.price_min, self.tick, self.n_ticks = price_min, tick, n_ticks
        self.bids = []  # [tick, id, owner, qty], sorted by (-tick, id)
        self.asks = []  # sorted by (tick, id)
        self.next_id = 0
        self.trades = []  # (buy_id, sell_id, buyer, seller, tick, qty)

    def _tick(self, price):
        x = (price - self.price_min) / self.tick
        k = math.floor(x + 0.5)
        if abs(x - k) <= 1e-9 and 0 <= k < self.n_ticks:
            return k
        return None

    def submit(self, kind, side, price, qty, owner, target):
        """Returns (status, filled) and appends fills to ``self.trades``."""
        oid = self.next_id
        self.next_id += 1
        if kind not in (LIMIT, MARKET, CANCEL):
            return R_KIND, 0
        if kind == CANCEL:
            for book in (self.bids, self.asks):
                for j, o in enumerate(book):
                    if o[1] == target:
                        del book[j]
                        return OK, o[3]
            return R_UNKNOWN, 0
        if side not in (BUY, SELL):
            return R_SIDE, 0
        if not 0 < qty < 2**62 or qty != math.floor(qty):
            return R_QTY, 0
        if not abs(owner) < 2**62 or owner != math.floor(owner):
            return R_OWNER, 0
        qty, owner = int(qty), int(owner)
        tick = None
        if kind == LIMIT:
            if math.isnan(price):
                return R_NAN, 0
            tick = self._tick(price)
            if tick is None:
                return R_GRID, 0
        left = qty
        opp = self.asks if side == BUY else self.bids
        while left > 0 and opp:
            m = opp[0]
            if kind == LIMIT and (m[0] > tick if side == BUY else m[0] < tick):
                break
            f = min(left, m[3])
            if side == BUY:
                self.trades.append((oid, m[1], owner, m[2], m[0], f))
            else:
                self.trades.append((m[1], oid, m[2], owner, m[0], f))
            left -= f
            m[3] -= f
            if m[3] == 0:
                opp.pop(0)
        if left > 0 and kind == LIMIT:
            own = self.bids if side == BUY else self.asks
            own.append([tick, oid, owner, left])
            own.sort(key=(lambda o: (-o[0], o[1])) if side == BUY else (lambda o: (o[0], o[1])))
        return OK, qty - left

    def best_bid_tick(self):
        return self.bids[0][0] if self.bids else -1

    def best_ask_tick(self):
        return self.asks[0][0] if self.asks else self.n_ticks

    def resting(self):
        """(id, owner, side, tick, qty) in priority order: bids, then asks."""
        return [(o[1], o[2], BUY, o[0], o[3]) for o in self.bids] + [
            (o[1], o[2], SELL, o[0], o[3]) for o in self.asks
        ]

    def depth(self, levels):
        out = []
        for book in (self.bids, self.asks):
            agg = {}
            order = []
            for o in book:
                if o[0] not in agg:
                    order.append(o[0])
                    agg[o[0]] = 0
                agg[o[0]] += o[3]
            out.append([(t, agg[t]) for t in order[:levels]])
        return out


def replay(kind, side, price, qty, owner, target, price_min, tick, n_ticks):
    book = NaiveBook(price_min, tick, n_ticks)
    status, filled = [], []
    for i in range(len(kind)):
        s, f = book.submit(
            kind[i].item(),
            side[i].item(),
            float(price[i]),
            qty[i].item(),
            owner[i].item(),
            target[i].item(),
        )
        status.append(s)
        filled.append(f)
    return book, status, filled
