"""Premises: what a building costs to reuse, and what a raid leaves of it.

Compounds are businesses that rent or take over buildings; the buildings outlive them. Cambodia's
casinos (57 in 2014, 150 in 2019) were turned into compounds when COVID emptied them, and a raided
compound's buildings stand empty until someone moves back in, unless they were damaged, seized or
demolished. These rules are pure functions on arrays: ``sim.core.buildings`` holds the building table
and applies them.

Conditions are small integers so a whole column can be compared at once. A demolished building
leaves the stock (its row is released), so ``DEMOLISHED`` appears only in logs and fates.
"""

from __future__ import annotations

import numpy as np

INTACT, DAMAGED, SEIZED, DEMOLISHED = 0, 1, 2, 3
CONDITION_NAMES = ("intact", "damaged", "seized", "demolished")


def reuse_saving(condition: np.ndarray | int, reoccupy_share: float, repair_share: float) -> np.ndarray:
    """Share of a new building's cost saved by moving into an empty building instead (never below 0).

    Reusing an intact building costs ``reoccupy_share`` of building new; a damaged one costs the repair
    (``repair_share`` of building new) on top. A seized building cannot be used at all (saving 0, and
    ``usable`` rules it out). When reuse costs as much as building new there is no saving, and the
    operator builds new (an empty building it would pay more to repair is left standing).
    """
    cost = reoccupy_share + np.where(np.asarray(condition) == DAMAGED, repair_share, 0.0)
    return np.maximum(0.0, 1.0 - cost)


def usable(condition: np.ndarray | int, occupant: np.ndarray | int) -> np.ndarray | bool:
    """Buildings a compound could move into now: empty and not seized (arrays, or one building's numbers)."""
    return (occupant < 0) & ((condition == INTACT) | (condition == DAMAGED))


def cell_savings(n_cells: int, cells: np.ndarray, savings: np.ndarray) -> np.ndarray:
    """Per cell, the best saving among the given buildings (0 where there is none)."""
    out = np.zeros(n_cells)
    np.maximum.at(out, cells, savings)
    return out


def raid_fate(u: float, demolish: float, seize: float, damage: float) -> int:
    """Condition of a building a raid has emptied, from one uniform draw ``u`` in [0, 1).

    Demolished with chance ``demolish`` (a policy lever); otherwise seized with chance ``seize``;
    otherwise damaged with chance ``damage``; otherwise left intact. The chances are applied in that
    order, so seizure and damage are shares of what is not demolished (and not seized).
    """
    to_seize = demolish + (1.0 - demolish) * seize
    to_damage = to_seize + (1.0 - demolish) * (1.0 - seize) * damage
    if u < demolish:
        return DEMOLISHED
    if u < to_seize:
        return SEIZED
    if u < to_damage:
        return DAMAGED
    return INTACT


def seizure_end(week: int, seizure_weeks: int) -> int:
    """First week a building seized in ``week`` can be used again (``seizure_weeks`` < 0: never)."""
    return np.iinfo(np.int64).max if seizure_weeks < 0 else week + seizure_weeks
