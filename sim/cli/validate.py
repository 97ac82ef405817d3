"""``scamsim validate``: check scenario, experiment and sensitivity files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_BAD_INPUT


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario, experiment and sensitivity files (told apart by [experiment] and [uncertain] tables)."""
    import tomllib

    from sim.analysis.sensitivity import load_sensitivity
    from sim.experiments.design import is_experiment_file, validate_experiment
    from sim.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for path in args.files:
        try:
            if is_experiment_file(path):
                try:
                    sensitivity = "uncertain" in tomllib.loads(Path(path).read_text())
                except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                    sensitivity = False  # the experiment loader reports the problem
                if sensitivity:
                    load_sensitivity(path)
                else:
                    validate_experiment(path)
            else:
                load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
        else:
            print(f"ok: {path}")
    return EXIT_BAD_INPUT if bad else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario and experiment files without running them")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)
