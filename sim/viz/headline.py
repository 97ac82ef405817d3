"""The app's headline measures as (label, value) rows: what ``summarise`` says about the run so far.

Every value is shown only as far as it can be read (``sim.viz.readings``): a ratio whose denominator
is near zero says "unstable", one that has no meaning yet says "undefined", and the comparison with the
no-policy run (the stable measure) comes first. ``notes`` says what the reader must know besides:
the end of the run, and policy types that cannot differ from this one under the scenario
(``sim.viz.equivalence``).
"""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING

from sim.measures.run import result_of, summarise
from sim.viz.equivalence import equivalent_policies
from sim.viz.readings import UNDEFINED, UNSTABLE, assess

if TYPE_CHECKING:
    from sim.core.model import ScamModel
    from sim.params.declarations import Params


def fmt(value: float | None, digits: int = 3) -> str:
    """A measure for display: 'undefined' for None (never a made-up number)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "undefined"
    return f"{value:.{digits}f}"


LEVER_LABELS = {"aml_share": "AML", "inflow_reduction": "inflow cut", "protection_sanctions": "sanctions",
                "demand_reduction": "demand cut", "infrastructure_cut": "infrastructure cut"}


def lever_text(policy) -> str:
    """The root-cause levers a policy sets away from neutral, e.g. 'AML 0.2, inflow cut 0.5' ('none')."""
    parts = [f"{label} {getattr(policy, key):g}" for key, label in LEVER_LABELS.items() if getattr(policy, key, 0.0) > 0]
    if policy.repatriation_share >= 0:
        parts.append(f"repatriation {policy.repatriation_share:g}")
    return ", ".join(parts) or "none"


def policy_text(params: Params) -> str:
    """What the run's policy is, in a few words: 'case_by_case, from week 53', or for a scenario whose
    ``[[timeline]]`` replaces the single policy, 'timeline of 14 events' (its ``policy.type`` is unused there)."""
    if params.timeline:
        n = len(params.timeline)
        return f"timeline of {n} event{'' if n == 1 else 's'}"
    return f"{params.policy.type}, from week {params.policy.start_week}"


def timeline_lines(params: Params) -> list[str]:
    """One line per ``[[timeline]]`` event: name, type, weeks (with dates once ``run.start_date`` is set), where."""
    start = datetime.date.fromisoformat(params.run.start_date) if params.run.start_date else None

    def when(week: int) -> str:
        return f"week {week}" + (f" (week of {start + datetime.timedelta(weeks=week - 1)})" if start is not None else "")

    lines = []
    for e in params.timeline:
        span = f"from {when(e.start_week)}" + (f" to {when(e.end_week)}" if e.end_week >= 0 else "")
        lines.append(f"{e.name}: {e.type}, {span}, in {', '.join(e.jurisdictions) or 'every jurisdiction'}")
    return lines


def active_events(params: Params, week: int) -> str:
    """The timeline events in force in ``week`` (from their start week to their end week, inclusive), or 'none'."""
    names = [e.name for e in params.timeline if e.in_force(week)]
    return ", ".join(names) or "none"


def raid_text(model: ScamModel) -> str:
    """The policy's raid frequency, or 'background' for types that do not set their own (a timeline's events set their own)."""
    if model.params.timeline:
        return f"per event, background {model.params.enforcement.background_raid_frequency:g}"
    if getattr(model.policy, "raids", False):
        return f"{model.params.policy.raid_frequency:g} per agency-year"
    return f"background ({model.params.enforcement.background_raid_frequency:g})"


def finished(model: ScamModel) -> bool:
    """The run has reached its last week (the app stops there)."""
    return model.week >= model.params.run.weeks


def _reading(value: float | None, measure: str, denominator: float | None = None, scale: float | None = None) -> str:
    """One run's value of a measure, or why it cannot be read as a fact."""
    r = assess([value], measure, denominators=None if denominator is None else [denominator], scale=scale)
    if r.status == UNDEFINED:
        return "undefined"
    if r.status == UNSTABLE:
        return f"{fmt(r.mean)} (unstable: {r.reason})"
    return fmt(r.mean)


def alternative_rows(model: ScamModel, alternative: ScamModel, counterfactual: ScamModel | None = None) -> list[tuple[str, str]]:
    """Rows of the compared policy: its people held and persistence, against the no-policy run when it is on.

    Labels name the policy (``persistence vs no-policy run, coordinated``), so the reader sees both
    policies' persistence against the same no-policy run side by side.
    """
    kind = alternative.params.policy.type
    rows = [("compared policy", f"{kind}, same seed and burn-in"), (f"people held, {kind}", f"{alternative.workers_held():,}")]
    logged = len(model.log.by_jurisdiction) > 0 and len(alternative.log.by_jurisdiction) > 0
    summary = summarise(result_of(alternative), None if counterfactual is None else result_of(counterfactual)) if logged else {}
    if counterfactual is not None:
        value = summary["counterfactual"]["persistence_vs_counterfactual_workers"] if "counterfactual" in summary else None
        rows.append((f"persistence vs no-policy run, {kind}", fmt(value)))
    rows.append((f"persistence, {kind}", fmt(summary["persistence"]["persistence_workers"] if summary else None)))
    return rows


def headline(model: ScamModel, counterfactual: ScamModel | None = None, alternative: ScamModel | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs of the headline measures so far, the stable comparison first.

    The measures are ``sim.measures.run.summarise`` of the weeks logged so far (with the no-policy run
    as counterfactual when given), so they are the figures ``scamsim run`` writes to ``summary.json``
    and match it at the end of the same run. Persistence compares the last 52 weeks with the 52 before
    the policy starts, so the values settle as the run goes on; before anything is logged every
    measure is undefined. A displacement share whose denominator (people removed from the treated
    area) is under 5% of the people held is marked unstable, as is a WDQ beyond the plausible range.
    With a compared policy (``alternative``) its rows follow the run's own (``alternative_rows``).
    """
    policy = model.params.policy
    weeks = model.params.run.weeks
    rows = [
        ("week", f"{min(model.week, weeks)} of {weeks}" + (" (end of run)" if finished(model) else "")),
        ("policy", policy_text(model.params)),
        ("raids / seed", f"{raid_text(model)} / {model.seed}"),
        ("levers", "set by each event (scenario file)" if model.params.timeline
         else lever_text(policy) if getattr(model.policy, "root_causes", False)
         else "none" if policy.type == "none" else f"not used by {policy.type}"),
        *([("events this week", active_events(model.params, model.week))] if model.params.timeline else []),
        ("people held", f"{model.workers_held():,}"),
        ("compounds / operators", f"{len(model.compound_table.slots)} / {model.operator_table.count()}"),
    ]
    logged = len(model.log.by_jurisdiction) > 0
    if not logged:
        basis = "vs no-policy run" if counterfactual is not None else "before/after"
        if counterfactual is not None:
            rows.append(("persistence vs no-policy run", fmt(None)))
        rows += [("persistence", fmt(None)), (f"displacement share ({basis})", fmt(None)), ("buffer WDQ", fmt(None)),
                 ("jurisdictions hosting", "0"), ("Herfindahl", fmt(None))]
        return rows + ([] if alternative is None else alternative_rows(model, alternative, counterfactual))
    summary = summarise(result_of(model), None if counterfactual is None else result_of(counterfactual))
    displacement = summary["displacement"]
    if "counterfactual" in summary:
        rows.append(("persistence vs no-policy run", fmt(summary["counterfactual"]["persistence_vs_counterfactual_workers"])))
    rows.append(("persistence", fmt(summary["persistence"]["persistence_workers"])))
    basis = "vs no-policy run" if displacement["basis"] == "counterfactual" else "before/after"
    held = summary["persistence"]["workers_last_year"] or 0.0
    rows += [
        (f"displacement share ({basis})", _reading(displacement["displacement_share"], "displacement_share",
                                                    displacement["removed_from_treated"], held)),
        ("buffer WDQ", _reading(displacement["wdq_buffer"], "wdq_buffer")),
        ("jurisdictions hosting", str(displacement["spread_jurisdictions_last_year"])),
        ("Herfindahl", fmt(displacement["herfindahl_last_year"])),
    ]
    return rows + ([] if alternative is None else alternative_rows(model, alternative, counterfactual))


def notes(model: ScamModel) -> list[str]:
    """What the reader must know besides the numbers: the end of the run, and policy types that run identically."""
    out = []
    if finished(model):
        out.append(f"The run has ended at week {model.params.run.weeks}: press Reset to run again.")
    if model.params.timeline:  # the policy types are not what runs: the events are
        return out
    for group in equivalent_policies(model.params):
        if model.params.policy.type in group and len(group) > 1:
            others = [t for t in group if t != model.params.policy.type]
            out.append(f"Under this scenario {model.params.policy.type} runs exactly as {', '.join(others)}: "
                       "comparing them shows no difference the model can make.")
    return out
