"""The policy events of a run: the single ``[policy]`` or the ``[[timeline]]`` events, and what measures read of them.

Most of the model asks the policy object (``sim.policies``) what to do; the few places that read the
policy's parameters directly (the measures' "since the policy started" windows, their buffer and
control areas, the no-policy counterfactual) read them through these helpers, so they work the same
with one policy and with a timeline, and give exactly the old values with one policy.
"""

from __future__ import annotations

import dataclasses

from sim.params.declarations import Params, PolicyParams

__all__ = ["first_felt", "policy_events", "policy_window", "without_policy"]


def policy_events(params: Params) -> tuple[PolicyParams, ...]:
    """The events that act in a run: the timeline's, or the single policy as one event."""
    return params.timeline if params.timeline else (params.policy,)


def first_felt(p: PolicyParams) -> int:
    """The first week a policy (or an event, or a timeline's envelope) is felt: its start, or the first announced week
    (``start_week - announce_weeks``) for one that acts; a policy of type ``none`` is never announced."""
    return p.start_week - (p.announce_weeks if p.type != "none" else 0)


def policy_window(params: Params) -> PolicyParams:
    """The policy as measures see it: ``params.policy`` itself, or the envelope of a timeline.

    The envelope of a timeline (its events of type ``none`` left out) starts with its earliest event (``start_week``), is first felt at the
    earliest announcement (``start_week - announce_weeks``), ends with the last event (-1 when one
    has no end), applies where any event applies (empty, i.e. everywhere, when one event applies
    everywhere), takes ``buffer`` and ``control`` from the first event (in start order) that names
    them, and has the type of its first event that is not ``none``.
    """
    if not params.timeline:
        return params.policy
    events = sorted(params.timeline, key=lambda e: e.start_week)
    acting = [e for e in events if e.type != "none"]  # events of type none are recorded, not acted on
    timed = acting or events
    start = min(e.start_week for e in timed)
    felt = min(first_felt(e) for e in timed)
    ends = [e.end_week for e in timed]
    everywhere = any(not e.jurisdictions for e in acting)
    names = () if everywhere else tuple(dict.fromkeys(j for e in acting for j in e.jurisdictions))
    return dataclasses.replace(
        acting[0] if acting else events[0],
        name="timeline",
        start_week=start,
        announce_weeks=start - felt,
        end_week=-1 if -1 in ends else max(ends),
        jurisdictions=names,
        buffer=next((e.buffer for e in events if e.buffer), ()),
        control=next((e.control for e in events if e.control), ()),
    )


def without_policy(params: Params) -> Params:
    """The same scenario with every policy switched off (background enforcement continues): the counterfactual."""
    return params.replace(policy=dataclasses.replace(params.policy, type="none"), timeline=())
