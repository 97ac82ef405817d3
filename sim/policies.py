"""Policy types: what agencies do differently once an intervention starts.

Every run has background enforcement (``enforcement.background_raid_frequency``): agencies raid the
most visible compounds they know of, case by case. A policy changes that from ``start_week`` to
``end_week`` in the jurisdictions that apply it. Each type changes a *mechanism* through one of the
hooks below (how many raids, which targets, what agencies know, what follows a raid, what the ground
looks like), never an outcome directly.

The policy draws its own random numbers from ``model.policy_rng``, a stream separate from the model's,
and draws none before it starts, so a run and its no-policy counterfactual are identical up to the
start week (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.params import EnforcementParams, PolicyParams
from sim.space import Region

if TYPE_CHECKING:
    from sim.enforcement import RaidOutcome
    from sim.model import ScamModel


@dataclass(frozen=True, slots=True)
class Levers:
    """Root-cause settings in force this week (the neutral values mean: no change)."""

    demand_reduction: float = 0.0
    aml_share: float = 0.0
    inflow_factor: float = 1.0
    protection_factor: float = 1.0
    repatriation_share: float | None = None
    cut_share: float = 0.0
    cut_substitutes: bool = False
    substitution_weeks: int = 0


NEUTRAL = Levers()


class Policy:
    """Background enforcement, and the base every policy type extends.

    Outside its weeks or its jurisdictions a policy behaves exactly like this base class.
    """

    name = "none"
    raids = False  # whether the type sets its own raid frequency

    def __init__(self, p: PolicyParams, region: Region, e: EnforcementParams) -> None:
        self.p = p
        self.region = region
        self.e = e
        n = region.n_jurisdictions
        if p.jurisdictions:
            self.applies = np.isin(np.arange(n), [region.jurisdiction_names.index(j) for j in p.jurisdictions])
        else:
            self.applies = np.ones(n, dtype=bool)

    # -- when and where -------------------------------------------------------------------------
    def active(self, week: int) -> bool:
        return self.name != "none" and week >= self.p.start_week and (self.p.end_week < 0 or week <= self.p.end_week)

    def treated(self) -> np.ndarray:
        """Indices of the jurisdictions the policy targets (for displacement measures)."""
        return np.flatnonzero(self.applies)

    # -- hooks --------------------------------------------------------------------------------------
    def raid_frequency(self, week: int) -> np.ndarray:
        """Raids per agency per year (at governance 1) this week."""
        freq = np.full(self.region.n_jurisdictions, self.e.background_raid_frequency, dtype=float)
        if self.raids and self.active(week):
            freq[self.applies] = self.p.raid_frequency
        return freq

    def order_targets(self, model: ScamModel, jurisdiction: int, slots: np.ndarray, vis: np.ndarray) -> np.ndarray:
        """Known compounds in raid order: case by case, the most visible first."""
        return slots[np.argsort(-vis, kind="stable")]

    def detection_multiplier(self, model: ScamModel, slots: np.ndarray, week: int) -> np.ndarray | float:
        return 1.0

    def carried_notoriety(self, notoriety: np.ndarray, jurisdiction: np.ndarray, week: int) -> np.ndarray:
        """Heat each compound's operator carries with the agency where it stands.

        ``notoriety`` holds one row per compound (its operator's row); without coordination an agency
        knows only what it learnt itself, so a border is a fresh start.
        """
        return notoriety[np.arange(len(jurisdiction)), jurisdiction]

    def notoriety_map(self, row: np.ndarray, week: int) -> np.ndarray:
        """An operator's notoriety as each jurisdiction's agency sees it (used in site choice)."""
        return row

    def arrest_probability(self, week: int, jurisdiction: int) -> float:
        return self.e.arrest_probability

    def seizure_share(self, week: int, jurisdiction: int) -> float:
        return self.e.seizure_share

    def after_raid(self, model: ScamModel, operator_slot: int, jurisdiction: int, cell: int, outcome: RaidOutcome) -> None:
        """Follow-up once a raid is resolved (none case by case)."""

    def levers(self, week: int) -> Levers:
        return NEUTRAL


class CaseByCase(Policy):
    """A site is raided when it becomes visible; no follow-up, no sharing across borders."""

    name = "case_by_case"
    raids = True


POLICY_CLASSES: dict[str, type[Policy]] = {"none": Policy, "case_by_case": CaseByCase}


def make_policy(p: PolicyParams, region: Region, e: EnforcementParams) -> Policy:
    return POLICY_CLASSES[p.type](p, region, e)
