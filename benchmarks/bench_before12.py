"""Cost per compound-week of the default run now against the code from before issue 12 (issue 12's speed criterion).

The old code is the parent of the first issue-12 commit (1f08d37^), checked out into a temporary `git worktree`
that is removed afterwards, even on error. Every measurement runs in a fresh subprocess of this Python with
PYTHONPATH set to one tree (so each tree imports its own `sim`), alternating old and new so both see the same
machine load. A measurement is the process CPU time of `ScamModel(params, rng=seed).run()` alone (imports and
scenario loading excluded, garbage collection off while timing, as bench_mechanisms.py does), divided by the
compound-weeks of the run: the sum of the weekly `compounds` column over the recorded weeks.

    .venv/bin/python benchmarks/bench_before12.py [--seeds 1 2 3] [--rounds 1] [--scenario baseline.toml] [--set run.weeks=104]

Prints the per-seed costs of both trees and the ratio new / old (below 1 means the current code is no slower).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_ISSUE12_COMMIT = "1f08d37"  # recruitment market: the first commit of issue 12

CHILD = r"""
import gc, json, sys, time
from pathlib import Path
from sim.core.model import ScamModel
from sim.scenario.loader import load_scenario
tree, scenario, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
params = load_scenario(tree / "scenarios" / scenario, sys.argv[4:]).params
gc.collect()
gc.disable()
t0 = time.process_time()
model = ScamModel(params, rng=seed).run()
spent = time.process_time() - t0
gc.enable()
compound_weeks = float(model.log.frame()["compounds"].sum())
print(json.dumps({"cpu": spent, "compound_weeks": compound_weeks}))
"""


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def checkout(commit: str, prefix: str) -> Iterator[Path]:
    """``commit`` checked out into a temporary ``git worktree`` (in a fresh folder named ``prefix...``), yielded with
    the folder, and removed afterwards even on error, so a benchmark never leaves a worktree behind."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    tree = work / "checkout"
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def old_commit() -> str:
    """The last commit before issue 12, checked to be the parent of its first commit."""
    parent = git("rev-parse", f"{FIRST_ISSUE12_COMMIT}^")
    parents = git("log", "--format=%P", "-1", FIRST_ISSUE12_COMMIT).split()
    if parents != [parent]:
        raise SystemExit(f"{FIRST_ISSUE12_COMMIT} is expected to have one parent, found {parents}")
    return parent


def measure(tree: Path, scenario: str, seed: int, overrides: list[str]) -> dict[str, float]:
    """One run in a fresh interpreter that imports `sim` from `tree` only."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), scenario, str(seed), *overrides],
                         check=True, capture_output=True, text=True, env=env, cwd=str(tree))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds to run (default 1 2 3)")
    ap.add_argument("--rounds", type=int, default=1, help="times each seed is measured in each tree (the best is kept)")
    ap.add_argument("--scenario", default="baseline.toml", help="scenario file under scenarios/ of each tree")
    ap.add_argument("--against", metavar="REV", default=None,
                    help="compare with this revision instead of the last commit before issue 12 (e.g. HEAD, to measure a change)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="scenario override given to both trees (default: none, the scenario's own weeks)")
    args = ap.parse_args(argv)
    commit = git("rev-parse", args.against) if args.against else old_commit()
    with checkout(commit, "scamsim-before12-") as old_tree:
        trees = {"old": old_tree, "new": ROOT}
        cost: dict[str, dict[int, float]] = {"old": {}, "new": {}}
        for _ in range(args.rounds):
            for seed in args.seeds:
                for name, tree in trees.items():  # alternate old and new
                    m = measure(tree, args.scenario, seed, args.overrides)
                    per = m["cpu"] / m["compound_weeks"]
                    cost[name][seed] = min(per, cost[name].get(seed, float("inf")))
                    print(f"  {name} seed {seed}: {m['cpu']:.2f} CPU s, {m['compound_weeks']:.0f} compound-weeks, "
                          f"{per * 1e6:.2f} us per compound-week", flush=True)
    print(f"old = {commit[:10]} ({args.against or 'before issue 12'}), new = {git('rev-parse', '--short=10', 'HEAD')} (working tree)")
    print("seed  old us/cw  new us/cw  new/old")
    for seed in args.seeds:
        o, n = cost["old"][seed], cost["new"][seed]
        print(f"{seed:4d}  {o * 1e6:9.2f}  {n * 1e6:9.2f}  {n / o:7.3f}")
    old_med, new_med = statistics.median(cost["old"].values()), statistics.median(cost["new"].values())
    print(f"median: old {old_med * 1e6:.2f}, new {new_med * 1e6:.2f} CPU us per compound-week; "
          f"ratio new/old {new_med / old_med:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
