"""A tiny finished run to report on (shared by the report tests)."""

import pytest

import auction_sim as asim


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    asim.run(
        "scenarios/revenue_equivalence.toml",
        replications=3,
        overrides={"auction.auctions": 2000},
        backend="serial",
        out=out,
    )
    return out


@pytest.fixture(scope="session")
def report_page(run_dir):
    from auction_sim.report import build_report

    return build_report(run_dir)
