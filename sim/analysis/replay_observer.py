"""The replay's observer: per shock, the hit place's weekly levels and where the people held there went.

Subscribes to the model's hooks (``sim.core.hooks``) and only reads, drawing no random number, so a run
observed is identical to one that is not. People are not agents in the model: they are counts held by
compounds. The cohort of a shock is the people held by the compounds in its hit place at the end of
the week before it starts; each compound's share of it is followed as an expected count:

- it shrinks by the weekly attrition (``labour.attrition``, the model's own rate) and never exceeds the
  people its compound holds (the excess is counted with attrition);
- a raid on the compound frees the cohort's share of the people it freed (``detained_rescued``);
- a move out of the hit place takes it along: to the same country, another country on the map, or overseas;
- a closure without a raid on it releases it (``released``).

New hires of a cohort compound are not the cohort. The functions that classify and split are in
``sim.measures.shocks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core import hooks
from sim.core.model import ScamModel
from sim.measures.shocks import DESTINATIONS, LEAVE_WEEKS, Shock, destination, hit_mask, hit_place_names, split_raid


@dataclass
class _Member:
    slot: int
    people: float
    applied: int  # last week whose attrition is applied


@dataclass
class ShockRecord:
    """What one run recorded about one shock (plain data: it crosses process boundaries)."""

    name: str
    start: int
    end: int
    place: tuple[str, ...]  # the names that define the hit place (empty: the whole map)
    cells: int
    weeks: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    standing: list[int] = field(default_factory=list)
    occupied: list[int] = field(default_factory=list)
    cohort: float | None = None  # people held in the hit place when the shock started (None: not reached)
    left: dict[int, dict[str, float]] = field(default_factory=dict)  # window -> destination -> people
    remaining: dict[int, float] = field(default_factory=dict)  # window -> cohort still in place at its end
    buildings: bool = False  # the run keeps a building stock (premises.enabled)


class ShockTracker:
    """One shock followed through one run."""

    def __init__(self, model: ScamModel, shock: Shock) -> None:
        self.model = model
        self.shock = shock
        self.inside = hit_mask(model.region, shock.policy)
        self.country = model.region.flat_country
        self.attrition = float(model.params.labour.attrition)
        self.rec = ShockRecord(shock.name, shock.start, shock.end, hit_place_names(shock.policy), int(self.inside.sum()),
                               left={k: dict.fromkeys(DESTINATIONS, 0.0) for k in LEAVE_WEEKS},
                               buildings=bool(model.params.premises.enabled))
        self.members: dict[int, _Member] = {}
        self.pending: dict[int, tuple[str | None, float, int]] = {}  # uid -> (destination, people with it after, origin country)
        self.last_week = shock.start + max(LEAVE_WEEKS) - 1  # the cohort is followed to here

    # ---- bookkeeping ------------------------------------------------------------------------------
    def _book(self, week: int, where: str, people: float) -> None:
        if people <= 0:
            return
        for k in LEAVE_WEEKS:
            if week <= self.shock.start + k - 1:
                self.rec.left[k][where] += people

    def _touch(self, uid: int, week: int) -> _Member:
        """Bring a member's attrition up to ``week`` (attrition comes first in a week, before raids and moves)."""
        m = self.members[uid]
        if week > m.applied:
            lost = m.people * (1.0 - (1.0 - self.attrition) ** (week - m.applied))
            m.people -= lost
            m.applied = week
            self._book(week, "attrition", lost)
        return m

    def _following(self, uid: int, week: int) -> bool:
        return uid in self.members and self.shock.start <= week <= self.last_week

    def _alive(self, uid: int, slot: int) -> bool:
        comp = self.model.compound_by_slot.get(slot)
        return comp is not None and comp.unique_id == uid

    def snapshot(self) -> None:
        """The cohort: people held by the compounds in the hit place now (the end of the week before the start)."""
        m, t = self.model, self.model.compound_table
        for slot in t.slots:
            slot = int(slot)
            if self.inside[int(t.site[slot])] and t.workers[slot] > 0:
                self.members[m.compound_by_slot[slot].unique_id] = _Member(slot, float(t.workers[slot]), m.week)
        self.rec.cohort = float(sum(x.people for x in self.members.values()))

    # ---- events -----------------------------------------------------------------------------------
    def moved(self, e: hooks.CompoundMoved) -> None:
        if not self._following(e.compound, e.week):
            return
        m = self._touch(e.compound, e.week)
        if e.destination >= 0:
            after = float(self.model.compound_table.workers[m.slot])
        else:
            led = self.model.overseas
            rows = np.flatnonzero(led.compound == e.compound)
            after = float(led.workers[rows[-1]]) if len(rows) else 0.0
        self.pending[e.compound] = (destination(int(self.country[e.origin]), e.destination, self.inside, self.country), after,
                                    int(self.country[e.origin]))

    def closed(self, e: hooks.CompoundClosed) -> None:
        if not self._following(e.compound, e.week):
            return
        self._touch(e.compound, e.week)
        self.pending[e.compound] = ("released", 0.0, -1)

    def raided(self, e: hooks.RaidResolved) -> None:
        if not self._following(e.compound, e.week):
            return
        m = self._touch(e.compound, e.week)
        pend = self.pending.pop(e.compound, None)
        if pend is not None:
            after = pend[1]
        else:
            after = float(self.model.compound_table.workers[m.slot]) if self._alive(e.compound, m.slot) else 0.0
        freed, kept, lost = split_raid(m.people, float(e.workers), after)
        self._book(e.week, "detained_rescued", freed)
        self._book(e.week, "attrition", lost)
        where = pend[0] if pend is not None else None
        if where is None and (pend is not None or self._alive(e.compound, m.slot)):
            m.people = kept  # still in the hit place (moved inside it, or not moved)
        else:
            self._book(e.week, where or "released", kept)
            del self.members[e.compound]

    def week_ended(self, week: int) -> None:
        if self.shock.start <= week <= self.last_week:
            self._settle(week)
        for k in LEAVE_WEEKS:
            if week == self.shock.start + k - 1 and self.rec.cohort is not None:
                self.rec.remaining[k] = float(sum(x.people for x in self.members.values()))
        self._levels(week)
        if week == self.shock.start - 1:
            self.snapshot()

    def _settle(self, week: int) -> None:
        """Moves and closures the week made without a raid on them, then attrition and the cap for the others."""
        for uid, (where, after, _origin) in self.pending.items():
            m = self.members[uid]
            if where == "released":
                self._book(week, "released", m.people)
                del self.members[uid]
                continue
            kept = min(m.people, after)
            self._book(week, "attrition", m.people - kept)
            if where is None:
                m.people = kept
            else:
                self._book(week, where, kept)
                del self.members[uid]
        self.pending.clear()
        t = self.model.compound_table
        for uid in list(self.members):
            m = self._touch(uid, week)
            if not self._alive(uid, m.slot):  # gone without an event (not expected): counted as released
                self._book(week, "released", m.people)
                del self.members[uid]
                continue
            held = float(t.workers[m.slot])
            if m.people > held:
                self._book(week, "attrition", m.people - held)
                m.people = held

    def _levels(self, week: int) -> None:
        t, rec = self.model.compound_table, self.rec
        slots = t.slots
        here = self.inside[t.site[slots]]
        rec.weeks.append(week)
        rec.held.append(int(t.workers[slots][here].sum()))
        b = self.model.premises.table
        bs = b.slots
        inside = self.inside[b.cell[bs]] if len(bs) else np.zeros(0, dtype=bool)
        rec.standing.append(int(inside.sum()))
        rec.occupied.append(int((inside & (b.occupant[bs] >= 0)).sum()))


class ReplayObserver:
    """Every shock of a run followed at once; subscribe right after the model is built (week 0)."""

    def __init__(self, model: ScamModel, shocks: list[Shock]) -> None:
        self.trackers = [ShockTracker(model, s) for s in shocks]
        model.hooks.subscribe(hooks.CompoundMoved, self._moved)
        model.hooks.subscribe(hooks.CompoundClosed, self._closed)
        model.hooks.subscribe(hooks.RaidResolved, self._raided)
        model.hooks.subscribe(hooks.WeekEnded, self._week)
        for tr in self.trackers:  # week 0: the state after the burn-in
            tr._levels(model.week)
            if tr.shock.start - 1 <= model.week:
                tr.snapshot()

    def _moved(self, e: hooks.CompoundMoved) -> None:
        for tr in self.trackers:
            tr.moved(e)

    def _closed(self, e: hooks.CompoundClosed) -> None:
        for tr in self.trackers:
            tr.closed(e)

    def _raided(self, e: hooks.RaidResolved) -> None:
        for tr in self.trackers:
            tr.raided(e)

    def _week(self, e: hooks.WeekEnded) -> None:
        for tr in self.trackers:
            tr.week_ended(e.week)

    def records(self) -> list[ShockRecord]:
        return [tr.rec for tr in self.trackers]
