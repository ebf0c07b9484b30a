"""Bootstrap intervals of ``auction-sim calibrate``: resample replications, refit by Gauss-Newton.

The simulated moments are means over the R replications of every candidate (the same R seeds
for every candidate: common random numbers), and the observed targets carry their stated
standard errors.  One bootstrap draw b

1. resamples the replications: R indices r*_1..r*_R drawn with replacement, the same for every
   candidate, so m̄*_k(θ) is the mean of metric k over the replications r* (and the Jacobian G*
   is recomputed from the same resampled replications of the ±h candidates evaluated for the
   curvature intervals);
2. redraws the observed figures: y*_k = y_k + se_k z_k, z ~ N(0, 1) (a target given with a
   weight only is held fixed, as in the curvature intervals);
3. refits from the fitted point θ̂ by Gauss-Newton steps (a k-step bootstrap, Davidson &
   MacKinnon 1999, Andrews 2002) on recentred moments (Hall & Horowitz 1996: the fit's own
   residual r₀ = m̄(θ̂) - y is subtracted, so the draws centre on θ̂ also where the targets cannot
   all be met or the refinement stopped before G'W r₀ = 0):
   θ*₁ = θ̂ - (G*'WG*)⁻¹ G*'W (m̄*(θ̂) - y* - r₀).  The first step
   needs no new simulation: every number in it was simulated already (θ̂ and θ̂ ± h, every
   replication).  Each further step (``steps`` > 1) simulates the draw's current point with the
   same R seeds and takes a chord step with the draw's G*: B x R more tasks per step.

θ*_b is clipped to the searched range, as the curvature intervals are; the 95 % interval is the
2.5 and 97.5 percentiles of the draws, their standard deviation the bootstrap standard error.

Why one step by default: a full refit per draw (a search and a refinement on resampled
replications) costs the whole calibration B times (on the market, a minute each); the one-step
draws cost nothing but linear algebra, and to first order they already reproduce the estimator's
sampling distribution (Andrews 2002), including the resampled Jacobian and a non-normal spread of
the moments, which the delta method leaves out.  Where m̄(θ) bends inside the interval, more
steps (``--bootstrap-steps``) follow the bend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .evaluate import Evaluation
from .space import Param
from .targets import TargetSet

__all__ = ["Bootstrap", "bootstrap_intervals"]


@dataclass
class Bootstrap:
    draws: int
    steps: int
    used: int
    stderr: dict[str, float] = field(default_factory=dict)
    ci95: dict[str, list[float]] = field(default_factory=dict)
    samples: np.ndarray | None = None

    def summary(self) -> dict:
        return {
            "draws": self.draws,
            "steps": self.steps,
            "used": self.used,
            "method": "replications resampled, observed figures redrawn from their standard"
            " errors; recentred Gauss-Newton refit from the fitted point; percentile intervals",
            "stderr": self.stderr,
            "ci95": self.ci95,
        }


def _per_rep(ev: Evaluation, targets: TargetSet) -> np.ndarray:
    """R x K matrix of per-replication metrics."""
    return np.column_stack([np.asarray(ev.values[t.metric], dtype=float) for t in targets.targets])


def _resampled_means(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """B x K means of X (R x K) over the resampled replications idx (B x R); NaN skipped."""
    picked = X[idx]  # B x R x K
    ok = np.isfinite(picked)
    n = ok.sum(axis=1)
    s = np.where(ok, picked, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def _solve_steps(G: np.ndarray, W: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Per draw: -(G'WG)^-1 G'W r, with G (B x K x p) and r (B x K); NaN where singular."""
    B, _, p = G.shape
    out = np.full((B, p), np.nan)
    GtW = np.einsum("bkp,k->bpk", G, np.diag(W))
    H = GtW @ G
    g = np.einsum("bpk,bk->bp", GtW, r)
    for b in range(B):
        if not (np.all(np.isfinite(H[b])) and np.all(np.isfinite(g[b]))):
            continue
        try:
            out[b] = -np.linalg.solve(H[b], g[b])
        except np.linalg.LinAlgError:
            continue
    return out


def bootstrap_intervals(
    fitted: Evaluation,
    jacobian_evals: list[Evaluation],
    jacobian_steps: list[float],
    numeric: list[Param],
    targets: TargetSet,
    *,
    draws: int,
    seed: int,
    steps: int = 1,
    evaluator=None,
) -> Bootstrap:
    """Percentile intervals of the numeric parameters (module docstring).

    ``jacobian_evals`` are the candidates θ̂ - h_j, θ̂ + h_j of every numeric parameter j, in that
    order, evaluated with the fitted point's replications; ``jacobian_steps`` their widths.
    ``evaluator`` is needed only for ``steps`` > 1.
    """
    p = len(numeric)
    res = Bootstrap(draws=draws, steps=steps, used=0)
    if draws <= 0 or p == 0:
        return res
    rng = np.random.default_rng([int(seed), 0xB0075])
    X0 = _per_rep(fitted, targets)
    R = X0.shape[0]
    idx = rng.integers(0, R, size=(draws, R))
    se = np.array([t.stderr or 0.0 for t in targets.targets])
    y = np.array([t.value for t in targets.targets])
    y_star = y + se * rng.standard_normal((draws, len(y)))
    W = np.diag([t.weight for t in targets.targets])
    G = np.empty((draws, len(y), p))
    for j in range(p):
        lo = _resampled_means(_per_rep(jacobian_evals[2 * j], targets), idx)
        hi = _resampled_means(_per_rep(jacobian_evals[2 * j + 1], targets), idx)
        G[:, :, j] = (hi - lo) / jacobian_steps[j]
    theta_hat = np.array([float(fitted.params[q.key]) for q in numeric])
    low = np.array([float(q.low) for q in numeric])
    high = np.array([float(q.high) for q in numeric])
    # recentred (Hall & Horowitz 1996): the draw's residual minus the fit's own, so the draws
    # centre on θ̂ even where the refinement stopped short of G'W r = 0 (a rejected step) or
    # the targets cannot all be met (over-identified, r ≠ 0 at the optimum)
    r0 = np.array([fitted.mean(t.metric) for t in targets.targets]) - y
    m = _resampled_means(X0, idx)
    theta = np.clip(theta_hat + _solve_steps(G, W, m - y_star - r0), low, high)
    for _ in range(max(steps, 1) - 1):
        if evaluator is None:
            raise ValueError("steps > 1 needs an evaluator")
        live = np.flatnonzero(np.all(np.isfinite(theta), axis=1))
        cands = []
        for b in live:
            c = dict(fitted.params)
            for q, v in zip(numeric, theta[b], strict=True):
                c[q.key] = int(round(v)) if q.kind == "int" else float(v)
            cands.append(c)
        evs = evaluator.evaluate(cands, R)
        for b, ev in zip(live, evs, strict=True):
            mb = _resampled_means(_per_rep(ev, targets), idx[b : b + 1])
            d = _solve_steps(G[b : b + 1], W, mb - y_star[b : b + 1] - r0)[0]
            theta[b] = np.clip(theta[b] + d, low, high)
    ok = np.all(np.isfinite(theta), axis=1)
    res.used = int(ok.sum())
    res.samples = theta[ok]
    if res.used >= 2:
        for j, q in enumerate(numeric):
            x = theta[ok, j]
            lo, hi = np.percentile(x, [2.5, 97.5])
            res.stderr[q.key] = float(np.std(x, ddof=1))
            res.ci95[q.key] = [float(lo), float(hi)]
    else:
        for q in numeric:
            res.stderr[q.key] = math.nan
            res.ci95[q.key] = [math.nan, math.nan]
    return res
