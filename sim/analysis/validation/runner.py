"""Running a validation suite: every variant its patterns need over replications, then the verdicts.

Common random numbers: replication k of every variant and of the counterfactual uses seed
``first_seed + k``, so differences between variants are paired. The runner knows no place names; it
takes a ``Catalogue`` (``sim.analysis.validation.mekong.CATALOGUE`` for the shipped Mekong suite). A
failed pattern is a finding, never an error.

Parameter uncertainty: ``run_patterns(..., parameter_sets=[{...}, ...])`` takes a list of dotted
parameter overrides (posterior samples from a calibration, say) and runs every variant for every
(set, seed) pair; each pattern's predictive distribution pools all of them, so the observation is
compared with the spread over runs *and* parameters. Without sets, the scenario's own values are the
one set.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.validation.catalogue import SCENARIOS, Catalogue, Variant, VariantUnavailable, variant_params
from sim.analysis.validation.criteria import PatternResult, apply_holm, evaluate, pattern_metrics
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


def map_runs(job: Callable[[Any], Any], args: list[Any], workers: int = 1) -> list[Any]:
    """``[job(a) for a in args]``, in order, on a pool of ``workers`` processes when there are several workers and runs
    (``job`` must be a module-level function, so the pool can send it)."""
    if workers > 1 and len(args) > 1:
        with process_pool(workers) as pool:
            return list(pool.map(job, args, chunksize=1))
    return [job(a) for a in args]


def _job(args: tuple[Params, int]) -> Observation:
    params, seed = args
    return observe(params, seed)


def observe_all(runs: Mapping[str, Params], seeds: list[int], workers: int = 1) -> dict[int, dict[str, Observation]]:
    """Observe every named parameter set for every seed: {seed: {name: Observation}}."""
    jobs = [(name, seed) for seed in seeds for name in runs]
    args = [(runs[name], seed) for name, seed in jobs]
    results = map_runs(_job, args, workers)
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


#: The tables of a report, each judged on its own (Holm within a table): calibration targets, validation
#: (patterns and responses to shocks together), and input checks, which are never counted as validation.
TABLES = {"calibration": ("calibration",), "validation": ("validation", "shock"), "input_check": ("input_check",)}


@dataclass
class Report:
    scenario: str
    seeds: list[int]
    results: list[PatternResult]
    observations: dict[int, dict[str, Observation]] = field(repr=False, default_factory=dict)
    headline: list[float] = field(default_factory=list)  # persistence vs counterfactual (workers), per draw
    parameter_sets: int = 1  # parameter sets pooled (1: the scenario's own values)

    @property
    def draws(self) -> int:
        return len(self.seeds) * self.parameter_sets

    def table(self, name: str) -> list[PatternResult]:
        """The results of one table of ``TABLES``."""
        return [r for r in self.results if r.pattern.role in TABLES[name]]


def run_patterns(params: Params, catalogue: Catalogue, replications: int = 10, workers: int = 2, first_seed: int = 1,
                 scenario: str = "", scenarios_dir: Path = SCENARIOS, keep_observations: bool = False,
                 parameter_sets: list[dict[str, Any]] | None = None,
                 apply_overrides: Callable[[Params, dict[str, Any]], Params] | None = None) -> Report:
    """Run every variant the catalogue's patterns need over ``replications`` seeds (for each parameter set) and judge each pattern.

    ``parameter_sets``: dotted overrides applied to ``params`` before each variant's own (e.g. posterior
    samples); the draws of every set are pooled into one predictive distribution per measure.
    ``apply_overrides`` sets them (default ``Params.with_values``; ``sim.scenario.values.apply_values``
    also checks ranges and sets ``jurisdictions.NAME.attr``).
    """
    seeds = list(range(first_seed, first_seed + replications))
    sets = parameter_sets or [{}]
    names = dict.fromkeys(v for p in catalogue.patterns for v in p.variants)
    obs: dict[int, dict[str, Observation]] = {}
    unavailable: dict[str, str] = {}
    for k, overrides in enumerate(sets):
        base = (apply_overrides or Params.with_values)(params, overrides) if overrides else params
        got, unavailable = run_variants(base, {n: catalogue.variants[n] for n in names}, seeds, workers, scenarios_dir)
        # a draw's key: its seed with one set (as before), else set k's i-th seed as k * replications + i
        obs.update({(s if len(sets) == 1 else k * len(seeds) + i): got[s] for i, s in enumerate(seeds)})
    geo = Geo.of(params)
    results = []
    for p in catalogue.patterns:
        missing = "; ".join(unavailable[v] for v in p.variants if v in unavailable)
        per_draw = []
        if not missing and not p.not_testable:
            for d in obs:
                try:
                    per_draw.append(pattern_metrics(p, obs[d], geo))
                except (KeyError, ValueError) as exc:  # a jurisdiction or zone the measure names is not on this map
                    missing = f"this map lacks what the measure needs ({exc})"
                    break
        results.append(evaluate(p, per_draw, missing))
    for roles in TABLES.values():
        apply_holm([r for r in results if r.pattern.role in roles])
    sq, cf = catalogue.scenario_variant, catalogue.counterfactual_variant
    headline = [value_or_nan(summarise(obs[d][sq].run, obs[d][cf].run)["counterfactual"]["persistence_vs_counterfactual_workers"])
                for d in obs if sq in obs[d] and cf in obs[d]]
    return Report(scenario, seeds, results, obs if keep_observations else {}, headline, len(sets))


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
