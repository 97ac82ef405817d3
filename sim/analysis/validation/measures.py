"""Measures of observed runs: plain functions of series and tables, unit-tested on constructed inputs.

Nothing here knows a place name or a calendar: a region's patterns (``mekong_measures``) call these
with the jurisdictions, zones and weeks they mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.validation.geography import Geo
from sim.analysis.validation.observe import Observation


def value_or_nan(x: Any) -> float:
    """A summary value as a float; None (undefined) becomes NaN, which intervals skip."""
    return math.nan if x is None else float(x)


def policy_start(o: Observation) -> int:
    """The week the run's policy starts."""
    return o.run.params.policy.start_week


def policy_end(o: Observation) -> int:
    """The week the run's policy ends (the last week of the run when it never ends)."""
    p = o.run.params.policy
    return p.end_week if p.end_week >= 0 else o.run.params.run.weeks


def weeks_to_regain_reference(series: np.ndarray, reference: np.ndarray, start_week: int, dip: float = 0.9,
                              horizon: int = 26) -> tuple[float, bool]:
    """Weeks from ``start_week`` until ``series`` is back to ``dip`` x ``reference`` after falling below it.

    ``series`` and ``reference`` are weekly (row 0 = week 1); the reference is the counterfactual (or
    any "former level"), compared week by week. The series must fall below ``dip`` x reference within
    ``horizon`` weeks of the start, or there is nothing to recover from: (nan, False). Returns (weeks,
    censored): censored is True when it had not recovered by the end, and weeks is then the weeks
    observed (a lower bound).

    Not the same measure as ``sim.measures.metrics.recovery_weeks``, which counts from the trough (not
    from the start), against one fixed level (not a paired series), and gives None (not a lower bound)
    when the series never recovers.
    """
    s = np.asarray(series, dtype=float)[start_week - 1:]
    ref = np.asarray(reference, dtype=float)[start_week - 1:]
    if len(s) == 0:
        return math.nan, False
    below = s < dip * ref
    first = np.flatnonzero(below[:horizon])
    if len(first) == 0:
        return math.nan, False
    after = np.flatnonzero(~below[first[0]:])
    if len(after) == 0:
        return float(len(s)), True
    return float(first[0] + after[0]), False


def weeks_to_pre_shock_level(series: np.ndarray, start_week: int, dip: float = 0.9, before: int = 4,
                             horizon: int = 26) -> tuple[float, bool]:
    """Weeks from ``start_week`` until ``series`` is back to ``dip`` x its pre-shock level, for survival analysis.

    The pre-shock level is the mean of the ``before`` weeks before ``start_week`` (row 0 = week 1).
    The series must fall below ``dip`` x that level within ``horizon`` weeks of the start, or there was
    no loss to recover from: (nan, False). Returns (weeks, censored): censored when it had not recovered
    by the last recorded week, and weeks is then the weeks observed (a lower bound, which a Kaplan-Meier
    curve treats as a censored time).
    """
    s = np.asarray(series, dtype=float)
    first_row = start_week - 1
    if first_row < 1 or first_row >= len(s):
        return math.nan, False
    level = float(s[max(0, first_row - before): first_row].mean())
    after = s[first_row:]
    below = after < dip * level
    first = np.flatnonzero(below[:horizon])
    if level <= 0 or len(first) == 0:
        return math.nan, False
    back = np.flatnonzero(~below[first[0]:])
    if len(back) == 0:
        return float(len(after)), True
    return float(first[0] + back[0]), False


def trough_ratio(series: np.ndarray, reference: np.ndarray, start_week: int, window: int) -> float:
    """The lowest ``series`` / ``reference`` within ``window`` weeks from ``start_week`` (weeks with a zero reference skipped)."""
    s = np.asarray(series, dtype=float)[start_week - 1: start_week - 1 + window]
    r = np.asarray(reference, dtype=float)[start_week - 1: start_week - 1 + window]
    ok = r > 0
    return float(np.min(s[ok] / r[ok])) if ok.any() else math.nan


def effect_weeks(series: np.ndarray, reference: np.ndarray, start_week: int, window: int = 52, threshold: float = 0.9) -> float:
    """Weeks within ``window`` weeks from ``start_week`` in which ``series`` < ``threshold`` x ``reference``.

    Weeks where the reference is zero are not counted (there was nothing to lose).
    """
    s = np.asarray(series, dtype=float)[start_week - 1: start_week - 1 + window]
    ref = np.asarray(reference, dtype=float)[start_week - 1: start_week - 1 + window]
    return float(np.sum((ref > 0) & (s < threshold * ref)))


def enrichment(sites: np.ndarray, mask: np.ndarray, land: np.ndarray) -> float:
    """Share of compounds on ``mask`` cells over the share of land that ``mask`` covers (1 = spread by area)."""
    sites = np.asarray(sites, dtype=np.int64)
    land_share = float(mask[land].mean()) if land.any() else 0.0
    if len(sites) == 0 or land_share == 0:
        return math.nan
    return float(mask[sites].mean()) / land_share


def share_of_moves(moves: pd.DataFrame, since_week: int, predicate: Callable[[pd.DataFrame], np.ndarray]) -> float:
    """Share of the moves from ``since_week`` on for which ``predicate`` holds (NaN without moves)."""
    m = moves[moves["week"] >= since_week]
    return float(np.mean(predicate(m))) if len(m) else math.nan


def flows_between(moves: pd.DataFrame, cell_jurisdiction: np.ndarray, a: int, b: int, since_week: int) -> tuple[int, int]:
    """Moves from jurisdiction a to b and from b to a, from ``since_week`` on."""
    m = moves[moves["week"] >= since_week]
    src = cell_jurisdiction[m["from_cell"].to_numpy(dtype=np.int64)]
    dst = np.append(cell_jurisdiction, -2)[m["to_cell"].to_numpy(dtype=np.int64)]  # a move overseas (cell -1) reads -2
    return int(np.sum((src == a) & (dst == b))), int(np.sum((src == b) & (dst == a)))


def never_raided_or_surviving(first_seen: dict[int, int], last_seen: dict[int, int], raids: pd.DataFrame,
                              since_week: int, end_week: int) -> float:
    """Of compounds operating at some week from ``since_week`` on, the share never raided since then or still
    operating at ``end_week`` (Amnesty's measure: compounds that never faced a raid or kept operating after one)."""
    ids = [c for c, last in last_seen.items() if last >= since_week]
    if not ids:
        return math.nan
    raided = set(raids.loc[raids["week"] >= since_week, "compound"].tolist())
    ok = sum(1 for c in ids if c not in raided or last_seen[c] >= end_week)
    return ok / len(ids)


def buildings_never_raided_or_operating(first_occupied: dict[int, int], last_occupied: dict[int, int], raids: pd.DataFrame,
                                        since_week: int, end_week: int) -> float:
    """Of buildings occupied at some week from ``since_week`` on, the share never raided since then or occupied at ``end_week``.

    Amnesty's count is of buildings (compound premises), not of operations: a building whose tenant
    moved out after a raid and that nobody reoccupied counts as raided and not operating, whatever became
    of the operation. Raids whose building is unknown (``building`` -1) are not counted.
    """
    ids = [b for b, last in last_occupied.items() if last >= since_week]
    if not ids:
        return math.nan
    r = raids[(raids["week"] >= since_week) & (raids["building"] >= 0)]
    raided = set(r["building"].tolist())
    return sum(1 for b in ids if b not in raided or last_occupied[b] >= end_week) / len(ids)


def closures_and_multi_site_exits(o: Observation, first_week: int, last_week: int) -> tuple[float, float]:
    """Compounds closed for good, and operators ended holding two or more compounds, in the weeks given (inclusive)."""
    f = o.run.frame[(o.run.frame["week"] >= first_week) & (o.run.frame["week"] <= last_week)]
    e = o.exits[(o.exits["week"] >= first_week) & (o.exits["week"] <= last_week)]
    return float(f["compounds_dissolved"].sum()), float((e["compounds"] >= 2).sum())


def mean_held(o: Observation, jurisdictions: list[int], first_week: int, last_week: int) -> float:
    """Mean weekly workers held in the given jurisdictions over the weeks given (inclusive)."""
    rows = slice(first_week - 1, last_week)
    return float(o.run.workers[rows][:, jurisdictions].sum(axis=1).mean())


def shock_measures(o: Observation, cf: Observation, geo: Geo, window: int = 26) -> dict[str, Any]:
    """What followed one shock: the dip and recovery of the treated area, and where moves from it went.

    The treated area is the policy's cut zones when it cuts utilities, else its treated jurisdictions;
    ``cf`` is the paired no-policy run with the same seed.
    """
    p = o.run.params.policy
    start = p.start_week
    if p.cut_zones:
        cols = [geo.z(z) for z in p.cut_zones]
        series, ref = o.zone_workers[:, cols].sum(axis=1), cf.zone_workers[:, cols].sum(axis=1)
        area_cells = np.isin(geo.cell_zone, cols)
        area = "+".join(p.cut_zones)
    else:
        cols = list(o.run.areas.treated)
        series, ref = o.run.workers[:, cols].sum(axis=1), cf.run.workers[:, cols].sum(axis=1)
        area_cells = np.isin(geo.cell_jurisdiction, cols)
        area = "+".join(geo.jurisdictions[c] for c in cols)
    weeks, censored = weeks_to_regain_reference(series, ref, start, horizon=window)
    m = o.run.moves
    m = m[(m["week"] >= start) & (m["week"] < start + window)]
    out_moves = m[area_cells[m["from_cell"].to_numpy(dtype=np.int64)]]
    dest = {}
    for cell in out_moves["to_cell"].to_numpy(dtype=np.int64):
        if cell < 0:  # the outside option: the move left the map
            dest["overseas"] = dest.get("overseas", 0) + 1
            continue
        z = geo.cell_zone[cell]
        label = geo.jurisdictions[geo.cell_jurisdiction[cell]] + (f"/{geo.zones[z]}" if z >= 0 else "")
        dest[label] = dest.get(label, 0) + 1
    back = _moves_into(o.run.moves, area_cells, start, start + 52)
    cf_back = _moves_into(cf.run.moves, area_cells, start, start + 52)
    f, fc = o.run.frame, cf.run.frame
    win = (f["week"] >= start) & (f["week"] < start + window)
    total_effect = float(o.run.workers.sum(axis=1)[-52:].mean() / max(cf.run.workers.sum(axis=1)[-52:].mean(), 1.0))
    return {
        "area": area,
        "trough_vs_cf": trough_ratio(series, ref, start, window),
        "recovery_weeks": weeks,
        "recovery_censored": censored,
        "moves_out": float(len(out_moves)),
        "moves_back_in_52_weeks": float(len(back)),
        "moves_in_52_weeks_cf": float(len(cf_back)),
        "median_weeks_to_move": float((out_moves["week"] - start).median()) if len(out_moves) else math.nan,
        "destinations": dest,
        "raids": float(f.loc[win, "raids"].sum()),
        "tipped_off": float(f.loc[win, "raids_tipped_off"].sum()),
        "rescued": float(f.loc[win, "workers_rescued"].sum()),
        "repatriated_excess": float(f.loc[win, "workers_repatriated"].sum() - fc.loc[win, "workers_repatriated"].sum()),
        "region_last_year_vs_cf": total_effect,
    }


def _moves_into(moves: pd.DataFrame, area_cells: np.ndarray, first_week: int, end_week: int) -> pd.DataFrame:
    """Moves from outside the area into it, in weeks ``first_week`` <= week < ``end_week``."""
    m = moves[(moves["week"] >= first_week) & (moves["week"] < end_week)]
    into = np.append(area_cells, False)[m["to_cell"].to_numpy(dtype=np.int64)]  # overseas (cell -1) is never in the area
    return m[~area_cells[m["from_cell"].to_numpy(dtype=np.int64)] & into]
