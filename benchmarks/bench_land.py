"""Site choice through the land view or over every cell: CPU of whole runs, the two settings interleaved in one process.

``sim.rules.sitechoice`` scores only the land cells of a map whose land is at most ``LAND_VIEW_MAX_SHARE`` of its cells
(``LandLayers``); the choices, and so the runs, are the same bytes either way (tests/test_fast_paths.py). This script
measures what the view saves, and where it stops paying, by running each scenario with the threshold forced to 1 (a
view on every map) and to 0 (no view), alternately, seed by seed, so load from other work falls on both alike.

    .venv/bin/python benchmarks/bench_land.py                        # baseline.toml (90% land) and mekong_history.toml (28%)
    .venv/bin/python benchmarks/bench_land.py --rounds 3 --seeds 1 2 3

Each run is ``ScamModel(params, rng=seed).run()`` (construction and burn-in included) with garbage collection off; the
best of ``--rounds`` per seed and setting is kept, and the ratio view / no view is reported per seed with its median.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.core.model import ScamModel  # noqa: E402
from sim.rules import kernels, sitelayers  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402

#: Scenario and overrides: the default map and the Mekong history's (208 recorded weeks after its 416-week burn-in).
CASES = {"baseline.toml": [], "mekong_history.toml": ["run.weeks=208"]}


def cpu_of_run(params, seed: int, share: float) -> float:
    """Process CPU seconds of one whole run with ``LAND_VIEW_MAX_SHARE`` set to ``share``."""
    sitelayers.LAND_VIEW_MAX_SHARE = share
    gc.collect()
    gc.disable()
    start = time.process_time()
    ScamModel(params, rng=seed).run()
    spent = time.process_time() - start
    gc.enable()
    return spent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--rounds", type=int, default=2, help="runs of each seed and setting (the best is kept)")
    args = ap.parse_args(argv)
    default = sitelayers.LAND_VIEW_MAX_SHARE
    with kernels.forced(False):  # the numpy path: the compiled kernels read every cell either way
        for scenario, overrides in CASES.items():
            params = load_scenario(ROOT / "scenarios" / scenario, overrides).params
            cpu_of_run(params, args.seeds[0], 1.0)  # warm-up
            ratios = []
            for seed in args.seeds:
                best = {1.0: float("inf"), 0.0: float("inf")}
                for _ in range(args.rounds):
                    for share in (1.0, 0.0):
                        best[share] = min(best[share], cpu_of_run(params, seed, share))
                ratios.append(best[1.0] / best[0.0])
                print(f"{scenario} seed {seed}: view {best[1.0]:.3f} s, every cell {best[0.0]:.3f} s, ratio {ratios[-1]:.3f}")
            print(f"{scenario}: median ratio view / every cell {statistics.median(ratios):.3f}")
    sitelayers.LAND_VIEW_MAX_SHARE = default
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
