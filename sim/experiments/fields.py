"""Parameter fields by dotted key, and dotted keys from nested tables: the lookups every experiment module shares.

Experiment files, the results' column types and the figures' axis labels all name parameters as
``section.name``; they look the field (its default, hence its type, and its metadata) up here.
"""

from __future__ import annotations

from typing import Any

from sim.params.declarations import SECTIONS, param_fields, value_kind

__all__ = ["RANGE_KEYS", "flatten", "param_fields", "value_kind"]

#: Keys of a range of factor values, ``{start, step, end}`` (end included).
RANGE_KEYS = ("start", "step", "end")




def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dict to dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def flatten_params(t: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys, accepting both ``"policy.type" = ...`` and ``policy.type = ...`` / ``[factors.policy]``.

    An inline table of only start/step/end (a range) is a value, not a nested section.
    """
    out: dict[str, Any] = {}
    for k, v in t.items():
        if isinstance(v, dict) and k in SECTIONS and not set(v) <= set(RANGE_KEYS):
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def column_value(v: Any) -> Any:
    """A parameter value as stored in a results column (name lists joined by commas)."""
    return ",".join(v) if isinstance(v, tuple) else v
