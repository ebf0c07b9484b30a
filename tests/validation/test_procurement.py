"""Procurement against scoring-auction theory (Che 1993; Asker and Cantillon 2008).

The public case: θ ~ U[1, 2], cost ``θ q² / 2``, score ``S = q - p`` (w = 1), two
suppliers.  The pseudo-type is ``k = w² / (2 θ) = 1 / (2 θ)``, the efficient quality
``q* = 1 / θ``.

* **Second score, buyer utility.**  Truthful scores ``k`` (weakly dominant); the winner
  is the low-cost type and must match the runner-up's score, so the buyer's utility is
  the second-highest pseudo-type, ``1 / (2 θ_(2))`` with ``θ_(2) = max(θ_1, θ_2)``, whose
  density on [1, 2] is ``2 (t - 1)``:
  ``E = ∫_1^2 2 (t - 1) / (2 t) dt = ∫_1^2 (1 - 1/t) dt = 1 - ln 2 = 0.306853``.
* **Winner's quality.**  The winner delivers ``q* = 1 / θ_(1)``, ``θ_(1) = min(θ_1, θ_2)``
  with density ``2 (2 - t)``: ``E = ∫_1^2 2 (2 - t) / t dt = 4 ln 2 - 2 = 0.772589``.
* **First score.**  Offers are ``q*`` and the first-price equilibrium score on the
  pseudo-type distribution; the winner is the same supplier and, by revenue equivalence
  (same allocation, the lowest type earns 0), the buyer's expected utility is the same
  1 - ln 2.
* **Price only** at quality ``q_m``: a first-price reverse auction on the cost
  ``θ q_m² / 2``; revenue equivalence gives the buyer ``w q_m - E[θ_(2)] q_m² / 2`` with
  ``E[θ_(2)] = 5/3``.  **Negotiation** (Nash, team power a) gives ``(1 - a) E[k(θ)]``,
  ``E[1 / (2 θ)] = ln 2 / 2``.

Monte Carlo tolerances are 4 standard errors computed from the sample in the test.
"""

import math

import numpy as np
import pytest

from auction_sim.mechanisms.procurement import ProcurementLab, check_mechanism
from auction_sim.rng import task_seed
from auction_sim.scenario import scenario_from_dict

LN2 = math.log(2.0)
UTILITY = 1.0 - LN2  # 0.306853
QUALITY = 4.0 * LN2 - 2.0  # 0.772589
M = 400_000  # contracts per Monte Carlo check


def scenario(strategy="equilibrium", **procurement):
    procurement.setdefault("suppliers", 2)
    procurement.setdefault("cost_types", {"dist": "uniform", "low": 1.0, "high": 2.0})
    d = {"kind": "procurement", "procurement": procurement, "strategy": {"kind": strategy}}
    return scenario_from_dict(d).model


def play(sc, m=M, seed=21):
    """A batch and the buyer's utility per contract."""
    out = ProcurementLab(sc, task_seed(seed, {}, 0)).batch(m)
    w = sc.procurement.quality_weight
    return out, w * out.quality - out.price


def mean_se(x):
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


@pytest.fixture(scope="module")
def public():
    """The public case played in both scoring formats on the same cost draws."""
    return {f: play(scenario(format=f)) for f in ("first_score", "second_score")}


@pytest.mark.parametrize("fmt", ["second_score", "first_score"])
def test_buyer_utility_is_one_minus_ln2(public, fmt, theory):
    _, u = public[fmt]
    m, se = mean_se(u)
    theory(f"{fmt} buyer utility 1 - ln 2: θ ~ U[1,2], w = 1, n = 2", UTILITY, m, 4 * se, se=se)


@pytest.mark.parametrize("fmt", ["second_score", "first_score"])
def test_winner_quality_is_4ln2_minus_2(public, fmt, theory):
    out, _ = public[fmt]
    assert (out.winner >= 0).all()
    m, se = mean_se(out.quality)
    theory(f"{fmt} winner's quality 4 ln 2 - 2: θ ~ U[1,2], w = 1, n = 2", QUALITY, m, 4 * se,
           se=se)  # fmt: skip


def test_revenue_equivalence_paired(public, theory):
    """First minus second score utility on the same draws: 0 (paired standard error)."""
    d = public["first_score"][1] - public["second_score"][1]
    m, se = mean_se(d)
    theory("first - second score buyer utility = 0, paired: θ ~ U[1,2], n = 2", 0.0, m, 4 * se,
           se=se)  # fmt: skip


@pytest.mark.parametrize(
    "fmt, w, costs",
    [
        ("first_score", 1.0, {"dist": "uniform", "low": 1.0, "high": 2.0}),
        ("second_score", 1.0, {"dist": "uniform", "low": 1.0, "high": 2.0}),
        ("first_score", 1.7, {"dist": "beta", "a": 2.0, "b": 3.0, "low": 0.5, "high": 3.0}),
        ("second_score", 1.7, {"dist": "lognormal", "mean_log": 0.2, "sd_log": 0.4}),
    ],
)
def test_every_supplier_offers_its_efficient_quality(fmt, w, costs, theory):
    sc = scenario(format=fmt, suppliers=3, quality_weight=w, cost_types=costs, reserve_score=0.1)
    out, _ = play(sc, m=20_000)
    offered = np.max(np.abs(out.offer_quality - w / out.theta) / (w / out.theta))
    won = np.flatnonzero(out.winner >= 0)
    th = out.theta[won, out.winner[won]]
    delivered = np.max(np.abs(out.quality[won] - w / th) / (w / th))
    label = f"{fmt}, w = {w}, {costs['dist']} costs, n = 3, reserve score 0.1"
    theory(f"max relative |q offered - w/θ|, every supplier: {label}", 0.0, offered, 1e-15)
    theory(f"max relative |q delivered - w/θ_winner|: {label}", 0.0, delivered, 1e-15)


def test_revenue_equivalence_with_beta_costs_and_a_reserve_score(theory):
    """Any cost distribution: first = second score on the same draws (n = 3, reserve score)."""
    kw = {"suppliers": 3, "quality_weight": 1.5, "reserve_score": 0.5,
          "cost_types": {"dist": "beta", "a": 2.0, "b": 2.0, "low": 0.8, "high": 3.0}}  # fmt: skip
    (o1, u1), (o2, u2) = (play(scenario(format=f, **kw)) for f in ("first_score", "second_score"))
    np.testing.assert_array_equal(o1.winner, o2.winner)  # same allocation, same types
    m, se = mean_se(u1 - u2)
    theory("first - second score buyer utility = 0, paired: beta(2,2) on [0.8,3] costs, w = 1.5,"
           " n = 3, reserve score 0.5", 0.0, m, 4 * se, se=se)  # fmt: skip
    award = float((o1.winner >= 0).mean())
    exact = 1.0 - (1.0 - _beta_cdf(1.5**2 / (2 * 0.5), 0.8, 3.0)) ** 3  # P(min θ <= w²/(2 r))
    se = math.sqrt(exact * (1 - exact) / u1.size)
    theory("award rate P(k_max >= reserve score): beta(2,2) costs, n = 3", exact, award, 4 * se,
           se=se)  # fmt: skip


def _beta_cdf(x, lo, hi):
    """Beta(2, 2) on [lo, hi]: cdf 3 z² - 2 z³."""
    z = min(max((x - lo) / (hi - lo), 0.0), 1.0)
    return 3 * z * z - 2 * z**3


def test_price_only_buyer_utility_and_lost_efficiency(theory):
    q_m = 0.75
    out, u = play(scenario(format="price_only", min_quality=q_m))
    m, se = mean_se(u)
    exact = q_m - (5.0 / 3.0) * q_m * q_m / 2.0  # w q_m - E[θ_(2)] q_m² / 2 = 0.28125
    theory("price_only buyer utility w q_m - E[θ_(2)] q_m²/2: q_m = 0.75, θ ~ U[1,2], n = 2",
           exact, m, 4 * se, se=se)  # fmt: skip
    assert (out.quality == q_m).all()
    th = out.theta.min(axis=1)
    realised, best = q_m - th * q_m * q_m / 2, 1.0 / (2.0 * th)
    eff = realised.sum() / best.sum()
    # E[q_m - θ_(1) q_m²/2] / E[1/(2 θ_(1))] = (0.75 - (4/3) 0.28125) / (2 ln 2 - 1)
    exact_eff = (q_m - (4.0 / 3.0) * q_m * q_m / 2) / (2 * LN2 - 1)
    se = _ratio_se(realised, best)
    theory("price_only efficiency E[k_m(θ_(1))] / E[k(θ_(1))]: q_m = 0.75, θ ~ U[1,2], n = 2",
           exact_eff, eff, 4 * se, se=se)  # fmt: skip


def _ratio_se(a, b):
    """Delta-method standard error of sum(a) / sum(b)."""
    r = a.sum() / b.sum()
    return float(np.std(a - r * b, ddof=1) / (b.mean() * math.sqrt(a.size)))


@pytest.mark.parametrize("power", [0.5, 0.3])
def test_negotiation_gives_the_buyer_its_nash_share(power, theory):
    _, u = play(scenario(format="negotiation", supplier_power=power))
    m, se = mean_se(u)
    exact = (1 - power) * LN2 / 2  # (1 - a) E[1 / (2 θ)]
    theory(f"negotiation buyer utility (1 - a) ln 2 / 2: a = {power}, θ ~ U[1,2]", exact, m,
           4 * se, se=se)  # fmt: skip


# --------------------------------------------------------------------------- best response


def best_response_gain(sc, n_types=21, grid_q=160, grid_p=400, fine=20_001):
    """Largest expected-profit gain of any deviation from the first-score equilibrium.

    Rivals play the lab's equilibrium offers.  Their score ``s(θ') = w q(θ') - p(θ')``
    decreases in θ' (checked), so the chance that one rival scores below ``s`` is
    ``1 - F(θ̂(s))`` with ``θ̂`` the inverse of ``s`` on a grid of ``fine`` quantiles of θ
    (linear interpolation: error O(fine⁻²) in the chance of winning).  An offer
    ``(q, p)`` of type θ earns ``(p - θ q²/2) H(w q - p)^(n-1)`` if its score is at least
    the reserve score.  For each of ``n_types`` types θ at the quantiles (i + 1/2) / n_types:

    * ``grid``: offers ``q = q_eq (0.5 .. 1.5)`` (``grid_q`` points) by ``p = p_eq +
      k(θ) (-1 .. 1)`` (``grid_p`` points; even counts, so the equilibrium offer itself is
      not on the grid): a score more than ``k(θ)`` above the equilibrium one loses
      money, one more than ``k(θ)`` below never wins;
    * ``score``: every score on a grid of ``fine`` points over ``[s_eq - k, s_eq + k]`` at
      the efficient quality (best for any score), i.e. a fine search for the best score.

    Returns ``{"grid": gain, "score": gain}``, each the largest over types (currency).
    """
    pr = sc.procurement
    lab = ProcurementLab(sc, np.random.SeedSequence(0))
    dist, w, n, r = pr.cost_types, pr.quality_weight, pr.suppliers, pr.reserve_score
    tg = np.asarray(dist.ppf(np.linspace(0.0, 1.0, fine)), dtype=np.float64)
    qg, pg = lab.offers(tg[None, :])
    sg = (w * qg - pg)[0]
    assert np.all(np.diff(sg) <= 0), "equilibrium scores decrease in the cost type"

    def win(s):
        th = np.interp(s, sg[::-1], tg[::-1])  # θ̂(s); outside the range: the end types
        h = 1.0 - np.asarray(dist.cdf(th), dtype=np.float64)
        h = np.where(s > sg[0], 1.0, np.where(s < sg[-1], 0.0, h))
        return np.where(s >= r, h ** (n - 1), 0.0)

    u = (0.5 + np.arange(n_types)) / n_types  # interior: the top type earns 0 whatever it does
    types = np.asarray(dist.ppf(u), dtype=np.float64)
    q_eq, p_eq = lab.offers(types[None, :])
    grid, score = [], []
    for t, q0, p0 in zip(types, q_eq[0], p_eq[0], strict=True):
        k = w * w / (2 * t)  # the type's surplus at q*: profit <= k - score
        s0 = w * q0 - p0
        eq = (p0 - t * q0 * q0 / 2) * win(s0)
        Q, P = np.meshgrid(q0 * np.linspace(0.5, 1.5, grid_q),
                           p0 + k * np.linspace(-1.0, 1.0, grid_p), indexing="ij")  # fmt: skip
        grid.append(((P - t * Q * Q / 2) * win(w * Q - P)).max() - eq)
        s = s0 + k * np.linspace(-1.0, 1.0, fine - 1)  # even count: s0 is not on it
        score.append(((k - s) * win(s)).max() - eq)
    return {"grid": float(max(grid)), "score": float(max(score))}


@pytest.mark.parametrize(
    "label, kw",
    [
        ("θ ~ U[1,2], w = 1, n = 2", {}),
        ("beta(2,3) on [0.5,3] costs, w = 1.7, n = 3, reserve score 0.3",
         {"suppliers": 3, "quality_weight": 1.7, "reserve_score": 0.3,
          "cost_types": {"dist": "beta", "a": 2.0, "b": 3.0, "low": 0.5, "high": 3.0}}),
    ],
    ids=["uniform", "beta"],
)  # fmt: skip
def test_first_score_equilibrium_is_a_best_response(label, kw, theory):
    gain = best_response_gain(scenario(format="first_score", **kw))
    theory(f"first_score best-response max gain, (q, p) grid 160x400 x 21 types <= 1e-3: {label}",
           0.0, gain["grid"], 1e-3, kind="<=")  # fmt: skip
    theory(f"first_score best-response max gain, scores on a 20000 grid at q* <= 1e-3: {label}",
           0.0, gain["score"], 1e-3, kind="<=")  # fmt: skip


def test_the_best_response_check_catches_a_non_equilibrium(theory):
    """Seen to fail: truthful scores (zero profit) in a first-score auction are no equilibrium."""
    sc = scenario("truthful", format="first_score")
    gain = best_response_gain(sc, n_types=11, grid_q=40, grid_p=100, fine=4001)
    theory("first_score truthful scores: best-response gain > 1e-3 (the check can fail):"
           " θ ~ U[1,2], n = 2", 1e-3, gain["grid"], 0.0, kind=">")  # fmt: skip


@pytest.mark.parametrize("fmt", ["first_score", "second_score", "price_only", "negotiation"])
@pytest.mark.parametrize("strategy", ["equilibrium", "truthful", "markup"])
def test_conformance(fmt, strategy):
    if fmt == "negotiation" and strategy != "equilibrium":
        pytest.skip("not defined (exit 2, tested with the CLI)")
    check_mechanism(scenario(strategy, format=fmt, suppliers=3, reserve_score=0.2))
