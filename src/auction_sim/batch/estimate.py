"""A rough run-time estimate of a grid, from a per-kind cost model with measured constants.

``work(scenario)`` counts the units one replication processes (bids, negotiation rounds,
orders, review scores, simulated arrivals and visits); ``SECONDS_PER_UNIT`` was measured
on the project's 2-core VM with a warm numba cache (2026-12-02, load ~4;
``benchmarks/estimate_constants.py``
prints it again).  The estimate is a guide for ``auction-sim validate`` (is this a minute
or a week?), not a promise: formats and strategies inside a kind differ by a few times.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from ..scenario.base import ScenarioBase

__all__ = ["work", "SECONDS_PER_UNIT", "estimate_seconds", "describe_seconds"]

# Seconds per unit of work and per task overhead, one core, warm cache (see module docstring).
SECONDS_PER_UNIT: dict[str, float] = {
    "auction": 1.2e-7,
    "bargaining": 2.5e-8,
    "listing": 4.2e-7,
    "double_auction": 1.0e-7,
    "pricing": 1.7e-6,
    "market": 4.6e-5,
}
TASK_OVERHEAD = 0.01  # seconds: seeding, bookkeeping, the result's row


def work(s: ScenarioBase) -> float:
    """Units of work of one replication of a scenario model (see the module docstring)."""
    kind = s.kind
    if kind == "auction":
        a = s.auction
        bidders = getattr(a, "bidders", 1)
        classes = getattr(a, "classes", None)
        if classes:
            bidders = sum(c.count for c in classes)
        return float(a.auctions) * bidders
    if kind == "bargaining":
        b = s.bargaining
        return float(b.negotiations) * max(1, getattr(b, "rounds", 1))
    if kind == "listing":
        li = s.listing
        return float(li.listings) * (1 + li.max_relists)
    if kind == "double_auction":
        return float(s.market.periods) * s.market.orders_per_period
    if kind == "pricing":
        p = s.pricing
        return float(p.achievements) * (p.panel + p.inquiries)
    if kind == "market":
        m = s.market
        return float(m.horizon_days) * (m.achievement_rate + m.buyer_rate)
    return math.nan


def estimate_seconds(
    points: Sequence, replications: int, workers: int | None = None, sample: int = 64
) -> float:
    """Estimated wall seconds of a run: mean work over up to ``sample`` evenly spaced points."""
    n = len(points)
    if n == 0:
        return 0.0
    idx = sorted({round(i * (n - 1) / max(1, sample - 1)) for i in range(min(n, sample))})
    per_task = []
    for i in idx:
        model = points[i].scenario
        c = SECONDS_PER_UNIT.get(model.kind)
        if c is None:
            return math.nan
        per_task.append(work(model) * c + TASK_OVERHEAD)
    cores = workers or os.cpu_count() or 1
    return sum(per_task) / len(per_task) * n * replications / cores


def describe_seconds(seconds: float) -> str:
    """``about 40 s`` / ``about 3 min`` / ``about 5 h`` / ``about 12 days``."""
    if not math.isfinite(seconds):
        return "unknown"
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"about {seconds / size:.0f} {unit}"
    return f"about {max(1, round(seconds))} s"
