"""The ``auction-sim`` command: run, validate, report (DESIGN §4).

Exit status: 0 done; 2 bad scenario or bad arguments (a message, no traceback);
1 failure while running.  With ``--json`` exactly one JSON object goes to stdout;
progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .batch.backends import BACKENDS
from .scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from rich.console import Console


# rich, pandas and the result store are imported inside the commands: a process-pool worker
# started by the ``auction-sim`` script re-imports this module (multiprocessing's spawn runs
# the parent's main script) and should pay only for what a task needs (measured: a worker
# ready in 0.05 s instead of 0.56 s).

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"auction-sim: error: {message}", file=sys.stderr)
        raise SystemExit(2)


MAX_TASKS = 1_000_000
"""Grids of more tasks (points x replications) are refused unless ``--max-tasks`` says so."""


def _check_size(s: Scenario, reps: int | None, limit: int) -> int:
    """Tasks of the run; a grid over ``limit`` is a bad argument (exit 2), told at once."""
    reps = s.replications if reps is None else reps
    tasks = len(s.points) * reps
    if tasks > limit:
        raise ScenarioError(
            s.source,
            "sweep",
            f"the grid has {len(s.points):,} points x {reps} replication{'s' if reps != 1 else ''}"
            f" = {tasks:,} tasks,"
            f" over the limit of {limit:,}; narrow the sweep or raise --max-tasks",
        )
    return tasks


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, found {text!r}"
        ) from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="auction-sim",
        description="Simulate auctions and price discovery in technology-transfer markets.",
    )
    from . import __version__

    p.add_argument("--version", action="version", version=f"auction-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a scenario (grid x replications) and summarise it")
    r.add_argument("scenario", help="scenario TOML file")
    r.add_argument("--reps", type=_positive_int, help="replications per grid point")
    r.add_argument("--seed", type=_seed, help="root seed (replaces the scenario's seed)")
    r.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a dotted key; VALUE is a TOML value (repeatable)",
    )
    r.add_argument("--out", help="output folder (runs.parquet, summary.csv, scenario.toml)")
    r.add_argument(
        "--overwrite", action="store_true", help="replace results of another scenario in --out"
    )
    r.add_argument("--backend", choices=BACKENDS, default="process", help="where tasks run")
    r.add_argument("--workers", type=_positive_int, help="worker processes (default: all cores)")
    r.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    r.add_argument(
        "--max-tasks",
        type=_positive_int,
        default=MAX_TASKS,
        help=f"refuse a grid of more tasks than this (default {MAX_TASKS:,})",
    )
    r.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    r.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    r.add_argument(
        "--paired",
        action="store_true",
        help="common random numbers: every grid point sees the same streams ([sweep] paired)",
    )

    v = sub.add_parser("validate", help="check a scenario file and show its grid")
    v.add_argument("scenario", help="scenario TOML file")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    v.add_argument("--reps", type=_positive_int, help="replications per grid point")
    v.add_argument("--workers", type=_positive_int, help="workers the estimate assumes")
    v.add_argument("--max-tasks", type=_positive_int, default=MAX_TASKS)

    w = sub.add_parser(
        "warmup", help="compile every kind's numba kernels once (cached for later runs)"
    )
    w.add_argument("kinds", nargs="*", metavar="KIND", help="kinds to warm (default: all)")

    mt = sub.add_parser("metrics", help="every metric's name, unit and definition")
    mt.add_argument("kinds", nargs="*", metavar="KIND", help="kinds to list (default: all)")

    rep = sub.add_parser(
        "report", help="write an HTML report (figures, summary, scenario) of a result folder"
    )
    rep.add_argument("directory", metavar="DIR", help="a folder written by `run --out DIR`")
    rep.add_argument("--out", help="HTML file to write (default: DIR/report.html)")

    from .design.cli import add_design_parsers

    add_design_parsers(sub, _positive_int, _seed, BACKENDS)
    return p


def _load(args, err: Console) -> Scenario:
    overrides = list(args.overrides)
    if getattr(args, "seed", None) is not None:
        overrides.append(f"seed={args.seed}")
    return load_scenario(args.scenario, overrides)


def _run(args, out: Console, err: Console) -> int:
    scenario = _load(args, err)
    if args.paired and not scenario.paired:
        scenario = scenario.with_paired(True)
    _check_size(scenario, args.reps, args.max_tasks)  # before the heavy imports: at once
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .batch import RunInterrupted, StoreMismatch, execute

    if args.out is not None:
        from pathlib import Path

        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise ScenarioError("--out", None, f"{args.out} is a file; expected a folder")
    if args.backend != "dask" and args.scheduler:
        raise ScenarioError("--scheduler", None, "needs --backend dask")
    if args.backend == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise ScenarioError(
                "--backend",
                None,
                "the dask backend needs dask.distributed: pip install 'auction_sim[dask]'",
            )
    if args.scheduler:
        from .batch.dask_backend import check_address

        problem = check_address(args.scheduler)
        if problem:
            raise ScenarioError("--scheduler", None, problem)
    show = not args.no_progress
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        disable=not show or not err.is_terminal,  # quiet when stderr is a file or pipe
        transient=False,
    )
    with progress:
        bar = progress.add_task(f"{scenario.name}", total=None)

        started = []

        def tick(done: int, total: int) -> None:
            if not started:  # the first call: what the output folder already holds
                started.append(done)
                if done:
                    err.print(
                        f"resuming: {done} of {total} tasks already in {args.out}",
                        markup=False,
                        highlight=False,
                    )
            progress.update(bar, completed=done, total=total)

        try:
            results = execute(
                scenario,
                replications=args.reps,
                backend=args.backend,
                workers=args.workers,
                scheduler=args.scheduler,
                out=args.out,
                overwrite=args.overwrite,
                progress=tick,
            )
        except StoreMismatch as exc:
            err.print(f"auction-sim: {exc}", markup=False, highlight=False)
            return 2
        except RunInterrupted as exc:
            err.print(f"auction-sim: {exc}", markup=False, highlight=False)
            return 1
    if args.json:
        sys.stdout.write(results.to_json() + "\n")
    else:
        from .table import print_summary

        print_summary(results, out)
        if args.out:
            out.print(f"results in {args.out}", markup=False, highlight=False)
    if results.failures:
        err.print(
            f"auction-sim: {len(results.failures)} task(s) failed:", markup=False, highlight=False
        )
        for f in results.failures[:10]:
            first = (f["error"] or "").splitlines()[0]
            err.print(
                f"  point {f['point']} replication {f['replication']}: {first}",
                markup=False,
                highlight=False,
            )
        return 1
    return 0


def _validate(args, out: Console, err: Console) -> int:
    from .batch.estimate import describe_seconds, estimate_seconds

    s = _load(args, err)
    tasks = _check_size(s, args.reps, args.max_tasks)
    n = len(s.points)
    reps = tasks // n if n else 0
    secs = estimate_seconds(s.points, reps, args.workers)
    out.print(
        f"{s.source}: ok — kind {s.kind}, {n:,} grid point{'s' if n != 1 else ''}"
        f" x {reps} replication{'s' if reps != 1 else ''} = {tasks:,} tasks;"
        f" estimated run time {describe_seconds(secs)} on"
        f" {args.workers or os.cpu_count() or 1} core(s), warm cache",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for k, vals in s.sweep.items():
        shown = (
            f"{vals}"
            if len(vals) <= 8
            else f"[{', '.join(map(repr, vals[:6]))}, ... ({len(vals)} values)]"
        )
        out.print(f"  sweep {k}: {shown}", markup=False, highlight=False)
    if s.paired:
        out.print("  paired: every point sees the same random streams", markup=False)
    for name, study in s.studies.items():
        keys = ", ".join(p.key for p in study.params)
        out.print(
            f"  [{name}] searches {keys}: `auction-sim {name} {s.source}` (run ignores it)",
            markup=False,
            highlight=False,
        )
    return 0


def _report(args, out: Console, err: Console) -> int:
    from pathlib import Path

    d = Path(args.directory)
    if not d.is_dir():
        what = "is a file, not a folder" if d.exists() else "does not exist"
        err.print(
            f"auction-sim: {d}: {what} (expected a folder written by `auction-sim run --out {d}`)",
            markup=False,
            highlight=False,
        )
        return 2
    if (d / "optimize.json").is_file() and not (d / "runs.parquet").is_file():
        from .report.design import optimize_page  # an optimize / calibrate folder

        out.print(f"report: {optimize_page(d)}", markup=False, highlight=False)
        return 0
    if not (d / "runs.parquet").is_file() or not (d / "scenario.toml").is_file():
        hint = (
            "; the run did not finish: run the same command again to complete it"
            if (d / "manifest.json").is_file()
            else ""
        )
        err.print(
            f"auction-sim: {d}: no finished results here (expected runs.parquet and"
            f" scenario.toml written by `auction-sim run --out {d}`){hint}",
            markup=False,
            highlight=False,
        )
        return 2
    from .report import build_report  # matplotlib: imported only for reports

    path = build_report(d, args.out)
    out.print(f"report: {path} (figures in {d / 'figures'})", markup=False, highlight=False)
    return 0


def _warmup(args, out: Console, err: Console) -> int:
    import time

    from .jit import configure_cache
    from .scenario import KINDS
    from .warmup import warmup

    bad = [k for k in args.kinds if k not in KINDS]
    if bad:
        raise ScenarioError("warmup", None, f"unknown kind {bad[0]!r}; kinds: {', '.join(KINDS)}")
    start = time.perf_counter()

    def said(kind: str, seconds: float) -> None:
        err.print(f"  {kind}: {seconds:.1f} s", markup=False, highlight=False)

    warmup(args.kinds or None, progress=said)
    out.print(
        f"kernels ready in {time.perf_counter() - start:.1f} s; cache: {configure_cache()}",
        markup=False,
        highlight=False,
    )
    return 0


def _metrics(args, out: Console, err: Console) -> int:
    from .metrics import CATALOGUE, render_text

    bad = [k for k in args.kinds if k not in CATALOGUE]
    if bad:
        raise ScenarioError(
            "metrics", None, f"unknown kind {bad[0]!r}; kinds: {', '.join(CATALOGUE)}"
        )
    sys.stdout.write(render_text(args.kinds or list(CATALOGUE)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``auction-sim``; returns the exit status."""
    from rich.console import Console

    args = build_parser().parse_args(argv)
    out = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    err = Console(file=sys.stderr, soft_wrap=True)
    try:
        if args.command == "run":
            return _run(args, out, err)
        if args.command == "validate":
            return _validate(args, out, err)
        if args.command == "report":
            return _report(args, out, err)
        if args.command == "metrics":
            return _metrics(args, out, err)
        if args.command == "warmup":
            return _warmup(args, out, err)
        if args.command in ("compare", "optimize", "calibrate"):
            from .design.cli import run_design_command

            return run_design_command(args, out, err)
    except ScenarioError as exc:
        err.print(f"auction-sim: {exc}", markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        err.print("auction-sim: interrupted", markup=False, highlight=False)
        return 1
    except Exception as exc:  # noqa: BLE001 - a failure while running: status 1, short message
        err.print(f"auction-sim: failed: {type(exc).__name__}: {exc}", markup=False)
        return 1
    return 2
