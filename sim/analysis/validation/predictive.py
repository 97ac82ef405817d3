"""Comparing one observed world with the model's predictive distribution: quantiles, intervals, p-values.

The world is one draw. The question is therefore not whether the model's *mean* is near the
observation (the confidence interval of a mean shrinks with replications, so enough runs reject any
model), but whether the observation is a plausible draw from the spread of outcomes the model
produces across runs (and across parameter sets, when a calibration passes several). Every function
here takes the pooled draws of one measure: one value per (parameter set, seed).

Rules, declared here once:

- **Predictive quantile** of an observation ``x`` among draws ``y``: the mid-rank
  ``(#{y < x} + 0.5 #{y == x}) / n``. Ties (a discrete measure, e.g. a count of compounds) split
  evenly, so an observation equal to every draw sits at 0.5, not at 0 or 1.
- **Two-sided predictive p-value** of a point observation: ``min(1, 2 min(lo, hi))`` with
  ``lo = (#{y <= x} + 1) / (n + 1)`` and ``hi = (#{y >= x} + 1) / (n + 1)``: the Monte Carlo
  p-value, which counts ties on both sides (conservative for discrete measures) and is never 0.
- **An observed event** (a bound such as "at least 120,000", a range such as "2-6 months", or a
  qualitative criterion such as "most moves are short"): its p-value is the predictive probability of
  the event, ``(#{draws meeting it} + 1) / (n + 1)``. Rejecting when it is at most alpha has a
  type-I error of at most alpha: if the model were the world, the event would happen with that
  probability.
- **The p-value Holm reads** is parametric: the Student-t predictive distribution of one new draw,
  ``mean + s sqrt(1 + 1/n) T(n-1)`` (a normal model with unknown mean and spread). The Monte Carlo
  p-values above cannot fall below ``1 / (n + 1)``, so with tens of draws they could never pass a Holm
  threshold of 0.05 / 25; they are reported beside it as the distribution-free check, and a criterion
  whose two p-values fall on opposite sides of the unadjusted alpha is flagged unstable. With no spread
  (every draw equal) the predictive distribution is that one value.
- **Central predictive interval** at level L: the empirical (1-L)/2 and (1+L)/2 quantiles (numpy's
  "linear" definition).
- **Multiplicity**: Holm's step-down procedure over a table's p-values (family-wise error at most
  alpha, Holm 1979), and the count of point observations outside their 90% interval against the
  binomial expectation (a one-sided binomial test).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: The central predictive interval reported for each point observation.
PREDICTIVE_LEVEL = 0.90
#: Family-wise error rate of the Holm verdict over a table (the conventional 5%).
FAMILY_ALPHA = 0.05
#: Fewer defined draws than this and a criterion's predictive result is reported as unstable: with
#: fewer than 10 draws the smallest Monte Carlo p-value is above 0.09, so nothing can be rejected.
MIN_STABLE_DRAWS = 10


def finite(values: Sequence[float]) -> np.ndarray:
    """The finite draws (NaN marks a replication where the measure is undefined)."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    return x[np.isfinite(x)]


def predictive_quantile(draws: Sequence[float], x: float) -> float:
    """Mid-rank quantile of ``x`` among the finite draws (NaN without draws); see the module docstring."""
    y = finite(draws)
    if len(y) == 0 or not math.isfinite(x):
        return math.nan
    return float((np.sum(y < x) + 0.5 * np.sum(y == x)) / len(y))


def point_p_value(draws: Sequence[float], x: float) -> float:
    """Two-sided Monte Carlo predictive p-value of a point observation ``x`` (NaN without draws)."""
    y = finite(draws)
    n = len(y)
    if n == 0 or not math.isfinite(x):
        return math.nan
    lo = (np.sum(y <= x) + 1) / (n + 1)
    hi = (np.sum(y >= x) + 1) / (n + 1)
    return float(min(1.0, 2 * min(lo, hi)))


def event_p_value(draws: Sequence[float], holds: Callable[[float], bool]) -> tuple[float, float]:
    """(share of finite draws in which the observed event holds, its Monte Carlo p-value) (NaN, NaN without draws)."""
    y = finite(draws)
    n = len(y)
    if n == 0:
        return math.nan, math.nan
    k = sum(1 for v in y if holds(float(v)))
    return k / n, (k + 1) / (n + 1)


def t_predictive_p(draws: Sequence[float], x: float | None = None, op: str = "", threshold: float | tuple[float, float] = 0.0) -> float:
    """Parametric predictive p-value: two-sided for a point ``x``; else the probability of the event ``op threshold``.

    NaN with fewer than two finite draws.
    """
    from scipy.stats import t as student

    y = finite(draws)
    n = len(y)
    if n < 2:
        return math.nan
    mean, scale = float(y.mean()), float(y.std(ddof=1)) * math.sqrt(1 + 1 / n)

    def cdf(v: float) -> float:
        if scale == 0:
            return 1.0 if v >= mean else 0.0
        return float(student.cdf((v - mean) / scale, n - 1))

    if x is not None:
        if scale == 0:
            return 1.0 if x == mean else 0.0
        return float(2 * student.sf(abs(x - mean) / scale, n - 1))
    if op in (">=", ">"):
        return 1.0 - cdf(float(threshold)) if scale > 0 or not (mean == threshold and op == ">=") else 1.0  # type: ignore[arg-type]
    if op in ("<=", "<"):
        return cdf(float(threshold)) if scale > 0 or not (mean == threshold and op == "<") else 0.0  # type: ignore[arg-type]
    lo, hi = threshold  # type: ignore[misc]
    return cdf(hi) - (cdf(lo) if scale > 0 else float(mean < lo))


def central_interval(draws: Sequence[float], level: float = PREDICTIVE_LEVEL) -> tuple[float, float]:
    """The central ``level`` predictive interval of the finite draws (NaN, NaN without draws)."""
    y = finite(draws)
    if len(y) == 0:
        return math.nan, math.nan
    lo, hi = np.quantile(y, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def holm(p_values: Sequence[float], alpha: float = FAMILY_ALPHA) -> tuple[list[bool], list[float]]:
    """Holm's step-down rejections and the threshold each p-value was compared with (NaN p: not tested).

    Sorted ascending, the k-th smallest p (k from 0) is compared with alpha / (m - k); testing stops at
    the first that is not rejected, and every later one is kept.
    """
    idx = [i for i, p in enumerate(p_values) if math.isfinite(p)]
    m = len(idx)
    reject = [False] * len(p_values)
    threshold = [math.nan] * len(p_values)
    stopped = False
    for k, i in enumerate(sorted(idx, key=lambda i: p_values[i])):
        threshold[i] = alpha / (m - k)
        if not stopped and p_values[i] <= threshold[i]:
            reject[i] = True
        else:
            stopped = True
    return reject, threshold


@dataclass(frozen=True)
class OutsideCount:
    """Point observations outside their central interval, against what a correct model would give."""

    outside: int
    n: int
    expected: float
    p_value: float  # one-sided binomial test: this many or more outside if the model were right


def outside_count(inside: Sequence[bool], level: float = PREDICTIVE_LEVEL) -> OutsideCount:
    """How many observations fall outside their ``level`` interval, and the binomial test of that count."""
    from scipy.stats import binomtest

    n = len(inside)
    out = sum(1 for ok in inside if not ok)
    if n == 0:
        return OutsideCount(0, 0, 0.0, math.nan)
    return OutsideCount(out, n, n * (1 - level), float(binomtest(out, n, 1 - level, alternative="greater").pvalue))


@dataclass(frozen=True)
class Survival:
    """A Kaplan-Meier curve of weeks to recovery over pooled runs, runs that never recovered censored."""

    times: np.ndarray  # the distinct event times
    survival: np.ndarray  # share not yet recovered just after each time
    events: int  # runs that recovered
    censored: int  # runs that had not recovered when the run ended
    median: float  # weeks by which half have recovered (inf when the curve never falls to 0.5)

    def at(self, weeks: float) -> float:
        """Share not yet recovered after ``weeks`` weeks (1 before the first event)."""
        k = np.searchsorted(self.times, weeks, side="right")
        return 1.0 if k == 0 else float(self.survival[k - 1])


def kaplan_meier(weeks: Sequence[float], censored: Sequence[bool]) -> Survival | None:
    """Kaplan-Meier estimate (``scipy.stats.ecdf`` on ``CensoredData``); None with no finite time.

    ``weeks`` are the weeks until recovery, or the weeks observed for a censored run (a lower bound).
    With no recovery at all the curve is flat at 1 and the median infinite.
    """
    from scipy.stats import CensoredData, ecdf

    t = np.asarray(weeks, dtype=float)
    c = np.asarray(censored, dtype=bool)
    ok = np.isfinite(t)
    t, c = t[ok], c[ok]
    if len(t) == 0:
        return None
    if c.all():
        return Survival(np.array([]), np.array([]), 0, int(c.sum()), math.inf)
    sf = ecdf(CensoredData(uncensored=t[~c], right=t[c])).sf
    times, surv = np.asarray(sf.quantiles, dtype=float), np.asarray(sf.probabilities, dtype=float)
    below = np.flatnonzero(surv <= 0.5)
    return Survival(times, surv, int((~c).sum()), int(c.sum()), float(times[below[0]]) if len(below) else math.inf)
