"""Naive twin of :mod:`auction_sim.core.adaptive`: the same learning, auction by auction,
with the naive clearing twins."""

import math

import numpy as np

from naive.clearing import clear_sealed
from naive.clock import clear_dutch, clear_english


def play_adaptive(values, tie_u, arm_u, arms, logw, eta, scale, fmt, reserve, increment, start):
    m, n = values.shape
    logw = logw.copy()
    winner = np.full(m, -1, np.int64)
    price = np.zeros(m)
    bids = np.zeros((m, n))
    shade = np.zeros((m, n))
    for i in range(m):
        for j in range(n):
            w = [math.exp(x - max(logw[j])) for x in logw[j]]
            cum = np.cumsum(w)
            k = next((k for k in range(len(w)) if arm_u[i, j] * sum(w) < cum[k]), len(w) - 1)
            shade[i, j] = arms[k]
            bids[i, j] = (1.0 - arms[k]) * values[i, j]
        row, ties = bids[i : i + 1], tie_u[i : i + 1]
        if fmt in (0, 1):
            r = clear_sealed(row, ties, reserve, fmt)
        elif fmt == 2:
            r = clear_english(row, ties, reserve, increment)
        else:
            r = clear_dutch(row, ties, start, reserve, increment)
        winner[i], price[i] = r[0][0], r[1][0]
        for j in range(n):
            others = [bids[i, k] for k in range(n) if k != j]
            mo = max(others) if others else -math.inf
            for k, a in enumerate(arms):
                b = (1.0 - a) * values[i, j]
                u = 0.0
                if b >= reserve and b > mo:
                    u = values[i, j] - (b if fmt in (0, 3) else max(mo, reserve))
                logw[j, k] += eta * u / scale
            logw[j] -= logw[j].max()
    return winner, price, bids, shade, logw
