"""``scamsim sensitivity`` and ``scamsim discover``: added to the main parser by ``register(subparsers)``.

The analysis lives in ``sim.analysis`` (``sensitivity``: Morris and Sobol over an experiment's
[uncertain] parameters; ``discovery``: PRIM on a results folder), which raises errors and returns
results; this module turns arguments into calls, errors into messages and exit codes, and results
into printed lines. Exit codes: 0 success, 2 bad input (the message names the file and the key),
1 failed runs, 130 interrupted (the finished runs are kept; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.analysis.sensitivity_spec import METHODS
from sim.cli.common import EXIT_FAILURE, EXIT_INTERRUPTED, print_errors, workers_problem


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.analysis.sensitivity import SensitivityError, load_sensitivity, run_sensitivity
    from sim.experiments.store import StoreError
    from sim.scenario.loader import ScenarioError

    if (problem := workers_problem(args.workers)) is not None:
        return print_errors([problem])
    if args.workers is not None and args.scheduler:
        return print_errors(["--workers and --scheduler cannot be combined: the Dask cluster has its own workers"])
    try:
        spec = load_sensitivity(args.experiment)
    except ScenarioError as exc:
        return print_errors(exc.problems)
    from sim.common.files import folder_problem

    out = args.out or f"results/{spec.experiment.name}-{args.method}"
    problem = folder_problem(Path(out))
    if problem:
        return print_errors([f"--out {out}: {problem}; choose another --out"])
    n = spec.settings.runs(args.method, len(spec.uncertain.names))
    print(f"{spec.experiment.name}: {args.method} over {len(spec.uncertain.names)} parameters, {n} design points x "
          f"{spec.experiment.replications} replication(s){' + counterfactuals' if spec.experiment.counterfactual else ''}",
          file=sys.stderr)
    command = "scamsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        report = run_sensitivity(spec, args.method, out=out, workers=args.workers, scheduler=args.scheduler,
                                 resume=args.resume, command=command)
    except (ScenarioError, StoreError) as exc:
        return print_errors(exc.problems if isinstance(exc, ScenarioError) else [str(exc)])
    except SensitivityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are saved in {out}; continue with: scamsim sensitivity {args.experiment} "
              f"--method {args.method} --out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    key = "mu_star" if args.method == "morris" else "ST"
    for outcome, t in report.table.groupby("outcome", sort=False):
        print(f"{outcome} ({key}, most important first):")
        for _, row in t.sort_values("rank").iterrows():
            extra = (f"mu*={row.mu_star:.4g} ±{row.mu_star_conf:.2g}  sigma={row.sigma:.4g}" if args.method == "morris"
                     else f"ST={row.ST:.3f} ±{row.ST_conf:.3f}  S1={row.S1:.3f} ±{row.S1_conf:.3f}")
            print(f"  {int(row['rank']):2d}. {row.parameter:36s} {extra}")
        if report.replaced.get(outcome):
            print(f"  note: {report.replaced[outcome]} design points had an undefined value, replaced by the mean")
    print(f"{report.points} design points, {report.runs} runs ({report.ran} now) in {report.elapsed_s:.1f} s")
    for f in report.files:
        print(f"wrote {f}")
    return 0


def parse_where(items: list[str] | None) -> dict[str, str]:
    """``--where PARAM=VALUE`` options as a dict; ValueError naming the option that lacks ``=``."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--where {item!r}: give PARAM=VALUE")
        out[key] = value
    return out


def cmd_discover(args: argparse.Namespace) -> int:
    from sim.analysis.discovery import DiscoveryError, discover
    from sim.experiments.store import StoreError

    try:
        where = parse_where(args.where)
    except ValueError as exc:
        return print_errors([str(exc)])
    from sim.common.files import folder_problem

    problem = folder_problem(Path(args.out)) if args.out else None
    if problem:
        return print_errors([f"--out {args.out}: {problem}; choose another --out"])
    try:
        found = discover(args.results, args.measure, args.above, args.below, where, args.params,
                         alpha=args.alpha, mass_min=args.mass_min, threshold=args.threshold, out=args.out)
    except (StoreError, DiscoveryError) as exc:
        return print_errors([str(exc)])
    print(found.summary())
    for f in found.files:
        print(f"wrote {f}")
    return 0


def register_discover(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scamsim discover`` to ``scamsim``'s parser (``register`` calls this)."""
    p = subparsers.add_parser(
        "discover", help="scenario discovery: the parameter box that concentrates runs above/below a threshold (PRIM)",
        description="PRIM on a results folder (scamsim sweep or scamsim sensitivity): find the box of parameter values "
                    "inside which the runs with MEASURE above (or below) X are dense, and report its coverage and density "
                    "and the peeling trajectory (CSV, PNG, SVG). See docs/sensitivity.md.")
    p.add_argument("results", help="results folder, e.g. results/sensitivity-sobol")
    p.add_argument("--measure", required=True, metavar="M", help="measure defining the runs of interest")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--above", type=float, metavar="X", help="runs of interest: MEASURE > X")
    g.add_argument("--below", type=float, metavar="X", help="runs of interest: MEASURE < X")
    p.add_argument("--where", action="append", metavar="PARAM=VALUE", help="keep only runs with this value (repeatable)")
    p.add_argument("--params", nargs="+", metavar="PARAM", help="parameters to box (default: every numeric one varied)")
    p.add_argument("--threshold", type=float, default=0.8, help="choose the widest box with at least this density (default 0.8)")
    p.add_argument("--alpha", type=float, default=0.05, help="share of the box's runs peeled per step (default 0.05)")
    p.add_argument("--mass-min", type=float, default=0.05, help="smallest share of runs a box may keep (default 0.05)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: RESULTS/discovery)")
    p.set_defaults(func=cmd_discover)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scamsim sensitivity`` and ``scamsim discover`` to ``scamsim``'s parser."""
    p = subparsers.add_parser(
        "sensitivity", help="global sensitivity analysis of an experiment's [uncertain] parameters (Morris or Sobol)",
        description="Sample the [uncertain] parameters of a sensitivity file with SALib, run every sample as a design "
                    "point of a sweep (resumable; local processes or Dask), and write Morris or Sobol indices "
                    "(CSV, Parquet) and a figure (PNG, SVG) to OUT/sensitivity/. See docs/sensitivity.md.")
    p.add_argument("experiment", help="sensitivity file, e.g. experiments/sensitivity.toml")
    p.add_argument("--method", choices=METHODS, default="morris",
                   help="morris: screening, r*(D+1) points; sobol: first-order and total indices, N*(D+2) points")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: all cores; 1: serial)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/NAME-METHOD)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in DIR (it must exist)")
    p.set_defaults(func=cmd_sensitivity)
    register_discover(subparsers)
