"""``scamsim replay``: a scenario's shocks over replications, measured per shock and written as one folder.

The model and the replay modules are imported only when the command runs (every command builds the
whole parser). What the folder holds is in docs/replay.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import count_problems, print_errors


def _flag_problems(args: argparse.Namespace) -> list[str]:
    return count_problems(args.replications, args.workers, args.seed)


def cmd_replay(args: argparse.Namespace) -> int:
    # Imported now, not lazily while the folder is written, so an interrupt cannot land inside an import.
    import matplotlib.backends.backend_agg  # noqa: F401
    import PIL.PngImagePlugin  # noqa: F401

    from sim.analysis import replay_figure  # noqa: F401
    from sim.analysis.replay import check_replayable, run_replay, write_replay
    from sim.common.files import folder_problem
    from sim.scenario.loader import ScenarioError, load_scenario

    problems = _flag_problems(args)
    if problems:
        return print_errors(problems)
    try:
        scenario = load_scenario(args.scenario, list(args.set or []))
    except ScenarioError as exc:
        return print_errors(exc.problems)
    problems = [f"{args.scenario}: {p}" for p in check_replayable(scenario.params)]
    posterior = None
    if args.posterior is not None:
        from sim.experiments.posterior import PosteriorError, read_posterior
        from sim.scenario.values import apply_values

        try:
            posterior = read_posterior(args.posterior)
        except PosteriorError as exc:
            problems += [f"--posterior: {p}" for p in exc.problems]
        else:
            try:  # every particle must be a valid parameter set of this scenario (names and ranges)
                apply_values(scenario.params, dict(zip(posterior.names, posterior.values[0], strict=True)))
            except ScenarioError as exc:
                problems += [f"--posterior {args.posterior}: does not fit {args.scenario}: {p}" for p in exc.problems]
    out = Path(args.out)
    problem = folder_problem(out)
    if problem:
        problems.append(f"--out: {problem}; give a folder that can be written")
    if problems:
        return print_errors(problems)
    def tick(k: int) -> None:
        print(f"{scenario.params.run.name}: replication {k}/{args.replications}", file=sys.stderr, flush=True)

    replay = run_replay(scenario.params, args.replications, args.seed, args.workers, progress=tick, posterior=posterior)
    meta = {"scenario_file": scenario.path, "scenario_file_sha256": scenario.file_sha256, "overrides": list(scenario.overrides),
            "command": "scamsim " + " ".join(sys.argv[1:])}
    files = write_replay(out, replay, meta)
    print(f"wrote {out}/" + ", ".join(files))
    return 0


def register(subparsers: Any) -> None:
    """Add ``scamsim replay SCENARIO --replications R --out DIR [--workers N] [--seed S]``."""
    p = subparsers.add_parser("replay", help="replay a scenario's shocks over replications: per-shock measures and a figure",
                              description="Run a scenario R times and write, per shock, people held in the hit place before and "
                                          "after, where the people held there went within 4 and 13 weeks, the weeks to recover "
                                          "to 90% (Kaplan-Meier, censored runs counted), buildings, and people held by country "
                                          "with the 90% predictive band (docs/replay.md).")
    p.add_argument("scenario", help="scenario file, e.g. scenarios/shocks/cambodia_2022.toml")
    p.add_argument("--replications", type=int, required=True, metavar="R", help="runs, each with its own seed")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (replaced whole when the replay is done)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes (default 1; results do not depend on it)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="seed the replications' seeds are drawn from (default 1)")
    p.add_argument("--posterior", metavar="DIR", help="a scamsim calibrate folder: each replication runs a parameter set "
                                                      "drawn from its posterior by weight (the predictive distribution)")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a parameter (repeatable)")
    p.set_defaults(func=cmd_replay)
