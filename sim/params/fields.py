"""The one way a parameter is declared: a dataclass field carrying its unit, meaning, range and source."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def param(
    default: Any,
    unit: str,
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    source: str = "assumption",
) -> Any:
    """Declare a parameter field with its unit, meaning, range and source."""
    meta = {"unit": unit, "doc": doc, "lo": lo, "hi": hi, "choices": choices, "source": source}
    return field(default=default, metadata=meta)
