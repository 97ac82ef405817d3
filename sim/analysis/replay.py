"""The replay: a scenario's shocks run over replications, measured per shock, and written as one folder.

``run_replay`` runs the scenario ``replications`` times (seeds drawn from ``SeedSequence(seed)``, in a
process pool when ``workers`` > 1; the results do not depend on the number of workers), observes every
shock of it (``sim.measures.shocks.shocks_of``) with ``sim.analysis.replay_observer.ReplayObserver`` and
keeps the weekly people held by country; with a calibrated posterior each replication runs its own
parameter set drawn from it. ``write_replay`` writes per_shock.csv, per_replication.csv, survival.csv,
people_by_country.csv, people_by_country.png, manifest.json (and draws.csv with a posterior) into a
folder, whole or not at all (docs/replay.md says what each column means).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.replay_observer import ReplayObserver, ShockRecord
from sim.core.model import ScamModel
from sim.experiments.posterior import Posterior, posterior_draws
from sim.measures.shocks import (
    DESTINATIONS,
    LEAVE_WEEKS,
    RECOVERY_SHARE,
    KaplanMeier,
    band,
    hit_place_names,
    kaplan_meier,
    predictive,
    shock_measures,
    shocks_of,
)
from sim.params.declarations import Params

#: The order of the measures in per_shock.csv (recovery is summarised by Kaplan-Meier besides).
MEASURES = ("held_before", "held_after", "held_after_vs_before",
            *(f"{d}_{k}w" for k in LEAVE_WEEKS for d in ("left", *DESTINATIONS)),
            "buildings_standing_before", "buildings_standing_after", "buildings_occupied_before", "buildings_occupied_after",
            "recovery_weeks", "recovered", "dipped")
UNDEFINED = "undefined"


class ReplayError(ValueError):
    """The scenario cannot be replayed (no shock, or a shock names a place the map lacks)."""


@dataclass
class Replication:
    """One run's records: its seed, its shocks, and people held by country (weeks x countries)."""

    seed: int
    shocks: list[ShockRecord]
    weeks: np.ndarray
    by_country: np.ndarray
    values: dict[str, float | int] = field(default_factory=dict)  # parameters drawn from a posterior (empty: the scenario's)


@dataclass
class Replay:
    params: Params
    seed: int
    replications: list[Replication]
    countries: tuple[str, ...]
    shock_names: list[str] = field(default_factory=list)
    posterior: dict[str, Any] | None = None  # where the parameter draws came from (None: the scenario's own values)


def countries_of(params: Params) -> tuple[str, ...]:
    """The map's countries in the order the region numbers them (sorted names)."""
    return tuple(sorted({j.country or j.name for j in params.map.jurisdictions}))


def check_replayable(params: Params) -> list[str]:
    """Why ``params`` cannot be replayed (empty: it can): it needs a shock, and every shock's hit place on the map."""
    shocks = shocks_of(params)
    if not shocks:
        return ["the scenario has no shock to replay: policy.type is 'none' and it has no timeline; "
                "give a scenario with a policy (e.g. scenarios/shocks/*.toml) or set one with --set policy.type=..."]
    names = {j.name for j in params.map.jurisdictions} | {z.name for z in params.map.zones}
    problems = []
    for s in shocks:
        missing = [n for n in hit_place_names(s.policy) if n not in names]
        if missing:
            problems.append(f"shock '{s.name}': {', '.join(missing)} is neither a zone nor a jurisdiction of the map; "
                            f"allowed: {', '.join(sorted(names))}")
        if s.start > params.run.weeks:
            problems.append(f"shock '{s.name}': starts in week {s.start}, after the run's last week ({params.run.weeks}); "
                            "give run.weeks of at least the start week")
    return problems


def replicate(args: tuple[Params, int, dict[str, float | int]]) -> Replication:
    """One run of the scenario with ``seed`` (and parameter ``values``, if any), observed (top-level, for a process pool)."""
    params, seed, values = args
    if values:
        from sim.scenario.values import apply_values

        params = apply_values(params, values)
    model = ScamModel(params, rng=seed)
    observer = ReplayObserver(model, shocks_of(params))
    model.run()
    workers = model.log.workers_matrix()  # weeks x jurisdictions: the weekly table's workers_<J> columns
    region = model.region
    n_countries = int(region.country_of[:-1].max()) + 1
    by_country = np.zeros((workers.shape[0], n_countries))
    for j in range(region.n_jurisdictions):
        by_country[:, region.country_of[j]] += workers[:, j]
    weeks = model.log.frame()["week"].to_numpy()
    return Replication(seed, observer.records(), weeks, by_country, dict(values))


def replication_seeds(seed: int, replications: int) -> list[int]:
    """One model seed per replication, drawn from ``SeedSequence(seed)`` (independent streams, reproducible)."""
    return [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(seed).spawn(replications)]


def run_replay(params: Params, replications: int, seed: int = 1, workers: int = 1,
               progress: Callable[[int], None] | None = None, posterior: Posterior | None = None) -> Replay:
    """Run every replication (in ``workers`` processes) and keep their records, in seed order.

    With a ``posterior``, replication ``k`` runs the ``k``-th parameter set resampled from it by weight
    (``sim.experiments.posterior.posterior_draws``, a stream of its own): the spread over replications
    is then the predictive distribution over both the model's randomness and the parameters' uncertainty.
    """
    problems = check_replayable(params)
    if problems:
        raise ReplayError("; ".join(problems))
    seeds = replication_seeds(seed, replications)
    draws: list[dict[str, float | int]] = [{} for _ in seeds]
    origin = None
    if posterior is not None:
        draws = posterior_draws(posterior, replications, seed)
        origin = {"folder": str(posterior.folder), "posterior_csv_sha256": posterior.sha256, "parameters": list(posterior.names),
                  "particles": len(posterior.weights), "calibration_command": posterior.manifest.get("command"),
                  "calibration_code_version": posterior.manifest.get("code_version")}
    jobs = [(params, s, d) for s, d in zip(seeds, draws, strict=True)]
    results: list[Replication] = []
    if workers > 1 and len(jobs) > 1:
        from sim.analysis.validation.runner import process_pool

        pool = process_pool(min(workers, len(jobs)))
        try:
            for res in pool.map(replicate, jobs, chunksize=1):
                results.append(res)
                if progress is not None:
                    progress(len(results))
        finally:
            pool.shutdown(wait=len(results) == len(jobs), cancel_futures=True)
    else:
        for job in jobs:
            results.append(replicate(job))
            if progress is not None:
                progress(len(results))
    return Replay(params, seed, results, countries_of(params), [s.name for s in shocks_of(params)], origin)


# ---- tables ---------------------------------------------------------------------------------------
def _cell(value: float | None) -> Any:
    return UNDEFINED if value is None else float(f"{value:.6g}")


def per_replication(replay: Replay) -> list[list[dict[str, float | None]]]:
    """Every shock's measures in every replication: [replication][shock] -> measure -> value (None: undefined)."""
    out = []
    for rep in replay.replications:
        row = []
        for r in rep.shocks:
            weeks = np.asarray(r.weeks)
            b = r.buildings
            values, _ = shock_measures(weeks, np.asarray(r.held, dtype=float), r.start, r.end, r.cohort, r.left,
                                       np.asarray(r.standing, dtype=float) if b else None,
                                       np.asarray(r.occupied, dtype=float) if b else None)
            row.append(values)
        out.append(row)
    return out


def per_replication_table(replay: Replay) -> pd.DataFrame:
    """per_replication.csv: every replication's value of every shock's measure (empty: undefined), the
    raw material of any predictive comparison (``sim.analysis.prediction``)."""
    values = per_replication(replay)
    rows = [{"replication": k + 1, "seed": rep.seed, "shock": name, "measure": m,
             "value": "" if v[i][m] is None else float(f"{v[i][m]:.6g}")}
            for k, (rep, v) in enumerate(zip(replay.replications, values, strict=True))
            for i, name in enumerate(replay.shock_names) for m in MEASURES]
    return pd.DataFrame(rows, columns=["replication", "seed", "shock", "measure", "value"])


def draws_table(replay: Replay) -> pd.DataFrame:
    """draws.csv: the parameter set each replication ran (only with a posterior)."""
    return pd.DataFrame([{"replication": k + 1, "seed": rep.seed, **rep.values} for k, rep in enumerate(replay.replications)])


def per_shock_table(replay: Replay) -> pd.DataFrame:
    """per_shock.csv: per shock and measure, the median and 90% predictive interval over replications; then Kaplan-Meier."""
    values = per_replication(replay)
    rows = []
    for i, name in enumerate(replay.shock_names):
        first = replay.replications[0].shocks[i]
        head = {"shock": name, "start_week": first.start, "end_week": first.end, "hit_place": " ".join(first.place) or "whole map"}
        for m in MEASURES:
            s = predictive([v[i][m] for v in values])
            rows.append({**head, "measure": m, "median": _cell(s["median"]), "p05": _cell(s["p05"]), "p95": _cell(s["p95"]),
                         "defined": s["defined"], "replications": s["replications"], "recovered": "", "censored": ""})
        km = survival_of(values, i)
        median = UNDEFINED if km is None else ("not reached" if km.median is None else km.median)
        rows.append({**head, "measure": "recovery_weeks_kaplan_meier", "median": median, "p05": "", "p95": "",
                     "defined": 0 if km is None else km.recovered + km.censored, "replications": len(values),
                     "recovered": "" if km is None else km.recovered, "censored": "" if km is None else km.censored})
    return pd.DataFrame(rows)


def survival_of(values: list[list[dict[str, float | None]]], i: int) -> KaplanMeier | None:
    """Kaplan-Meier over replications of shock ``i``'s weeks to recovery (runs that never recovered censored)."""
    pairs = [(v[i]["recovery_weeks"], bool(v[i]["recovered"])) for v in values if v[i]["recovery_weeks"] is not None]
    if not pairs:
        return None
    return kaplan_meier([p[0] for p in pairs], [p[1] for p in pairs])


def survival_table(replay: Replay) -> pd.DataFrame:
    """survival.csv: each shock's Kaplan-Meier curve (share of runs not yet back to 90%) with runs at risk and censored."""
    values = per_replication(replay)
    rows = []
    for i, name in enumerate(replay.shock_names):
        pairs = [(v[i]["recovery_weeks"], bool(v[i]["recovered"])) for v in values if v[i]["recovery_weeks"] is not None]
        km = survival_of(values, i)
        if km is None:
            rows.append({"shock": name, "weeks": UNDEFINED, "survival": UNDEFINED, "at_risk": 0, "recovered": 0, "censored": 0})
            continue
        d = np.array([p[0] for p in pairs])
        ok = np.array([p[1] for p in pairs])
        for t, s in zip(km.times, km.survival, strict=True):
            rows.append({"shock": name, "weeks": float(t), "survival": float(s), "at_risk": int((d >= t).sum()),
                         "recovered": int(((d == t) & ok).sum()), "censored": int(((d == t) & ~ok).sum())})
    return pd.DataFrame(rows)


def country_table(replay: Replay) -> pd.DataFrame:
    """people_by_country.csv: weekly median and 5%-95% band of people held, per country, over replications."""
    stack = np.stack([r.by_country for r in replay.replications])  # replications x weeks x countries
    mid, lo, hi = band(stack)
    weeks = replay.replications[0].weeks
    rows = [{"week": int(w), "country": c, "median": float(mid[t, k]), "p05": float(lo[t, k]), "p95": float(hi[t, k])}
            for t, w in enumerate(weeks) for k, c in enumerate(replay.countries)]
    return pd.DataFrame(rows)


def manifest(replay: Replay, scenario: dict[str, Any]) -> dict[str, Any]:
    """manifest.json: what was run (scenario, seeds, replications), the shocks and how the code stood."""
    from sim.common.provenance import git_commit, versions

    return {
        **scenario,
        "seed": replay.seed,
        "replications": len(replay.replications),
        "replication_seeds": [r.seed for r in replay.replications],
        "weeks": replay.params.run.weeks,
        "shocks": [{"name": s.name, "start_week": s.start, "end_week": s.end, "hit_place": list(s.place), "cells": s.cells}
                   for s in replay.replications[0].shocks],
        "posterior": replay.posterior,
        "recovery_share": RECOVERY_SHARE,
        "leave_weeks": list(LEAVE_WEEKS),
        "git_commit": git_commit(),
        "versions": versions(),
    }


def write_replay(out: Path, replay: Replay, scenario: dict[str, Any]) -> list[str]:
    """Write the replay's folder whole or not at all; returns the file names written."""
    from sim.analysis.replay_figure import people_figure
    from sim.common.files import write_csv, write_folder, write_json

    tables = {"per_shock.csv": per_shock_table(replay), "per_replication.csv": per_replication_table(replay),
              "survival.csv": survival_table(replay), "people_by_country.csv": country_table(replay)}
    if replay.posterior is not None:
        tables["draws.csv"] = draws_table(replay)
    meta = manifest(replay, scenario)

    def write(tmp: Path) -> None:
        for name, frame in tables.items():
            write_csv(tmp / name, frame)
        people_figure(tables["people_by_country.csv"], replay, tmp / "people_by_country.png")
        write_json(tmp / "manifest.json", meta)

    write_folder(out, write)
    return [*tables, "people_by_country.png", "manifest.json"]
