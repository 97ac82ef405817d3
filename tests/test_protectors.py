"""Protectors as agents and kingpin networks (issue #13): territories, fees, tip-offs, pressure, syndicates."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from sim.core import hooks, moves
from sim.core.model import ScamModel
from sim.params.declarations import Params
from sim.rules import protection
from sim.scenario.loader import params_from_dict

START = 12

#: Two unprotected jurisdictions with a protected zone Z on their border and a second zone Y inside B.
MAP = {
    "map": {"layout": ["AAAABBBB"] * 6, "zones": ["...zz..."] * 3 + [".....yy."] * 2 + ["........"]},
    "jurisdictions": {
        "A": {"symbol": "A", "governance": 0.6, "protection": 0.0, "infrastructure": 0.9},
        "B": {"symbol": "B", "governance": 0.5, "protection": 0.0, "infrastructure": 0.9},
    },
    "zones": {"Z": {"symbol": "z", "kind": "armed_group", "protection": 0.9, "concession": 0.5},
              "Y": {"symbol": "y", "kind": "armed_group", "protection": 0.6, "concession": 0.5}},
}


def small(policy: dict[str, Any] | None = None, **values: Any) -> Params:
    data: dict[str, Any] = {
        **copy.deepcopy(MAP),
        "run": {"weeks": 30, "burn_in_weeks": 10, "seed": 5},
        "operators": {"initial": 20, "initial_compounds": 2},
        "labour": {"inflow_per_week": 300.0, "initial_pool": 5000},
        "enforcement": {"background_raid_frequency": 40.0, "detection_rate": 0.3, "tipoff_base": 0.0},
        "policy": {"type": "none", "start_week": START, **(policy or {})},
    }
    params = params_from_dict(data, "<test>")
    return params.with_values(values) if values else params


def zone_cells(m: ScamModel, name: str) -> np.ndarray:
    return np.flatnonzero(m.region.zone.ravel() == m.region.zone_names.index(name))


def run_frame(params: Params):
    m = ScamModel(params).run()
    return m, m.log.frame()


SANCTION_Z = {"type": "root_causes", "sanction_protectors": ["Z"]}


def test_default_territories_are_one_protector_per_zone_and_named_groups_merge_zones():
    names, owner = protection.parse_territories(("Z", "Y", "X"), ())
    assert names == ("Z", "Y", "X") and list(owner) == [0, 1, 2]
    names, owner = protection.parse_territories(("Z", "Y", "X"), ("BGF=Z+X", "Ghost="))
    assert names == ("BGF", "Ghost", "Y") and list(owner) == [0, 2, 0]
    with pytest.raises(ValueError, match=r"protectors\.territories.*'Q', which is not a zone"):
        protection.parse_territories(("Z",), ("BGF=Q",))


def test_the_protector_earns_the_fee_paid_on_its_territory():
    m = ScamModel(small())
    m.run(5)
    t = m.compound_table
    slots = t.slots
    in_z = np.isin(t.site[slots], zone_cells(m, "Z"))
    assert in_z.any()
    paid = (t.revenue[slots] * m.prices.protection_fee_share * m.protection_eff.ravel()[t.site[slots]])[in_z].sum()
    assert m.protectors.fees[m.protectors.names.index("Z")] == pytest.approx(paid)
    assert m.protectors.treasury[m.protectors.names.index("Z")] > paid  # it has been earning every week


def test_a_protector_that_withdraws_stops_tip_offs_and_fees_on_its_territory_from_that_week():
    params = small(SANCTION_Z, **{"protectors.withdraw_pressure": 1.0})
    m = ScamModel(params)
    z, cells = m.protectors.names.index("Z"), zone_cells(m, "Z")
    tipped_in_z: list[int] = []
    m.hooks.subscribe(hooks.RaidResolved, lambda ev: tipped_in_z.append(ev.week) if ev.tipped_off and ev.cell in cells else None)
    fees = []
    for _ in range(params.run.weeks):
        m.step()
        fees.append(m.protectors.fees[z])
        prot = float(m.protection_eff.ravel()[cells[0]])
        if m.week >= START:
            assert np.all(m.protection_eff.ravel()[cells] == 0.0)  # the host's protection
            assert m.protectors.tipoff(m, int(cells[0]), prot) == 0.0
        else:
            assert m.protectors.tipoff(m, int(cells[0]), prot) == pytest.approx(0.6 * 0.9)
    assert all(f > 0 for f in fees[: START - 1])
    assert all(f == 0 for f in fees[START - 1:])
    assert all(w < START for w in tipped_in_z)
    # The other protector is not sanctioned: it keeps its protection and earns from the compounds in its zone.
    y = m.protectors.names.index("Y")
    assert np.isin(m.compound_table.site[m.compound_table.slots], zone_cells(m, "Y")).any()
    assert m.protectors.fees[y] > 0 and np.all(m.protection_eff.ravel()[zone_cells(m, "Y")] == 0.6)


def test_without_a_threshold_a_sanctioned_protector_keeps_its_territory():
    """With no withdrawal threshold a sanction lowers nothing in Z: protection and fees go on every week."""
    m = ScamModel(small(SANCTION_Z))
    z, cells = m.protectors.names.index("Z"), zone_cells(m, "Z")
    for _ in range(m.params.run.weeks):
        m.step()
        assert np.all(m.protection_eff.ravel()[cells] == 0.9)
        assert m.protectors.tipoff(m, int(cells[0]), 0.9) is None  # no threshold: the plain tip-off rule, no protector decision
        assert m.protectors.fees[z] > 0


def test_sanctioning_a_protector_with_no_territory_changes_nothing():
    responsive = {"protectors.territories": ("Ghost=",), "protectors.withdraw_pressure": 1.0,
                  "protectors.sellout_pressure": 1.0, "protectors.relocate_pressure": 1.0, "protectors.price_pressure": 1.0,
                  "protectors.price_rise": 0.5}
    plain = small({"type": "combined", "raid_frequency": 100.0}, **responsive)
    sanctioned = small({"type": "combined", "raid_frequency": 100.0, "sanction_protectors": ["Ghost"], "protector_freeze": 0.5},
                       **responsive)
    (m1, a), (m2, b) = run_frame(plain), run_frame(sanctioned)
    assert a.equals(b) and m1.moves == m2.moves and m1.raid_log == m2.raid_log
    assert a["raids"].sum() > 0


def test_sanctioning_an_unknown_protector_is_an_error():
    with pytest.raises(ValueError, match=r"policy\.sanction_protectors: 'Nobody' is not a protector"):
        ScamModel(small({"type": "root_causes", "sanction_protectors": ["Nobody"]}))


def test_a_protector_under_pressure_raises_its_price_and_earns_more_per_dollar():
    # The same seed with and without the price rise: the two runs are identical up to the books of week
    # START (the rise changes what a compound pays, not what it earns), so the protector's fee base is the
    # same and only its price differs. The fee base cannot be read off the compound table after the week:
    # compounds that paid may leave the zone after the books (raided, moving away, going overseas).
    def first_week(rise: float) -> tuple[float, float]:
        m = ScamModel(small(SANCTION_Z, **{"protectors.price_pressure": 1.0, "protectors.price_rise": rise}))
        m.run(START)
        return float(m.protectors.fees[m.protectors.names.index("Z")]), float(m.log.frame()["revenue"].iloc[-1])
    (plain, revenue_plain), (raised, revenue_raised) = first_week(0.0), first_week(0.5)
    assert plain > 0 and revenue_raised == revenue_plain
    assert raised == pytest.approx(1.5 * plain)


def test_a_protector_that_sells_out_leaks_its_operators_sites():
    params = small(SANCTION_Z, **{"protectors.sellout_pressure": 1.0, "enforcement.detection_rate": 0.0,
                                  "enforcement.background_raid_frequency": 0.0, "enforcement.responsiveness": 0.0})
    m = ScamModel(params)
    m.run(START - 1)
    t = m.compound_table
    cells = zone_cells(m, "Z")
    here = t.slots[np.isin(t.site[t.slots], cells) & (t.relocating[t.slots] == 0)]
    assert len(here) and not t.known[here].any()
    m.step()
    assert t.known[here].all()
    elsewhere = t.slots[~np.isin(t.site[t.slots], cells)]
    assert not t.known[elsewhere].any()


def pressured_in_a(**values: Any) -> tuple[ScamModel, np.ndarray]:
    """One protector holds both zones; raids announced in A pressure only the part of Z inside A. The model the week
    before, and the producing compounds in that part (the ones the protector will move out)."""
    params = small({"type": "case_by_case", "jurisdictions": ["A"], "raid_frequency": 0.0},
                   **{"protectors.territories": ("KNA=Z+Y",), "protectors.announcement_pressure": 1.0,
                      "protectors.relocate_pressure": 1.0, "protectors.relocation_subsidy": 0.5, **values})
    m = ScamModel(params)
    m.run(START - 1)
    t = m.compound_table
    z_in_a = np.flatnonzero((m.region.zone.ravel() == 0) & (m.region.flat_jurisdiction == 0))
    here = t.slots[np.isin(t.site[t.slots], z_in_a) & (t.relocating[t.slots] == 0)]
    assert len(here)
    return m, here


def test_paid_relocation_moves_operators_into_the_protectors_calm_territory_at_its_cost(monkeypatch):
    m, here = pressured_in_a()
    t = m.compound_table
    costs, paying = [], []  # the cost of every move made inside a paid move
    move_to, paid_move = moves.move_to, m.protectors.paid_move
    monkeypatch.setattr(moves, "move_to", lambda m_, comp, cell, cost, forced: (costs.append(cost) if paying else None)
                        or move_to(m_, comp, cell, cost, forced))

    def watched(m_, comp, calm=None):
        paying.append(comp)
        paid_move(m_, comp, calm)
        paying.clear()

    m.protectors.paid_move = watched
    treasury = m.protectors.treasury[0]
    m.step()
    calm = np.flatnonzero((m.protectors.owner == 0) & (m.region.flat_jurisdiction == 1))
    moved = here[t.alive[here]]
    assert len(moved) and np.isin(t.site[moved], calm).all()
    # The week's books: fees in and the spending share out (phase 5), then half of every paid move's cost (phase 7),
    # the treasury being large enough to pay each in full.
    spent = (treasury + m.protectors.fees[0]) * (1 - m.params.protectors.spending_share)
    assert len(costs) == len(here) and spent > 0.5 * sum(costs)
    assert m.protectors.treasury[0] == pytest.approx(spent - 0.5 * sum(costs), rel=1e-12)


def test_with_moving_switched_off_a_paid_relocation_closes_the_compounds_instead():
    """``relocation.enabled = false``: a forced move closes the compound (ODD 7.9), the protector's paid move too."""
    m, here = pressured_in_a(**{"relocation.enabled": False})
    ids = {m.compound_by_slot[int(s)].unique_id for s in here}
    m.step()
    standing = {c.unique_id for c in m.compound_by_slot.values()}
    assert not ids & standing and m.log.frame()["relocations"].iloc[-1] == 0


# ---- syndicates ----------------------------------------------------------------------------------

def test_bailouts_draw_on_the_treasury_up_to_the_shortfall_in_slot_order():
    draws = protection.bailouts(np.array([-5.0, 10.0, -8.0, -1.0]), np.array([0, 0, 0, 1]), np.array([10.0, 0.0]), 1.0)
    assert list(draws) == [5.0, 0.0, 5.0, 0.0]


SYNDICATES = {"operators.syndicates": 3, "syndicates.levy": 0.2, "syndicates.reveal": True,
              "enforcement.detection_rate": 0.0, "enforcement.background_raid_frequency": 0.0, "enforcement.responsiveness": 0.0}


def test_the_levy_is_its_share_of_a_members_positive_profit_only():
    paid = protection.levy(np.array([-5.0, 10.0, 3.0, 0.0]), np.array([True, True, False, True]), 0.2)
    assert paid.tolist() == [0.0, 2.0, 0.0, 0.0]


def test_members_pay_a_levy_into_a_shared_treasury():
    """With no bailouts and no payout, a week adds to each treasury exactly the levy share of its members' positive
    profits, as the week's books give them to the syndicates."""
    m = ScamModel(small(**SYNDICATES, **{"syndicates.bailout": 0.0, "syndicates.payout_share": 0.0}))
    book, ot = m.syndicate_book, m.operator_table
    settle, due = book.settle, []

    def watched(m_, profit):
        size = ot.size
        member = ot.alive[:size] & (ot.syndicate[:size] >= 0)
        syn = ot.syndicate[:size][member]
        due.append(np.bincount(syn, weights=0.2 * np.maximum(profit[:size][member], 0.0), minlength=len(book.treasury)))
        return settle(m_, profit)

    book.settle = watched
    for _ in range(5):
        before = book.treasury.copy()
        due.clear()
        m.step()
        np.testing.assert_allclose(book.treasury - before, due[0], rtol=1e-12)
    assert (book.treasury > 0).all()


_levy, _bailouts = protection.levy, protection.bailouts  # the rules themselves, for the wrappers below


def test_each_week_the_owners_take_their_share_of_both_treasuries(monkeypatch):
    """A treasury = (last week's + what came in - bailouts) x (1 - the payout share), for syndicates and protectors.

    Without the outflow a treasury fed every week grows for ever (it did, to US$34bn after 24 years of a
    no-policy Mekong run, and its bailouts ended bankruptcy), so the model could have no steady state.
    """
    m = ScamModel(small(**SYNDICATES, **{"syndicates.payout_share": 0.05, "protectors.spending_share": 0.1}))
    book, ot, flows = m.syndicate_book, m.operator_table, []

    def by_syndicate(amounts: np.ndarray) -> np.ndarray:  # per syndicate, with the membership of the moment it is paid
        syn = ot.syndicate[: len(amounts)]
        return np.bincount(syn[syn >= 0], weights=amounts[syn >= 0], minlength=3)

    monkeypatch.setattr(protection, "levy", lambda *a: flows.append(by_syndicate(paid := _levy(*a))) or paid)
    monkeypatch.setattr(protection, "bailouts", lambda *a: flows.append(-by_syndicate(drawn := _bailouts(*a))) or drawn)
    for _ in range(20):
        syndicate, protector = book.treasury.copy(), m.protectors.treasury.copy()
        flows.clear()
        m.step()
        np.testing.assert_allclose(book.treasury, (syndicate + sum(flows)) * 0.95, rtol=1e-12)
        np.testing.assert_allclose(m.protectors.treasury, (protector + m.protectors.fees) * 0.9, rtol=1e-12)
    assert (book.treasury > 0).all() and (m.protectors.treasury > 0).any()


def test_with_a_payout_a_treasury_levels_off_and_without_one_it_grows_for_ever():
    """The analytic limit: a constant inflow I and payout share s settle at I (1 - s) / s; s = 0 never settles."""
    kept = []
    for share in (0.0, 0.05):
        m = ScamModel(small(**SYNDICATES, **{"syndicates.payout_share": share, "run.burn_in_weeks": 0}))
        levels = []
        for _ in range(3):
            for _week in range(100):
                m.step()
            levels.append(m.syndicate_book.treasury.sum())
        kept.append(levels)
    grows, settles = kept
    assert grows[2] > 1.8 * grows[0]  # the levy piles up: about three times week 100's by week 300
    assert abs(settles[2] / settles[1] - 1) < 0.25 < grows[2] / grows[1] - 1  # within a quarter of its week-200 level



def test_a_bosss_extradition_removes_the_treasury_and_makes_the_members_compounds_known():
    m = ScamModel(small({"type": "root_causes", "extradite_syndicates": ["1"]}, **SYNDICATES))
    m.run(START - 1)
    book, t, ot = m.syndicate_book, m.compound_table, m.operator_table
    boss = book.boss(m, 1)
    assert boss is not None and book.treasury[1] > 0
    members = [s for s in ot.slots if ot.syndicate[s] == 1 and s != boss.slot]
    theirs = t.slots[np.isin(t.operator[t.slots], members) & (t.relocating[t.slots] == 0)]
    others = t.slots[ot.syndicate[t.operator[t.slots]] != 1]
    assert len(theirs) and not t.known[theirs].any()
    m.step()
    assert book.treasury[1] == 0.0 and book.treasury[0] > 0
    assert boss.slot not in m.operator_by_slot or m.operator_by_slot[boss.slot] is not boss
    assert t.known[theirs].all()
    assert not t.known[others].any()


def test_some_members_leave_when_the_boss_falls():
    m = ScamModel(small({"type": "root_causes", "extradite_syndicates": ["0"]}, **SYNDICATES, **{"syndicates.exit_share": 1.0}))
    m.run(START - 1)
    ot = m.operator_table
    before = [m.operator_by_slot[int(k)] for k in ot.slots if ot.syndicate[k] == 0]
    assert len(before) > 1
    m.step()
    # Every member at the fall has left (an operator entering later this week may join the syndicate by
    # order of arrival: it was not there when the boss fell).
    assert not [op for op in before if m.operator_by_slot.get(op.slot) is op]


def test_an_unknown_syndicate_id_is_an_error():
    with pytest.raises(ValueError, match=r"policy\.freeze_syndicates: '7' is not a syndicate id"):
        ScamModel(small({"type": "root_causes", "freeze_syndicates": ["7"]}, **SYNDICATES))


def test_an_asset_freeze_takes_the_treasury_and_a_share_of_members_capital():
    m = ScamModel(small({"type": "root_causes", "freeze_syndicates": ["2"], "syndicate_freeze": 0.5}, **SYNDICATES))
    m.run(START - 1)
    ot = m.operator_table
    members = ot.slots[ot.syndicate[ot.slots] == 2]
    assert len(members)
    book, at_strike = m.syndicate_book, {}
    strike = book.strike

    def watched(m_):  # the week's strike (phase 7), after the books have paid this week's levy
        mine = ot.slots[ot.syndicate[ot.slots] == 2]
        at_strike.update(treasury=book.treasury[2], capital=ot.capital[mine].copy())
        strike(m_)
        at_strike["after"] = ot.capital[mine].copy()

    book.strike = watched
    m.step()
    before, after = at_strike["capital"], at_strike["after"]
    np.testing.assert_allclose(after, np.where(before > 0, 0.5 * before, before), rtol=1e-12)  # half of what is positive
    assert m.events.raids == 0  # nothing else seizes this week
    assert m.events.seized == pytest.approx(at_strike["treasury"] + 0.5 * np.maximum(before, 0.0).sum(), rel=1e-12)


def test_a_branch_to_a_policy_with_sanctions_and_extraditions_is_the_same_as_building_it():
    values = {**SYNDICATES, "protectors.withdraw_pressure": 1.0, "syndicates.exit_share": 0.5}
    policy = {"type": "root_causes", "sanction_protectors": ["Z"], "extradite_syndicates": ["1"], "protector_freeze": 0.5}
    fresh = ScamModel(small(policy, **values)).run()
    branched = ScamModel(small(**values)).branch(small(policy, **values)).run()
    assert fresh.log.frame().equals(branched.log.frame())
    assert branched.syndicate_book.struck


def test_a_political_shift_pressures_every_protector_or_a_named_one_from_its_week():
    names = ("Z", "Y")
    shifts = protection.parse_shifts(("10:1", "Y@20:3"), names)
    assert list(protection.shift_pressure(shifts, 9, 2)) == [0, 0]
    assert list(protection.shift_pressure(shifts, 10, 2)) == [1, 1]
    assert list(protection.shift_pressure(shifts, 25, 2)) == [1, 3]
    with pytest.raises(ValueError, match=r"protectors\.shifts: 'Q@5:1'"):
        protection.parse_shifts(("Q@5:1",), names)


def test_a_protector_withdraws_after_a_political_shift_without_any_policy():
    m = ScamModel(small(**{"protectors.shifts": (f"Z@{START}:2",), "protectors.withdraw_pressure": 2.0}))
    z = m.protectors.names.index("Z")
    m.run(START - 1)
    assert m.protectors.fees[z] > 0
    m.step()
    assert m.protectors.fees[z] == 0 and m.protectors.fees[m.protectors.names.index("Y")] > 0
    assert np.all(m.protection_eff.ravel()[zone_cells(m, "Z")] == 0.0)


def test_the_scenario_check_names_every_bad_name_with_its_key():
    from sim.scenario import actornames

    bad = small({"type": "root_causes", "sanction_protectors": ["Nobody"], "extradite_syndicates": ["x"], "raid_zones": ["Q"]},
                **{"campaigns.scheduled": ("soon",), "protectors.shifts": ("Q@1:1",)})
    found = actornames.problems("s.toml", bad)
    assert len(found) == 5 and all(p.startswith("s.toml: ") for p in found)
    joined = "\n".join(found)
    for key in ("policy.sanction_protectors", "policy.extradite_syndicates", "policy.raid_zones", "campaigns.scheduled",
                "protectors.shifts"):
        assert key in joined
    assert actornames.problems("s.toml", small(SANCTION_Z)) == []
