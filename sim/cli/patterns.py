"""``scamsim patterns``: the command line of the pattern-oriented validation (``sim.analysis.validation``).

The validation modules are imported only when the command runs, because they import the model, pandas
and scipy: every ``scamsim`` command builds the whole parser, and none should pay for the validation
suite's imports.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.cli.common import print_errors
from sim.common.resources import shipped

DEFAULT_SCENARIO = shipped("scenarios") / "mekong.toml"  # = sim.analysis.validation.mekong.DEFAULT_SCENARIO


def cmd_patterns(args: argparse.Namespace) -> int:
    from sim.analysis.validation.mekong import CATALOGUE
    from sim.analysis.validation.report import format_markdown, format_shocks, format_text
    from sim.analysis.validation.runner import run_patterns, run_shocks
    from sim.scenario.loader import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario, list(args.set or []))
    except ScenarioError as exc:
        return print_errors(exc.problems)
    report = run_patterns(scenario.params, CATALOGUE, args.replications, args.workers, args.first_seed, scenario=str(args.scenario))
    print(format_markdown(report) if args.markdown else format_text(report))
    if args.shocks:
        print()
        shocks = run_shocks(scenario.params, CATALOGUE.shocks, args.replications, args.workers, args.first_seed)
        print(format_shocks(shocks, CATALOGUE.last_year))
    return 0  # a failed pattern is a finding, not an error


def register(subparsers: Any) -> None:
    """Add ``scamsim patterns [SCENARIO] [--replications N] [--workers N]`` to the CLI's subparsers."""
    p = subparsers.add_parser("patterns", help="pattern-oriented validation: does the model reproduce the stylised facts?",
                              description="Run a scenario and its variants over several seeds and check each stylised fact of "
                                          "docs/validation.md against the runs; a failed pattern is a finding (exit code 0).")
    p.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO), help="scenario file (default: scenarios/mekong.toml)")
    p.add_argument("--replications", type=int, default=10, help="seeds per variant (default 10)")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    p.add_argument("--first-seed", type=int, default=1, help="seed of the first replication (default 1)")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/validation.md)")
    p.add_argument("--shocks", action="store_true", help="also replay the shocks of scenarios/shocks/ (docs/shocks.md)")
    p.set_defaults(func=cmd_patterns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scamsim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["patterns", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))
