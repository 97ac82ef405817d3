"""Two parts of ``bench_model.py`` (issue #17): the CLI's overhead and the cost of many history simulations.

**CLI overhead.** ``scamsim run scenarios/baseline.toml --out DIR`` is started in a fresh interpreter
several times; each time, the same simulation (``sim.measures.run.simulate`` of the same scenario and
seed) is also timed in this process, where everything is already imported. The overhead of one
repetition is the CLI's wall time minus that in-process simulation time: interpreter start-up,
imports, parsing, summarising and writing the files and the figure. The median over repetitions is
the headline. The same difference is taken in CPU time (the child's user + system time from
``getrusage``, against this process's ``process_time``), which load from other processes does not
inflate. A second subprocess that only imports what a run needs, and a third that imports only Mesa,
show how much of the overhead is the imports and how much of those is Mesa itself (which the model
subclasses, so no run can avoid it).

**History simulations.** ``scenarios/mekong.toml`` with its burn-in and ``run.weeks`` set to the
2019-2026 history (416 weeks), one simulation per seed (``simulate``, so the weekly frame a
calibration reads is built too), on a pool of worker processes. The pool's start-up (imports and
parsing in each worker) is timed apart; the projection for 10,000 simulations is that start-up plus
the batch's wall time scaled linearly, compared with 15 minutes.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
MEKONG = ROOT / "scenarios" / "mekong.toml"
#: The history of issue #14: January 2019 to December 2026, eight years of 52 weeks.
HISTORY_WEEKS = 416
#: Targets of issue #17.
CLI_OVERHEAD_TARGET_S = 0.5
HISTORY_TARGET_S = 15 * 60
HISTORY_TARGET_RUNS = 10_000
#: What ``scamsim run`` imports before it simulates (sim/cli/run.py), for the import-only subprocess.
RUN_IMPORTS = ("import sim.cli.main, sim.cli.run, sim.measures.run, sim.scenario.loader, sim.viz.overview, "
               "matplotlib.backends.backend_agg, PIL.PngImagePlugin")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONWARNINGS", None)
    return env


def _timed_child(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; fails loudly if the child fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=_child_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cli_overhead(repetitions: int) -> dict[str, Any]:
    """Median CLI overhead of ``scamsim run`` on the default scenario (see the module docstring)."""
    from sim.measures.run import simulate
    from sim.scenario.loader import load_scenario

    params = load_scenario(BASELINE).params
    simulate(params)  # warm-up: the in-process figure is for a warm interpreter
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="scamsim-bench-cli-"))
    try:
        for rep in range(repetitions):
            out = scratch / f"run{rep}"
            cli_wall, cli_cpu = _timed_child([sys.executable, "-m", "sim.cli.main", "run", str(BASELINE), "--out", str(out)], scratch)
            t0, c0 = time.perf_counter(), time.process_time()
            simulate(params)
            sim_wall, sim_cpu = time.perf_counter() - t0, time.process_time() - c0
            imp_wall, imp_cpu = _timed_child([sys.executable, "-c", RUN_IMPORTS], scratch)
            mesa_wall, mesa_cpu = _timed_child([sys.executable, "-c", "import mesa"], scratch)
            bare_wall, bare_cpu = _timed_child([sys.executable, "-c", "pass"], scratch)
            rows.append({"cli_wall_s": cli_wall, "cli_cpu_s": cli_cpu, "simulate_wall_s": sim_wall, "simulate_cpu_s": sim_cpu,
                         "overhead_wall_s": cli_wall - sim_wall, "overhead_cpu_s": cli_cpu - sim_cpu,
                         "imports_wall_s": imp_wall, "imports_cpu_s": imp_cpu, "mesa_import_wall_s": mesa_wall,
                         "mesa_import_cpu_s": mesa_cpu, "interpreter_wall_s": bare_wall, "interpreter_cpu_s": bare_cpu})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    return {"repetitions": repetitions, "per_repetition": rows, "median": med, "target_s": CLI_OVERHEAD_TARGET_S,
            "target_met_wall": med["overhead_wall_s"] < CLI_OVERHEAD_TARGET_S,
            "target_met_cpu": med["overhead_cpu_s"] < CLI_OVERHEAD_TARGET_S}


_WORKER_PARAMS = None


def _init_history_worker(path: str, overrides: list[str]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    global _WORKER_PARAMS
    from sim.scenario.loader import load_scenario

    _WORKER_PARAMS = load_scenario(path, overrides).params


def _history_run(seed: int) -> tuple[float, int]:
    """One history simulation; its process CPU seconds and compound-weeks recorded."""
    from sim.measures.run import simulate

    c0 = time.process_time()
    run = simulate(_WORKER_PARAMS, seed=seed)
    return time.process_time() - c0, int(run.frame["compounds"].sum())


def history_batch(n: int, workers: int = 2, weeks: int = HISTORY_WEEKS) -> dict[str, Any]:
    """Wall time of ``n`` Mekong history simulations (seeds 1..n) on ``workers`` processes, extrapolated to 10,000."""
    overrides = [f"run.weeks={weeks}"]
    method = "forkserver" if "forkserver" in get_all_start_methods() else "spawn"
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method), initializer=_init_history_worker,
                             initargs=(str(MEKONG), overrides)) as pool:
        # Pool start-up (imports and parsing in each worker) is timed on its own: paid once, not per simulation.
        list(pool.map(time.sleep, [0.2] * workers))
        t1 = time.perf_counter()
        results = list(pool.map(_history_run, range(1, n + 1), chunksize=max(1, n // (8 * workers))))
    t2 = time.perf_counter()
    startup, wall = t1 - t0, t2 - t0
    cpu = [c for c, _ in results]
    projected = startup + (t2 - t1) * HISTORY_TARGET_RUNS / n
    return {"scenario": "scenarios/mekong.toml", "overrides": overrides, "simulations": n, "workers": workers,
            "start_method": method, "wall_s": wall, "pool_startup_s": startup, "simulations_per_s": n / (t2 - t1),
            "cpu_s_per_simulation": {"median": statistics.median(cpu), "min": min(cpu), "max": max(cpu)},
            "compound_weeks_per_simulation": statistics.median(cw for _, cw in results),
            "projected_wall_s_for_10000": projected, "target_s": HISTORY_TARGET_S, "target_met": projected <= HISTORY_TARGET_S}


def print_cli_and_history(res: dict[str, Any]) -> None:
    if "cli" in res:
        c = res["cli"]
        m = c["median"]
        print(f"\n4. CLI overhead of `scamsim run scenarios/baseline.toml` (median of {c['repetitions']} subprocess runs)")
        print(f"   CLI {m['cli_wall_s']:.2f} s wall ({m['cli_cpu_s']:.2f} s CPU) - in-process simulation {m['simulate_wall_s']:.2f} s wall "
              f"({m['simulate_cpu_s']:.2f} s CPU) = overhead {m['overhead_wall_s']:.2f} s wall, {m['overhead_cpu_s']:.2f} s CPU "
              f"(target < {c['target_s']:g} s: {'met' if c['target_met_cpu'] else 'NOT met'} in CPU, "
              f"{'met' if c['target_met_wall'] else 'NOT met'} in wall)")
        print(f"   of which: interpreter alone {m['interpreter_cpu_s']:.2f} s CPU; everything a run imports "
              f"{m['imports_cpu_s']:.2f} s CPU; Mesa alone {m['mesa_import_cpu_s']:.2f} s CPU")
    if "history" in res:
        h = res["history"]
        print(f"\n5. {h['simulations']} Mekong history simulations ({h['overrides'][0]}, burn-in included) on {h['workers']} workers")
        print(f"   {h['wall_s']:.1f} s wall, pool start-up {h['pool_startup_s']:.1f} s of it ({h['simulations_per_s']:.2f}/s after; "
              f"{h['cpu_s_per_simulation']['median']:.2f} s CPU each, "
              f"{h['compound_weeks_per_simulation']:,.0f} compound-weeks each); 10,000 would take "
              f"{h['projected_wall_s_for_10000'] / 60:.0f} min (target 15 min: {'met' if h['target_met'] else 'NOT met'})")
