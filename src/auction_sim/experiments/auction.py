"""The ``auction`` kind: many independent single-item auctions per replication.

``run_point(scenario, seed)`` draws values in chunks of auctions, maps them to
bids with the scenario's strategy, clears every chunk with the kernels of
:mod:`auction_sim.core.clearing`, and returns the metrics of DESIGN §5.
"""

from __future__ import annotations

import numpy as np

from ..agents import bidders
from ..core.clearing import FIRST_PRICE, SECOND_PRICE, clear_sealed
from ..rng import streams
from ..scenario.auction import AuctionScenario
from ..values import draw_values

__all__ = ["METRICS", "run_point", "bids_for"]

METRICS = ("revenue", "efficiency", "sale_rate", "bidder_surplus", "price_to_value")
CHUNK_BIDS = 1 << 21  # values drawn and cleared per chunk (bounds memory, not results)

_RULES = {"first_price": FIRST_PRICE, "second_price": SECOND_PRICE}


def bids_for(scenario: AuctionScenario, values: np.ndarray) -> np.ndarray:
    """Bids of shape ``values.shape`` under the scenario's strategy and format."""
    a, s = scenario.auction, scenario.strategy
    if s.kind == "truthful":
        return bidders.truthful(values)
    if s.kind == "shade":
        return bidders.shaded(values, s.shade)
    if s.kind == "equilibrium":
        if a.format == "second_price":
            return bidders.truthful(values)
        return bidders.first_price_equilibrium_uniform(values, a.values, a.bidders, a.reserve)
    raise NotImplementedError(f"strategy.kind = {s.kind!r}")


def run_point(scenario: AuctionScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: ``auction.auctions`` auctions of ``auction.bidders`` bidders.

    Returns
    -------
    dict
        ``revenue`` mean payment per auction (0 when unsold); ``efficiency`` sum of
        winners' values / sum of highest values; ``sale_rate``; ``bidder_surplus``
        mean winner's value minus price per auction; ``price_to_value`` mean of
        price / highest value over sold auctions (NaN when none sold).
    """
    a = scenario.auction
    n_total, n = a.auctions, a.bidders
    rule = _RULES[a.format]
    rng_values, rng_ties = streams(seed, "values", "ties")
    chunk = max(1, CHUNK_BIDS // n)
    revenue = win_value = high_value = sold = ratio = 0.0
    done = 0
    while done < n_total:
        m = min(chunk, n_total - done)
        values = draw_values(a.values, rng_values, (m, n))
        ties = rng_ties.random((m, n))
        res = clear_sealed(bids_for(scenario, values), ties, a.reserve, rule)
        ok = res.winner >= 0
        rows = np.flatnonzero(ok)
        wv = values[rows, res.winner[rows]]
        top = values.max(axis=1)
        revenue += res.price.sum()
        win_value += wv.sum()
        high_value += top.sum()
        sold += rows.size
        ratio += (res.price[rows] / top[rows]).sum()
        done += m
    return {
        "revenue": float(revenue / n_total),
        "efficiency": float(win_value / high_value) if high_value != 0 else float("nan"),
        "sale_rate": float(sold / n_total),
        "bidder_surplus": float((win_value - revenue) / n_total),
        "price_to_value": float(ratio / sold) if sold else float("nan"),
    }
