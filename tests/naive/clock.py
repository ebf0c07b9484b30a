"""Naive twin of :mod:`auction_sim.core.clock`: the clocks run tick by tick."""

import numpy as np


def _pick(points, tie_u, level):
    ins = [j for j in range(len(points)) if points[j] >= level]
    best = max(tie_u[j] for j in ins)
    return min(j for j in ins if tie_u[j] == best)


def clear_english(points, tie_u, reserve, increment):
    m, n = points.shape
    winner = np.full(m, -1, np.int64)
    price = np.zeros(m)
    for i in range(m):
        k = 0
        prev = None
        while True:
            p = reserve + k * increment
            ins = [j for j in range(n) if points[i, j] >= p]
            if len(ins) >= 2:
                prev = p
                k += 1
                continue
            if len(ins) == 1:
                winner[i], price[i] = ins[0], p
            elif prev is not None:
                winner[i], price[i] = _pick(points[i], tie_u[i], prev), prev
            break
    return winner, price


def clear_dutch(points, tie_u, start, reserve, increment):
    m, n = points.shape
    winner = np.full(m, -1, np.int64)
    price = np.zeros(m)
    for i in range(m):
        if start < reserve:
            continue
        k = 0
        while True:
            p = start - k * increment
            if not p > reserve:
                p = reserve
            takers = [j for j in range(n) if points[i, j] >= p]
            if takers:
                winner[i], price[i] = _pick(points[i], tie_u[i], p), p
                break
            if p == reserve:
                break
            k += 1
    return winner, price
