"""Run a calibration spec and write its posterior folder, whole or not at all.

The folder holds ``posterior.csv`` (one row per particle: parameter values, their unit-cube quantiles ``u:NAME``
and the normalised weight), ``generations.csv`` (tolerance, simulations and effective sample size of each ABC-SMC generation),
``summary.csv`` (weighted mean and 90% central interval of each parameter) and ``manifest.json`` (scenario hash,
seed, code and library versions, the statistics with their observed values, sources and dates, number of
simulations, run time, and the command that rebuilds it). pyabc's own database stays in a temporary folder.
"""

from __future__ import annotations

import hashlib
import shlex
import time
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.inference.engine import Posterior, infer
from sim.analysis.inference.prior import Prior, prior_for
from sim.analysis.inference.simulator import Simulator
from sim.analysis.inference.spec import Spec, SpecError
from sim.common.files import write_csv, write_folder, write_json
from sim.common.provenance import git_commit, versions
from sim.scenario.loader import load_scenario, params_hash

LIBRARIES = ("pyabc", "scipy", "scikit-learn", "dask", "distributed")
#: The generator stream of ``prior_spec`` (beside the budget's seed), apart from the calibration's own draws.
PRIOR_STREAM = 7


def simulator_for(spec: Spec, small: bool = False) -> Simulator:
    """The simulator of a spec (its scenario with the budget's overrides); a SpecError if the statistics do not fit."""
    budget = spec.budget_for(small)
    params = load_scenario(spec.scenario, budget.overrides).params
    nuisance = prior_for(spec.ranges, budget.marginalised) if budget.marginalised else None
    sim = Simulator(params, prior_for(spec.ranges, budget.parameters), spec.statistics, budget.last_week, nuisance)
    problems = sim.check()
    if problems:
        raise SpecError([f"{spec.path} {p}" for p in problems])
    return sim


def calibrate_spec(spec: Spec, small: bool = False, workers: int | None = None) -> tuple[Posterior, dict[str, Any]]:
    """Run the spec's calibration; return the posterior and its manifest."""
    budget = spec.budget_for(small)
    code_at_start = git_commit()  # the code the simulations ran with: a commit made during a long calibration is not it
    sim = simulator_for(spec, small)
    n_workers = budget.workers if workers is None else workers
    observed = {s.name: s.observed for s in spec.statistics}
    scales = {s.name: s.scale for s in spec.statistics}
    post = infer(sim, observed, scales, budget.population, budget.generations, budget.seed, n_workers, budget.sampler,
                 max_simulations=budget.max_simulations, transition=budget.transition,
                 min_effective_share=budget.min_effective_share, space=budget.space)
    manifest = {
        **_provenance(spec, sim, small),
        "budget": {**asdict(budget), "workers": n_workers}, "seed": budget.seed, "reproducible": n_workers <= 1,
        "method": "ABC-SMC (pyabc), Euclidean distance of (simulated - observed) / scale, median epsilon",
        "simulations": post.simulations, "generations": len(post.generations),
        "particles": len(post.samples), "effective_sample_size": round(post.effective_sample_size, 2),
        "final_epsilon": float(post.generations["epsilon"].iloc[-1]) if len(post.generations) else None,
        "posterior_generation": post.generation, "posterior_epsilon": post.epsilon,
        "seconds": round(post.seconds, 1), "cpu_seconds_main_process": round(post.cpu_seconds, 1),
        "code_version": code_at_start, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    at_end = git_commit()
    if at_end != code_at_start:  # the checkout changed under the run: say so rather than name one of the two
        manifest["code_version_at_end"] = at_end
    return post, manifest


def _provenance(spec: Spec, sim: Simulator, small: bool) -> dict[str, Any]:
    """What a posterior folder's manifest says of its inputs: spec, scenario and ranges with their hashes, the mode,
    the parameters (calibrated or marginalised) with their ranges, the statistics, and the library versions."""
    libs = {}
    for name in LIBRARIES:
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    return {
        "spec": _where(spec.path), "spec_sha256": hashlib.sha256(spec.path.read_bytes()).hexdigest(),
        "scenario": _where(spec.scenario), "scenario_sha256": hashlib.sha256(spec.scenario.read_bytes()).hexdigest(),
        "params_hash": params_hash(sim.params), "ranges": _where(spec.ranges),
        "ranges_sha256": hashlib.sha256(spec.ranges.read_bytes()).hexdigest(),
        "mode": "small" if small else "full",
        "parameters": [{"key": r.key, "lo": r.lo, "hi": r.hi, "scale": r.scale, "integer": r.integer, "source": r.source,
                        "calibrated": r in sim.prior.ranges}
                       for r in sim.ranges],
        "statistics": [asdict(s) for s in spec.statistics],
        "versions": {**versions(), **libs},
    }


def prior_spec(spec: Spec, draws: int, small: bool = False) -> tuple[Posterior, dict[str, Any]]:
    """The spec's prior as a folder a study reads like a posterior: ``draws`` independent draws of every parameter the
    spec calibrates or marginalises, from the ranges file's priors, with equal weights, and no simulation.

    Why: the predictive distribution under the prior is the reference a calibration has to beat. A replay or a sweep
    over this folder (``--posterior``) gives what the model predicts knowing only the ranges, so comparing its score on
    the record with the posterior's says what the calibration added (docs/predictions.md). Drawn from the budget's seed,
    so the same spec and ``draws`` give the same folder.
    """
    budget = spec.budget_for(small)
    sim = simulator_for(spec, small)
    prior = Prior(sim.ranges)  # the proposed parameters, then the marginalised ones, as the simulator holds them
    u = np.random.default_rng([budget.seed, PRIOR_STREAM]).random((draws, len(prior.ranges)))
    values = [prior.values(dict(zip(prior.names, row, strict=True))) for row in u]
    samples = pd.DataFrame(values, columns=prior.names)
    for j, name in enumerate(prior.names):
        samples[f"u:{name}"] = u[:, j]
    samples["weight"] = 1.0 / draws
    post = Posterior(samples, pd.DataFrame(columns=["t", "epsilon", "simulations", "particles", "effective_sample_size"]),
                     simulations=0, seconds=0.0, cpu_seconds=0.0)
    manifest = {
        **_provenance(spec, sim, small),
        "budget": {"prior_draws": draws}, "seed": budget.seed, "reproducible": True,
        "method": "the prior: independent draws from the ranges file's priors (uniform on each range, log-uniform where "
                  "it says scale = log), equal weights, no simulation and no observed statistic used",
        "simulations": 0, "generations": 0, "particles": draws, "effective_sample_size": float(draws),
        "final_epsilon": None, "posterior_generation": -1, "posterior_epsilon": None, "seconds": 0.0,
        "cpu_seconds_main_process": 0.0, "code_version": git_commit(),
    }
    return post, manifest


def screen_spec(spec: Spec, small: bool = False, workers: int | None = None) -> tuple[Any, dict[str, Any]]:
    """Screen the budget's candidates (parameters + marginalised) by the spec's ``[screening]``; result and manifest."""
    from sim.analysis.inference.screening import screen

    budget = spec.budget_for(small)
    code_at_start = git_commit()
    sim = simulator_for(spec, small)
    candidates = prior_for(spec.ranges, (*budget.parameters, *budget.marginalised))
    n_workers = budget.workers if workers is None else workers
    result = screen(sim, candidates, spec.screening, n_workers)
    manifest = {
        "spec": _where(spec.path), "spec_sha256": hashlib.sha256(spec.path.read_bytes()).hexdigest(),
        "scenario": _where(spec.scenario), "scenario_sha256": hashlib.sha256(spec.scenario.read_bytes()).hexdigest(),
        "params_hash": params_hash(sim.params), "ranges": _where(spec.ranges), "mode": "small" if small else "full",
        "screening": asdict(spec.screening), "last_week": budget.last_week, "overrides": list(budget.overrides),
        "candidates": candidates.names, "runs": len(result.design), "selected": list(result.selected),
        "marginalised": [n for n in candidates.names if n not in result.selected],
        "method": "Morris elementary effects (SALib) on the unit-cube quantiles, the seed as a null factor; effects in "
                  "observation scales",
        "seconds": round(result.seconds, 1), "workers": n_workers, "code_version": code_at_start,
        "versions": {**versions(), "SALib": version("SALib")},
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return result, manifest


def write_screening(out: Path, result: Any, manifest: dict[str, Any], command: list[str]) -> None:
    """The screening folder (``effects.csv``, ``design.csv``, ``manifest.json``), moved into place whole."""
    manifest = {**manifest, "command": shlex.join(command)}

    def write(tmp: Path) -> None:
        write_csv(tmp / "effects.csv", result.table.round(6))
        write_csv(tmp / "design.csv", result.design)
        write_json(tmp / "manifest.json", manifest)

    write_folder(out, write)


def _where(path: Path) -> str:
    """A file's path as the manifest records it: relative to the working folder when inside it (so a
    shipped posterior names no machine's folders), else as given."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def posterior_summary(post: Posterior, names: list[str]) -> pd.DataFrame:
    rows = []
    for name in names:
        x, w = post.samples[name].to_numpy(float), post.samples["weight"].to_numpy(float)
        lo, hi = post.interval(name, 0.9)
        rows.append({"parameter": name, "mean": float((x * w).sum()), "q05": lo, "q95": hi})
    return pd.DataFrame(rows)


def write_posterior(out: Path, post: Posterior, manifest: dict[str, Any], command: list[str]) -> None:
    """The posterior folder, written beside ``out`` and moved into place whole."""
    names = [p["key"] for p in manifest["parameters"]]
    manifest = {**manifest, "command": shlex.join(command)}

    def write(tmp: Path) -> None:
        write_csv(tmp / "posterior.csv", post.samples)
        write_csv(tmp / "generations.csv", post.generations)
        write_csv(tmp / "summary.csv", posterior_summary(post, names))
        write_json(tmp / "manifest.json", manifest)

    write_folder(out, write)
