"""The ledger of contracts, its end-of-run checks and the monthly time series.

Each contract records the item, the buyer, the day, the price (the buyer's
payment), the platform fee, the broker commission, the holder's receipt, how it
was traded, the buyer's value and the insurance subsidy paid by the state.
:meth:`Ledger.check` fails the run loudly (``LedgerError``) when

* an exclusive right is sold more than once;
* money is not conserved: buyers' payments != holders' receipts + fees + commissions;
* a firm paid more than its budget in a budget period.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .choice import FREE, METHODS

__all__ = ["Contract", "Ledger", "LedgerError", "MONTH_DAYS", "months"]

MONTH_DAYS = 365.25 / 12.0


def months(day: np.ndarray, horizon_days: float) -> tuple[np.ndarray, int]:
    """Month of each day (month ``k`` covers days ``[k, k + 1) * MONTH_DAYS``; days at or
    past the last month's end count in it) and the number of months,
    ``max(1, ceil(horizon_days / MONTH_DAYS))``."""
    n_m = max(1, math.ceil(horizon_days / MONTH_DAYS))
    return np.minimum((day / MONTH_DAYS).astype(np.int64), n_m - 1), n_m


class Contract(NamedTuple):
    """One contract of the ledger (a row of :meth:`Ledger.arrays`)."""

    item: int
    firm: int
    day: float
    price: float  # the buyer's payment (currency)
    fee: float  # the platform's fee
    commission: float  # the broker's commission
    receipt: float  # what the holder receives
    method: int  # market.choice code: AUCTION, LISTING, NEGOTIATION or FREE
    forced: bool  # a use-first deadline put it up
    buyer_value: float  # the buyer's value
    best_value: float  # the best value among the firms that saw the item
    item_value: float  # exp(theta)
    registered: float  # registration day of the item
    subsidy: float  # insurance subsidy paid by the state


_COLUMNS = Contract._fields


class LedgerError(RuntimeError):
    """A ledger invariant does not hold: the run is wrong and must not be reported."""


class Ledger:
    """Append-only contracts; :meth:`arrays` turns them into NumPy columns."""

    def __init__(self) -> None:
        self.rows: list[Contract] = []

    def record(self, contract: Contract) -> None:
        self.rows.append(contract)

    def __len__(self) -> int:
        return len(self.rows)

    def arrays(self) -> dict[str, np.ndarray]:
        """Columns of the ledger (name -> array of shape ``(n_contracts,)``)."""
        if not self.rows:
            return {c: np.zeros(0) for c in _COLUMNS}
        cols = list(zip(*self.rows, strict=True))
        return {c: np.asarray(v) for c, v in zip(_COLUMNS, cols, strict=True)}

    def check(self, budget0: np.ndarray, renewal_days: float, n_items: int) -> None:
        """Check the three invariants; raise :class:`LedgerError` on the first violation."""
        a = self.arrays()
        if a["item"].size == 0:
            return
        item = a["item"].astype(np.int64)
        if np.any(item < 0) or np.any(item >= n_items):
            raise LedgerError("contract for an unknown item")
        counts = np.bincount(item, minlength=n_items)
        if counts.max() > 1:
            bad = int(np.argmax(counts))
            raise LedgerError(f"exclusive right of item {bad} sold {counts[bad]} times")
        paid = math.fsum(a["price"])
        parts = math.fsum(a["receipt"]) + math.fsum(a["fee"]) + math.fsum(a["commission"])
        if not math.isclose(paid, parts, rel_tol=1e-9, abs_tol=1e-9):
            raise LedgerError(f"money not conserved: payments {paid!r} != parts {parts!r}")
        if np.any(a["price"] < 0) or np.any(a["receipt"] < -1e-12):
            raise LedgerError("negative price or receipt")
        firm = a["firm"].astype(np.int64)
        period = np.floor(a["day"] / renewal_days).astype(np.int64)
        n_per = int(period.max()) + 1
        spent = np.zeros((budget0.size, n_per))
        np.add.at(spent, (firm, period), a["price"])
        over = spent - budget0[:, None]
        if np.any(over > 1e-9 * np.maximum(1.0, budget0[:, None])):
            f, p = np.unravel_index(int(np.argmax(over)), over.shape)
            raise LedgerError(
                f"firm {f} overdrew its budget in period {p}: spent {spent[f, p]!r},"
                f" budget {budget0[f]!r}"
            )

    def monthly(self, horizon_days: float) -> dict[str, np.ndarray]:
        """Monthly contract series: deals, volume, broker income, deals by method.

        Months as in :func:`months`; arrays have shape ``(n_months,)``.
        """
        a = self.arrays()
        month, n_m = months(a["day"], horizon_days)
        paid = a["method"] != FREE if a["method"].size else np.zeros(0, bool)
        out = {
            "month": np.arange(n_m),
            "deals": np.bincount(month[paid], minlength=n_m).astype(np.float64),
            "volume": np.bincount(month, weights=a["price"], minlength=n_m),
            "broker_income": np.bincount(month, weights=a["commission"], minlength=n_m),
        }
        for code, name in enumerate(METHODS):
            sel = a["method"] == code
            out[f"deals_{name}"] = np.bincount(month[sel], minlength=n_m).astype(np.float64)
        return out
