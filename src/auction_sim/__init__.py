"""auction_sim: auctions and price discovery in technology-transfer markets.

Public API::

    import auction_sim as asim
    scenario = asim.load_scenario("scenarios/revenue_equivalence.toml", ["replications=10"])
    results = asim.run(scenario, backend="serial")
    results.summary()          # per point and metric: mean, stderr, 95 % CI, n
    results.to_pandas()        # one row per grid point x replication
    asim.Results.load("out/")  # results written with out=...
    asim.report.sweep_figure(results, "auction.bidders", "revenue")  # matplotlib Figure
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .jit import configure_cache

configure_cache()  # before any kernel module imports numba: NUMBA_CACHE_DIR, see jit.py

from .scenario import Scenario, ScenarioError, load_scenario  # noqa: E402

if TYPE_CHECKING:
    from .batch import Results

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "run", "__version__"]

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``asim.report`` (figure helpers, HTML report) imports matplotlib only when used.
    # ``asim.Results`` imports pandas only when used, so worker processes start fast.
    import importlib

    if name == "report":
        return importlib.import_module(".report", __name__)
    if name == "Results":
        return importlib.import_module(".batch.results", __name__).Results
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    backend: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress=None,
) -> Results:
    """Run a scenario (a :class:`Scenario` or a TOML path) and return its :class:`Results`.

    ``overrides`` maps dotted keys to values (as ``--set``); ``seed`` replaces the
    scenario's seed.  See :func:`auction_sim.batch.execute` for the other arguments.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    ov = dict(overrides or {})
    if seed is not None:
        ov["seed"] = seed
    if ov:
        scenario = scenario.with_overrides(ov)
    from .batch import execute

    return execute(
        scenario,
        replications=replications,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        out=out,
        overwrite=overwrite,
        progress=progress,
    )
