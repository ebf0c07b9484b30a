"""Asymmetric first-price equilibria with bidder classes: closed form, best replies, ranking.

Closed form (Griesmer, Levitan and Shubik 1967; Plum 1992): one weak bidder U[0, 1] and
one strong bidder U[0, 2] have inverse bids v_w(b) = 2b / (1 + k b^2) and
v_s(b) = 2b / (1 - k b^2) with k = 1 - 1/4 = 3/4; both reach their top values at
b = 2/3.  Exact revenue and win share come from a midpoint quadrature of that form.
Simulated quantities use paired draws (the same values in both formats) and a
tolerance of 4 standard errors.
"""

import math

import numpy as np
import pytest

from auction_sim.core.asymmetric import (
    bid_and_clear,
    class_bid_tables,
    class_columns,
    solve_first_price,
)
from auction_sim.core.clearing import SECOND_PRICE, clear_sealed
from auction_sim.values import Beta, LogNormal, Normal, Uniform

K = 0.75
WEAK, STRONG = Uniform(low=0.0, high=1.0), Uniform(low=0.0, high=2.0)


def plum_bids(vw, vs):
    """Closed-form bids: the roots in [0, 2/3] of k v b^2 -+ 2 b +- v = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        bw = np.where(vw > 0, (1 - np.sqrt(1 - K * vw * vw)) / (K * vw), 0.0)
        bs = np.where(vs > 0, (np.sqrt(1 + K * vs * vs) - 1) / (K * vs), 0.0)
    return bw, bs


def simulate(dists, counts, reserve, m, seed):
    """Paired first-price (equilibrium) and second-price (truthful) auctions on the same values."""
    eq = solve_first_price(dists, counts, reserve)
    rng = np.random.default_rng(seed)
    v = np.concatenate([d.draw(rng, (m, c)) for d, c in zip(dists, counts, strict=True)], axis=1)
    tie = rng.random(v.shape)
    cls = class_columns(counts)
    _, fp = bid_and_clear(v, cls, class_bid_tables(eq), tie, reserve)
    sp = clear_sealed(np.where(v >= reserve, v, np.nan), tie, reserve, SECOND_PRICE)
    return eq, v, cls, fp, sp


def mean_se(x):
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def test_two_uniform_classes_against_the_closed_form(theory):
    n = 2000  # midpoint quadrature over (v_w, v_s) on [0, 1] x [0, 2]
    vw = (np.arange(n) + 0.5) / n
    vs = 2 * (np.arange(n) + 0.5) / n
    bw, bs = plum_bids(vw[:, None], vs[None, :])
    exact_rev = float(np.maximum(bw, bs).mean())
    exact_weak = float((bw > bs).mean())
    exact_sp = float(np.minimum(vw[:, None], vs[None, :]).mean())
    theory(
        "Plum closed form: second-price revenue E[min] = 5/12 (quadrature)", 5 / 12, exact_sp, 1e-6
    )
    theory("Plum closed form: weak bidder wins 1/3 (quadrature)", 1 / 3, exact_weak, 1e-3)
    theory(
        "Plum closed form: first-price revenue above 5/12 (quadrature)",
        5 / 12,
        exact_rev,
        0.0,
        kind=">",
    )
    eq, v, cls, fp, sp = simulate([WEAK, STRONG], [1, 1], 0.0, 400_000, 19)
    theory("Plum: solved common high bid 2/3", 2 / 3, eq.high_bid, 1e-12)
    b = eq.bid
    err = max(
        np.abs(eq.inverse[0] - 2 * b / (1 + K * b * b)).max(),
        np.abs(eq.inverse[1] - 2 * b / (1 - K * b * b)).max(),
    )
    print(f"closed-form inverse-bid error {err:.3g}; exact FP revenue {exact_rev:.6f}")
    theory("Plum: solved inverse bids, max error / value range", 0.0, err / 2.0, 1e-6)
    rev, se = mean_se(fp.price)
    theory(
        "Plum: simulated first-price revenue = quadrature of the closed form",
        exact_rev,
        rev,
        4 * se,
        se=se,
    )
    share, se_w = mean_se((fp.winner == 0).astype(float))
    theory("Plum: simulated weak win share = 1/3", exact_weak, share, 4 * se_w, se=se_w)
    d, se_d = mean_se(fp.price - sp.price)
    theory(
        "Plum: first price minus second price revenue > 0 (paired)",
        0.0,
        d,
        4 * se_d,
        se=se_d,
        kind=">",
    )


def win_probability(eq, dists, counts, i, x):
    """P(a class-i bidder bidding x beats every rival), rivals at the solved equilibrium."""
    p = np.where(x >= eq.low, 1.0, 0.0)
    for j, (d, c) in enumerate(zip(dists, counts, strict=True)):
        c = c - (i == j)
        if c == 0 or not eq.active[j]:
            continue
        vj = np.interp(np.minimum(x, eq.high_bid), eq.bid, eq.inverse[j])
        p = p * np.asarray(d.cdf(vj), dtype=float) ** c
    return p


def largest_gain(dists, counts, reserve=0.0):
    """:func:`equilibrium_gain` of the solver's equilibrium of these classes."""
    return equilibrium_gain(solve_first_price(dists, counts, reserve), dists, counts)


def equilibrium_gain(eq, dists, counts):
    """Largest gain of any type of any class from any bid on a grid, over the class's
    expected equilibrium utility (utilities by quadrature against the rivals' bids)."""
    xs = np.linspace(eq.low, eq.high_bid, 2001)
    worst = 0.0
    for i, d in enumerate(dists):
        if not eq.active[i]:
            continue
        q0 = float(d.cdf(eq.low))
        q = q0 + (1 - q0) * (np.arange(400) + 0.5) / 400 * (1 - 1e-6)
        v = np.asarray(d.ppf(q), dtype=float)
        b = np.interp(v, eq.inverse[i], eq.bid)
        u_eq = (v - b) * win_probability(eq, dists, counts, i, b)
        dev = (v[:, None] - xs[None, :]) * win_probability(eq, dists, counts, i, xs)[None, :]
        gain = np.maximum(dev.max(axis=1) - u_eq, 0.0)
        expected = float(u_eq.mean() * (1 - q0))
        worst = max(worst, float(gain.max()) / expected)
    return worst


CASES = {
    "two lognormal classes (1 + 2 bidders)": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=0.3, sd_log=0.5)], [1, 2], 0.0),
    "two normal classes truncated by a reserve 0.5": (
        [Normal(mean=1.0, sd=0.3), Normal(mean=1.3, sd=0.5)], [1, 1], 0.5),
    "three classes: uniform, beta(2, 2), lognormal": (
        [Uniform(low=0.0, high=1.0), Beta(a=2.0, b=2.0, low=0.0, high=1.5),
         LogNormal(mean_log=-0.3, sd_log=0.6)], [1, 1, 1], 0.0),
    "five uniform classes U[0, 1 + k/4], reserve 0.1": (
        [Uniform(low=0.0, high=1.0 + 0.25 * k) for k in range(5)], [1, 1, 1, 1, 1], 0.1),
    "beta(0.2, 0.2) against beta(3, 3)": ([Beta(a=0.2, b=0.2), Beta(a=3.0, b=3.0)], [1, 1], 0.0),
    "five classes, 9 bidders (2, 1, 3, 1, 2)": (
        [Uniform(low=0.0, high=1.0 + 0.25 * k) for k in range(5)], [2, 1, 3, 1, 2], 0.0),
    # refused by the first version (explicit steps in stiff thin tails, issue 19)
    "lognormal 2.5x apart (1 + 2 bidders), reserve 0.5": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=math.log(2.5), sd_log=0.5)],
        [1, 2], 0.5),
    "lognormal 2x apart (4 + 4 bidders)": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=math.log(2.0), sd_log=0.5)],
        [4, 4], 0.0),
    "lognormal 2x apart (1 + 3 bidders)": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=math.log(2.0), sd_log=0.5)],
        [1, 3], 0.0),
    "lognormal 2x apart (6 + 9 bidders)": (
        [LogNormal(mean_log=0.0, sd_log=0.5), LogNormal(mean_log=math.log(2.0), sd_log=0.5)],
        [6, 9], 0.0),
    "five lognormal classes 1.5x apart (2, 1, 2, 1, 2), reserve 1": (
        [LogNormal(mean_log=k * math.log(1.5), sd_log=0.5) for k in range(5)],
        [2, 1, 2, 1, 2], 1.0),
    "five normal classes cut by a reserve 0.2 (10 bidders)": (
        [Normal(mean=1.0 + 0.4 * k, sd=0.3) for k in range(5)], [2, 2, 2, 2, 2], 0.2),
    "beta(2, 3) on [0, 1] against beta(1, 3) on [0, 3] (2 + 2 bidders)": (
        [Beta(a=2.0, b=3.0, high=1.0), Beta(a=1.0, b=3.0, high=3.0)], [2, 2], 0.0),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_no_profitable_deviation(case, theory):
    dists, counts, reserve = CASES[case]
    gain = largest_gain(dists, counts, reserve)
    print(f"{case}: largest gain from deviating {gain:.3g} of expected utility")
    theory(
        f"best reply, {case}: largest deviation gain / expected utility", 0.0, gain, 1e-3, kind="<="
    )


def test_format_ranking_maskin_riley(theory):
    # stretch (F_s(v) = F_w(v / 2), common lower end 0): first price above second price
    for name, dists in {
        "uniform U[0,1] vs U[0,2]": [WEAK, STRONG],
        "beta(2,2) on [0,1] vs on [0,2]": [Beta(a=2.0, b=2.0), Beta(a=2.0, b=2.0, high=2.0)],
    }.items():
        *_, fp, sp = simulate(dists, [1, 1], 0.0, 200_000, 7)
        d, se = mean_se(fp.price - sp.price)
        print(f"stretch {name}: FP - SP = {d:.5f} +- {se:.5f}")
        theory(f"stretch, {name}: FP - SP revenue > 0", 0.0, d, 4 * se, se=se, kind=">")
    # crossing distributions, same mean: a U-shaped weak bidder against a concentrated one
    *_, fp, sp = simulate([Beta(a=0.2, b=0.2), Beta(a=3.0, b=3.0)], [1, 1], 0.0, 200_000, 7)
    d, se = mean_se(fp.price - sp.price)
    print(f"crossing beta(0.2,0.2) vs beta(3,3): FP - SP = {d:.5f} +- {se:.5f}")
    theory(
        "crossing, beta(0.2,0.2) vs beta(3,3): FP - SP revenue < 0", 0.0, d, 4 * se, se=se, kind="<"
    )
