"""Checking one value, one section or one map entity against the parameter declarations.

Every problem is a sentence naming the file (``where``), the key, what was wrong and what is
allowed; the callers collect them so that a user sees every problem of a file at once.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any

from sim.params.declarations import SECTIONS, ZONE_KINDS, value_kind
from sim.world.space import OUTSIDE


class ScenarioError(ValueError):
    """One or more problems in a scenario; ``problems`` lists them, each naming file and key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest option, or '' (every "unknown name" error uses it)."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_parameter(where: str, table: str, key: str) -> str:
    """The error for a dotted key (``section.name``) that names no parameter, with a close-match hint."""
    section, _, name = key.partition(".")
    if section not in SECTIONS:
        return (f"{where}: {table}.{key} is not a parameter; its section '{section}' is not one of "
                f"{', '.join(SECTIONS)}{suggest(section, list(SECTIONS))}")
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    return f"{where}: {table}.{key} is not a known key of [{section}]{suggest(name, names)}; allowed: {', '.join(names)}"


EXPECTED = {bool: "true or false", int: "a whole number", float: "a number", str: "a string", tuple: "a list of names"}


def check_value(where: str, key: str, value: Any, f: dataclasses.Field) -> tuple[Any, str | None]:
    """Coerce ``value`` to the field's type and check its range; returns (value, problem)."""
    meta = f.metadata
    kind = value_kind(f)
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
        return value, f"{where}: {key} = {_show(value)} has the wrong type; expected {EXPECTED[kind]}"
    if meta.get("choices") and value not in meta["choices"]:
        return value, (f"{where}: {key} = {value!r} is not allowed; allowed: {', '.join(meta['choices'])}"
                       f"{suggest(str(value), meta['choices'])}")
    lo, hi = meta.get("lo"), meta.get("hi")
    finite = kind is not float or math.isfinite(value)
    if kind in (int, float) and (not finite or (lo is not None and value < lo) or (hi is not None and value > hi)):
        rng = f"from {lo}" + (f" to {hi}" if hi is not None else " up")
        return value, f"{where}: {key} = {value!r} is out of range; allowed: {rng}, a finite number ({meta.get('unit')})"
    return value, None


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it, cut short when it is long (a deep table, a huge list)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_section(where: str, section: str, table: Any, problems: list[str]) -> dict[str, Any]:
    """The valid keys of one ``[section]`` table, coerced; every bad key appended to ``problems``."""
    cls = SECTIONS[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if not isinstance(table, dict):
        problems.append(f"{where}: [{section}] must be a table of keys, got {_show(table)}")
        return {}
    return check_keys(where, section, f"[{section}]", table, fields, list(fields), problems)


def check_keys(where: str, prefix: str, what: str, table: dict[str, Any], fields: dict[str, dataclasses.Field],
               allowed: list[str] | tuple[str, ...], problems: list[str]) -> dict[str, Any]:
    """The valid keys of one table (a ``[section]``, a timeline event), each value checked and coerced against its
    declared field; an unknown key (with a suggestion from ``allowed``) or a bad value is appended to ``problems``."""
    out = {}
    for key, value in table.items():
        if key not in fields:
            problems.append(f"{where}: {prefix}.{key} is not a known key of {what}{suggest(key, allowed)}; "
                            f"allowed: {', '.join(allowed)}")
            continue
        value, problem = check_value(where, f"{prefix}.{key}", value, fields[key])
        if problem:
            problems.append(problem)
        else:
            out[key] = value
    return out


def check_entity(where: str, table_name: str, name: str, attrs: Any, allowed: dict[str, tuple[str, str]],
                 problems: list[str]) -> dict | None:
    """One ``[jurisdictions.NAME]`` or ``[zones.NAME]`` table: known keys, strings and shares in [0, 1]."""
    if not isinstance(attrs, dict):
        problems.append(f"{where}: [{table_name}.{name}] must be a table of keys (symbol = ..., governance = ...), "
                        f"got {_show(attrs)}")
        return None
    out = {}
    for key, value in attrs.items():
        if key not in allowed:
            problems.append(f"{where}: {table_name}.{name}.{key} is not a known key{suggest(key, list(allowed))}; "
                            f"allowed: {', '.join(allowed)}")
        elif key in ("symbol", "kind", "country"):
            if not isinstance(value, str):
                problems.append(f"{where}: {table_name}.{name}.{key} = {_show(value)} must be a string")
            elif key == "symbol" and (len(value) != 1 or value in OUTSIDE):
                problems.append(f"{where}: {table_name}.{name}.symbol = {value!r} must be one character other than '.', '~' or space")
            elif key == "kind" and value not in ZONE_KINDS:
                problems.append(f"{where}: {table_name}.{name}.kind = {value!r} is not allowed; allowed: {', '.join(ZONE_KINDS)}"
                                f"{suggest(value, ZONE_KINDS)}")
            else:
                out[key] = value
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{where}: {table_name}.{name}.{key} = {_show(value)} has the wrong type; expected a number from 0 to 1")
        elif not 0 <= value <= 1:
            problems.append(f"{where}: {table_name}.{name}.{key} = {value!r} is out of range; allowed: a number from 0 to 1")
        else:
            out[key] = float(value)
    return out
