"""Patterns and criteria as data, and the verdicts on replications (Grimm et al. 2005).

A ``Pattern`` is what was observed and where it was reported, the runs it needs (variant names), a
function that measures it on those runs, and one or more ``Criterion`` with a threshold declared
before any run, with the reason for it. Verdicts use a Student-t 95% interval over replications:

- ``reproduced``: the whole interval lies on the passing side of the threshold;
- ``failed``: the whole interval lies on the failing side;
- ``inconclusive``: the interval straddles the threshold (not reproduced, but not refuted either);
- ``undefined``: the measure had no value in any replication (e.g. a WDQ with a zero denominator);
- ``not testable``: the model lacks the mechanism; the reason names what is missing and where it
  would go.

With a single replication there is no interval, and the verdict is the mean's side of the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sim.analysis.validation.geography import Geo
from sim.analysis.validation.observe import Observation
from sim.common.stats import t_interval

Interval = tuple[float, float, float, int]  # mean, lo, hi, n (see sim.common.stats.t_interval)


@dataclass(frozen=True)
class Criterion:
    """One measurable condition: ``metric`` op ``threshold``, with the reason for the threshold."""

    metric: str
    op: str  # ">=", ">", "<=", "<", "between"
    threshold: float | tuple[float, float]
    label: str
    why: str

    def passes(self, value: float) -> bool:
        t = self.threshold
        if self.op == ">=":
            return value >= t
        if self.op == ">":
            return value > t
        if self.op == "<=":
            return value <= t
        if self.op == "<":
            return value < t
        lo, hi = t
        return lo <= value <= hi

    def verdict(self, values: Iterable[float]) -> tuple[str, Interval]:
        """Verdict on replications: the whole 95% interval must lie on one side (see the module docstring)."""
        mean, lo, hi, n = t_interval(values)
        if n == 0:
            return "undefined", (mean, lo, hi, n)
        if n == 1 or not math.isfinite(lo):
            return ("reproduced" if self.passes(mean) else "failed"), (mean, lo, hi, n)
        if self.op == "between":
            a, b = self.threshold
            if a <= lo and hi <= b:
                return "reproduced", (mean, lo, hi, n)
            if hi < a or lo > b:
                return "failed", (mean, lo, hi, n)
            return "inconclusive", (mean, lo, hi, n)
        ok_lo, ok_hi = self.passes(lo), self.passes(hi)
        if ok_lo and ok_hi:
            return "reproduced", (mean, lo, hi, n)
        if not ok_lo and not ok_hi:
            return "failed", (mean, lo, hi, n)
        return "inconclusive", (mean, lo, hi, n)


#: A pattern's measure: the observed runs of one replication by variant name -> named values.
Measure = Callable[[dict[str, Observation], Geo], dict[str, float]]


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    observed: str
    source: str
    variants: tuple[str, ...]
    measure: Measure | None
    criteria: tuple[Criterion, ...]
    anchor: bool = False  # a numeric anchor rather than a stylised fact
    not_testable: str = ""  # the missing mechanism, when the model cannot test the pattern
    note: str = ""


@dataclass
class CriterionResult:
    criterion: Criterion
    values: list[float]
    verdict: str
    mean: float
    lo: float
    hi: float
    n: int


@dataclass
class PatternResult:
    pattern: Pattern
    verdict: str
    criteria: list[CriterionResult]
    extra: dict[str, list[float]]  # every measured value, for the report
    reason: str = ""


#: A pattern's verdict is the first of these among its criteria's verdicts (any failure fails it).
VERDICT_ORDER = ("failed", "undefined", "inconclusive", "reproduced")


def evaluate(pattern: Pattern, metrics_by_seed: list[dict[str, float]], unavailable: str = "") -> PatternResult:
    """Turn a pattern's per-replication measures into criterion verdicts and the pattern's verdict."""
    if pattern.not_testable:
        return PatternResult(pattern, "not testable", [], {}, pattern.not_testable)
    if unavailable:
        return PatternResult(pattern, "not testable", [], {}, unavailable)
    keys = sorted({k for m in metrics_by_seed for k in m})
    extra = {k: [m.get(k, math.nan) for m in metrics_by_seed] for k in keys}
    results = []
    for c in pattern.criteria:
        values = extra.get(c.metric, [])
        verdict, (mean, lo, hi, n) = c.verdict(values)
        results.append(CriterionResult(c, values, verdict, mean, lo, hi, n))
    verdicts = [r.verdict for r in results]
    overall = next((v for v in VERDICT_ORDER if v in verdicts), "reproduced")
    return PatternResult(pattern, overall, results, extra)


def pattern_metrics(pattern: Pattern, obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """The pattern's measures on one replication's runs (none for a pattern without a measure)."""
    return {} if pattern.measure is None else pattern.measure(obs, geo)
