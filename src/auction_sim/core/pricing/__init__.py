"""Price discovery kernels: review/inquiry estimation and evidence fusion (DESIGN §6).

The model.  Achievement ``i`` has a latent log value ``theta_i ~ N(x_i . beta, prior_var)``
(``x_i . beta``: additive effects of categorical features, see :class:`Features`).
Review ``r`` of achievement ``i`` by reviewer ``j`` scores

    s_r = alpha + gamma * theta_i + b_j + e_r,   e_r ~ N(0, v_j * phi ** same_r)

(``b_j`` the reviewer's bias, ``v_j`` its out-of-field noise variance, ``phi`` the variance
ratio of same-field reviews, ``same_r`` 1 when reviewer and achievement share a field).
Quote ``k`` is ``log q_k = theta_i + shift + eps_k``, ``eps_k ~ N(0, quote_var)``, where
``shift = log(1 - shading)`` (quotes understate).  A completed deal observes
``y_i = theta_i + eta_i``, ``eta_i ~ N(0, deal_var)``: deals anchor the level of ``theta``
and so calibrate the score scale ``(alpha, gamma)`` and the quote shift.

Data layout (built once by :func:`build_reviews` / :func:`build_quotes`): compressed
sparse rows, review-level index arrays int32 (memory bandwidth is the cost here):

* achievement -> reviews: ``ach_ptr (n+1,) int64``, ``reviewer (R,) int32``,
  ``score (R,) float64``, ``same (R,) uint8``;
* reviewer -> reviews: ``rev_ptr (J+1,) int64``, ``rev_ach (R,) int32``, ``rev_score``,
  ``rev_same``;
* achievement -> quotes: ``q_ptr (n+1,) int64``, ``log_quote (Q,) float64``.

Both are built in one parallel pass over the raw arrays when these are in achievement order
(checks, copies and the CSR pointer together; a counting sort otherwise).  The E-step
streams a slimmer copy (:func:`_data`: uint16 review keys, the mean log quote, one byte of
quote count and deal flag, one cell code for the prior features), about 80 bytes per
achievement with 5 reviews and 3 quotes.

Kernels:

* :func:`fuse` -- the Gaussian posterior (mean, variance) of every ``theta_i`` given all
  parameters: prior, review and quote evidence multiplied together (the E-step, and the
  oracle when called with the true parameters);
* :func:`estimate_joint` -- EM (ECM) over the latent ``theta`` and the parameters
  ``alpha, gamma, b, v, phi, shift, quote_var, effects, prior_var, deal_var``: an
  achievement-parallel E-step that also scatters each reviewer's sufficient statistics
  into per-chunk copies (or, for very large pools, a reviewer-parallel gather over the
  reviewer CSR), then closed-form M-steps, a one-step move of the common level to where
  the deals put it, and SQUAREM extrapolation.  Identifiability is explicit: biases sum
  to zero (their mean moves into ``alpha``) and carry a weak ``N(0, bias_prior_sd**2)``
  prior; reviewer variances carry a weak inverse-gamma prior (``var_prior_weight`` pseudo
  reviews at the pooled variance), so a reviewer with one review gets no zero variance.
  Iterates until the largest change of a posterior mean and of a bias in one EM step is
  below ``tol``, at most ``max_iter`` E-steps.  Large problems (from 800 000
  achievements) start from a loose fit on every 32nd achievement (a warm start: fewer
  full passes, same fixed point);
* :func:`achievement_mean`, :func:`achievement_median` -- per-achievement mean / median of
  a CSR value list (the ``mean_score`` and ``median_quote`` baselines).

Results do not depend on the number of threads: the achievement pass is split into a fixed
number of chunks whose partial sums are reduced in order.

Modules, each importing only from those above it:

* :mod:`.common` -- ``N_CHUNKS``, thresholds, the uint64 index helper;
* :mod:`.model` -- flags, :class:`PricingParams`, :class:`JointResult`, :class:`Features`;
* :mod:`.layout` -- :func:`build_reviews`, :func:`build_quotes` (the CSR lists);
* :mod:`.estep` -- the E-step layout and pass;
* :mod:`.posterior` -- :func:`fuse`;
* :mod:`.mstep` -- reviewer statistics and the M-steps;
* :mod:`.start` -- start values (one set-up pass);
* :mod:`.em` -- :func:`estimate_joint`, SQUAREM, the warm start;
* :mod:`.baselines` -- :func:`achievement_mean`, :func:`achievement_median`.
"""

from .baselines import achievement_mean, achievement_median
from .common import N_CHUNKS as N_CHUNKS
from .em import estimate_joint
from .layout import QuoteLists, ReviewLists, build_quotes, build_reviews
from .model import (
    FEW_REVIEWS,
    NO_QUOTES,
    NO_REVIEWS,
    REVIEWER_IDLE,
    Features,
    JointResult,
    PricingParams,
    make_features,
)
from .posterior import fuse

__all__ = [
    "NO_REVIEWS",
    "NO_QUOTES",
    "FEW_REVIEWS",
    "REVIEWER_IDLE",
    "ReviewLists",
    "QuoteLists",
    "PricingParams",
    "Features",
    "make_features",
    "JointResult",
    "build_reviews",
    "build_quotes",
    "fuse",
    "estimate_joint",
    "achievement_mean",
    "achievement_median",
]
