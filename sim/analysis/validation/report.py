"""Printing a validation report: the verdict table as text or Markdown, and the shock replays."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sim.analysis.validation.criteria import VERDICT_ORDER, Criterion
from sim.common.stats import t_interval

if TYPE_CHECKING:
    from sim.analysis.validation.runner import Report


def fmt(x: Any) -> str:
    """A number as the tables show it: billions as "bn", thousands separated, small values with three decimals."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.1f}bn"
    if ax >= 1e4:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 1 or ax == 0:
        return f"{x:.2f}".rstrip("0").rstrip(".") if ax != 0 else "0"
    return f"{x:.3f}"


def interval(mean: float, lo: float, hi: float, n: int) -> str:
    """``mean [lo, hi] (n=...)``, without the interval when there is one value, "undefined" with none."""
    if n == 0:
        return "undefined"
    if not math.isfinite(lo):
        return f"{fmt(mean)} (n={n})"
    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}] (n={n})"


def describe(c: Criterion) -> str:
    """The criterion as a reader checks it: label, operator and threshold."""
    if c.op == "between":
        return f"{c.label} in [{fmt(c.threshold[0])}, {fmt(c.threshold[1])}]"
    return f"{c.label} {c.op} {fmt(c.threshold)}"


def headline_line(report: Report) -> str:
    """The headline answer: workers held under the scenario's policy over the counterfactual, last year."""
    if not report.headline:
        return "headline: not computed (the patterns run neither the scenario's policy nor its counterfactual)"
    return ("headline: workers held in the last year under the scenario's policy / no-policy counterfactual "
            f"(persistence_vs_counterfactual_workers): {interval(*t_interval(report.headline))}")


def format_text(report: Report) -> str:
    """The verdict of every pattern with what was observed, each criterion's interval, a summary and the headline."""
    lines = [f"Pattern-oriented validation of {report.scenario or 'the scenario'}: {len(report.seeds)} replications "
             f"(seeds {report.seeds[0]}-{report.seeds[-1]}), mean and Student-t 95% interval", ""]
    for r in report.results:
        p = r.pattern
        tag = " (anchor)" if p.anchor else ""
        lines.append(f"{p.id}{tag}  {p.name}  ->  {r.verdict.upper()}")
        lines.append(f"    observed: {p.observed} [{p.source}]")
        if r.reason:
            lines.append(f"    reason: {r.reason}")
        for c in r.criteria:
            lines.append(f"    {c.verdict:>12}  {describe(c.criterion)}: {interval(c.mean, c.lo, c.hi, c.n)}")
        lines.append("")
    counts = {v: sum(r.verdict == v for r in report.results) for v in (*VERDICT_ORDER, "not testable")}
    lines.append("summary: " + ", ".join(f"{v}: {n}" for v, n in counts.items() if n))
    lines.append(headline_line(report))
    return "\n".join(lines)


def format_markdown(report: Report) -> str:
    """The verdict table of docs/validation.md: one row per criterion."""
    out = ["| id | pattern | observed in the world (source) | criterion (threshold) | model: mean [95% CI] (n) | verdict |",
           "|---|---|---|---|---|---|"]
    for r in report.results:
        p = r.pattern
        name = p.name + (" (anchor)" if p.anchor else "")
        if not r.criteria:
            out.append(f"| {p.id} | {name} | {p.observed} ({p.source}) | - | - | **{r.verdict}**: {r.reason} |")
            continue
        for k, c in enumerate(r.criteria):
            first = k == 0
            out.append(f"| {p.id if first else ''} | {name if first else ''} | "
                       f"{f'{p.observed} ({p.source})' if first else ''} | {describe(c.criterion)} | "
                       f"{interval(c.mean, c.lo, c.hi, c.n)} | {c.verdict}"
                       f"{f' (pattern: **{r.verdict}**)' if first and len(r.criteria) > 1 else ''} |")
    out += ["", headline_line(report)]
    return "\n".join(out)


def format_shocks(shocks: dict[str, dict[str, Any]], last_year: str = "the last year") -> str:
    """Each shock replay's summary (``runner.run_shocks``); ``last_year`` names the run's last 52 weeks."""
    lines = []
    for name, s in shocks.items():
        lines.append(f"{name}  (area: {s['area']}, {s['replications']} replications)")
        for key, label in (("trough_vs_cf", "lowest treated level vs counterfactual, 26 weeks"),
                           ("recovery_weeks", "weeks to be back at 90% of the counterfactual"),
                           ("moves_out", "moves out of the area within 26 weeks"),
                           ("moves_back_in_52_weeks", "moves into the area from outside within 52 weeks"),
                           ("moves_in_52_weeks_cf", "the same in the counterfactual"),
                           ("median_weeks_to_move", "median weeks from the start to those moves"),
                           ("raids", "raids within 26 weeks"), ("tipped_off", "of them tipped off"),
                           ("rescued", "people freed by raids within 26 weeks"),
                           ("repatriated_excess", "extra people sent home vs counterfactual, 26 weeks"),
                           ("region_last_year_vs_cf", f"regional workers in {last_year} vs counterfactual")):
            lines.append(f"    {label}: {interval(*s[key])}")
        lines.append(f"    dipped 10% below the counterfactual in {s['dipped_share']:.0%} of replications, "
                     f"recovered in {s['recovered_share']:.0%}")
        top = ", ".join(f"{k} {v:.1f}" for k, v in list(s["destinations"].items())[:6]) or "none"
        lines.append(f"    destinations of those moves (mean per replication): {top}")
        lines.append("")
    return "\n".join(lines)

