"""The design's values: factor values (lists, single values and ranges) and explicit points.

Each value is checked against the ``Params`` field it sets exactly as in a scenario file, so an error
names the file and the key (``factors.policy.type[1]``, ``points[0].relocation.base_cost``) and
suggests close matches. Problems are appended to ``problems``; a bad value is left out.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from sim.experiments.fields import RANGE_KEYS, flatten_params, value_kind
from sim.scenario.loader import check_value, unknown_parameter
from sim.scenario.loader import suggest as _suggest

#: Keys an experiment may not vary: seeds come from the experiment's base seed and the replication.
FIXED_KEYS = ("run.seed",)


def check_key(where: str, table: str, key: str, fields: dict[str, dataclasses.Field], problems: list[str]) -> bool:
    if key in fields and key not in FIXED_KEYS:
        return True
    if key in FIXED_KEYS:
        problems.append(f"{where}: {table}.{key} cannot be set by an experiment; seeds come from experiment.seed "
                        f"and the replication number")
        return False
    problems.append(unknown_parameter(where, table, key))
    return False


def _range_values(where: str, key: str, spec: dict[str, Any], f: dataclasses.Field, problems: list[str]) -> list[Any]:
    missing = [k for k in RANGE_KEYS if k not in spec]
    extra = [k for k in spec if k not in RANGE_KEYS]
    for k in extra:
        problems.append(f"{where}: factors.{key}.{k} is not a key of a range{_suggest(k, RANGE_KEYS)}; allowed: start, step, end")
    if missing or extra:
        if missing:
            problems.append(f"{where}: factors.{key} range lacks {', '.join(missing)}; give {{start = ..., step = ..., end = ...}}")
        return []
    start, step, end = (spec[k] for k in RANGE_KEYS)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (start, step, end)):
        problems.append(f"{where}: factors.{key} = {spec!r}: start, step and end must be numbers")
        return []
    if value_kind(f) not in (int, float):
        problems.append(f"{where}: factors.{key} is not numeric, so it cannot take a range; list its values instead")
        return []
    if step == 0 or (end - start) * step < 0:
        problems.append(f"{where}: factors.{key}.step = {step!r} never gets from start = {start!r} to end = {end!r}; "
                        f"use a step of the sign of end - start, not 0")
        return []
    n = math.floor((end - start) / step + 1e-9) + 1
    if n > 10000:
        problems.append(f"{where}: factors.{key} range gives {n} values; at most 10000 allowed")
        return []
    if value_kind(f) is int:
        if not all(isinstance(x, int) for x in (start, step, end)):
            problems.append(f"{where}: factors.{key} is a whole number, so start, step and end must be whole numbers")
            return []
        return [start + i * step for i in range(n)]
    # Round away float fuzz (0.1 + 2 * 0.1 = 0.30000000000000004).
    return [float(round(start + i * step, 10)) for i in range(n)]


def factor_values(where: str, key: str, value: Any, f: dataclasses.Field, problems: list[str]) -> list[Any]:
    start = len(problems)
    if isinstance(value, dict):
        raw = _range_values(where, key, value, f, problems)
    elif isinstance(value, list) and value_kind(f) is not tuple:
        raw = value
        if not raw:
            problems.append(f"{where}: factors.{key} is an empty list; give at least one value")
    elif isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        raw = value  # a list of name lists for a name-list parameter
    else:
        raw = [value]  # one value: a fixed setting that still appears as a column
    out = []
    for i, v in enumerate(raw):
        label = f"factors.{key}" + (f"[{i}]" if len(raw) > 1 or isinstance(value, list) else "")
        v, problem = check_value(where, label, v, f)
        if problem:
            problems.append(problem)
        else:
            out.append(v)
    seen = set()
    for v in out:
        if v in seen:
            problems.append(f"{where}: factors.{key} lists {v!r} more than once")
        seen.add(v)
    return out if len(problems) == start else []


def explicit_points(where: str, raw: Any, fields: dict[str, dataclasses.Field], problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        problems.append(f"{where}: [[points]] must be an array of tables, one per point, e.g. "
                        f"[[points]] then \"policy.raid_frequency\" = 24")
        return []
    out: list[dict[str, Any]] = []
    for i, p in enumerate(raw):
        point = {}
        for key, v in flatten_params(p).items():
            if not check_key(where, f"points[{i}]", key, fields, problems):
                continue
            v, problem = check_value(where, f"points[{i}].{key}", v, fields[key])
            if problem:
                problems.append(problem)
            else:
                point[key] = v
        if not p:
            problems.append(f"{where}: points[{i}] is empty; give at least one parameter")
        if point in out:
            problems.append(f"{where}: points[{i}] repeats points[{out.index(point)}]")
        out.append(point)
    return out
