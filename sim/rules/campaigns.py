"""Campaigns: enforcement effort that follows political will, which starts with a trigger and lapses.

Political will is a level per jurisdiction (1: a full campaign). It jumps up after a publicised case
(a raid that frees many people), on a scheduled start, or under foreign pressure, and decays with a
half-life. A campaign adds raids in proportion to the level, scaled by state capacity like every
raid budget, and may be confined to a zone, a protector's territory or a syndicate.
"""

from __future__ import annotations

import numpy as np

from sim.common.constants import WEEKS_PER_YEAR
from sim.params.declarations import EnforcementParams


def parse_series(entries: tuple[str, ...], key: str) -> list[tuple[int, float]]:
    """``("10:1", "52:0.5")`` -> ``[(10, 1.0), (52, 0.5)]``, sorted by week."""
    out = []
    for s in entries:
        week, sep, level = s.partition(":")
        try:
            pair = (int(week), float(level))
        except ValueError:
            pair = None
        if not sep or pair is None or not 0 <= pair[1] <= 1:
            raise ValueError(f"{key}: '{s}' is not week:level; allowed: a whole week, ':', a level from 0 to 1 (e.g. '52:1')")
        out.append(pair)
    return sorted(out)


def floor_at(series: list[tuple[int, float]], week: int) -> float:
    """The level a step series holds at ``week`` (0 before its first entry)."""
    level = 0.0
    for w, v in series:
        if w <= week:
            level = v
    return level


def advance(level: np.ndarray, decay: float, started: np.ndarray, floor: float) -> np.ndarray:
    """Next week's political will: last week's decayed, raised by new starts, never below the floor."""
    return np.maximum(np.maximum(level * decay, started), floor)


def campaign_raids(level: np.ndarray, effort: float, governance: np.ndarray, e: EnforcementParams) -> np.ndarray:
    """Raids a campaign adds this week in each jurisdiction (like ``enforcement.raid_budget``)."""
    return effort * level / WEEKS_PER_YEAR * governance**e.governance_exponent


def raid_order(slots: np.ndarray, notoriety: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """A campaign follows its targets: the operators it already pursues first, then the most visible."""
    return slots[np.lexsort((-vis, -notoriety))]
