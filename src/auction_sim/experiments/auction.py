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

__all__ = ["METRICS", "run_point"]

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
CHUNK_BIDS = 1 << 21  # values drawn and cleared per chunk (bounds memory, not results)


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
    """
    a = scenario.auction
    n_total, n = a.auctions, a.bidders
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
        if timed:
            placed += int(out.placed.sum())
            late += int(out.late.sum())
            ext += int(out.extensions.sum())
        done += m
    nan = float("nan")
    return {
        "revenue": float(revenue / n_total),
        "efficiency": float(win_value / high_value) if high_value != 0 else nan,
        "sale_rate": float(sold / n_total),
        "bidder_surplus": float((win_value - revenue) / n_total),
        "price_to_value": float(ratio / sold) if sold else nan,
        "winner_curse": float(curse / sold) if sold else nan,
        "late_bid_share": (float(late / placed) if placed else nan) if timed else nan,
        "extensions": float(ext / n_total) if timed else nan,
    }
