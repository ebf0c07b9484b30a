"""The posterior of every achievement's log value given all parameters (:func:`fuse`).

One E-step pass (:mod:`.estep`) at fixed parameters: ``mean (n,)`` and ``var (n,)`` of
``theta`` (natural log of the value; ``var`` in its square), the oracle when called with
the true parameters and the true prior mean.
"""

from __future__ import annotations

import numpy as np

from .common import _use_parallel
from .estep import _data, _estep
from .layout import QuoteLists, ReviewLists
from .model import Features, PricingParams, _clean, _deals, make_features


def fuse(
    reviews: ReviewLists,
    quotes: QuoteLists,
    params: PricingParams,
    prior_mean: np.ndarray | float = 0.0,
    features: Features | None = None,
    has_deal: np.ndarray | None = None,
    deal_y: np.ndarray | None = None,
    *,
    parallel: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian posterior of every achievement's log value given the parameters.

    Precision-weighted product of the prior ``N(prior_mean + effects, prior_var)``, every
    review (an observation ``(s - alpha - b_j) / gamma`` of precision
    ``gamma^2 / (v_j phi^same)``), every quote (``log q - shift``, precision
    ``1 / quote_var``) and, where ``has_deal``, the deal's log price (``1 / deal_var``).
    The oracle is this with the true parameters and the true prior mean.

    Parameters
    ----------
    prior_mean : float or ndarray, shape (n_achievements,)
        Prior mean added to the feature effects (``params.effects`` over ``features``).

    Returns
    -------
    mean, var : ndarray, shape (n_achievements,)
        Posterior mean and variance of the log value (``var = inf`` only with a flat prior
        and no evidence).
    """
    n = reviews.n_achievements
    if features is None:
        features = make_features(np.zeros((n, 0), np.int64), ())
    base = np.atleast_1d(np.asarray(prior_mean, np.float64))
    if base.size not in (1, n):
        raise ValueError("prior_mean must be a scalar or have shape (n_achievements,)")
    has_deal, deal_y = _deals(n, has_deal, deal_y)
    params = _clean(params, reviews.n_reviewers, features.size)
    mean = np.zeros(n)
    var = np.empty(n)
    data = _data(reviews, quotes, has_deal, deal_y, features, base)
    _estep(data, params, mean, var, _use_parallel(parallel, reviews, quotes), np.empty((0, 0, 8)))
    return mean, var
