"""The three kinds of agent: operators (criminal groups), their compounds, and enforcement agencies.

Numeric state lives in the model's column tables (see ``sim.core.tables``) so that the weekly rules in
``sim.rules.market``, ``sim.rules.labour`` and ``sim.rules.enforcement`` run over every agent at once; the classes here
are the handles through which a reader, a test or the app sees one agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from sim.core.tables import SlotTable, column

if TYPE_CHECKING:
    from sim.core.model import ScamModel

#: ``review_week`` of a compound whose operator has never decided to stay: any week is past it.
NEVER_REVIEWED = -(10**9)

COMPOUND_COLUMNS: dict[str, tuple] = {
    "operator": (np.int64, -1),  # slot of the owning operator
    "site": (np.int64, -1),  # flat cell index
    "workers": (np.int64, 0),
    "capacity": (np.int64, 0),
    "age": (np.int64, 0),  # weeks at the current site
    "relocating": (np.int64, 0),  # weeks of production still lost to a move
    "known": (bool, False),  # the local agency has found it
    "cut_weeks": (np.int64, 0),  # weeks spent under an infrastructure cut (substitution clock)
    "review_week": (np.int64, NEVER_REVIEWED),  # first week its operator will reconsider keeping the site
    "revenue": (float, 0.0),  # last week's revenue, US$
}


def operator_columns(n_jurisdictions: int) -> dict[str, tuple]:
    return {
        "capital": (float, 0.0),
        "risk_tolerance": (float, 0.0),
        "negative_weeks": (np.int64, 0),
        "n_compounds": (np.int64, 0),
        "syndicate": (np.int64, -1),
        "notoriety": (float, 0.0, n_jurisdictions),  # heat an operator carries, per jurisdiction
    }


class Compound(Agent):
    """A scam compound on one cell: forced workers, a capacity, and an owner.

    A handle: every value lives in ``model.compound_table`` at the compound's slot, and the model's
    ``compound_by_slot`` is the one registry from slot to handle. Its place on the map is the
    ``site`` column (a flat cell index), not a Mesa cell membership.

    Attributes (columns of ``model.compound_table``):
        workers: people held; hired from the regional pool, lost to attrition, rescue and moves.
        capacity: most workers it can hold; log-normal around ``compounds.capacity_mean``.
        age: weeks at the current site; visibility to agencies grows with it.
        relocating: weeks until a moving compound produces again (it still holds its workers).
        known: whether the local agency has found it; a move makes it unknown again.
    """

    workers = column("workers", int)
    capacity = column("capacity", int)
    age = column("age", int)
    relocating = column("relocating", int)
    known = column("known", bool)
    site = column("site", int)

    def __init__(self, model: ScamModel, operator: Operator, site: int, capacity: int, workers: int) -> None:
        super().__init__(model)
        self.table: SlotTable = model.compound_table
        self.slot = self.table.allocate()
        model.compound_by_slot[self.slot] = self
        self.table.operator[self.slot] = operator.slot
        self.capacity = capacity
        self.workers = workers
        operator.n_compounds += 1
        self.place(site)

    @property
    def operator(self) -> Operator:
        """Its owner (the handle of the operator in the ``operator`` column)."""
        return self.model.operator_by_slot[self.table.operator.item(self.slot)]

    def place(self, site: int) -> None:
        """Put the compound on a cell; a new site is unknown to agencies and starts young."""
        t, slot = self.table, self.slot
        t.site[slot] = site
        t.age[slot] = 0
        t.known[slot] = False
        t.cut_weeks[slot] = 0

    def close(self) -> None:
        """Remove the compound; callers have already accounted for its workers."""
        self.operator.n_compounds -= 1
        self.table.workers[self.slot] = 0
        self.table.release(self.slot)
        del self.model.compound_by_slot[self.slot]
        self.remove()


class Operator(Agent):
    """A criminal group: capital, a tolerance for risk, and the compounds it runs.

    It earns from its compounds, expands when it can afford a site that pays, moves compounds whose
    perceived raid hazard exceeds its tolerance, and leaves through explicit exits: bankruptcy, the
    arrest of its boss, or no profitable site to go to.

    Attributes (columns of ``model.operator_table``):
        capital: US$ at hand; pays moves and new sites; seized in part by raids.
        risk_tolerance: weekly raid hazard it accepts before moving (Beta-distributed).
        notoriety: heat it carries with agencies, one entry per jurisdiction.
    """

    capital = column("capital", float)
    risk_tolerance = column("risk_tolerance", float)
    n_compounds = column("n_compounds", int)
    syndicate = column("syndicate", int)

    def __init__(self, model: ScamModel, capital: float, risk_tolerance: float, syndicate: int = -1) -> None:
        super().__init__(model)
        self.table: SlotTable = model.operator_table
        self.slot = self.table.allocate()
        model.operator_by_slot[self.slot] = self
        self.capital = capital
        self.risk_tolerance = risk_tolerance
        self.syndicate = syndicate

    @property
    def compounds(self) -> list[Compound]:
        """Its compounds in slot order."""
        t = self.model.compound_table
        slots = np.flatnonzero(t.alive[: t.size] & (t.operator[: t.size] == self.slot))
        return [self.model.compound_by_slot[s] for s in slots]

    def leave(self) -> None:
        self.table.release(self.slot)
        del self.model.operator_by_slot[self.slot]
        self.remove()


class Agency(Agent):
    """The enforcement agency of one jurisdiction: a raid budget it spends on compounds it has found.

    Attributes:
        jurisdiction: index of its jurisdiction.
        credit: raids it may still make; accrues each week from its raid frequency and governance.
    """

    def __init__(self, model: ScamModel, jurisdiction: int, name: str) -> None:
        super().__init__(model)
        self.jurisdiction = jurisdiction
        self.name = name
        self.credit = 0.0
