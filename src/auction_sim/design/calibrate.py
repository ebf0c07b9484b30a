"""``auction-sim calibrate``: simulated method of moments on the optimiser's machinery.

The distance of a candidate θ is D(θ) = Σ_k w_k (m̄_k(θ) - y_k)², m̄_k the mean of metric k over
the replications (common random numbers across candidates, so D is a smooth-ish function of θ
for a fixed set of draws), y_k the observed value, w_k = 1 / se_k² (or the file's weight).

1. search: the TPE search and confirmation of :mod:`.optimize`, minimising D;
2. refine: Gauss-Newton steps from the winner on the numeric parameters, with the Jacobian G of
   m̄ by central differences of ±10 % of each range (same draws; a wide step, because the
   market's draws are only partly aligned and a narrow one would turn its noise into slope),
   kept while D falls;
3. intervals (curvature, delta method): V = H⁻¹ G'W Ω W G H⁻¹ with H = G'WG and
   Ω = diag(se_k²) + Σ_sim/R, the observed figures' variances plus the simulated means'
   covariance over the R replications (targets given with weights only add no observed
   variance: their intervals hold the simulation's noise alone).  se_j = sqrt(V_jj); the 95 %
   interval is θ̂_j ± 1.96 se_j;
4. bootstrap intervals (:mod:`.bootstrap`): replications resampled and observed figures
   redrawn, refit by Gauss-Newton from θ̂ with the same Jacobian candidates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .evaluate import Evaluation, Evaluator
from .space import Param
from .targets import TargetSet

__all__ = ["distance", "Fit", "refine_and_intervals"]


def distance(ev: Evaluation, targets: TargetSet) -> float:
    total = 0.0
    for t in targets.targets:
        m = ev.mean(t.metric)
        if not math.isfinite(m):
            return math.nan
        total += t.weight * (m - t.value) ** 2
    return total


def _moments(ev: Evaluation, targets: TargetSet) -> np.ndarray:
    return np.array([ev.mean(t.metric) for t in targets.targets])


@dataclass
class Fit:
    params: dict[str, Any]
    distance: float
    stderr: dict[str, float]
    ci95: dict[str, list[float]]
    fits: list[dict]
    steps: int
    evaluation: Evaluation
    jacobian: np.ndarray | None
    jacobian_evals: list[Evaluation] = field(default_factory=list)
    """The candidates θ̂ - h_j, θ̂ + h_j of the final Jacobian (per replication: the bootstrap's)."""
    jacobian_steps: list[float] = field(default_factory=list)
    identified: bool = True
    """The Jacobian has full column rank (else no interval is defined: NaN)."""


def _jacobian(evaluator, base: dict, numeric: list[Param], targets, reps: int, rel: float):
    cands, steps = [], []
    for p in numeric:
        width = float(p.high) - float(p.low)
        h = rel * width
        x = float(base[p.key])
        lo, hi = max(float(p.low), x - h), min(float(p.high), x + h)
        if p.kind == "int":
            lo, hi = max(int(p.low), round(x) - 1), min(int(p.high), round(x) + 1)
        cands += [{**base, p.key: lo}, {**base, p.key: hi}]
        steps.append(hi - lo)
    evs = evaluator.evaluate(cands, reps)
    G = np.empty((len(targets.targets), len(numeric)))
    for j in range(len(numeric)):
        G[:, j] = (_moments(evs[2 * j + 1], targets) - _moments(evs[2 * j], targets)) / steps[j]
    return G, evs, steps


def _sim_cov(ev: Evaluation, targets: TargetSet) -> np.ndarray:
    X = np.column_stack([ev.values[t.metric] for t in targets.targets])
    X = X[np.all(np.isfinite(X), axis=1)]
    if X.shape[0] < 2:
        return np.zeros((X.shape[1], X.shape[1]))
    return np.atleast_2d(np.cov(X, rowvar=False)) / X.shape[0]


def refine_and_intervals(
    evaluator: Evaluator,
    start: Evaluation,
    params: list[Param],
    targets: TargetSet,
    reps: int,
    *,
    max_steps: int = 3,
    rel_step: float = 0.1,
) -> Fit:
    """Gauss-Newton refinement from ``start`` and delta-method intervals (module docstring)."""
    numeric = [p for p in params if p.kind != "categorical"]
    cur, cur_d = start, distance(start, targets)
    y = np.array([t.value for t in targets.targets])
    W = np.diag([t.weight for t in targets.targets])
    G = None
    jevs: list[Evaluation] = []
    jsteps: list[float] = []
    steps = 0
    for _ in range(max_steps if numeric else 0):
        G, jevs, jsteps = _jacobian(evaluator, cur.params, numeric, targets, reps, rel_step)
        r = _moments(cur, targets) - y
        H = G.T @ W @ G
        try:
            delta = -np.linalg.solve(H + 1e-12 * np.eye(len(numeric)) * np.trace(H), G.T @ W @ r)
        except np.linalg.LinAlgError:
            break
        new = dict(cur.params)
        for p, d in zip(numeric, delta, strict=True):
            v = min(max(float(cur.params[p.key]) + float(d), float(p.low)), float(p.high))
            new[p.key] = int(round(v)) if p.kind == "int" else v
        if new == cur.params:
            break
        ev = evaluator.evaluate([new], reps)[0]
        d_new = distance(ev, targets)
        if not (math.isfinite(d_new) and d_new < cur_d):
            break
        cur, cur_d = ev, d_new
        steps += 1
        G = None
    if numeric and G is None:
        G, jevs, jsteps = _jacobian(evaluator, cur.params, numeric, targets, reps, rel_step)
    se: dict[str, float] = {}
    ci: dict[str, list[float]] = {}
    identified = True
    if numeric:
        obs_var = np.array([t.variance or 0.0 for t in targets.targets])
        omega = np.diag(obs_var) + _sim_cov(cur, targets)
        H = G.T @ W @ G
        # fewer targets than parameters, or a parameter that moves no target: H is singular
        # and the curvature says nothing about some directions (an inverse of rounding errors
        # would report a standard error of 0); the intervals are then undefined (NaN)
        identified = bool(np.all(np.isfinite(G)) and np.linalg.matrix_rank(G) == len(numeric))
        try:
            if not identified:
                raise np.linalg.LinAlgError("not identified")
            Hi = np.linalg.inv(H)
            V = Hi @ G.T @ W @ omega @ W @ G @ Hi
            sds = np.sqrt(np.clip(np.diag(V), 0, None))
        except np.linalg.LinAlgError:
            sds = np.full(len(numeric), np.nan)
        for p, s in zip(numeric, sds, strict=True):
            se[p.key] = float(s)
            x = float(cur.params[p.key])
            # clipped to the searched range: a fit at a bound says so (its interval is one-sided)
            ci[p.key] = [
                max(x - 1.96 * float(s), float(p.low)) if math.isfinite(s) else math.nan,
                min(x + 1.96 * float(s), float(p.high)) if math.isfinite(s) else math.nan,
            ]
    fits = []
    for t in targets.targets:
        m, s = cur.mean(t.metric), cur.stderr(t.metric)
        tot = math.sqrt((t.variance or 0.0) + (s if math.isfinite(s) else 0.0) ** 2)
        fits.append(
            {
                "metric": t.metric,
                "observed": t.value,
                "observed_stderr": t.stderr,
                "weight": t.weight,
                "simulated": m,
                "simulated_stderr": s,
                "residual": m - t.value,
                "z": (m - t.value) / tot if tot > 0 else math.nan,
            }
        )
    return Fit(cur.params, cur_d, se, ci, fits, steps, cur, G, jevs, jsteps, identified)
