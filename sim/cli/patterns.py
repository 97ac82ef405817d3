"""``scamsim patterns``: the command line of the pattern-oriented validation (``sim.analysis.validation``).

The validation modules are imported only when the command runs, because they import the model, pandas
and scipy: every ``scamsim`` command builds the whole parser, and none should pay for the validation
suite's imports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import count_problems, print_errors
from sim.common.resources import shipped

DEFAULT_SCENARIO = shipped("scenarios") / "mekong.toml"  # = sim.analysis.validation.mekong.DEFAULT_SCENARIO


def read_parameter_sets(path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The parameter sets of a JSON file (a list of objects of dotted keys), or the problems with it."""
    import json

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        return [], [f"{path}: cannot read the parameter sets ({exc})"]
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        return [], [f"{path}: parameter sets must be a non-empty JSON list of objects such as "
                    '[{"enforcement.tipoff_protection": 0.5}, ...]']
    return data, []


def cmd_patterns(args: argparse.Namespace) -> int:
    from sim.analysis.validation.mekong import CATALOGUE
    from sim.analysis.validation.report import format_markdown, format_shocks, format_text
    from sim.analysis.validation.runner import run_patterns, run_shocks
    from sim.analysis.validation.steady import format_drift, format_relaxation, relaxation, steady_state
    from sim.scenario.loader import ScenarioError, load_scenario
    from sim.scenario.values import apply_values

    problems = count_problems(args.replications, args.workers, args.first_seed, "--first-seed")
    if problems:
        return print_errors(problems)
    try:
        scenario = load_scenario(args.scenario, list(args.set or []))
    except ScenarioError as exc:
        return print_errors(exc.problems)
    sets: list[dict[str, Any]] = []
    if args.parameter_sets:
        sets, problems = read_parameter_sets(args.parameter_sets)
        for k, values in enumerate(sets):
            try:
                apply_values(scenario.params, values)
            except ScenarioError as exc:
                problems += [f"{args.parameter_sets}: set {k}: {p}" for p in exc.problems]
        if problems:
            return print_errors(problems)
    seeds = list(range(args.first_seed, args.first_seed + args.replications))
    if args.relaxation is not None:
        if args.relaxation < 2:
            return print_errors([f"--relaxation: {args.relaxation} is too few years; allowed: a whole number of years, at least 2"])
        print(format_relaxation(str(args.scenario), relaxation(scenario.params, seeds, args.relaxation, args.workers), len(seeds)))
        return 0
    if args.lifetimes is not None:
        if args.lifetimes < 1:
            return print_errors([f"--lifetimes: {args.lifetimes} is too few years; allowed: a whole number of years, at least 1"])
        from sim.analysis.validation.lifetimes import all_lives, format_hazards, hazard_by_age

        runs = all_lives(scenario.params, seeds, args.lifetimes, args.workers)
        print(format_hazards(str(args.scenario), hazard_by_age(runs), runs))
        return 0
    if args.sizes is not None:
        if args.sizes < 2:
            return print_errors([f"--sizes: {args.sizes} is too few years; allowed: a whole number of years, at least 2"])
        from sim.analysis.validation.sizes import all_sizes, format_sizes

        print(format_sizes(str(args.scenario), all_sizes(scenario.params, seeds, args.sizes, args.workers)))
        return 0
    if args.steady_state or args.steady_state_only:
        drifts = steady_state(scenario.params, seeds, args.workers)
        print(format_drift(str(args.scenario), drifts, scenario.params.run.weeks))
        print()
        if args.steady_state_only:
            return 0
    report = run_patterns(scenario.params, CATALOGUE, args.replications, args.workers, args.first_seed, scenario=str(args.scenario),
                          parameter_sets=sets or None, apply_overrides=apply_values)
    print(format_markdown(report) if args.markdown else format_text(report))
    if args.shocks:
        print()
        shocks = run_shocks(scenario.params, CATALOGUE.shocks, args.replications, args.workers, args.first_seed)
        print(format_shocks(shocks, CATALOGUE.last_year))
    return 0  # a failed pattern is a finding, not an error


def register(subparsers: Any) -> None:
    """Add ``scamsim patterns [SCENARIO] [--replications N] [--workers N]`` to the CLI's subparsers."""
    p = subparsers.add_parser("patterns", help="pattern-oriented validation: does the model reproduce the stylised facts?",
                              description="Run a scenario and its variants over several seeds (and parameter sets) and compare "
                                          "each observation of docs/validation.md with the model's predictive distribution; "
                                          "an inconsistent pattern is a finding (exit code 0).")
    p.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO), help="scenario file (default: scenarios/mekong.toml)")
    p.add_argument("--replications", type=int, default=10, help="seeds per variant (default 10)")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    p.add_argument("--first-seed", type=int, default=1, help="seed of the first replication (default 1)")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/validation.md)")
    p.add_argument("--shocks", action="store_true", help="also replay the shocks of scenarios/shocks/ (docs/shocks.md)")
    p.add_argument("--parameter-sets", metavar="FILE.json",
                   help="a JSON list of parameter overrides (e.g. posterior samples); every set is run and the draws pooled")
    p.add_argument("--steady-state", action="store_true", help="first check that the no-policy run does not drift (burn-in)")
    p.add_argument("--steady-state-only", action="store_true", help="only the burn-in drift check")
    p.add_argument("--relaxation", type=int, metavar="YEARS",
                   help="only the no-policy run's yearly means over seeds from the initial state, for YEARS years (choosing a burn-in)")
    p.add_argument("--lifetimes", type=int, metavar="YEARS",
                   help="only the operators' exit hazard by age in the no-policy run from the initial state, over YEARS years "
                        "(why the burn-in relaxes slowly)")
    p.add_argument("--sizes", type=int, metavar="YEARS",
                   help="only the standing compounds' number, mean capacity and people held, and the operators, at each year's "
                        "end of the no-policy run from the initial state, over YEARS years, with their drift per decade "
                        "(what the compounds' slow variable is)")
    p.set_defaults(func=cmd_patterns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scamsim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["patterns", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))
