"""The model's parameters and results, the prior features and input checks.

* flags: ``NO_REVIEWS``, ``NO_QUOTES`` (achievement flags), ``FEW_REVIEWS``,
  ``REVIEWER_IDLE`` (reviewer flags), OR-ed into uint8 arrays;
* :class:`PricingParams`: ``alpha``, ``bias (J,)`` in score units, ``gamma`` in score
  units per log value, ``noise_var (J,)`` in score units squared, ``shift``,
  ``quote_var``, ``effects (L,)``, ``prior_var``, ``deal_var`` in log-value units
  (natural log of the price) or their squares; ``field_factor`` a ratio;
* :class:`JointResult`: posterior ``mean (n,)`` and ``var (n,)`` of the log value, the
  estimated parameters, flags ``(n,)`` and ``(J,)``;
* :class:`Features`: categorical prior features, ``codes (n, K)`` small ints, ``L`` levels
  in all;
* ``_clean`` (validated float64 copies of a parameter set) and ``_deals`` (``has_deal
  (n,) uint8``, ``deal_y (n,) float64`` log deal prices).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .common import _u

NO_REVIEWS = 1  # achievement flag: no review (posterior from prior and quotes only)
NO_QUOTES = 2  # achievement flag: no quote
FEW_REVIEWS = 1  # reviewer flag: fewer than two reviews (bias and variance prior-dominated)
REVIEWER_IDLE = 2  # reviewer flag: no review at all


class PricingParams(NamedTuple):
    """Parameters of the model in the docstring of :mod:`auction_sim.core.pricing`."""

    alpha: float  # score offset (score units)
    gamma: float  # score scale (score units per log value)
    bias: np.ndarray  # (J,) reviewer biases (score units)
    noise_var: np.ndarray  # (J,) out-of-field noise variance v_j (score units squared)
    field_factor: float  # phi: same-field variance / out-of-field variance
    shift: float  # mean of log quote - log value, log(1 - shading)
    quote_var: float  # variance of log quote noise
    effects: np.ndarray  # (L,) prior effects of every feature level, stacked by feature
    prior_var: float  # variance of theta around its prior mean (inf: flat prior)
    deal_var: float  # variance of log deal price around theta


class JointResult(NamedTuple):
    """Output of :func:`estimate_joint`."""

    mean: np.ndarray  # (n,) posterior mean of theta (log value)
    var: np.ndarray  # (n,) posterior variance of theta
    params: PricingParams  # the estimates
    n_iter: int
    converged: bool
    flags: np.ndarray  # (n,) uint8: NO_REVIEWS | NO_QUOTES
    reviewer_flags: np.ndarray  # (J,) uint8: FEW_REVIEWS | REVIEWER_IDLE


class Features(NamedTuple):
    """Categorical prior features: ``codes[i, k]`` in ``[0, n_levels[k])``.

    The prior mean of achievement ``i`` is ``sum_k effects[offsets[k] + codes[i, k]]``
    (one effect per level of every feature: an additive model, like a one-hot design).
    """

    codes: np.ndarray  # (n, K) small ints
    n_levels: tuple[int, ...]

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.n_levels)[:-1]]).astype(np.int64)

    @property
    def size(self) -> int:
        return int(sum(self.n_levels))


def make_features(codes, n_levels=None) -> Features:
    """Validated :class:`Features` from an ``(n, K)`` integer array (levels counted if not
    given)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError("feature codes must be a 2-d integer array (n_achievements, K)")
    if n_levels is None:
        n_levels = tuple(int(c.max()) + 1 if c.size else 1 for c in codes.T)
    n_levels = tuple(int(x) for x in n_levels)
    if len(n_levels) != codes.shape[1] or any(x < 1 for x in n_levels):
        raise ValueError("one positive level count per feature column")
    dtype = np.uint8 if max(n_levels, default=1) <= 256 else np.int32
    out = np.empty(codes.shape, dtype)
    if codes.size and not _convert_codes(codes, np.array(n_levels, np.int64), out):
        raise ValueError("feature code out of range")
    return Features(out, n_levels)


@njit(cache=True)
def _convert_codes(codes, n_levels, out):
    """``out[:] = codes``; whether every code is in ``[0, n_levels[k])``."""
    ok = True
    for i in range(_u(codes.shape[0])):
        for k in range(_u(codes.shape[1])):
            x = codes[i, k]
            ok &= (x >= 0) & (x < n_levels[k])
            out[i, k] = x
    return ok


def _deals(n, has_deal, deal_y):
    if has_deal is None:
        return np.zeros(n, np.uint8), np.zeros(n)
    has_deal = np.asarray(has_deal).astype(np.uint8)
    deal_y = np.ascontiguousarray(deal_y, np.float64)
    if has_deal.shape != (n,) or deal_y.shape != (n,):
        raise ValueError("has_deal and deal_y must have shape (n_achievements,)")
    if not np.all(np.isfinite(deal_y[has_deal.astype(bool)])):
        raise ValueError("deal prices must be finite")
    return has_deal, deal_y


def _clean(params, n_rev, n_lev):
    p = params._replace(
        bias=np.array(params.bias, np.float64),
        noise_var=np.array(params.noise_var, np.float64),
        effects=np.array(params.effects, np.float64),
    )
    if p.bias.shape != (n_rev,) or p.noise_var.shape != (n_rev,):
        raise ValueError(f"bias and noise_var must have shape ({n_rev},)")
    if p.effects.shape != (n_lev,):
        raise ValueError(f"effects must have shape ({n_lev},)")
    if not (np.all(p.noise_var > 0) and p.field_factor > 0 and p.quote_var > 0
            and p.deal_var > 0 and p.prior_var > 0):  # fmt: skip
        raise ValueError("variances must be positive")
    return p
