"""Does the burn-in reach a steady state? The drift of the no-policy run over the recorded years.

A validation that compares a policy run with the world assumes the model, left alone, stands still
over the recorded years; a model that drifts down by several percent a decade without any policy
would read that drift as a policy effect wherever a pattern compares with "before". For each seed the
no-policy run's yearly means (people held, compounds) are regressed on the year; the slope per decade
is divided by the mean level, and a Student-t 95% interval is taken over seeds.

Verdict: **steady** when the whole interval lies within +-``DRIFT_TOLERANCE``, **drifting** when it
lies wholly outside, **inconclusive** otherwise (more seeds could decide), **undefined** with fewer than two
seeds whose drift is a number (a mean needs no spread, an interval does).

``relaxation`` shows why a burn-in passes or fails: the no-policy run from its initial state with no
burn-in at all, as yearly means over seeds, so the slow modes (the number of compounds, of operators)
can be read off directly instead of guessed from one drift figure.
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
#: The series the relaxation table follows: the two judged, the operators (the slowest) and their capital.
RELAXATION_SERIES = {**SERIES, "operators": "operators", "operator_capital": "operator_capital"}
WEEKS_PER_YEAR = 52


def drift_per_decade(series: np.ndarray) -> float:
    """Least-squares slope of the yearly means of a weekly series, per decade, as a share of its mean (NaN under 2 years)."""
    s = np.asarray(series, dtype=float)
    years = len(s) // WEEKS_PER_YEAR
    if years < 2:
        return math.nan
    yearly = s[: years * WEEKS_PER_YEAR].reshape(years, WEEKS_PER_YEAR).mean(axis=1)
    return decade_share(np.arange(years, dtype=float), yearly)


def decade_share(years: np.ndarray, yearly: np.ndarray) -> float:
    """Least-squares slope of ``yearly`` on ``years``, per decade, as a share of its mean (NaN under 2 years or at mean 0)."""
    mean = float(yearly.mean()) if len(yearly) else 0.0
    if len(yearly) < 2 or mean == 0:
        return math.nan
    return 10.0 * float(np.polyfit(years, yearly, 1)[0]) / mean


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
    if n < 2 or not math.isfinite(lo):  # no interval without two finite drifts: no verdict either
        return "undefined", (mean, lo, hi, n)
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


def relaxation(params: Params, seeds: list[int], years: int, workers: int = 1) -> dict[str, np.ndarray]:
    """Yearly means of ``RELAXATION_SERIES`` over seeds, from the initial state (no burn-in, no policy), for ``years`` years.

    Returns {series: array (years, 3)} with each year's mean over seeds and its Student-t 95% interval.
    Every seed starts from the same initial state, so the mean follows the model's own relaxation:
    a burn-in of B years is long enough for a series when the mean is flat from year B on.
    """
    from sim.analysis.validation.runner import observe_all

    p = counterfactual_params(params).with_values({"run.burn_in_weeks": 0, "run.weeks": years * WEEKS_PER_YEAR})
    obs = observe_all({"no_policy": p}, seeds, workers)
    out = {}
    for name, column in RELAXATION_SERIES.items():
        per_seed = np.array([obs[s]["no_policy"].run.frame[column].to_numpy(float)[: years * WEEKS_PER_YEAR] for s in seeds])
        yearly = per_seed.reshape(len(seeds), years, WEEKS_PER_YEAR).mean(axis=2)
        out[name] = np.array([t_interval(list(yearly[:, y]))[:3] for y in range(years)])
    return out


def format_relaxation(scenario: str, table: dict[str, np.ndarray], seeds: int) -> str:
    """A Markdown table of ``relaxation``: one row a year, each series' mean over seeds with its 95% interval."""
    names = list(table)
    years = len(table[names[0]])
    lines = [f"Relaxation of {scenario} from its initial state, no burn-in, no policy ({seeds} seeds; yearly means over seeds "
             "[95% CI]):", "", "| year | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for y in range(years):
        cells = [_number(*table[n][y]) for n in names]
        lines.append(f"| {y + 1} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _number(mean: float, lo: float, hi: float) -> str:
    """A mean and its interval with three significant figures (the series run from hundreds to billions)."""
    if not math.isfinite(lo):
        return f"{mean:.3g}"
    return f"{mean:.3g} [{lo:.3g}, {hi:.3g}]"
