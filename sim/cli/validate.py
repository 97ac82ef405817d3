"""``scamsim validate``: check scenario, experiment, sensitivity and calibration files, and records of observations,
without running anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_BAD_INPUT

SENSITIVITY_TABLES = ("uncertain", "sensitivity")
EXPERIMENT_TABLES = ("experiment", "factors", "points", "sample")
CALIBRATION_TABLES = ("calibration", "statistics", "screening")
RECORD_TABLES = ("observation",)


def file_kind(data: dict) -> str:
    """``scenario``, ``experiment``, ``sensitivity``, ``calibration`` (a spec for ``scamsim calibrate``), ``ranges`` (the
    parameter ranges a spec names) or ``record`` (observations for ``scamsim compare``), from the tables only that kind
    of file has.

    A file with any table of its kind is checked as that kind, so a missing ``[experiment]`` table is
    reported as such rather than as an unknown table of a scenario.
    """
    if any(t in data for t in RECORD_TABLES):
        return "record"
    main = data.get("calibration")
    if isinstance(main, dict) and main and all(isinstance(v, dict) for v in main.values()):
        return "ranges"  # [calibration."KEY"] tables of lo and hi, which a calibration spec's ranges names
    if any(t in data for t in CALIBRATION_TABLES):
        return "calibration"
    if any(t in data for t in SENSITIVITY_TABLES):
        return "sensitivity"
    if any(t in data for t in EXPERIMENT_TABLES):
        return "experiment"
    return "scenario"


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario, experiment, sensitivity and calibration files and records (told apart by the tables each has)."""
    from sim.analysis.calibration import check_ranges
    from sim.analysis.inference.spec import load_spec
    from sim.analysis.prediction import PredictionError, load_record
    from sim.analysis.sensitivity import load_sensitivity
    from sim.experiments.design import validate_experiment
    from sim.scenario.loader import ScenarioError, load_scenario, read_toml

    loaders = {"scenario": load_scenario, "experiment": validate_experiment, "sensitivity": load_sensitivity,
               "calibration": load_spec, "ranges": check_ranges, "record": load_record}
    bad = 0
    for path in args.files:
        try:
            _, data = read_toml(Path(path), "scamsim")
            loaders[file_kind(data)](path)
        except (ScenarioError, PredictionError) as exc:
            bad += 1
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
        else:
            print(f"ok: {path}")
    return EXIT_BAD_INPUT if bad else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario, experiment and other input files without running them",
                       description="Check scenario, experiment, sensitivity and calibration files and records of observations "
                                   "(told apart by their tables) without running them: every problem is printed with its file "
                                   "and key; exit code 2 if any.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="scenario, experiment, sensitivity or calibration files, or observation records (.toml), to check")
    p.set_defaults(func=cmd_validate)
