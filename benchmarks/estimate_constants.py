"""Measure the cost model of ``auction_sim.batch.estimate``: seconds per unit of work.

Runs one replication of each bundled scenario's first grid point at its own size (the
market at a 120-day horizon), once to warm the numba cache and three times timed, and
prints seconds / ``work(scenario)`` per kind (the median over the kind's scenarios).

    python benchmarks/estimate_constants.py
"""

from __future__ import annotations

import platform
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from auction_sim.batch.estimate import SECONDS_PER_UNIT, work
from auction_sim.scenario import experiment_for, load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    per_kind: dict[str, list[float]] = defaultdict(list)
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = load_scenario(path)
        if sc.kind == "market":
            sc = load_scenario(path, ["market.horizon_days=120"])
        point = sc.points[0]
        exp = experiment_for(sc.kind)
        seed = np.random.SeedSequence(1)
        exp.run_point(point.scenario, seed)  # compile / warm
        times = []
        for _ in range(3):
            t = time.perf_counter()
            exp.run_point(point.scenario, seed)
            times.append(time.perf_counter() - t)
        c = min(times) / work(point.scenario)
        per_kind[sc.kind].append(c)
        print(f"{path.name:32s} {min(times):8.3f} s  {c:.2e} s/unit")
    print(f"\n{platform.node()} {platform.machine()} python {platform.python_version()}")
    for kind, cs in sorted(per_kind.items()):
        med = statistics.median(cs)
        print(f"{kind:16s} measured {med:.1e}  model {SECONDS_PER_UNIT[kind]:.1e}")


if __name__ == "__main__":
    main()
