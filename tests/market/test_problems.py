"""The demand side of the market (issue 21 part 2): firms post problems, teams compete."""

from __future__ import annotations

import numpy as np
import pytest

from auction_sim.cli import main
from auction_sim.market.problems import problem_metrics, simulate_problems
from auction_sim.scenario import scenario_from_dict

N_FIRMS = 240
BY_FIELD = [np.arange(f, N_FIRMS, 8) for f in range(8)]


def _scenario(**problems):
    raw = {"kind": "market", "market": {"horizon_days": 180.0}, "problems": problems}
    return scenario_from_dict(raw).model


def _run(seed=1, **problems):
    return simulate_problems(_scenario(**problems), np.random.SeedSequence(seed), BY_FIELD, N_FIRMS)


def test_off_by_default():
    pr = _run()
    m = problem_metrics(pr)
    assert pr.considered == 0 and m["problems_posted"] == 0 and m["problems_awarded"] == 0
    assert np.isnan(m["rd_success_rate"]) and m["compensation_paid"] == 0


@pytest.mark.parametrize("fmt", ["first_score", "second_score", "negotiation"])
def test_contracts_are_consistent(fmt):
    pb = {"rate_per_field": 3.0, "format": fmt, "compensation_share": 0.4}
    pr = _run(**pb)
    s = _scenario(**pb).problems
    aw = pr.awarded
    assert aw.sum() > 100
    # efficient quality w / θ of the winning team (scoring auctions and negotiation alike)
    np.testing.assert_allclose(pr.quality[aw], s.quality_weight / pr.team_theta[pr.team[aw]])
    assert (pr.quality[aw] >= s.min_quality).all()
    # the price never exceeds the firm's budget share of V (the upper end of budget_share)
    assert (pr.price[aw] <= pr.value[aw] * s.budget_share.support()[1] + 1e-12).all()
    assert (pr.price[~aw] == 0).all() and (pr.team[~aw] == -1).all()
    # awards only before the horizon
    assert (pr.day[aw] + s.deadline_days < 180.0).all()
    # compensation on failures only, at the share of the price; subsidy on status only
    fail = aw & ~pr.success
    np.testing.assert_allclose(pr.compensation[fail], 0.4 * pr.price[fail])
    assert (pr.compensation[~fail] == 0).all()
    assert (pr.subsidy[~pr.status] == 0).all() and (pr.status <= pr.success).all()
    assert (pr.price[pr.status] >= s.mountain_threshold).all()


def _paired(metric, seeds, a: dict, b: dict):
    d = np.array(
        [
            problem_metrics(_run(k, **b))[metric] - problem_metrics(_run(k, **a))[metric]
            for k in seeds
        ]
    )
    return d.mean(), d.std(ddof=1) / np.sqrt(d.size)


def test_a_higher_project_threshold_gives_fewer_projects():
    base = {"rate_per_field": 3.0}
    mean, se = _paired(
        "project_status_count", range(12), {**base, "project_threshold": 2.5},
        {**base, "project_threshold": 4.0},
    )  # fmt: skip
    assert mean < 0 and -mean > 3 * se, (mean, se)


def test_risk_compensation_raises_posting():
    base = {"rate_per_field": 3.0}
    for metric in ("problems_posted", "problems_awarded"):
        mean, se = _paired(
            metric, range(12), {**base, "compensation_share": 0.0},
            {**base, "compensation_share": 0.6},
        )  # fmt: skip
        assert mean > 0 and mean > 3 * se, (metric, mean, se)


def test_mountain_firms_reach_the_status_at_the_lower_threshold():
    pr = _run(rate_per_field=6.0, mountain_share=0.5)
    low = pr.status & (pr.price < 3.0)
    assert low.any()  # contracts between 2 and 3 million CNY that got the status
    assert (pr.price[low] >= 2.0).all()


@pytest.mark.parametrize(
    "field,index,value,words",
    [
        ("price", "awarded", lambda x: x * 1.5, "budget"),
        ("quality", "awarded", lambda x: x + 0.01, "efficient quality"),
        ("compensation", "success", lambda x: x + 1.0, "risk compensation"),
        ("subsidy", "awarded", lambda x: x + 1.0, "project subsidy"),
        ("status", "failure", lambda x: True, "project status"),
        ("success", "unawarded", lambda x: True, "without a contract"),
    ],
)
def test_the_invariant_check_catches_each_injected_violation(field, index, value, words):
    from auction_sim.market.problems import ProblemError, check_problems

    pb = {"rate_per_field": 3.0, "compensation_share": 0.4, "project_subsidy": 0.2}
    s = _scenario(**pb)
    pr = _run(**pb)
    pick = {
        "awarded": pr.awarded & (pr.budget * pr.value > pr.price * 1.01),
        "success": pr.success,
        "failure": pr.awarded & ~pr.success,
        "unawarded": ~pr.awarded,
    }[index]
    i = int(np.flatnonzero(pick)[0])
    arr = getattr(pr, field).copy()
    arr[i] = value(arr[i])
    bad = pr._replace(**{field: arr})
    with pytest.raises(ProblemError, match=words):
        check_problems(bad, s.problems, 180.0)


@pytest.mark.parametrize(
    "sets,key",
    [
        (["problems.cost_types={dist='uniform', low=0.0, high=1.0}"], "problems.cost_types"),
        (["problems.mountain_threshold=5.0"], "problems.mountain_threshold"),
        (["problems.suppliers=0"], "problems.suppliers"),
        (["problems.format='dutch'"], "problems.format"),
    ],
)
def test_bad_input_exits_2_naming_the_key(sets, key, capsys):
    args = ["validate", "scenarios/province_baseline.toml"]
    assert main([*args, *(a for s in sets for a in ("--set", s))]) == 2
    assert key in capsys.readouterr().err
