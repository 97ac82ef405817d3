"""Benchmarks of scamsim, with Mesa's WolfSheep measured in the same process for comparison.

Run from the repository root::

    .venv/bin/python benchmarks/bench_model.py            # full run, a few minutes
    .venv/bin/python benchmarks/bench_model.py --quick    # smoke check, under ~30 s
    .venv/bin/python benchmarks/bench_model.py --profile  # also cProfile one default run and the 16x runs

What it measures (docs/benchmarks.md explains each figure):

1. The default scenario (scenarios/baseline.toml, 260 weeks): wall time of model set-up plus the run,
   for several seeds, after a warm-up run, with garbage collection off while timing; the fastest of
   the replications of each seed is kept (the median is reported too). Throughput is compound-weeks
   per second: the sum over weeks of live compounds (the weekly log's ``compounds`` column) divided by
   that wall time.
2. Cost per week at 1x, 4x and 16x (operators, labour inflow and initial pool scaled by k; cell
   capacity raised so cells never fill; a second variant also holds the region's raid pressure at
   its 1x level so the population really grows k-fold): compounds and seconds per week at steady
   state, seconds per week per compound relative to 1x, and the site choices (the dominant cost)
   made per week.
3. Mesa's WolfSheep example at the 'large' configuration of Mesa's own benchmarks, as agent-steps per
   second. Its replications are interleaved with scamsim's, so both are timed under the same load.
4. The CLI overhead of ``scamsim run`` on the default scenario: the CLI's wall (and CPU) time in a
   subprocess minus the same simulation timed in this process, median of several repetitions
   (``benchmarks/bench_cli_history.py``).
5. ``--history N`` Mekong history simulations (2019-2026, burn-in included) on 2 worker processes,
   extrapolated to 10,000 and compared with 15 minutes.

Results go to benchmarks/results/latest.json (git-ignored); a small table is printed. Timings on a
shared machine are noisy: compare ratios measured in one process, never absolute numbers across runs.
Process CPU time is recorded next to wall time: on a busy machine it is the steadier of the two.
"""

from __future__ import annotations

import os

# One core: keep numpy's BLAS/OpenMP pools to one thread (set before numpy is first imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a source tree
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from mesa.examples.advanced.wolf_sheep.agents import Sheep, Wolf  # noqa: E402
from mesa.examples.advanced.wolf_sheep.model import WolfSheep, WolfSheepScenario  # noqa: E402

import sim.core.moves as sim_moves  # noqa: E402
from benchmarks.bench_cli_history import cli_overhead, history_batch, print_cli_and_history  # noqa: E402
from sim.common.provenance import git_commit, versions  # noqa: E402
from sim.core.model import ScamModel  # noqa: E402
from sim.params.declarations import Params  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "baseline.toml"
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"

#: Targets for one default run (set-up + 260 weeks) on one core.
TARGET_S = 2.0
AIM_S = 1.0
#: Cost per week per compound at k x may exceed 1x by this factor before we call growth super-linear
#: (the week-by-week minimum over replications still moves by several per cent between runs).
LINEAR_TOLERANCE = 1.10

#: Mesa's benchmarks/configurations.py, WolfSheep "large" (the same in the 3.x sdists that build it
#: from WolfSheepScenario): 10 seeds, 3 replications, 20 steps.
WOLFSHEEP_LARGE: dict[str, Any] = {
    "seeds": 10,
    "replications": 3,
    "steps": 20,
    "parameters": {
        "height": 100,
        "width": 100,
        "initial_sheep": 1000,
        "initial_wolves": 500,
        "sheep_reproduce": 0.4,
        "wolf_reproduce": 0.2,
        "grass_regrowth_time": 10,
    },
}

FULL = {
    "seeds": 5, "replications": 3,
    "scales": (1, 4, 16), "scale_weeks": 156, "steady_weeks": 104, "scale_replications": 3, "variants": ("as_specified", "raids_held"),
    "ws_seeds": WOLFSHEEP_LARGE["seeds"], "ws_replications": WOLFSHEEP_LARGE["replications"],
    "cli_repetitions": 5, "history": 1000,
}
QUICK = {
    "seeds": 2, "replications": 2,
    "scales": (1, 4, 16), "scale_weeks": 52, "steady_weeks": 52, "scale_replications": 1, "variants": ("as_specified",),
    "ws_seeds": 2, "ws_replications": 1,
    "cli_repetitions": 2, "history": 8,
}


# ---- timing helpers ------------------------------------------------------------------------------

class NoGC:
    """Garbage collection off inside the block (a full collection first, so none is pending)."""

    def __enter__(self) -> None:
        gc.collect()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        gc.enable()


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and process CPU seconds of ``fn()`` with garbage collection off, and its result."""
    with NoGC():
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
    return wall, cpu, out


def summary(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "mean": statistics.fmean(values)}


# ---- 1. the default scenario ---------------------------------------------------------------------

def run_default(params: Params, seed: int) -> dict[str, Any]:
    """Set up and run one default simulation: set-up seconds, compound-weeks, recorded and simulated weeks.

    Set-up includes the burn-in (``run.burn_in_weeks`` unrecorded weeks simulated inside the constructor).
    """
    start = time.perf_counter()
    model = ScamModel(params, rng=seed)
    setup = time.perf_counter() - start
    model.run()
    compounds = model.log.rows["compounds"]
    burn_in = params.run.burn_in_weeks  # simulated inside the constructor, outside Mesa's step counter
    return {"setup_s": setup, "compound_weeks": int(sum(compounds)), "weeks": len(compounds), "steps": burn_in + len(compounds)}


def default_report(runs: dict[int, list[tuple[float, float, dict[str, Any]]]]) -> dict[str, Any]:
    per_seed = []
    for seed, reps in runs.items():
        walls = [r[0] for r in reps]
        work = reps[0][2]  # seeded: every replication does the same work
        compound_weeks = work["compound_weeks"]
        best = min(walls)
        per_seed.append({
            "seed": seed,
            "weeks": work["weeks"],
            "weeks_simulated": work["steps"],
            "compound_weeks": compound_weeks,
            "setup_s": min(r[2]["setup_s"] for r in reps),
            "wall_s": walls,
            "cpu_s": [r[1] for r in reps],
            "fastest_s": best,
            "median_s": statistics.median(walls),
            "fastest_cpu_s": min(r[1] for r in reps),
            "compound_weeks_per_s": compound_weeks / best,
            "compound_weeks_per_cpu_s": compound_weeks / min(r[1] for r in reps),
            "weeks_simulated_per_s": work["steps"] / best,
        })
    fastest = [r["fastest_s"] for r in per_seed]
    rates = [r["compound_weeks_per_s"] for r in per_seed]
    return {
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "timed": ("ScamModel(params, rng=seed) + model.run(): set-up (with the unrecorded burn-in weeks) and every recorded "
                  "week; imports and scenario parsing excluded"),
        "compound_weeks": "sum over recorded weeks of the log's 'compounds' column (burn-in weeks are simulated but not logged)",
        "replications": len(next(iter(runs.values()))),
        "per_seed": per_seed,
        "fastest_s": summary(fastest),
        "median_of_replications_s": summary([r["median_s"] for r in per_seed]),
        "fastest_cpu_s": summary([r["fastest_cpu_s"] for r in per_seed]),
        "setup_s": summary([r["setup_s"] for r in per_seed]),
        "compound_weeks_per_s": summary(rates),
        "headline_wall_s": statistics.median(fastest),
        "worst_seed_wall_s": max(fastest),
        "headline_compound_weeks_per_s": statistics.median(rates),
        "headline_compound_weeks_per_cpu_s": statistics.median(r["compound_weeks_per_cpu_s"] for r in per_seed),
        "target_s": TARGET_S,
        "aim_s": AIM_S,
        "target_met": max(fastest) <= TARGET_S,
        "aim_met": max(fastest) <= AIM_S,
        "target_met_cpu": max(r["fastest_cpu_s"] for r in per_seed) <= TARGET_S,
        "aim_met_cpu": max(r["fastest_cpu_s"] for r in per_seed) <= AIM_S,
    }


# ---- 3. Mesa's WolfSheep -------------------------------------------------------------------------

def run_wolfsheep(seed: int, steps: int, parameters: dict[str, Any]) -> tuple[float, float, float, int]:
    """Init time, run time and run CPU time of one WolfSheep run, and its agent-steps (animals stepped)."""
    with NoGC():
        start = time.perf_counter()
        model = WolfSheep(WolfSheepScenario(rng=seed, **parameters))
        init = time.perf_counter() - start
        agent_steps = 0
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            agent_steps += len(model.agents_by_type[Sheep]) + len(model.agents_by_type[Wolf])
            model.step()
        cpu = time.process_time() - cpu
        run = time.perf_counter() - start
    return init, run, cpu, agent_steps


def wolfsheep_report(runs: dict[int, list[tuple[float, float, float, int]]]) -> dict[str, Any]:
    cfg = WOLFSHEEP_LARGE
    per_seed = []
    for seed, reps in runs.items():
        init = min(r[0] for r in reps)
        run = min(r[1] for r in reps)
        agent_steps = reps[0][3]  # seeded: every replication makes the same steps
        per_seed.append({"seed": seed, "init_s": init, "run_s": run, "run_cpu_s": min(r[2] for r in reps), "agent_steps": agent_steps,
                         "agent_steps_per_s": agent_steps / run, "agent_steps_per_s_incl_init": agent_steps / (init + run),
                         "agent_steps_per_cpu_s": agent_steps / min(r[2] for r in reps)})
    rates = [r["agent_steps_per_s"] for r in per_seed]
    return {
        "model": "mesa.examples.advanced.wolf_sheep.model.WolfSheep",
        "configuration": "large",
        "parameters": cfg["parameters"],
        "steps": cfg["steps"],
        "seeds": len(runs),
        "replications": len(next(iter(runs.values()))),
        "agent_steps": "sheep + wolves alive at the start of each step, summed over steps (grass patches are "
                       "FixedAgents updated by scheduled events, not stepped)",
        "per_seed": per_seed,
        "mean_init_s": statistics.fmean(r["init_s"] for r in per_seed),
        "mean_run_s": statistics.fmean(r["run_s"] for r in per_seed),
        "agent_steps_per_s": summary(rates),
        "agent_steps_per_s_incl_init": summary([r["agent_steps_per_s_incl_init"] for r in per_seed]),
        "headline_agent_steps_per_s": statistics.median(rates),
        "headline_agent_steps_per_cpu_s": statistics.median(r["agent_steps_per_cpu_s"] for r in per_seed),
        # Initial animals x steps over init + run: a count that ignores the population's growth.
        "nominal_agent_steps_per_s": (cfg["parameters"]["initial_sheep"] + cfg["parameters"]["initial_wolves"]) * cfg["steps"]
        / statistics.fmean(r["init_s"] + r["run_s"] for r in per_seed),
    }


def bench_default_and_wolfsheep(params: Params, cfg: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Replications in rounds, each round timing every scamsim seed then every WolfSheep seed."""
    seeds = range(1, cfg["seeds"] + 1)
    ws_seeds = range(1, cfg["ws_seeds"] + 1)
    scam: dict[int, list] = {s: [] for s in seeds}
    ws: dict[int, list] = {s: [] for s in ws_seeds}
    for rnd in range(max(cfg["replications"], cfg["ws_replications"])):
        if rnd < cfg["replications"]:
            for s in seeds:
                scam[s].append(timed(lambda s=s: run_default(params, s)))
        if rnd < cfg["ws_replications"]:
            for s in ws_seeds:
                ws[s].append(run_wolfsheep(s, WOLFSHEEP_LARGE["steps"], WOLFSHEEP_LARGE["parameters"]))
    return default_report(scam), wolfsheep_report(ws)


# ---- 2. scaling ----------------------------------------------------------------------------------

#: Cell capacity in the scaled runs: the parameter's maximum, so no cell fills at any k.
SCALED_CELL_CAPACITY = 1000

#: Scaling variants. "as_specified": k x operators, labour inflow and initial pool, nothing else
#: changed. Raids respond to the compounds agencies know of and heat builds per cell, so more
#: compounds draw more raids and more heat each: the market does not hold k x as many compounds.
#: "raids_held": the same, with agencies' responsiveness divided by k, so the raid pressure on the
#: region stays at its 1x level and the population settles near k x (a cost test, not a scenario).
def scaled_overrides(base: Params, k: int, weeks: int, variant: str = "as_specified") -> list[str]:
    """Overrides for k x as many compounds; everything not listed is as in the scenario."""
    out = [
        f"operators.initial={base.operators.initial * k}",
        f"labour.inflow_per_week={base.labour.inflow_per_week * k}",
        f"labour.initial_pool={base.labour.initial_pool * k}",
        f"compounds.cell_capacity={SCALED_CELL_CAPACITY}",
        f"run.weeks={weeks}",
    ]
    if variant == "raids_held":
        out.append(f"enforcement.responsiveness={base.enforcement.responsiveness / k!r}")
    return out


def run_stepwise(params: Params, seed: int) -> dict[str, Any]:
    """Set-up time, wall and process CPU seconds of each week, compounds per week, and the fullest cell."""
    weeks = params.run.weeks
    wall, cpu = np.empty(weeks), np.empty(weeks)
    clock, cpu_clock = time.perf_counter, time.process_time
    with NoGC():
        start = clock()
        model = ScamModel(params, rng=seed)
        setup = clock() - start
        for w in range(weeks):
            t0, c0 = clock(), cpu_clock()
            model.step()
            cpu[w] = cpu_clock() - c0
            wall[w] = clock() - t0
    return {"setup": setup, "per_week": wall, "cpu_per_week": cpu, "compounds": np.asarray(model.log.rows["compounds"], dtype=float),
            "fullest": int(model.compound_counts().max())}


def run_instrumented(params: Params, seed: int, window: slice) -> dict[str, float]:
    """An untimed run that counts site choices (``choose_site``) and the time spent in them.

    ``sim.core.moves`` (where every move and opening is decided) imported ``choose_site`` by name, so the
    counter wraps that name for this run only.
    """
    real = sim_moves.choose_site
    weeks = params.run.weeks
    calls, inside, total = np.zeros(weeks), np.zeros(weeks), np.zeros(weeks)
    week = [0]
    clock = time.perf_counter

    def counted(*a: Any, **kw: Any) -> Any:
        t0 = clock()
        out = real(*a, **kw)
        inside[week[0]] += clock() - t0
        calls[week[0]] += 1
        return out

    sim_moves.choose_site = counted
    try:
        with NoGC():
            model = ScamModel(params, rng=seed)
            calls[:] = 0.0  # the burn-in's site choices were made inside the constructor: not counted
            inside[:] = 0.0
            for w in range(weeks):
                week[0] = w
                t0 = clock()
                model.step()
                total[w] = clock() - t0
    finally:
        sim_moves.choose_site = real
    frame = model.log.frame().iloc[window]
    n = float(frame["compounds"].mean())
    per_week = float(calls[window].mean())
    return {
        "site_choices_per_week": per_week,
        "site_choices_per_compound_week": per_week / n,
        "us_per_site_choice": 1e6 * float(inside[window].sum() / max(calls[window].sum(), 1)),
        "site_choice_share_of_week": float(inside[window].sum() / total[window].sum()),
        "relocations_per_week": float(frame["relocations"].mean()),
        "raids_per_week": float(frame["raids"].mean()),
        "compounds_opened_per_week": float(frame["compounds_opened"].mean()),
    }


def bench_scaling(base: Params, scales: tuple[int, ...], weeks: int, steady: int, replications: int,
                  variant: str = "as_specified", seed: int = 1, instrument: bool = True) -> dict[str, Any]:
    window = slice(weeks - steady, weeks)
    params = {k: load_scenario(SCENARIO, scaled_overrides(base, k, weeks, variant)).params for k in scales}
    runs: dict[int, list[dict[str, Any]]] = {k: [] for k in scales}
    for _ in range(replications):  # round-robin over k, so a burst of load hits every scale alike
        for k in scales:
            runs[k].append(run_stepwise(params[k], seed))
    rows = []
    for k in scales:
        reps = runs[k]
        # Same seed, same trajectory: the week-by-week minimum over replications strips scheduler noise.
        per_week = np.min(np.vstack([r["per_week"] for r in reps]), axis=0)
        cpu_week = float(np.min(np.vstack([r["cpu_per_week"] for r in reps]), axis=0)[window].mean())
        compounds = reps[0]["compounds"]
        s_week = float(per_week[window].mean())
        n = float(compounds[window].mean())
        rows.append({
            "k": k,
            "overrides": scaled_overrides(base, k, weeks, variant),
            "cell_capacity": params[k].compounds.cell_capacity,
            "setup_s_incl_burn_in": min(r["setup"] for r in reps),
            "compounds_steady": n,
            "compounds_end": int(compounds[-1]),
            "max_compounds_in_a_cell": max(r["fullest"] for r in reps),
            "s_per_week": s_week,
            "s_per_week_median_of_replications": float(statistics.median(float(r["per_week"][window].mean()) for r in reps)),
            "cpu_s_per_week": cpu_week,
            "s_per_week_per_compound": s_week / n,
            "cpu_s_per_week_per_compound": cpu_week / n,
            "compound_weeks_per_s": n / s_week,
            **(run_instrumented(params[k], seed, window) if instrument else {}),
        })
    ref = rows[0]
    for r in rows:
        r["compounds_ratio"] = r["compounds_steady"] / ref["compounds_steady"]
        r["s_per_week_ratio"] = r["s_per_week"] / ref["s_per_week"]
        r["per_compound_ratio_vs_1x"] = r["s_per_week_per_compound"] / ref["s_per_week_per_compound"]
        r["per_compound_ratio_vs_1x_cpu"] = r["cpu_s_per_week_per_compound"] / ref["cpu_s_per_week_per_compound"]
        if instrument:
            r["site_choices_per_compound_ratio_vs_1x"] = r["site_choices_per_compound_week"] / ref["site_choices_per_compound_week"]
    x = np.log([r["compounds_steady"] for r in rows])

    def exponent(key: str) -> float:
        return float(np.polyfit(x, np.log([r[key] for r in rows]), 1)[0]) if len(rows) > 1 else float("nan")

    worst = max(r["per_compound_ratio_vs_1x_cpu"] for r in rows)
    return {
        "variant": variant,
        "seed": seed,
        "weeks": weeks,
        "burn_in_weeks": base.run.burn_in_weeks,
        "steady_state": f"mean over the last {steady} recorded weeks (after {base.run.burn_in_weeks} burn-in weeks)",
        "replications": replications,
        "rows": rows,
        "verdict_basis": "process CPU seconds per week (wall time adds waiting for a core on a shared machine)",
        "log_log_exponent": exponent("cpu_s_per_week"),
        "log_log_exponent_wall": exponent("s_per_week"),
        "worst_per_compound_ratio": worst,
        "worst_per_compound_ratio_wall": max(r["per_compound_ratio_vs_1x"] for r in rows),
        "tolerance": LINEAR_TOLERANCE,
        "no_faster_than_linear": worst <= LINEAR_TOLERANCE,
    }


# ---- profiling -----------------------------------------------------------------------------------

def _short(file: str) -> str:
    if file.startswith(str(ROOT)):
        return os.path.relpath(file, ROOT)
    if file.startswith("<") or file == "~":
        return file
    return "/".join(Path(file).parts[-2:])


def profile(fn: Callable[[], Any], top: int = 15) -> dict[str, Any]:
    """cProfile ``fn``; the top functions by own time and by cumulative time, with their shares."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt

    def rows(key: int) -> list[dict[str, Any]]:
        items = sorted(stats.stats.items(), key=lambda kv: kv[1][key], reverse=True)[:top]
        return [{"function": f"{_short(file)}:{line}({name})", "calls": nc, "tottime_s": tt, "cumtime_s": ct,
                 "tottime_share": tt / total, "cumtime_share": ct / total}
                for (file, line, name), (_cc, nc, tt, ct, _callers) in items]

    text = io.StringIO()
    for key in ("tottime", "cumulative"):
        pstats.Stats(prof, stream=text).sort_stats(key).print_stats(top)
    return {"total_s": total, "by_tottime": rows(2), "by_cumtime": rows(3), "text": text.getvalue()}


# ---- report --------------------------------------------------------------------------------------

def source_hash() -> str:
    """Hash of sim/**/*.py as measured (the tree may hold uncommitted changes)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "sim").rglob("*.py")):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cpus_visible": os.cpu_count(),
        "cpus_allowed": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_start": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions(),
        "git_commit": git_commit(),
        "sim_source_sha256": source_hash(),
        "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }


def print_table(res: dict[str, Any]) -> None:
    m, d, w = res["machine"], res["default"], res["wolfsheep"]
    print(f"\nscamsim benchmarks  {m['date']}  {m['cpu']}  Python {m['python']}  mesa {m['versions'].get('mesa')}  ({res['mode']}; "
          f"load average {m['load_average_start'][0]:.1f} -> {m['load_average_end'][0]:.1f})")
    r0 = d["per_seed"][0]
    print(f"\n1. default scenario: set-up with {r0['weeks_simulated'] - r0['weeks']} burn-in weeks + {r0['weeks']} recorded weeks, "
          f"fastest of {d['replications']} replications per seed")
    print(f"   {'seed':>4} {'fastest s':>10} {'median s':>9} {'cpu s':>6} {'set-up s':>8} {'compound-weeks':>15} {'cw/s':>9}")
    for r in d["per_seed"]:
        print(f"   {r['seed']:>4} {r['fastest_s']:>10.3f} {r['median_s']:>9.3f} {r['fastest_cpu_s']:>6.3f} {r['setup_s']:>8.3f} "
              f"{r['compound_weeks']:>15,} {r['compound_weeks_per_s']:>9,.0f}")
    verdict = "met" if d["target_met"] else "NOT met"
    aim = "met" if d["aim_met"] else "not met"
    print(f"   median {d['headline_wall_s']:.3f} s, worst seed {d['worst_seed_wall_s']:.3f} s: target {TARGET_S:g} s {verdict}, "
          f"aim {AIM_S:g} s {aim}; {d['headline_compound_weeks_per_s']:,.0f} compound-weeks/s")
    print(f"   process CPU time: worst seed {d['fastest_cpu_s']['max']:.3f} s (aim {AIM_S:g} s "
          f"{'met' if d['aim_met_cpu'] else 'not met'}); wall exceeds CPU when other processes hold the cores")
    for variant, sv in res["scaling"].items():
        print(f"\n2. cost per week at scale, {variant} (seed {sv['seed']}, {sv['steady_state']}, "
              f"{sv['replications']} replications)")
        print(f"   {'k':>3} {'compounds':>10} {'wall ms/wk':>10} {'cpu ms/wk':>9} {'cpu us/wk/comp':>14} {'vs 1x':>6} "
              f"{'(wall)':>6} {'choices/wk':>10} {'us/choice':>9} {'choice share':>12} {'full cell':>9}")
        for r in sv["rows"]:
            full = "yes" if r["max_compounds_in_a_cell"] >= r["cell_capacity"] else "no"
            if "site_choices_per_week" in r:
                choices = (f"{r['site_choices_per_week']:>10.1f} {r['us_per_site_choice']:>9.1f} "
                           f"{100 * r['site_choice_share_of_week']:>11.0f}%")
            else:  # --quick skips the instrumented run
                choices = f"{'-':>10} {'-':>9} {'-':>12}"
            print(f"   {r['k']:>3} {r['compounds_steady']:>10,.0f} {1e3 * r['s_per_week']:>10.2f} {1e3 * r['cpu_s_per_week']:>9.2f} "
                  f"{1e6 * r['cpu_s_per_week_per_compound']:>14.2f} {r['per_compound_ratio_vs_1x_cpu']:>6.2f} "
                  f"{r['per_compound_ratio_vs_1x']:>6.2f} {choices} {full:>9}")
        growth = "no faster than linear" if sv["no_faster_than_linear"] else "FASTER than linear" + (
            " (not profiled in --quick)" if res["mode"] == "quick" and "profile" not in sv else "")
        print(f"   CPU cost ~ compounds^{sv['log_log_exponent']:.2f} (wall ^{sv['log_log_exponent_wall']:.2f}): {growth} "
              f"(tolerance {sv['tolerance']:.2f}x per compound)")
        if "profile" in sv:
            print(f"   where the time goes at {sv['profile']['k']}x (own time, share of the run):")
            for r in sv["profile"]["by_tottime"][:8]:
                print(f"     {100 * r['tottime_share']:5.1f}%  {r['function']}")
    print(f"\n3. Mesa WolfSheep 'large' ({w['seeds']} seeds x {w['replications']} replications, {w['steps']} steps, "
          f"interleaved with part 1)")
    print(f"   init {w['mean_init_s']:.3f} s, run {w['mean_run_s']:.3f} s (means of fastest); "
          f"{w['headline_agent_steps_per_s']:,.0f} agent-steps/s (median over seeds; nominal "
          f"{w['nominal_agent_steps_per_s']:,.0f}/s counting only the initial 1,500 animals)")
    c = res["comparison"]
    print(f"\n   scamsim {c['scamsim_compound_weeks_per_s']:,.0f} compound-weeks/s vs WolfSheep {c['wolfsheep_agent_steps_per_s']:,.0f} "
          f"agent-steps/s: ratio {c['ratio']:.2f} (per CPU second: {c['scamsim_compound_weeks_per_cpu_s']:,.0f} vs "
          f"{c['wolfsheep_agent_steps_per_cpu_s']:,.0f}, ratio {c['ratio_cpu']:.2f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer seeds, replications and weeks: a smoke check (< ~30 s)")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one default run (seed 1) and the largest scale of each variant; top 15 stored")
    ap.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--history", type=int, metavar="N", default=None,
                    help="Mekong history simulations to time on 2 workers (default 1000, 8 with --quick; 0 skips them)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for the history simulations (default 2)")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    n_history = cfg["history"] if args.history is None else args.history
    wall = time.perf_counter()
    info = machine()

    parse_s, _, scenario = timed(lambda: load_scenario(SCENARIO))
    params = scenario.params

    # Warm-up: one run of each model fills caches and lazy imports before anything is timed.
    run_default(params, 1)
    run_wolfsheep(1, 2, WOLFSHEEP_LARGE["parameters"])

    print("timing the default scenario and Mesa's WolfSheep (large), interleaved ...", file=sys.stderr, flush=True)
    default, wolfsheep = bench_default_and_wolfsheep(params, cfg)
    scaling = {}
    for variant in cfg["variants"]:
        print(f"timing cost per week at scale ({variant}) ...", file=sys.stderr, flush=True)
        sc = bench_scaling(params, cfg["scales"], cfg["scale_weeks"], cfg["steady_weeks"], cfg["scale_replications"], variant,
                           instrument=not args.quick)
        if args.profile or (not sc["no_faster_than_linear"] and not args.quick):
            k = cfg["scales"][-1]
            big = load_scenario(SCENARIO, scaled_overrides(params, k, cfg["scale_weeks"], variant)).params
            print(f"profiling {k}x ({variant}) ...", file=sys.stderr, flush=True)
            sc["profile"] = {"k": k, **profile(lambda p=big: ScamModel(p, rng=1).run())}
        scaling[variant] = sc

    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": info,
        "scenario_parse_s": parse_s,
        "default": default,
        "scaling": scaling,
        "wolfsheep": wolfsheep,
        "comparison": {
            "scamsim_compound_weeks_per_s": default["headline_compound_weeks_per_s"],
            "wolfsheep_agent_steps_per_s": wolfsheep["headline_agent_steps_per_s"],
            "ratio": default["headline_compound_weeks_per_s"] / wolfsheep["headline_agent_steps_per_s"],
            "scamsim_compound_weeks_per_cpu_s": default["headline_compound_weeks_per_cpu_s"],
            "wolfsheep_agent_steps_per_cpu_s": wolfsheep["headline_agent_steps_per_cpu_s"],
            "ratio_cpu": default["headline_compound_weeks_per_cpu_s"] / wolfsheep["headline_agent_steps_per_cpu_s"],
            "note": "scamsim's time includes set-up; WolfSheep's rate is run time only (its init is reported separately)",
        },
    }
    print("timing the CLI overhead ...", file=sys.stderr, flush=True)
    results["cli"] = cli_overhead(cfg["cli_repetitions"])
    if n_history > 0:
        print(f"timing {n_history} Mekong history simulations on {args.workers} workers ...", file=sys.stderr, flush=True)
        results["history"] = history_batch(n_history, args.workers)
    if args.profile:
        print("profiling one default run ...", file=sys.stderr, flush=True)
        results["profile_default"] = profile(lambda: run_default(params, 1))
    results["machine"]["load_average_end"] = os.getloadavg()
    results["benchmark_wall_s"] = time.perf_counter() - wall

    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_scrub(results), indent=2, default=str, allow_nan=False))
    tmp.replace(args.output)
    print_table(results)
    print_cli_and_history(results)
    if args.profile:
        print("\nprofile of one default run (seed 1), top 15:")
        print(results["profile_default"]["text"])
    print(f"\nwrote {args.output} ({results['benchmark_wall_s']:.0f} s)")
    return 0


def _scrub(obj: Any) -> Any:
    """NaN and infinities become null, so the file stays strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _scrub(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_scrub(v) for v in obj]
    return obj


if __name__ == "__main__":
    raise SystemExit(main())
