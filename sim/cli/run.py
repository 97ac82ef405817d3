"""``scamsim run``: one simulation (and its no-policy counterfactual) written to a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import print_errors, progress
from sim.measures.run import RunResult


def write_run(out: Path, run: RunResult, summary: dict[str, Any], provenance: dict[str, Any], cf: RunResult | None = None) -> None:
    """timeseries.csv, summary.json and overview.png (plus the counterfactual's series), each atomic."""
    from sim.common.files import write_csv, write_json
    from sim.viz import overview as plots

    frame = run.frame
    if cf is not None:
        frame = frame.copy()
        frame["cf_workers_held"] = cf.frame["workers_held"].to_numpy()
        frame["cf_revenue"] = cf.frame["revenue"].to_numpy()
        frame["effect_workers_held"] = frame["workers_held"] - frame["cf_workers_held"]
        frame["effect_revenue"] = frame["revenue"] - frame["cf_revenue"]
    write_csv(out / "timeseries.csv", frame)
    write_csv(out / "relocations.csv", run.moves)
    summary = {**summary, "provenance": {**summary["provenance"], **provenance}}
    write_json(out / "summary.json", summary)
    p = run.params
    plots.overview(run.frame, run.jurisdictions, f"{p.run.name}: workers held by jurisdiction (policy: {p.policy.type})",
                   out / "overview.png", p.policy.start_week if p.policy.type != "none" else None,
                   None if cf is None else cf.frame)


def _flag_problems(args: argparse.Namespace) -> list[str]:
    """``--weeks`` and ``--seed`` checked under their own names, and never silently against ``--set``."""
    import dataclasses

    from sim.params.declarations import RunParams
    from sim.scenario.checks import check_value

    fields = {f.name: f for f in dataclasses.fields(RunParams)}
    problems = []
    for flag in ("weeks", "seed"):
        value = getattr(args, flag)
        if value is None:
            continue
        if any(item.strip().startswith(f"run.{flag}") for item in args.set or []):
            problems.append(f"--{flag} and --set run.{flag} both given; give one")
        _, problem = check_value(f"--{flag}", f"run.{flag}", value, fields[flag])
        if problem:
            problems.append(problem)
    return problems


def cmd_run(args: argparse.Namespace) -> int:
    from sim.common.files import folder_problem, write_folder
    from sim.common.provenance import git_commit, versions
    from sim.measures.run import simulate, simulate_pair, summarise
    from sim.scenario.loader import ScenarioError, load_scenario

    problems = _flag_problems(args)
    if problems:
        return print_errors(problems)
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
    out = Path(args.out) if args.out else Path("runs") / f"{params.run.name}-seed{params.run.seed}"
    problem = folder_problem(out)
    if problem:
        return print_errors([f"--out: {problem}; give a folder that can be written"])
    weeks = params.run.weeks
    if args.compare:  # the pair shares its burn-in; progress counts both runs' weeks
        tick, done = progress(2 * weeks, f"{params.run.name} and its no-policy counterfactual")
        count = iter(range(1, 2 * weeks + 1))
        run, cf = simulate_pair(params, progress=lambda _w: tick(next(count)))
    else:
        tick, done = progress(weeks, params.run.name)
        run, cf = simulate(params, progress=tick), None
    done()
    summary = summarise(run, cf)
    provenance = {
        "scenario_file": scenario.path,
        "scenario_file_sha256": scenario.file_sha256,
        "overrides": list(scenario.overrides),
        "command": "scamsim " + " ".join(sys.argv[1:]),
        "git_commit": git_commit(),
        "versions": versions(),
    }
    write_folder(out, lambda tmp: write_run(tmp, run, summary, provenance, cf))
    s = summary
    print(f"wrote {out}/timeseries.csv, summary.json, overview.png, relocations.csv")
    pers = s["persistence"]["persistence_workers"]
    print(f"workers held at the end: {s['end']['workers_held']:,} in {s['end']['compounds']} compounds; "
          f"persistence (last year / year before policy): {'undefined' if pers is None else f'{pers:.3f}'}")
    if cf is not None:
        pc = s["counterfactual"]["persistence_vs_counterfactual_workers"]
        print(f"against the no-policy counterfactual: {'undefined' if pc is None else f'{pc:.3f}'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write timeseries.csv, summary.json, overview.png")
    p.add_argument("scenario")
    p.add_argument("--seed", type=int)
    p.add_argument("--weeks", type=int)
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--out", help="output folder (default: runs/NAME-seedN)")
    p.add_argument("--compare", action="store_true", help="also run the no-policy counterfactual with the same seed")
    p.set_defaults(func=cmd_run)
