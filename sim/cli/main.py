"""The ``scamsim`` command: validate scenarios, run one simulation, sweep, plot, serve the app.

Exit codes: 0 success, 2 bad input (the message names the file and the key), 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_BAD_INPUT = 2


def print_errors(problems: list[str]) -> int:
    """Every problem on stderr, one line each; the bad-input exit code (every subcommand reports this way)."""
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _progress(total: int, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A tqdm bar on a terminal; plain periodic lines when output is piped (logs, CI)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, desc=label, unit="week", leave=False)
        return (lambda _w: bar.update(1)), bar.close
    step = max(1, total // 10)

    def tick(week: int) -> None:
        if week % step == 0 or week == total:
            print(f"{label}: week {week}/{total}", file=sys.stderr, flush=True)

    return tick, lambda: None


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


def cmd_run(args: argparse.Namespace) -> int:
    from sim.common.provenance import git_commit, versions
    from sim.measures.run import simulate, simulate_pair, summarise, write_run
    from sim.scenario.loader import ScenarioError, load_scenario

    overrides = list(args.set or [])
    if args.weeks is not None:
        overrides.append(f"run.weeks={args.weeks}")
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    try:
        scenario = load_scenario(args.scenario, overrides)
    except ScenarioError as exc:
        return print_errors(exc.problems)
    params = scenario.params
    weeks = params.run.weeks
    if args.compare:  # the pair shares its burn-in; progress counts both runs' weeks
        tick, done = _progress(2 * weeks, f"{params.run.name} and its no-policy counterfactual")
        count = iter(range(1, 2 * weeks + 1))
        run, cf = simulate_pair(params, progress=lambda _w: tick(next(count)))
    else:
        tick, done = _progress(weeks, params.run.name)
        run, cf = simulate(params, progress=tick), None
    done()
    summary = summarise(run, cf)
    out = Path(args.out) if args.out else Path("runs") / f"{params.run.name}-seed{params.run.seed}"
    provenance = {
        "scenario_file": scenario.path,
        "scenario_file_sha256": scenario.file_sha256,
        "overrides": list(scenario.overrides),
        "command": "scamsim " + " ".join(sys.argv[1:]),
        "git_commit": git_commit(),
        "versions": versions(),
    }
    write_run(out, run, summary, provenance, cf)
    s = summary
    print(f"wrote {out}/timeseries.csv, summary.json, overview.png, relocations.csv")
    pers = s["persistence"]["persistence_workers"]
    print(f"workers held at the end: {s['end']['workers_held']:,} in {s['end']['compounds']} compounds; "
          f"persistence (last year / year before policy): {'undefined' if pers is None else f'{pers:.3f}'}")
    if cf is not None:
        pc = s["counterfactual"]["persistence_vs_counterfactual_workers"]
        print(f"against the no-policy counterfactual: {'undefined' if pc is None else f'{pc:.3f}'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scamsim", description="Agent-based simulation of scam compounds under enforcement.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check scenario and experiment files without running them")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="run one scenario and write timeseries.csv, summary.json, overview.png")
    p.add_argument("scenario")
    p.add_argument("--seed", type=int)
    p.add_argument("--weeks", type=int)
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--out", help="output folder (default: runs/NAME-seedN)")
    p.add_argument("--compare", action="store_true", help="also run the no-policy counterfactual with the same seed")
    p.set_defaults(func=cmd_run)

    from sim.analysis import sensitivity
    from sim.briefs import briefing
    from sim.cli import app as appcli
    from sim.cli import patterns as patterns_cli
    from sim.cli import sweep as experiments_cli

    experiments_cli.register(sub)
    sensitivity.register(sub)
    appcli.register(sub)
    briefing.register(sub)
    patterns_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
