"""``auction-sim warmup``: compile (or load from the cache) every kind's kernels once.

Each kind has a few tiny scenarios that together reach its kernels (formats, strategies,
protocols, rules); running them serially compiles what is not cached yet, so the first
real run, and every worker process of it, only loads compiled code.
"""

from __future__ import annotations

import time
from typing import Any

from .scenario import KINDS, scenario_from_dict

__all__ = ["WARMUP", "warmup"]

_FORMATS = ["first_price", "second_price", "english", "dutch"]

WARMUP: dict[str, list[dict[str, Any]]] = {
    "auction": [
        {
            "kind": "auction",
            "auction": {"auctions": 200},
            "sweep": {"auction.format": _FORMATS, "strategy.kind": ["equilibrium", "shade", "zi"]},
        },
        {"kind": "auction", "auction": {"auctions": 200}, "strategy": {"kind": "adaptive"}},
        {
            "kind": "auction",
            "auction": {
                "auctions": 200,
                "classes": [
                    {"count": 1, "values": {"dist": "uniform", "low": 0.0, "high": 1.0}},
                    {"count": 2, "values": {"dist": "uniform", "low": 0.0, "high": 2.0}},
                ],
            },
            "sweep": {"auction.format": ["first_price", "second_price"]},
        },
        {
            "kind": "auction",
            "auction": {"auctions": 200, "value_model": "affiliated", "format": "english"},
            "strategy": {"kind": "truthful"},
            "sweep": {"auction.value_model": ["common", "affiliated"]},
        },
        {
            "kind": "auction",
            "auction": {"auctions": 200, "format": "english", "duration": 1.0, "soft_close": True},
            "strategy": {"kind": "sniper"},
        },
    ],
    "bargaining": [
        {
            "kind": "bargaining",
            "bargaining": {"negotiations": 200},
            "sweep": {"bargaining.protocol": ["alternating_offers", "k_double_auction", "nash"]},
        },
        {
            "kind": "bargaining",
            "bargaining": {
                "negotiations": 200,
                "information": "private",
                "buyer_tactic": "linear",
                "seller_tactic": "linear",
            },
            "sweep": {"bargaining.seller_tactic": ["boulware", "linear", "truthful"]},
        },
    ],
    "listing": [
        {
            "kind": "listing",
            "listing": {"listings": 200},
            "sweep": {"listing.multi_intent": ["auction", "first_come"]},
        }
    ],
    "double_auction": [
        {
            "kind": "double_auction",
            "market": {"periods": 1, "orders_per_period": 50},
            "sweep": {"market.rule": ["continuous", "call"], "traders.strategy": ["zi_u", "zi_c"]},
        }
    ],
    "pricing": [
        {
            "kind": "pricing",
            "pricing": {"achievements": 300, "reviewers": 40},
            "sweep": {"pricing.estimator": ["joint", "mean_score", "median_quote"]},
        }
    ],
    "procurement": [
        {
            "kind": "procurement",
            "procurement": {"contracts": 200},
            "sweep": {
                "procurement.format": ["first_score", "second_score", "price_only", "negotiation"]
            },
        }
    ],
    "market": [
        {
            "kind": "market",
            "market": {"horizon_days": 30},
            "sweep": {"mechanism.choice": ["rule", "listing", "negotiation"]},
        }
    ],
}


def warmup(kinds: list[str] | None = None, progress=None) -> dict[str, float]:
    """Run the tiny scenarios of ``kinds`` (default: all); seconds per kind.

    ``progress(kind, seconds)`` is called after each kind.  Kinds without a warm-up list
    run their scenario defaults shrunk by nothing: every registered kind has one here.
    """
    from . import run

    out: dict[str, float] = {}
    for kind in kinds or list(KINDS):
        start = time.perf_counter()
        for raw in WARMUP.get(kind, [{"kind": kind}]):
            scenario = scenario_from_dict(raw, source=f"<warmup {kind}>")
            res = run(scenario, replications=1, backend="serial")
            if res.failures:
                raise RuntimeError(f"warmup {kind}: {res.failures[0]['error']}")
        out[kind] = time.perf_counter() - start
        if progress is not None:
            progress(kind, out[kind])
    return out
