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
from sim.params.declarations import RAID_MODES, SECTIONS, Params, PolicyParams, to_dict
from sim.scenario import actornames
from sim.scenario.checks import ScenarioError, _show, check_section, check_value, suggest, unknown_parameter
from sim.scenario.mapspec import GENERATED_MAP, MAP_KEYS, check_map, entity_tables
from sim.scenario.timeline import RawEvent, check_entries, resolve_events

__all__ = ["GENERATED_MAP", "MAP_KEYS", "TOP_LEVEL", "Scenario", "ScenarioError", "check_value", "default_params", "load_scenario",
           "params_from_dict", "params_hash", "read_toml", "suggest", "unknown_parameter"]

TOP_LEVEL = ("extends", *SECTIONS, "timeline", "timeline_append", "map", "jurisdictions", "zones")
TIMELINE_TABLES = ("timeline", "timeline_append")
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

def check_names(where: str, params: Params, problems: list[str], overridden: frozenset[str] = frozenset(),
                event_where: tuple[tuple[str, str], ...] = ()) -> None:
    """Names a policy refers to must exist on the map (``overridden`` keys are blamed on ``--set``).

    ``event_where`` gives each timeline event's file and label (``[[timeline]] #2 (name)``); without it
    the events are labelled by their place and name, blamed on ``where``.
    """
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

    _check_policy_names(params.policy, "policy", src, jn, zn, problems)
    for i, event in enumerate(params.timeline):
        file, label = event_where[i] if i < len(event_where) else (where, f"[[timeline]] #{i + 1} ({event.name})")
        _check_policy_names(event, label, lambda _k, f=file: f, jn, zn, problems)
        problems.extend(actornames.event_problems(file, label, params, event))


def _check_policy_names(pol: PolicyParams, label: str, src, jn: list[str], zn: list[str], problems: list[str]) -> None:
    """One policy's (or one timeline event's) names and window; ``label`` prefixes each key (``policy``)."""
    for key in ("jurisdictions", "buffer", "control"):
        for name in getattr(pol, key):
            if name not in jn:
                problems.append(f"{src(key)}: {label}.{key} names '{name}', which is not a jurisdiction"
                                f"{_suggest(name, jn)}; allowed: {', '.join(jn)}")
    for key in ("cut_zones", "revoke_concessions"):
        for name in getattr(pol, key):
            if name not in jn + zn:
                problems.append(f"{src(key)}: {label}.{key} names '{name}', which is neither a zone nor a jurisdiction"
                                f"{_suggest(name, jn + zn)}; allowed: {', '.join(zn + jn)}")
    for mode in pol.mix:
        if mode not in RAID_MODES:
            problems.append(f"{src('mix')}: {label}.mix names '{mode}', which is not a raid mode{_suggest(mode, RAID_MODES)}; "
                            f"allowed: {', '.join(RAID_MODES)}")
    # Root-cause levers and the raid-mode mix may be set whatever the type (so one sweep can vary the
    # type over fixed lever settings); a type uses only the mechanisms it has (docs/ODD.md).
    if label == "policy" and pol.end_week >= 0 and pol.end_week < pol.start_week:  # events' windows: sim.scenario.timeline
        problems.append(f"{src('end_week')}: policy.end_week = {pol.end_week} is before policy.start_week = "
                        f"{pol.start_week}; allowed: -1 (no end) or a week from start_week on")


def _check_one_policy(events: tuple[PolicyParams, ...], raw: list[RawEvent], policy: dict[str, Any], policy_where: str,
                      extra: dict[str, dict[str, Any]], problems: list[str]) -> None:
    """A run has one policy or a timeline, not both; with a timeline, ``--set`` cannot edit the policy."""
    if not raw:
        return
    if "policy" in extra:
        keys = ", ".join(f"policy.{k}" for k in extra["policy"])
        problems.append(f"--set {keys}: this scenario's policy is a [[timeline]] ({raw[0].where}), so [policy] is not used, "
                        f"and --set cannot edit timeline entries; edit the [[timeline]] in the scenario file")
    elif policy.get("type", "none") != "none":
        problems.append(f"{policy_where}: [policy] type = {policy['type']!r} and a [[timeline]] ({raw[0].where}) are both given; "
                        f"allowed: one of them (a timeline replaces the inherited [policy]; put this policy in the timeline "
                        f"as an event, or set policy.type = \"none\")")


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
    raw_events: list[RawEvent] = []
    policy_where = chain[-1][0]
    for where, data in chain:
        if "timeline" in data:  # a file's own timeline replaces the inherited timeline and the inherited [policy]
            raw_events = check_entries(where, "timeline", data["timeline"], problems)
            sections["policy"] = {}
        if "timeline_append" in data:  # ... or adds events to the inherited timeline
            raw_events = raw_events + check_entries(where, "timeline_append", data["timeline_append"], problems)
        for section, table in _check_file(where, data, problems).items():
            sections[section].update(table)
            if section == "policy" and "type" in table:
                policy_where = where
        before = len(problems)
        entity_tables(where, data, "jurisdictions", problems)
        entity_tables(where, data, "zones", problems)
        entities_ok &= len(problems) == before
        if any(k in data for k in ("map", "jurisdictions", "zones")):
            map_where = where
        merged = merge(merged, data)
    for section, table in extra.items():
        if section in TIMELINE_TABLES:
            problems.append(f"--set: {section} entries cannot be set from the command line; edit the [[timeline]] "
                            f"in the scenario file (or extend it with a file holding the changed timeline)")
            continue
        if section not in SECTIONS:
            problems.append(f"--set: [{section}] is not a parameter section{_suggest(section, list(SECTIONS))}; "
                            f"allowed: {', '.join(SECTIONS)}")
            continue
        sections[section].update(check_section("--set", section, table, problems))
    spec = check_map(map_where, merged, problems) if entities_ok else None
    run_where = next((w for w, d in reversed(chain) if isinstance(d.get("run"), dict) and "start_date" in d["run"]), chain[-1][0])
    events = resolve_events(raw_events, sections["run"].get("start_date", ""), run_where, problems)
    _check_one_policy(events, raw_events, sections["policy"], policy_where, extra, problems)
    if problems:
        raise ScenarioError(problems)
    params = Params(**{s: SECTIONS[s](**kv) for s, kv in sections.items()}, timeline=events, map=spec)
    overridden = frozenset(f"{s}.{k}" for s, table in extra.items() for k in table)
    check_names(chain[-1][0], params, problems, overridden, tuple((e.where, e.label) for e in raw_events))
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
