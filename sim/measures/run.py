"""One simulation, optionally paired with its no-policy counterfactual, and its outputs.

``simulate`` is the function a sweep, a notebook and ``scamsim run`` all call, so a parameter scan
runs exactly what a user runs.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.core.model import ScamModel
from sim.measures import metrics
from sim.params.declarations import Params
from sim.params.events import first_felt, policy_window, without_policy
from sim.scenario.loader import params_hash

MOVE_COLUMNS = ["week", "from_cell", "to_cell", "km", "cross_border", "forced"]


@dataclass
class RunResult:
    """Everything a run produced, as data (the model itself is not kept)."""

    params: Params
    seed: int
    frame: pd.DataFrame
    workers: np.ndarray  # weeks x jurisdictions
    revenue: np.ndarray  # weeks x jurisdictions
    moves: pd.DataFrame
    jurisdictions: tuple[str, ...]
    areas: metrics.Areas
    totals: dict[str, int]


def counterfactual_params(params: Params) -> Params:
    """The same scenario with the policy (or every timeline event) switched off; background enforcement continues."""
    return without_policy(params)


def areas_for(model: ScamModel) -> metrics.Areas:
    """Treated, buffer and control areas: named in the scenario, or derived from the policy."""
    region, p = model.region, policy_window(model.params)
    names = region.jurisdiction_names
    treated = model.policy.treated()
    buffer = np.array([names.index(n) for n in p.buffer], dtype=int) if p.buffer else region.neighbours_of(treated)
    if p.control:
        control = np.array([names.index(n) for n in p.control], dtype=int)
    else:
        control = np.setdiff1d(np.arange(region.n_jurisdictions), np.union1d(treated, buffer))
    return metrics.Areas(treated=treated, buffer=buffer, control=control)


def result_of(model: ScamModel) -> RunResult:
    """The records of a model that has been run."""
    return RunResult(
        params=model.params,
        seed=model.seed,
        frame=model.log.frame(),
        workers=model.log.workers_matrix(),
        revenue=model.log.revenue_matrix(),
        moves=pd.DataFrame(model.moves, columns=MOVE_COLUMNS),
        jurisdictions=model.region.jurisdiction_names,
        areas=areas_for(model),
        totals=dict(model.totals),
    )


def simulate(params: Params, seed: int | None = None, weeks: int | None = None,
             progress: Callable[[int], None] | None = None) -> RunResult:
    """Run one simulation to the end and return its records."""
    model = ScamModel(params, rng=seed)
    model.run(weeks, progress)
    return result_of(model)


def simulate_pair(params: Params, seed: int | None = None, progress: Callable[[int], None] | None = None
                  ) -> tuple[RunResult, RunResult]:
    """A run and its no-policy counterfactual, sharing one burn-in (identical to two ``simulate`` calls).

    The two models are stepped week by week together, calling ``progress(week)`` once a week for both:
    they share no state after the branch, so the order in which their weeks are computed changes nothing.
    """
    model = ScamModel(params, rng=seed)
    cf_model = model.branch(counterfactual_params(params))
    for week in range(1, params.run.weeks + 1):
        model.run(1)
        cf_model.run(1)
        if progress is not None:
            progress(week)
    return result_of(model), result_of(cf_model)


def _since(frame: pd.DataFrame, column: str, week: int) -> float:
    return float(frame.loc[frame["week"] >= week, column].sum())


def summarise(run: RunResult, cf: RunResult | None = None) -> dict[str, Any]:
    """Headline figures and displacement measures of a run (and its effect against ``cf``)."""
    p, f = run.params, run.frame
    window = policy_window(p)  # the policy, or the envelope of a timeline (its first event's start)
    start = window.start_week
    ops = metrics.operation_measures(run.workers, run.revenue, run.areas, start,
                                     None if cf is None else cf.workers, None if cf is None else cf.revenue)
    weekly_workers = f["workers_held"].to_numpy()
    last = f.iloc[-1]
    share = run.workers[-metrics.YEAR:].mean(axis=0) if len(run.workers) else np.zeros(len(run.jurisdictions))
    dissolved = _since(f, "compounds_dissolved", start)
    raids = _since(f, "raids", start)
    before_level = ops["workers_before"] or 0.0
    treated_series = run.workers[:, run.areas.treated].sum(axis=1) if len(run.areas.treated) else weekly_workers
    windows_ok = ops["workers_before"] is not None  # None when the year before and the last year overlap
    treated_before = float(treated_series[max(0, start - 1 - metrics.YEAR): max(0, start - 1)].mean()) if windows_ok else 0.0
    out: dict[str, Any] = {
        "provenance": {
            "scenario": p.run.name,
            "parameters_sha256": params_hash(p),
            "seed": run.seed,
            "weeks": len(f),
            "scamsim_version": sim.__version__,
            "python": platform.python_version(),
        },
        "areas": {k: [run.jurisdictions[i] for i in getattr(run.areas, k)] for k in ("treated", "buffer", "control")},
        "end": {
            "compounds": int(last["compounds"]),
            "workers_held": int(last["workers_held"]),
            "operators": int(last["operators"]),
            "weekly_revenue_usd": float(last["revenue"]),
            "jurisdictions_hosting": int((run.workers[-1] > 0).sum()) if len(run.workers) else 0,
        },
        "persistence": {k: ops[k] for k in ("workers_before", "workers_last_year", "persistence_workers", "revenue_before",
                                             "revenue_last_year", "persistence_revenue")},
        "displacement": {
            "basis": ops["displacement_basis"],
            "removed_from_treated": ops["removed_from_treated"],
            "reappeared_elsewhere": ops["reappeared_elsewhere"],
            "displacement_share": ops["displacement_share"],
            "wdq_buffer": ops["wdq_buffer"],
            "tne": ops["tne"],
            "spread_jurisdictions_last_year": int((share > 0).sum()),
            "herfindahl_last_year": metrics.herfindahl(share),
        },
        "relocation_since_policy": metrics.relocation_measures(run.moves, start),
        "global": global_view(f, run.moves, start),
        "victims": {
            "victim_weeks": float(weekly_workers.sum()),
            "victim_weeks_since_policy": _since(f, "workers_held", start),
            "rescued_since_policy": _since(f, "workers_rescued", start),
            "repatriated_since_policy": _since(f, "workers_repatriated", start),
            "retrafficked_since_policy": _since(f, "workers_retrafficked", start),
        },
        "enforcement_since_policy": {
            "raids": raids,
            "raids_succeeded": _since(f, "raids_succeeded", start),
            "raids_tipped_off": _since(f, "raids_tipped_off", start),
            "bosses_arrested": _since(f, "bosses_arrested", start),
            "compounds_dissolved": dissolved,
            "raids_per_compound_eliminated": metrics.ratio(raids, dissolved),
            "capital_seized_usd": _since(f, "capital_seized", start),
            "recovery_weeks_treated": metrics.recovery_weeks(treated_series, start, treated_before) if windows_ok else None,
            "recovery_weeks_region": metrics.recovery_weeks(weekly_workers, start, before_level) if windows_ok else None,
        },
    }
    if cf is not None:
        first = first_felt(window)
        cw, cr = cf.frame["workers_held"].to_numpy(), cf.frame["revenue"].to_numpy()
        out["counterfactual"] = {
            "persistence_vs_counterfactual_workers": ops["persistence_vs_counterfactual_workers"],
            "persistence_vs_counterfactual_revenue": ops["persistence_vs_counterfactual_revenue"],
            "victim_weeks_averted": float(cw.sum() - weekly_workers.sum()),
            "revenue_averted_usd": float(cr.sum() - f["revenue"].to_numpy().sum()),
            "counterfactual_workers_last_year": float(cw[-metrics.YEAR:].mean()),
            "identical_before_policy": bool(run.frame.iloc[: max(0, first - 1)].equals(cf.frame.iloc[: max(0, first - 1)])),
            **global_effect(f, cf.frame),
        }
    return out


def _last_year(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].to_numpy()[-metrics.YEAR:].mean()) if len(frame) else float("nan")


def global_view(frame: pd.DataFrame, moves: pd.DataFrame, start: int) -> dict[str, Any]:
    """The map and the world outside it: operations overseas, and people held and victim losses in both."""
    since = moves[moves["week"] >= start]
    return {
        "overseas_operations_end": int(frame["overseas_operations"].iloc[-1]) if len(frame) else 0,
        "overseas_workers_held_end": int(frame["overseas_workers_held"].iloc[-1]) if len(frame) else 0,
        "global_workers_held_last_year": _last_year(frame, "global_workers_held"),
        "victim_losses_last_year_usd": _last_year(frame, "revenue"),
        "global_victim_losses_last_year_usd": _last_year(frame, "global_revenue"),
        "moves_overseas_since_policy": int((since["to_cell"] < 0).sum()),
        "share_of_moves_overseas_since_policy": metrics.ratio(float((since["to_cell"] < 0).sum()), float(len(since))),
    }


def global_effect(frame: pd.DataFrame, cf_frame: pd.DataFrame) -> dict[str, Any]:
    """Persistence against the no-policy run counted globally (map and overseas), for people held and victim losses."""
    return {
        "persistence_vs_counterfactual_global_workers": metrics.ratio(_last_year(frame, "global_workers_held"),
                                                                      _last_year(cf_frame, "global_workers_held")),
        "persistence_vs_counterfactual_global_revenue": metrics.ratio(_last_year(frame, "global_revenue"),
                                                                      _last_year(cf_frame, "global_revenue")),
        "global_victim_weeks_averted": float(cf_frame["global_workers_held"].sum() - frame["global_workers_held"].sum()),
        "global_revenue_averted_usd": float(cf_frame["global_revenue"].sum() - frame["global_revenue"].sum()),
    }
