"""Campaigns with political will, and border value (issue #13)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from sim.core import hooks
from sim.core.model import ScamModel
from sim.params.declarations import Params
from sim.rules import borders, campaigns
from sim.scenario.loader import params_from_dict

#: Three countries in a row, a protected zone Z inside A away from every border.
MAP = {
    "map": {"layout": ["AAAAAABBBBBBCCCC"] * 6, "zones": ["................"] * 2 + [".zz............."] * 2 + ["................"] * 2},
    "jurisdictions": {
        "A": {"symbol": "A", "governance": 0.7, "protection": 0.1, "infrastructure": 0.9},
        "B": {"symbol": "B", "governance": 0.7, "protection": 0.1, "infrastructure": 0.9},
        "C": {"symbol": "C", "governance": 0.5, "protection": 0.2, "infrastructure": 0.8},
    },
    "zones": {"Z": {"symbol": "z", "kind": "sez", "protection": 0.3, "concession": 1.0}},
}
QUIET = {"enforcement.background_raid_frequency": 0.0, "enforcement.responsiveness": 0.0}


def small(**values: Any) -> Params:
    data: dict[str, Any] = {
        **copy.deepcopy(MAP),
        "run": {"weeks": 40, "burn_in_weeks": 10, "seed": 7},
        "operators": {"initial": 25, "initial_compounds": 2},
        "labour": {"inflow_per_week": 300.0, "initial_pool": 5000},
        "enforcement": {"background_raid_frequency": 30.0, "detection_rate": 0.5},
    }
    params = params_from_dict(data, "<test>")
    return params.with_values(values) if values else params


def outputs(params: Params):
    m = ScamModel(params).run()
    return m.log.frame(), m.moves, m.raid_log


def test_political_will_decays_with_its_half_life_and_jumps_on_a_start():
    decay = 0.5 ** (1 / 4)
    level = np.array([1.0, 0.0])
    for _ in range(4):
        level = campaigns.advance(level, decay, np.zeros(2), 0.0)
    assert level == pytest.approx([0.5, 0.0])
    assert campaigns.advance(level, decay, np.array([0.0, 1.0]), 0.2) == pytest.approx([0.5 * decay, 1.0])
    assert campaigns.advance(np.zeros(2), decay, np.zeros(2), 0.2) == pytest.approx([0.2, 0.2])


def test_a_series_entry_must_be_week_and_level():
    assert campaigns.parse_series(("52:0.5", "10:1"), "k") == [(10, 1.0), (52, 0.5)]
    with pytest.raises(ValueError, match=r"campaigns\.scheduled: 'soon' is not week:level"):
        campaigns.parse_series(("soon",), "campaigns.scheduled")


def test_a_campaign_with_zero_effort_is_identical_to_no_campaign():
    base = small()
    idle = small(**{"campaigns.effort": 0.0, "campaigns.scheduled": ("5:1",), "campaigns.trigger_rescued": 1,
                    "campaigns.foreign_pressure": ("1:0.5",), "campaigns.target_zones": ("Z",), "campaigns.coordinated": True})
    (a, moves_a, raids_a), (b, moves_b, raids_b) = outputs(base), outputs(idle)
    assert a.to_csv().encode() == b.to_csv().encode()
    assert moves_a == moves_b and raids_a == raids_b


def test_a_zone_targeted_campaign_raids_no_compound_outside_the_zone():
    params = small(**QUIET, **{"campaigns.effort": 2000.0, "campaigns.scheduled": ("1:1",), "campaigns.half_life_weeks": 100.0,
                               "campaigns.target_zones": ("Z",)})
    m = ScamModel(params).run()
    zone = set(np.flatnonzero(m.region.zone.ravel() == 0).tolist())
    assert len(m.raid_log) > 0
    assert all(cell in zone for _, cell, _ in m.raid_log)


def test_a_campaign_raises_raids_while_its_will_lasts_and_lets_them_lapse():
    """A scheduled campaign at will 1 in week 5 halves every half-life (2 weeks) where campaigns run; its raids stop
    once the will left cannot add up to one raid (from week 30: 500 raids a year at will 0.5^12.5 make 0.006)."""
    params = small(**QUIET, **{"campaigns.effort": 500.0, "campaigns.scheduled": ("5:1",), "campaigns.half_life_weeks": 2.0})
    m = ScamModel(params)
    runs = m.campaigns.runs
    assert runs.any()
    for _ in range(params.run.weeks):
        m.step()
        expected = 0.5 ** ((m.week - 5) / 2.0) if m.week >= 5 else 0.0
        np.testing.assert_allclose(m.campaigns.level[runs], expected, rtol=1e-9, atol=1e-15)
    raids = m.log.frame().set_index("week")["raids"]
    assert raids.loc[:4].sum() == 0
    assert raids.loc[5:12].sum() > 0
    assert raids.loc[30:].sum() == 0


def test_a_publicised_raid_starts_a_campaign_where_it_happened_and_coordination_starts_it_everywhere():
    for coordinated in (False, True):
        params = small(**{"campaigns.effort": 1.0, "campaigns.trigger_rescued": 1, "campaigns.coordinated": coordinated})
        m = ScamModel(params)
        publicised: list[int] = []
        m.hooks.subscribe(hooks.RaidResolved, lambda ev, out=publicised: out.append(ev.jurisdiction) if ev.succeeded else None)
        while not publicised:
            m.step()
        where = set(publicised)  # every jurisdiction with a successful raid in the first week that had one
        before = m.campaigns.level.copy()  # will only decays unless a campaign starts (one may be under way since the burn-in)
        m.step()  # the campaigns start the week after (raids of this week would start theirs the week after that)
        level, n = m.campaigns.level, len(m.campaigns.level)
        expected = set(range(n)) if coordinated else where  # everywhere, or where it happened and nowhere else
        assert all(level[k] == 1.0 for k in expected)
        assert all(level[k] == pytest.approx(before[k] * m.campaigns.decay, abs=1e-12) for k in set(range(n)) - expected)
        assert coordinated or len(expected) < n  # somewhere was left alone, so "nowhere else" was tested


def test_campaign_names_are_checked():
    with pytest.raises(ValueError, match=r"campaigns\.target_zones: 'Q' is not known"):
        ScamModel(small(**{"campaigns.target_zones": ("Q",)}))


# ---- borders -------------------------------------------------------------------------------------

def test_cells_near_another_country_and_near_an_uncut_one():
    country = np.array([[0, 0, 0, 1, 1]]).T.repeat(2, axis=1)  # x = 0..4, two rows
    assert borders.near_foreign(country, 1)[:, 0].tolist() == [False, False, True, True, False]
    cut = country == 1
    relieved = borders.near_foreign(country, 2, source=~cut)
    assert relieved[:, 0].tolist() == [False, False, False, True, True]  # cut land within reach of uncut land abroad
    assert borders.near_foreign(country, 1, source=~cut)[:, 0].tolist() == [False, False, False, True, False]
    assert borders.relieved_cut(0.8, np.array([True, False]), 0.5).tolist() == pytest.approx([0.4, 0.8])


def tipped_losses(params: Params) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Workers lost and workers held in each tipped-off raid, near a border (within two cells) and far from one."""
    m = ScamModel(params)
    near_border = borders.near_foreign(m.borders.country, 2).ravel()
    near, far = [], []

    def seen(ev: hooks.RaidResolved) -> None:
        if not ev.tipped_off or ev.workers == 0:
            return
        comp = next((c for c in m.compound_by_slot.values() if c.unique_id == ev.compound), None)
        if comp is not None:
            (near if near_border[ev.cell] else far).append((ev.workers - comp.workers, ev.workers))

    m.hooks.subscribe(hooks.RaidResolved, seen)
    m.run()
    return near, far


#: Every raid tipped off, moves cheap enough that the market survives a year of them.
TIPPED = {"enforcement.tipoff_base": 1.0, "enforcement.evacuation_loss": 0.4, "relocation.sunk_share": 0.0,
          "relocation.base_cost": 1e5, "run.weeks": 80}


def test_the_border_escape_route_lowers_the_workers_lost_in_tipped_off_raids_near_borders():
    """Each worker of a tipped-off compound is lost with the evacuation loss (0.4), times the escape factor (0.25)
    near a border when the route is on: the pooled shares are within 4 binomial standard errors of 0.4 and 0.1."""
    def check(raids: list[tuple[int, int]], p: float) -> None:
        lost, held = sum(r[0] for r in raids), sum(r[1] for r in raids)
        assert len(raids) > 10 and abs(lost / held - p) < 4 * math.sqrt(p * (1 - p) / held), (lost, held, p)

    near0, far0 = tipped_losses(small(**TIPPED))
    near1, far1 = tipped_losses(small(**TIPPED, **{"borders.escape_cells": 2, "borders.escape_loss_factor": 0.25}))
    for raids in (near0, far0, far1):
        check(raids, 0.4)
    check(near1, 0.4 * 0.25)


@pytest.mark.parametrize("factor", [0.0, 0.5])
def test_an_escape_across_the_border_makes_the_forced_move_cheaper(monkeypatch, factor):
    """A tipped-off compound near a border pays ``escape_cost_factor`` of its forced move (the rest comes back right
    after the move); one far from any border pays all of it."""
    from sim.core import moves

    m = ScamModel(small(**TIPPED, **{"borders.escape_cells": 2, "borders.escape_cost_factor": factor}))
    near_border = borders.near_foreign(m.borders.country, 2).ravel()
    before: dict[int, float] = {}  # capital as the forced move begins
    cost: dict[int, float] = {}  # what the move took
    at_move: dict[int, float] = {}
    kept = {True: [], False: []}  # (share of the cost paid back, cost) per raid, near a border or not

    def capital(uid: int) -> float:
        return next(op.capital for op in m.operator_by_slot.values() if op.unique_id == uid)

    relocate = moves.relocate

    def watched(m_, comp, forced):
        if forced:
            before[comp.unique_id] = comp.operator.capital
        relocate(m_, comp, forced)

    monkeypatch.setattr(moves, "relocate", watched)

    def moved(ev: hooks.CompoundMoved) -> None:
        # Moves on the map only: a compound that goes overseas (destination -1) leaves the map, and its
        # operator leaves the regional market with it when that was its last compound.
        if ev.forced and ev.destination >= 0 and ev.compound in before:
            at_move[ev.compound] = capital(ev.operator)
            cost[ev.compound] = before.pop(ev.compound) - at_move[ev.compound]

    def raided(ev: hooks.RaidResolved) -> None:
        if ev.tipped_off and ev.compound in at_move:
            c = cost.pop(ev.compound)
            kept[bool(near_border[ev.cell])].append(((capital(ev.operator) - at_move.pop(ev.compound)) / c, c))

    m.hooks.subscribe(hooks.CompoundMoved, moved)
    m.hooks.subscribe(hooks.RaidResolved, raided)
    m.run()
    assert len(kept[True]) >= 5 and len(kept[False]) >= 5
    assert all(c > 0 for _, c in kept[True] + kept[False])
    assert [share for share, _ in kept[True]] == pytest.approx([1.0 - factor] * len(kept[True]), rel=1e-9)
    assert all(share == 0.0 for share, _ in kept[False])


def test_a_cut_bites_less_near_a_border_whose_other_side_is_not_cut():
    cut = {"policy.type": "root_causes", "policy.start_week": 1, "policy.infrastructure_cut": 0.8, "policy.cut_zones": ("B",),
           "policy.cut_substitutes": True}
    m = ScamModel(small(**cut, **{"borders.relief_cells": 1, "borders.relief_share": 0.5}))
    m.run(1)
    infra = m.infra_eff
    base = m.region.infrastructure
    # Column x = 6 is B next to A (uncut), x = 9 is the middle of B, x = 11 is B next to C (uncut).
    assert infra[6, 0] == pytest.approx(base[6, 0] * (1 - 0.4))
    assert infra[9, 0] == pytest.approx(base[9, 0] * (1 - 0.8))
    assert infra[11, 0] == pytest.approx(base[11, 0] * (1 - 0.4))
    assert infra[2, 0] == base[2, 0]


def test_zone_targeted_policy_raids_hit_only_the_zone_while_the_policy_lasts():
    params = small(**QUIET, **{"policy.type": "case_by_case", "policy.start_week": 1, "policy.raid_frequency": 400.0,
                               "policy.raid_zones": ("Z",)})
    m = ScamModel(params).run()
    zone = set(np.flatnonzero(m.region.zone.ravel() == 0).tolist())
    assert len(m.raid_log) > 0
    assert all(cell in zone for _, cell, _ in m.raid_log)
    everywhere = ScamModel(small(**QUIET, **{"policy.type": "case_by_case", "policy.start_week": 1,
                                             "policy.raid_frequency": 400.0})).run()
    assert any(cell not in zone for _, cell, _ in everywhere.raid_log)
