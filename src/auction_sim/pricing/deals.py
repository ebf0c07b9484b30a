"""The deal model: a completed deal is a *selected* signal of the latent log value.

A deal's log price is ``y = theta + mu_c + eta`` (DESIGN §6): ``mu_c`` an offset that
depends on how the price was made -- the deal's class ``c`` = mechanism (timed auction,
listing, negotiation) x number of participants (bidders, intents; 1, 2, 3, 4 or more) x
whether the holder's prices carried the liability markup -- and ``eta`` the deal's own
noise.  The platform knows its mechanism, so it corrects for the offset: the corrected deal
``y - mu_c`` is what the estimator and the comparable-deal model learn from.

The offsets are estimated, with a derived value as their prior:

* **estimated**: ``mu_c`` is the mean, over the class's deals, of the log price minus the
  platform's posterior mean of the item *before* its deal (from the unselected evidence:
  prior, reviews, quotes), shrunk towards the derived value with ``prior_deals``
  pseudo-deals;
* **derived** (from the value model): with ``k >= 2`` competing buyers the price is set by
  the runner-up, ``mu = log w + fit_sd E[Z_(k-1:k)]`` (``w`` what a firm pays per unit of
  value, ``Z_(k-1:k)`` the second-highest of ``k`` standard normals); a single buyer pays
  a price the platform set itself, which carries no offset of its own (``mu = 0``).

The level of ``theta`` is not taken from the deals: a corrected deal agrees on average with
the unselected evidence of its class, so deals inform the relative values and the noise, and
the anchor is the reviews (see ``docs/pricing.md``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DealModel", "deal_class", "N_CLASSES", "runner_up_offset", "MECHANISMS"]

MECHANISMS = ("auction", "listing", "negotiation")
MAX_PARTICIPANTS = 4  # participant buckets 1, 2, 3, 4+
N_CLASSES = len(MECHANISMS) * MAX_PARTICIPANTS * 2


def deal_class(mechanism: int, participants: int, marked_up: bool) -> int:
    """Class index of a deal: ``mechanism`` 0 auction, 1 listing, 2 negotiation."""
    k = min(max(int(participants), 1), MAX_PARTICIPANTS) - 1
    return (int(mechanism) * MAX_PARTICIPANTS + k) * 2 + int(bool(marked_up))


def _second_of(k: int) -> float:
    """E[Z_(k-1:k)]: the mean of the second-highest of ``k`` standard normals (quadrature)."""
    if k < 2:
        return 0.0
    z = np.linspace(-8.0, 8.0, 4001)
    phi = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))
    dens = k * (k - 1) * cdf ** (k - 2) * (1.0 - cdf) * phi
    f = z * dens
    return float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(z)))  # trapezoid rule


def runner_up_offset(k: int, fit_sd: float, log_willingness: float) -> float:
    """Derived offset of a price set by the runner-up of ``k`` buyers (0 for ``k < 2``)."""
    if k < 2:
        return 0.0
    return log_willingness + fit_sd * _second_of(k)


class DealModel:
    """Offsets ``mu_c`` by deal class, estimated from deals against the pre-deal posterior.

    Parameters
    ----------
    fit_sd, log_willingness : float
        The value model's spread of firms' log fit and ``log w`` (for the derived offsets).
    prior_deals : float
        Pseudo-deals at the derived offset in each class's estimate.
    """

    def __init__(self, fit_sd: float, log_willingness: float, prior_deals: float = 5.0):
        self.prior_deals = float(prior_deals)
        derived = np.zeros(N_CLASSES)
        for m in range(len(MECHANISMS)):
            for k in range(1, MAX_PARTICIPANTS + 1):
                for mk in (0, 1):
                    # listings and auctions with competition: the runner-up sets the price
                    kk = k if m < 2 else 1
                    derived[deal_class(m, k, bool(mk))] = runner_up_offset(
                        kk, fit_sd, log_willingness
                    )
        self.derived = derived
        self._sum = np.zeros(N_CLASSES)
        self._n = np.zeros(N_CLASSES)

    def add(self, cls: np.ndarray, log_price: np.ndarray, pre_mean: np.ndarray) -> None:
        """Deals of classes ``cls`` with log prices and the item's posterior mean before."""
        cls = np.asarray(cls, np.int64)
        r = np.asarray(log_price, np.float64) - np.asarray(pre_mean, np.float64)
        self._sum += np.bincount(cls, weights=r, minlength=N_CLASSES)
        self._n += np.bincount(cls, minlength=N_CLASSES)

    @property
    def offsets(self) -> np.ndarray:
        """``mu_c`` of every class, shape ``(N_CLASSES,)``."""
        k0 = self.prior_deals
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = (self._sum + k0 * self.derived) / (self._n + k0)
        return np.where(self._n + k0 > 0, mu, self.derived)  # no deal, no prior: derived

    @property
    def counts(self) -> np.ndarray:
        return self._n.copy()

    def correct(self, cls: np.ndarray, log_price: np.ndarray) -> np.ndarray:
        """Corrected deals ``y - mu_c``: signals of ``theta`` itself."""
        return np.asarray(log_price, np.float64) - self.offsets[np.asarray(cls, np.int64)]
