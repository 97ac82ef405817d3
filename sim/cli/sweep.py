"""``scamsim sweep`` and ``scamsim plot``: added to the main parser by ``register(subparsers)``.

Exit codes follow ``sim.cli.main``: 0 success, 2 bad input (the message names the file and the key),
1 failed runs or anything else, 130 interrupted (the finished runs are kept; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING

from sim.cli.common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, print_errors, workers_problem

if TYPE_CHECKING:
    from sim.experiments.store import Results


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.design import load_experiment
    from sim.experiments.runner import run_sweep
    from sim.experiments.store import StoreError
    from sim.scenario.loader import ScenarioError

    if (problem := workers_problem(args.workers)) is not None:
        return print_errors([problem])
    if args.workers is not None and args.scheduler:
        return print_errors(["--workers and --scheduler cannot be combined: the Dask cluster has its own workers"])
    if args.chunk_size is not None and args.chunk_size < 1:
        return print_errors([f"--chunk-size {args.chunk_size}: give 1 or more runs per task"])
    try:
        exp = load_experiment(args.experiment)
    except ScenarioError as exc:
        return print_errors(exc.problems)
    command = "scamsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    out = args.out or f"results/{exp.name}"
    try:
        report = run_sweep(exp, out=out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                           retry_failed=args.retry_failed, chunk_size=args.chunk_size, command=command,
                           share_burn_in=args.share_burn_in)
    except (ScenarioError, StoreError) as exc:
        return print_errors(exc.problems if isinstance(exc, ScenarioError) else [str(exc)])
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are saved in {out}; continue with: scamsim sweep {args.experiment} "
              f"--out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{exp.name}: {report.total} runs ({len(exp.points)} design points x {exp.replications} replications"
          f"{' + shared counterfactuals' if exp.counterfactual else ''}); {report.already} already done, "
          f"{report.succeeded} ran now, {report.failed} failed now, in {report.elapsed_s:.1f} s "
          f"({report.backend}, {report.workers} worker{'s' if report.workers != 1 else ''})")
    print(f"wrote {report.out}/manifest.json, results/, series/, moves/, errors/ (Parquet parts)")
    if report.failed_total:
        print(f"warning: {report.failed_total} runs failed; their errors and parameters are in {report.out}/errors/ "
              f"(retry with --retry-failed)", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def check_coverage(results: Results) -> list[str]:
    """Problems that leave nothing to show (no successful run); warns on stderr about a partial folder.

    A folder can hold fewer runs than its experiment plans (an interrupted sweep, or failed runs):
    tables and figures of it say so, rather than passing a part for the whole."""
    ok, failed, planned = results.counts()
    path, status = results.path, results.manifest.get("status", "unknown")
    exp = (results.manifest.get("experiment") or {}).get("path") or "EXPERIMENT"
    resume = f"scamsim sweep {exp} --out {path} --resume"
    if ok == 0:
        if failed:
            return [f"{path}: every recorded run failed ({failed} of {planned} planned); their errors are in {path}/errors/ "
                    f"(retry with {resume} --retry-failed)"]
        return [f"{path}: no finished runs yet (0 of {planned} planned; status {status}); continue with {resume}"]
    if ok + failed < planned:
        print(f"warning: {path} is partial: {ok + failed} of {planned} planned runs are present (status {status}); "
              f"what follows uses those {ok}{f' ({failed} failed)' if failed else ''}; complete it with {resume}",
              file=sys.stderr)
    elif failed:
        print(f"warning: {path}: {failed} of {planned} runs failed and are left out; their errors are in {path}/errors/",
              file=sys.stderr)
    return []


def cmd_plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sim.common.files import folder_problem
    from sim.experiments.store import StoreError, load_results
    from sim.viz.sweeps import PlotError, plot_results

    try:
        results = load_results(args.results)
        problems = check_coverage(results)
        if problems:
            return print_errors(problems)
        target = Path(args.out).parent if args.out else results.path / "figures"
        problem = folder_problem(target)
        if problem:
            return print_errors([f"--out {args.out or target}: {problem}; choose another --out"])
        written = plot_results(results, x=args.x, y=args.y, hue=args.hue, where=args.where, kind=args.kind, out=args.out)
    except (PlotError, StoreError) as exc:
        return print_errors([str(exc)])
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` and ``plot`` subcommands to ``scamsim``'s parser."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment: every design point x replication, into Parquet results",
        description="Run every design point x replication of an experiment file (see docs/experiments.md). "
                    "Finished runs in the output folder are skipped, so an interrupted sweep continues where it stopped.")
    p.add_argument("experiment", help="experiment file, e.g. experiments/quick.toml")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: all cores; 1: serial, in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786 "
                   "(needs scamsim[distributed])")
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/NAME)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted sweep in DIR (it must exist)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs recorded as failed")
    p.add_argument("--chunk-size", type=int, metavar="N", help="runs per task (default: automatic, at most 64)")
    p.add_argument("--no-shared-burn-in", dest="share_burn_in", action="store_false",
                   help="simulate every run's burn-in instead of copying the one its counterfactual shares (slower; same results)")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "plot", help="figures of a sweep's results (PNG and SVG)",
        description="Mean and Student-t 95% interval across replications: a measure against a parameter "
                    "(one line per policy type), a heatmap when two parameters vary, and relocation distances.")
    p.add_argument("results", help="results folder written by scamsim sweep")
    p.add_argument("--x", metavar="PARAM", help="parameter on the x axis (default: policy.raid_frequency if varied)")
    p.add_argument("--y", metavar="MEASURE", help="measure on the y axis (default: the comparison with the no-policy run, "
                   "counterfactual.persistence_vs_counterfactual_workers, when the sweep has one; else persistence.persistence_workers)")
    p.add_argument("--hue", metavar="PARAM", help="one line per value of PARAM (default: policy.type if varied); "
                   "with --kind heatmap, the parameter on the y axis")
    p.add_argument("--where", action="append", metavar="PARAM=VALUE", help="keep only runs with this value (repeatable)")
    p.add_argument("--kind", choices=("auto", "line", "heatmap", "relocation"), default="auto",
                   help="figure kind (default: a heatmap when exactly two numeric parameters vary, else lines)")
    p.add_argument("--out", metavar="FILE", help="write FILE.png and FILE.svg (default: RESULTS/figures/...)")
    p.set_defaults(func=cmd_plot)

