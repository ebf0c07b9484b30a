"""Pricing rules on the Gaussian posterior of an achievement's log value.

Every function takes the posterior ``mean`` and ``var`` of the log value (arrays of any
common shape, from :func:`auction_sim.core.pricing.fuse` or ``estimate_joint``) and
returns prices in currency units (the unit of ``exp(log value)``):

* :func:`listing_price` -- the posterior mean value ``exp(mean + var / 2)`` (times a markup),
  or a posterior quantile;
* :func:`reserve_quantile` -- the posterior ``q``-quantile ``exp(mean + z_q sd)``;
* :func:`myerson_reserve` -- the optimal reserve (Myerson 1981) against buyers whose values
  are lognormal with the posterior's law (optionally widened by buyers' own dispersion):
  ``r`` solves ``r - (1 - F(r)) / f(r) = seller_value``, independent of the number of
  buyers;
* :func:`collateral_value` -- a lower posterior quantile times ``1 - haircut``, the value a
  lender puts on IP collateral.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize
from scipy.special import ndtri

__all__ = ["listing_price", "reserve_quantile", "myerson_reserve", "collateral_value"]


def _sd(var):
    var = np.asarray(var, np.float64)
    if np.any(var < 0) or np.any(np.isnan(var)):
        raise ValueError("posterior variances must be >= 0")
    return np.sqrt(var)


def listing_price(mean, var, markup: float = 0.0, quantile: float | None = None):
    """Listing price: posterior mean value ``exp(mean + var/2) * (1 + markup)``, or the
    posterior ``quantile`` times ``1 + markup`` when given."""
    sd = _sd(var)
    mean = np.asarray(mean, np.float64)
    if quantile is None:
        base = np.exp(mean + 0.5 * sd**2)
    else:
        base = reserve_quantile(mean, var, quantile)
    return base * (1.0 + markup)


def reserve_quantile(mean, var, q: float = 0.5):
    """Reserve at the posterior ``q``-quantile of the value, ``0 < q < 1``."""
    if not 0.0 < q < 1.0:
        raise ValueError("q must be in (0, 1)")
    return np.exp(np.asarray(mean, np.float64) + ndtri(q) * _sd(var))


@njit(cache=True)
def _mills(z):
    """(1 - Phi(z)) / phi(z), stable for large z (continued-fraction tail)."""
    if z < 5.0:
        return 0.5 * np.exp(0.5 * z * z) * np.sqrt(2.0 * np.pi) * math.erfc(z / np.sqrt(2.0))
    # asymptotic expansion: 1/z (1 - 1/z^2 + 3/z^4 - 15/z^6)
    z2 = z * z
    return (1.0 - 1.0 / z2 + 3.0 / z2**2 - 15.0 / z2**3) / z


@vectorize(["float64(float64, float64, float64)"], cache=True)
def _myerson(mu, s, v0):
    """Root in z of  1 - s M(z) = v0 exp(-(mu + s z))  (left side increasing, right side
    decreasing in z): the reserve is exp(mu + s z)."""
    if s <= 0.0:
        return max(np.exp(mu), v0)
    lo, hi = -40.0, 40.0
    if v0 > 0.0:  # the root lies above log r = log v0 (r >= v0 since 1 - s M < 1)
        hi = max(hi, (np.log(v0) - mu) / s + 1.0)
    for _ in range(200):
        z = 0.5 * (lo + hi)
        g = 1.0 - s * _mills(z)
        if v0 > 0.0:
            g -= v0 * np.exp(-(mu + s * z))
        if g > 0.0:
            hi = z
        else:
            lo = z
        if hi - lo < 1e-12:
            break
    return np.exp(mu + s * 0.5 * (lo + hi))


def myerson_reserve(mean, var, seller_value=0.0, buyer_sd_log: float = 0.0):
    """Myerson-optimal reserve against lognormal buyer values.

    Buyers' values are ``lognormal(mean, sqrt(var + buyer_sd_log^2))``: the posterior of
    the achievement's value, widened by how much buyers' own values scatter around it.
    The reserve maximizes the seller's expected revenue in any standard auction with
    independent such buyers: ``r - (1 - F(r)) / f(r) = seller_value``.

    Parameters
    ----------
    seller_value : float or ndarray
        The seller's own value of keeping the item (currency, ``>= 0``).
    """
    v0 = np.asarray(seller_value, np.float64)
    if np.any(v0 < 0) or buyer_sd_log < 0:
        raise ValueError("seller_value and buyer_sd_log must be >= 0")
    s = np.sqrt(_sd(var) ** 2 + buyer_sd_log**2)
    return _myerson(np.asarray(mean, np.float64), s, v0)


def collateral_value(mean, var, q: float = 0.1, haircut: float = 0.0):
    """Loan value of IP collateral: the posterior ``q``-quantile times ``1 - haircut``."""
    if not 0.0 <= haircut < 1.0:
        raise ValueError("haircut must be in [0, 1)")
    return reserve_quantile(mean, var, q) * (1.0 - haircut)
