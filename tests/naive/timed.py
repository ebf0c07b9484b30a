"""Naive twin of :mod:`auction_sim.core.timed`: one auction at a time, an explicit event list."""

import math

import numpy as np

from auction_sim.core.timed import INCREMENTAL, delay_uniform


def run_timed(limits, kind, times, reserve, increment, duration, window, soft_close, reaction,
              key):  # fmt: skip
    m, n = limits.shape
    out = {k: [] for k in ("winner", "price", "bids", "late", "extensions", "end")}
    for i in range(m):
        pending = {j: times[i, j] for j in range(n)}  # bidder -> time of its next action
        proxy = {}
        leader, price, end = None, 0.0, duration
        placed = late = ext = counter = 0
        while pending:
            t, j = min((t, j) for j, t in pending.items())
            if t > end:
                break
            del pending[j]
            minimum = reserve if leader is None else price + increment
            if not limits[i, j] >= minimum:
                continue
            amount = minimum if kind[i, j] == INCREMENTAL else limits[i, j]
            placed += 1
            if t >= end - window:
                late += 1
                if soft_close:
                    end, ext = t + window, ext + 1
            proxy[j] = max(proxy.get(j, -math.inf), amount)
            outbid = None
            if leader is None:
                leader, price = j, reserve
            elif j != leader and proxy[j] > proxy[leader]:
                outbid, leader = leader, j
                price = max(reserve, min(proxy[j], proxy[outbid] + increment))
            elif j != leader:
                outbid = j
                price = max(reserve, min(proxy[leader], proxy[j] + increment))
            if outbid is not None and kind[i, outbid] == INCREMENTAL:
                u = delay_uniform(np.uint64(key), i, counter)
                counter += 1
                pending[outbid] = t - reaction * math.log(u)
        out["winner"].append(-1 if leader is None else leader)
        out["price"].append(0.0 if leader is None else price)
        out["bids"].append(placed)
        out["late"].append(late)
        out["extensions"].append(ext)
        out["end"].append(end)
    return {k: np.array(v) for k, v in out.items()}
