"""Cost per compound-week of one scenario against another: by default the model with the issue-12
mechanisms on (baseline) against the closed model (baseline_closed).

The two scenarios are timed alternately in one process (warm-up first, garbage collection off while
timing), so both see the same machine load; the figure that matters is the ratio of their costs per
compound-week, in process CPU time (steadier than wall time on a shared machine).

    .venv/bin/python benchmarks/bench_mechanisms.py [--reps 5] [--weeks 260]
    .venv/bin/python benchmarks/bench_mechanisms.py --pair baseline_actors baseline   # issue 13's actors on / off

Prints one line per scenario and the ratio (first / second; below 1 means no slower).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.core.model import ScamModel  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402

DEFAULT_PAIR = ("baseline", "baseline_closed")


def cost_per_compound_week(scenario: str, weeks: int, seed: int) -> float:
    """CPU seconds per compound-week of one run (set-up and burn-in included in the time, as a user pays them)."""
    params = load_scenario(ROOT / "scenarios" / scenario, [f"run.weeks={weeks}"]).params
    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        model = ScamModel(params, rng=seed).run()
        spent = time.process_time() - t0
    finally:
        gc.enable()
    burn_in = params.run.burn_in_weeks
    compound_weeks = float(model.log.frame()["compounds"].sum()) * (1 + burn_in / weeks)  # burn-in weeks at about the same size
    return spent / compound_weeks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="timed runs of each scenario (seeds 1..reps)")
    ap.add_argument("--weeks", type=int, default=260, help="recorded weeks of each run")
    ap.add_argument("--pair", nargs=2, default=DEFAULT_PAIR, metavar=("A", "B"),
                    help="two shipped scenarios (names without .toml) to compare (default: baseline baseline_closed)")
    args = ap.parse_args(argv)
    scenarios = {name: f"{name}.toml" for name in args.pair}
    for scenario in scenarios.values():  # warm-up: imports, caches
        cost_per_compound_week(scenario, 20, 99)
    costs: dict[str, list[float]] = {name: [] for name in scenarios}
    for seed in range(1, args.reps + 1):
        for name, scenario in scenarios.items():
            costs[name].append(cost_per_compound_week(scenario, args.weeks, seed))
    for name, values in costs.items():
        print(f"{name:32s} median {statistics.median(values) * 1e6:7.2f} CPU us per compound-week "
              f"(min {min(values) * 1e6:.2f}, {len(values)} runs)")
    first, second = (statistics.median(v) for v in costs.values())
    print(f"ratio ({args.pair[0]} / {args.pair[1]}): {first / second:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
