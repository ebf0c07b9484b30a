"""The ledger of contracts, its checks (on every record and at the end) and the monthly series.

Each contract records the item, the buyer, the day, the price (the buyer's
payment), the platform fee, the broker commission, the holder's receipt, how it
was traded, the buyer's value, the adoption-risk insurance premium, the part of
it paid by the state (the subsidy) and the insurer's claim on adoption failure.

A ledger bound to a run (:meth:`Ledger.bind`: the firms' budget arrays, the platform fee,
each item's broker commission rate, the premium rate and the subsidy share) reconciles as
it goes: :meth:`Ledger.record` checks, on the spot, that

* the item is known and its exclusive right not sold before (a free licence included);
* the platform fee, the commission and the holder's receipt are each the share of the price
  the run's rates give that party (each derived here from the rates, not as a remainder)
  and add up to the price; the premium is ``premium_rate x price`` and the subsidy its
  ``insurance_subsidy`` share (with optional insurance, ``insurance = "claims"``, an
  uninsured deal has premium and subsidy 0); the claim is 0 or, on an insured deal, the price;
* the firm's budget array equals its budget at the last renewal less what the ledger has
  seen it pay since (price plus its own share of the premium, less claims), and is not
  negative;

and raises :class:`LedgerError` at once, naming the item, the firm and the day.
:meth:`Ledger.renew` is called by the run's budget process before it resets the budgets (it
checks every firm's budget and carries the period's spending over);
:meth:`Ledger.audit` checks the run-wide identity: budgets spent (from the budget arrays)
= receipts + fees + commissions + premiums - subsidies - claims (claims are paid only with
``insurance = "claims"``, :mod:`auction_sim.market.insurance`), no budget negative.
:meth:`Ledger.check` repeats the end-of-run checks on the columns (double sale, payments =
receipts + fees + commissions, no firm over its budget in a budget period).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .choice import FREE, METHODS

__all__ = ["Contract", "Ledger", "LedgerError", "MONTH_DAYS", "months", "monthly_rmse"]

MONTH_DAYS = 365.25 / 12.0


def months(day: np.ndarray, horizon_days: float) -> tuple[np.ndarray, int]:
    """Month of each day (month ``k`` covers days ``[k, k + 1) * MONTH_DAYS``; days at or
    past the last month's end count in it) and the number of months,
    ``max(1, ceil(horizon_days / MONTH_DAYS))``."""
    n_m = max(1, math.ceil(horizon_days / MONTH_DAYS))
    return np.minimum((day / MONTH_DAYS).astype(np.int64), n_m - 1), n_m


def monthly_rmse(rows, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """RMSE of ``error`` by month of ``day`` (months as in :func:`months`) and the count;
    ``rows``: (day, error) pairs, a list of tuples or an array of shape (n, 2)."""
    if len(rows) == 0:
        n_m = months(np.zeros(0), horizon)[1]
        return np.full(n_m, np.nan), np.zeros(n_m)
    day, err = np.asarray(rows).T
    month, n_m = months(day, horizon)
    cnt = np.bincount(month, minlength=n_m).astype(np.float64)
    sse = np.bincount(month, weights=err * err, minlength=n_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(sse / cnt), cnt


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
    premium: float = 0.0  # the whole insurance premium (the firm pays premium - subsidy)
    claim: float = 0.0  # the insurer's claim on adoption failure (credited to the budget)


_COLUMNS = Contract._fields


class LedgerError(RuntimeError):
    """A ledger invariant does not hold: the run is wrong and must not be reported."""


_REL = 1e-9  # relative tolerance of the money checks (rounding of float sums)


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= _REL * max(1.0, abs(scale))


class Ledger:
    """Append-only contracts; :meth:`arrays` turns them into NumPy columns.

    Unbound (``Ledger()``), :meth:`record` only appends; bound to a run with :meth:`bind`,
    every record is reconciled against the run's state (module docstring).
    """

    def __init__(self) -> None:
        self.rows: list[Contract] = []
        self._bound = False

    def bind(
        self,
        budget0: np.ndarray,
        budget: np.ndarray,
        platform_fee: float,
        commission_rate: np.ndarray,
        premium_rate: float,
        subsidy_share: float,
        optional_insurance: bool = False,
    ) -> None:
        """Reconcile every later record against these (``budget`` is the run's live array)."""
        n_firms, n_items = budget0.size, commission_rate.size
        self.budget0, self.budget = budget0, budget
        self.fee_rate, self.com_rate = float(platform_fee), commission_rate
        self.premium_rate, self.subsidy_share = float(premium_rate), float(subsidy_share)
        self.optional_insurance = bool(optional_insurance)  # uninsured deals: premium 0
        self.sold = np.zeros(n_items, bool)
        self.spent = np.zeros(n_firms)  # per firm since the last renewal, from the contracts
        self.carried = 0.0  # budgets spent in past periods, from the budget arrays
        self.totals = dict.fromkeys(("paid", "receipt", "fee", "commission", "premium",
                                     "subsidy", "claims"), 0.0)  # fmt: skip
        self.last_day = -math.inf
        self._bound = True

    def _fail(self, c: Contract, what: str) -> None:
        raise LedgerError(f"item {c.item}, firm {c.firm}, day {c.day:.6g}: {what}")

    def record(self, contract: Contract) -> None:
        if self._bound:
            self._reconcile(contract)
        self.rows.append(contract)

    def _reconcile(self, c: Contract) -> None:
        i, f, price = c.item, c.firm, c.price
        if not (0 <= i < self.sold.size) or not (0 <= f < self.spent.size):
            self._fail(c, "unknown item or firm")
        if self.sold[i]:
            self._fail(c, "exclusive right sold a second time")
        if not (math.isfinite(price) and price >= 0):
            self._fail(c, f"price {price!r} is not a finite non-negative amount")
        if c.day < self.last_day:
            self._fail(c, f"recorded after a contract of day {self.last_day!r}")
        rate = float(self.com_rate[i])
        fee, com = price * self.fee_rate, price * rate
        receipt = price * (1.0 - self.fee_rate - rate)
        premium = price * self.premium_rate
        tol = _REL * max(1.0, price)
        if self.optional_insurance and c.premium == 0.0:
            premium = 0.0  # an uninsured deal
        subsidy = premium * self.subsidy_share
        if c.claim != 0.0 and (premium == 0.0 or abs(c.claim - price) > tol):
            self._fail(c, f"claim {c.claim!r} on a deal at {price!r} (premium {c.premium!r})")
        if (abs(c.fee - fee) > tol or abs(c.commission - com) > tol
                or abs(c.receipt - receipt) > tol or abs(c.premium - premium) > tol
                or abs(c.subsidy - subsidy) > tol
                or abs(c.fee + c.commission + c.receipt - price) > tol):  # fmt: skip
            for name, got, want in (
                ("platform fee", c.fee, fee), ("commission", c.commission, com),
                ("holder's receipt", c.receipt, receipt), ("premium", c.premium, premium),
                ("subsidy", c.subsidy, subsidy),
                ("fee + commission + receipt", c.fee + c.commission + c.receipt, price),
            ):  # fmt: skip
                if abs(got - want) > tol:
                    self._fail(c, f"{name} {got!r}, the rates give {want!r}")
        self.spent[f] += price + (c.premium - c.subsidy) - c.claim
        b0, b = float(self.budget0[f]), float(self.budget[f])
        if abs(b - (b0 - self.spent[f])) > _REL * max(1.0, b0):
            self._fail(c, f"budget array {b!r} != budget {b0!r} less payments"
                          f" {self.spent[f]!r} = {b0 - self.spent[f]!r}")  # fmt: skip
        if b < -_REL * max(1.0, b0):
            self._fail(c, f"budget overdrawn: {b!r} left of {b0!r}")
        self.sold[i] = True
        self.last_day = c.day
        t = self.totals
        t["paid"] += price + c.premium - c.subsidy - c.claim
        t["receipt"] += c.receipt
        t["fee"] += c.fee
        t["commission"] += c.commission
        t["premium"] += c.premium
        t["subsidy"] += c.subsidy
        t["claims"] += c.claim

    def renew(self, day: float) -> None:
        """The budgets are about to be reset: check every firm's budget, carry the spending."""
        if not self._bound:
            return
        left = self.budget0 - self.spent
        bad = np.abs(self.budget - left) > _REL * np.maximum(1.0, np.abs(self.budget0))
        if bad.any():
            f = int(np.argmax(bad))
            raise LedgerError(f"firm {f}, day {day:.6g}: budget array {self.budget[f]!r} !="
                              f" budget less payments {left[f]!r} at renewal")  # fmt: skip
        self.carried += float(np.sum(self.budget0 - self.budget))
        self.spent[:] = 0.0

    def audit(self) -> None:
        """Run-wide identity (module docstring); raise :class:`LedgerError` if it fails."""
        if not self._bound:
            return
        t = self.totals
        from_budgets = self.carried + float(np.sum(self.budget0 - self.budget))
        flows = t["receipt"] + t["fee"] + t["commission"] + t["premium"] - t["subsidy"]
        flows -= t["claims"]
        scale = max(1.0, float(np.sum(self.budget0)))
        if not _close(from_budgets, flows, scale):
            raise LedgerError(f"budgets spent {from_budgets!r} != receipts + fees + commissions"
                              f" + premiums - subsidies - claims {flows!r}")  # fmt: skip
        if self.budget.size and self.budget.min() < -_REL * max(1.0, float(self.budget0.max())):
            f = int(np.argmin(self.budget))
            raise LedgerError(f"firm {f}: budget overdrawn ({self.budget[f]!r})")

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
        np.add.at(spent, (firm, period), a["price"] + a["premium"] - a["subsidy"] - a["claim"])
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
