"""Checks of the names and series the issue #13 parameters refer to (protectors, syndicates, campaigns).

``problems`` returns one message per bad value, naming the file (or ``--set``), the key, what was
wrong and what is allowed, in the form ``sim.scenario.loader.check_names`` collects. The model checks
the same things when it is built (a ValueError), so a scenario that skips the loader still fails early.
"""

from __future__ import annotations

from sim.params.declarations import Params, PolicyParams
from sim.rules.campaigns import parse_series
from sim.rules.protection import parse_ids, parse_shifts, parse_territories


def problems(where: str, params: Params, overridden: frozenset[str] = frozenset()) -> list[str]:
    """Every bad protector name, syndicate id, zone name or week:level series in ``params``."""
    if params.map is None:
        return []
    jn = [j.name for j in params.map.jurisdictions]
    zn = [z.name for z in params.map.zones]
    found: list[str] = []

    def src(key: str) -> str:
        return "--set" if key in overridden else where

    def attempt(key: str, check) -> object:
        try:
            return check()
        except ValueError as exc:
            found.append(f"{src(key)}: {exc}")
            return None

    named = attempt("protectors.territories", lambda: parse_territories(tuple(zn), params.protectors.territories))
    names = named[0] if named else tuple(zn)
    attempt("protectors.shifts", lambda: parse_shifts(params.protectors.shifts, names))
    n = params.operators.syndicates
    for key in ("policy.freeze_syndicates", "policy.extradite_syndicates", "campaigns.target_syndicates"):
        section, name = key.split(".")
        attempt(key, lambda s=section, k=name, key=key: parse_ids(getattr(getattr(params, s), k), key, n))
    for key in ("campaigns.scheduled", "campaigns.foreign_pressure"):
        attempt(key, lambda key=key: parse_series(getattr(params.campaigns, key.split(".")[1]), key))
    lists = (("policy.sanction_protectors", names, "protector"), ("campaigns.target_protectors", names, "protector"),
             ("campaigns.jurisdictions", jn, "jurisdiction"), ("campaigns.target_zones", zn + jn, "zone or jurisdiction"),
             ("policy.raid_zones", zn + jn, "zone or jurisdiction"))
    for key, allowed, kind in lists:
        section, name = key.split(".")
        for value in getattr(getattr(params, section), name):
            if value not in allowed:
                found.append(f"{src(key)}: {key} names '{value}', which is not a {kind}; allowed: {', '.join(allowed) or 'none'}")
    return found


def event_problems(where: str, label: str, params: Params, event: PolicyParams) -> list[str]:
    """A timeline event's protector names, syndicate ids and raid zones (``label``: ``[[timeline]] #2 (name)``)."""
    if params.map is None:
        return []
    jn = [j.name for j in params.map.jurisdictions]
    zn = [z.name for z in params.map.zones]
    try:
        names = parse_territories(tuple(zn), params.protectors.territories)[0]
    except ValueError:
        names = tuple(zn)  # the territories' own problem is reported under protectors.territories
    found = []
    for key in ("freeze_syndicates", "extradite_syndicates"):
        try:
            parse_ids(getattr(event, key), f"{label}.{key}", params.operators.syndicates)
        except ValueError as exc:
            found.append(f"{where}: {exc}")
    for key, allowed, kind in (("sanction_protectors", names, "protector"), ("raid_zones", zn + jn, "zone or jurisdiction")):
        for value in getattr(event, key):
            if value not in allowed:
                found.append(f"{where}: {label}.{key} names '{value}', which is not a {kind}; allowed: {', '.join(allowed) or 'none'}")
    return found
