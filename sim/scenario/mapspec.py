"""The ``[map]`` of a scenario: a character layout with its jurisdiction and zone tables, or a seeded map."""

from __future__ import annotations

from typing import Any

from sim.params.declarations import JURISDICTION_FIELDS, ZONE_FIELDS, JurisdictionSpec, MapSpec, ZoneSpec
from sim.scenario.checks import _show, check_entity, suggest
from sim.world.space import OUTSIDE, seeded_map

MAP_KEYS = ("layout", "zones", "generator", "width", "height", "jurisdictions", "zone_count", "seed")
GENERATED_MAP = {"generator": "voronoi", "width": 40, "height": 28, "jurisdictions": 7, "zone_count": 3, "seed": 7}
GENERATOR_BOUNDS = (("width", 3, 500), ("height", 3, 500), ("jurisdictions", 1, 26), ("zone_count", 0, 26), ("seed", 0, None))


def entity_tables(where: str, data: dict[str, Any], kind: str, problems: list[str]) -> dict[str, Any]:
    """The top-level ``[jurisdictions]`` or ``[zones]`` table: a table of ``[KIND.NAME]`` tables."""
    tables = data.get(kind, {})
    if not isinstance(tables, dict):
        problems.append(f"{where}: {kind} = {_show(tables)} must be a table of [{kind}.NAME] tables (the map's layout "
                        f"strings go in [map] as map.{'layout' if kind == 'jurisdictions' else 'zones'})")
        return {}
    good = {}
    for name, attrs in tables.items():
        if isinstance(attrs, dict):
            good[name] = attrs
        else:
            problems.append(f"{where}: {kind}.{name} = {_show(attrs)} must be a table [{kind}.{name}] of keys "
                            f"(allowed: {', '.join(JURISDICTION_FIELDS if kind == 'jurisdictions' else ZONE_FIELDS)})")
    return good


def check_map(where: str, data: dict[str, Any], problems: list[str]) -> MapSpec | None:
    """Validate the map tables of a (merged) scenario into a ``MapSpec``; None when anything is wrong."""
    m = data.get("map", GENERATED_MAP)
    if not isinstance(m, dict):
        problems.append(f"{where}: map = {_show(m)} must be a table [map] with a layout or a generator")
        return None
    for key in m:
        if key not in MAP_KEYS:
            problems.append(f"{where}: map.{key} is not a known key of [map]{suggest(key, MAP_KEYS)}; allowed: {', '.join(MAP_KEYS)}")
    start = len(problems)
    jur_tables = entity_tables(where, data, "jurisdictions", problems)
    zone_tables = entity_tables(where, data, "zones", problems)
    if len(problems) > start:
        return None
    if "generator" in m:
        return _generated(where, m, jur_tables, zone_tables, problems)
    layout = m.get("layout")
    if not (isinstance(layout, list) and layout and all(isinstance(r, str) for r in layout)):
        problems.append(f"{where}: map.layout must be a non-empty list of strings (one per row, north first), "
                        f"or give map.generator = \"voronoi\"")
        return None
    zones_layout = m.get("zones", ["." * len(row) for row in layout])
    if not (isinstance(zones_layout, list) and all(isinstance(r, str) for r in zones_layout)):
        problems.append(f"{where}: map.zones must be a list of strings the same size as map.layout")
        return None
    return _build_map(where, tuple(layout), tuple(zones_layout), jur_tables, zone_tables, problems)


def _generated(where: str, m: dict[str, Any], jur_tables: dict[str, Any], zone_tables: dict[str, Any],
               problems: list[str]) -> MapSpec | None:
    if m["generator"] != "voronoi":
        problems.append(f"{where}: map.generator = {_show(m['generator'])} is not allowed; allowed: voronoi")
        return None
    if "layout" in m:
        problems.append(f"{where}: map.layout and map.generator cannot both be given; choose one")
        return None
    args = {**{k: v for k, v in GENERATED_MAP.items() if k != "generator"}, **{k: v for k, v in m.items() if k != "generator"}}
    for key, lo, hi in GENERATOR_BOUNDS:
        v = args.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
            upper = f" to {hi}" if hi is not None else " up"
            problems.append(f"{where}: map.{key} = {_show(v)} is not allowed; allowed: a whole number from {lo}{upper}")
    if problems:
        return None
    layout, zones_layout, jur, zones = seeded_map(args["width"], args["height"], args["jurisdictions"], args["zone_count"], args["seed"])
    # Tables in the file may refine generated jurisdictions and zones by name.
    for kind, tables, generated in (("jurisdictions", jur_tables, jur), ("zones", zone_tables, zones)):
        names = [g["name"] for g in generated]
        for name in tables:
            if name not in names:
                problems.append(f"{where}: [{kind}.{name}] names no generated {kind[:-1]}{suggest(name, names)}; "
                                f"the generated map has: {', '.join(names) or 'none'}")
    if problems:
        return None
    jur = [{**j, **jur_tables.get(j["name"], {})} for j in jur]
    zones = [{**z, **zone_tables.get(z["name"], {})} for z in zones]
    return _build_map(where, tuple(layout), tuple(zones_layout), {j.pop("name"): j for j in jur}, {z.pop("name"): z for z in zones},
                      problems)


def _build_map(where: str, layout: tuple[str, ...], zones_layout: tuple[str, ...], jur_tables: dict[str, Any],
               zone_tables: dict[str, Any], problems: list[str]) -> MapSpec | None:
    start = len(problems)
    if len({len(r) for r in layout}) != 1:
        problems.append(f"{where}: map.layout rows differ in length ({sorted({len(r) for r in layout})}); every row must be as wide")
    if len(zones_layout) != len(layout) or any(len(a) != len(b) for a, b in zip(zones_layout, layout, strict=False)):
        problems.append(f"{where}: map.zones must have the same rows and widths as map.layout")
    if not jur_tables:
        problems.append(f"{where}: no [jurisdictions.NAME] tables; each symbol in map.layout needs one")
        return None
    jurisdictions, zones = [], []
    for kind, tables, allowed, spec, out in (("jurisdictions", jur_tables, JURISDICTION_FIELDS, JurisdictionSpec, jurisdictions),
                                             ("zones", zone_tables, ZONE_FIELDS, ZoneSpec, zones)):
        for name, attrs in tables.items():
            a = check_entity(where, kind, name, attrs, allowed, problems)
            if a is not None and "symbol" not in a and "symbol" not in attrs:
                problems.append(f"{where}: {kind}.{name} has no symbol; give the character that marks it in the map")
            elif a is not None and "symbol" in a:
                out.append(spec(name=name, **a))
    symbols = [j.symbol for j in jurisdictions]
    zsymbols = [z.symbol for z in zones]
    for kind, syms in (("jurisdictions", symbols), ("zones", zsymbols)):
        dup = {s for s in syms if syms.count(s) > 1}
        if dup:
            problems.append(f"{where}: {kind} share the symbol(s) {sorted(dup)}; each needs its own")
    used = {ch for row in layout for ch in row if ch not in OUTSIDE}
    for ch in sorted(used - set(symbols)):
        problems.append(f"{where}: map.layout uses '{ch}', which no [jurisdictions.NAME] table has as its symbol; "
                        f"known symbols: {', '.join(symbols)}")
    zused = {ch for row in zones_layout for ch in row if ch not in OUTSIDE}
    for ch in sorted(zused - set(zsymbols)):
        problems.append(f"{where}: map.zones uses '{ch}', which no [zones.NAME] table has as its symbol; "
                        f"known symbols: {', '.join(zsymbols) or 'none'}")
    for kind, entities, placed, layer in (("jurisdictions", jurisdictions, used, "map.layout"), ("zones", zones, zused, "map.zones")):
        for e in entities:
            if e.symbol not in placed:
                problems.append(f"{where}: {kind}.{e.name} (symbol '{e.symbol}') has no cell in {layer}")
    names = [j.name for j in jurisdictions] + [z.name for z in zones]
    if len(set(names)) != len(names):
        problems.append(f"{where}: a zone and a jurisdiction share a name; names must be unique")
    if len(problems) > start:
        return None
    return MapSpec(layout=layout, zones_layout=zones_layout, jurisdictions=tuple(jurisdictions), zones=tuple(zones))
