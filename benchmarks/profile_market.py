"""Share of the market's province-year spent in SimPy's own scheduling (issue 17).

Run: ``python benchmarks/profile_market.py``.  Profiles one ``simulate(PROVINCE_YEAR)`` (the
benchmark's scenario) with cProfile in CPU time and sums the own time of the functions in
SimPy's modules and of its heap (``heapq.heappush`` / ``heappop``).
"""

import cProfile
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from test_market_engine import PROVINCE_YEAR, _scenario, simulate  # noqa: E402

HEAP = ("<built-in method _heapq.heappush>", "<built-in method _heapq.heappop>")


def main() -> None:
    simulate(_scenario(horizon_days=20.0), np.random.SeedSequence(0))  # numba caches warm
    prof = cProfile.Profile(time.process_time)
    c = time.process_time()
    prof.enable()
    simulate(PROVINCE_YEAR, np.random.SeedSequence(1))
    prof.disable()
    cpu = time.process_time() - c
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())
    simpy = sum(v[2] for k, v in st.stats.items() if "/simpy/" in k[0])
    heap = sum(v[2] for k, v in st.stats.items() if k[2] in HEAP)
    print(f"profiled CPU {cpu:.2f} s, own time {total:.2f} s: SimPy modules {simpy:.2f} s"
          f" ({simpy / total:.1%}), heap {heap:.2f} s ({heap / total:.1%}),"
          f" together {(simpy + heap) / total:.1%}")  # fmt: skip
    st.sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
