"""Premises that outlive their tenants (issue #13): reuse is cheaper, raids leave buildings behind, counts balance.

The mechanism is off by default; every test here switches it on (``premises.enabled``) and says which
of its settings it needs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ONE_JURISDICTION, make_params

from sim.core import moves, phases
from sim.core.model import ScamModel
from sim.rules import premises as rules

#: Raids that always succeed and never arrest: every raid empties its building and the operator goes on.
SURE_RAIDS = {"enforcement.tipoff_base": 0.0, "enforcement.tipoff_protection": 0.0, "enforcement.raid_failure": 0.0,
              "enforcement.arrest_probability": 0.0}
OPEN_COST = 1.0e7
#: Capital of a test operator: enough for two new buildings, not so much that the capital a raid would seize dwarfs income.
CAPITAL = 2.5e7


# ---- the rules ------------------------------------------------------------------------------------

def test_reuse_saving_is_the_share_of_a_new_building_not_spent():
    saving = rules.reuse_saving(np.array([rules.INTACT, rules.DAMAGED]), reoccupy_share=0.3, repair_share=0.2)
    assert saving == pytest.approx([0.7, 0.5])
    # repairing costs more than building new: no saving, the building is left standing
    assert rules.reuse_saving(np.array([rules.DAMAGED]), 0.7, 0.5) == pytest.approx([0.0])
    assert rules.reuse_saving(np.array([rules.INTACT]), 1.0, 0.0) == pytest.approx([0.0])  # the neutral setting


def test_raid_fate_follows_its_chances_in_order():
    # demolish 0.2; seize 0.5 of the rest (0.4); damage 0.5 of the rest (0.2); intact the last 0.2
    cuts = [(0.0, rules.DEMOLISHED), (0.19, rules.DEMOLISHED), (0.21, rules.SEIZED), (0.59, rules.SEIZED),
            (0.61, rules.DAMAGED), (0.79, rules.DAMAGED), (0.81, rules.INTACT), (0.999, rules.INTACT)]
    for u, fate in cuts:
        assert rules.raid_fate(u, 0.2, 0.5, 0.5) == fate, u
    assert rules.raid_fate(0.999, 1.0, 0.0, 0.0) == rules.DEMOLISHED
    assert rules.raid_fate(0.0, 0.0, 0.0, 0.0) == rules.INTACT
    assert rules.seizure_end(10, 52) == 62
    assert rules.seizure_end(10, -1) > 10**12


# ---- reuse is cheaper -------------------------------------------------------------------------------

def empty_model(**values) -> ScamModel:
    """No compounds on one uniform jurisdiction (no heat, no agglomeration): every land cell is worth the same."""
    params = make_params({"operators.initial": 0, "premises.enabled": True, "compounds.open_cost": OPEN_COST,
                          "entry.return_threshold": 0.0, **values}, ONE_JURISDICTION)
    return ScamModel(params)


def leave_empty_building(m: ScamModel, cell: int, condition: int = rules.INTACT) -> int:
    """A building on ``cell`` whose tenant has gone (a compound slot no compound uses)."""
    m.premises.occupy(10**6, cell, 300, owner=-1, week=0)
    b = m.premises.vacate(10**6, week=0)
    m.premises.table.condition[b] = condition
    m.premises._refresh(cell)
    return b


def only_cells(m: ScamModel, *cells: int) -> None:
    """Make every other cell full for this week's site choice."""
    m.layers.open_cell[:] = False
    m.layers.open_cell[list(cells)] = True


def test_an_empty_building_is_chosen_with_the_logit_probability_of_its_saving():
    beta, share = 0.2, 0.5
    m = empty_model(**{"relocation.logit_beta": beta, "premises.reoccupy_share": share})
    building, fresh = 3, 12
    leave_empty_building(m, building)
    only_cells(m, building, fresh)
    op = m.new_operator(CAPITAL)
    n = 3000
    picks = sum(moves.choose_new_site(m, op).cell == building for _ in range(n))
    # Utilities differ only by the saving, in US$M: (1 - share) x open cost.
    expected = 1.0 / (1.0 + math.exp(-beta * (1 - share) * OPEN_COST / 1e6))
    tolerance = 4 * math.sqrt(expected * (1 - expected) / n)  # four standard errors of a share of n draws
    assert abs(picks / n - expected) < tolerance, (picks / n, expected)
    assert expected > 0.7  # the test would notice the building being ignored


@pytest.mark.parametrize(("condition", "cost_share"), [(rules.INTACT, 0.3), (rules.DAMAGED, 0.5)])
def test_moving_into_an_empty_building_costs_its_share_and_repair(condition, cost_share):
    m = empty_model(**{"premises.reoccupy_share": 0.3, "premises.repair_share": 0.2})
    b = leave_empty_building(m, 7, condition)
    only_cells(m, 7)
    op = m.new_operator(CAPITAL)
    before = op.capital
    comp = moves.open_compound(m, op)
    assert comp is not None and comp.site == 7
    assert before - op.capital == pytest.approx(cost_share * OPEN_COST)
    assert m.premises.building_of(comp.slot) == b  # it went into the old building, now repaired
    assert m.premises.table.condition[b] == rules.INTACT
    assert m.premises.saving[7] == 0.0  # no empty building left there
    # the next one on that cell builds new, at full cost
    op2 = m.new_operator(CAPITAL)
    before = op2.capital
    comp2 = moves.open_compound(m, op2)
    assert comp2 is not None and comp2.site == 7 and m.premises.building_of(comp2.slot) != b
    assert before - op2.capital == pytest.approx(OPEN_COST)


def test_a_seized_building_is_not_reused_until_its_seizure_ends():
    m = empty_model(**{"premises.reoccupy_share": 0.3, "premises.seizure_weeks": 4})
    b = leave_empty_building(m, 5, rules.SEIZED)
    m.premises.table.usable_week[b] = 3
    assert m.premises.saving[5] == 0.0
    m.premises.end_week(1)
    assert m.premises.table.condition[b] == rules.SEIZED
    m.premises.end_week(2)  # usable from week 3: released at the end of week 2
    assert m.premises.table.condition[b] == rules.INTACT
    assert m.premises.saving[5] == pytest.approx(0.7)


# ---- neutral settings change nothing ----------------------------------------------------------------

RAIDED = {"operators.initial": 40, "run.weeks": 80, "policy.type": "case_by_case", "policy.start_week": 10,
          "policy.raid_frequency": 100.0, "enforcement.detection_rate": 0.3}


def fingerprint(values: dict) -> tuple:
    """Everything a run produced except the building counts themselves (which are zero with premises off)."""
    m = ScamModel(make_params({**RAIDED, **values})).run()
    frame = m.log.frame()
    frame = frame[[c for c in frame.columns if not c.startswith("buildings_")]]
    return frame.to_csv(index=False), tuple(m.moves), tuple(m.raid_log), tuple(sorted(m.totals.items()))


def test_without_reuse_the_model_is_unchanged_whatever_happens_to_buildings():
    off = fingerprint({})
    assert len(off[1]) > 20 and len(off[2]) > 20  # moves and raids to be disturbed
    assert fingerprint({"premises.enabled": True}) == off
    # Buildings are damaged, seized and demolished, drawing from their own stream; with no saving from
    # reuse nobody's choice depends on them, so not one number of the run moves.
    assert fingerprint({"premises.enabled": True, "premises.damage_probability": 0.5, "premises.seizure_probability": 0.3,
                        "premises.vacancy_weeks": 10, "policy.demolish_share": 0.4}) == off


# ---- the stock balances ------------------------------------------------------------------------------

ON = {"premises.enabled": True, "premises.reoccupy_share": 0.3, "premises.repair_share": 0.2,
      "premises.damage_probability": 0.3, "premises.seizure_probability": 0.2, "premises.seizure_weeks": 8,
      "premises.demolition_cost": 1.0e5, "premises.vacancy_weeks": 30, "policy.demolish_share": 0.3}


def test_building_counts_balance_every_week():
    m = ScamModel(make_params({**RAIDED, **ON, "run.weeks": 80}))
    pr = m.premises
    standing = pr.counts()[0]
    for _ in range(80):
        m.step()
        week, stand, occupied, empty, damaged, seized, raided, built, reoccupied, lapsed, demolished = pr.series[-1]
        assert week == m.week
        assert stand == occupied + empty
        assert damaged + seized <= empty  # damaged and seized buildings stand empty
        assert occupied == m.compound_table.count()
        t, c = pr.table, m.compound_table
        # every compound is in exactly one building, on its own cell
        link = {s: pr.building_of(int(s)) for s in c.slots}
        assert len(set(link.values())) == len(link) and all(t.alive[b] for b in link.values())
        assert all(t.cell[b] == c.site[s] and t.occupant[b] == s for s, b in link.items())
        previous_demolished = pr.series[-2][-1] if len(pr.series) > 1 else 0
        # demolished buildings and those empty too long leave the stock
        assert stand == standing + built - lapsed - (demolished - previous_demolished)
        assert raided == m.events.raids
        # each opening or move on the map takes one building; a move overseas (destination -1) leaves one empty and takes none
        overseas = sum(1 for w, _origin, dest, *_ in m.moves if w == m.week and dest == -1)
        assert built + reoccupied == m.events.opened + m.events.relocations - overseas
        standing = stand
    s = np.array(pr.series)
    # the run exercised every path the balance covers
    assert s[:, 7].sum() > 0 and s[:, 8].sum() > 0 and s[:, 9].sum() > 0 and s[:, 4].max() > 0 and s[:, 5].max() > 0
    assert pr.demolished > 0
    assert m.totals["departed_overseas"] > 0  # and compounds left the map, so the balance covers that path too
    assert pr.demolition_spend == pytest.approx(1.0e5 * pr.demolished)


def test_a_demolished_building_is_never_reoccupied():
    m = ScamModel(make_params({**RAIDED, **ON, "policy.demolish_share": 0.8, "run.weeks": 80})).run()
    log = m.premises.log
    demolished = {(uid, week) for week, event, uid, _ in log if event == "demolished"}
    assert demolished
    gone_at = {uid: week for uid, week in demolished}
    for week, event, uid, _ in log:
        if uid in gone_at and event != "demolished":
            assert week <= gone_at[uid], (week, event, uid)
    live = set(m.premises.table.uid[m.premises.table.slots].tolist())
    assert not live & set(gone_at)


# ---- a raided cluster comes back sooner where its buildings stand --------------------------------------

def weeks_to_return(seed: int, demolish: bool, weeks: int = 52) -> int:
    """Raid one compound on the busiest cell; weeks until a compound is back there (``weeks + 1``: not within ``weeks``)."""
    m = ScamModel(make_params({**SURE_RAIDS, "operators.initial": 12, "run.seed": seed, "premises.enabled": True,
                               "premises.reoccupy_share": 0.2, "enforcement.risk_perception": 0.05}))
    m.run(10)
    counts = m.compound_counts().ravel()
    cell = int(np.argmax(counts))
    t = m.compound_table
    slot = int(t.slots[t.site[t.slots] == cell][0])
    building = m.premises.building_of(slot)
    phases.raid(m, slot)
    if demolish:
        m.premises.after_raid(building, m.week, 1.0)
    left = int(m.compound_counts().ravel()[cell])
    assert left == counts[cell] - 1
    for w in range(1, weeks + 1):
        m.step()
        if m.compound_counts().ravel()[cell] > left:
            return w
    return weeks + 1


def test_a_raided_cluster_with_empty_buildings_is_reoccupied_sooner():
    """Same seeds, same raid; in one arm the raided building is demolished, in the other it stands empty.

    Both arms are identical up to the raid (the fate is drawn from the premises stream), so each seed
    is a paired comparison. Over 20 seeds about 12 raided cells were back within a year with their
    building standing and 2 without (measured when the test was written); the test asks for a
    difference of at least 5 seeds (a quarter of them), about half the measured effect.
    """
    seeds = range(1, 21)
    standing = [weeks_to_return(s, demolish=False) for s in seeds]
    gone = [weeks_to_return(s, demolish=True) for s in seeds]
    back_standing = sum(w <= 52 for w in standing)
    back_gone = sum(w <= 52 for w in gone)
    assert back_standing - back_gone >= 5, (standing, gone)
    assert np.mean(standing) < np.mean(gone)


def test_building_counts_are_recorded_and_balance_in_the_timeseries():
    """The weekly log carries the building counts, so runs can be compared with counts made by building."""
    from conftest import SCENARIOS

    from sim.measures.run import simulate
    from sim.scenario.loader import load_scenario

    params = load_scenario(SCENARIOS / "baseline_actors.toml", ["run.weeks=40", "run.burn_in_weeks=20"]).params
    f = simulate(params, seed=2).frame
    assert (f["buildings_standing"] == f["buildings_occupied"] + f["buildings_empty"]).all()
    assert (f["buildings_occupied"] == f["compounds"]).all()  # every compound is in exactly one building
    assert (f["buildings_empty"] >= f["buildings_damaged"] + f["buildings_seized"]).all()
    assert f["buildings_demolished"].is_monotonic_increasing
    assert f["buildings_raided"].sum() > 0
    off = simulate(load_scenario(SCENARIOS / "baseline.toml", ["run.weeks=5", "run.burn_in_weeks=2"]).params, seed=2).frame
    assert (off[[c for c in off.columns if c.startswith("buildings_")]] == 0).all().all()
