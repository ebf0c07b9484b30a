"""The ``listing`` kind: many independent listed trades per replication.

``run_point(scenario, seed)`` draws item values, the platform's estimates and the
buyers of every listing period in chunks, settles them with
:class:`auction_sim.mechanisms.listing.ListedTrade` (kernel
:func:`auction_sim.core.listing.run_listings`) and returns the metrics of DESIGN §5.
"""

from __future__ import annotations

import numpy as np

from ..mechanisms.listing import ListedTrade, draw_arrivals
from ..rng import streams
from ..scenario.listing import ListingScenario
from ..values import draw_values

__all__ = ["METRICS", "run_point"]

METRICS = ("sale_rate", "revenue", "days_to_sale", "bidding_share", "efficiency")
CHUNK_BUYERS = 1 << 22  # expected buyers drawn per chunk (bounds memory, not results)


def run_point(scenario: ListingScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: ``listing.listings`` independent listed trades.

    Returns
    -------
    dict
        ``sale_rate`` share of listings sold (in any period); ``revenue`` mean price per
        listing (0 when withdrawn); ``days_to_sale`` mean days from the first listing to
        the sale over sold listings, earlier periods counted whole; ``bidding_share``
        share of listings that went to competitive bidding; ``efficiency`` sum of the
        buyers' values in sales / sum of the highest value among the buyers who arrived
        while each item was listed.  NaN where the denominator is empty.
    """
    s = scenario.listing
    mech = ListedTrade.from_section(s)
    rng_values, rng_estimates = streams(seed, "values", "estimates")
    per_listing = max(1.0, s.buyer_rate * s.period_days * mech.n_periods)
    chunk = max(1, int(CHUNK_BUYERS / per_listing))
    n_total = s.listings
    sold = revenue = days = bidding = won = best = 0.0
    done = 0
    while done < n_total:
        m = min(chunk, n_total - done)
        values = draw_values(s.values, rng_values, (m,))
        prices = mech.list_prices(values, rng_estimates)
        arrivals = draw_arrivals(
            seed, done, values, mech.n_periods, s.buyer_rate, s.period_days, s.fit
        )
        res = mech.run(prices, arrivals).result
        ok = res.period >= 0
        sold += ok.sum()
        revenue += res.price.sum()
        days += res.days[ok].sum()
        bidding += res.bidding.sum()
        won += res.winner_value.sum()
        best += res.best_value.sum()
        done += m
    nan = float("nan")
    return {
        "sale_rate": float(sold / n_total),
        "revenue": float(revenue / n_total),
        "days_to_sale": float(days / sold) if sold else nan,
        "bidding_share": float(bidding / n_total),
        "efficiency": float(won / best) if best > 0 else nan,
    }
