"""Policy types: what agencies and governments do differently once an intervention starts.

Every run has background enforcement (``enforcement.background_raid_frequency``): agencies raid the
most visible compounds they know of, case by case. A policy changes that from ``start_week`` to
``end_week`` in the jurisdictions that apply it. Each type changes a *mechanism* through the hooks
of ``Policy`` (how many raids, which targets, what agencies know and share, what follows a raid,
what the ground looks like), never an outcome directly:

- ``case_by_case``: more raids, same rule (most visible known compound first, no follow-up).
- ``hotspot``: a find puts the surrounding area under sustained pressure (detection multiplied,
  targets inside pressured areas first) for some weeks.
- ``network``: a raid is followed up along the operator: its other compounds may be found, more of
  its capital is seized, and its boss is likelier to be arrested; its compounds are raided first.
- ``coordinated``: applying agencies share intelligence, so the notoriety an operator earns with one
  is held by all (no safe haven across a border), and a raid may expose its compounds next door.
- ``root_causes``: no extra raids; levers that change the ground (``ROOT_CAUSE_LEVERS``).
- ``combined``: raids at ``raid_frequency`` with any of the raid modes in ``mix`` plus the root-cause
  levers.

A policy reads only the data it is given (arrays of compounds, operators' notoriety, the week) and
returns decisions (a raid order, detection factors, the compounds a follow-up finds, the levers and
the ground in force); the model applies them. The only state a policy keeps is its own (hotspot
pressure, a revoked concession). It draws random numbers only from the stream it is handed (the
model's ``policy_rng``, separate from the model's own) and none before it starts, so a run and its
no-policy counterfactual are identical up to the start week (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.params.declarations import EnforcementParams, PolicyParams
from sim.world.space import Region


@dataclass(frozen=True, slots=True)
class Levers:
    """Root-cause settings in force this week (the neutral values mean: no change)."""

    demand_reduction: float = 0.0
    aml_share: float = 0.0
    inflow_factor: float = 1.0
    repatriation_share: float | None = None
    cut_share: float = 0.0
    cut_substitutes: bool = False
    substitution_weeks: int = 0
    screening_cost: float = 0.0
    awareness_campaign: float = 0.0


NEUTRAL = Levers()
#: Notoriety (with the raiding agency) at which network policing counts an operator as pursued: a
#: successful raid adds 1.0, which decays to 0.25 in two heat half-lives, so "raided within about two
#: half-lives" (an assumption of the model, not a calibrated value).
PURSUIT = 0.25


class Compounds(NamedTuple):
    """The live compounds as a policy sees them: aligned arrays, one entry per compound, in slot order."""

    slots: np.ndarray
    operator: np.ndarray  # slot of the owning operator
    site: np.ndarray  # flat cell
    known: np.ndarray  # bool: found by the local agency
    relocating: np.ndarray  # weeks of a move still to go (0: in place)


class Policy:
    """Background enforcement, and the base every policy type extends.

    Outside its weeks or its jurisdictions a policy behaves exactly like this base class. The class
    attributes say which mechanisms a type switches on.
    """

    name = "none"
    raids = False  # sets its own raid frequency in applying jurisdictions
    hotspot = False
    network = False
    coordinated = False
    root_causes = False

    def __init__(self, p: PolicyParams, region: Region, e: EnforcementParams) -> None:
        self.p = p
        self.region = region
        self.e = e
        n = region.n_jurisdictions
        if p.jurisdictions:
            self.applies = np.isin(np.arange(n), [region.jurisdiction_names.index(j) for j in p.jurisdictions])
        else:
            self.applies = np.ones(n, dtype=bool)
        self.applies_cells = self.applies[np.maximum(region.jurisdiction, 0)] & region.land
        self.pressure = np.zeros((region.width, region.height), dtype=np.int64)  # hotspot weeks left
        self.cut_cells = region.zone_mask(p.cut_zones) if p.cut_zones else np.zeros_like(region.land)
        self.revoked_cells = region.zone_mask(p.revoke_concessions) if p.revoke_concessions else np.zeros_like(region.land)
        self.revoked = False  # zone governance acts once and for good
        for name in p.raid_zones:
            if name not in region.zone_names + region.jurisdiction_names:
                raise ValueError(f"policy.raid_zones: '{name}' is neither a zone nor a jurisdiction; "
                                 f"allowed: {', '.join(region.zone_names + region.jurisdiction_names)}")
        self.raid_cells = region.zone_mask(p.raid_zones).ravel() if p.raid_zones else None  # zone-targeted raids

    # -- when and where -------------------------------------------------------------------------
    def active(self, week: int) -> bool:
        return self.name != "none" and self.p.in_force(week)

    def announced(self, week: int) -> bool:
        """The raids are known to be coming (announced or leaked) but have not started.

        Never before week 1: the burn-in (weeks 0 and before) is shared with the counterfactual, so an
        announcement longer than ``start_week - 1`` weeks begins at week 1.
        """
        return (self.raids and self.name != "none" and week >= 1
                and self.p.start_week - self.p.announce_weeks <= week < self.p.start_week)

    def parts(self) -> tuple[Policy, ...]:
        """The single policies this one is made of (itself; a timeline's events): sanctions and strikes act per part."""
        return (self,)

    def treated(self) -> np.ndarray:
        """Indices of the jurisdictions the policy targets (for displacement measures)."""
        return np.flatnonzero(self.applies)

    def _on(self, week: int, jurisdiction: int) -> bool:
        return self.active(week) and bool(self.applies[jurisdiction])

    # -- raids ------------------------------------------------------------------------------------
    def raid_frequency(self, week: int) -> np.ndarray:
        """Raids per agency per year (at governance 1) this week."""
        freq = np.full(self.region.n_jurisdictions, self.e.background_raid_frequency, dtype=float)
        if self.raids and self.active(week):
            freq[self.applies] = self.p.raid_frequency
        return freq

    def expected_raid_frequency(self, week: int) -> np.ndarray:
        """The raids operators expect: from the announcement on, the programme that is coming."""
        return self.raid_frequency(self.p.start_week if self.announced(week) else week)

    def announcement(self, week: int) -> np.ndarray | None:
        """The raids announced (or leaked) this week: raids a year per jurisdiction, NaN where none is announced.

        None while nothing is announced. This is the one channel by which a policy's parameters reach
        learned beliefs (``sim.rules.beliefs.hear_announcement``) before its raids do.
        """
        if not self.announced(week):
            return None
        return np.where(self.applies, float(self.p.raid_frequency), np.nan)

    def order_targets(self, week: int, jurisdiction: int, slots: np.ndarray, vis: np.ndarray, sites: np.ndarray,
                      owners: np.ndarray, notoriety: np.ndarray) -> np.ndarray:
        """Known compounds (``slots``) in raid order: the most visible first, after any policy priority.

        ``vis``, ``sites`` and ``owners`` (operator slots) are aligned with ``slots``; ``notoriety``
        holds one row per operator slot. Zone-targeted raids (``raid_zones``) leave out every compound
        outside the zones. Hotspot policing puts compounds inside pressured areas first;
        network policing puts the compounds of operators it is already pursuing first (notoriety with
        this agency, or shared with it under coordination, of at least ``PURSUIT``).
        """
        keys = [-vis]
        if self.raids and self.raid_cells is not None and self._on(week, jurisdiction):
            inside = self.raid_cells[sites]
            slots, vis, sites, owners = slots[inside], vis[inside], sites[inside], owners[inside]
            keys = [-vis]
        if self._on(week, jurisdiction):
            if self.network:
                here = np.full(len(slots), jurisdiction)
                pursued = self.carried_notoriety(notoriety[owners], here, week) >= PURSUIT
                keys.append(~pursued)
            if self.hotspot:
                keys.append(self.pressure.ravel()[sites] <= 0)
        return slots[np.lexsort(keys)]

    def detection_multiplier(self, sites: np.ndarray, week: int) -> np.ndarray | float:
        """Factor on each compound's chance of being found (``sites``: its cells): pressured areas under hotspot policing."""
        if not (self.hotspot and self.active(week)):
            return 1.0
        hot = (self.pressure.ravel()[sites] > 0) & self.applies_cells.ravel()[sites]
        return np.where(hot, self.p.hotspot_detection, 1.0)

    def carried_notoriety(self, notoriety: np.ndarray, jurisdiction: np.ndarray, week: int) -> np.ndarray:
        """Heat each compound's operator carries with the agency where it stands.

        ``notoriety`` holds one row per compound (its operator's row). Without coordination an agency
        knows only what it learnt itself, so a border is a fresh start; with it, every applying
        agency knows what any of them learnt.
        """
        own = notoriety[np.arange(len(jurisdiction)), jurisdiction]
        if not (self.coordinated and self.active(week)):
            return own
        shared = notoriety[:, self.applies].sum(axis=1)
        return np.where(self.applies[jurisdiction], shared, own)

    def notoriety_map(self, row: np.ndarray, week: int) -> np.ndarray:
        """An operator's notoriety as each jurisdiction's agency sees it (used in site choice)."""
        if not (self.coordinated and self.active(week)):
            return row
        return np.where(self.applies, row[self.applies].sum(), row)

    def arrest_probability(self, week: int, jurisdiction: int) -> float:
        if self.network and self._on(week, jurisdiction):
            return max(self.e.arrest_probability, self.p.network_arrest_probability)
        return self.e.arrest_probability

    def seizure_share(self, week: int, jurisdiction: int) -> float:
        if self.network and self._on(week, jurisdiction):
            return max(self.e.seizure_share, self.p.network_seizure_share)
        return self.e.seizure_share

    def after_raid(self, week: int, jurisdiction: int, cell: int) -> bool:
        """Once a raid is resolved: pressure on the area around ``cell`` under hotspot policing.

        Returns whether the raid is followed up along its operator (``follow_up``).
        """
        if not self._on(week, jurisdiction):
            return False
        if self.hotspot:
            x, y = self.region.xy(cell)
            r = self.p.hotspot_radius
            area = self.pressure[max(0, x - r) : x + r + 1, max(0, y - r) : y + r + 1]
            np.maximum(area, self.p.hotspot_weeks, out=area)
        return (self.p.network_followup if self.network else 0.0) > 0 or (self.p.intelligence_sharing if self.coordinated else 0.0) > 0

    def demolish_share(self, week: int, jurisdiction: int) -> float:
        """Chance a building a raid empties is demolished: the demolition lever, where and while the policy applies."""
        return self.p.demolish_share if self._on(week, jurisdiction) else 0.0

    def follow_up(self, operator: int, jurisdiction: int, compounds: Compounds, rng: np.random.Generator) -> np.ndarray:
        """Slots of the raided operator's compounds that the hunt finds.

        Candidates are the operator's compounds not yet known and not moving; each is found with its
        own draw from the policy's stream ``rng`` (one draw per candidate, in slot order).
        """
        follow = self.p.network_followup if self.network else 0.0
        share = self.p.intelligence_sharing if self.coordinated else 0.0
        c = compounds
        candidate = (c.operator == operator) & ~c.known & (c.relocating == 0)
        mine = c.slots[candidate]
        if len(mine) == 0:
            return mine
        jur = self.region.flat_jurisdiction[c.site[candidate]]
        applying = self.applies[jur]
        # Network policing follows the group inside its own jurisdiction; coordination carries the hunt
        # (or, without network policing, at least the tip) across borders to the other applying agencies.
        chance = np.where(jur == jurisdiction, follow, np.maximum(follow * self.coordinated, share))
        found = applying & (rng.random(len(mine)) < chance)
        return mine[found]

    def end_of_week(self, week: int) -> None:
        """Pressure on hotspot areas runs down a week at a time."""
        if self.hotspot:
            np.subtract(self.pressure, 1, out=self.pressure, where=self.pressure > 0)

    # -- the ground ------------------------------------------------------------------------------------
    def levers(self, week: int) -> Levers:
        if not (self.root_causes and self.active(week)):
            return NEUTRAL
        p = self.p
        return Levers(
            demand_reduction=p.demand_reduction,
            aml_share=p.aml_share,
            inflow_factor=1.0 - p.inflow_reduction,
            repatriation_share=None if p.repatriation_share < 0 else p.repatriation_share,
            cut_share=p.infrastructure_cut,
            cut_substitutes=p.cut_substitutes,
            substitution_weeks=p.substitution_weeks,
            screening_cost=p.screening_cost,
            awareness_campaign=p.awareness_campaign,
        )

    def adjust_ground(self, week: int, protection: np.ndarray, concession: np.ndarray, home_protection: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Protection and concession in force this week.

        Sanctions on protectors cut protection in applying jurisdictions while they last. Revoking a
        concession is for good: from the start week the zone loses its legal carve-out and its
        protector, keeping only the host jurisdiction's ordinary protection, even after the policy ends.
        """
        if not self.root_causes:
            return protection, concession
        if self.active(week) and self.revoked_cells.any():
            self.revoked = True
        if self.revoked:
            concession = np.where(self.revoked_cells, 0.0, concession)
            protection = np.where(self.revoked_cells, home_protection, protection)
        if self.active(week) and self.p.protection_sanctions > 0:
            protection = np.where(self.applies_cells, protection * (1.0 - self.p.protection_sanctions), protection)
        return protection, concession

    def cut_mask(self, week: int) -> np.ndarray | None:
        """Cells whose power and internet are cut this week (None: no cut)."""
        if self.root_causes and self.active(week) and self.p.infrastructure_cut > 0 and self.cut_cells.any():
            return self.cut_cells
        return None


class CaseByCase(Policy):
    """A site is raided when it becomes visible; no follow-up, no sharing across borders."""

    name = "case_by_case"
    raids = True


class Hotspot(Policy):
    """Sustained pressure in and around where compounds were found."""

    name = "hotspot"
    raids = True
    hotspot = True


class Network(Policy):
    """After a raid, follow the operator: its other sites, its capital, its boss."""

    name = "network"
    raids = True
    network = True


class Coordinated(Policy):
    """Agencies share targets and notoriety across borders: no safe haven next door."""

    name = "coordinated"
    raids = True
    coordinated = True


class RootCauses(Policy):
    """Change the ground instead of raiding it: money, power, recruits, protectors, zones, demand."""

    name = "root_causes"
    root_causes = True


class Combined(Policy):
    """Raids with any mix of the raid modes, and the root-cause levers, together."""

    name = "combined"
    raids = True
    root_causes = True

    def __init__(self, p: PolicyParams, region: Region, e: EnforcementParams) -> None:
        super().__init__(p, region, e)
        self.hotspot = "hotspot" in p.mix
        self.network = "network" in p.mix
        self.coordinated = "coordinated" in p.mix


POLICY_CLASSES: dict[str, type[Policy]] = {
    cls.name: cls for cls in (Policy, CaseByCase, Hotspot, Network, Coordinated, RootCauses, Combined)
}


def make_policy(p: PolicyParams, region: Region, e: EnforcementParams) -> Policy:
    return POLICY_CLASSES[p.type](p, region, e)
