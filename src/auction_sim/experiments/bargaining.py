"""The ``bargaining`` kind: many independent buyer-seller negotiations per replication.

``run_point(scenario, seed)`` draws buyer and seller values in chunks, settles every
pair with :class:`auction_sim.mechanisms.negotiated.Negotiation` (kernels of
:mod:`auction_sim.core.bargaining`) and returns the metrics of DESIGN §5 plus the
mean price.
"""

from __future__ import annotations

import numpy as np

from ..mechanisms.negotiated import Negotiation
from ..rng import streams
from ..scenario.bargaining import BargainingScenario
from ..values import draw_values

__all__ = ["METRICS", "run_point"]

METRICS = ("agreement_rate", "gains_ratio", "seller_share", "rounds", "price")
CHUNK = 1 << 20  # pairs drawn and settled per chunk (bounds memory, not results)


def run_point(scenario: BargainingScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: ``bargaining.negotiations`` independent pairs.

    Returns
    -------
    dict
        ``agreement_rate`` share of pairs that agree; ``gains_ratio`` realised gains
        (both sides' pay-offs, discounted to round 0) / first-best gains
        (sum of ``max(v_b - v_s, 0)``); ``seller_share`` the seller's part of the
        realised gains; ``rounds`` mean number of rounds to agreement (1 = the first
        offer was accepted; one-shot protocols count 1), over agreements; ``price``
        mean agreed price.  NaN where the denominator is empty.
    """
    b = scenario.bargaining
    mech = Negotiation.from_section(b)
    rng_buyers, rng_sellers = streams(seed, "buyer_values", "seller_values")
    n_total = b.negotiations
    agreed = rounds = price = gains = seller = first_best = 0.0
    done = 0
    while done < n_total:
        m = min(CHUNK, n_total - done)
        vb = draw_values(b.buyer_values, rng_buyers, (m,))
        vs = draw_values(b.seller_values, rng_sellers, (m,))
        out = mech.settle(vb, vs)
        ok = out.agreed
        agreed += ok.sum()
        rounds += (out.round[ok] + 1).sum()
        price += out.price[ok].sum()
        gains += out.buyer_gain.sum() + out.seller_gain.sum()
        seller += out.seller_gain.sum()
        first_best += np.maximum(vb - vs, 0.0).sum()
        done += m
    nan = float("nan")
    return {
        "agreement_rate": float(agreed / n_total),
        "gains_ratio": float(gains / first_best) if first_best > 0 else nan,
        "seller_share": float(seller / gains) if gains > 0 else nan,
        "rounds": float(rounds / agreed) if agreed else nan,
        "price": float(price / agreed) if agreed else nan,
    }
