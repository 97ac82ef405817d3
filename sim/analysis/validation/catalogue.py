"""What a validation suite is made of: the runs its patterns need (``Variant``) and the ``Catalogue``.

The machinery (``runner``, ``report``) knows no place names: a region plugs in a ``Catalogue`` of
patterns, variants and shock replays (``sim.analysis.validation.mekong`` is the one shipped).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.validation.criteria import Pattern
from sim.common.resources import shipped
from sim.measures.run import counterfactual_params
from sim.params.declarations import Params, PolicyParams

SCENARIOS = shipped("scenarios")


@dataclass(frozen=True)
class Variant:
    """A run a pattern needs: the scenario with its policy replaced (or kept, or switched off)."""

    name: str
    description: str
    shock_file: str | None = None  # relative to scenarios/: take that file's [policy]
    policy: dict[str, Any] | None = None  # a [policy] table written here
    counterfactual: bool = False  # the scenario with its policy switched off
    overrides: dict[str, Any] | None = None  # dotted parameter values set first (``{"premises.enabled": True}``)


@dataclass(frozen=True)
class Catalogue:
    """A region's validation suite as data: patterns, the variants they name, and shock replays.

    ``scenario_variant`` and ``counterfactual_variant`` name the variants of the headline answer (the
    scenario's policy against its no-policy counterfactual); ``last_year`` is how reports call the
    run's last 52 weeks (a calendar year when the scenario has a calendar).
    """

    patterns: tuple[Pattern, ...]
    variants: dict[str, Variant]
    shocks: dict[str, str]  # name -> scenario file (relative to scenarios/) whose [policy] is the shock
    scenario_variant: str = "status_quo"
    counterfactual_variant: str = "counterfactual"
    last_year: str = "the last year"


class VariantUnavailable(ValueError):
    """The variant names jurisdictions or zones the scenario's map does not have."""


def policy_from_table(table: dict[str, Any]) -> PolicyParams:
    """A ``[policy]`` table written as data (lists for tuples, ints for floats) as ``PolicyParams``."""
    fields = {f.name: f for f in dataclasses.fields(PolicyParams)}
    values = {}
    for key, value in table.items():
        kind = type(fields[key].default)
        values[key] = tuple(value) if kind is tuple else (float(value) if kind is float else value)
    return PolicyParams(**values)


def variant_params(params: Params, variant: Variant, scenarios_dir: Path = SCENARIOS) -> Params:
    """The scenario's parameters with the variant's overrides and policy (raises VariantUnavailable)."""
    if variant.overrides:
        params = params.with_values(variant.overrides)
    if variant.counterfactual:
        return counterfactual_params(params)
    if variant.shock_file is None and variant.policy is None:
        return params
    if variant.shock_file is not None:
        from sim.scenario.loader import load_scenario

        policy = load_scenario(scenarios_dir / variant.shock_file).params.policy
    else:
        policy = policy_from_table(variant.policy or {})
    names = {j.name for j in params.map.jurisdictions} | {z.name for z in params.map.zones}
    used = {*policy.jurisdictions, *policy.buffer, *policy.control, *policy.cut_zones, *policy.revoke_concessions}
    missing = sorted(used - names)
    if missing:
        raise VariantUnavailable(f"variant {variant.name} names {', '.join(missing)}, not on this scenario's map")
    return params.replace(policy=policy)
