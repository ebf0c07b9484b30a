"""Naive twin of :mod:`auction_sim.core.clearing`: one auction at a time, plain NumPy."""

import numpy as np


def clear_sealed(bids, tie_u, reserve, rule):
    n_auctions, n_bidders = bids.shape
    winner = np.full(n_auctions, -1, np.int64)
    price = np.zeros(n_auctions)
    high = np.full(n_auctions, -np.inf)
    second = np.full(n_auctions, -np.inf)
    for i in range(n_auctions):
        valid = [j for j in range(n_bidders) if not np.isnan(bids[i, j])]
        ordered = sorted((bids[i, j] for j in valid), reverse=True)
        if ordered:
            high[i] = ordered[0]
        if len(ordered) > 1:
            second[i] = ordered[1]
        if not ordered or not high[i] >= reserve:
            continue
        top = [j for j in valid if bids[i, j] == high[i]]
        best = max(tie_u[i, j] for j in top)
        winner[i] = min(j for j in top if tie_u[i, j] == best)
        price[i] = high[i] if rule == 0 else max(second[i], reserve)
    return winner, price, high, second
