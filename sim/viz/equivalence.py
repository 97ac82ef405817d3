"""Which policy types cannot differ under a scenario's parameters: the rule the app, briefs and CLI share.

A comparison of two policy types is informative only if the scenario lets their mechanisms act. With
one applying jurisdiction, ``coordinated`` has nobody to share intelligence with and runs exactly as
``case_by_case``; with ``hotspot_weeks = 0`` no area is ever kept under pressure and ``hotspot`` is
``case_by_case`` again; a raid frequency equal to the background one makes ``case_by_case`` the
no-policy run. Showing such pairs side by side suggests a difference the model cannot produce.

The rule reads the mechanisms in ``sim.policies.types`` (what each type switches on, and when a
switch has no effect) and reduces every type to its *effective signature*: the raid frequency it
imposes (or none), the raid mechanisms that can act, and the root-cause levers that are away from
neutral. Two types with equal signatures run identically (same seed, same numbers); the
tests check this against simulations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from sim.params.declarations import POLICY_TYPES

if TYPE_CHECKING:
    from sim.params.declarations import Params

#: Raid mechanisms switched on by each type (``combined`` takes them from ``policy.mix``).
MECHANISMS = {"case_by_case": (), "hotspot": ("hotspot",), "network": ("network",), "coordinated": ("coordinated",)}
RAIDING = ("case_by_case", "hotspot", "network", "coordinated", "combined")


class Signature(NamedTuple):
    """What a policy type changes under given parameters; equal signatures mean identical runs."""

    raid_frequency: float | None  # None: background raids only
    mechanisms: frozenset[str]
    levers: frozenset[str]

    @property
    def inert(self) -> bool:
        return self.raid_frequency is None and not self.mechanisms and not self.levers


def applying_jurisdictions(params: Params) -> tuple[str, ...]:
    """Names of the jurisdictions that apply the policy (``policy.jurisdictions``, empty meaning all)."""
    return tuple(params.policy.jurisdictions) or tuple(j.name for j in params.map.jurisdictions)


def _active_levers(params: Params) -> frozenset[str]:
    p = params.policy
    on = {"aml_share": p.aml_share > 0, "inflow_reduction": p.inflow_reduction > 0,
          "protection_sanctions": p.protection_sanctions > 0 and bool(applying_jurisdictions(params)),
          "demand_reduction": p.demand_reduction > 0, "revoke_concessions": bool(p.revoke_concessions),
          "infrastructure_cut": p.infrastructure_cut > 0 and bool(p.cut_zones),
          "repatriation_share": p.repatriation_share >= 0 and p.repatriation_share != params.enforcement.repatriation_share}
    return frozenset(k for k, v in on.items() if v)


def signature(params: Params, policy_type: str | None = None) -> Signature:
    """The effective signature of ``policy_type`` (default: the scenario's own) under ``params``."""
    p = params.policy
    kind = p.type if policy_type is None else policy_type
    if kind not in POLICY_TYPES:
        raise ValueError(f"policy type {kind!r} is not one of {', '.join(POLICY_TYPES)}")
    never = p.start_week > params.run.weeks or (0 <= p.end_week < p.start_week)
    if kind == "none" or never:
        return Signature(None, frozenset(), frozenset())
    mechanisms: set[str] = set()
    frequency = None
    if kind in RAIDING:
        mechanisms.update(MECHANISMS.get(kind, ()) if kind != "combined" else p.mix)
        if p.raid_frequency != params.enforcement.background_raid_frequency:
            frequency = float(p.raid_frequency)
    # Mechanisms that cannot act under these parameters.
    if "hotspot" in mechanisms and p.hotspot_weeks <= 0:
        mechanisms.discard("hotspot")  # pressure lasts zero weeks: no area is ever pressured
    if "coordinated" in mechanisms and len(applying_jurisdictions(params)) < 2:
        mechanisms.discard("coordinated")  # one applying agency: nobody to share intelligence with
    levers = _active_levers(params) if kind in ("root_causes", "combined") else frozenset()
    return Signature(frequency, frozenset(mechanisms), levers)


def equivalent_policies(params: Params, types: tuple[str, ...] | list[str] = POLICY_TYPES) -> list[tuple[str, ...]]:
    """Groups (of two or more) among ``types`` that cannot differ under ``params``, in ``types`` order."""
    groups: dict[Signature, list[str]] = {}
    for t in types:
        groups.setdefault(signature(params, t), []).append(t)
    return [tuple(g) for g in groups.values() if len(g) > 1]


def _why(params: Params, group: tuple[str, ...]) -> str:
    p, reasons = params.policy, []
    if p.start_week > params.run.weeks or (0 <= p.end_week < p.start_week):
        return f"the policy never starts (start week {p.start_week}, run of {params.run.weeks} weeks)"
    kinds = set(group)
    if kinds & {"coordinated", "combined"} and len(applying_jurisdictions(params)) < 2:
        reasons.append(f"only one jurisdiction applies the policy ({', '.join(applying_jurisdictions(params))}), "
                       "so coordination has nobody to share with")
    if kinds & {"hotspot", "combined"} and p.hotspot_weeks <= 0:
        reasons.append("policy.hotspot_weeks is 0, so no area is kept under pressure")
    if kinds & set(RAIDING) and p.raid_frequency == params.enforcement.background_raid_frequency:
        reasons.append(f"the raid frequency ({p.raid_frequency:g}) equals the background one")
    if "root_causes" in kinds and not _active_levers(params):
        reasons.append("every root-cause lever is at its neutral value")
    return "; ".join(reasons) or "their mechanisms cannot act under these parameters"


def equivalence_warnings(params: Params, types: tuple[str, ...] | list[str] = POLICY_TYPES) -> list[str]:
    """One plain sentence per group of ``types`` that cannot differ under ``params`` (empty: all can differ)."""
    return [f"{' and '.join(f'`{t}`' for t in g)} cannot differ under this scenario: {_why(params, g)}. "
            "Their results are the same run; do not read a difference between them." for g in equivalent_policies(params, types)]
