"""The design-study subcommands of ``auction-sim``: compare, optimize, calibrate.

Imported by :mod:`auction_sim.cli` when the parser is built; everything heavy (pandas, optuna,
the backends) is imported inside the commands.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from ..scenario import ScenarioError
from .jsonsafe import json_safe as _clean

__all__ = ["add_design_parsers", "run_design_command"]


def _common(p, positive_int, seed, backends) -> None:
    p.add_argument(
        "scenario",
        help="scenario TOML file (no [sweep]: the search sets the keys); its [optimize] or"
        " [calibrate] table gives the settings that no flag gives",
    )
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH|KEY=a,b,c",
        help="a searched key: a real or integer range, or choices (repeatable)",
    )
    p.add_argument("--budget", type=positive_int, help="search trials (default 40)")
    p.add_argument("--reps", type=positive_int, help="replications per trial (default: scenario)")
    p.add_argument("--batch", type=positive_int, help="trials evaluated together (default 4)")
    p.add_argument("--confirm", type=positive_int, help="best candidates rerun (default 5)")
    p.add_argument(
        "--confirm-reps", type=positive_int, help="their replications (default 4 x --reps)"
    )
    p.add_argument("--seed", type=seed, help="root seed (replaces the scenario's seed)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", help="study folder (resumable): study.journal, trials.parquet, ...")
    p.add_argument("--backend", choices=backends, default="process", help="where tasks run")
    p.add_argument("--workers", type=positive_int, help="worker processes (default: all cores)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")


def add_design_parsers(sub, positive_int, seed, backends) -> None:
    c = sub.add_parser("compare", help="paired differences of every point against a baseline")
    c.add_argument("directory", metavar="DIR", help="a folder written by `run --out DIR`")
    c.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="the baseline's value of a swept key (repeatable)",
    )
    c.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    o = sub.add_parser("optimize", help="search parameters that maximise (minimise) a metric")
    o.add_argument(
        "--objective", metavar="METRIC", help="the metric to optimise (or [optimize] objective)"
    )
    way = o.add_mutually_exclusive_group()
    way.add_argument("--minimize", action="store_true", help="minimise (default: maximise)")
    way.add_argument("--maximize", action="store_true", help="maximise (over the table's minimize)")
    _common(o, positive_int, seed, backends)

    k = sub.add_parser("calibrate", help="fit parameters to observed metrics (simulated moments)")
    k.add_argument("--targets", metavar="FILE", help="targets TOML file (or [calibrate] targets)")
    k.add_argument(
        "--bootstrap",
        type=_nonneg_int,
        metavar="B",
        help="bootstrap draws for percentile intervals (default 1000; 0: none)",
    )
    k.add_argument(
        "--bootstrap-steps",
        type=positive_int,
        metavar="S",
        help="Gauss-Newton steps per draw (default 1: no new simulation; each further step"
        " simulates B x reps tasks)",
    )
    _common(k, positive_int, seed, backends)


def _nonneg_int(text: str) -> int:
    import argparse

    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, found {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, found {v}")
    return v


# --------------------------------------------------------------------------- compare


def _compare(args, out, err) -> int:
    from ..batch import Results
    from .compare import compare_results, parse_baseline, write_compare

    d = Path(args.directory)
    if not (d / "runs.parquet").is_file() or not (d / "scenario.toml").is_file():
        raise ScenarioError(
            str(d), None, "no finished results here (expected runs.parquet and scenario.toml)"
        )
    results = Results.load(d)
    baseline = parse_baseline(args.baseline, results)
    table, doc = compare_results(results, baseline)
    write_compare(d, doc)
    if args.json:
        sys.stdout.write(json.dumps(doc, allow_nan=False) + "\n")
        return 0
    from rich.table import Table

    how = "paired by replication" if results.paired else "independent samples (run not paired)"
    out.print(
        f"{results.name}: differences against {baseline} — {how}, 95 % intervals",
        markup=False,
        highlight=False,
    )
    t = Table(show_header=True)
    for col in ("point", "metric", "diff", "stderr", "95 % interval", "n", "se paired/indep."):
        t.add_column(col, justify="right" if col not in ("point", "metric") else "left")
    for _, r in table.iterrows():
        if not r["n"]:  # undefined in this run (NaN everywhere)
            continue
        label = ", ".join(f"{k}={r[k]}" for k in results.params if k not in baseline) or ""
        label = ", ".join(filter(None, [label, *(f"{k}={r[k]}" for k in baseline)]))
        t.add_row(
            label,
            r["metric"],
            f"{r['diff']:.4g}",
            f"{r['stderr']:.2g}",
            f"[{r['ci95_low']:.4g}, {r['ci95_high']:.4g}]",
            str(int(r["n"])),
            f"{r['stderr_paired']:.2g} / {r['stderr_independent']:.2g}",
        )
    out.print(t)
    out.print(f"written {d / 'compare.json'}; `auction-sim report {d}` draws it", markup=False)
    return 0


# --------------------------------------------------------------------------- search setup


def _setting(args, study, name: str, default):
    """A flag given on the command line, else the scenario's table, else the default."""
    flag = getattr(args, name, None)
    if flag is not None:
        return flag
    return study.get(name, default) if study is not None else default


def _prepare(args):
    from ..scenario import load_scenario, metrics_for
    from ..scenario.studies import study_keys
    from .space import Param, parse_params

    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    scenario = load_scenario(args.scenario, overrides)
    if scenario.sweep:
        raise ScenarioError(
            scenario.source,
            "sweep",
            f"{args.command} sets the searched keys itself: remove the [sweep] table"
            f" (or fix its keys with --set); swept: {', '.join(scenario.sweep)}",
        )
    study = scenario.studies.get(args.command)
    if args.params or study is None:
        params = parse_params(args.params, scenario)
    else:
        params = [Param(p.key, p.kind, p.low, p.high, p.choices) for p in study.params]
    metrics = list(metrics_for(scenario.kind, scenario))
    if args.backend != "dask" and args.scheduler:
        raise ScenarioError("--scheduler", None, "needs --backend dask")
    # flag, else the scenario's table, else the default (one list: scenario/studies.py)
    s = {k.name: _setting(args, study, k.name, k.default) for k in study_keys(args.command)}
    s["study"] = study
    s["reps"] = s["reps"] or scenario.replications
    s["confirm_reps"] = s["confirm_reps"] or 4 * s["reps"]
    return scenario, params, metrics, s


def _fingerprint(*parts) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _progress(args, err):
    if args.no_progress:
        return None

    def say(msg: str) -> None:
        err.print(f"  {msg}", markup=False, highlight=False)

    return say


# --------------------------------------------------------------------------- optimize


def _optimize(args, out, err) -> int:
    from .evaluate import Evaluator
    from .optimize import Study, run_search, winner_summary
    from .outputs import write_search_outputs

    scenario, params, metrics, s = _prepare(args)
    reps, confirm_reps, batch, study = s["reps"], s["confirm_reps"], s["batch"], s["study"]
    obj = s["objective"]
    if obj is None:
        raise ScenarioError(
            "--objective", None, "expected --objective METRIC (or objective in an [optimize] table)"
        )
    if obj not in metrics:
        raise ScenarioError(
            "--objective",
            obj,
            f"the {scenario.kind} kind does not report it; its metrics: {', '.join(metrics)}",
        )
    minimize = bool(study.get("minimize", False)) if study is not None else False
    minimize = True if args.minimize else False if args.maximize else minimize
    study_def = Study(
        params,
        objective=lambda ev: ev.mean(obj),
        minimize=minimize,
        per_rep=lambda ev: ev.values[obj],
    )
    fp = _fingerprint(
        "optimize", scenario.raw, [p.describe() for p in params], obj, minimize, reps, batch
    )
    evaluator = Evaluator(
        scenario, metrics, backend=args.backend, workers=args.workers, scheduler=args.scheduler
    )
    outdir = Path(args.out) if args.out else None
    try:
        res = run_search(
            study_def, evaluator, seed=scenario.seed, budget=s["budget"], reps=reps,
            batch=batch, confirm=s["confirm"], confirm_reps=confirm_reps, out=outdir,
            fingerprint=fp, progress=_progress(args, err),
        )  # fmt: skip
    finally:
        evaluator.close()
    best = winner_summary(res, study_def, obj)
    doc = {
        "command": "optimize",
        "scenario": scenario.name,
        "kind": scenario.kind,
        "seed": scenario.seed,
        "objective": obj,
        "direction": "minimize" if minimize else "maximize",
        "space": [p.describe() for p in params],
        "budget": s["budget"],
        "reps": reps,
        "confirm_reps": confirm_reps,
        "trials": int((res.trials["stage"] == "search").sum()),
        "failed": int(((res.trials["stage"] == "search") & (res.trials["state"] == "FAIL")).sum()),
        "resumed_from": res.resumed,
        "best": best,
        "confirmed": [
            {"params": ev.params, "value": v, "stderr": ev.stderr(obj)}
            for ev, v in zip(res.confirmed, res.confirmed_values, strict=True)
        ],
        "tasks": res.tasks,
        "seconds": round(res.seconds, 2),
    }
    if outdir is not None:
        doc["out"] = str(outdir)
        write_search_outputs(outdir, scenario, res, doc, "best.toml", obj)
    doc = _clean(doc)
    if args.json:
        sys.stdout.write(json.dumps(doc, allow_nan=False) + "\n")
        return 0
    b = doc["best"]
    out.print(
        f"{scenario.name}: {doc['direction']} {obj} over {', '.join(doc['space'])}",
        markup=False,
        highlight=False,
    )
    out.print(
        f"  {doc['trials']} trials x {reps} reps, then the best {len(doc['confirmed'])}"
        f" x {confirm_reps} reps; {doc['tasks']} tasks in {doc['seconds']} s",
        markup=False,
        highlight=False,
    )
    ci = b.get("ci95") or [None, None]
    out.print(
        f"  winner {b['params']}: {obj} = {b['value']:.6g}"
        + (f" (95 % CI [{ci[0]:.6g}, {ci[1]:.6g}])" if ci[0] is not None else ""),
        markup=False,
        highlight=False,
    )
    ru = b.get("runner_up")
    if ru and "diff" in ru:
        out.print(
            f"  runner-up {ru['params']}: paired difference {ru['diff']:.4g}"
            f" (se {ru['stderr']:.2g}, 95 % CI [{ru['ci95'][0]:.4g}, {ru['ci95'][1]:.4g}])",
            markup=False,
            highlight=False,
        )
    if outdir is not None:
        out.print(f"  written {outdir}/best.toml, trials.parquet, optimize.html", markup=False)
    return 0


# --------------------------------------------------------------------------- calibrate


def _calibrate(args, out, err) -> int:
    from .bootstrap import bootstrap_intervals
    from .calibrate import distance, refine_and_intervals
    from .evaluate import Evaluator
    from .optimize import Study, run_search
    from .outputs import write_search_outputs
    from .targets import load_targets

    scenario, params, metrics, s = _prepare(args)
    reps, confirm_reps, batch, study = s["reps"], s["confirm_reps"], s["batch"], s["study"]
    if args.targets is not None:
        targets_path = Path(args.targets)
    elif study is not None:
        # relative to the scenario file, as written in it
        targets_path = Path(scenario.source).parent / study.get("targets")
    else:
        raise ScenarioError(
            "--targets", None, "expected --targets FILE (or targets in a [calibrate] table)"
        )
    targets = load_targets(targets_path, scenario.kind, metrics)
    study_def = Study(params, objective=lambda ev: distance(ev, targets), minimize=True)
    fp = _fingerprint(
        "calibrate", scenario.raw, [p.describe() for p in params], targets, reps, batch
    )
    evaluator = Evaluator(
        scenario, metrics, backend=args.backend, workers=args.workers, scheduler=args.scheduler
    )
    outdir = Path(args.out) if args.out else None
    say = _progress(args, err)
    try:
        res = run_search(
            study_def, evaluator, seed=scenario.seed, budget=s["budget"], reps=reps,
            batch=batch, confirm=s["confirm"], confirm_reps=confirm_reps, out=outdir,
            study_name="calibrate", fingerprint=fp, progress=say,
        )  # fmt: skip
        if say:
            say("refining (Gauss-Newton) and computing intervals from the curvature")
        fit = refine_and_intervals(evaluator, res.winner, params, targets, confirm_reps)
        draws, bsteps = s["bootstrap"], s["bootstrap_steps"]
        if not fit.identified:
            draws = 0  # a refit along a flat direction would only report the searched range
        if say and draws:
            say(f"bootstrap: {draws} draws, {bsteps} Gauss-Newton step(s) each")
        boot = bootstrap_intervals(
            fit.evaluation, fit.jacobian_evals, fit.jacobian_steps,
            [p for p in params if p.kind != "categorical"], targets,
            draws=draws, seed=scenario.seed, steps=bsteps, evaluator=evaluator,
        )  # fmt: skip
    finally:
        evaluator.close()
    res.tasks = evaluator.tasks_run
    doc = {
        "command": "calibrate",
        "scenario": scenario.name,
        "kind": scenario.kind,
        "seed": scenario.seed,
        "targets": targets.source,
        "space": [p.describe() for p in params],
        "budget": s["budget"],
        "reps": reps,
        "confirm_reps": confirm_reps,
        "trials": int((res.trials["stage"] == "search").sum()),
        "resumed_from": res.resumed,
        "search_best": {"params": res.winner.params, "distance": res.winner_value},
        "gauss_newton_steps": fit.steps,
        "identified": fit.identified,
        "params": fit.params,
        "stderr": fit.stderr,
        "ci95": fit.ci95,
        "bootstrap": boot.summary() if draws else None,
        "distance": fit.distance,
        "fit": fit.fits,
        "tasks": evaluator.tasks_run,
        "seconds": round(res.seconds, 2),
    }
    res.winner = fit.evaluation
    res.winner_value = fit.distance
    if outdir is not None:
        doc["out"] = str(outdir)
        write_search_outputs(outdir, scenario, res, doc, "calibrated.toml", "distance")
    doc = _clean(doc)
    if args.json:
        sys.stdout.write(json.dumps(doc, allow_nan=False) + "\n")
        return 0
    out.print(
        f"{scenario.name}: calibrated to {targets.name} ({len(targets.targets)} targets),"
        f" distance {doc['distance']:.4g}; {doc['tasks']} tasks",
        markup=False,
        highlight=False,
    )
    if not doc["identified"]:
        out.print(
            f"  not identified: {len(targets.targets)} targets cannot pin down"
            f" {len([p for p in params if p.kind != 'categorical'])} numeric parameters"
            " (or one moves no target); no intervals",
            markup=False,
            highlight=False,
        )
    for k, v in doc["params"].items():
        se = doc["stderr"].get(k)
        ci = doc["ci95"].get(k)
        extra = f"  se {se:.3g}  95 % CI [{ci[0]:.4g}, {ci[1]:.4g}]" if se is not None else ""
        bci = (doc["bootstrap"] or {}).get("ci95", {}).get(k)
        if bci and bci[0] is not None:
            extra += f"  bootstrap [{bci[0]:.4g}, {bci[1]:.4g}]"
        out.print(f"  {k} = {v:.6g}{extra}" if isinstance(v, float) else f"  {k} = {v}{extra}",
                  markup=False, highlight=False)  # fmt: skip
    for f in doc["fit"]:
        sim_se = f["simulated_stderr"]
        out.print(
            f"  {f['metric']}: observed {f['observed']:.4g}, simulated {f['simulated']:.4g}"
            + (f" (se {sim_se:.2g})" if sim_se is not None else "")
            + (f", z {f['z']:.2f}" if f["z"] is not None else ""),
            markup=False,
            highlight=False,
        )
    if outdir is not None:
        out.print(f"  written {outdir}/calibrated.toml, trials.parquet", markup=False)
    return 0


def run_design_command(args, out, err) -> int:
    from .optimize import StudyMismatch

    try:
        if args.command == "compare":
            return _compare(args, out, err)
        if args.command == "optimize":
            return _optimize(args, out, err)
        if args.command == "calibrate":
            return _calibrate(args, out, err)
    except StudyMismatch as exc:
        err.print(f"auction-sim: {exc}", markup=False, highlight=False)
        return 2
    return 2
