"""Price discovery in the market: the platform's pricer and its price rules.

The market never implements an estimation rule itself: every estimate comes from
:mod:`auction_sim.core.pricing`, and this module only shapes the market's evidence into
its arrays.

* :class:`Pricer`: :func:`auction_sim.core.pricing.estimate_joint` (periodic refit of
  reviewer biases, score calibration, quote shift and the comparable-deal prior on every
  achievement priced so far, with completed deals as anchors) and
  :func:`auction_sim.core.pricing.fuse` (daily posterior of new achievements), with the
  comparable-deal model :class:`auction_sim.pricing.comparables.OnlineRidge`;
* :func:`price_rules`: listing and reserve prices from posteriors
  (:mod:`auction_sim.pricing.rules`).

The trades themselves (auctions, listings, negotiations) are in :mod:`.trades`.
"""

from __future__ import annotations

import numpy as np

from ..achievements import feature_levels
from ..core import pricing as core_pricing
from ..pricing import comparables, rules

__all__ = ["Pricer", "price_rules", "nominal_params", "MIN_DEALS", "MIN_FIT"]


def price_rules(
    mean: np.ndarray,
    var: np.ndarray,
    reserve_rule: str,
    reserve_level: float,
    listing_rule: str,
    listing_level: float,
    buyer_sd_log: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Listing and reserve prices (currency) from posteriors of the log value.

    Delegates to :mod:`auction_sim.pricing.rules`: ``listing_rule = "mean"`` is
    ``listing_level x`` the posterior mean value, ``"quantile"`` the posterior
    ``listing_level``-quantile; ``reserve_rule = "quantile"`` the posterior
    ``reserve_level``-quantile, ``"mean_share"`` ``reserve_level x`` the posterior mean
    value, ``"myerson"`` the optimal reserve against lognormal buyers.
    """
    if listing_rule == "mean":
        listing = rules.listing_price(mean, var, markup=listing_level - 1.0)
    else:
        listing = rules.listing_price(mean, var, quantile=listing_level)
    if reserve_rule == "quantile":
        reserve = rules.reserve_quantile(mean, var, reserve_level)
    elif reserve_rule == "mean_share":
        reserve = rules.listing_price(mean, var, markup=reserve_level - 1.0)
    else:
        reserve = rules.myerson_reserve(mean, var, 0.0, buyer_sd_log)
    return listing, reserve


MIN_DEALS = 20
"""Deals needed before the score calibration and the comparable-deal prior are learned."""

MIN_FIT = 100
"""Achievements priced before the first joint refit (smaller sets overfit the variances)."""

PRIOR_VAR_FLOOR = 1e-4
"""Smallest prior variance taken from the comparable-deal model (a residual variance of a
handful of deals can be near zero; not the estimator's numerical variance floor of 1e-10 in
:mod:`auction_sim.core.pricing`)."""


def nominal_params(n_reviewers: int, prior_var: float):
    """The platform's parameters before any fit: scores taken at face value (offset 0,
    scale 1, no biases, unit noise), quotes unshaded with unit noise, a ``N(0, prior_var)``
    prior."""
    fields = core_pricing.PricingParams._fields
    values = {
        "alpha": 0.0, "gamma": 1.0, "bias": np.zeros(n_reviewers),
        "noise_var": np.ones(n_reviewers), "field_factor": 1.0, "shift": 0.0,
        "quote_var": 1.0, "effects": np.zeros(0), "beta": np.zeros(0),
        "prior_var": float(prior_var), "deal_var": 1.0,
    }  # fmt: skip
    return core_pricing.PricingParams(**{f: values[f] for f in fields})


def _usable(params) -> bool:
    """Finite parameters with positive variances (a degenerate fit is not used)."""
    scalars = (params.alpha, params.gamma, params.shift, params.field_factor,
               params.quote_var, params.deal_var, params.prior_var)  # fmt: skip
    ok = all(np.isfinite(x) for x in scalars[:3])
    ok = ok and all(x > 0 and np.isfinite(x) for x in scalars[3:6]) and params.prior_var > 0
    return bool(ok and np.all(np.isfinite(params.bias)) and np.all(params.noise_var > 0))


class Pricer:
    """Price discovery over a run: the comparable-deal model, joint refits, daily posteriors.

    * the comparable-deal model (:class:`auction_sim.pricing.comparables.OnlineRidge`,
      log deal price on one-hot field, readiness and holder) is updated as deals
      complete and gives each new achievement its prior mean and variance;
    * every ``refit_days`` the joint estimator
      (:func:`auction_sim.core.pricing.estimate_joint`) is refitted on every
      achievement priced so far, with the completed deals as anchors: reviewer
      biases and precisions, the score calibration and the quote shift;
    * new achievements get :func:`auction_sim.core.pricing.fuse` posteriors from
      those parameters and the comparable-deal prior.

    Before the first refit (``MIN_FIT`` achievements priced) the platform takes scores
    and quotes at face value (:func:`nominal_params`); before ``MIN_DEALS`` deals it
    keeps the nominal score scale and a ``N(0, prior_var)`` prior.  A refit that fails
    or returns degenerate variances is counted in ``failed_fits`` and not used.
    """

    def __init__(self, n_reviewers: int, n_fields: int, prior_var: float, penalty: float,
                 max_iter: int = 50):  # fmt: skip
        self.n_reviewers = n_reviewers
        self.levels = feature_levels(n_fields)
        self.prior_var = float(prior_var)
        self.max_iter = max_iter
        self.params = nominal_params(n_reviewers, prior_var)
        self.failed_fits = 0
        n_cols = sum(self.levels) - len(self.levels)
        self.ridge = comparables.OnlineRidge(n_cols, penalty)

    def _lists(self, n, ach, reviewer, score, same, q_ach, log_quote):
        rl = core_pricing.build_reviews(n, self.n_reviewers, ach, reviewer, score, same)
        ql = core_pricing.build_quotes(n, q_ach, log_quote)
        return rl, ql

    def add_deals(self, codes: np.ndarray, log_price: np.ndarray) -> None:
        """Completed deals (feature codes ``(k, 3)``, log prices ``(k,)``) into the model."""
        if len(log_price):
            self.ridge.update(comparables.one_hot(codes, self.levels), log_price)

    def _fit(self, codes, lists, has_deal=None, deal_y=None):
        n_deals = 0 if has_deal is None else int(np.count_nonzero(has_deal))
        learn = n_deals >= MIN_DEALS
        try:
            with np.errstate(all="ignore"):
                res = core_pricing.estimate_joint(
                    *lists, features=core_pricing.make_features(codes, self.levels),
                    has_deal=has_deal, deal_y=deal_y, learn_scale=learn, learn_prior=learn,
                    prior_var=self.prior_var, max_iter=self.max_iter, tol=1e-4, parallel=False,
                )  # fmt: skip
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            self.failed_fits += 1  # keep the last good parameters
            return
        if _usable(res.params):
            self.params = res.params
        else:
            self.failed_fits += 1

    def refit(self, codes, ach, reviewer, score, same, q_ach, log_quote, has_deal, deal_y):
        """Joint estimate on every achievement priced so far (deals anchor the level)."""
        n = codes.shape[0]
        if n >= MIN_FIT:
            self._fit(codes, self._lists(n, ach, reviewer, score, same, q_ach, log_quote),
                      has_deal, deal_y)  # fmt: skip

    def posterior(self, codes, ach, reviewer, score, same, q_ach, log_quote):
        """Posterior mean and variance of the log value of a batch, shape ``(n,)`` each."""
        n = codes.shape[0]
        lists = self._lists(n, ach, reviewer, score, same, q_ach, log_quote)
        if self.ridge.n >= MIN_DEALS:
            prior_mean = self.ridge.predict(comparables.one_hot(codes, self.levels))
            prior_var = max(self.ridge.residual_var, PRIOR_VAR_FLOOR)
        else:
            prior_mean, prior_var = np.zeros(n), self.prior_var
        # the comparable-deal model replaces the joint fit's own prior effects
        params = self.params._replace(prior_var=prior_var, effects=np.zeros(0))
        return core_pricing.fuse(*lists, params=params, prior_mean=prior_mean, parallel=False)
