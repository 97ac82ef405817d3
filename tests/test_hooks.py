"""Observer hooks: what the model announces agrees with what it records, and observing changes nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from sim.core import hooks
from sim.core.model import ScamModel
from sim.params.declarations import Params
from sim.scenario.loader import params_from_dict

WEEKS = 40

#: Three jurisdictions in a row, a protected zone on the A|B border.
DATA: dict[str, Any] = {
    "map": {"layout": ["AAAABBBBCCCC"] * 6, "zones": ["...zz......."] * 2 + ["............"] * 4},
    "jurisdictions": {
        "A": {"symbol": "A", "governance": 0.6, "protection": 0.1, "infrastructure": 0.9},
        "B": {"symbol": "B", "governance": 0.4, "protection": 0.3, "infrastructure": 0.8},
        "C": {"symbol": "C", "governance": 0.3, "protection": 0.3, "infrastructure": 0.7},
    },
    "zones": {"Z": {"symbol": "z", "kind": "sez", "protection": 0.8, "concession": 1.0}},
    "run": {"weeks": WEEKS, "burn_in_weeks": 20, "seed": 4},
    "operators": {"initial": 30, "initial_compounds": 2},
    "labour": {"inflow_per_week": 300.0, "initial_pool": 5000},
    "enforcement": {"background_raid_frequency": 20.0, "detection_rate": 0.3},
    # Every raid mode, so raids are followed up, pressure builds and notoriety is shared.
    "policy": {"type": "combined", "start_week": 10, "raid_frequency": 300.0, "mix": ["network", "hotspot", "coordinated"],
               "network_arrest_probability": 0.3},
}


def params() -> Params:
    return params_from_dict(DATA, "<test_hooks>")


def records(m: ScamModel) -> tuple:
    return m.log.frame(), list(m.moves), list(m.raid_log), dict(m.totals), m.pool


def observed_run() -> tuple[ScamModel, dict[type, list]]:
    m = ScamModel(params())
    seen: dict[type, list] = {kind: [] for kind in hooks.EVENT_TYPES}
    for kind in hooks.EVENT_TYPES:
        m.hooks.subscribe(kind, seen[kind].append)
        m.hooks.subscribe(kind, lambda event: event.week)  # a second observer of each type, reading only
    m.run()
    return m, seen


def test_observers_change_nothing():
    observed, seen = observed_run()
    plain = ScamModel(params()).run()
    a, b = records(observed), records(plain)
    assert a[0].equals(b[0])
    assert a[1:] == b[1:]
    assert seen[hooks.RaidResolved] and seen[hooks.CompoundMoved]  # the observers did see something


def test_event_counts_agree_with_the_weekly_log():
    m, seen = observed_run()
    f = m.log.frame()
    raids = seen[hooks.RaidResolved]
    moved = seen[hooks.CompoundMoved]
    left = Counter(e.reason for e in seen[hooks.OperatorLeft])
    assert f["raids"].sum() > 0 and f["relocations"].sum() > 0  # a run with raids and moves
    assert len(raids) == f["raids"].sum()
    assert sum(e.succeeded for e in raids) == f["raids_succeeded"].sum()
    assert sum(e.tipped_off for e in raids) == f["raids_tipped_off"].sum()
    assert sum(e.boss_arrested for e in raids) == f["bosses_arrested"].sum() == left["arrest"]
    assert len(moved) == f["relocations"].sum()
    assert sum(e.forced for e in moved) == f["forced_relocations"].sum()
    assert sum(e.cross_border for e in moved) == f["cross_border_relocations"].sum()
    assert len(seen[hooks.CompoundOpened]) == f["compounds_opened"].sum()
    assert len(seen[hooks.CompoundClosed]) == f["compounds_dissolved"].sum()
    assert sum(e.released for e in seen[hooks.CompoundClosed]) <= m.totals["repatriated"] + m.totals["retrafficked"]
    assert len(seen[hooks.OperatorEntered]) == f["entrants"].sum()
    assert left["bankruptcy"] == f["bankruptcies"].sum()
    assert left["idle"] + left["no_site"] == f["operator_exits_other"].sum()
    assert [e.week for e in seen[hooks.WeekEnded]] == list(range(1, WEEKS + 1))
    # Moves announced are the moves recorded, in order.
    assert [(e.week, e.origin, e.destination, e.forced) for e in moved] == [(w, a, b, forced) for w, a, b, _, _, forced in m.moves]


def test_a_branch_starts_without_subscribers():
    m = ScamModel(params())
    heard: list = []
    for kind in hooks.EVENT_TYPES:
        m.hooks.subscribe(kind, heard.append)
    clone = m.branch(params())
    assert not any(clone.hooks.wants(kind) for kind in hooks.EVENT_TYPES)
    clone.run(15)
    assert heard == []  # the clone's weeks reached no observer of the original
    assert all(m.hooks.wants(kind) for kind in hooks.EVENT_TYPES)  # the original keeps its observers


def test_unsubscribing_stops_the_calls():
    m = ScamModel(params())
    weeks: list[int] = []
    stop = m.hooks.subscribe(hooks.WeekEnded, lambda e: weeks.append(e.week))
    m.run(2)
    stop()
    m.run(2)
    assert weeks == [1, 2]
    assert not m.hooks.wants(hooks.WeekEnded)


@pytest.mark.parametrize("kind", [int, dict, ScamModel, hooks.Hooks])
def test_subscribing_to_something_that_is_not_an_event_raises(kind):
    m = ScamModel(params())
    with pytest.raises(TypeError, match="not an event the model announces"):
        m.hooks.subscribe(kind, print)
