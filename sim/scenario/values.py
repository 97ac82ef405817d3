"""Parameter values set by dotted key on a resolved scenario: what calibration, posterior draws and sweeps apply.

One function for every caller (the calibration's simulator, the replay over a posterior, experiment files
with ``posterior =``, ``scamsim patterns --parameter-sets``): the keys are those of a ranges file, plain
dotted parameters (``labour.inflow_per_week``) or a jurisdiction's or zone's attribute
(``jurisdictions.Cambodia.governance``), and each value is checked as a scenario file's would be.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.params.declarations import SECTIONS, Params
from sim.scenario.loader import ScenarioError, check_value


def apply_values(params: Params, values: dict[str, Any], where: str = "calibration") -> Params:
    """A copy of ``params`` with dotted values set, including ``jurisdictions.NAME.attr`` and ``zones.NAME.attr``.

    Values are checked against each parameter's declared range (as a scenario file would be); ``where`` names
    the caller in a range or type error. Raises ScenarioError listing every problem.
    """
    plain: dict[str, Any] = {}
    spec = params.map
    problems = []
    for key, value in values.items():
        head, _, rest = key.partition(".")
        if head in ("jurisdictions", "zones"):
            name, _, attr = rest.rpartition(".")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= float(value) <= 1:
                problems.append(f"{key} = {value!r} is out of range 0-1")
                continue
            items = list(getattr(spec, head))
            idx = [k for k, it in enumerate(items) if it.name == name]
            if not idx:
                problems.append(f"{key}: no {head[:-1]} named {name}")
                continue
            if attr == "name" or attr not in {f.name for f in dataclasses.fields(items[idx[0]])}:
                problems.append(f"{key}: a {head[:-1]} has no attribute {attr!r}")
                continue
            items[idx[0]] = dataclasses.replace(items[idx[0]], **{attr: float(value)})
            spec = dataclasses.replace(spec, **{head: tuple(items)})
        else:
            fields = {f.name: f for f in dataclasses.fields(SECTIONS[head])} if head in SECTIONS else {}
            if rest not in fields:
                problems.append(f"{key} is not a parameter")
                continue
            v, problem = check_value(where, key, value, fields[rest])
            if problem:
                problems.append(problem)
            plain[key] = v
    if problems:
        raise ScenarioError(problems)
    return params.with_values(plain).replace(map=spec) if plain else params.replace(map=spec)
