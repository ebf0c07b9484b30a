"""Naive twin of :mod:`auction_sim.core.callmarket`: the clearing rule by definition."""

import math


def clear_call(bid_price, bid_qty, ask_price, ask_qty):
    """Returns (price, low, high, volume, bid_fill, ask_fill, trades) with plain lists."""
    bids = list(zip(bid_price, bid_qty, strict=True))
    asks = list(zip(ask_price, ask_qty, strict=True))

    def demand(p):
        return sum(q for b, q in bids if b >= p)

    def supply(p):
        return sum(q for a, q in asks if a <= p)

    cands = sorted(set(bid_price) | set(ask_price))
    pieces = [(p, p, p) for p in cands]  # (price to evaluate, low, high)
    pieces += [((a + b) / 2, a, b) for a, b in zip(cands, cands[1:], strict=False)]

    def imbalance(p):
        d_strict = sum(q for b, q in bids if b > p)
        s_strict = sum(q for a, q in asks if a < p)
        return max(0, d_strict - supply(p), s_strict - demand(p))

    scored = [(min(demand(x), supply(x)), imbalance(x), lo, hi) for x, lo, hi in pieces]
    vol = max((s[0] for s in scored), default=0)
    fill_b, fill_a = [0] * len(bids), [0] * len(asks)
    if vol == 0:
        return math.nan, math.nan, math.nan, 0, fill_b, fill_a, []
    imb = min(s[1] for s in scored if s[0] == vol)
    best = [s for s in scored if s[0] == vol and s[1] == imb]
    low, high = min(s[2] for s in best), max(s[3] for s in best)
    price = (low + high) / 2
    order_b = sorted(range(len(bids)), key=lambda i: (-bids[i][0], i))
    order_a = sorted(range(len(asks)), key=lambda i: (asks[i][0], i))
    left = vol
    for i in order_b:
        if bids[i][0] >= price and left > 0:
            fill_b[i] = min(left, bids[i][1])
            left -= fill_b[i]
    left = vol
    for i in order_a:
        if asks[i][0] <= price and left > 0:
            fill_a[i] = min(left, asks[i][1])
            left -= fill_a[i]
    units_b = [i for i in order_b for _ in range(fill_b[i])]
    units_a = [i for i in order_a for _ in range(fill_a[i])]
    trades = []
    for b, a in zip(units_b, units_a, strict=True):
        if trades and trades[-1][0] == b and trades[-1][1] == a:
            trades[-1][2] += 1
        else:
            trades.append([b, a, 1])
    return price, low, high, vol, fill_b, fill_a, [tuple(t) for t in trades]
