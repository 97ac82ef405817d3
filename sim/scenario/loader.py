"""Scenario files: TOML in, validated ``Params`` out, with errors that name the file and the key.

A scenario file has one table per parameter section (``[run]``, ``[market]``, ... ``[policy]``,
see docs/parameters.md) and a ``[map]``: either a character ``layout`` of jurisdictions (each
described in a ``[jurisdictions.NAME]`` table, enclaves in ``[zones.NAME]`` with a ``zones``
layout), or ``generator = "voronoi"`` for seeded regions. Anything not given takes its default.
A file may ``extends`` another; each file's own keys are checked under its own name, so an error
in a parent file is reported against the parent.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.common.files import is_folder_name
from sim.params.declarations import RAID_MODES, SECTIONS, Params, to_dict
from sim.scenario.checks import ScenarioError, _show, check_section, check_value, suggest, unknown_parameter
from sim.scenario.mapspec import GENERATED_MAP, MAP_KEYS, check_map, entity_tables

__all__ = ["GENERATED_MAP", "MAP_KEYS", "TOP_LEVEL", "Scenario", "ScenarioError", "check_value", "default_params", "load_scenario",
           "params_from_dict", "params_hash", "read_toml", "suggest", "unknown_parameter"]

TOP_LEVEL = ("extends", *SECTIONS, "map", "jurisdictions", "zones")
MAX_EXTENDS = 32  # files in one ``extends`` chain; a longer chain is a mistake, not a scenario
_suggest = suggest


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


# ---- whole files -----------------------------------------------------------------------------------

def check_names(where: str, params: Params, problems: list[str], overridden: frozenset[str] = frozenset()) -> None:
    """Names a policy refers to must exist on the map (``overridden`` keys are blamed on ``--set``)."""
    if not is_folder_name(params.run.name):
        src = "--set" if "run.name" in overridden else where
        problems.append(f"{src}: run.name = {params.run.name!r} must be usable as one folder name (it names the run's output "
                        f"folder): no '/' or '\\', not starting with '.', at most 200 characters")
    if params.map is None:
        return
    jn = [j.name for j in params.map.jurisdictions]
    zn = [z.name for z in params.map.zones]
    def src(key: str) -> str:
        return "--set" if f"policy.{key}" in overridden else where

    for key in ("jurisdictions", "buffer", "control"):
        for name in getattr(params.policy, key):
            if name not in jn:
                problems.append(f"{src(key)}: policy.{key} names '{name}', which is not a jurisdiction"
                                f"{_suggest(name, jn)}; allowed: {', '.join(jn)}")
    for key in ("cut_zones", "revoke_concessions"):
        for name in getattr(params.policy, key):
            if name not in jn + zn:
                problems.append(f"{src(key)}: policy.{key} names '{name}', which is neither a zone nor a jurisdiction"
                                f"{_suggest(name, jn + zn)}; allowed: {', '.join(zn + jn)}")
    pol = params.policy
    for mode in pol.mix:
        if mode not in RAID_MODES:
            problems.append(f"{src('mix')}: policy.mix names '{mode}', which is not a raid mode{_suggest(mode, RAID_MODES)}; "
                            f"allowed: {', '.join(RAID_MODES)}")
    # Root-cause levers and the raid-mode mix may be set whatever the type (so one sweep can vary the
    # type over fixed lever settings); a type uses only the mechanisms it has (docs/ODD.md).
    if params.policy.end_week >= 0 and params.policy.end_week < params.policy.start_week:
        problems.append(f"{src('end_week')}: policy.end_week = {params.policy.end_week} is before policy.start_week = "
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


def _check_file(where: str, data: dict[str, Any], problems: list[str]) -> dict[str, dict[str, Any]]:
    """One file's own tables: known top-level keys, section values, and its jurisdiction and zone entries."""
    for key in data:
        if key not in TOP_LEVEL:
            problems.append(f"{where}: [{key}] is not a known table{_suggest(key, TOP_LEVEL)}; allowed: {', '.join(TOP_LEVEL)}")
    return {section: check_section(where, section, data[section], problems) for section in SECTIONS if section in data}


def _validate(chain: list[tuple[str, dict[str, Any]]], overrides: tuple[str, ...]) -> Params:
    """Check every file of an ``extends`` chain (parents first) under its own name, then the merged result."""
    problems: list[str] = []
    extra, override_problems = parse_overrides(overrides)
    problems += override_problems
    sections: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    merged: dict[str, Any] = {}
    map_where = chain[-1][0]
    entities_ok = True
    for where, data in chain:
        for section, table in _check_file(where, data, problems).items():
            sections[section].update(table)
        before = len(problems)
        entity_tables(where, data, "jurisdictions", problems)
        entity_tables(where, data, "zones", problems)
        entities_ok &= len(problems) == before
        if any(k in data for k in ("map", "jurisdictions", "zones")):
            map_where = where
        merged = merge(merged, data)
    for section, table in extra.items():
        if section not in SECTIONS:
            problems.append(f"--set: [{section}] is not a parameter section{_suggest(section, list(SECTIONS))}; "
                            f"allowed: {', '.join(SECTIONS)}")
            continue
        sections[section].update(check_section("--set", section, table, problems))
    spec = check_map(map_where, merged, problems) if entities_ok else None
    if problems:
        raise ScenarioError(problems)
    params = Params(**{s: SECTIONS[s](**kv) for s, kv in sections.items()}, map=spec)
    overridden = frozenset(f"{s}.{k}" for s, table in extra.items() for k in table)
    check_names(chain[-1][0], params, problems, overridden)
    if problems:
        raise ScenarioError(problems)
    return params


def params_from_dict(data: dict[str, Any], where: str, overrides: tuple[str, ...] = ()) -> Params:
    """Validate a parsed scenario (and ``--set`` overrides) into ``Params``; raises ScenarioError."""
    if not isinstance(data, dict):
        raise ScenarioError([f"{where}: a scenario must be a table of tables, got {_show(data)}"])
    return _validate([(where, data)], tuple(overrides))


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
    except RecursionError as exc:
        raise ScenarioError([f"{path}: tables or lists are nested too deeply to read; a {kind} file needs at most a few levels"]) from exc


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, table by table (a value in ``top`` replaces the same key in ``base``)."""
    out = dict(base)
    for key, value in top.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def resolve_chain(path: Path) -> list[tuple[Path, bytes, dict[str, Any]]]:
    """The files of an ``extends`` chain, the base first: each file's path, bytes and tables (without ``extends``)."""
    chain: list[tuple[Path, bytes, dict[str, Any]]] = []
    seen: set[Path] = set()
    while True:
        text, data = read_toml(path)
        seen.add(path.resolve())
        parent = data.pop("extends", None)
        chain.append((path, text.encode("utf-8"), data))
        if parent is None:
            return chain[::-1]
        if not isinstance(parent, str):
            raise ScenarioError([f"{path}: extends = {_show(parent)} must be a path to another scenario file"])
        parent_path = (path.parent / parent).resolve()
        if parent_path in seen:
            raise ScenarioError([f"{path}: extends = {parent!r} makes a cycle of scenario files"])
        if not parent_path.is_file():
            raise ScenarioError([f"{path}: extends = {parent!r}: no such file ({parent_path})"])
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError([f"{path}: extends = {parent!r}: the chain of scenario files is longer than {MAX_EXTENDS}; "
                                 f"allowed: at most {MAX_EXTENDS} files"])
        path = parent_path


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario file; raises ScenarioError naming the file and each bad key.

    A file may start with ``extends = "other.toml"`` (relative to itself): it then holds only what
    differs from that scenario. The recorded hash covers every file in the chain.
    """
    path = Path(path)
    chain = resolve_chain(path)
    params = _validate([(str(p) if p != path else str(path), data) for p, _, data in chain], tuple(overrides))
    raw = b"\n".join(r for _, r, _ in chain)
    return Scenario(params=params, path=str(path), file_sha256=hashlib.sha256(raw).hexdigest(), overrides=tuple(overrides))


def default_params() -> Params:
    """The built-in parameters on the default generated map (give them to ``ScamModel`` to run the defaults)."""
    return params_from_dict({}, "<defaults>")
