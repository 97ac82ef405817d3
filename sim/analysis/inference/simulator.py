"""The simulator the inference calls: parameter quantiles ``u`` -> summary statistics.

One call builds the scenario with the drawn parameter values (``sim.scenario.values.apply_values``, which
checks each value against its declared range), runs it with a seed of its own to the spec's last week and no
further, and reads every statistic of the spec from the run's records:

- ``held``: mean weekly people held in the named jurisdictions (all when none is named) over the window;
- ``proceeds``: gross proceeds over the window, per year (the sum times 52 over the window's length);
- ``compounds``: mean number of compounds standing in the named jurisdictions over the window;
- ``held_ratio``: ``held`` over ``weeks`` divided by ``held`` over ``base_weeks`` (a response to a shock).

With marginalised parameters (``nuisance``), each call also draws their quantiles from the prior, from the same
generator as its seed, and returns them beside the statistics as ``NUISANCE + name`` (the distance reads only the
statistics), so the value each accepted particle ran with is kept with it.

Windows are model weeks (week 1 is the first recorded week after the burn-in; in the Mekong scenario the first
week of 2021), inclusive at both ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.analysis.calibration import Range
from sim.analysis.inference.prior import Prior
from sim.analysis.inference.spec import Statistic
from sim.params.declarations import Params
from sim.scenario.values import apply_values

#: Prefix of the returned entries that hold a marginalised parameter's quantile (not a statistic).
NUISANCE = "nuisance:"


@dataclass(frozen=True)
class Records:
    """What the statistics read from one run: weeks x jurisdictions."""

    jurisdictions: tuple[str, ...]
    workers: np.ndarray
    revenue: np.ndarray
    compounds: np.ndarray


def _columns(rec: Records, names: tuple[str, ...]) -> list[int]:
    return [rec.jurisdictions.index(n) for n in names] if names else list(range(len(rec.jurisdictions)))


def _mean(matrix: np.ndarray, cols: list[int], window: tuple[int, int]) -> float:
    rows = matrix[window[0] - 1: window[1]]
    return float(rows[:, cols].sum(axis=1).mean())


def statistic(s: Statistic, rec: Records) -> float:
    """The value of one statistic on one run's records."""
    cols = _columns(rec, s.jurisdictions)
    if s.measure == "held":
        return _mean(rec.workers, cols, s.weeks)
    if s.measure == "compounds":
        return _mean(rec.compounds, cols, s.weeks)
    if s.measure == "proceeds":
        return _mean(rec.revenue, cols, s.weeks) * 52.0
    if s.measure == "held_ratio":
        assert s.base_weeks is not None
        base = _mean(rec.workers, cols, s.base_weeks)
        return _mean(rec.workers, cols, s.weeks) / base if base > 0 else float("nan")
    raise ValueError(f"unknown measure {s.measure!r}")


def run_records(params: Params, seed: int, weeks: int) -> Records:
    """Run ``params`` (burn-in, then ``weeks`` recorded weeks) and keep what the statistics read."""
    from sim.core.model import ScamModel

    model = ScamModel(params, rng=seed)
    model.run(weeks)
    log = model.log
    nj = len(log.jurisdiction_names)
    compounds = np.vstack(log.compounds_by_jurisdiction) if log.compounds_by_jurisdiction else np.zeros((0, nj))
    return Records(tuple(log.jurisdiction_names), log.workers_matrix(), log.revenue_matrix(), compounds)


@dataclass(frozen=True)
class Simulator:
    """``theta -> statistics`` for one scenario, prior and list of statistics (picklable, for worker processes)."""

    params: Params
    prior: Prior
    statistics: tuple[Statistic, ...]
    last_week: int
    nuisance: Prior | None = None  # marginalised parameters: drawn from their prior in every call

    @property
    def ranges(self) -> tuple[Range, ...]:
        """Every parameter a run sets: the proposed ones, then the marginalised ones."""
        return self.prior.ranges + (self.nuisance.ranges if self.nuisance is not None else ())

    def check(self) -> list[str]:
        """Problems that would make every simulation fail (unknown jurisdictions, a window past the run)."""
        names = {j.name for j in self.params.map.jurisdictions}
        problems = []
        for s in self.statistics:
            problems += [f"[statistics.{s.name}]: no jurisdiction named {j!r} in the scenario (it has {', '.join(sorted(names))})"
                         for j in s.jurisdictions if j not in names]
        return problems

    def run(self, values: dict[str, float | int], seed: int) -> dict[str, float]:
        """The statistics of one run at parameter values ``values``."""
        rec = run_records(apply_values(self.params, values), seed, self.last_week)
        return {s.name: statistic(s, rec) for s in self.statistics}

    def __call__(self, u: dict[str, float]) -> dict[str, float]:
        """pyabc's model interface: unit-cube quantiles in, statistics out; the seed is drawn from numpy's
        global generator, which pyabc seeds (in each worker process when it runs several)."""
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 -- the generator pyabc seeds
        if self.nuisance is None:
            return self.run(self.prior.values(u), seed)
        un = {name: float(x) for name, x in zip(self.nuisance.names, np.random.random(len(self.nuisance.names)), strict=True)}  # noqa: NPY002
        stats = self.run({**self.prior.values(u), **self.nuisance.values(un)}, seed)
        return {**stats, **{NUISANCE + name: x for name, x in un.items()}}

    def many(self, values: Sequence[dict[str, float | int]], seeds: Sequence[int]) -> list[dict[str, float]]:
        return [self.run(v, s) for v, s in zip(values, seeds, strict=True)]
