"""Whether a measure's values can be read as a fact: stable, unstable, undefined, or too few runs.

One rule for the app's headline and the briefs, so neither prints a number the model cannot back:

- **undefined**: no finite value (e.g. a WDQ whose treated area did not change relative to control);
- **unstable**: a ratio whose denominator is near zero in some run (a WDQ, a displacement share), a
  value undefined in some runs but not others (the same near-zero denominator, seen from the other
  side), or an interval wider than the measure's plausible range;
- **too few runs**: fewer than two finite values, so there is no interval (a single run's value is
  shown alone, never as "0.76 (95% interval 0.76 to 0.76)");
- **stable**: none of these; the mean and its Student-t 95% interval may be quoted.

Lead with the stable measures (the comparison with the no-policy run) and say why the others are not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sim.common.stats import t_interval

STABLE, UNSTABLE, UNDEFINED, TOO_FEW = "stable", "unstable", "undefined", "too few runs"

#: The range a measure's values plausibly take; an interval wider than it says nothing (short names match
#: dotted ones by their last part, e.g. "displacement.wdq_buffer").
PLAUSIBLE_RANGE: dict[str, tuple[float, float]] = {
    "persistence_vs_counterfactual_workers": (0.0, 2.0),
    "persistence_vs_counterfactual_revenue": (0.0, 2.0),
    "persistence_workers": (0.0, 2.0),
    "persistence_revenue": (0.0, 2.0),
    "displacement_share": (0.0, 1.0),
    "wdq_buffer": (-2.0, 2.0),
    "share_cross_border": (0.0, 1.0),
    "herfindahl_last_year": (0.0, 1.0),
}
#: A ratio's denominator smaller than this share of the quantity it is taken from counts as near zero.
NEAR_ZERO = 0.05


@dataclass(frozen=True)
class Reading:
    """A measure's values summarised with a verdict on whether they can be quoted."""

    status: str
    mean: float
    lo: float
    hi: float
    n: int
    reason: str = ""

    @property
    def quotable(self) -> bool:
        return self.status == STABLE

    def text(self, digits: int = 2, pct: bool = False) -> str:
        """The reading for a reader: the number with its interval only when stable, else why not."""
        def f(v: float) -> str:
            return f"{v * 100:.{max(digits - 2, 0)}f}%" if pct else f"{v:,.{digits}f}"
        if self.status == UNDEFINED:
            return f"undefined ({self.reason})" if self.reason else "undefined"
        if self.status == TOO_FEW:
            return f"{f(self.mean)} (one run: no interval)"
        if self.status == UNSTABLE:
            shown = f(self.mean) if math.isfinite(self.mean) else "no value"
            return f"{shown}, unstable ({self.reason})"
        return f"{f(self.mean)} (95% interval {f(self.lo)} to {f(self.hi)})"


def plausible_range(measure: str | None) -> tuple[float, float] | None:
    if not measure:
        return None
    return PLAUSIBLE_RANGE.get(measure, PLAUSIBLE_RANGE.get(measure.rsplit(".", 1)[-1]))


def assess(values: Iterable[float | None], measure: str | None = None, *, denominators: Iterable[float | None] | None = None,
           scale: float | None = None, plausible: tuple[float, float] | None = None) -> Reading:
    """A ``Reading`` of one measure's values across runs (replications of one design point, or a single run).

    Args:
        values: the measure in each run (None or NaN where it is undefined).
        measure: its name, which picks its plausible range from ``PLAUSIBLE_RANGE`` unless ``plausible`` is given.
        denominators: for a ratio, its denominator in each run; with ``scale`` (the size of the quantity the
            denominator is a change of), one below ``NEAR_ZERO * scale`` makes the measure unstable.
    """
    raw = [None if v is None else float(v) for v in values]
    finite = [v for v in raw if v is not None and math.isfinite(v)]
    # One value needs no interval (and the app's single run then never loads scipy).
    mean, lo, hi, n = t_interval(finite) if len(finite) > 1 else (finite[0] if finite else math.nan, math.nan, math.nan, len(finite))
    if n == 0:
        return Reading(UNDEFINED, math.nan, math.nan, math.nan, 0,
                       "no run" if not raw else "its denominator is zero" if len(raw) == 1 else f"in all {len(raw)} runs")
    if denominators is not None and scale is not None and scale > 0:
        small = sum(1 for d in denominators if d is None or not math.isfinite(d) or abs(d) < NEAR_ZERO * scale)
        if small:
            where = "" if len(raw) == 1 else f" in {small} of {len(raw)} runs"
            return Reading(UNSTABLE, mean, lo, hi, n, f"its denominator is near zero{where}")
    if n < len(raw):
        return Reading(UNSTABLE, mean, lo, hi, n, f"undefined in {len(raw) - n} of {len(raw)} runs")
    if n < 2:
        return Reading(TOO_FEW, mean, lo, hi, n, "one run: no interval")
    bounds = plausible or plausible_range(measure)
    if bounds is not None and hi - lo > bounds[1] - bounds[0]:
        return Reading(UNSTABLE, mean, lo, hi, n, f"the interval ({lo:.2f} to {hi:.2f}) is wider than the plausible range "
                                                  f"{bounds[0]:g} to {bounds[1]:g}")
    return Reading(STABLE, mean, lo, hi, n)
