"""The building stock: premises that compounds occupy and that outlive them.

A compound occupies one building. Opening a compound (or moving one) puts it into an empty, usable
building on the chosen cell when one stands there, for less than building new (the saving is a
per-cell layer that site choice reads), and builds a new one otherwise. A compound that moves or
closes leaves its building empty, not destroyed. A raid that empties a building may damage it (repair
before reuse), seize it (unusable for a while, or for good) or, as a policy lever, demolish it; a
demolished building leaves the stock. The rules are in ``sim.rules.premises``; this module keeps the
table and the weekly counts, and draws fates from its own random stream.

With ``premises.enabled`` false nothing here does anything: no building, no draw, no cost change.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field

import numpy as np

from sim.core.tables import SlotTable
from sim.params.declarations import PremisesParams
from sim.rules import premises as rules

#: The model's SeedSequence child that the building fates are drawn from: ``SeedSequence(seed).spawn(n)[k]``
#: is ``SeedSequence(seed, spawn_key=(k,))``, so a fixed, high key never coincides with the model's own
#: children (0-2) or with a few more that other mechanisms spawn after them.
STREAM_KEY = 1301
#: ``cost_layer`` results kept at once (one per set-up price asked since the savings last changed).
COST_LAYERS_KEPT = 8
#: Initial rows of the building table (it grows as needed).
BUILDING_ROWS = 1024

BUILDING_COLUMNS: dict[str, tuple] = {
    "uid": (np.int64, -1),  # building id, never reused (slots are)
    "cell": (np.int64, -1),  # flat cell index
    "capacity": (np.int64, 0),  # people it holds: what its builder built it for, extended by a larger tenant
    "owner": (np.int64, -1),  # unique_id of the operator that built it (a protector could own it later)
    "condition": (np.int8, rules.INTACT),
    "occupant": (np.int64, -1),  # slot of the compound in it, -1 empty
    "usable_week": (np.int64, 0),  # first week a seized building can be used again
    "built_week": (np.int64, 0),
    "vacant_since": (np.int64, 0),  # week its last tenant left (or it was built)
}

#: The weekly counts, in the order of ``Premises.series`` rows.
COUNTS = ("week", "standing", "occupied", "empty", "damaged", "seized", "raided", "built", "reoccupied", "lapsed", "demolished")


@dataclass
class WeekTally:
    """Building events of the week so far."""

    raided: int = 0
    built: int = 0
    reoccupied: int = 0
    lapsed: int = 0


@dataclass
class Premises:
    """The building table, the compound-to-building link, the per-cell reuse saving and the counts.

    Attributes:
        saving: per cell, the share of a new building's cost saved by the best empty usable building
            there (0: none); site choice subtracts ``build cost x saving`` from the cost of a cell.
        series: one row per recorded week, ``COUNTS`` in order (the lead wires it into outputs).
        log: building events ``(week, event, building uid, cell)``; events are ``built``,
            ``reoccupied``, ``vacated``, ``released`` (a seizure ended), ``lapsed`` (empty too long, left the
            stock) and the fates ``damaged``, ``seized``, ``demolished``.
        demolished: buildings demolished since week 1 (they have left the stock).
        demolition_spend: US$ the state has spent demolishing them.
    """

    p: PremisesParams
    n_cells: int
    seed: int
    table: SlotTable = field(init=False)
    rng: np.random.Generator = field(init=False)
    saving: np.ndarray = field(init=False)
    of_compound: dict[int, int] = field(default_factory=dict)
    tally: WeekTally = field(default_factory=WeekTally)
    series: list[tuple[int, ...]] = field(default_factory=list)
    log: list[tuple[int, str, int, int]] = field(default_factory=list)
    demolished: int = 0
    demolition_spend: float = 0.0
    _next_uid: int = 0
    _empty_on: dict[int, list[int]] = field(default_factory=dict)  # cell -> its standing empty buildings' slots, ascending
    _saving_by_condition: tuple[float, float] | None = None  # ``_savings``, computed once
    _saving_changes: int = 0  # times a cell's saving has changed
    _any_saving: bool = False  # some cell has a saving
    _cost_layers: dict[tuple[float, float], np.ndarray] = field(default_factory=dict)  # ``cost_layer`` by (fixed, build)
    _cost_layers_at: int = 0  # the ``_saving_changes`` the kept layers were computed at

    def __post_init__(self) -> None:
        self.table = SlotTable(BUILDING_COLUMNS, capacity=BUILDING_ROWS if self.p.enabled else 1)
        self.rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(STREAM_KEY,)))
        self.saving = np.zeros(self.n_cells)

    @property
    def on(self) -> bool:
        return self.p.enabled

    # ---- costs site choice sees ---------------------------------------------------------------
    def cost_layer(self, fixed: float, build: float) -> float | np.ndarray:
        """What each cell costs to set up on: ``fixed``, less ``build`` times the cell's reuse saving.

        ``build`` is the part of ``fixed`` that is a building (a new compound's set-up, or what a move
        leaves behind and must rebuild). Off, or with nothing to save, it is ``fixed`` itself.
        """
        if not self.on or build <= 0 or not self._any_saving:
            return fixed
        if self._cost_layers_at != self._saving_changes:  # kept until a saving changes: many choices read the same layer
            self._cost_layers.clear()
            self._cost_layers_at = self._saving_changes
        kept = self._cost_layers.get((fixed, build))
        if kept is None:
            if len(self._cost_layers) >= COST_LAYERS_KEPT:
                self._cost_layers.clear()
            kept = self._cost_layers[(fixed, build)] = fixed - build * self.saving
            kept.flags.writeable = False
        return kept

    # ---- tenants --------------------------------------------------------------------------------
    def occupy(self, compound: int, cell: int, capacity: int, owner: int, week: int) -> None:
        """Put a compound into the best empty usable building on ``cell``, or a new building there.

        "Best" is the one with the largest saving, the one site choice priced the cell at; a building
        with no saving is not reused (building new costs no more).
        """
        if not self.on:
            return
        t = self.table
        b, gain = self._best_empty_on(cell)
        if b >= 0 and gain > 0:
            self._empty_on[cell].remove(b)
            t.condition[b] = rules.INTACT  # repaired if it was damaged (paid in the set-up cost)
            t.capacity[b] = max(int(t.capacity[b]), capacity)
            self._enter(b, compound, week, "reoccupied")
            self.tally.reoccupied += 1
            return
        b = t.allocate()
        t.uid[b] = self._next_uid
        self._next_uid += 1
        t.cell[b], t.capacity[b], t.owner[b], t.built_week[b] = cell, capacity, owner, week
        self._enter(b, compound, week, "built")
        self.tally.built += 1

    def vacate(self, compound: int, week: int) -> int:
        """The compound leaves its building (a move or a closure): it stands empty. Returns its slot (-1: none)."""
        if not self.on:
            return -1
        b = self.of_compound.pop(compound, -1)
        if b >= 0:
            self.table.occupant[b] = -1
            self.table.vacant_since[b] = week
            insort(self._empty_on.setdefault(int(self.table.cell[b]), []), b)
            self._event(week, "vacated", b)
            self._refresh(int(self.table.cell[b]))
        return b

    def move(self, compound: int, cell: int, capacity: int, owner: int, week: int) -> None:
        """A compound moves: its old building stands empty, and it occupies one on ``cell``."""
        self.vacate(compound, week)
        self.occupy(compound, cell, capacity, owner, week)

    def building_of(self, compound: int) -> int:
        """Slot of the building a compound occupies (-1: none, or premises off)."""
        return self.of_compound.get(compound, -1)

    # ---- raids --------------------------------------------------------------------------------
    def after_raid(self, building: int, week: int, demolish: float) -> None:
        """A raid hit ``building``; if it left it empty, the building's fate: intact, damaged, seized or demolished.

        A raid that left the compound in place (it failed and was not tipped off) leaves the building
        alone. One uniform draw from the premises stream per emptied building, and none when every
        chance is 0, so the neutral settings draw nothing.
        """
        if not self.on or building < 0:
            return
        self.tally.raided += 1
        t = self.table
        if t.occupant[building] >= 0:
            return
        p = self.p
        if demolish <= 0 and p.seizure_probability <= 0 and p.damage_probability <= 0:
            return
        fate = rules.raid_fate(float(self.rng.random()), demolish, p.seizure_probability, p.damage_probability)
        if fate == rules.INTACT:
            return
        cell = int(t.cell[building])
        self._event(week, rules.CONDITION_NAMES[fate], building)
        if fate == rules.DEMOLISHED:
            self._release(building)
            self.demolished += 1
            self.demolition_spend += p.demolition_cost
        else:
            t.condition[building] = fate
            if fate == rules.SEIZED:
                t.usable_week[building] = rules.seizure_end(week, p.seizure_weeks)
        self._refresh(cell)

    # ---- the week -----------------------------------------------------------------------------
    def end_week(self, week: int) -> None:
        """Seizures that have run their time end (the building stands empty and intact); buildings empty for
        ``vacancy_weeks`` leave the stock; the week's counts."""
        if not self.on:
            return
        t = self.table
        slots = t.slots
        if self.p.vacancy_weeks >= 0:
            lapsed = slots[(t.occupant[slots] < 0) & (week - t.vacant_since[slots] >= self.p.vacancy_weeks)]
            for b in lapsed:
                self._event(week, "lapsed", int(b))
                self._release(int(b))
            for cell in np.unique(t.cell[lapsed]):
                self._refresh(int(cell))
            self.tally.lapsed += len(lapsed)
            slots = t.slots
        ended = slots[(t.condition[slots] == rules.SEIZED) & (t.usable_week[slots] <= week + 1)]
        for b in ended:
            t.condition[b] = rules.INTACT
            self._event(week, "released", int(b))
        for cell in np.unique(t.cell[ended]):
            self._refresh(int(cell))
        tally = self.tally
        self.series.append((week, *self.counts(), tally.raided, tally.built, tally.reoccupied, tally.lapsed, self.demolished))
        self.tally = WeekTally()

    def counts(self) -> tuple[int, int, int, int, int]:
        """Buildings standing, occupied, empty, damaged and seized now (damaged and seized are empty)."""
        t = self.table
        slots = t.slots
        cond = t.condition[slots]
        occupied = int((t.occupant[slots] >= 0).sum())
        return (len(slots), occupied, len(slots) - occupied, int((cond == rules.DAMAGED).sum()), int((cond == rules.SEIZED).sum()))

    def forget_history(self) -> None:
        """Drop the counts and log of the burn-in; the buildings stay."""
        self.series.clear()
        self.log.clear()
        self.demolished = 0
        self.demolition_spend = 0.0
        self.tally = WeekTally()

    # ---- internals ------------------------------------------------------------------------------
    def _best_empty_on(self, cell: int) -> tuple[int, float]:
        """The empty usable building on ``cell`` with the largest reuse saving (the first such, by slot) and
        that saving; ``(-1, 0.0)`` when there is none.

        A cell holds an empty building or two, so a Python loop over its index of empty buildings beats array
        calls; the saving is one of two numbers (``_savings``: intact or damaged), each ``rules.reuse_saving`` of
        that condition.
        """
        here = self._empty_on.get(cell)
        if not here:
            return -1, 0.0
        cond, occ, savings = self.table.condition, self.table.occupant, self._savings
        best, most = -1, 0.0
        for b in here:
            c = int(cond[b])
            if rules.usable(c, int(occ[b])):
                gain = savings[c]
                if best < 0 or gain > most:
                    best, most = b, gain
        return best, most

    @property
    def _savings(self) -> tuple[float, float]:
        """``rules.reuse_saving`` of an intact and of a damaged building (indexed by the condition)."""
        kept = self._saving_by_condition
        if kept is None:
            both = rules.reuse_saving(np.array([rules.INTACT, rules.DAMAGED]), self.p.reoccupy_share, self.p.repair_share)
            kept = self._saving_by_condition = (float(both[0]), float(both[1]))
        return kept

    def _release(self, b: int) -> None:
        """The building leaves the stock (demolished or lapsed, so empty): out of the table and of its cell's index."""
        self._empty_on[int(self.table.cell[b])].remove(b)
        self.table.release(b)

    def _enter(self, b: int, compound: int, week: int, event: str) -> None:
        self.table.occupant[b] = compound
        self.of_compound[compound] = b
        self._event(week, event, b)
        self._refresh(int(self.table.cell[b]))

    def _refresh(self, cell: int) -> None:
        """Recompute one cell's reuse saving after a building on it changed."""
        value = self._best_empty_on(cell)[1]
        if value != self.saving[cell]:
            self.saving[cell] = value
            self._saving_changes += 1
            self._any_saving = bool(self.saving.any())

    def _event(self, week: int, event: str, b: int) -> None:
        t = self.table
        self.log.append((week, event, int(t.uid[b]), int(t.cell[b])))
