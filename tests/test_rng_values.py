"""The seed tree and the value distributions."""

import numpy as np
import pytest

from auction_sim import rng as seedtree
from auction_sim.scenario import load_scenario
from auction_sim.values import Beta, Constant, Exponential, LogNormal, Normal, Uniform, draw_values


def test_task_seed_depends_only_on_coordinates():
    a = seedtree.task_seed(5, {"x": 1}, 3)
    b = seedtree.task_seed(5, {"x": 1}, 3)
    assert (
        seedtree.stream(a, "values").random(4).tolist()
        == seedtree.stream(b, "values").random(4).tolist()
    )
    # different point, replication, stream or root seed -> different numbers
    base = seedtree.stream(a, "values").random(4)
    for other in (
        seedtree.stream(seedtree.task_seed(5, {"x": 2}, 3), "values"),
        seedtree.stream(seedtree.task_seed(5, {"x": 1}, 4), "values"),
        seedtree.stream(a, "ties"),
        seedtree.stream(seedtree.task_seed(6, {"x": 1}, 3), "values"),
    ):
        assert not np.array_equal(base, other.random(4))


def test_point_key_ignores_param_order():
    assert seedtree.point_key({"a": 1, "b": 2}) == seedtree.point_key({"b": 2, "a": 1})


def test_negative_seed_rejected():
    with pytest.raises(ValueError):
        seedtree.task_seed(-1, {}, 0)


DISTS = [
    Uniform(low=1.0, high=3.0),
    Normal(mean=2.0, sd=0.5),
    LogNormal(mean_log=0.1, sd_log=0.4),
    Exponential(scale=2.0),
    Beta(a=2.0, b=5.0, low=1.0, high=2.0),
    Constant(value=1.5),
]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.dist)
def test_draw_shape_and_moments(dist):
    rng = np.random.default_rng(1)
    x = draw_values(dist, rng, (20000, 5))
    assert x.shape == (20000, 5) and x.dtype == np.float64
    sd = x.std()
    tol = 4 * sd / np.sqrt(x.size) + 1e-12
    assert abs(x.mean() - dist.mean()) <= tol
    lo, hi = dist.support()
    assert x.min() >= lo and x.max() <= hi


@pytest.mark.parametrize("dist", DISTS[:-1], ids=lambda d: d.dist)
def test_cdf_and_ppf_are_inverse(dist):
    q = np.linspace(0.05, 0.95, 7)
    np.testing.assert_allclose(dist.cdf(dist.ppf(q)), q, rtol=1e-9)


def test_every_distribution_is_loadable_from_toml(tmp_path):
    tables = [
        '{dist = "uniform", low = 0, high = 2}',
        '{dist = "normal", mean = 1, sd = 0.5}',
        '{dist = "lognormal", mean_log = 0, sd_log = 0.5}',
        '{dist = "exponential", scale = 1}',
        '{dist = "beta", a = 2, b = 3}',
        '{dist = "constant", value = 1}',
    ]
    for t in tables:
        p = tmp_path / "s.toml"
        p.write_text(f'kind = "auction"\n[auction]\nvalues = {t}\n[strategy]\nkind = "truthful"\n')
        s = load_scenario(p)
        assert s.model.auction.values.dist == t.split('"')[1]


@pytest.mark.parametrize(
    "dist",
    [
        Uniform(low=1.0, high=3.0),
        Normal(mean=1.0, sd=2.0),
        LogNormal(mean_log=0.5, sd_log=0.7),
        Exponential(scale=2.0),
        Beta(a=2.0, b=3.0, low=1.0, high=2.0),
    ],
)
def test_closed_forms_match_scipy(dist):
    """The closed forms that spare workers the scipy.stats import agree with scipy."""
    frozen = dist._frozen()
    x = np.concatenate([np.linspace(-1, 5, 97), [1.0, 2.0, 3.0]])
    q = np.linspace(0, 1, 11)
    np.testing.assert_allclose(dist.cdf(x), frozen.cdf(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dist.ppf(q), frozen.ppf(q), rtol=1e-12, atol=1e-15)
    inside = (x > dist.support()[0]) & (x < dist.support()[1])
    np.testing.assert_allclose(dist.pdf(x)[inside], frozen.pdf(x)[inside], rtol=1e-12)
    assert dist.support() == tuple(float(v) for v in frozen.support())
    assert dist.mean() == pytest.approx(float(frozen.mean()), rel=1e-12)
