"""``scamsim validate``: check scenario, experiment and sensitivity files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_BAD_INPUT

SENSITIVITY_TABLES = ("uncertain", "sensitivity")
EXPERIMENT_TABLES = ("experiment", "factors", "points", "sample")


def file_kind(data: dict) -> str:
    """``scenario``, ``experiment`` or ``sensitivity``, from the tables only that kind of file has.

    A file with any table of its kind is checked as that kind, so a missing ``[experiment]`` table is
    reported as such rather than as an unknown table of a scenario.
    """
    if any(t in data for t in SENSITIVITY_TABLES):
        return "sensitivity"
    if any(t in data for t in EXPERIMENT_TABLES):
        return "experiment"
    return "scenario"


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario, experiment and sensitivity files (told apart by the tables each kind has)."""
    from sim.analysis.sensitivity import load_sensitivity
    from sim.experiments.design import validate_experiment
    from sim.scenario.loader import ScenarioError, load_scenario, read_toml

    loaders = {"scenario": load_scenario, "experiment": validate_experiment, "sensitivity": load_sensitivity}
    bad = 0
    for path in args.files:
        try:
            _, data = read_toml(Path(path), "scamsim")
            loaders[file_kind(data)](path)
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
        else:
            print(f"ok: {path}")
    return EXIT_BAD_INPUT if bad else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario and experiment files without running them",
                       description="Check scenario, experiment and sensitivity files (told apart by their tables) without "
                                   "running them: every problem is printed with its file and key; exit code 2 if any.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario, experiment or sensitivity files (.toml) to check")
    p.set_defaults(func=cmd_validate)
