"""The demand side of the market: firms post problems, research teams compete to solve them.

One run's problem side is drawn and settled here, vectorised, from its own named streams
of the run's seed (``problems``, ``teams``, ``problem_ties``, ``rd``): it shares the
firms and the clock with the sale side but no state, so it never moves a number of the
sale side (and costs no SimPy event).  Money is in the scenario's currency; a problem's
offers scale with the firm's value ``V`` of a solution, so one equilibrium serves all.

1. **Teams.** ``teams_per_field`` teams per field, each of a public institution (holder
   types ``university .. state_owned`` in the market's holder mix), with a readiness level
   and a private cost type θ (``cost_types``): quality ``q`` costs it ``θ q² V / 2``.
2. **Posting.** Firms consider problems at ``rate_per_field`` per field and day (Poisson),
   each from a firm interested in the field, with value ``V`` and a budget ``b V``
   (``budget_share``).  A firm posts when the expected gain of posting clears a hurdle
   ``h V`` (``h ~ Exponential(post_cost)``):
   ``s̄ - e (1 - c (1 - s̄)) >= h``, with ``s̄`` the success chance of a typical contract,
   ``e`` the ``expected_price_share`` and ``c`` the ``compensation_share``.  **This is the
   channel of risk compensation**: refunding ``c`` of the price on failure lowers the
   expected cost of a contract, so more marginal problems are posted.
3. **Offers and award.** ``suppliers`` teams of the field (drawn without repetition) offer
   before the deadline, by the equilibrium of the procurement laboratory
   (:class:`auction_sim.mechanisms.procurement.ProcurementLab`: efficient quality ``w/θ``,
   the score bid of the first-score auction, or the score ``k(θ)`` in a second-score
   auction); offers below ``min_quality`` or priced above the budget are not admitted,
   and the firm awards by :func:`auction_sim.core.scoring.clear_scoring` (``negotiation``:
   Nash bargaining with the first team, :func:`auction_sim.core.bargaining.nash_solution`).
   A price above the budget (a second-score price can exceed the winner's own offer) is
   capped at the budget.  Awards after the horizon are not counted.
4. **R&D.** Success with probability ``q / (q + quality_half) * (0.4 + 0.6 (r - 1) / 8)``
   (``r`` the team's readiness level); a success is a result owned by the firm (counted
   in the statistics, not put in the holders' catalogue).
5. **Provincial major project.** A successful contract priced at least
   ``project_threshold`` (``mountain_threshold`` for firms in the mountain counties)
   gets the status and a subsidy of ``project_subsidy`` of its price.
6. **Risk compensation.** A failed contract is compensated ``compensation_share`` of its
   price.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core.bargaining import nash_solution
from ..core.scoring import FIRST_SCORE, SECOND_SCORE, clear_scoring
from ..rng import streams
from ..values import draw_values

__all__ = [
    "Problems",
    "ProblemError",
    "simulate_problems",
    "check_problems",
    "problem_metrics",
    "PROBLEM_METRICS",
]

PROBLEM_METRICS = (
    "problems_posted",
    "problems_awarded",
    "rd_success_rate",
    "project_status_count",
    "compensation_paid",
    "procurement_quality",
)

N_PUBLIC = 4  # holder types 0..3 of the taxonomy are the public institutions


class Problems(NamedTuple):
    """The problems of one run; arrays of shape ``(n_posted,)`` unless noted."""

    considered: int  # problems firms considered posting
    day: np.ndarray  # float64, posting day
    firm: np.ndarray  # int64, the posting firm
    value: np.ndarray  # float64, the firm's value V of a solution (currency)
    awarded: np.ndarray  # bool, a contract was awarded before the horizon
    team: np.ndarray  # int64, the winning team (-1: none)
    quality: np.ndarray  # float64, delivered quality (0: none)
    price: np.ndarray  # float64, price paid (currency; 0: none)
    success: np.ndarray  # bool, R&D succeeded
    status: np.ndarray  # bool, provincial major-project status
    subsidy: np.ndarray  # float64, project subsidy paid (currency)
    compensation: np.ndarray  # float64, risk compensation paid (currency)
    team_holder: np.ndarray  # int64, shape (n_teams,): each team's institution (holder type)
    team_theta: np.ndarray  # float64, shape (n_teams,): each team's cost type
    team_readiness: np.ndarray  # int64, shape (n_teams,): each team's readiness level
    budget: np.ndarray  # float64, the firm's budget as a share of V
    mountain: np.ndarray  # bool, the posting firm is in a mountain county


def _readiness_factor(r: np.ndarray) -> np.ndarray:
    return 0.4 + 0.6 * (np.asarray(r, dtype=np.float64) - 1.0) / 8.0


def _lab(pb, suppliers: int):
    """The procurement laboratory's rules and equilibrium for this side's parameters."""
    from ..mechanisms.procurement import ProcurementLab
    from ..scenario.procurement import ProcurementScenario

    fmt = "first_score" if pb.format == "negotiation" else pb.format
    scen = ProcurementScenario(
        procurement={
            "format": fmt,
            "suppliers": suppliers,
            "cost_types": pb.cost_types,
            "quality_weight": pb.quality_weight,
        },
        strategy={"kind": "equilibrium"},
    )
    return ProcurementLab(scen, np.random.SeedSequence(0))  # its streams are not used


def simulate_problems(scenario, seed: np.random.SeedSequence, firms_by_field, n_firms: int):
    """Draw and settle one run's problems (see the module docstring); returns :class:`Problems`.

    ``firms_by_field[f]`` lists the firms interested in field ``f`` (the market's firms).
    """
    pb, m, a = scenario.problems, scenario.market, scenario.achievements
    horizon, fields = float(m.horizon_days), m.fields
    rng_p, rng_t, rng_ties, rng_rd = streams(seed, "problems", "teams", "problem_ties", "rd")

    # teams of the public institutions, per field
    tpf = pb.teams_per_field
    mix = np.asarray(a.holder_mix[:N_PUBLIC], dtype=np.float64)
    mix = mix / mix.sum() if mix.sum() > 0 else np.full(N_PUBLIC, 1.0 / N_PUBLIC)
    n_teams = fields * tpf
    t_holder = rng_t.choice(N_PUBLIC, size=n_teams, p=mix).astype(np.int64)
    t_ready = rng_t.integers(a.readiness_low, a.readiness_high + 1, n_teams)
    t_theta = draw_values(pb.cost_types, rng_t, (n_teams,))
    mountain = rng_t.random(n_firms) < pb.mountain_share

    # problems considered, and the posting decision
    n = int(rng_p.poisson(pb.rate_per_field * fields * horizon))
    day = np.sort(rng_p.uniform(0.0, horizon, n))
    field = rng_p.integers(0, fields, n)
    pick = rng_p.random(n)
    value = np.maximum(draw_values(pb.value, rng_p, (n,)), 0.0)
    budget = np.maximum(draw_values(pb.budget_share, rng_p, (n,)), 0.0)
    hurdle = rng_p.exponential(pb.post_cost, n) if pb.post_cost > 0 else np.zeros(n)
    firm = np.empty(n, np.int64)
    for f in range(fields):
        idx = np.flatnonzero(field == f)
        pool = firms_by_field[f] if len(firms_by_field[f]) else np.arange(n_firms)
        firm[idx] = pool[np.minimum((pick[idx] * len(pool)).astype(np.int64), len(pool) - 1)]
    e_theta = float(np.mean(t_theta))
    q_bar = pb.quality_weight / e_theta
    s_bar = q_bar / (q_bar + pb.quality_half) * float(np.mean(_readiness_factor(t_ready)))
    gain = s_bar - pb.expected_price_share * (1.0 - pb.compensation_share * (1.0 - s_bar))
    post = gain >= hurdle
    day, field, firm, value, budget = day[post], field[post], firm[post], value[post], budget[post]
    n_post = day.size

    # offers: `suppliers` teams of the field, without repetition
    k = min(pb.suppliers, tpf)
    keys = rng_ties.random((n_post, tpf))
    chosen = np.argsort(keys, axis=1, kind="stable")[:, :k] + (field * tpf)[:, None]
    theta = t_theta[chosen]
    tie_u = rng_ties.random((n_post, k))
    lab = _lab(pb, k)
    w = pb.quality_weight
    team = np.full(n_post, -1, np.int64)
    if pb.format == "negotiation":
        q0 = w / theta[:, 0]
        cost0 = 0.5 * theta[:, 0] * q0 * q0
        res = nash_solution(w * q0, cost0, 0.5)
        ok = res.agreed & (q0 >= pb.min_quality) & (res.price <= budget)
        team = np.where(ok, chosen[:, 0], -1)
        quality = np.where(ok, q0, 0.0)
        price_n = np.where(ok, res.price, 0.0)
    else:
        q, p = lab.offers(theta)
        bad = (q < pb.min_quality) | (p > budget[:, None])
        q = np.where(bad, np.nan, q)
        p = np.where(bad, np.nan, p)
        rule = SECOND_SCORE if pb.format == "second_score" else FIRST_SCORE
        out = clear_scoring(q, p, tie_u, w, 0.0, rule)
        ok = out.winner >= 0
        team = np.where(ok, chosen[np.arange(n_post), np.maximum(out.winner, 0)], -1)
        quality = np.where(ok, out.quality, 0.0)
        price_n = np.where(ok, np.minimum(out.price, budget), 0.0)
    awarded = ok & (day + pb.deadline_days < horizon)
    team = np.where(awarded, team, -1)
    quality = np.where(awarded, quality, 0.0)
    price = np.where(awarded, price_n * value, 0.0)

    # R&D, project status, compensation
    p_success = (
        quality / (quality + pb.quality_half) * _readiness_factor(t_ready[np.maximum(team, 0)])
    )
    success = awarded & (rng_rd.random(n_post) < p_success)
    threshold = np.where(mountain[firm], pb.mountain_threshold, pb.project_threshold)
    status = success & (price >= threshold)
    subsidy = np.where(status, pb.project_subsidy * price, 0.0)
    compensation = np.where(awarded & ~success, pb.compensation_share * price, 0.0)
    out = Problems(
        n, day, firm, value, awarded, team, quality, price, success, status, subsidy,
        compensation, t_holder, t_theta, t_ready, budget, mountain[firm],
    )  # fmt: skip
    check_problems(out, pb, horizon)
    return out


class ProblemError(RuntimeError):
    """A contract of the problem side broke one of its invariants."""


def check_problems(pr: Problems, pb, horizon: float) -> None:
    """Raise :class:`ProblemError` naming the first contract that breaks an invariant.

    Each quantity is checked against what it must be, computed here from the primitives
    (the team's type, the firm's budget and location), not against itself.
    """
    aw = pr.awarded

    def fail(what: str, mask: np.ndarray) -> None:
        i = int(np.flatnonzero(mask)[0])
        raise ProblemError(f"problem {i} (day {pr.day[i]:.1f}, firm {pr.firm[i]}): {what}")

    if (bad := ~aw & ((pr.price != 0) | (pr.team != -1) | (pr.quality != 0))).any():
        fail("no contract, yet a price, team or quality", bad)
    if (bad := aw & (pr.day + pb.deadline_days >= horizon)).any():
        fail("awarded after the horizon", bad)
    q_star = np.where(aw, pb.quality_weight / pr.team_theta[np.maximum(pr.team, 0)], 0.0)
    if (bad := aw & ~np.isclose(pr.quality, q_star, rtol=1e-12, atol=0.0)).any():
        fail("quality is not the winning team's efficient quality w / θ", bad)
    if (bad := aw & (pr.quality < pb.min_quality)).any():
        fail("quality below the minimum standard", bad)
    if (bad := aw & (pr.price > pr.budget * pr.value * (1 + 1e-12))).any():
        fail("price above the firm's budget", bad)
    if (bad := pr.success & ~aw).any():
        fail("R&D success without a contract", bad)
    threshold = np.where(pr.mountain, pb.mountain_threshold, pb.project_threshold)
    if (bad := pr.status != (pr.success & (pr.price >= threshold))).any():
        fail("project status does not follow success and the threshold", bad)
    want_sub = np.where(pr.status, pb.project_subsidy * pr.price, 0.0)
    if (bad := ~np.isclose(pr.subsidy, want_sub, rtol=1e-12, atol=0.0)).any():
        fail("project subsidy is not its share of the price", bad)
    want_comp = np.where(aw & ~pr.success, pb.compensation_share * pr.price, 0.0)
    if (bad := ~np.isclose(pr.compensation, want_comp, rtol=1e-12, atol=0.0)).any():
        fail("risk compensation is not its share of a failed contract's price", bad)


def problem_metrics(pr: Problems) -> dict[str, float]:
    """The problem side's metrics of one run (see ``auction-sim metrics market``)."""
    n_awarded = int(pr.awarded.sum())
    nan = float("nan")
    return {
        "problems_posted": float(pr.day.size),
        "problems_awarded": float(n_awarded),
        "rd_success_rate": float(pr.success.sum() / n_awarded) if n_awarded else nan,
        "project_status_count": float(pr.status.sum()),
        "compensation_paid": float(pr.compensation.sum()),
        "procurement_quality": float(pr.quality[pr.awarded].mean()) if n_awarded else nan,
    }
