"""How a parameter is declared (``param``) and the named choices parameters take."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any

POLICY_TYPES = ("none", "case_by_case", "hotspot", "network", "coordinated", "root_causes", "combined")
RAID_MODES = ("hotspot", "network", "coordinated")
ROOT_CAUSE_LEVERS = ("aml_share", "infrastructure_cut", "cut_zones", "cut_substitutes", "inflow_reduction",
                     "protection_sanctions", "revoke_concessions", "repatriation_share", "demand_reduction",
                     "screening_cost", "awareness_campaign")
ZONE_KINDS = ("sez", "armed_group", "other")
#: How operators form their belief about a jurisdiction's raid hazard (``enforcement.risk_belief``).
RISK_BELIEFS = ("announced_capacity", "learned")
#: How operators form their belief about the raid hazard overseas (``overseas.risk_belief``).
OVERSEAS_BELIEFS = ("fixed", "learned")


def param(
    default: Any,
    unit: str,
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    source: str = "assumption",
) -> Any:
    """Declare a parameter field with its unit, meaning, range and source."""
    meta = {"unit": unit, "doc": doc, "lo": lo, "hi": hi, "choices": choices, "source": source}
    return field(default=default, metadata=meta)


def value_kind(f: dataclasses.Field) -> type:
    """The type of a parameter's values, from its default (a bool is its own kind, not an int)."""
    d = f.default
    return bool if isinstance(d, bool) else type(d)
