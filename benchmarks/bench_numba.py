"""CPU of a run with the numba site-choice kernels against the numpy path (docs/benchmarks.md, "numba site-choice kernel").

Each measurement is a fresh subprocess of this Python (which must have numba: `pip install -e '.[fast]'`),
numpy (`SCAMSIM_NO_NUMBA=1`) and numba (`SCAMSIM_NUMBA_AFTER=0`) alternated so both see the same load. A
measurement is the process CPU of `ScamModel(params, rng=1).run()` (garbage collection off): with `--warm`, of a
second run in the same process, once numba is loaded; without, of the first, numba's start-up included. Both
paths must give the same weekly frame; the script checks it.

    .venv/bin/python benchmarks/bench_numba.py [--scenario baseline.toml] [--set run.weeks=208] [--rounds 3] [--warm]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, hashlib, json, sys, time
from pathlib import Path
from sim.core.model import ScamModel
from sim.rules import kernels
from sim.scenario.loader import load_scenario
params = load_scenario(Path(sys.argv[1]), sys.argv[3:]).params
if sys.argv[2] == "warm":
    ScamModel(params, rng=2).run()
gc.collect()
gc.disable()
t0 = time.process_time()
model = ScamModel(params, rng=1).run()
spent = time.process_time() - t0
frame = hashlib.sha1(model.log.frame().to_csv().encode()).hexdigest()
print(json.dumps({"cpu": spent, "frame": frame, "numba": kernels._STATE[0] is not None}))
"""

PATHS = {"numpy": {"SCAMSIM_NO_NUMBA": "1"}, "numba": {"SCAMSIM_NUMBA_AFTER": "0"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline.toml")
    ap.add_argument("--set", action="append", default=[], help="scenario override, e.g. run.weeks=208")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warm", action="store_true", help="time a second run in the process (numba already loaded)")
    args = ap.parse_args()
    cpu: dict[str, list[float]] = {name: [] for name in PATHS}
    frames = set()
    for _ in range(args.rounds):
        for name, env in PATHS.items():
            environ = {k: v for k, v in os.environ.items() if k not in ("SCAMSIM_NO_NUMBA", "SCAMSIM_NUMBA_AFTER")}
            environ.update(env, PYTHONPATH=str(ROOT))
            out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "scenarios" / args.scenario), "warm" if args.warm else "cold",
                                  *args.set], env=environ, capture_output=True, text=True, check=True, cwd=str(ROOT))
            result = json.loads(out.stdout.strip().splitlines()[-1])
            if result["numba"] != (name == "numba"):
                raise SystemExit(f"the {name} run did not take the {name} path (is numba installed in {sys.executable}?)")
            cpu[name].append(result["cpu"])
            frames.add(result["frame"])
            print(f"  {name}: {result['cpu']:.3f} CPU s", flush=True)
    if len(frames) != 1:
        raise SystemExit("the two paths gave different weekly frames")
    best = {name: min(times) for name, times in cpu.items()}
    print(f"{args.scenario} {' '.join(args.set)} ({'warm' if args.warm else 'fresh process'}): best numpy {best['numpy']:.3f} s, "
          f"numba {best['numba']:.3f} s, ratio {best['numba'] / best['numpy']:.3f}; same weekly frame; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
