"""Does the burn-in reach a steady state? The drift of the no-policy run over the recorded years.

A validation that compares a policy run with the world assumes the model, left alone, stands still
over the recorded years; a model that drifts down by several percent a decade without any policy
would read that drift as a policy effect wherever a pattern compares with "before". For each seed the
no-policy run's yearly means (people held, compounds) are regressed on the year; the slope per decade
is divided by the mean level, and a Student-t 95% interval is taken over seeds.

Verdict: **steady** when the whole interval lies within +-``DRIFT_TOLERANCE``, **drifting** when it
lies wholly outside, **inconclusive** otherwise (more seeds could decide).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.common.stats import t_interval
from sim.measures.run import counterfactual_params
from sim.params.declarations import Params

#: The drift the no-policy run may show, as a share of its mean level per decade. 2% a decade moves a
#: level by at most 1.6% over the 8 recorded years of the Mekong history (2019-2026): under a third of
#: the 5% fall that P1 reads as a decline, and a fifth of the 10% reduction the headline question asks
#: about, so a drift within it cannot make or unmake either.
DRIFT_TOLERANCE = 0.02
#: The series checked, with the run's columns they come from.
SERIES = {"people_held": "workers_held", "compounds": "compounds"}
WEEKS_PER_YEAR = 52


def drift_per_decade(series: np.ndarray) -> float:
    """Least-squares slope of the yearly means of a weekly series, per decade, as a share of its mean (NaN under 2 years)."""
    s = np.asarray(series, dtype=float)
    years = len(s) // WEEKS_PER_YEAR
    if years < 2:
        return math.nan
    yearly = s[: years * WEEKS_PER_YEAR].reshape(years, WEEKS_PER_YEAR).mean(axis=1)
    mean = float(yearly.mean())
    if mean == 0:
        return math.nan
    slope = float(np.polyfit(np.arange(years, dtype=float), yearly, 1)[0])
    return 10.0 * slope / mean


@dataclass(frozen=True)
class Drift:
    """One series' drift over seeds: per-seed values, mean and 95% interval, and the verdict."""

    series: str
    per_seed: list[float]
    mean: float
    lo: float
    hi: float
    verdict: str


def drift_verdict(values: list[float], tolerance: float = DRIFT_TOLERANCE) -> tuple[str, tuple[float, float, float, int]]:
    """steady / drifting / inconclusive / undefined for per-seed drifts (see the module docstring)."""
    mean, lo, hi, n = t_interval(values)
    if n == 0:
        return "undefined", (mean, lo, hi, n)
    if n == 1 or not math.isfinite(lo):
        lo = hi = mean
    if -tolerance <= lo and hi <= tolerance:
        return "steady", (mean, lo, hi, n)
    if hi < -tolerance or lo > tolerance:
        return "drifting", (mean, lo, hi, n)
    return "inconclusive", (mean, lo, hi, n)


def steady_state(params: Params, seeds: list[int], workers: int = 1, tolerance: float = DRIFT_TOLERANCE) -> list[Drift]:
    """Run the scenario without its policy for each seed and judge the drift of every series of ``SERIES``."""
    from sim.analysis.validation.runner import observe_all

    obs = observe_all({"no_policy": counterfactual_params(params)}, seeds, workers)
    out = []
    for name, column in SERIES.items():
        values = [drift_per_decade(obs[s]["no_policy"].run.frame[column].to_numpy()) for s in seeds]
        verdict, (mean, lo, hi, _) = drift_verdict(values, tolerance)
        out.append(Drift(name, values, mean, lo, hi, verdict))
    return out


def format_drift(scenario: str, drifts: list[Drift], weeks: int, tolerance: float = DRIFT_TOLERANCE) -> str:
    """A short Markdown table of the drift check."""
    lines = [f"Steady state of {scenario} without its policy ({weeks} recorded weeks, {len(drifts[0].per_seed)} seeds; "
             f"tolerance +-{tolerance:.0%} of the mean per decade):", "",
             "| series | drift per decade, share of mean: mean [95% CI] | verdict |", "|---|---|---|"]
    for d in drifts:
        ci = f"[{d.lo:+.3f}, {d.hi:+.3f}]" if math.isfinite(d.lo) else ""
        lines.append(f"| {d.series} | {d.mean:+.3f} {ci} | {d.verdict} |")
    return "\n".join(lines)
