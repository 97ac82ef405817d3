"""How long operators last: exit hazards by age, the diagnosis of the burn-in's slow mode.

The steady-state check (``steady``) finds a no-policy run that keeps moving for decades after its
start. This module measures why. An operator's chance of leaving the market (bankruptcy, going idle,
finding no site, arrest, extradition, leaving for overseas) is counted per year of exposure in bands
of age, the actuarial (piecewise-constant hazard) estimator of organisational ecology. A hazard that
falls steeply with age (the "liability of newness": most entrants fail within a year, while an
operator that has lasted a decade leaves at a few percent a year) means the oldest operators are
replaced over decades, so the population's make-up, and everything that depends on it, relaxes on that
time scale whatever the burn-in.

Runs start from the initial state with no burn-in and no policy (as ``steady.relaxation``), so every
operator's age is known: the initial operators are aged 0 at week 0. The observer only reads the
model's hooks and draws no random number, so the runs are the model's own.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from sim.core import hooks
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params
from sim.params.declarations import Params

WEEKS_PER_YEAR = 52
#: Age bands, in years, of the hazard table: fine where the hazard changes fast (the first years).
DEFAULT_BANDS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0)


@dataclass(frozen=True)
class Life:
    """One operator's time in the market: entered at the end of week ``start``, left in week ``end``.

    ``end`` is None for an operator still in the market when the run stopped (censored); ``reason`` is
    the model's reason for leaving ("" when censored). Age at exit is ``end - start`` weeks.
    """

    start: int
    end: int | None
    reason: str


class LifeRecorder:
    """Every operator's entry and exit, through ``hooks.OperatorEntered`` and ``hooks.OperatorLeft`` (reads only)."""

    def __init__(self, model: ScamModel) -> None:
        self.model = model
        self.started = {op.unique_id: model.week for op in model.operator_by_slot.values()}
        self.left: dict[int, tuple[int, str]] = {}
        model.hooks.subscribe(hooks.OperatorEntered, self._entered)
        model.hooks.subscribe(hooks.OperatorLeft, self._left)

    def _entered(self, e: hooks.OperatorEntered) -> None:
        self.started[e.operator] = e.week

    def _left(self, e: hooks.OperatorLeft) -> None:
        self.left[e.operator] = (e.week, e.reason)

    def lives(self) -> list[Life]:
        """Every operator seen, in order of entry; those still in the market are censored."""
        out = []
        for uid, start in self.started.items():
            end, reason = self.left.get(uid, (None, ""))
            out.append(Life(start, end, reason))
        return out


def operator_lives(params: Params, seed: int, years: int) -> tuple[list[Life], int]:
    """The lives of one policy-free run from the initial state (no burn-in), and the week the run stopped."""
    p = counterfactual_params(params).with_values({"run.burn_in_weeks": 0, "run.weeks": years * WEEKS_PER_YEAR})
    model = ScamModel(p, rng=seed)
    recorder = LifeRecorder(model)
    model.run()
    return recorder.lives(), model.week


def _job(args: tuple[Params, int, int]) -> tuple[list[Life], int]:
    return operator_lives(*args)


def all_lives(params: Params, seeds: list[int], years: int, workers: int = 1) -> list[tuple[list[Life], int]]:
    """``operator_lives`` for every seed (in a process pool when ``workers`` > 1)."""
    from sim.analysis.validation.runner import map_runs

    return map_runs(_job, [(params, seed, years) for seed in seeds], workers)


@dataclass(frozen=True)
class Band:
    """Exits and exposure of operators aged ``lo`` to ``hi`` years, and the hazard with its exact Poisson 95% interval."""

    lo: float
    hi: float
    exits: int
    operator_years: float
    hazard: float  # exits per operator-year (NaN with no exposure)
    low: float
    high: float
    reasons: dict[str, int]


def hazard_by_age(runs: list[tuple[list[Life], int]], bands: tuple[float, ...] = DEFAULT_BANDS) -> list[Band]:
    """Exits per operator-year in each age band, pooled over runs.

    An operator contributes exposure to a band for the weeks of its life that fall in it (up to its exit,
    or to the end of its run if it is still there: right-censoring), and an exit to the band of its age
    at exit. Ages are in weeks, a year is 52 weeks, a band is [lo, hi). The interval is the exact
    (Garwood) Poisson interval of the count divided by the exposure; it treats exits as independent,
    which operators competing for the same market are not quite, so read it as a lower bound on the
    uncertainty.
    """
    edges = [b * WEEKS_PER_YEAR for b in bands]
    exposure = np.zeros(len(bands) - 1)
    exits = np.zeros(len(bands) - 1, dtype=int)
    reasons: list[Counter] = [Counter() for _ in range(len(bands) - 1)]
    for lives, stopped in runs:
        for life in lives:
            age_out = (life.end if life.end is not None else stopped) - life.start
            for k in range(len(bands) - 1):
                exposure[k] += max(0.0, min(age_out, edges[k + 1]) - edges[k])
            if life.end is not None:
                k = int(np.searchsorted(edges, age_out, side="right")) - 1
                if 0 <= k < len(bands) - 1:
                    exits[k] += 1
                    reasons[k][life.reason] += 1
    out = []
    for k in range(len(bands) - 1):
        years = exposure[k] / WEEKS_PER_YEAR
        n = int(exits[k])
        if years > 0:
            low = chi2.ppf(0.025, 2 * n) / 2 / years if n > 0 else 0.0
            high = chi2.ppf(0.975, 2 * n + 2) / 2 / years
            hazard = n / years
        else:
            hazard = low = high = math.nan
        out.append(Band(bands[k], bands[k + 1], n, float(years), float(hazard), float(low), float(high), dict(reasons[k])))
    return out


def format_hazards(scenario: str, bands: list[Band], runs: list[tuple[list[Life], int]]) -> str:
    """A Markdown table of ``hazard_by_age`` and who is left at the end of the runs."""
    seeds = len(runs)
    lines = [f"Operators' exit hazard by age in {scenario}, policy-free from the initial state (no burn-in), "
             f"{seeds} seeds pooled:", "",
             "| age (years) | exits | operator-years | exits per operator-year [95% CI] | reasons |",
             "|---|---|---|---|---|"]
    for b in bands:
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(b.reasons.items(), key=lambda x: -x[1])) or "-"
        rate = "undefined (no exposure)" if math.isnan(b.hazard) else f"{b.hazard:.3f} [{b.low:.3f}, {b.high:.3f}]"
        lines.append(f"| {b.lo:g}-{b.hi:g} | {b.exits} | {b.operator_years:,.0f} | {rate} | {reasons} |")
    alive = [[life for life in lives if life.end is None] for lives, _ in runs]
    n_alive = sum(len(a) for a in alive)
    if n_alive:
        from_start = sum(life.start == 0 for a in alive for life in a)
        ages = np.array([stopped - life.start for (_, stopped), a in zip(runs, alive, strict=True) for life in a]) / WEEKS_PER_YEAR
        q = np.quantile(ages, [0.25, 0.5, 0.75])
        lines += ["", f"In the market at the end: {n_alive / seeds:.1f} operators a run; their age (years) quartiles "
                      f"{q[0]:.1f}, {q[1]:.1f}, {q[2]:.1f}; {from_start / n_alive:.0%} of them have been there since week 0."]
    return "\n".join(lines)
