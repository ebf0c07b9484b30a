"""The ``procurement`` kind: many independent procurements per replication (issue 21).

``run_point(scenario, seed)`` plays the replication's contracts in chunks with
:class:`auction_sim.mechanisms.procurement.ProcurementLab` (cost types drawn, offers
from the strategy, clearing by :func:`auction_sim.core.scoring.clear_scoring` or
bargaining by :func:`auction_sim.core.bargaining.nash_solution`) and returns the
metrics of DESIGN §5.
"""

from __future__ import annotations

import numpy as np

from ..mechanisms.procurement import ProcurementLab
from ..scenario.procurement import ProcurementScenario

__all__ = ["METRICS", "run_point"]

METRICS = ("buyer_utility", "quality", "price", "supplier_surplus", "efficiency", "award_rate")
CHUNK_OFFERS = 1 << 21  # offers drawn and cleared per chunk (bounds memory, not results)


def run_point(scenario: ProcurementScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: ``procurement.contracts`` procurements of ``procurement.suppliers``.

    Returns
    -------
    dict
        ``buyer_utility`` mean score ``w q - p`` of the delivered contract per
        procurement (0 without a contract; currency); ``quality`` mean delivered quality
        over awarded contracts (quality units); ``price`` mean price paid over awarded
        contracts (currency); ``supplier_surplus`` mean winner's price minus its cost
        ``θ q² / 2`` per procurement (0 without a contract; currency); ``efficiency``
        realised surplus ``w q - θ q² / 2`` summed over contracts / first-best surplus
        (the sum of ``max_j w² / (2 θ_j)``); ``award_rate`` share of procurements that
        award a contract.  Means over awarded contracts are NaN when none is awarded.
    """
    pr = scenario.procurement
    n_total, w = pr.contracts, pr.quality_weight
    lab = ProcurementLab(scenario, seed)
    chunk = max(1, CHUNK_OFFERS // pr.suppliers)
    utility = quality = price = cost = first_best = 0.0
    awarded = done = 0
    while done < n_total:
        m = min(chunk, n_total - done)
        out = lab.batch(m)
        utility += (w * out.quality - out.price).sum()
        quality += out.quality.sum()
        price += out.price.sum()
        cost += out.cost.sum()
        first_best += out.max_surplus.sum()
        awarded += int((out.winner >= 0).sum())
        done += m
    nan = float("nan")
    return {
        "buyer_utility": float(utility / n_total),
        "quality": float(quality / awarded) if awarded else nan,
        "price": float(price / awarded) if awarded else nan,
        "supplier_surplus": float((price - cost) / n_total),
        "efficiency": float((utility + price - cost) / first_best) if first_best > 0 else nan,
        "award_rate": float(awarded / n_total),
    }
