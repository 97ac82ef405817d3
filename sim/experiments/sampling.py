"""Sampled design points: ``[sample]``, a Latin hypercube over numeric parameters' bounds.

The unit-cube sample comes from ``sim.common.stats.latin_hypercube`` (scipy's ``qmc.LatinHypercube``)
seeded with ``sample.seed``, by default the experiment's seed, so a design is the same every time it
is read. Whole-number parameters are rounded; others keep six significant digits.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.common.stats import latin_hypercube
from sim.experiments.factors import check_key
from sim.experiments.fields import flatten_params, value_kind
from sim.scenario.loader import check_value
from sim.scenario.loader import suggest as _suggest

SAMPLE_KEYS = ("method", "count", "seed", "bounds")
SAMPLE_METHODS = ("latin_hypercube",)


def _settings(where: str, t: dict[str, Any], default_seed: int, problems: list[str]) -> tuple[Any, Any]:
    """The table's keys, method, count and seed checked; returns (count, seed) as given."""
    for k in t:
        if k not in SAMPLE_KEYS:
            problems.append(f"{where}: sample.{k} is not a known key of [sample]{_suggest(k, SAMPLE_KEYS)}; "
                            f"allowed: {', '.join(SAMPLE_KEYS)}")
    method = t.get("method", "latin_hypercube")
    if method not in SAMPLE_METHODS:
        problems.append(f"{where}: sample.method = {method!r} is not allowed; allowed: {', '.join(SAMPLE_METHODS)}"
                        f"{_suggest(str(method), SAMPLE_METHODS)}")
    count, seed = t.get("count"), t.get("seed", default_seed)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        problems.append(f"{where}: sample.count = {count!r} must be a whole number of samples from 1 up")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(f"{where}: sample.seed = {seed!r} must be a whole number from 0 up")
    return count, seed


def _is_pair(b: Any) -> bool:
    return (isinstance(b, list) and len(b) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b)
            and b[0] <= b[1])


def _bound(where: str, key: str, b: Any, f: dataclasses.Field, problems: list[str]) -> tuple[float, float] | None:
    """One parameter's [low, high], checked against its field; None (with the problem noted) when unusable."""
    if value_kind(f) not in (int, float):
        problems.append(f"{where}: sample.bounds.{key} is not numeric, so it cannot be sampled; vary it in [factors]")
        return None
    if not _is_pair(b):
        problems.append(f"{where}: sample.bounds.{key} = {b!r} must be [low, high] with low <= high")
        return None
    ok = True
    for x in b:
        x = int(x) if value_kind(f) is int and float(x).is_integer() else x
        _, problem = check_value(where, f"sample.bounds.{key}", x, f)
        if problem:
            problems.append(problem)
            ok = False
    return (float(b[0]), float(b[1])) if ok else None


def sampled_points(where: str, t: dict[str, Any], fields: dict[str, dataclasses.Field], default_seed: int,
                   problems: list[str]) -> list[dict[str, Any]]:
    """The [sample] table's points (none when it, or anything before it in the file, has a problem)."""
    count, seed = _settings(where, t, default_seed, problems)
    bounds = flatten_params(t.get("bounds", {})) if isinstance(t.get("bounds", {}), dict) else None
    if not bounds:
        problems.append(f"{where}: sample.bounds must be a table of parameter = [low, high], "
                        f"e.g. bounds = {{ \"relocation.base_cost\" = [1e5, 5e6] }}")
        return []
    good: dict[str, tuple[float, float]] = {}
    for key, b in bounds.items():
        if check_key(where, "sample.bounds", key, fields, problems):
            pair = _bound(where, key, b, fields[key], problems)
            if pair is not None:
                good[key] = pair
    if problems or not isinstance(count, int):
        return []
    u = latin_hypercube(count, len(good), seed)
    out = []
    for row in u:
        point = {}
        for j, (key, (lo, hi)) in enumerate(good.items()):
            x = lo + row[j] * (hi - lo)
            point[key] = round(x) if value_kind(fields[key]) is int else float(f"{x:.6g}")
        out.append(point)
    return out
