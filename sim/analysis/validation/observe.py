"""Observing a run: what the patterns need beyond ``RunResult``, recorded through the model's hooks.

The model's ``RunResult`` records workers and revenue by jurisdiction only. Several patterns need more
(compound identities across raids and moves, zone-level series, where compounds stand at the end), so
``observe`` runs the model with an ``Instrument``: an observer subscribed to the hooks of
``sim.core.hooks`` that only reads and draws no random number, so its runs are identical to
``sim.measures.run.simulate``'s (checked in tests/test_patterns.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.core import hooks
from sim.core.model import ScamModel
from sim.measures.run import MOVE_COLUMNS, RunResult, areas_for
from sim.params.declarations import Params


@dataclass
class _Records:
    zone_workers: list[np.ndarray] = field(default_factory=list)
    zone_revenue: list[np.ndarray] = field(default_factory=list)
    zone_compounds: list[np.ndarray] = field(default_factory=list)
    raids: list[tuple] = field(default_factory=list)
    move_ids: list[int] = field(default_factory=list)
    exits: list[tuple] = field(default_factory=list)
    first_seen: dict[int, int] = field(default_factory=dict)
    last_seen: dict[int, int] = field(default_factory=dict)
    building_of: dict[int, tuple[int, int]] = field(default_factory=dict)  # compound uid -> (building uid, cell), last week end
    building_first: dict[int, int] = field(default_factory=dict)  # building uid -> first week occupied
    building_last: dict[int, int] = field(default_factory=dict)  # building uid -> last week occupied


#: ``building`` is the uid of the building the raided compound occupied at the end of the week before
#: (-1 when premises are off, or the compound opened or moved that week so its building is not known).
RAID_COLUMNS = ["week", "compound", "cell", "jurisdiction", "zone", "workers", "tipped_off", "succeeded", "closed", "building"]
EXIT_COLUMNS = ["week", "operator", "compounds"]


class Instrument:
    """Records what the patterns need beyond ``RunResult``, through the model's hooks (reads only)."""

    def __init__(self, model: ScamModel) -> None:
        self.model = model
        self.rec = _Records()
        model.hooks.subscribe(hooks.RaidResolved, self._raid)
        model.hooks.subscribe(hooks.CompoundMoved, self._moved)
        model.hooks.subscribe(hooks.OperatorLeft, self._left)
        model.hooks.subscribe(hooks.WeekEnded, self._week)

    def _raid(self, e: hooks.RaidResolved) -> None:
        zone = int(self.model.region.zone.ravel()[e.cell])
        building, cell = self.rec.building_of.get(e.compound, (-1, -1))
        building = building if cell == e.cell else -1
        self.rec.raids.append((e.week, e.compound, e.cell, e.jurisdiction, zone, e.workers, e.tipped_off, e.succeeded, e.closed,
                               building))

    def _moved(self, e: hooks.CompoundMoved) -> None:
        self.rec.move_ids.append(e.compound)

    def _left(self, e: hooks.OperatorLeft) -> None:
        if e.reason in ("arrest", "bankruptcy"):
            self.rec.exits.append((e.week, e.operator, e.compounds))

    def _week(self, e: hooks.WeekEnded) -> None:
        model, rec = self.model, self.rec
        t, r = model.compound_table, model.region
        slots = t.slots
        nz = len(r.zone_names)
        z = r.zone.ravel()[t.site[slots]].astype(np.int64)
        z = np.where(z < 0, nz, z)
        rec.zone_workers.append(np.bincount(z, weights=t.workers[slots], minlength=nz + 1))
        rec.zone_revenue.append(np.bincount(z, weights=t.revenue[slots], minlength=nz + 1))
        rec.zone_compounds.append(np.bincount(z, minlength=nz + 1))
        premises = model.premises
        for s in slots:
            uid = model.compound_by_slot[int(s)].unique_id
            rec.first_seen.setdefault(uid, e.week)
            rec.last_seen[uid] = e.week
            b = premises.building_of(int(s)) if premises.on else -1
            if b >= 0:
                buid = int(premises.table.uid[b])
                rec.building_of[uid] = (buid, int(premises.table.cell[b]))
                rec.building_first.setdefault(buid, e.week)
                rec.building_last[buid] = e.week


@dataclass
class Observation:
    """A run's ``RunResult`` plus what the patterns need beyond it."""

    run: RunResult
    zone_workers: np.ndarray  # weeks x (zones + 1); the last column is outside every zone
    zone_revenue: np.ndarray
    zone_compounds: np.ndarray
    compounds_by_jurisdiction: np.ndarray  # weeks x jurisdictions
    raids: pd.DataFrame  # RAID_COLUMNS, one row per raid (weeks >= 1)
    move_ids: np.ndarray  # compound id of each row of run.moves
    exits: pd.DataFrame  # operators ended with their compounds (arrest, bankruptcy)
    first_seen: dict[int, int]
    last_seen: dict[int, int]
    final_sites: np.ndarray  # flat cell of every compound alive at the end
    building_first: dict[int, int] = field(default_factory=dict)  # building uid -> first recorded week occupied (premises on)
    building_last: dict[int, int] = field(default_factory=dict)  # building uid -> last recorded week occupied


def observe(params: Params, seed: int | None = None) -> Observation:
    """Run ``params`` like ``sim.measures.run.simulate`` and keep the extra records."""
    model = ScamModel(params, rng=seed)
    rec = Instrument(model).rec
    model.run()
    moves = pd.DataFrame(model.moves, columns=MOVE_COLUMNS)
    run = RunResult(params=params, seed=model.seed, frame=model.log.frame(), workers=model.log.workers_matrix(),
                    revenue=model.log.revenue_matrix(), moves=moves, jurisdictions=model.region.jurisdiction_names,
                    areas=areas_for(model), totals=dict(model.totals))
    t = model.compound_table
    nz = len(model.region.zone_names) + 1
    nj = model.region.n_jurisdictions

    def stack(rows: list[np.ndarray], width: int) -> np.ndarray:
        return np.vstack(rows) if rows else np.zeros((0, width))

    return Observation(
        run=run,
        zone_workers=stack(rec.zone_workers, nz),
        zone_revenue=stack(rec.zone_revenue, nz),
        zone_compounds=stack(rec.zone_compounds, nz),
        compounds_by_jurisdiction=stack(model.log.compounds_by_jurisdiction, nj),
        raids=pd.DataFrame(rec.raids, columns=RAID_COLUMNS),
        move_ids=np.array(rec.move_ids, dtype=np.int64),
        exits=pd.DataFrame(rec.exits, columns=EXIT_COLUMNS),
        first_seen=dict(rec.first_seen),
        last_seen=dict(rec.last_seen),
        final_sites=t.site[t.slots].copy(),
        building_first=dict(rec.building_first),
        building_last=dict(rec.building_last),
    )

