"""Price discovery in the market: the platform's pricer, its deal model and price rules.

The market never implements an estimation rule itself: every estimate comes from
:mod:`auction_sim.core.pricing`, and this module only shapes the market's evidence into
its arrays.

* :class:`Pricer`: :func:`auction_sim.core.pricing.estimate_joint` (periodic refit of
  reviewer biases and precisions, quote shift and variance, the prior effects and the deal
  noise on every achievement priced so far, with *corrected* deals) and
  :func:`auction_sim.core.pricing.fuse` (daily posterior of new achievements), with the
  comparable-deal model :class:`auction_sim.pricing.comparables.OnlineRidge` learning from
  corrected deals and the deal model :class:`auction_sim.pricing.deals.DealModel` (offsets
  by mechanism and participants);
* :func:`oracle_params`: the true parameters of the market's signals (the yardstick);
* :func:`price_rules`: listing and reserve prices from posteriors
  (:mod:`auction_sim.pricing.rules`).  Each rule says which quantity it prices: the value
  ``theta`` (reserves, the negotiation's assessed reserve) or the predicted price
  ``theta + mu`` (listing prices; the Myerson reserve, against the buyers' willingness to
  pay).

The trades themselves (auctions, listings, negotiations) are in :mod:`.trades`.
"""

from __future__ import annotations

import math

import numpy as np

from ..achievements import feature_levels
from ..core import pricing as core_pricing
from ..pricing import comparables, rules
from ..pricing.calibration import calibrate
from ..pricing.deals import N_CLASSES, DealModel

__all__ = [
    "Pricer",
    "price_rules",
    "nominal_params",
    "oracle_params",
    "oracle_posterior",
    "ESTIMATORS",
    "MIN_DEALS",
    "MIN_FIT",
]

ESTIMATORS = (
    "joint", "reviews_only", "quotes_only", "comparables_only", "mean_score", "median_quote",
)  # fmt: skip
"""The market's ``[pricing] estimator`` choices (docs/pricing.md)."""


def price_rules(
    mean: np.ndarray,
    var: np.ndarray,
    reserve_rule: str,
    reserve_level: float,
    listing_rule: str,
    listing_level: float,
    buyer_sd_log: float = 0.0,
    price_offset: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Listing and reserve prices (currency) from posteriors of the log value.

    ``mean``/``var`` are the posterior of the value ``theta``; ``price_offset`` is the
    offset ``mu`` of the predicted price ``theta + mu`` of a sale to one buyer (``log w``:
    what a firm pays per unit of its value, a firm's median fit being 1).

    * ``listing_rule = "mean"``: ``listing_level x`` the posterior mean *predicted price*
      ``exp(mean + mu + var / 2)``; ``"quantile"``: its ``listing_level``-quantile;
    * ``reserve_rule = "quantile"``: the posterior ``reserve_level``-quantile of the
      *value*; ``"mean_share"``: ``reserve_level x`` the posterior mean *value*;
      ``"myerson"``: the optimal reserve against lognormal buyers' willingness to pay
      (the *predicted price* ``mean + mu``, ``buyer_sd_log`` wider).
    """
    pmean = np.asarray(mean, np.float64) + price_offset
    if listing_rule == "mean":
        listing = rules.listing_price(pmean, var, markup=listing_level - 1.0)
    else:
        listing = rules.listing_price(pmean, var, quantile=listing_level)
    if reserve_rule == "quantile":
        reserve = rules.reserve_quantile(mean, var, reserve_level)
    elif reserve_rule == "mean_share":
        reserve = rules.listing_price(mean, var, markup=reserve_level - 1.0)
    else:
        reserve = rules.myerson_reserve(pmean, var, 0.0, buyer_sd_log)
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


def oracle_params(
    bias: np.ndarray,
    sd: np.ndarray,
    field_noise_factor: float,
    shift: float,
    quote_var: float,
    prior_var: float,
):
    """The true parameters of the market's signals, in the platform's score units (scores
    rescaled by the known appraisal scale, so ``alpha = 0``, ``gamma = 1``): reviewer
    biases and noise variances, the same-field variance ratio, the quote shift and
    variance of the quoting firms (shading and their log fit), the prior variance of
    ``theta`` around ``x . beta`` (no effects: the prior mean is passed to ``fuse``)."""
    return core_pricing.PricingParams(
        alpha=0.0, gamma=1.0, bias=np.asarray(bias, np.float64),
        noise_var=np.asarray(sd, np.float64) ** 2, field_factor=float(field_noise_factor) ** 2,
        shift=float(shift), quote_var=float(quote_var), effects=np.zeros(0),
        prior_var=float(prior_var), deal_var=1.0,
    )  # fmt: skip


def oracle_posterior(n_reviewers, params, prior_mean, ach, reviewer, score, same, q_ach,
                     log_quote):  # fmt: skip
    """The oracle's posterior of a batch: :func:`auction_sim.core.pricing.fuse` with the true
    parameters (:func:`oracle_params`) and the true prior mean, from the same signals."""
    n = prior_mean.shape[0]
    rl = core_pricing.build_reviews(n, n_reviewers, ach, reviewer, score, same)
    ql = core_pricing.build_quotes(n, q_ach, log_quote)
    return core_pricing.fuse(rl, ql, params=params, prior_mean=prior_mean, parallel=False)


def _usable(params) -> bool:
    """Finite parameters with positive variances (a degenerate fit is not used)."""
    scalars = (params.alpha, params.gamma, params.shift, params.field_factor,
               params.quote_var, params.deal_var, params.prior_var)  # fmt: skip
    ok = all(np.isfinite(x) for x in scalars[:3])
    ok = ok and all(x > 0 and np.isfinite(x) for x in scalars[3:6]) and params.prior_var > 0
    return bool(ok and np.all(np.isfinite(params.bias)) and np.all(params.noise_var > 0))


class Pricer:
    """Price discovery over a run: deal offsets, comparable deals, joint refits, posteriors.

    * the deal model (:class:`auction_sim.pricing.deals.DealModel`) learns the offset of
      each deal class (mechanism x participants x markup) from the log price minus the
      item's posterior mean when it was priced (before its deal); deals enter everything
      else *corrected*, ``log price - mu_c``;
    * the comparable-deal model (:class:`auction_sim.pricing.comparables.OnlineRidge`,
      corrected log deal price on one-hot field, evaluated readiness and holder) gives a
      new achievement its prior mean; it is rebuilt at every refit with the current
      offsets;
    * every ``refit_days`` the joint estimator
      (:func:`auction_sim.core.pricing.estimate_joint`) is refitted on every achievement
      priced so far (an unselected population): reviewer biases and precisions, quote
      shift and variance, the prior effects and variance, the deal noise.  The score scale
      is the platform's own appraisal scale (scores arrive rescaled to log-value units),
      so the level of ``theta`` is anchored by the reviews (biases sum to zero over the
      pool), never by the selected deals;
    * new achievements get :func:`auction_sim.core.pricing.fuse` posteriors.

    ``estimator`` picks the channels (:data:`ESTIMATORS`): ``joint`` all of them;
    ``reviews_only`` / ``quotes_only`` the joint model on one signal with the
    ``N(0, prior_var)`` prior; ``comparables_only`` the comparable-deal prior alone;
    ``mean_score`` / ``median_quote`` the laboratory's baselines, calibrated on corrected
    deals (:func:`auction_sim.pricing.calibration.calibrate`).

    Before the first refit (``MIN_FIT`` achievements priced) scores and quotes are taken at
    face value (:func:`nominal_params`); before ``MIN_DEALS`` deals there is no
    comparable-deal prior.  A refit that fails or returns degenerate variances is counted
    in ``failed_fits`` and not used.
    """

    def __init__(self, n_reviewers: int, n_fields: int, prior_var: float, penalty: float,
                 max_iter: int = 50, estimator: str = "joint", fit_sd: float = 0.0,
                 log_willingness: float = 0.0):  # fmt: skip
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {estimator!r}")
        self.estimator = estimator
        self.use_reviews = estimator in ("joint", "reviews_only", "mean_score")
        self.use_quotes = estimator in ("joint", "quotes_only", "median_quote")
        self.n_reviewers = n_reviewers
        self.levels = feature_levels(n_fields)
        self.prior_var = float(prior_var)
        self.max_iter = max_iter
        self.params = nominal_params(n_reviewers, prior_var)
        self.fitted = False  # a joint refit with learned prior effects is in use
        self.failed_fits = 0
        self.iterations = 0  # EM iterations of all refits
        self.warm = False  # a refit succeeded: the next one starts from its parameters
        self.n_cols = sum(self.levels) - len(self.levels)
        self.penalty = penalty
        self.ridge = comparables.OnlineRidge(self.n_cols, penalty)
        self.deals = DealModel(fit_sd, log_willingness)
        self.calibration = None  # the baselines' calibration on corrected deals
        # moments of every deal so far, raw log prices, by class: the comparable-deal model
        # on corrected deals is rebuilt from them (X'y and y'y shift by the offsets)
        p = self.n_cols + 1
        self._xtx = np.zeros((p, p))
        self._xty = np.zeros(p)
        self._yty = 0.0
        self._sz = np.zeros((N_CLASSES, p))  # per class: sum of the design rows
        self._sy = np.zeros(N_CLASSES)  # per class: sum of log prices
        self._n = np.zeros(N_CLASSES)

    def _lists(self, n, ach, reviewer, score, same, q_ach, log_quote):
        if not self.use_reviews:
            ach = reviewer = np.zeros(0, np.int64)
            score, same = np.zeros(0), np.zeros(0, bool)
        if not self.use_quotes:
            q_ach, log_quote = np.zeros(0, np.int64), np.zeros(0)
        rl = core_pricing.build_reviews(n, self.n_reviewers, ach, reviewer, score, same)
        ql = core_pricing.build_quotes(n, q_ach, log_quote)
        return rl, ql

    def add_deals(self, codes, cls, log_price, pre_mean) -> None:
        """Completed deals: feature codes ``(k, 3)``, classes, log prices and the items'
        posterior means when they were priced, shape ``(k,)`` each."""
        if len(log_price) == 0:
            return
        self.deals.add(cls, log_price, pre_mean)
        cls = np.asarray(cls, np.int64)
        y = np.asarray(log_price, np.float64)
        X = comparables.one_hot(codes, self.levels)
        Z = np.hstack([np.ones((X.shape[0], 1)), X])
        self._xtx += Z.T @ Z
        self._xty += Z.T @ y
        self._yty += float(y @ y)
        np.add.at(self._sz, cls, Z)
        self._sy += np.bincount(cls, weights=y, minlength=N_CLASSES)
        self._n += np.bincount(cls, minlength=N_CLASSES)
        self.ridge.update(X, self.deals.correct(cls, y))

    def _rebuild_comparables(self) -> None:
        """The comparable-deal model on every deal, corrected with the current offsets."""
        n = int(self._n.sum())
        if n == 0:
            return
        mu = self.deals.offsets
        xty = self._xty - mu @ self._sz
        yty = self._yty - 2.0 * float(mu @ self._sy) + float(self._n @ (mu * mu))
        self.ridge = comparables.OnlineRidge.from_moments(self.n_cols, self.penalty, self._xtx,
                                                          xty, yty, n)  # fmt: skip

    def corrected(self, cls, log_price) -> np.ndarray:
        """Corrected deals ``log price - mu_c`` with the current offsets."""
        return self.deals.correct(cls, log_price)

    def _fit(self, codes, lists, has_deal=None, deal_y=None):
        learn_prior = self.estimator == "joint"
        try:
            with np.errstate(all="ignore"):
                res = core_pricing.estimate_joint(
                    *lists,
                    features=core_pricing.make_features(codes, self.levels) if learn_prior
                    else None,
                    has_deal=has_deal, deal_y=deal_y, learn_scale=False, learn_prior=learn_prior,
                    prior_var=self.prior_var, max_iter=self.max_iter, tol=1e-4, parallel=False,
                    init=self._init(learn_prior),
                )  # fmt: skip
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            self.failed_fits += 1  # keep the last good parameters
            return
        self.iterations += res.n_iter
        if _usable(res.params):
            self.params = res.params
            self.fitted = learn_prior
            self.warm = True
        else:
            self.failed_fits += 1

    def _init(self, learn_prior: bool):
        """The last refit's parameters as the next one's start (a warm start: the data grow
        by a month between refits, so EM starts near its fixed point); ``None`` before."""
        p = self.params
        if not self.warm or (learn_prior and not self.fitted) or p.bias.size != self.n_reviewers:
            return None
        return p if learn_prior else p._replace(effects=np.zeros(0))

    def refit(self, codes, ach, reviewer, score, same, q_ach, log_quote, has_deal, deal_cls,
              deal_logp, stats=None):  # fmt: skip
        """Refit on every achievement priced so far (corrected deals where they closed).

        ``deal_cls`` and ``deal_logp`` are the class and log price of each item's deal
        (ignored where ``has_deal`` is false).  ``stats`` (the baselines only): each
        item's score and quote statistics ``(mean score, median quote)``.
        """
        self._rebuild_comparables()
        n = codes.shape[0]
        est = self.estimator
        if est in ("mean_score", "median_quote"):
            d = np.flatnonzero(has_deal)
            if d.size >= MIN_DEALS and stats is not None:
                y = self.corrected(deal_cls[d], deal_logp[d])
                ms, mq = stats
                with np.errstate(all="ignore"):
                    cal = calibrate(y, ms[d], mq[d])
                if all(np.isfinite(x) for x in (cal.alpha, cal.gamma, cal.shift)) and cal.gamma:
                    self.calibration = cal
            return
        if est == "comparables_only" or n < MIN_FIT:
            return
        deal_y = np.where(has_deal, self.corrected(deal_cls, deal_logp), 0.0)
        use_deals = est == "joint"
        self._fit(codes, self._lists(n, ach, reviewer, score, same, q_ach, log_quote),
                  has_deal if use_deals else None, deal_y if use_deals else None)  # fmt: skip

    def baseline_stats(self, n, ach, score, q_ach, log_quote):
        """Per item: mean (rescaled) score and median log quote (NaN where none)."""
        rl = core_pricing.build_reviews(n, max(self.n_reviewers, 1), ach,
                                        np.zeros(ach.size, np.int64), score,
                                        np.zeros(ach.size, bool))  # fmt: skip
        ql = core_pricing.build_quotes(n, q_ach, log_quote)
        ms = core_pricing.achievement_mean(rl.ach_ptr, rl.score)
        mq = core_pricing.achievement_median(ql.q_ptr, ql.log_quote)
        return ms, mq

    def _baseline(self, n, ach, score, q_ach, log_quote):
        ms, mq = self.baseline_stats(n, ach, score, q_ach, log_quote)
        cal = self.calibration
        if self.estimator == "mean_score":
            a, g = (cal.alpha, cal.gamma) if cal else (0.0, 1.0)
            sd = cal.score_sd if cal and np.isfinite(cal.score_sd) else math.sqrt(self.prior_var)
            m = (ms - a) / g
        else:
            sh = cal.shift if cal else 0.0
            sd = cal.quote_sd if cal and np.isfinite(cal.quote_sd) else math.sqrt(self.prior_var)
            m = mq - sh
        none = ~np.isfinite(m)
        mean = np.where(none, 0.0, m)
        var = np.where(none, self.prior_var, max(sd * sd, PRIOR_VAR_FLOOR))
        return mean, var

    def prior(self, codes):
        """Prior mean and variance of the log value of a batch (the channels' prior)."""
        n = codes.shape[0]
        est = self.estimator
        if est in ("joint", "comparables_only") and self.ridge.n >= MIN_DEALS:
            mean = self.ridge.predict(comparables.one_hot(codes, self.levels))
            if est == "joint" and self.fitted:
                return mean, self.params.prior_var
            return mean, max(self.ridge.residual_var, PRIOR_VAR_FLOOR)
        if est == "joint" and self.fitted:
            feats = core_pricing.make_features(codes, self.levels)
            eff = self.params.effects
            mean = eff[feats.offsets[None, :] + feats.codes.astype(np.int64)].sum(axis=1)
            return mean, self.params.prior_var
        return np.zeros(n), self.prior_var

    def posterior(self, codes, ach, reviewer, score, same, q_ach, log_quote):
        """Posterior mean and variance of the log value of a batch, shape ``(n,)`` each."""
        n = codes.shape[0]
        if self.estimator in ("mean_score", "median_quote"):
            return self._baseline(n, ach, score, q_ach, log_quote)
        prior_mean, prior_var = self.prior(codes)
        if self.estimator == "comparables_only":
            return prior_mean, np.full(n, prior_var)
        lists = self._lists(n, ach, reviewer, score, same, q_ach, log_quote)
        params = self.params._replace(prior_var=prior_var, effects=np.zeros(0))
        return core_pricing.fuse(*lists, params=params, prior_mean=prior_mean, parallel=False)
