"""The ``pricing`` kind: price discovery for one population of achievements per replication.

``run_point(scenario, seed)`` simulates a population (:func:`auction_sim.pricing.population.
simulate`), prices it with the scenario's estimator, and scores the posterior of every
achievement *without* a completed deal (the ones the platform must price) against the true
log value.  The yardstick is the oracle: the exact posterior with the true parameters.
"""

from __future__ import annotations

import numpy as np

from ..core.pricing import fuse
from ..pricing.comparables import OnlineRidge, one_hot
from ..pricing.population import estimate, oracle, simulate
from ..scenario.pricing import PricingScenario

__all__ = ["METRICS", "run_point"]

METRICS = (
    "rmse_log",
    "oracle_rmse_log",
    "coverage90",
    "bias_log",
    "rmse_ratio",
    "oracle_coverage90",
    "shading_hat",
    "iterations",
    "comparables_rmse_log",
)
Z90 = 1.6448536269514722  # standard normal 0.95 quantile: central 90 % interval


def run_point(scenario: PricingScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication.

    Returns
    -------
    dict
        ``rmse_log`` root mean squared error of the posterior mean log value;
        ``oracle_rmse_log`` the same for the oracle posterior; ``coverage90`` share of
        true log values inside the central 90 % posterior interval; ``bias_log`` mean
        error (estimate - truth); ``rmse_ratio`` rmse / oracle rmse; ``oracle_coverage90``;
        ``shading_hat`` the estimated quote shading (NaN for ``mean_score``);
        ``iterations`` EM iterations (``joint``; 0 otherwise); ``comparables_rmse_log``
        rmse of the comparable-deal ridge model (features + the estimator's quality, fitted
        on the deals).  All over achievements without a deal.
    """
    p = scenario.pricing
    pop = simulate(p, seed)
    est = estimate(pop, p.estimator, p.tol, p.max_iter)
    mean, var = est.mean, est.var
    o_mean, o_var = oracle(pop)
    theta = pop.achievements.theta
    ev = ~pop.has_deal
    err = mean[ev] - theta[ev]
    o_err = o_mean[ev] - theta[ev]
    rmse = float(np.sqrt(np.mean(err**2)))
    o_rmse = float(np.sqrt(np.mean(o_err**2)))
    shading_hat = float(1.0 - np.exp(est.shift)) if p.inquiries else float("nan")
    if est.joint is not None:
        # the estimated quality of a deal achievement must not contain its own price
        quality, _ = fuse(pop.reviews, pop.quotes, est.joint.params, 0.0, pop.features)
        iterations = float(est.joint.n_iter)
    else:
        quality, iterations = mean, 0.0
    codes, n_levels = pop.features.codes, pop.features.n_levels
    X = np.hstack([one_hot(codes, n_levels), quality[:, None]])
    ridge = OnlineRidge(X.shape[1], penalty=1.0).update(X[pop.has_deal], pop.deal_y[pop.has_deal])
    comp = ridge.predict(X[ev]) - theta[ev]
    return {
        "rmse_log": rmse,
        "oracle_rmse_log": o_rmse,
        "coverage90": float(np.mean(np.abs(err) <= Z90 * np.sqrt(var[ev]))),
        "bias_log": float(np.mean(err)),
        "rmse_ratio": rmse / o_rmse if o_rmse > 0 else float("nan"),
        "oracle_coverage90": float(np.mean(np.abs(o_err) <= Z90 * np.sqrt(o_var[ev]))),
        "shading_hat": shading_hat,
        "iterations": iterations,
        "comparables_rmse_log": float(np.sqrt(np.mean(comp**2))),
    }
