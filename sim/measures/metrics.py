"""Displacement and run-level measures computed from what a run records each week.

The weekly log itself (``WeeklyLog``) lives in ``sim.core.record``; the measures here are functions
of data, so they can be checked by hand on constructed inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.common.constants import WEEKS_PER_YEAR
from sim.core.record import COLUMNS  # noqa: F401  (the timeseries columns: other modules read them from here)

#: Weeks in the "year before" and "last year" windows of the measures.
YEAR = int(WEEKS_PER_YEAR)
#: Moves shorter than this count as short-range in ``share_under_100km``.
SHORT_MOVE_KM = 100.0

# ---- displacement measures ---------------------------------------------------------------------

def wdq(r_before: float, r_after: float, d_before: float, d_after: float, c_before: float, c_after: float) -> float | None:
    """Weighted Displacement Quotient (Bowers & Johnson 2003); None where it is undefined.

    WDQ = (D_a/C_a - D_b/C_b) / (R_a/C_a - R_b/C_b). Undefined when a control count is zero or the
    treated area did not change relative to control (zero denominator).
    """
    if c_before <= 0 or c_after <= 0:
        return None
    denom = r_after / c_after - r_before / c_before
    if denom == 0:
        return None
    return (d_after / c_after - d_before / c_before) / denom


def total_net_effect(r_before: float, r_after: float, d_before: float, d_after: float, c_before: float, c_after: float) -> float | None:
    """Total Net Effect: [R_b(C_a/C_b) - R_a] + [D_b(C_a/C_b) - D_a]; positive means a net reduction."""
    if c_before <= 0:
        return None
    k = c_after / c_before
    return (r_before * k - r_after) + (d_before * k - d_after)


def herfindahl(shares: np.ndarray) -> float | None:
    """Concentration of operation across jurisdictions (1: all in one; 1/n: evenly spread)."""
    total = float(np.sum(shares))
    if total <= 0:
        return None
    s = np.asarray(shares, dtype=float) / total
    return float(np.sum(s * s))


def ratio(a: float, b: float) -> float | None:
    """a / b, or None when b is zero (reported as undefined, never as a number)."""
    if b == 0 or not math.isfinite(b):
        return None
    return float(a / b)


# ---- run-level measures --------------------------------------------------------------------------

@dataclass(frozen=True)
class Areas:
    """Treated, buffer and control jurisdictions (indices) for displacement measures."""

    treated: np.ndarray
    buffer: np.ndarray
    control: np.ndarray


def _mean(x: np.ndarray) -> float | None:
    return float(np.mean(x)) if len(x) else None


def _windows(weeks: int, start: int) -> tuple[slice, slice]:
    """Rows of the year before the policy starts and of the last year of the run (rows = week - 1)."""
    before = slice(max(0, start - 1 - YEAR), max(0, start - 1))
    after = slice(max(0, weeks - YEAR), weeks)
    return before, after


def operation_measures(
    workers: np.ndarray,
    revenue: np.ndarray,
    areas: Areas,
    start_week: int,
    cf_workers: np.ndarray | None = None,
    cf_revenue: np.ndarray | None = None,
) -> dict[str, float | None]:
    """Persistence, displacement share, WDQ and TNE from weekly workers (and revenue) by jurisdiction.

    ``workers`` is weeks x jurisdictions. Before = the 52 weeks before ``start_week``; after = the
    last 52 weeks. With a counterfactual (same seed, no policy) the displacement share compares the
    two runs over the same weeks, which removes trends the policy did not cause.
    """
    weeks = workers.shape[0]
    if weeks == 0:
        return {k: None for k in ("workers_before", "workers_last_year", "persistence_workers", "revenue_before",
                                  "revenue_last_year", "persistence_revenue", "wdq_buffer", "tne", "displacement_share",
                                  "removed_from_treated", "reappeared_elsewhere")} | {"displacement_basis": None}
    before, after = _windows(weeks, start_week)
    out: dict[str, float | None] = {}
    total_w, total_r = workers.sum(axis=1), revenue.sum(axis=1)
    # Before and after must not overlap: a run too short for a whole year after the policy starts
    # has no persistence to report.
    has_before = before.stop > before.start and after.start >= before.stop
    out["workers_before"] = _mean(total_w[before]) if has_before else None
    out["workers_last_year"] = _mean(total_w[after])
    out["persistence_workers"] = ratio(out["workers_last_year"], out["workers_before"]) if has_before and out["workers_before"] else None
    rb = _mean(total_r[before]) if has_before else None
    out["revenue_before"] = rb
    out["revenue_last_year"] = _mean(total_r[after])
    out["persistence_revenue"] = ratio(out["revenue_last_year"], rb) if rb else None

    def area(mat: np.ndarray, idx: np.ndarray, rows: slice) -> float:
        return float(mat[rows][:, idx].sum(axis=1).mean()) if len(idx) and rows.stop > rows.start else 0.0

    t, d, c = areas.treated, areas.buffer, areas.control
    if has_before:
        args = (area(workers, t, before), area(workers, t, after), area(workers, d, before), area(workers, d, after),
                area(workers, c, before), area(workers, c, after))
        out["wdq_buffer"] = wdq(*args) if len(d) and len(c) else None
        out["tne"] = total_net_effect(*args) if len(c) else None
    else:
        out["wdq_buffer"] = out["tne"] = None
    others = np.setdiff1d(np.arange(workers.shape[1]), t)
    if cf_workers is not None:
        cf_total_w, cf_total_r = cf_workers.sum(axis=1), cf_revenue.sum(axis=1)
        out["persistence_vs_counterfactual_workers"] = ratio(out["workers_last_year"], _mean(cf_total_w[after]))
        out["persistence_vs_counterfactual_revenue"] = ratio(out["revenue_last_year"], _mean(cf_total_r[after]))
        removed = area(cf_workers, t, after) - area(workers, t, after)
        reappeared = area(workers, others, after) - area(cf_workers, others, after)
        out["displacement_basis"] = "counterfactual"
    else:
        removed = area(workers, t, before) - area(workers, t, after) if has_before else 0.0
        reappeared = area(workers, others, after) - area(workers, others, before) if has_before else 0.0
        out["displacement_basis"] = "before_after"
    out["removed_from_treated"] = removed
    out["reappeared_elsewhere"] = reappeared
    out["displacement_share"] = ratio(reappeared, removed) if removed > 0 and len(others) else None
    return out


def relocation_measures(moves: pd.DataFrame, since_week: int) -> dict[str, float | int | None]:
    """Distance distribution and border crossings of moves from ``since_week`` on."""
    m = moves[moves["week"] >= since_week] if len(moves) else moves
    if len(m) == 0:
        return {"moves": 0, "moves_forced": 0, "mean_km": None, "median_km": None, "p90_km": None,
                "share_cross_border": None, "share_under_100km": None}
    km = m["km"].to_numpy()
    return {
        "moves": len(m),
        "moves_forced": int(m["forced"].sum()),
        "mean_km": float(km.mean()),
        "median_km": float(np.median(km)),
        "p90_km": float(np.quantile(km, 0.9)),
        "share_cross_border": float(m["cross_border"].mean()),
        "share_under_100km": float((km < SHORT_MOVE_KM).mean()),
    }


def recovery_weeks(series: np.ndarray, start_week: int, level: float, threshold: float = 0.9) -> int | None:
    """Weeks from the trough after ``start_week`` until ``series`` is back to ``threshold * level``.

    None when there was no dip below the threshold (nothing to recover from) or no recovery by the
    end of the run: both are reported as undefined, not as a number.
    """
    rows = series[start_week - 1 :] if start_week >= 1 else series
    if len(rows) == 0 or level <= 0 or rows.min() >= threshold * level:
        return None
    trough = int(np.argmin(rows))
    back = np.flatnonzero(rows[trough:] >= threshold * level)
    return int(back[0]) if len(back) else None
