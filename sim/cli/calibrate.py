"""``scamsim calibrate SPEC --out DIR [--small]``: Bayesian calibration (ABC-SMC) of a spec's parameters.

Writes the posterior folder of ``sim.analysis.inference.output`` whole or not at all; a bad spec, a missing
optional library or an unusable output folder is reported in one line each, with no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_FAILURE, print_errors, workers_problem


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.analysis.inference.engine import LOW_ESS_SHARE, LibraryMissing
    from sim.analysis.inference.output import calibrate_spec, posterior_summary, write_posterior
    from sim.analysis.inference.spec import load_spec
    from sim.common.files import folder_problem
    from sim.scenario.loader import ScenarioError

    out = Path(args.out)
    problem = folder_problem(out)
    if problem:
        return print_errors([f"--out: {problem}"])
    if (problem := workers_problem(args.workers)) is not None:
        return print_errors([problem])
    if args.screen:
        return _screen(args)
    if args.prior is not None:
        return _prior(args)
    try:
        spec = load_spec(args.spec)
        post, manifest = calibrate_spec(spec, small=args.small, workers=args.workers)
    except ScenarioError as exc:
        return print_errors(list(exc.problems))
    except LibraryMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    write_posterior(out, post, manifest, _command(args))
    names = [p["key"] for p in manifest["parameters"]]
    print(f"{manifest['mode']} calibration: {post.simulations} simulations in {post.seconds:.0f} s, "
          f"{len(post.generations)} generations, final tolerance {manifest['final_epsilon']:.3g}")
    last = int(post.generations["t"].max()) if len(post.generations) else -1
    if post.generation >= 0 and post.generation != last:
        print(f"  posterior: generation {post.generation} (tolerance {manifest['posterior_epsilon']:.3g}), the last whose "
              f"effective sample size is at least {manifest['budget']['min_effective_share']:g} of its particles")
    ess, n = post.effective_sample_size, len(post.samples)
    print(f"  effective sample size {ess:.1f} of {n} particles (Kish)")
    if ess < LOW_ESS_SHARE * n:
        print(f"  warning: a few particles carry most of the weight; the intervals below and every draw from this "
              f"posterior rest on about {ess:.0f} parameter sets (docs/calibration.md, effective sample size)")
    for row in posterior_summary(post, names).itertuples():
        print(f"  {row.parameter}: mean {row.mean:.4g}, 90% interval {row.q05:.4g} to {row.q95:.4g}")
    print(f"wrote {out}/posterior.csv, generations.csv, summary.csv, manifest.json")
    return 0


def _command(args: argparse.Namespace) -> list[str]:
    """The command line that rebuilds the folder, as its manifest records it."""
    return ["scamsim", "calibrate", str(args.spec), *(["--screen"] if args.screen else []),
            *(["--prior", str(args.prior)] if args.prior is not None else []), "--out", str(args.out),
            *(["--small"] if args.small else []), *(["--workers", str(args.workers)] if args.workers is not None else [])]


def _prior(args: argparse.Namespace) -> int:
    from sim.analysis.inference.output import prior_spec, write_posterior
    from sim.analysis.inference.spec import load_spec
    from sim.scenario.loader import ScenarioError

    if args.prior < 1:
        return print_errors([f"--prior = {args.prior}: the number of prior draws must be at least 1"])
    try:
        post, manifest = prior_spec(load_spec(args.spec), args.prior, small=args.small)
    except ScenarioError as exc:
        return print_errors(list(exc.problems))
    write_posterior(Path(args.out), post, manifest, _command(args))
    print(f"the prior of {args.spec}: {args.prior} draws of {len(manifest['parameters'])} parameters, equal weights, "
          f"no simulation (a reference for --posterior, not a calibration)")
    print(f"wrote {args.out}/posterior.csv, generations.csv, summary.csv, manifest.json")
    return 0


def _screen(args: argparse.Namespace) -> int:
    from sim.analysis.inference.output import screen_spec, write_screening
    from sim.analysis.inference.screening import SEED_FACTOR
    from sim.analysis.inference.spec import load_spec
    from sim.scenario.loader import ScenarioError

    try:
        spec = load_spec(args.spec)
        result, manifest = screen_spec(spec, small=args.small, workers=args.workers)
    except ScenarioError as exc:
        return print_errors(list(exc.problems))
    write_screening(Path(args.out), result, manifest, _command(args))
    sc = spec.screening
    print(f"screening: {manifest['runs']} runs in {result.seconds:.0f} s ({sc.trajectories} trajectories, {sc.levels} levels)")
    t = result.table[result.table["parameter"] != SEED_FACTOR].copy()
    t["signal"] = t["mu_star_scaled"] / t["noise_scaled"]  # the statistic where the parameter stands out most from noise
    for row in t.sort_values("signal", ascending=False).groupby("parameter", sort=False).head(1).itertuples():
        mark = "calibrate" if row.parameter in result.selected else "marginalise"
        print(f"  {mark:11} {row.parameter}: mu* {row.mu_star_scaled:.2f} scales on {row.statistic} "
              f"(the seed's {row.noise_scaled:.2f})")
    print(f"rule: mu* >= {sc.threshold:g} scales and >= {sc.noise_factor:g} x the seed's on some statistic; "
          f"{len(result.selected)} of {len(manifest['candidates'])} selected")
    print(f"wrote {args.out}/effects.csv, design.csv, manifest.json")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="Bayesian calibration (ABC-SMC) of a scenario's uncertain parameters",
                       description="Calibrate the parameters named in a calibration spec (experiments/calibration.toml) "
                                   "against its observed statistics with ABC-SMC (pyabc, the optional 'calibrate' extra); "
                                   "writes posterior samples and a manifest. See docs/calibration.md.")
    p.add_argument("spec", metavar="SPEC", help="calibration spec file (.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (replaced whole when the run succeeds)")
    p.add_argument("--small", action="store_true", help="the spec's [small] budget: a quick check, not a calibration")
    p.add_argument("--screen", action="store_true",
                   help="instead of calibrating, screen the candidate parameters (Morris elementary effects, the spec's "
                        "[screening] table) and write which ones the statistics can inform")
    p.add_argument("--prior", type=int, default=None, metavar="N",
                   help="instead of calibrating, write N draws from the prior of every parameter the spec calibrates or "
                        "marginalises, with equal weights, as a folder --posterior reads: the reference a calibration must beat")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: the spec's)")
    p.set_defaults(func=cmd_calibrate)
