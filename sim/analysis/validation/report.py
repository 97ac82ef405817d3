"""Printing a validation report: its tables (calibration, validation, input checks) as text or Markdown, and the shock replays."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.validation import predictive as pred
from sim.analysis.validation.criteria import Criterion, CriterionResult, PatternResult
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


TABLE_TITLES = {"calibration": "Calibration targets (levels the parameters are fitted to; not validation)",
                "validation": "Validation patterns and responses to shocks",
                "input_check": "Input checks (they restate input formulas; reported apart, never counted as validation)"}


def observed_text(c: CriterionResult) -> str:
    """The observation as the table shows it: the number reported, or the event the criterion states."""
    return fmt(c.criterion.observed) if c.point else "the criterion (an event)"


def predictive_text(c: CriterionResult) -> str:
    """Median and central 90% predictive interval of the pooled draws, with how many were defined."""
    y = pred.finite(c.values)
    if len(y) == 0:
        return "undefined"
    lo, hi = c.interval
    return f"{fmt(float(np.median(y)))} [{fmt(lo)}, {fmt(hi)}] ({len(y)} of {len(c.values)})"


def where_text(c: CriterionResult) -> str:
    """Quantile of a point observation, or the share of draws meeting the observed event."""
    if c.point:
        return f"q = {fmt(c.quantile)}" + ("" if c.inside else " (outside 90%)")
    return f"met in {c.share_met:.0%}" if math.isfinite(c.share_met) else "n/a"


def multiplicity_lines(results: list[PatternResult]) -> list[str]:
    """Holm's verdict over a table, the binomial count of point observations outside their 90% interval, and
    the criteria that are undefined or unstable."""
    crits = [(r.pattern.id, c) for r in results for c in r.criteria]
    tested = [c for _, c in crits if math.isfinite(c.p_value)]
    rejected = [f"{i} ({c.criterion.metric})" for i, c in crits if c.verdict == "inconsistent"]
    lines = [f"Holm over {len(tested)} predictive p-values (family-wise {pred.FAMILY_ALPHA:.0%}): "
             + (f"{len(rejected)} inconsistent with the model's predictive distribution: {', '.join(rejected)}" if rejected
                else "none inconsistent with the model's predictive distribution")]
    points = [c for _, c in crits if c.point and math.isfinite(c.quantile)]
    if points:
        oc = pred.outside_count([c.inside for c in points])
        lines.append(f"Point observations outside their central {pred.PREDICTIVE_LEVEL:.0%} interval: {oc.outside} of {oc.n} "
                     f"(expected {oc.expected:.1f} if the model were right; binomial p = {fmt(oc.p_value)})")
    for kind in ("undefined", "unstable"):
        names = [f"{i} ({c.criterion.metric})" for i, c in crits if c.verdict == kind]
        if names:
            lines.append(f"{kind.capitalize()}: {', '.join(names)}")
    untestable = [f"{r.pattern.id}" for r in results if not r.criteria]
    if untestable:
        lines.append(f"Not testable: {', '.join(untestable)}")
    return lines


def survival_lines(report: Report) -> list[str]:
    """Kaplan-Meier summaries of every pattern that records recovery weeks with censoring flags."""
    out = []
    for r in report.results:
        weeks, cens = r.extra.get("recovery_weeks"), r.extra.get("recovery_censored")
        if not weeks or not cens:
            continue
        ok = [(w, bool(c)) for w, c in zip(weeks, cens, strict=True) if math.isfinite(w)]
        km = pred.kaplan_meier([w for w, _ in ok], [c for _, c in ok])
        if km is None:
            out.append(f"{r.pattern.id} recovery: no run dipped 10% below its pre-shock level")
            continue
        out.append(f"{r.pattern.id} recovery (Kaplan-Meier over {len(ok)} runs that dipped, of {len(weeks)}; "
                   f"{km.events} recovered, {km.censored} censored): median "
                   f"{fmt(km.median) + ' weeks' if math.isfinite(km.median) else 'not reached'}; not yet back after "
                   f"13 weeks {km.at(13):.0%}, after 26 weeks {km.at(26):.0%}, after 52 weeks {km.at(52):.0%}")
    return out


def header(report: Report) -> str:
    sets = f" x {report.parameter_sets} parameter sets" if report.parameter_sets > 1 else ""
    return (f"Pattern-oriented validation of {report.scenario or 'the scenario'}: {len(report.seeds)} replications"
            f"{sets} = {report.draws} draws per measure (seeds {report.seeds[0]}-{report.seeds[-1]}), each observation "
            "compared with the model's predictive distribution")


def format_text(report: Report) -> str:
    """Each table: every pattern's predictive verdict and criteria, then the multiplicity-aware verdict."""
    from sim.analysis.validation.runner import TABLES

    lines = [header(report), ""]
    for name in TABLES:
        results = report.table(name)
        if not results:
            continue
        lines += [f"== {TABLE_TITLES[name]} ==", ""]
        for r in results:
            p = r.pattern
            lines.append(f"{p.id}  {p.name} [{p.date or 'date unknown'}]  ->  {r.predictive.upper()}")
            lines.append(f"    observed: {p.observed} [{p.source}]")
            if r.reason:
                lines.append(f"    reason: {r.reason}")
            for c in r.criteria:
                lines.append(f"    {c.verdict:>12}  {describe(c.criterion)}: observed {observed_text(c)}; model "
                             f"{predictive_text(c)}; {where_text(c)}; p = {fmt(c.p_value)} (Monte Carlo {fmt(c.mc_p_value)}); "
                             f"mean {interval(c.mean, c.lo, c.hi, c.n)}")
            lines.append("")
        lines += [*multiplicity_lines(results), ""]
    lines += survival_lines(report)
    lines.append(headline_line(report))
    return "\n".join(lines)


def format_markdown(report: Report) -> str:
    """The tables of docs/validation.md: one row per criterion, one table per role group, each with its Holm verdict."""
    from sim.analysis.validation.runner import TABLES

    out = [header(report) + ".", ""]
    for name in TABLES:
        results = report.table(name)
        if not results:
            continue
        out += [f"### {TABLE_TITLES[name]}", "",
                "| id | pattern (date) | observed in the world (source) | criterion | observation | model: median "
                "[90% predictive interval] (defined draws) | where the observation falls | p (Monte Carlo) | verdict | "
                "mean [95% CI of the mean] |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in results:
            p = r.pattern
            first_cells = f"| {p.id} | {p.name} ({p.date or '?'}) | {p.observed} ({p.source}) |"
            if not r.criteria:
                out.append(f"{first_cells} - | - | - | - | - | **{r.predictive}**: {r.reason} | - |")
                continue
            for k, c in enumerate(r.criteria):
                lead = first_cells if k == 0 else "| | | |"
                tag = f" (pattern: **{r.predictive}**)" if k == 0 and len(r.criteria) > 1 else ""
                out.append(f"{lead} {describe(c.criterion)} | {observed_text(c)} | {predictive_text(c)} | {where_text(c)} | "
                           f"{fmt(c.p_value)} ({fmt(c.mc_p_value)}) | {c.verdict}{tag} | {interval(c.mean, c.lo, c.hi, c.n)} |")
        out += [""] + [f"- {line}" for line in multiplicity_lines(results)] + [""]
    out += [f"- {line}" for line in survival_lines(report)]
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

