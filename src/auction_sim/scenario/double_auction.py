"""Schema of the ``double_auction`` kind (DESIGN §3): one trading session per replication."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from .base import ScenarioBase, Section
from .errors import FieldError

__all__ = ["MarketSection", "TradersSection", "DoubleAuctionScenario"]

Rule = Literal["continuous", "call"]
Strategy = Literal["zi_u", "zi_c", "truthful"]


class MarketSection(Section):
    """``[market]``: the trading rule, the session and the induced values and costs."""

    rule: Rule = Field(
        "continuous",
        description="continuous (order book, Gode-Sunder protocol) | call (one uniform-price "
        "call per period)",
    )
    periods: int = Field(6, ge=1, le=100_000, description="trading periods per session")
    orders_per_period: int = Field(
        2000,
        ge=1,
        le=100_000_000,
        description="continuous rule: trader arrivals (quote attempts) per period; "
        "the call rule collects one order per unit and ignores it",
    )
    buyer_values: list[list[float]] = Field(
        default_factory=lambda: [[200.0, 180.0], [190.0, 150.0]],
        description="one list per buyer: unit values, highest first, traded in that order",
    )
    seller_costs: list[list[float]] = Field(
        default_factory=lambda: [[60.0, 90.0], [70.0, 120.0]],
        description="one list per seller: unit costs, lowest first, traded in that order",
    )


class TradersSection(Section):
    """``[traders]``: how traders quote."""

    strategy: Strategy = Field(
        "zi_c",
        description="zi_u: uniform on [price_min, price_max]; zi_c: buyers uniform on "
        "[price_min, value], sellers on [cost, price_max]; truthful: quote value / cost",
    )
    price_min: float = Field(1.0, description="lowest admissible price (currency)")
    price_max: float = Field(200.0, description="highest admissible price (currency)")
    tick: float = Field(
        1.0, gt=0, description="price grid step; quotes are drawn uniformly on the grid"
    )
    learning: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="share of the remaining quote range dropped each period by anchoring "
        "on the previous period's mean trade price (0 = pure zero intelligence)",
    )


def _check_schedule(key: str, units: list[list[float]], what: str, rising: bool, lo, hi):
    if not units:
        raise FieldError(key, f"expected at least one {what} list, found an empty list")
    for i, u in enumerate(units):
        k = f"{key}[{i}]"
        if not u:
            raise FieldError(k, "expected at least one unit, found an empty list")
        steps = np.diff(np.asarray(u, np.float64))
        bad = (steps < 0).any() if rising else (steps > 0).any()
        if bad:
            order = "lowest first (non-decreasing)" if rising else "highest first (non-increasing)"
            raise FieldError(k, f"expected unit {what}s {order}, found {u}")
        out = [x for x in u if not lo <= x <= hi]
        if out:
            raise FieldError(
                k,
                f"expected {what}s within [traders.price_min, traders.price_max] = "
                f"[{lo:g}, {hi:g}], found {out[0]:g}",
            )


class DoubleAuctionScenario(ScenarioBase):
    """A scenario of kind ``double_auction``."""

    kind: Literal["double_auction"] = "double_auction"
    market: MarketSection = Field(default_factory=MarketSection)
    traders: TradersSection = Field(default_factory=TradersSection)

    @model_validator(mode="after")
    def _consistent(self) -> DoubleAuctionScenario:
        t, m = self.traders, self.market
        if not t.price_min < t.price_max:
            raise FieldError(
                "traders.price_min",
                f"expected price_min < price_max, found {t.price_min:g} >= {t.price_max:g}",
            )
        steps = (t.price_max - t.price_min) / t.tick
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps) or round(steps) > 10_000_000:
            raise FieldError(
                "traders.tick",
                "expected a tick dividing price_max - price_min into at most 1e7 steps, "
                f"found {t.tick:g} for a range of {t.price_max - t.price_min:g}",
            )
        lo, hi = t.price_min, t.price_max
        _check_schedule("market.buyer_values", m.buyer_values, "value", False, lo, hi)
        _check_schedule("market.seller_costs", m.seller_costs, "cost", True, lo, hi)
        if not all(math.isfinite(x) for u in m.buyer_values + m.seller_costs for x in u):
            raise FieldError("market.buyer_values", "expected finite values")  # pragma: no cover
        return self
