"""Patterns and criteria as data, and the verdicts on replications (Grimm et al. 2005).

A ``Pattern`` is what was observed and where it was reported, the runs it needs (variant names), a
function that measures it on those runs, and one or more ``Criterion`` with a threshold declared
before any run, with the reason for it. Each pattern has a ``role``: a calibration target (a level
the parameters are fitted to), a validation pattern, a response to a shock, or an input check (it
restates an input formula, so it is reported apart and never counted as validation); and a ``date``,
when what it describes happened, so that a calibration can be split from a prediction by date.

The verdict that counts is predictive (``sim.analysis.validation.predictive``): where the observation
falls in the spread of outcomes over all pooled runs. A criterion with an ``observed`` number (a point
observation) gets its predictive quantile, its central 90% interval and a two-sided predictive
p-value; any other criterion is an observed event (a bound, a range or a qualitative fact) whose
p-value is the predictive probability of the event. ``apply_holm`` then judges a whole table at once
(Holm's family-wise 5%): a criterion is **inconsistent** when Holm rejects it, **consistent** when not,
**undefined** when no run had a value, and **unstable** when too few runs had one or its p-value is
within two Monte Carlo standard errors of its Holm threshold.

The older verdict on the mean is kept for reading (``mean_verdict``), with a Student-t 95% interval:

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

from sim.analysis.validation import predictive as pred
from sim.analysis.validation.geography import Geo
from sim.analysis.validation.observe import Observation
from sim.common.stats import t_interval

#: The roles a pattern can have, in report order: calibration targets and validation (with responses
#: to shocks) are two tables, never one used as the other; input checks are listed apart.
ROLES = ("calibration", "validation", "shock", "input_check")

Interval = tuple[float, float, float, int]  # mean, lo, hi, n (see sim.common.stats.t_interval)


@dataclass(frozen=True)
class Criterion:
    """One measurable condition: ``metric`` op ``threshold``, with the reason for the threshold."""

    metric: str
    op: str  # ">=", ">", "<=", "<", "between"
    threshold: float | tuple[float, float]
    label: str
    why: str
    observed: float | None = None  # the number reported in the world, when there is one (a point observation)
    date: str = ""  # when this observation differs in date from its pattern's ("2024")

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
    role: str = "validation"  # one of ROLES
    date: str = ""  # when what was observed happened ("2023", "2022-09"); the calibration/prediction split reads it
    not_testable: str = ""  # the missing mechanism, when the model cannot test the pattern
    note: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"pattern {self.id}: role {self.role!r} is not one of {ROLES}")

    @property
    def anchor(self) -> bool:
        """A calibration target (a level), not a stylised fact."""
        return self.role == "calibration"

    @property
    def year(self) -> int | None:
        """The (first) year of ``date``, or None when the date is not known."""
        return int(self.date[:4]) if self.date[:4].isdigit() else None


@dataclass
class CriterionResult:
    """One criterion over the pooled draws: the predictive result (``verdict``) and the mean's (``mean_verdict``)."""

    criterion: Criterion
    values: list[float]
    mean_verdict: str
    mean: float
    lo: float
    hi: float
    n: int
    quantile: float = math.nan  # predictive quantile of the point observation (NaN for an event)
    interval: tuple[float, float] = (math.nan, math.nan)  # central 90% predictive interval
    share_met: float = math.nan  # share of draws meeting the criterion (the observed event)
    p_value: float = math.nan  # parametric (Student-t predictive) p-value: what Holm reads
    mc_p_value: float = math.nan  # distribution-free Monte Carlo p-value, the check
    threshold: float = math.nan  # Holm's threshold for this p-value within its table
    verdict: str = "undefined"  # consistent, inconsistent, undefined, unstable (set by apply_holm)

    @property
    def point(self) -> bool:
        return self.criterion.observed is not None

    @property
    def inside(self) -> bool:
        """The point observation lies inside its central predictive interval."""
        lo, hi = self.interval
        return self.point and lo <= float(self.criterion.observed) <= hi  # type: ignore[arg-type]


@dataclass
class PatternResult:
    pattern: Pattern
    verdict: str
    criteria: list[CriterionResult]
    extra: dict[str, list[float]]  # every measured value, for the report
    reason: str = ""
    predictive: str = "not testable"  # the pattern's predictive verdict (worst of its criteria's, set by apply_holm)


#: A pattern's mean verdict is the first of these among its criteria's (any failure fails it).
VERDICT_ORDER = ("failed", "undefined", "inconclusive", "reproduced")
#: A pattern's predictive verdict is the first of these among its criteria's.
PREDICTIVE_ORDER = ("inconsistent", "unstable", "undefined", "consistent")


def predictive_result(c: Criterion, values: list[float]) -> CriterionResult:
    """The criterion on pooled draws: mean and t-interval, predictive quantile, interval, share met and p-value."""
    mean_verdict, (mean, lo, hi, n) = c.verdict(values)
    r = CriterionResult(c, values, mean_verdict, mean, lo, hi, n)
    r.share_met, event_p = pred.event_p_value(values, c.passes)
    r.interval = pred.central_interval(values)
    if c.observed is not None:
        r.quantile = pred.predictive_quantile(values, c.observed)
        r.mc_p_value = pred.point_p_value(values, c.observed)
        r.p_value = pred.t_predictive_p(values, c.observed)
    else:
        r.mc_p_value = event_p
        r.p_value = pred.t_predictive_p(values, None, c.op, c.threshold)
    return r


def evaluate(pattern: Pattern, metrics_by_seed: list[dict[str, float]], unavailable: str = "") -> PatternResult:
    """Turn a pattern's per-replication measures into criterion verdicts and the pattern's verdict."""
    if pattern.not_testable:
        return PatternResult(pattern, "not testable", [], {}, pattern.not_testable)
    if unavailable:
        return PatternResult(pattern, "not testable", [], {}, unavailable)
    keys = sorted({k for m in metrics_by_seed for k in m})
    extra = {k: [m.get(k, math.nan) for m in metrics_by_seed] for k in keys}
    results = [predictive_result(c, extra.get(c.metric, [])) for c in pattern.criteria]
    verdicts = [r.mean_verdict for r in results]
    overall = next((v for v in VERDICT_ORDER if v in verdicts), "reproduced")
    return PatternResult(pattern, overall, results, extra)


def apply_holm(results: list[PatternResult], alpha: float = pred.FAMILY_ALPHA) -> None:
    """Judge one table's criteria together (Holm), setting each criterion's and pattern's predictive verdict."""
    crits = [c for r in results for c in r.criteria]
    reject, thresholds = pred.holm([c.p_value for c in crits], alpha)
    for c, rej, th in zip(crits, reject, thresholds, strict=True):
        c.threshold = th
        if not math.isfinite(c.p_value):
            c.verdict = "undefined" if not len(pred.finite(c.values)) else "unstable"
            continue
        draws = len(pred.finite(c.values))
        if draws == 0:
            c.verdict = "undefined"
            continue
        split = (c.p_value <= alpha) != (c.mc_p_value <= alpha)  # the two p-values disagree
        if rej:
            c.verdict = "inconsistent"
        elif draws < pred.MIN_STABLE_DRAWS or draws < 0.5 * len(c.values) or split:
            c.verdict = "unstable"
        else:
            c.verdict = "consistent"
    for r in results:
        if r.criteria:
            r.predictive = next(v for v in PREDICTIVE_ORDER if v in {c.verdict for c in r.criteria} or v == "consistent")


def pattern_metrics(pattern: Pattern, obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """The pattern's measures on one replication's runs (none for a pattern without a measure)."""
    return {} if pattern.measure is None else pattern.measure(obs, geo)
