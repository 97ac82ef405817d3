"""CPU of the default run in two source trees, measured in one process with their models stepped week by week in turn.

Why interleaved: on a shared machine the load of other jobs changes from one second to the next. Fresh-process pairs
of *identical* code (bench_before12.py's method) ranged from 0.77 to 1.29 on the 2-core machine this was written on.
Here both trees live in the same process, and the two models advance alternately one week at a time, each week's CPU
(``time.process_time_ns``) charged to its own model, so whatever load there is falls on both alike: the same code
against itself gives 0.99-1.00 on the recorded weeks, pair by pair, under a load average of 1.3-1.7.

The construction (the burn-in included, about half a run's CPU) is the exception: interleaving it week by week would
mean reaching into the model's private burn-in, so each model's construction is one timed block of about a second,
and a slow second falls on one tree only. The same code against itself gave construction ratios of 0.73-1.03 per
pair, so the whole-run and per-compound-week ratios carry that noise: use several seeds and rounds and read the
medians, with the recorded-weeks ratio as the load-robust figure.

How: each tree's ``sim/`` is copied into a temporary folder under its own package name (``sim_old``, ``sim_new``) with
its imports rewritten, so both import side by side, and each tree loads its own ``scenarios/`` file (the old tree's
``baseline.toml`` is the old model). For every seed and round, the two models are built one after the other (the
construction, which includes the burn-in, timed as one block; which tree goes first alternates from pair to pair),
then their recorded weeks are stepped in turn with the public ``model.run(1)`` (which tree steps first alternates from
week to week), as many weeks as ``ScamModel(params, rng=seed).run()`` makes (``run.weeks``). One untimed model of each
tree is built and stepped first, so first-use costs fall on neither. Garbage collection is off while timing;
``SCAMSIM_NO_NUMBA=1`` is set (the numba kernel is timed by bench_numba.py).

The old tree is ``--against REV`` (default: the last commit before issue 12, the parent of its first commit, as in
bench_before12.py), checked out into a temporary ``git worktree`` that is removed afterwards, even on error; the new
tree is this checkout's working tree.

    .venv/bin/python benchmarks/bench_interleaved.py [--against REV] [--seeds 1 2 3 4] [--rounds 2]
                                                     [--scenario baseline.toml] [--set KEY=VALUE ...] [--output FILE.json]

Prints, per seed and round, each tree's CPU (construction with burn-in, recorded weeks), the CPU ratio new / old, the
ratio per compound-week (the sum of the weekly ``compounds`` column of ``model.log.frame()``, recorded weeks) and
whether the two weekly frames are equal; then the medians and ranges, the load average and both revisions.
"""

from __future__ import annotations

import os

os.environ["SCAMSIM_NO_NUMBA"] = "1"  # before any tree's sim is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_before12 import FIRST_ISSUE12_COMMIT, checkout, git, old_commit  # noqa: E402  (1f08d37; old_commit() = its parent, 50a4597)

ROOT = Path(__file__).resolve().parent.parent
TREES = ("old", "new")


def revision(tree: Path) -> str:
    """Short hash of the tree's HEAD, with ``-dirty`` when its ``sim/`` has uncommitted changes."""
    dirty = git("status", "--porcelain", "--", "sim", cwd=tree)
    return git("rev-parse", "--short", "HEAD", cwd=tree) + ("-dirty" if dirty else "")


def rewrite_imports(source: str, pkg: str) -> str:
    """The source of one module of ``sim`` with every reference to the package renamed to ``pkg``."""
    source = re.sub(r"^(\s*)import sim$", rf"\1import {pkg} as sim", source, flags=re.MULTILINE)
    source = re.sub(r"\bfrom sim(\.| import)", rf"from {pkg}\1", source)
    source = re.sub(r"\bimport sim\.", f"import {pkg}.", source)
    source = re.sub(r"""(["'])sim(\.[a-z_]|\1)""", rf"\1{pkg}\2", source)  # files("sim"), lazily imported "sim.x.y"
    return source


@dataclass
class Tree:
    """One source tree imported under its own package name, with its scenario loaded by its own code."""

    name: str
    source: Path
    model_class: Any
    params: Any
    revision: str


def load_tree(name: str, source: Path, work: Path, scenario: str, overrides: list[str]) -> Tree:
    """Copy ``source``'s ``sim/`` to ``work/name/sim_name`` with rewritten imports, import it and load its scenario."""
    root, pkg = work / name, f"sim_{name}"
    root.mkdir(parents=True)
    shutil.copytree(source / "scenarios", root / "scenarios")
    shutil.copy(source / "pyproject.toml", root)  # so sim.common.resources sees a checkout
    shutil.copytree(source / "sim", root / pkg, ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
    for path in (root / pkg).rglob("*.py"):
        path.write_text(rewrite_imports(path.read_text(), pkg))
    sys.path.insert(0, str(root))
    model: ModuleType = importlib.import_module(f"{pkg}.core.model")
    loader: ModuleType = importlib.import_module(f"{pkg}.scenario.loader")
    if not Path(model.__file__ or "").resolve().is_relative_to(root.resolve()):
        raise RuntimeError(f"{pkg} was imported from {model.__file__}, not from {root}")
    params = loader.load_scenario(root / "scenarios" / scenario, overrides).params
    return Tree(name, source, model.ScamModel, params, revision(source))


@dataclass
class Pair:
    """One seed and round: each tree's CPU nanoseconds and compound-weeks."""

    round: int
    seed: int
    first: str
    build: dict[str, int] = field(default_factory=dict)
    weeks: dict[str, int] = field(default_factory=dict)
    compound_weeks: dict[str, float] = field(default_factory=dict)
    same_frame: bool = False

    def cpu(self, name: str) -> int:
        return self.build[name] + self.weeks[name]

    @property
    def build_ratio(self) -> float:
        return self.build["new"] / self.build["old"]

    @property
    def weeks_ratio(self) -> float:
        return self.weeks["new"] / self.weeks["old"]

    @property
    def ratio(self) -> float:
        return self.cpu("new") / self.cpu("old")

    @property
    def ratio_per_compound_week(self) -> float:
        return (self.cpu("new") / self.compound_weeks["new"]) / (self.cpu("old") / self.compound_weeks["old"])


def warm_up(trees: dict[str, Tree], seed: int) -> None:
    """One untimed model of each tree, built and stepped a week, so first-use costs (imports done inside functions,
    numpy's and Mesa's first calls) fall on neither tree's measurements."""
    for tree in trees.values():
        tree.model_class(tree.params, rng=seed).run(1)
    gc.collect()


def measure_pair(trees: dict[str, Tree], seed: int, rnd: int, first: str) -> Pair:
    """Build both models (timed, burn-in included), then step their recorded weeks in turn, one week at a time."""
    order = [first, *(n for n in TREES if n != first)]
    pair = Pair(rnd, seed, first, build=dict.fromkeys(TREES, 0), weeks=dict.fromkeys(TREES, 0))
    clock = time.process_time_ns
    models = {}
    gc.collect()
    for name in order:
        t0 = clock()
        models[name] = trees[name].model_class(trees[name].params, rng=seed)
        pair.build[name] += clock() - t0
    weeks = {name: int(trees[name].params.run.weeks) for name in TREES}  # what ScamModel(params, rng=seed).run() makes
    for week in range(max(weeks.values())):
        for name in order if week % 2 == 0 else order[::-1]:
            if week < weeks[name]:
                t0 = clock()
                models[name].run(1)
                pair.weeks[name] += clock() - t0
    frames = {}
    for name, model in models.items():
        if model.week != weeks[name]:
            raise RuntimeError(f"{name} model ended at week {model.week}, not {weeks[name]}")
        frames[name] = model.log.frame()
        pair.compound_weeks[name] = float(frames[name]["compounds"].sum())
    pair.same_frame = bool(frames["old"].equals(frames["new"]))
    del models, frames
    gc.collect()
    return pair


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.4f} (min {min(values):.4f}, max {max(values):.4f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", metavar="REV", default=None,
                    help=f"old tree: this revision (default: the last commit before issue 12, {FIRST_ISSUE12_COMMIT}^)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4], help="seeds to run (default 1 2 3 4)")
    ap.add_argument("--rounds", type=int, default=2, help="times each seed is measured (default 2)")
    ap.add_argument("--scenario", default="baseline.toml", help="scenario file under scenarios/ of each tree")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="scenario override given to both trees (e.g. run.weeks=104)")
    ap.add_argument("--output", type=Path, default=None, help="also write every pair's timings to this JSON file")
    args = ap.parse_args(argv)
    commit = git("rev-parse", args.against) if args.against else old_commit()
    label = args.against or "before issue 12"

    load_start = os.getloadavg()
    pairs: list[Pair] = []
    with checkout(commit, "scamsim-interleaved-") as old_tree:
        work = old_tree.parent  # the trees' renamed copies go beside the checkout and go with it
        trees = {"old": load_tree("old", old_tree, work, args.scenario, args.overrides),
                 "new": load_tree("new", ROOT, work, args.scenario, args.overrides)}
        print(f"old = {trees['old'].revision} ({label}), new = {trees['new'].revision} (working tree); "
              f"{args.scenario}, weeks {trees['old'].params.run.weeks} / {trees['new'].params.run.weeks} recorded, "
              f"burn-in {trees['old'].params.run.burn_in_weeks} / {trees['new'].params.run.burn_in_weeks}", flush=True)
        print("                 CPU s: old                 new                new / old:")
        print("round seed first     build    weeks      build    weeks         build   weeks     all  per c-w  same frame")
        warm_up(trees, args.seeds[0])
        gc.disable()
        try:
            for rnd in range(args.rounds):
                for seed in args.seeds:
                    p = measure_pair(trees, seed, rnd, TREES[len(pairs) % 2])  # construction order alternates
                    pairs.append(p)
                    print(f"{rnd:5d} {seed:4d} {p.first:5s} {p.build['old'] / 1e9:9.3f} {p.weeks['old'] / 1e9:8.3f}  "
                          f"{p.build['new'] / 1e9:9.3f} {p.weeks['new'] / 1e9:8.3f}  {p.build_ratio:12.4f} {p.weeks_ratio:7.4f} "
                          f"{p.ratio:7.4f} {p.ratio_per_compound_week:8.4f} {'yes' if p.same_frame else 'no':>11s}", flush=True)
        finally:
            gc.enable()
        leaked = sorted(m for m in sys.modules if m == "sim" or m.startswith("sim."))
        if leaked:
            raise RuntimeError(f"a tree imported the unrenamed package: {leaked[:5]}")

    load_end = os.getloadavg()
    ratios = [p.ratio for p in pairs]
    per_cw = [p.ratio_per_compound_week for p in pairs]
    cw = {n: statistics.median(p.compound_weeks[n] for p in pairs) for n in TREES}
    summary = [("CPU new/old, construction (burn-in included)", spread([p.build_ratio for p in pairs])),
               ("CPU new/old, recorded weeks", spread([p.weeks_ratio for p in pairs])),
               ("CPU new/old, whole run", f"{spread(ratios)}, {len(pairs)} pairs"),
               ("CPU per compound-week, new/old", spread(per_cw)),
               ("compound-weeks (median)", f"old {cw['old']:.0f}, new {cw['new']:.0f} (new/old {cw['new'] / cw['old']:.4f})"),
               ("weekly frames equal", f"{sum(p.same_frame for p in pairs)} of {len(pairs)} pairs"),
               ("load average (1, 5, 15 min)", f"start {', '.join(f'{x:.2f}' for x in load_start)}; "
                                               f"end {', '.join(f'{x:.2f}' for x in load_end)}")]
    for name, value in summary:
        print(f"{name + ':':46s} {value}")
    print(f"old = {trees['old'].revision} ({label}), new = {trees['new'].revision} (working tree)")
    if args.output is not None:
        record = {"old": trees["old"].revision, "new": trees["new"].revision, "against": label, "scenario": args.scenario,
                  "overrides": args.overrides, "load_start": load_start, "load_end": load_end,
                  "median_ratio": statistics.median(ratios), "median_ratio_per_compound_week": statistics.median(per_cw),
                  "pairs": [{**p.__dict__, "build_ratio": p.build_ratio, "weeks_ratio": p.weeks_ratio, "ratio": p.ratio,
                            "ratio_per_compound_week": p.ratio_per_compound_week} for p in pairs]}
        args.output.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
