"""Naive twin of :mod:`auction_sim.core.listing`: one listing at a time, plain Python."""

import numpy as np


def run_listings(list_price, step, offsets, buyer_values, arrival, rule, period_days):
    n, n_periods = len(list_price), len(step)
    period = np.full(n, -1, np.int64)
    price = np.zeros(n)
    days = np.full(n, np.nan)
    winner_value = np.zeros(n)
    best_value = np.zeros(n)
    intents = np.zeros(n, np.int64)
    bidding = np.zeros(n, bool)
    winner = np.full(n, -1, np.int64)
    for i in range(n):
        seen = []
        for r in range(n_periods):
            p = list_price[i] * step[r]
            buyers = range(offsets[i * n_periods + r], offsets[i * n_periods + r + 1])
            seen += [buyer_values[j] for j in buyers]
            intent = [j for j in buyers if buyer_values[j] >= p]
            if not intent:
                continue
            period[i], intents[i] = r, len(intent)
            if rule == 0:  # first come: the earliest arrival buys at the listing price
                j = min(intent, key=lambda j: (arrival[j], j))
                price[i], days[i] = p, r * period_days + arrival[j]
            else:  # English auction with proxy bidders: highest value, earliest on ties
                ranked = sorted(intent, key=lambda j: (-buyer_values[j], arrival[j], j))
                j = ranked[0]
                second = buyer_values[ranked[1]] if len(ranked) > 1 else -np.inf
                price[i], days[i] = max(second, p), (r + 1) * period_days
                bidding[i] = len(intent) >= 2
            winner_value[i] = buyer_values[j]
            winner[i] = j
            break
        best_value[i] = max(seen) if seen else 0.0
    return period, price, days, winner_value, best_value, intents, bidding, winner
