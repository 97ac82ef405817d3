"""``scamsim run``: one simulation (and its no-policy counterfactual) written to a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import print_errors, progress
from sim.measures.run import RunResult
from sim.params.events import first_felt, policy_window


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
    p, window = run.params, policy_window(run.params)
    kind = f"timeline of {len(p.timeline)} events" if p.timeline else p.policy.type
    plots.overview(run.frame, run.jurisdictions, f"{p.run.name}: people held by jurisdiction (policy: {kind})",
                   out / "overview.png", window.start_week if window.type != "none" else None,
                   None if cf is None else cf.frame)


def _ratio(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def _usd(value: float | None) -> str:
    if value is None:
        return "undefined"
    sign = "-" if value < 0 else ""
    v = abs(value)
    return f"{sign}US${v / 1e9:,.2f} billion" if v >= 1e9 else f"{sign}US${v / 1e6:,.1f} million" if v >= 1e6 else f"{sign}US${v:,.0f}"


def closing_lines(summary: dict[str, Any]) -> list[str]:
    """What a run found, in the words of docs/outputs.md: people held, victim losses, the no-policy comparison."""
    s = summary
    lines = [f"people held at the end: {s['end']['workers_held']:,} in {s['end']['compounds']} compounds; "
             f"persistence (last year / year before the policy): {_ratio(s['persistence']['persistence_workers'])}"]
    cf = s.get("counterfactual")
    if not cf:
        return lines
    g = s.get("global", {})
    lines += [
        "against the no-policy run (last year, policy run / no-policy run):",
        f"  people held:   {_ratio(cf['persistence_vs_counterfactual_workers'])} in the region, "
        f"{_ratio(cf.get('persistence_vs_counterfactual_global_workers'))} with overseas",
        f"  victim losses: {_ratio(cf['persistence_vs_counterfactual_revenue'])} in the region, "
        f"{_ratio(cf.get('persistence_vs_counterfactual_global_revenue'))} with overseas",
        f"  victim losses averted over the run: {_usd(cf['revenue_averted_usd'])} in the region, "
        f"{_usd(cf.get('global_revenue_averted_usd'))} with overseas",
        f"  people held averted over the run: {cf['victim_weeks_averted']:,.0f} person-weeks in the region, "
        f"{cf.get('global_victim_weeks_averted', float('nan')):,.0f} with overseas",
        f"  victim losses in the last year of the policy run: {_usd(g.get('victim_losses_last_year_usd'))} in the region, "
        f"{_usd(g.get('global_victim_losses_last_year_usd'))} with overseas",
        f"  displacement share (removed from the treated areas, reappeared elsewhere): "
        f"{_ratio(s['displacement']['displacement_share'])}",
    ]
    return lines


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
    # Everything writing the files needs is imported now, not lazily while they are written: an interrupt
    # landing inside an import surfaces as an ImportError traceback instead of a clean stop.
    import matplotlib.backends.backend_agg  # noqa: F401
    import PIL.Image
    import PIL.PngImagePlugin

    PIL.Image.preinit()  # the image plugins PIL's save would otherwise import on first use, while the PNG is written

    from sim.common.files import folder_problem, write_folder
    from sim.common.provenance import git_commit, versions
    from sim.measures.run import simulate, simulate_pair, summarise
    from sim.scenario.loader import ScenarioError, load_scenario
    from sim.viz import overview  # noqa: F401

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
    for note in _notes(params, out):
        print(note, file=sys.stderr)
    if args.compare:
        tick, done = progress(weeks, f"{params.run.name} and its no-policy run")
        run, cf = simulate_pair(params, progress=tick)
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
    print(f"wrote {out}/timeseries.csv, summary.json, overview.png, relocations.csv")
    for line in closing_lines(summary):
        print(line)
    return 0


def _notes(params: Any, out: Path) -> list[str]:
    """What a user should know before the run: a policy the run never reaches, an earlier run about to be replaced."""
    notes = []
    window = policy_window(params)
    if window.type != "none":
        felt = first_felt(window)
        if felt > params.run.weeks:
            notes.append(f"warning: the policy is first felt in week {felt}, after the run's last week ({params.run.weeks}): "
                         f"every week of this run is as without it; give more weeks (--weeks) or an earlier policy.start_week")
    if (out / "summary.json").is_file():
        notes.append(f"note: {out} holds an earlier run, which this one replaces (give --out to keep both)")
    return notes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write timeseries.csv, summary.json, overview.png",
                       description="Run one scenario and write timeseries.csv, relocations.csv, summary.json and overview.png "
                                   "into a folder (see docs/outputs.md). With --compare the same scenario also runs with the "
                                   "policy switched off, and the closing lines compare people held and victim losses.")
    p.add_argument("scenario", help="scenario file, e.g. scenarios/baseline.toml")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: the scenario's run.seed)")
    p.add_argument("--weeks", type=int, metavar="N", help="weeks to record after the burn-in (default: the scenario's run.weeks)")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--out", help="output folder (default: runs/NAME-seedN)")
    p.add_argument("--compare", action="store_true",
                   help="also run the scenario with the policy switched off (same seed, shared burn-in) and compare")
    p.set_defaults(func=cmd_run)
