"""The times the README quotes, measured: the main job cold and warm, and the test suite.

    python benchmarks/readme_times.py            # main job: cold once, warm three times
    python benchmarks/readme_times.py --suite    # ... and the README's test command (pytest)

"Cold" runs the main job with an empty numba cache (a fresh ``NUMBA_CACHE_DIR``), as a new
user's first run; "warm" runs it again with that cache filled.  Wall and CPU seconds are
those of the ``auction-sim`` process and its workers.  The main job's printed table is
compared with the README's (``docs/readme_examples.py`` regenerates it).  The machine,
its load average before and after, and the versions are printed with the figures: quote
them with the times, and prefer a quiet machine (load average well under 1).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAIN_JOB = ["run", "scenarios/province_baseline.toml"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(wall s, CPU s of the children, stdout) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", action="store_true", help="also time the test suite")
    p.add_argument("--warm", type=int, default=3, help="warm runs of the main job")
    args = p.parse_args()

    import numba
    import numpy

    load0 = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "COLUMNS": "160"}
        cli = [sys.executable, "-m", "auction_sim", *MAIN_JOB]
        wall, cpu, out = timed(cli, env)
        rows.append(("main job, cold (empty numba cache)", wall, cpu))
        warm = []
        for i in range(args.warm):
            wall, cpu, out = timed(cli, env)
            warm.append((wall, cpu))
            rows.append((f"main job, warm run {i + 1}", wall, cpu))
    if args.suite:
        wall, cpu, _ = timed(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"], {**os.environ}
        )
        rows.append(("test suite (pytest)", wall, cpu))
    load1 = os.getloadavg()

    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores, {platform.machine()}")
    print(
        f"python {platform.python_version()}, numba {numba.__version__}, numpy {numpy.__version__}"
    )
    print(
        f"load average before {load0[0]:.2f}, after {load1[0]:.2f};"
        f" {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    print()
    print("| what | wall | CPU |")
    print("|---|---|---|")
    for what, wall, cpu in rows:
        print(f"| {what} | {wall:.1f} s | {cpu:.1f} s |")
    if warm:
        ws = sorted(w for w, _ in warm)
        print(
            f"\nmain job warm: median {ws[len(ws) // 2]:.1f} s wall"
            f" (range {ws[0]:.1f}-{ws[-1]:.1f})"
        )

    sys.path.insert(0, str(ROOT / "docs"))
    from readme_examples import README, examples

    text = README.read_text()
    lines = text.split("\n")
    block = next(((s, e) for s, e, c in examples(text) if "province_baseline" in c), None)
    if block is not None:
        printed = "\n".join(ln.rstrip() for ln in lines[block[0] + 1 : block[1]])
        same = printed == "\n".join(ln.rstrip() for ln in out.rstrip("\n").split("\n"))
        print(f"\nREADME main-job table {'matches' if same else 'DIFFERS from'} this run's output")
        if not same:
            print("(python docs/readme_examples.py rewrites it)")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
