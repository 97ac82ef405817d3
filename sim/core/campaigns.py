"""Campaigns as state: each jurisdiction's political will, its campaign raid credit and its targets.

Rules come from ``sim.rules.campaigns``; this module keeps the levels, spends the campaign raids on
the compounds a campaign may hit (``m`` is the ``ScamModel``) and records the starts. With
``campaigns.effort = 0`` (the default) nothing here runs: no level, no raid, no draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.phases import RAID_CREDIT_CARRY
from sim.rules import campaigns as rules
from sim.rules.enforcement import decay_factor, visibility
from sim.rules.protection import parse_ids

if TYPE_CHECKING:
    from sim.core.model import ScamModel


class Campaigns:
    """Political will per jurisdiction and the campaign raids it buys."""

    def __init__(self, m: ScamModel, protector_names: tuple[str, ...], protector_owner: np.ndarray) -> None:
        c, r = m.params.campaigns, m.region
        n = r.n_jurisdictions
        for key, names, allowed in (("jurisdictions", c.jurisdictions, r.jurisdiction_names),
                                    ("target_zones", c.target_zones, r.zone_names + r.jurisdiction_names),
                                    ("target_protectors", c.target_protectors, protector_names)):
            for name in names:
                if name not in allowed:
                    raise ValueError(f"campaigns.{key}: '{name}' is not known; allowed: {', '.join(allowed) or 'none'}")
        self.on = c.effort > 0
        self.runs = np.isin(np.arange(n), [r.jurisdiction_names.index(j) for j in c.jurisdictions]) if c.jurisdictions \
            else np.ones(n, dtype=bool)
        self.level = np.zeros(n)  # political will, 1: a full campaign
        self.credit = np.zeros(n)
        self.raids = np.zeros(n)  # campaign raids this week (a weekly series)
        self.started = np.zeros(n)  # starts triggered this week, applied next week
        self.starts = 0  # campaigns started (a running count)
        self.scheduled = rules.parse_series(c.scheduled, "campaigns.scheduled")
        self.foreign = rules.parse_series(c.foreign_pressure, "campaigns.foreign_pressure")
        self.decay = decay_factor(c.half_life_weeks)
        target = np.ones(r.n_cells, dtype=bool)
        if c.target_zones:
            target &= r.zone_mask(c.target_zones).ravel()
        if c.target_protectors:
            target &= np.isin(protector_owner, [protector_names.index(p) for p in c.target_protectors])
        self.target = target
        self.syndicates = parse_ids(c.target_syndicates, "campaigns.target_syndicates", m.params.operators.syndicates)
        self._week = None

    def advance(self, m: ScamModel) -> np.ndarray | None:
        """Once a week: this week's political will and the campaign raids it adds (None: no campaign)."""
        if not self.on:
            return None
        if self._week != m.week:
            self._week = m.week
            started = self.started.copy()
            for week, level in self.scheduled:
                if week == m.week:
                    started = np.maximum(started, level)
            if m.params.campaigns.coordinated:
                started[:] = started[self.runs].max(initial=0.0)
            before = self.level > 0.5
            self.level = np.where(self.runs, rules.advance(self.level, self.decay, started,
                                                           rules.floor_at(self.foreign, m.week)), 0.0)
            self.starts += int(((self.level > 0.5) & ~before).sum())
            self.started[:] = 0.0
            self.raids = rules.campaign_raids(self.level, m.params.campaigns.effort, m.region.jurisdiction_governance,
                                              m.params.enforcement)
        return self.raids

    def publicised(self, m: ScamModel, jurisdiction: int, rescued: int) -> None:
        """A raid that frees many people is news: it starts a campaign where it happened."""
        k = m.params.campaigns.trigger_rescued
        if self.on and k > 0 and rescued >= k and self.runs[jurisdiction]:
            self.started[jurisdiction] = 1.0

    def spend(self, m: ScamModel, raid) -> None:
        """Campaign raids: on known compounds it may hit, those of operators it pursues first."""
        if not self.on:
            return
        t, ot, e = m.compound_table, m.operator_table, m.params.enforcement
        for j in np.flatnonzero(self.runs):
            self.credit[j] = min(self.credit[j] + self.raids[j], self.raids[j] + RAID_CREDIT_CARRY)
            n = int(self.credit[j])
            if n <= 0:
                continue
            slots = t.slots
            sites = t.site[slots]
            ok = (m.region.flat_jurisdiction[sites] == j) & t.known[slots] & (t.relocating[slots] == 0) & self.target[sites]
            if self.syndicates:
                ok &= np.isin(ot.syndicate[t.operator[slots]], self.syndicates)
            if not ok.any():
                continue
            mine = slots[ok]
            vis = visibility(t.workers[mine], t.age[mine], e)
            for slot in rules.raid_order(mine, ot.notoriety[t.operator[mine], j], vis)[:n]:
                if t.alive[slot] and t.known[slot] and t.relocating[slot] == 0:
                    self.credit[j] -= 1
                    self.share_target(m, int(t.operator[slot]))
                    raid(m, int(slot))

    def share_target(self, m: ScamModel, operator: int) -> None:
        """Coordinated campaigns share whom they pursue: its compounds in the other campaigning jurisdictions become known."""
        if not m.params.campaigns.coordinated:
            return
        t = m.compound_table
        live = t.slots
        there = self.runs[m.region.flat_jurisdiction[t.site[live]]]
        t.known[live[(t.operator[live] == operator) & there & (t.relocating[live] == 0)]] = True
