"""Calibration of the score scale and the quote shading against completed deals.

Deals observe an achievement's log value (with noise).  Regressing the achievements' mean
review score on their deal log price gives the score scale (``score = alpha + gamma *
log value``); the mean of ``log quote - log price`` gives the quote shift, hence the
shading ``1 - exp(shift)``.  The baselines use this directly; the joint estimator starts
from it and then re-estimates both jointly with everything else
(:func:`auction_sim.core.pricing.estimate_joint`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Calibration", "calibrate"]


class Calibration(NamedTuple):
    alpha: float  # score offset
    gamma: float  # score points per unit log value
    shift: float  # mean log quote - log value = log(1 - shading)
    score_sd: float  # sd of (mean score - alpha) / gamma around the deal log price
    quote_sd: float  # sd of (quote statistic - shift) around the deal log price
    n_deals: int

    @property
    def shading(self) -> float:
        return float(1.0 - np.exp(self.shift))


def calibrate(deal_y: np.ndarray, score_stat: np.ndarray, quote_stat: np.ndarray) -> Calibration:
    """Fit the score scale and the quote shift on deals.

    Parameters
    ----------
    deal_y : ndarray, shape (n_deals,)
        Log deal prices.
    score_stat, quote_stat : ndarray, shape (n_deals,)
        The deals' per-achievement review statistic (mean score) and log-quote statistic
        (median or mean); NaN where an achievement has none (left out of that fit).

    Returns
    -------
    Calibration
        Residual sds are those of the calibrated estimates around the deal log prices
        (so they include the deal price noise: a conservative predictive sd).
    """
    y = np.asarray(deal_y, np.float64)
    s = np.asarray(score_stat, np.float64)
    q = np.asarray(quote_stat, np.float64)
    alpha, gamma, score_sd = 0.0, 1.0, np.inf
    ok = np.isfinite(s)
    if ok.sum() >= 3 and np.var(y[ok]) > 0:
        gamma, alpha = np.polyfit(y[ok], s[ok], 1)
        if not (np.isfinite(gamma) and abs(gamma) > 1e-9):
            alpha, gamma = float(np.mean(s[ok] - y[ok])), 1.0
        score_sd = float(np.std((s[ok] - alpha) / gamma - y[ok], ddof=2))
    shift, quote_sd = 0.0, np.inf
    ok = np.isfinite(q)
    if ok.sum() >= 2:
        shift = float(np.mean(q[ok] - y[ok]))
        quote_sd = float(np.std(q[ok] - shift - y[ok], ddof=1))
    return Calibration(float(alpha), float(gamma), shift, score_sd, quote_sd, int(y.size))
