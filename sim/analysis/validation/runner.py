"""Running a validation suite: every variant its patterns need over replications, then the verdicts.

Common random numbers: replication k of every variant and of the counterfactual uses seed
``first_seed + k``, so differences between variants are paired. The runner knows no place names; it
takes a ``Catalogue`` (``sim.analysis.validation.mekong.CATALOGUE`` for the shipped Mekong suite). A
failed pattern is a finding, never an error.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.validation.catalogue import SCENARIOS, Catalogue, Variant, VariantUnavailable, variant_params
from sim.analysis.validation.criteria import PatternResult, evaluate, pattern_metrics
from sim.analysis.validation.geography import Geo
from sim.analysis.validation.measures import shock_measures, value_or_nan
from sim.analysis.validation.observe import Observation, observe
from sim.common.stats import t_interval
from sim.measures.run import counterfactual_params, summarise
from sim.params.declarations import Params


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started by a fork server (or spawned), never forked from a threaded parent."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["sim.analysis.validation.runner"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _job(args: tuple[Params, int]) -> Observation:
    params, seed = args
    return observe(params, seed)


def observe_all(runs: Mapping[str, Params], seeds: list[int], workers: int = 1) -> dict[int, dict[str, Observation]]:
    """Observe every named parameter set for every seed: {seed: {name: Observation}}."""
    jobs = [(name, seed) for seed in seeds for name in runs]
    args = [(runs[name], seed) for name, seed in jobs]
    if workers > 1 and len(args) > 1:
        with process_pool(workers) as pool:
            results = list(pool.map(_job, args, chunksize=1))
    else:
        results = [_job(a) for a in args]
    out: dict[int, dict[str, Observation]] = {s: {} for s in seeds}
    for (name, seed), res in zip(jobs, results, strict=True):
        out[seed][name] = res
    return out


def run_variants(params: Params, variants: Mapping[str, Variant], seeds: list[int], workers: int = 1,
                 scenarios_dir: Path = SCENARIOS) -> tuple[dict[int, dict[str, Observation]], dict[str, str]]:
    """Run every variant for every seed; returns ({seed: {variant: Observation}}, {variant: why unavailable})."""
    built, unavailable = {}, {}
    for name, variant in variants.items():
        try:
            built[name] = variant_params(params, variant, scenarios_dir)
        except VariantUnavailable as exc:
            unavailable[name] = str(exc)
    return observe_all(built, seeds, workers), unavailable


@dataclass
class Report:
    scenario: str
    seeds: list[int]
    results: list[PatternResult]
    observations: dict[int, dict[str, Observation]] = field(repr=False, default_factory=dict)
    headline: list[float] = field(default_factory=list)  # persistence vs counterfactual (workers), per seed


def run_patterns(params: Params, catalogue: Catalogue, replications: int = 10, workers: int = 2, first_seed: int = 1,
                 scenario: str = "", scenarios_dir: Path = SCENARIOS, keep_observations: bool = False) -> Report:
    """Run every variant the catalogue's patterns need over ``replications`` seeds and evaluate each pattern."""
    seeds = list(range(first_seed, first_seed + replications))
    names = dict.fromkeys(v for p in catalogue.patterns for v in p.variants)
    obs, unavailable = run_variants(params, {n: catalogue.variants[n] for n in names}, seeds, workers, scenarios_dir)
    geo = Geo.of(params)
    results = []
    for p in catalogue.patterns:
        missing = "; ".join(unavailable[v] for v in p.variants if v in unavailable)
        per_seed = []
        if not missing and not p.not_testable:
            for s in seeds:
                try:
                    per_seed.append(pattern_metrics(p, obs[s], geo))
                except (KeyError, ValueError) as exc:  # a jurisdiction or zone the measure names is not on this map
                    missing = f"this map lacks what the measure needs ({exc})"
                    break
        results.append(evaluate(p, per_seed, missing))
    sq, cf = catalogue.scenario_variant, catalogue.counterfactual_variant
    headline = [value_or_nan(summarise(obs[s][sq].run, obs[s][cf].run)["counterfactual"]["persistence_vs_counterfactual_workers"])
                for s in seeds if sq in obs[s] and cf in obs[s]]
    return Report(scenario, seeds, results, obs if keep_observations else {}, headline)


#: The shock measures summarised as intervals over replications (the others are shares or tallies).
SHOCK_INTERVALS = ("trough_vs_cf", "recovery_weeks", "moves_out", "moves_back_in_52_weeks", "moves_in_52_weeks_cf",
                   "median_weeks_to_move", "raids", "tipped_off", "rescued", "repatriated_excess", "region_last_year_vs_cf")


def summarise_shock(per: list[dict[str, Any]]) -> dict[str, Any]:
    """One shock's ``shock_measures`` over replications: intervals, shares that dipped and recovered, mean destinations."""
    summary: dict[str, Any] = {"area": per[0]["area"], "replications": len(per)}
    for key in SHOCK_INTERVALS:
        summary[key] = t_interval([x[key] for x in per])
    summary["recovered_share"] = float(np.mean([math.isfinite(x["recovery_weeks"]) and not x["recovery_censored"] for x in per]))
    summary["dipped_share"] = float(np.mean([math.isfinite(x["recovery_weeks"]) for x in per]))
    dest: dict[str, float] = {}
    for x in per:
        for k, v in x["destinations"].items():
            dest[k] = dest.get(k, 0.0) + v / len(per)
    summary["destinations"] = dict(sorted(dest.items(), key=lambda kv: -kv[1]))
    return summary


def run_shocks(params: Params, shocks: Mapping[str, str], replications: int = 10, workers: int = 2, first_seed: int = 1,
               scenarios_dir: Path = SCENARIOS) -> dict[str, dict[str, Any]]:
    """Every shock replay (name -> scenario file whose [policy] is the shock) paired with the counterfactual."""
    from sim.scenario.loader import load_scenario

    seeds = list(range(first_seed, first_seed + replications))
    built = {"counterfactual": counterfactual_params(params)}
    for name, path in shocks.items():
        built[name] = params.replace(policy=load_scenario(scenarios_dir / path).params.policy)
    obs = observe_all(built, seeds, workers)
    geo = Geo.of(params)
    return {name: summarise_shock([shock_measures(obs[s][name], obs[s]["counterfactual"], geo) for s in seeds]) for name in shocks}
