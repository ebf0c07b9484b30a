"""Naive twin of :mod:`auction_sim.core.scoring`: one contract at a time, plain Python."""

import math

import numpy as np


def clear_scoring(quality, price, tie_u, w, reserve, rule):
    """(winner, quality, price, high, second) of each contract; rule 0 first, 1 second score."""
    n_contracts, n_suppliers = quality.shape
    winner = np.full(n_contracts, -1, np.int64)
    q_out = np.zeros(n_contracts)
    p_out = np.zeros(n_contracts)
    high = np.full(n_contracts, -np.inf)
    second = np.full(n_contracts, -np.inf)
    for i in range(n_contracts):
        scores = {j: w * quality[i, j] - price[i, j] for j in range(n_suppliers)}
        scores = {j: s for j, s in scores.items() if not math.isnan(s)}
        ordered = sorted(scores.values(), reverse=True)
        if ordered:
            high[i] = ordered[0]
        if len(ordered) > 1:
            second[i] = ordered[1]
        if not ordered or not high[i] >= reserve:
            continue
        top = [j for j, s in scores.items() if s == high[i]]
        best = max(tie_u[i, j] for j in top)
        k = min(j for j in top if tie_u[i, j] == best)
        winner[i] = k
        q_out[i] = quality[i, k]
        if rule == 0:
            p_out[i] = price[i, k]
        else:
            p_out[i] = w * quality[i, k] - max(second[i], reserve)
    return winner, q_out, p_out, high, second
