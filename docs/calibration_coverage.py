"""Coverage of the calibration intervals on the laboratory recovery case (issue 18).

Each repetition i generates targets (revenue, sale rate, price to value: means and standard
errors over 8 replications of 20 000 auctions) at the hidden values ``auction.values.high = 1.3``,
``auction.reserve = 0.4`` with seed 1000 + i, then calibrates ``scenarios/optimize_reserve.toml``
from [0.5, 2.5] x [0, 1] with seed 5000 + i (20 trials x 2 replications, confirmation 5 x 8,
Gauss-Newton refinement, 1000 one-step bootstrap draws) and records whether the curvature
(delta-method) and the bootstrap 95 % intervals cover the hidden values::

    python docs/calibration_coverage.py [N] [--gn-steps K] [--rel-step H]
                                        [--target-reps RT] [--confirm-reps RC]
        # N repetitions (default 20), serial backend; K Gauss-Newton steps (default 3) and
        # finite-difference step H (share of the range, default 0.1) of the refinement;
        # replications of the targets and of the fitted point (default 8 each)

Prints one JSON line per repetition and a Markdown summary table.  Not a test: about 5 s a
repetition on a quiet core.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCEN = str(ROOT / "scenarios" / "optimize_reserve.toml")
HIDDEN = {"auction.values.high": 1.3, "auction.reserve": 0.4}
METRICS = ["revenue", "sale_rate", "price_to_value"]
SIZE = ["--set", "auction.auctions=20000"]


def _cli(args: list[str]) -> dict:
    from auction_sim.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        rc = main(args)
    if rc != 0:
        raise RuntimeError(f"auction-sim {' '.join(args)} exited {rc}")
    return json.loads(buf.getvalue())


def repetition(i: int, tmp: Path, target_reps: int = 8, confirm_reps: int = 8) -> dict:
    hidden = ['auction.values={dist="uniform",low=0.0,high=1.3}', "auction.reserve=0.4"]
    run = ["run", SCEN, *SIZE, *sum((["--set", s] for s in hidden), [])]
    run += ["--seed", str(1000 + i), "--reps", str(target_reps), "--json", "--no-progress"]
    m = _cli([*run, "--backend", "serial"])["points"][0]["metrics"]
    lines = []
    for k in METRICS:
        lines += ["[[target]]", f'metric = "{k}"', f"value = {m[k]['mean']!r}"]
        lines += [f"stderr = {m[k]['stderr']!r}"]
    targets = tmp / f"targets_{i}.toml"
    targets.write_text("\n".join(lines) + "\n")
    cal = ["calibrate", SCEN, "--targets", str(targets), *SIZE, "--seed", str(5000 + i)]
    cal += ["--param", "auction.values.high=0.5:2.5", "--param", "auction.reserve=0:1"]
    cal += ["--reps", "2", "--budget", "20", "--confirm-reps", str(confirm_reps)]
    cal += ["--backend", "serial", "--no-progress", "--json"]
    doc = _cli(cal)
    out = {"rep": i}
    for key, truth in HIDDEN.items():
        x, se = doc["params"][key], doc["stderr"][key]
        c_lo, c_hi = doc["ci95"][key]
        b_lo, b_hi = doc["bootstrap"]["ci95"][key]
        out[key] = {
            "fitted": x,
            "z": (x - truth) / se,
            "curvature_covers": c_lo <= truth <= c_hi,
            "bootstrap_covers": b_lo <= truth <= b_hi,
            "curvature_width": c_hi - c_lo,
            "bootstrap_width": b_hi - b_lo,
        }
    return out


def main(
    n: int = 20,
    gn_steps: int | None = None,
    rel_step: float | None = None,
    target_reps: int = 8,
    confirm_reps: int = 8,
) -> None:
    from auction_sim.design import calibrate

    if gn_steps is not None:
        calibrate.refine_and_intervals.__kwdefaults__["max_steps"] = gn_steps
    if rel_step is not None:
        calibrate.refine_and_intervals.__kwdefaults__["rel_step"] = rel_step
    rows = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            rows.append(repetition(i, Path(tmp), target_reps, confirm_reps))
            print(json.dumps(rows[-1]), flush=True)
    secs = time.perf_counter() - start
    print(f"\n{n} repetitions in {secs:.0f} s\n")
    print("| parameter | curvature covers | bootstrap covers | median width (curv. / boot.)"
          " | mean z | sd of z | \\|z\\| < t(0.975, R-1) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    from scipy.stats import t as student

    tq = student.ppf(0.975, min(target_reps, confirm_reps) - 1)
    for key in HIDDEN:
        r = [row[key] for row in rows]
        cc = sum(x["curvature_covers"] for x in r)
        bc = sum(x["bootstrap_covers"] for x in r)
        wc = statistics.median(x["curvature_width"] for x in r)
        wb = statistics.median(x["bootstrap_width"] for x in r)
        zs = [x["z"] for x in r]
        print(
            f"| `{key}` | {cc}/{n} | {bc}/{n} | {wc:.4g} / {wb:.4g}"
            f" | {statistics.mean(zs):+.2f} | {statistics.stdev(zs):.2f}"
            f" | {sum(abs(z) < tq for z in zs)}/{n} (t = {tq:.2f}) |"
        )


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=20)
    ap.add_argument("--gn-steps", type=int)
    ap.add_argument("--rel-step", type=float)
    ap.add_argument("--target-reps", type=int, default=8, help="replications of the targets")
    ap.add_argument("--confirm-reps", type=int, default=8, help="of the calibration's fit")
    a = ap.parse_args()
    main(a.n, a.gn_steps, a.rel_step, a.target_reps, a.confirm_reps)
