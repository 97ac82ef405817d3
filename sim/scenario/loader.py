"""Scenario files: TOML in, validated ``Params`` out, with errors that name the file and the key.

A scenario file has one table per parameter section (``[run]``, ``[market]``, ... ``[policy]``,
see docs/parameters.md) and a ``[map]``: either a character ``layout`` of jurisdictions (each
described in a ``[jurisdictions.NAME]`` table, enclaves in ``[zones.NAME]`` with a ``zones``
layout), or ``generator = "voronoi"`` for seeded regions. Anything not given takes its default.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.params.declarations import (
    JURISDICTION_FIELDS,
    RAID_MODES,
    SECTIONS,
    ZONE_FIELDS,
    ZONE_KINDS,
    JurisdictionSpec,
    MapSpec,
    Params,
    ZoneSpec,
    to_dict,
)
from sim.world.space import OUTSIDE, seeded_map

MAP_KEYS = ("layout", "zones", "generator", "width", "height", "jurisdictions", "zone_count", "seed")
TOP_LEVEL = ("extends", *SECTIONS, "map", "jurisdictions", "zones")
GENERATED_MAP = {"generator": "voronoi", "width": 40, "height": 28, "jurisdictions": 7, "zone_count": 3, "seed": 7}


class ScenarioError(ValueError):
    """One or more problems in a scenario; ``problems`` lists them, each naming file and key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its parameters and where they came from."""

    params: Params
    path: str
    file_sha256: str
    overrides: tuple[str, ...] = ()

    @property
    def parameters_sha256(self) -> str:
        return params_hash(self.params)


def params_hash(params: Params) -> str:
    """Content hash of every resolved parameter (file values, defaults and overrides alike)."""
    text = json.dumps(to_dict(params), sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode()).hexdigest()


# ---- checking one value ----------------------------------------------------------------------------

def suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest option, or '' (every "unknown name" error uses it)."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_suggest = suggest


def unknown_parameter(where: str, table: str, key: str) -> str:
    """The error for a dotted key (``section.name``) that names no parameter, with a close-match hint."""
    section, _, name = key.partition(".")
    if section not in SECTIONS:
        return (f"{where}: {table}.{key} is not a parameter; its section '{section}' is not one of "
                f"{', '.join(SECTIONS)}{suggest(section, list(SECTIONS))}")
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    return f"{where}: {table}.{key} is not a known key of [{section}]{suggest(name, names)}; allowed: {', '.join(names)}"


def _kind(default: Any) -> type:
    return type(default) if not isinstance(default, bool) else bool


def check_value(where: str, key: str, value: Any, f: dataclasses.Field) -> tuple[Any, str | None]:
    """Coerce ``value`` to the field's type and check its range; returns (value, problem)."""
    default = f.default
    meta = f.metadata
    kind = _kind(default)
    ok = True
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is str:
        ok = isinstance(value, str)
    elif kind is tuple:
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    if not ok:
        expected = {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
                    tuple: "a list of names"}[kind]
        return value, f"{where}: {key} = {value!r} has the wrong type; expected {expected}"
    if meta.get("choices") and value not in meta["choices"]:
        return value, (f"{where}: {key} = {value!r} is not allowed; allowed: {', '.join(meta['choices'])}"
                       f"{_suggest(str(value), meta['choices'])}")
    lo, hi = meta.get("lo"), meta.get("hi")
    finite = kind is not float or math.isfinite(value)
    if kind in (int, float) and (not finite or (lo is not None and value < lo) or (hi is not None and value > hi)):
        rng = f"from {lo}" + (f" to {hi}" if hi is not None else " up")
        return value, f"{where}: {key} = {value!r} is out of range; allowed: {rng}, a finite number ({meta.get('unit')})"
    return value, None


def _check_section(where: str, section: str, table: Any, problems: list[str]) -> dict[str, Any]:
    cls = SECTIONS[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if not isinstance(table, dict):
        problems.append(f"{where}: [{section}] must be a table of keys, got {table!r}")
        return {}
    out = {}
    for key, value in table.items():
        if key not in fields:
            problems.append(f"{where}: {section}.{key} is not a known key of [{section}]{_suggest(key, list(fields))}; "
                            f"allowed: {', '.join(fields)}")
            continue
        value, problem = check_value(where, f"{section}.{key}", value, fields[key])
        if problem:
            problems.append(problem)
        else:
            out[key] = value
    return out


# ---- the map ---------------------------------------------------------------------------------------

def _check_map(where: str, data: dict[str, Any], problems: list[str]) -> MapSpec | None:
    m = data.get("map", GENERATED_MAP)
    if not isinstance(m, dict):
        problems.append(f"{where}: [map] must be a table")
        return None
    for key in m:
        if key not in MAP_KEYS:
            problems.append(f"{where}: map.{key} is not a known key of [map]{_suggest(key, MAP_KEYS)}; allowed: {', '.join(MAP_KEYS)}")
    jur_tables = data.get("jurisdictions", {})
    zone_tables = data.get("zones", {})
    if "generator" in m:
        if m["generator"] != "voronoi":
            problems.append(f"{where}: map.generator = {m['generator']!r} is not allowed; allowed: voronoi")
            return None
        if "layout" in m:
            problems.append(f"{where}: map.layout and map.generator cannot both be given; choose one")
            return None
        args = {**{k: v for k, v in GENERATED_MAP.items() if k != "generator"}, **{k: v for k, v in m.items() if k != "generator"}}
        for key, lo, hi in (("width", 3, 500), ("height", 3, 500), ("jurisdictions", 1, 26), ("zone_count", 0, 26), ("seed", 0, None)):
            v = args.get(key)
            if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
                upper = f" to {hi}" if hi else " up"
                problems.append(f"{where}: map.{key} = {v!r} is not allowed; allowed: a whole number from {lo}{upper}")
        if problems:
            return None
        layout, zones_layout, jur, zones = seeded_map(
            args["width"], args["height"], args["jurisdictions"], args["zone_count"], args["seed"])
        # Tables in the file may refine generated jurisdictions and zones by name.
        for kind, tables, generated in (("jurisdictions", jur_tables, jur), ("zones", zone_tables, zones)):
            names = [g["name"] for g in generated]
            for name in tables if isinstance(tables, dict) else ():
                if name not in names:
                    problems.append(f"{where}: [{kind}.{name}] names no generated {kind[:-1]}{_suggest(name, names)}; "
                                    f"the generated map has: {', '.join(names) or 'none'}")
        if problems:
            return None
        jur = [{**j, **jur_tables.get(j["name"], {})} for j in jur]
        zones = [{**z, **zone_tables.get(z["name"], {})} for z in zones]
        return _build_map(where, tuple(layout), tuple(zones_layout), {j.pop("name"): j for j in jur},
                          {z.pop("name"): z for z in zones}, problems)
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


def _entity(where: str, table_name: str, name: str, attrs: Any, allowed: dict[str, tuple[str, str]], problems: list[str]) -> dict | None:
    if not isinstance(attrs, dict):
        problems.append(f"{where}: [{table_name}.{name}] must be a table")
        return None
    out = {}
    for key, value in attrs.items():
        if key not in allowed:
            problems.append(f"{where}: {table_name}.{name}.{key} is not a known key{_suggest(key, list(allowed))}; "
                            f"allowed: {', '.join(allowed)}")
        elif key in ("symbol", "kind", "country"):
            if not isinstance(value, str):
                problems.append(f"{where}: {table_name}.{name}.{key} = {value!r} must be a string")
            elif key == "symbol" and (len(value) != 1 or value in OUTSIDE):
                problems.append(f"{where}: {table_name}.{name}.symbol = {value!r} must be one character other than '.', '~' or space")
            elif key == "kind" and value not in ZONE_KINDS:
                problems.append(f"{where}: {table_name}.{name}.kind = {value!r} is not allowed; allowed: {', '.join(ZONE_KINDS)}"
                                f"{_suggest(value, ZONE_KINDS)}")
            else:
                out[key] = value
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            problems.append(f"{where}: {table_name}.{name}.{key} = {value!r} is out of range; allowed: a number from 0 to 1")
        else:
            out[key] = float(value)
    if "symbol" not in attrs:
        problems.append(f"{where}: {table_name}.{name} has no symbol; give the character that marks it in the map")
    return out


def _build_map(where: str, layout: tuple[str, ...], zones_layout: tuple[str, ...], jur_tables: Any, zone_tables: Any,
               problems: list[str]) -> MapSpec | None:
    start = len(problems)
    if len({len(r) for r in layout}) != 1:
        problems.append(f"{where}: map.layout rows differ in length ({sorted({len(r) for r in layout})}); every row must be as wide")
    if len(zones_layout) != len(layout) or any(len(a) != len(b) for a, b in zip(zones_layout, layout, strict=False)):
        problems.append(f"{where}: map.zones must have the same rows and widths as map.layout")
    if not isinstance(jur_tables, dict) or not jur_tables:
        problems.append(f"{where}: no [jurisdictions.NAME] tables; each symbol in map.layout needs one")
        return None
    jurisdictions, zones = [], []
    for name, attrs in jur_tables.items():
        a = _entity(where, "jurisdictions", name, attrs, JURISDICTION_FIELDS, problems)
        if a is not None and "symbol" in a:
            jurisdictions.append(JurisdictionSpec(name=name, **a))
    for name, attrs in (zone_tables or {}).items():
        a = _entity(where, "zones", name, attrs, ZONE_FIELDS, problems)
        if a is not None and "symbol" in a:
            zones.append(ZoneSpec(name=name, **a))
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
    for j in jurisdictions:
        if j.symbol not in used:
            problems.append(f"{where}: jurisdictions.{j.name} (symbol '{j.symbol}') has no cell in map.layout")
    names = [j.name for j in jurisdictions] + [z.name for z in zones]
    if len(set(names)) != len(names):
        problems.append(f"{where}: a zone and a jurisdiction share a name; names must be unique")
    if len(problems) > start:
        return None
    return MapSpec(layout=layout, zones_layout=zones_layout, jurisdictions=tuple(jurisdictions), zones=tuple(zones))


# ---- whole files -----------------------------------------------------------------------------------

def check_names(where: str, params: Params, problems: list[str]) -> None:
    """Names a policy refers to must exist on the map."""
    if params.map is None:
        return
    jn = [j.name for j in params.map.jurisdictions]
    zn = [z.name for z in params.map.zones]
    for name in [*params.policy.jurisdictions, *params.policy.buffer, *params.policy.control]:
        if name not in jn:
            problems.append(f"{where}: policy names '{name}' (in jurisdictions, buffer or control), which is not a jurisdiction"
                            f"{_suggest(name, jn)}; allowed: {', '.join(jn)}")
    for key in ("cut_zones", "revoke_concessions"):
        for name in getattr(params.policy, key):
            if name not in jn + zn:
                problems.append(f"{where}: policy.{key} names '{name}', which is neither a zone nor a jurisdiction"
                                f"{_suggest(name, jn + zn)}; allowed: {', '.join(zn + jn)}")
    pol = params.policy
    for mode in pol.mix:
        if mode not in RAID_MODES:
            problems.append(f"{where}: policy.mix names '{mode}', which is not a raid mode{_suggest(mode, RAID_MODES)}; "
                            f"allowed: {', '.join(RAID_MODES)}")
    # Root-cause levers and the raid-mode mix may be set whatever the type (so one sweep can vary the
    # type over fixed lever settings); a type uses only the mechanisms it has (docs/ODD.md).
    if params.policy.end_week >= 0 and params.policy.end_week < params.policy.start_week:
        problems.append(f"{where}: policy.end_week = {params.policy.end_week} is before policy.start_week = "
                        f"{params.policy.start_week}; allowed: -1 (no end) or a week from start_week on")


def parse_overrides(items: list[str] | tuple[str, ...]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``section.key=value`` strings to nested tables; values are read as TOML (bare words as strings)."""
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or "." not in key:
            problems.append(f"--set {item!r}: expected section.key=value, e.g. policy.raid_frequency=12")
            continue
        section, name = key.split(".", 1)
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        out.setdefault(section, {})[name] = value
    return out, problems


def params_from_dict(data: dict[str, Any], where: str, overrides: tuple[str, ...] = ()) -> Params:
    """Validate a parsed scenario (and ``--set`` overrides) into ``Params``; raises ScenarioError."""
    problems: list[str] = []
    extra, override_problems = parse_overrides(overrides)
    problems += override_problems
    for key in data:
        if key not in TOP_LEVEL:
            problems.append(f"{where}: [{key}] is not a known table{_suggest(key, TOP_LEVEL)}; allowed: {', '.join(TOP_LEVEL)}")
    sections: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        sections[section] = _check_section(where, section, data.get(section, {}), problems)
    for section, table in extra.items():
        if section not in SECTIONS:
            problems.append(f"--set: [{section}] is not a parameter section{_suggest(section, list(SECTIONS))}; "
                            f"allowed: {', '.join(SECTIONS)}")
            continue
        sections[section].update(_check_section("--set", section, table, problems))
    spec = _check_map(where, data, problems)
    if problems:
        raise ScenarioError(problems)
    params = Params(**{s: SECTIONS[s](**kv) for s, kv in sections.items()}, map=spec)
    check_names(where, params, problems)
    if problems:
        raise ScenarioError(problems)
    return params


def read_toml(path: Path, kind: str = "scenario") -> tuple[str, dict[str, Any]]:
    """A TOML file's text and tables; a ScenarioError naming the file when it cannot be read or parsed."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read the {kind} file ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"{path}: not valid UTF-8 text: {exc}"]) from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{path}: not valid TOML: {exc}"]) from exc


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, table by table (a value in ``top`` replaces the same key in ``base``)."""
    out = dict(base)
    for key, value in top.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> tuple[bytes, dict[str, Any]]:
    """A file's tables merged over those of the file it ``extends`` (recursively), and its hash input."""
    text, data = read_toml(path)
    raw = text.encode("utf-8")
    parent = data.pop("extends", None)
    if parent is None:
        return raw, data
    if not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends = {parent!r} must be a path to another scenario file"])
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        raise ScenarioError([f"{path}: extends = {parent!r} makes a cycle of scenario files"])
    if not parent_path.exists():
        raise ScenarioError([f"{path}: extends = {parent!r}: no such file ({parent_path})"])
    parent_raw, parent_data = _resolve(parent_path, (*seen, path.resolve()))
    return parent_raw + b"\n" + raw, merge(parent_data, data)


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario file; raises ScenarioError naming the file and each bad key.

    A file may start with ``extends = "other.toml"`` (relative to itself): it then holds only what
    differs from that scenario. The recorded hash covers every file in the chain.
    """
    path = Path(path)
    raw, data = _resolve(path)
    params = params_from_dict(data, str(path), tuple(overrides))
    return Scenario(params=params, path=str(path), file_sha256=hashlib.sha256(raw).hexdigest(), overrides=tuple(overrides))


def default_params() -> Params:
    """The built-in parameters on the default generated map (what ``ScamModel()`` runs)."""
    return params_from_dict({}, "<defaults>")
