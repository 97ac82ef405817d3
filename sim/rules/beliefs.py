"""Operators' belief about the raid hazard in each jurisdiction, learned from raids that happened.

Operators cannot read an agency's budget. What they see is news: a raid on a peer in the jurisdiction,
heat where raids hit, their own losses. The belief ``b_j`` is the weekly raid hazard a compound faces in
jurisdiction j, an exponentially weighted mean of the raid rate per compound they have seen there:

    b_j <- (1 - lambda) * b_j + lambda * raids_j / max(N_j, 1),   lambda = 1 - 0.5 ** (1 / half_life)

Two exceptions keep the belief honest about what is observed:

- Until the first raid is seen in a jurisdiction that hosts compounds, weeks without raids are no news
  and the belief keeps what years of background enforcement taught (the prior).
- An empty jurisdiction where nobody is raided gives no news of danger either: its belief only decays.

The only way a policy's parameters reach beliefs before its raids do is an announcement, held as
credible to a degree ``credibility`` (0: ignored, 1: believed in full). Heat and an operator's own
notoriety are read elsewhere (``enforcement.perceived_hazard``), as before.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.params.declarations import EnforcementParams
from sim.rules.enforcement import raid_budget, raid_climate


class BeliefRow(NamedTuple):
    """One week of learning, per jurisdiction: what operators believed, and what they then saw."""

    week: int
    belief: np.ndarray  # weekly raid hazard per compound operators held during the week
    raids: np.ndarray  # raids made in the jurisdiction that week
    compounds: np.ndarray  # compounds in the jurisdiction at the start of the week


def learning_rate(half_life_weeks: float) -> float:
    """Weight of this week's observation: half of what was believed is forgotten in ``half_life_weeks``."""
    return float(1.0 - 0.5 ** (1.0 / half_life_weeks))


def prior_belief(expected_compounds: np.ndarray, governance: np.ndarray, e: EnforcementParams) -> np.ndarray:
    """What years of background enforcement taught: its raid capacity per expected compound.

    It reads only the background programme (never the policy), so a run and its counterfactual start
    from the same beliefs.
    """
    background = np.full(len(governance), e.background_raid_frequency, dtype=float)
    return raid_climate(raid_budget(background, expected_compounds, governance, e), expected_compounds)


def learn(belief: np.ndarray, seen: np.ndarray, raids: np.ndarray, compounds: np.ndarray, rate: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """One week of news: the new belief and which jurisdictions have now seen a raid.

    ``raids`` were made this week in each jurisdiction, which held ``compounds`` when the week began.
    """
    seen = seen | (raids > 0)
    observed = raids / np.maximum(compounds, 1.0)
    updates = seen | (compounds <= 0)
    return np.where(updates, (1.0 - rate) * belief + rate * observed, belief), seen


def hear_announcement(belief: np.ndarray, announced_frequency: np.ndarray | None, compounds: np.ndarray,
                      governance: np.ndarray, credibility: float, e: EnforcementParams) -> np.ndarray:
    """Beliefs after an announcement of raids (``announced_frequency``: raids a year, NaN where none).

    Where raids are announced the belief rises to ``credibility`` times the announced programme's raid
    capacity per compound (as if agencies would know every compound present), and never falls because
    of it. With no announcement, or credibility 0, beliefs are returned unchanged.
    """
    if announced_frequency is None or credibility <= 0:
        return belief
    where = ~np.isnan(announced_frequency)
    hazard = raid_climate(raid_budget(np.nan_to_num(announced_frequency), compounds, governance, e), compounds)
    return np.where(where, np.maximum(belief, credibility * hazard), belief)


def raids_by_jurisdiction(cells: list[int] | np.ndarray, flat_jurisdiction: np.ndarray, n: int) -> np.ndarray:
    """Raids per jurisdiction from the cells raided (flat indices)."""
    cells = np.asarray(cells, dtype=np.int64)
    if len(cells) == 0:
        return np.zeros(n)
    return np.bincount(flat_jurisdiction[cells].astype(np.int64), minlength=n).astype(float)
