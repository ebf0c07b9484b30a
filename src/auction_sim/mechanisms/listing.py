"""Listed trade: the holder posts a price for a listing period; intents decide the sale.

:class:`ListedTrade` stores the rules (explicit keywords, nothing computed in the
constructor).  :func:`draw_arrivals` draws the buyers that arrive in every listing
period (Poisson counts, firm-fit factors, arrival times) and
:meth:`ListedTrade.run` settles the listings with
:func:`auction_sim.core.listing.run_listings`.  The winning buyer pays exactly what the
holder receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core.listing import AUCTION, FIRST_COME, ListingResult, relist_steps, run_listings

__all__ = ["DESCRIPTOR", "BuyerArrivals", "ListedTrade", "ListingOutcome", "draw_arrivals"]

DESCRIPTOR = {
    "moves": "posted price; buyers arrive over time",
    "price": "the listing price, or an English auction opening at it (multi_intent = auction)",
    "ends": "sale, or withdrawal after the last relist",
}


class BuyerArrivals(NamedTuple):
    """Buyers of ``n_listings`` listings over ``n_periods`` periods, in CSR form."""

    offsets: np.ndarray  # int64, (n_listings * n_periods + 1,)
    values: np.ndarray  # float64, (n_buyers,), currency
    arrival: np.ndarray  # float64, (n_buyers,), days since the start of the period


class ListingOutcome(NamedTuple):
    """:class:`~auction_sim.core.listing.ListingResult` plus the money flows."""

    result: ListingResult
    payment: np.ndarray  # float64, (n_listings,), what the winning buyer pays (0 unsold)
    receipt: np.ndarray  # float64, (n_listings,), what the holder receives (0 unsold)


def draw_arrivals(
    rng: np.random.Generator,
    item_values: np.ndarray,
    n_periods: int,
    buyer_rate: float,
    period_days: float,
    fit,
) -> BuyerArrivals:
    """Poisson buyer arrivals for every (listing, period).

    The count in each period is Poisson(``buyer_rate * period_days``); given the count,
    arrival times are independent uniforms on ``[0, period_days)`` (a Poisson process);
    each buyer's value is the item's value times an independent draw of ``fit``.
    """
    item_values = np.asarray(item_values, dtype=np.float64)
    n = item_values.shape[0]
    counts = rng.poisson(buyer_rate * period_days, size=(n, n_periods))
    offsets = np.zeros(n * n_periods + 1, np.int64)
    np.cumsum(counts.ravel(), out=offsets[1:])
    m = int(offsets[-1])
    owner = np.repeat(np.arange(n), counts.sum(axis=1))
    values = item_values[owner] * np.asarray(fit.draw(rng, (m,)), dtype=np.float64)
    arrival = rng.uniform(0.0, period_days, size=m)
    return BuyerArrivals(offsets, values, arrival)


@dataclass(frozen=True)
class ListedTrade:
    """The rules of a listed trade (parameters mirror the ``[listing]`` table)."""

    price: float = 1.0
    period_days: float = 20.0
    buyer_rate: float = 0.3
    multi_intent: str = "auction"
    relist_discount: float = 0.1
    max_relists: int = 3
    estimate_sd_log: float = 0.3

    @classmethod
    def from_section(cls, section) -> ListedTrade:
        names = cls.__dataclass_fields__
        return cls(**{k: getattr(section, k) for k in names})

    descriptor = DESCRIPTOR

    @property
    def n_periods(self) -> int:
        return self.max_relists + 1

    def step(self) -> np.ndarray:
        """Price factor of each listing period (:func:`auction_sim.core.listing.relist_steps`)."""
        return relist_steps(self.relist_discount, self.n_periods)

    def list_prices(self, item_values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """First listing prices: ``price * v * exp(estimate_sd_log * Z)`` (the estimate's error)."""
        z = rng.standard_normal(np.shape(item_values))
        return self.price * np.asarray(item_values) * np.exp(self.estimate_sd_log * z)

    def run(
        self, list_price: np.ndarray, arrivals: BuyerArrivals, *, parallel: bool | None = None
    ) -> ListingOutcome:
        """Settle every listing through its periods."""
        rule = AUCTION if self.multi_intent == "auction" else FIRST_COME
        if self.multi_intent not in ("auction", "first_come"):
            raise ValueError(f"unknown multi_intent {self.multi_intent!r}")
        res = run_listings(
            list_price, self.step(), arrivals.offsets, arrivals.values, arrivals.arrival,
            rule, self.period_days, parallel=parallel,
        )  # fmt: skip
        return ListingOutcome(res, res.price.copy(), res.price.copy())
