"""``scamsim compare``: a replay's predictions held against the reported responses (docs/predictions.md).

Reads the replay folder's per_replication.csv and a record of observations (by default the shipped
``experiments/observed_2023_2026.toml``) and writes comparison.csv, comparison.md and summary.json into
one folder, whole or not at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import print_errors


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.analysis.prediction import RECORD, PredictionError, run_comparison, write_comparison
    from sim.common.files import folder_problem

    out = Path(args.out)
    problem = folder_problem(out)
    if problem:
        return print_errors([f"--out: {problem}; give a folder that can be written"])
    record = Path(args.record) if args.record else RECORD
    try:
        table, summary, meta = run_comparison(Path(args.replay_dir), record)
    except PredictionError as exc:
        return print_errors(exc.problems)
    meta["command"] = "scamsim " + " ".join(sys.argv[1:])
    files = write_comparison(out, table, summary, meta)
    print(f"{summary['compared']} compared: {summary['consistent']} consistent, {summary['misses']} missed "
          f"({summary['expected_misses']:.1f} expected if calibrated); {summary['undefined']} undefined, "
          f"{summary['not_comparable']} not comparable")
    print(f"wrote {out}/" + ", ".join(files))
    return 0


def register(subparsers: Any) -> None:
    """Add ``scamsim compare REPLAY_DIR [--record FILE] --out DIR``."""
    p = subparsers.add_parser("compare", help="compare a replay's predictive distributions with reported responses to shocks",
                              description="For each observation of the record, the predictive quantile, mass and 90% "
                                          "predictive interval of its measure across the replay's replications, a verdict, "
                                          "and the number of misses against a calibrated model's expectation (docs/predictions.md).")
    p.add_argument("replay_dir", metavar="REPLAY_DIR", help="a folder written by scamsim replay (with per_replication.csv)")
    p.add_argument("--record", metavar="FILE", help="record of observations (default: the shipped experiments/observed_2023_2026.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (written whole)")
    p.set_defaults(func=cmd_compare)
