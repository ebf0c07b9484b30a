"""IP-pledge loans valued from the platform's posterior (``[policy] pledge_share > 0``, issue 16).

The policy names the price's use for "insurance, loans": a firm that buys a result pledges
it for a bank loan with probability ``pledge_share`` (drawn per result, stream ``loans``).
The lender values the collateral from the platform's posterior of the result's log value at
its last pricing, as :func:`auction_sim.pricing.rules.collateral_value` computes: the
``pledge_quantile`` quantile ``exp(mean + pledge_bias_log + z_q sd)``, and lends
``pledge_ltv`` of it (25 % for invention patents is a bank rule in use).
``pledge_bias_log`` injects a bias into the estimate the lender uses (0: the platform's own).
The borrower defaults with probability ``pledge_default_rate``; the lender then sells the
collateral for ``pledge_recovery`` of the result's true value ``exp(theta)`` and loses what
that falls short of the loan.  With ``pledge_holders = true`` the holders of results priced
but unsold at the horizon pledge them too (same draws, same valuation, counted at the
horizon).  Loans are the lender's book: they do not enter the firms' trading budgets or the
ledger.  With ``pledge_share = 0`` (the default) nothing is drawn.

Metrics: ``pledge_volume`` (total lent, currency) and ``loan_loss_rate`` (the lender's
losses / total lent; NaN without a loan).  An upward bias of the estimate raises the loans
against the same true values, so ``loan_loss_rate`` rises with it and falls back without it.
"""

from __future__ import annotations

import numpy as np

from ..pricing.rules import collateral_value
from ..scenario.market import MarketScenario

__all__ = ["Loans"]


class Loans:
    """The pledge loans of one run (per-result draws, the lender's book)."""

    def __init__(
        self, scenario: MarketScenario, n: int, u_pledge: np.ndarray, u_default: np.ndarray
    ):
        p = scenario.policy
        self.on = p.pledge_share > 0.0
        self.ltv, self.q, self.bias = p.pledge_ltv, p.pledge_quantile, p.pledge_bias_log
        self.recovery = p.pledge_recovery
        self.post_var = np.zeros(n)  # the posterior variance of each item's last pricing
        self.lent = self.lost = 0.0
        self.loans = 0
        if self.on:
            self.pledges = u_pledge < p.pledge_share  # a uniform per achievement each
            self.defaults = u_default < p.pledge_default_rate

    def deal(self, i: int, mean: float, value: float) -> None:
        """Item ``i`` was bought: pledge it (posterior ``mean``, true ``value``) if drawn."""
        if not (self.on and self.pledges[i]) or not np.isfinite(mean):
            return
        loan = self.ltv * float(collateral_value(mean + self.bias, self.post_var[i], self.q))
        self.loans += 1
        self.lent += loan
        if self.defaults[i]:
            self.lost += max(0.0, loan - self.recovery * value)

    def metrics(self, unsold=None, mean=None, var=None, value=None) -> dict[str, float]:
        """The lender's book; ``unsold`` (indices): results pledged by their holders at the
        horizon (``pledge_holders``), valued from ``mean``, ``var`` against ``value``."""
        lent, lost = self.lent, self.lost
        if self.on and unsold is not None and len(unsold):
            i = np.asarray(unsold, np.int64)
            i = i[self.pledges[i] & np.isfinite(mean[i])]
            loan = self.ltv * collateral_value(mean[i] + self.bias, var[i], self.q)
            lent += float(loan.sum())
            lost += float(np.maximum(0.0, loan - self.recovery * value[i])[self.defaults[i]].sum())
        return {
            "pledge_volume": lent,
            "loan_loss_rate": lost / lent if lent > 0 else float("nan"),
        }
