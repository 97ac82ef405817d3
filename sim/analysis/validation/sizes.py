"""What the compounds' slow variable is: how large the standing compounds are, year by year.

The steady-state check (``steady``) finds that the number of compounds keeps rising for decades while the number of
people held stands still. Both can hold only if compounds get smaller, and this module measures whether they do:
year-end snapshots of the standing compounds (how many, their mean capacity, the people they hold) and of the
operators, in the no-policy run from the initial state with no burn-in (as ``steady.relaxation``), and each series'
drift per decade (``steady.drift_per_decade``'s measure: the least-squares slope of the yearly values, per decade, as a
share of their mean) with a Student-t 95% interval over seeds, over two windows of years:

- the years a history with an eight-year burn-in records (``HISTORY_WINDOW``: years 9-16 from the start), where the
  check finds the drift;
- from year 9 to the end of the run, the slow mode itself.

Why compounds get smaller is a question for the model's rules, which this module does not assume: run it again with
one rule switched off (``--set``) and see whether the drift goes. On the Mekong history it goes with size-blind raids
(``enforcement.visibility_exponent = 0``; docs/validation.md): raids find large compounds more easily, so the standing
population's sizes relax over compound lifetimes towards the smaller ones that survive.

Reads the model's tables at the end of each year and draws no random number, so the runs are the model's own.
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.validation.steady import WEEKS_PER_YEAR, decade_share
from sim.common.stats import t_interval
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params
from sim.params.declarations import Params

#: The year-end series, in the order of the snapshot's columns.
SERIES = ("compounds", "capacity_per_compound", "people_held", "operators")
#: Years 9-16 from the start: the eight recorded years of a history that runs an eight-year burn-in first.
HISTORY_WINDOW = (9, 16)


def yearly_sizes(params: Params, seed: int, years: int) -> np.ndarray:
    """Year-end values of ``SERIES`` (``years`` x 4) of one policy-free run from the initial state (no burn-in)."""
    p = counterfactual_params(params).with_values({"run.burn_in_weeks": 0, "run.weeks": years * WEEKS_PER_YEAR})
    model = ScamModel(p, rng=seed)
    out = np.empty((years, len(SERIES)))
    for year in range(years):
        model.run(WEEKS_PER_YEAR)
        t = model.compound_table
        slots = t.slots
        n = len(slots)
        capacity = float(t.capacity[slots].sum())
        out[year] = (n, capacity / n if n else math.nan, float(t.workers[slots].sum()), len(model.operator_table.slots))
    return out


def _job(args: tuple[Params, int, int]) -> np.ndarray:
    return yearly_sizes(*args)


def all_sizes(params: Params, seeds: list[int], years: int, workers: int = 1) -> np.ndarray:
    """``yearly_sizes`` for every seed (seeds x years x 4), in a process pool when ``workers`` > 1."""
    from sim.analysis.validation.runner import map_runs

    return np.array(map_runs(_job, [(params, seed, years) for seed in seeds], workers))


def window_drift(values: np.ndarray, first: int, last: int) -> float:
    """Slope of yearly values over years ``first``..``last`` (1-based, inclusive), per decade, as a share of their mean."""
    y = np.asarray(values[first - 1:last], dtype=float)
    ok = np.isfinite(y)
    return decade_share(np.arange(first, last + 1, dtype=float)[: len(y)][ok], y[ok])


def size_drifts(runs: np.ndarray, windows: tuple[tuple[int, int], ...]) -> dict[str, list[tuple[float, float, float]]]:
    """Per series, per window: the mean drift per decade over seeds and its Student-t 95% interval."""
    out = {}
    for k, name in enumerate(SERIES):
        out[name] = [t_interval([window_drift(run[:, k], a, b) for run in runs])[:3] for a, b in windows]
    return out


def format_sizes(scenario: str, runs: np.ndarray) -> str:
    """Markdown: yearly means over seeds at a few years, then each series' drift per decade in the two windows."""
    seeds, years, _ = runs.shape
    windows = tuple(dict.fromkeys(w for w in (HISTORY_WINDOW, (HISTORY_WINDOW[0], years)) if w[0] < w[1] <= years))
    means = np.nanmean(runs, axis=0)
    shown = sorted({y for y in (1, 4, 8, 12, 16, 24, 32, 40, years) if y <= years})
    lines = [f"Standing compounds in {scenario}, no policy, from the initial state ({seeds} seeds; year-end values, "
             "means over seeds):", "", "| year | " + " | ".join(SERIES) + " |", "|---|" + "---|" * len(SERIES)]
    for y in shown:
        lines.append(f"| {y} | " + " | ".join(f"{v:,.0f}" for v in means[y - 1]) + " |")
    if windows:
        drifts = size_drifts(runs, windows)
        head = " | ".join(f"years {a}-{b}" for a, b in windows)
        lines += ["", "Drift per decade, share of the mean, mean over seeds [95% CI]:", "", f"| series | {head} |",
                  "|---|" + "---|" * len(windows)]
        for name in SERIES:
            cells = [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" if math.isfinite(lo) else f"{m:+.3f}" for m, lo, hi in drifts[name]]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
