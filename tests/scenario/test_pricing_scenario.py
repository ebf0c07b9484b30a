"""The pricing kind's schema: defaults, the reusable section, and every bad input."""

import subprocess
import sys
import textwrap

import pytest

from auction_sim.scenario import ScenarioError, load_scenario
from auction_sim.scenario.pricing import PricingSection


def write(tmp_path, body):
    p = tmp_path / "p.toml"
    p.write_text('kind = "pricing"\n' + textwrap.dedent(body))
    return p


def test_defaults_are_those_of_design():
    s = PricingSection()
    assert (s.achievements, s.reviewers, s.panel, s.same_field_share) == (100_000, 2000, 5, 0.6)
    assert (s.bias_sd, s.noise_sd, s.field_noise_factor) == (0.5, 1.0, 0.5)
    assert (s.inquiries, s.inquiry_sd, s.shading, s.prior_sd) == (3, 0.4, 0.15, 1.0)
    assert s.estimator == "joint"


def test_section_is_reusable_by_extension():
    class Extended(PricingSection):
        reserve_rule: str = "quantile"

    e = Extended(reviewers=10, panel=3, reserve_rule="myerson")
    assert e.reserve_rule == "myerson" and e.panel == 3
    with pytest.raises(ValueError):
        Extended(reviewers=2, panel=3)


@pytest.mark.parametrize(
    "body,key",
    [
        ("[pricing]\npanel = 0\n", "pricing.panel"),
        ("[pricing]\nreviewers = 4\npanel = 5\n", "pricing.reviewers"),
        ("[pricing]\nshading = 1.0\n", "pricing.shading"),
        ("[pricing]\nshading = -0.1\n", "pricing.shading"),
        ("[pricing]\nbias_sd = -0.5\n", "pricing.bias_sd"),
        ("[pricing]\nnoise_sd = -1.0\n", "pricing.noise_sd"),
        ("[pricing]\nnoise_sd = 0.0\n", "pricing.noise_sd"),
        ("[pricing]\nfield_noise_factor = -0.5\n", "pricing.field_noise_factor"),
        ("[pricing]\ninquiry_sd = -0.4\n", "pricing.inquiry_sd"),
        ("[pricing]\nprior_sd = -1.0\n", "pricing.prior_sd"),
        ("[pricing]\ndeal_sd = -0.2\n", "pricing.deal_sd"),
        ('[pricing]\nestimator = "mean"\n', "pricing.estimator"),
        ("[pricing]\ndeal_share = 1.0\n", "pricing.deal_share"),
        (
            '[pricing]\nachievements = 100\ndeal_share = 0.02\nestimator = "mean_score"\n',
            "pricing.deal_share",
        ),
        ('[pricing]\nestimator = "median_quote"\ninquiries = 0\n', "pricing.inquiries"),
        ("[pricing]\npanle = 3\n", "pricing.panle"),
    ],
)
def test_bad_input_names_the_key(tmp_path, body, key):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, body))
    assert err.value.key == key, str(err.value)


def test_cli_exits_2_without_traceback(tmp_path):
    p = write(tmp_path, "[pricing]\nreviewers = 2\npanel = 3\n")
    out = subprocess.run(
        [sys.executable, "-m", "auction_sim", "validate", str(p)], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "pricing.reviewers" in out.stderr and "Traceback" not in out.stderr
