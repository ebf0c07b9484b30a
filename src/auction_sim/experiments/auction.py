"""The ``auction`` kind: many independent single-item auctions per replication.

``run_point(scenario, seed)`` plays the replication's auctions in chunks with
:class:`auction_sim.mechanisms.auctions.AuctionLab` (values and signals from the
value model, bids from the strategy, every rule in the kernels of ``core/``) and
returns the metrics of DESIGN §5 followed by ``winner_curse``, ``late_bid_share``
and ``extensions``.
"""

from __future__ import annotations

import numpy as np

from ..mechanisms.auctions import AuctionLab
from ..scenario.auction import AuctionScenario

__all__ = ["METRICS", "metric_names", "run_point"]

METRICS = (
    "revenue",
    "efficiency",
    "sale_rate",
    "bidder_surplus",
    "price_to_value",
    "winner_curse",
    "late_bid_share",
    "extensions",
)
CLASS_METRICS = ("win_share", "class_surplus")
"""Per bidder class, numbered from 1 in file order: ``win_share_1``, ``class_surplus_1``, ..."""
CHUNK_BIDS = 1 << 21  # values drawn and cleared per chunk (bounds memory, not results)


def _n_classes(model) -> int:
    classes = getattr(getattr(model, "auction", None), "classes", None)
    return len(classes) if classes else 0


def metric_names(scenario) -> tuple[str, ...]:
    """The metric names of one scenario: :data:`METRICS`, then per class (if any)
    ``win_share_k`` and ``class_surplus_k`` for k = 1 .. the most classes of any grid point.

    ``scenario`` is a loaded :class:`~auction_sim.scenario.loader.Scenario` or a model.
    """
    k = _n_classes(getattr(scenario, "model", scenario))
    for value in (getattr(scenario, "sweep", None) or {}).get("auction.classes", ()):
        k = max(k, len(value) if isinstance(value, list) else 0)  # classes swept whole
    return METRICS + tuple(f"{m}_{i}" for i in range(1, k + 1) for m in CLASS_METRICS)


def run_point(scenario: AuctionScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: ``auction.auctions`` auctions of ``auction.bidders`` bidders.

    Returns
    -------
    dict
        ``revenue`` mean payment per auction (0 when unsold); ``efficiency`` sum of
        winners' true values / sum of highest true values; ``sale_rate``;
        ``bidder_surplus`` mean winner's true value minus price per auction;
        ``price_to_value`` mean of price / highest true value over sold auctions;
        ``winner_curse`` mean of price minus the winner's true value over sold
        auctions; ``late_bid_share`` bids placed in the closing window / bids placed
        and ``extensions`` soft-close extensions per auction (timed auctions only,
        NaN otherwise).  Means over sold auctions are NaN when none sold.
        With ``[[auction.classes]]``: ``win_share_k`` share of auctions won by a
        bidder of class k (they sum to ``sale_rate``) and ``class_surplus_k`` mean
        value minus price of class-k winners per auction (they sum to
        ``bidder_surplus``), k = 1, 2, ... in file order.
    """
    a = scenario.auction
    n_total, n = a.auctions, (sum(c.count for c in a.classes) if a.classes else a.bidders)
    k_cls = len(a.classes) if a.classes else 0
    cls = np.repeat(np.arange(k_cls), [c.count for c in a.classes]) if k_cls else np.zeros(0, int)
    wins = np.zeros(k_cls)
    surplus = np.zeros(k_cls)
    lab = AuctionLab(scenario, seed)
    timed = lab.rules.timed
    chunk = max(1, CHUNK_BIDS // n)
    revenue = win_value = high_value = sold = ratio = curse = 0.0
    placed = late = ext = 0
    done = 0
    while done < n_total:
        m = min(chunk, n_total - done)
        out = lab.batch(m)
        rows = np.flatnonzero(out.winner >= 0)
        wv = out.values[rows, out.winner[rows]]
        top = out.values.max(axis=1)
        price = out.price[rows]
        revenue += out.price.sum()
        win_value += wv.sum()
        high_value += top.sum()
        sold += rows.size
        ratio += (price / top[rows]).sum()
        curse += (price - wv).sum()
        if k_cls:
            wc = cls[out.winner[rows]]
            wins += np.bincount(wc, minlength=k_cls)
            surplus += np.bincount(wc, weights=wv - price, minlength=k_cls)
        if timed:
            placed += int(out.placed.sum())
            late += int(out.late.sum())
            ext += int(out.extensions.sum())
        done += m
    nan = float("nan")
    per_class = {}
    for i in range(k_cls):
        per_class[f"win_share_{i + 1}"] = float(wins[i] / n_total)
        per_class[f"class_surplus_{i + 1}"] = float(surplus[i] / n_total)
    return {
        "revenue": float(revenue / n_total),
        "efficiency": float(win_value / high_value) if high_value != 0 else nan,
        "sale_rate": float(sold / n_total),
        "bidder_surplus": float((win_value - revenue) / n_total),
        "price_to_value": float(ratio / sold) if sold else nan,
        "winner_curse": float(curse / sold) if sold else nan,
        "late_bid_share": (float(late / placed) if placed else nan) if timed else nan,
        "extensions": float(ext / n_total) if timed else nan,
        **per_class,
    }
