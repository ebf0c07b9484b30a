"""Listed trade: the holder posts a price for a listing period; intents decide the sale.

:class:`ListedTrade` stores the rules (explicit keywords, nothing computed in the
constructor).  :func:`draw_arrivals` draws the buyers that arrive in every listing
period (Poisson counts, firm-fit factors, arrival times) and
:meth:`ListedTrade.run` settles the listings with
:func:`auction_sim.core.listing.run_listings`.  The winning buyer pays exactly what the
holder receives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from ..core.counters import derive, slot_keys, unit
from ..core.listing import AUCTION, FIRST_COME, ListingResult, relist_steps, run_listings
from ..valuemodels import COUNTER_DISTS

__all__ = ["DESCRIPTOR", "BAND", "BuyerArrivals", "ListedTrade", "ListingOutcome", "draw_arrivals"]

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


BAND = 32.0
"""Expected buyers of one band of levels per (listing, period): ``buyer_rate * period_days``
of 100 draws 4 bands, 3 full and the top one thinned."""


def _poisson_cdf(lam: float) -> np.ndarray:
    """Distribution function of Poisson(``lam``) at 0, 1, ... up to where it reaches 1 (in
    floating point), for :func:`_poisson`."""
    pk = cdf = math.exp(-lam)
    out = [cdf]
    c = 0
    while cdf < 1.0 and c < 1000:
        c += 1
        pk *= lam / c
        if cdf + pk == cdf and c > lam:
            break
        cdf += pk
        out.append(cdf)
    return np.array(out)


@njit(cache=True, inline="always")
def _poisson(u, cdf):
    """Inverse distribution function at ``u`` (``cdf`` of :func:`_poisson_cdf`): the number
    of points is the first ``c`` with ``cdf[c] > u``.  Non decreasing in the mean, so a
    higher rate never has fewer points from the same ``u``."""
    c = 0
    while c < cdf.size and cdf[c] <= u:
        c += 1
    return c


@njit(cache=True)
def _keyed_buyers(key_count, key_time, key_fit, first, item_values, n_periods, cdf_full, cdf_top,
                  n_bands, period_days, fit_kind, fit_a, fit_b):  # fmt: skip
    """Buyers of listings ``first .. first + n - 1`` (all periods), counter-based.  The
    expected count ``lam`` of a (listing, period) is cut into bands of :data:`BAND`; band
    ``b``'s count is Poisson of its share from output ``b`` of the (listing, period) key of
    ``counts``; buyer ``j`` of band ``b`` has time and fit uniforms of index ``j`` under the
    (listing, period, band) keys of ``times`` and ``fits``.  The fit factor from its uniform
    ``u`` (as :func:`~auction_sim.valuemodels.from_uniforms`): ``fit_kind`` 0 ``u * fit_a +
    fit_b`` (uniform), 1 ``log1p(-u) * fit_a`` (exponential, ``fit_a = -scale``), 2
    ``fit_a`` (constant); 3: ``value`` is the item's value and ``u`` is returned for the
    caller's inverse distribution function."""
    n = item_values.size
    rows = n * n_periods
    counts = np.zeros((rows, n_bands), np.int64)
    for i in range(n):
        kc = derive(key_count, first + i)
        for p in range(n_periods):
            kp = derive(kc, p)
            for b in range(n_bands):
                cdf = cdf_top if b == n_bands - 1 else cdf_full
                counts[i * n_periods + p, b] = _poisson(unit(kp, b), cdf)
    offsets = np.zeros(rows + 1, np.int64)
    for r in range(rows):
        offsets[r + 1] = offsets[r]
        for b in range(n_bands):
            offsets[r + 1] += counts[r, b]
    arrival = np.empty(offsets[rows])
    u_fit = np.empty(offsets[rows] if fit_kind == 3 else 0)
    value = np.empty(offsets[rows])
    for i in range(n):
        kt0, kf0 = derive(key_time, first + i), derive(key_fit, first + i)
        for p in range(n_periods):
            r = i * n_periods + p
            o = offsets[r]
            if offsets[r + 1] == o:
                continue
            kt1, kf1 = derive(kt0, p), derive(kf0, p)
            for b in range(n_bands):
                kt, kf = derive(kt1, b), derive(kf1, b)
                for j in range(counts[r, b]):
                    arrival[o] = unit(kt, j) * period_days
                    u = unit(kf, j)
                    if fit_kind == 0:
                        value[o] = item_values[i] * (u * fit_a + fit_b)
                    elif fit_kind == 1:
                        value[o] = item_values[i] * (math.log1p(-u) * fit_a)
                    elif fit_kind == 2:
                        value[o] = item_values[i] * fit_a
                    else:
                        u_fit[o] = u
                        value[o] = item_values[i]
                    o += 1
    return offsets, arrival, u_fit, value


def draw_arrivals(
    seed: np.random.SeedSequence,
    first: int,
    item_values: np.ndarray,
    n_periods: int,
    buyer_rate: float,
    period_days: float,
    fit,
) -> BuyerArrivals:
    """Poisson buyer arrivals for every (listing, period) of listings ``first, first + 1,
    ...`` (``item_values`` in that order), keyed by (listing, period, buyer) under the
    ``buyers`` node of ``seed``.

    The banded rule of :mod:`auction_sim.market.draws` (arrivals at a rate are the points
    below that rate of a process in (time, level), levels cut into bands), counter-based:
    a full band's count is Poisson(:data:`BAND`), the top band's Poisson of the rest by the
    inverse distribution function of one uniform, so it never falls when the rate grows;
    buyer ``(band, j)`` arrives at a uniform time in ``[0, period_days)``.  A higher rate
    keeps every buyer of a lower one (same identity, arrival time and fit) and adds others;
    a listing's buyers do not depend on how many listings or periods a run has, nor on the
    chunks.  A buyer's value is the item's value times a draw of ``fit`` (by its inverse
    distribution function from the buyer's uniform).
    """
    item_values = np.ascontiguousarray(item_values, dtype=np.float64)
    key_count, key_time, key_fit = slot_keys(seed, "buyers", ["counts", "times", "fits"])
    lam = float(buyer_rate) * float(period_days)
    n_bands = max(1, math.ceil(lam / BAND))
    kind, a, b = _FIT[fit.dist](fit) if fit.dist in _FIT else (3, 0.0, 0.0)
    offsets, arrival, u, value = _keyed_buyers(
        key_count, key_time, key_fit, np.int64(first), item_values, int(n_periods),
        _poisson_cdf(BAND), _poisson_cdf(lam - (n_bands - 1) * BAND), n_bands, float(period_days),
        kind, float(a), float(b),
    )  # fmt: skip
    if kind == 3:  # a law without a closed-form inverse here
        value *= np.asarray(fit.ppf(u), dtype=np.float64)
    return BuyerArrivals(offsets, value, arrival)


_FIT = {  # the inverse distribution functions of valuemodels.from_uniforms, in the kernel
    "uniform": lambda d: (0, d.high - d.low, d.low),
    "exponential": lambda d: (1, -d.scale, 0.0),
    "constant": lambda d: (2, d.value, 0.0),
}
assert set(_FIT) == set(COUNTER_DISTS)


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
