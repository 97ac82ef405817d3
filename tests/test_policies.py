"""Policy levers: each moves what its mechanism should move, and switched off changes nothing.

Most checks compare a run with its no-policy counterfactual on the same seed. Because policies draw
from their own random stream and change nothing before their start week, the two runs are identical
until then, which lets several checks be exact rather than statistical.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from sim.core.hooks import RaidResolved
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params, simulate, summarise
from sim.params.declarations import Params
from sim.policies.types import Compounds
from sim.scenario.loader import ScenarioError, params_from_dict

START = 15
WEEKS = 40

#: Three jurisdictions in a row, a protected concession zone on the A|B border.
MAP = {
    "map": {
        "layout": ["AAAABBBBCCCC"] * 6,
        "zones": ["...zz......."] * 2 + ["............"] * 4,
    },
    "jurisdictions": {
        "A": {"symbol": "A", "governance": 0.6, "protection": 0.1, "infrastructure": 0.9},
        "B": {"symbol": "B", "governance": 0.4, "protection": 0.3, "infrastructure": 0.8},
        "C": {"symbol": "C", "governance": 0.3, "protection": 0.3, "infrastructure": 0.7},
    },
    "zones": {"Z": {"symbol": "z", "kind": "sez", "protection": 0.8, "concession": 1.0}},
}


def small(policy: dict[str, Any] | None = None, **values: Any) -> Params:
    """A small, fast scenario with enough raids that enforcement levers have something to act on."""
    data: dict[str, Any] = {
        **MAP,
        "run": {"weeks": WEEKS, "burn_in_weeks": 20, "seed": 3},
        "operators": {"initial": 30, "initial_compounds": 2},
        "labour": {"inflow_per_week": 300.0, "initial_pool": 5000},
        "enforcement": {"background_raid_frequency": 20.0, "detection_rate": 0.3},
        "policy": {"type": "none", "start_week": START, **(policy or {})},
    }
    params = params_from_dict(data, "<test>")
    return params.with_values(values) if values else params


def static(policy: dict[str, Any]) -> Params:
    """A world where nothing moves, enters, grows or is raided: only the lever itself can act."""
    return small(policy, **{
        "relocation.enabled": False, "entry.rate": 0.0, "operators.expansion_rate": 0.0,
        "operators.bankruptcy": False, "enforcement.background_raid_frequency": 0.0,
        "enforcement.responsiveness": 0.0,
    })


def paired(params: Params) -> tuple[Any, Any]:
    return simulate(params), simulate(counterfactual_params(params))


ALL_TYPES = {
    "case_by_case": {"type": "case_by_case", "raid_frequency": 200.0},
    "hotspot": {"type": "hotspot", "raid_frequency": 200.0},
    "network": {"type": "network", "raid_frequency": 200.0},
    "coordinated": {"type": "coordinated", "raid_frequency": 200.0},
    "root_causes": {"type": "root_causes", "inflow_reduction": 0.5, "aml_share": 0.2, "protection_sanctions": 0.5},
    "combined": {"type": "combined", "raid_frequency": 200.0, "mix": ["network", "coordinated", "hotspot"],
                 "demand_reduction": 0.3},
}


@pytest.mark.parametrize("name", list(ALL_TYPES))
def test_run_and_counterfactual_identical_until_the_policy_starts(name):
    run, cf = paired(small(ALL_TYPES[name]))
    before = slice(0, START - 1)  # rows are weeks 1 .. START-1
    assert run.frame.iloc[before].equals(cf.frame.iloc[before])
    assert summarise(run, cf)["counterfactual"]["identical_before_policy"] is True
    # ...and the policy then does something (otherwise the check above is empty).
    assert not run.frame.iloc[START - 1 :].equals(cf.frame.iloc[START - 1 :])


def test_root_causes_with_every_lever_neutral_is_exactly_no_policy():
    run, cf = paired(small({"type": "root_causes"}))
    assert run.frame.equals(cf.frame)
    assert run.moves.equals(cf.moves)


def test_raid_type_with_background_frequency_is_exactly_no_policy():
    """case_by_case at the background frequency is the background: switching the lever to the
    background value restores the baseline exactly."""
    p = small({"type": "case_by_case", "raid_frequency": 20.0})
    run, cf = paired(p)
    assert run.frame.equals(cf.frame)


def test_demand_reduction_cuts_revenue_by_exactly_its_share_in_the_first_week():
    d = 0.3
    run, cf = paired(small({"type": "root_causes", "demand_reduction": d}))
    row = START - 1
    assert cf.frame["revenue"].iloc[row] > 0
    assert run.frame["revenue"].iloc[row] == pytest.approx((1 - d) * cf.frame["revenue"].iloc[row], rel=1e-12)


def test_repatriation_at_one_leaves_no_retrafficked_workers():
    run, cf = paired(small({"type": "combined", "raid_frequency": 300.0, "repatriation_share": 1.0}))
    after = run.frame[run.frame["week"] >= START]
    assert after["workers_rescued"].sum() > 0  # raids did free people...
    assert after["workers_retrafficked"].sum() == 0  # ...and none went back into the pool
    assert cf.frame[cf.frame["week"] >= START]["workers_retrafficked"].sum() > 0  # the lever did it


def test_inflow_reduction_means_fewer_hired_and_fewer_held():
    """Fewer people trafficked in: fewer hired, and the number held follows. That needs a
    labour-limited market (no raids here: with raids the small map is limited by compounds and the
    pool is not what binds)."""
    no_raids = {"run.weeks": 120, "enforcement.background_raid_frequency": 0.0, "enforcement.responsiveness": 0.0}
    run, cf = paired(small({"type": "root_causes", "inflow_reduction": 0.6}, **no_raids))
    assert run.totals["inflow"] < 0.6 * cf.totals["inflow"]
    assert cf.frame["pool"].iloc[START:].max() < 500  # labour-limited: the pool is drained each week...
    assert run.frame["workers_hired"].iloc[START:].sum() < 0.7 * cf.frame["workers_hired"].iloc[START:].sum()
    assert run.frame["workers_held"].iloc[-20:].mean() < 0.9 * cf.frame["workers_held"].iloc[-20:].mean()


def test_anti_money_laundering_takes_capital():
    """Each week an operator's capital follows the books: ``c' = (c + profit) (1 - payout) (1 - aml / 52)`` once the
    policy is in force (``profit`` as booked, read where the books hand it to the syndicates), and the proceeds
    kept fall by the AML share (7.3)."""
    p = static({"type": "root_causes", "aml_share": 0.3})
    m, cf = ScamModel(p), ScamModel(counterfactual_params(p))
    booked, settle = [], m.syndicate_book.settle
    m.syndicate_book.settle = lambda m_, profit: booked.append(profit.copy()) or settle(m_, profit)
    keep = 1 - p.market.payout_share
    for week in range(1, WEEKS + 1):
        slots = m.operator_table.slots
        before = m.operator_table.capital[slots].copy()
        booked.clear()
        m.step()
        cf.step()
        after = m.operator_table.capital[slots]
        assert (after > 0).all()  # the freeze's rule is for positive capital; every operator here has some
        frozen = 0.3 / 52 if week >= START else 0.0
        np.testing.assert_allclose(after, (before + booked[0][slots]) * keep * (1 - frozen), rtol=1e-12)
    assert m.operator_table.capital[slots].sum() < 0.9 * cf.operator_table.capital[slots].sum()


@pytest.mark.parametrize("substitutes_cut", [False, True])
def test_infrastructure_cut_bites_until_substitution_unless_substitutes_are_cut(substitutes_cut):
    """In a static world the cut jurisdiction's revenue is exactly (1 - cut) of the counterfactual
    while the cut bites, and exactly equal once compounds have substituted (unless substitutes are
    cut too, when it bites to the end)."""
    cut, lag = 0.6, 5
    p = static({"type": "root_causes", "infrastructure_cut": cut, "cut_zones": ["B"],
                "substitution_weeks": lag, "cut_substitutes": substitutes_cut})
    run, cf = paired(p)
    b = run.jurisdictions.index("B")
    rev, rev_cf = run.revenue[:, b], cf.revenue[:, b]
    assert rev_cf[START - 1 :].min() > 0
    biting = slice(START - 1, START - 1 + lag)  # weeks START .. START+lag-1
    np.testing.assert_allclose(rev[biting], (1 - cut) * rev_cf[biting], rtol=1e-12)
    later = slice(START - 1 + lag, None)
    expected = (1 - cut) * rev_cf[later] if substitutes_cut else rev_cf[later]
    np.testing.assert_allclose(rev[later], expected, rtol=1e-12)
    # Jurisdictions outside the cut are untouched.
    a = run.jurisdictions.index("A")
    np.testing.assert_allclose(run.revenue[:, a], cf.revenue[:, a], rtol=1e-12)


def test_protection_sanctions_cut_protection_in_applying_jurisdictions_only():
    p = small({"type": "root_causes", "protection_sanctions": 0.5, "jurisdictions": ["B"]})
    m = ScamModel(p)
    base = m.region.protection.copy()
    m.run(START)
    in_b = m.region.jurisdiction == m.region.jurisdiction_names.index("B")
    np.testing.assert_allclose(m.protection_eff[in_b], 0.5 * base[in_b])
    np.testing.assert_allclose(m.protection_eff[~in_b], base[~in_b])


def test_protection_sanctions_mean_fewer_tip_offs_and_more_finds():
    """Protection buys tip-offs and hides compounds; sanctioning protectors removes both. Summed over
    eight seeds (over 100 raids each way), so the difference in tip-off share (0.23 -> 0.07 per raid on
    an ordinary B cell; standard error of the difference about 0.045 at 100 raids) is far outside
    sampling noise. The reference is the same raids without sanctions
    (case_by_case; combined only adds the sanctions here)."""
    tipped = raids = tipped_cf = raids_cf = 0
    for seed in range(1, 9):
        kw = {"run.seed": seed}
        run = simulate(small({"type": "combined", "raid_frequency": 300.0, "protection_sanctions": 0.9}, **kw))
        ref = simulate(small({"type": "case_by_case", "raid_frequency": 300.0}, **kw))
        after = slice(START - 1, None)
        tipped += run.frame["raids_tipped_off"].iloc[after].sum()
        raids += run.frame["raids"].iloc[after].sum()
        tipped_cf += ref.frame["raids_tipped_off"].iloc[after].sum()
        raids_cf += ref.frame["raids"].iloc[after].sum()
    assert raids > 100 and raids_cf > 100
    # The lever removes 90% of protection, so the share should fall several-fold (about 0.23 -> 0.07 predicted above).
    # Requiring less than half the reference share: with about 200 raids each way the ratio of two binomial shares near
    # 0.06 and 0.28 has a standard error near 0.07, so a true ratio of 0.23 sits about 4 standard errors below 0.5,
    # while a lever that only trimmed tip-offs would fail.
    assert tipped / raids < 0.5 * (tipped_cf / raids_cf)


def test_revoking_a_concession_is_for_good():
    p = small({"type": "root_causes", "revoke_concessions": ["Z"], "end_week": START + 2})
    m = ScamModel(p)
    zone = m.region.zone == m.region.zone_names.index("Z")
    assert m.concession_eff[zone].min() == 1.0
    m.run(START + 10)  # well past the policy's end
    assert m.concession_eff[zone].max() == 0.0
    np.testing.assert_allclose(m.protection_eff[zone], m.region.home_protection[zone])


def test_hotspot_pressure_follows_raids_and_expires():
    p = small({"type": "hotspot", "raid_frequency": 300.0, "hotspot_weeks": 4, "hotspot_detection": 5.0})
    m = ScamModel(p)
    m.run(START)
    m.run(1)
    while m.log.frame()["raids"].iloc[-1] == 0:
        m.run(1)
    raided = [cell for week, cell, _ in m.raid_log if week == m.week]
    assert raided
    # set to hotspot_weeks at every raid, whatever became of its operator, then one week run down
    assert all(m.policy.pressure[m.region.xy(cell)] == 4 - 1 for cell in raided)
    t = m.compound_table
    slots = t.slots
    mult = m.policy.detection_multiplier(t.site[slots], m.week)
    hot = m.policy.pressure.ravel()[t.site[slots]] > 0
    assert np.all(np.asarray(mult)[hot] == 5.0) and np.all(np.asarray(mult)[~hot] == 1.0)
    # With raids switched off (end of policy), pressure runs out after hotspot_weeks.
    pressure = m.policy.pressure.copy()
    for _ in range(4):
        m.policy.end_of_week(m.week)
    assert pressure.max() > 0 and m.policy.pressure.max() == 0


def test_a_raid_that_arrests_the_boss_still_puts_its_place_under_pressure():
    """Hotspot pressure is on the place: a successful raid that ends its operator (every boss arrested here)
    leaves the same pressure as any other raid (ODD 7.12)."""
    p = small({"type": "hotspot", "raid_frequency": 300.0, "hotspot_weeks": 4}, **{"enforcement.arrest_probability": 1.0})
    m = ScamModel(p)
    m.run(START)
    arrested = []
    for _ in range(WEEKS - START):
        m.run(1)
        arrested = [cell for week, cell, ok in m.raid_log if week == m.week and ok]
        if arrested and m.log.frame()["bosses_arrested"].iloc[-1] > 0:
            break
    assert arrested, "no successful raid to test"
    assert all(m.policy.pressure[m.region.xy(cell)] == 4 - 1 for cell in arrested)


def test_network_policing_seizes_more_and_arrests_more():
    p = small({"type": "network", "raid_frequency": 300.0, "network_seizure_share": 0.7, "network_arrest_probability": 0.6})
    m = ScamModel(p)
    b = m.region.jurisdiction_names.index("B")
    assert m.policy.seizure_share(START - 1, b) == m.params.enforcement.seizure_share  # not yet started
    assert m.policy.seizure_share(START, b) == 0.7
    assert m.policy.arrest_probability(START, b) == 0.6
    # In the runs: once the policy has started, a successful raid takes the boss with the policy's probability (each
    # raid draws its own uniform, so the arrests are binomial: within 4 standard errors of 0.6; the default 0.05 is
    # many standard errors away)
    arrested: list[bool] = []
    for seed in range(1, 7):
        m = ScamModel(dataclasses.replace(p, run=dataclasses.replace(p.run, seed=seed)))
        m.hooks.subscribe(RaidResolved, lambda e: arrested.append(e.boss_arrested) if e.succeeded and e.week >= START else None)
        m.run()
    n = len(arrested)
    assert n >= 80  # 4 standard errors are then at most 0.22
    assert abs(np.mean(arrested) - 0.6) < 4 * np.sqrt(0.6 * 0.4 / n)


def test_network_follow_up_finds_the_operators_other_compounds():
    """After a raid each other unknown compound of the operator in the same jurisdiction is found
    with probability network_followup; with 1.0 all of them are, and nothing else: not its compounds in another
    jurisdiction (network policing alone does not cross borders), not its known or moving ones, not others'."""
    p = small({"type": "network", "raid_frequency": 300.0, "network_followup": 1.0})
    m = ScamModel(p)
    names = m.region.jurisdiction_names
    cell_in = {j: int(np.flatnonzero(m.region.flat_jurisdiction == names.index(j))[0]) for j in ("A", "B")}
    j = names.index("A")
    # slots 10-15: the operator's unknown compounds in A (two), one in B, one known and one moving in A; another's in A
    view = Compounds(slots=np.arange(10, 16), operator=np.array([7, 7, 7, 7, 7, 8]),
                     site=np.array([cell_in["A"], cell_in["A"], cell_in["B"], cell_in["A"], cell_in["A"], cell_in["A"]]),
                     known=np.array([False, False, False, True, False, False]), relocating=np.array([0, 0, 0, 0, 3, 0]))
    assert m.policy.follow_up(7, j, view, np.random.default_rng(0)).tolist() == [10, 11]
    assert m.policy.follow_up(8, j, view._replace(operator=np.full(6, 8)), np.random.default_rng(0)).tolist() == [10, 11, 15]
    m.run(START)
    assert m.policy.after_raid(m.week, j, cell_in["A"])  # in force: a raid here is followed up


def test_coordination_makes_notoriety_follow_the_operator_across_borders():
    p = small({"type": "coordinated", "raid_frequency": 100.0, "jurisdictions": ["A", "B"]})
    m = ScamModel(p)
    row = np.array([2.0, 0.0, 5.0])  # notoriety with A, B, C
    before, after = START - 1, START
    np.testing.assert_array_equal(m.policy.notoriety_map(row, before), row)
    # A and B share what they know (2 + 0); C is not part of the arrangement.
    np.testing.assert_array_equal(m.policy.notoriety_map(row, after), [2.0, 2.0, 5.0])
    rows = np.array([row, row, row])
    jur = np.array([0, 1, 2])
    np.testing.assert_array_equal(m.policy.carried_notoriety(rows, jur, before), [2.0, 0.0, 5.0])
    np.testing.assert_array_equal(m.policy.carried_notoriety(rows, jur, after), [2.0, 2.0, 5.0])


def test_regional_raids_shrink_the_market_more_than_raids_in_one_place():
    """Same raid rate per agency: applied everywhere (no safe haven) it removes more of the operation
    than applied in one jurisdiction next to havens, seed by seed (common random numbers: each pair shares its
    burn-in and its draws up to the start)."""
    for seed in (1, 2, 3):
        kw = {"run.seed": seed, "run.weeks": 60}
        r1, c1 = paired(small({"type": "case_by_case", "raid_frequency": 400.0, "jurisdictions": ["B"]}, **kw))
        r2, c2 = paired(small({"type": "case_by_case", "raid_frequency": 400.0}, **kw))
        local = r1.frame["workers_held"].iloc[-10:].mean() / c1.frame["workers_held"].iloc[-10:].mean()
        regional = r2.frame["workers_held"].iloc[-10:].mean() / c2.frame["workers_held"].iloc[-10:].mean()
        assert regional < local, (seed, regional, local)


def test_a_type_ignores_levers_it_does_not_have():
    """Root-cause levers and the mix are inert under a raid-only type, so a sweep can vary the type over
    fixed lever settings and compare like with like."""
    plain = simulate(small({"type": "case_by_case", "raid_frequency": 200.0}))
    levers = simulate(small({"type": "case_by_case", "raid_frequency": 200.0, "aml_share": 0.3, "inflow_reduction": 0.5,
                             "demand_reduction": 0.4, "mix": ["network"]}))
    assert plain.frame.equals(levers.frame)


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ({"type": "combined", "mix": ["netwrok"]}, "did you mean 'network'"),
        ({"type": "root_causes", "cut_zones": ["Nowhere"]}, "policy.cut_zones names 'Nowhere'"),
        ({"type": "root_causes", "start_week": 10, "end_week": 5}, "policy.end_week = 5 is before policy.start_week = 10"),
    ],
)
def test_policy_validation(policy, needle):
    with pytest.raises(ScenarioError) as err:
        small(policy)
    assert needle in str(err.value)
    assert "<test>" in str(err.value)


def test_a_pair_sharing_its_burn_in_equals_two_separate_runs():
    from sim.measures.run import simulate_pair

    p = small(ALL_TYPES["combined"])
    run, cf = simulate_pair(p)
    assert run.frame.equals(simulate(p).frame)
    assert cf.frame.equals(simulate(counterfactual_params(p)).frame)
    assert run.moves.equals(simulate(p).moves)


def test_an_announced_operation_empties_the_target_before_any_raid():
    """Announced (or leaked) raids: operators read the coming raid climate from the announcement, so
    compounds leave the target jurisdiction before a single raid is made there; without the
    announcement nothing differs from the counterfactual until the start week."""
    policy = {"type": "case_by_case", "raid_frequency": 2000.0, "jurisdictions": ["C"]}
    announced = small({**policy, "announce_weeks": 8})
    run, cf = paired(announced)
    quiet, _ = paired(small(policy))
    c = run.jurisdictions.index("C")
    before = START - 2  # row of week START - 1, the last week without raids
    first = START - 8  # first announced week
    assert run.frame.iloc[: first - 1].equals(cf.frame.iloc[: first - 1])
    assert summarise(run, cf)["counterfactual"]["identical_before_policy"] is True
    assert quiet.workers[before, c] == cf.workers[before, c]
    assert cf.workers[before, c] > 0
    assert run.workers[before, c] < 0.9 * cf.workers[before, c]  # an exodus...
    # ...with no raid of the policy's yet: agencies still work at the background rate in those weeks.
    m = ScamModel(announced)
    background = m.params.enforcement.background_raid_frequency
    for week in range(first, START):
        assert m.policy.announced(week)
        np.testing.assert_array_equal(m.policy.raid_frequency(week), background)
        assert m.policy.expected_raid_frequency(week)[c] == 2000.0
    assert not m.policy.announced(START) and not m.policy.announced(first - 1)


# ---- decisions on constructed arrays -----------------------------------------------------------------
# The policy reads only the arrays it is given and returns a decision, so each rule can be checked on a
# handful of made-up compounds. Cells are flat (x * 6 + y on the 12 x 6 map): A is x 0-3, B 4-7, C 8-11.

A1, A2, B1, C1 = 1 * 6 + 2, 2 * 6 + 3, 5 * 6 + 2, 9 * 6 + 2


def decider(policy: dict[str, Any]):
    from sim.policies.types import make_policy
    from sim.world.space import build_region

    p = small(policy)
    return make_policy(p.policy, build_region(p.map, p.run.km_per_cell), p.enforcement)


def test_follow_up_finds_only_the_operators_unknown_compounds_in_place_in_applying_jurisdictions():
    pol = decider({"type": "network", "raid_frequency": 100.0, "network_followup": 1.0, "jurisdictions": ["A", "B"]})
    # slot:        0     1     2     3     4     5     6
    view = Compounds(
        slots=np.array([0, 1, 2, 3, 4, 5, 6]),
        operator=np.array([7, 7, 7, 7, 7, 7, 8]),
        site=np.array([A1, A2, A2, A1, B1, C1, A1]),
        known=np.array([False, True, False, False, False, False, False]),
        relocating=np.array([0, 0, 2, 0, 0, 0, 0]),
    )
    rng = np.random.default_rng(5)
    found = pol.follow_up(7, 0, view, rng)
    # 1 is known, 2 is moving, 6 is another operator's; 4 is in B (applying, but network policing alone
    # stays in its jurisdiction), 5 is in C (not applying).
    np.testing.assert_array_equal(found, [0, 3])
    # One draw per candidate (0, 3, 4, 5), from the stream it was handed.
    ref = np.random.default_rng(5)
    ref.random(4)
    assert rng.random() == ref.random()
    # With coordination the hunt crosses into B, never into C.
    both = decider({"type": "combined", "mix": ["network", "coordinated"], "raid_frequency": 100.0, "network_followup": 1.0,
                    "jurisdictions": ["A", "B"]})
    np.testing.assert_array_equal(both.follow_up(7, 0, view, np.random.default_rng(5)), [0, 3, 4])


def test_after_raid_builds_pressure_only_once_the_policy_runs_and_says_whether_to_follow_up():
    hot = decider({"type": "hotspot", "raid_frequency": 100.0, "hotspot_radius": 1, "hotspot_weeks": 3})
    assert hot.after_raid(START - 1, 0, A1) is False
    assert hot.pressure.max() == 0  # not started: nothing
    assert hot.after_raid(START, 0, A1) is False  # hotspot policing does not follow the operator
    x, y = hot.region.xy(A1)
    assert hot.pressure[x, y] == 3 and hot.pressure[x + 1, y + 1] == 3 and hot.pressure[x + 2, y] == 0
    net = decider({"type": "network", "raid_frequency": 100.0, "network_followup": 0.5})
    assert net.after_raid(START, 0, A1) is True and net.pressure.max() == 0


def test_hotspot_order_puts_pressured_cells_first_then_the_most_visible():
    pol = decider({"type": "hotspot", "raid_frequency": 100.0})
    slots = np.array([10, 11, 12, 13])
    sites = np.array([A1, A2, A1, A2])
    vis = np.array([1.0, 5.0, 2.0, 3.0])
    owners = np.zeros(4, dtype=np.int64)
    notoriety = np.zeros((1, 3))
    pol.pressure.ravel()[A1] = 2  # A1 is pressured, A2 is not
    np.testing.assert_array_equal(pol.order_targets(START, 0, slots, vis, sites, owners, notoriety), [12, 10, 11, 13])
    # Before the start (or where it does not apply) only visibility counts.
    np.testing.assert_array_equal(pol.order_targets(START - 1, 0, slots, vis, sites, owners, notoriety), [11, 13, 12, 10])
    mult = pol.detection_multiplier(sites, START)
    np.testing.assert_array_equal(mult, np.where(sites == A1, pol.p.hotspot_detection, 1.0))
    assert pol.detection_multiplier(sites, START - 1) == 1.0


def test_network_order_puts_pursued_operators_first():
    pol = decider({"type": "network", "raid_frequency": 100.0})
    slots = np.array([0, 1, 2])
    vis = np.array([3.0, 2.0, 1.0])
    sites = np.array([A1, A1, A2])
    owners = np.array([0, 1, 2])
    notoriety = np.array([[0.0, 0, 0], [0.3, 0, 0], [0.25, 0, 0]])  # operator 0 unknown; 1 and 2 pursued in A
    np.testing.assert_array_equal(pol.order_targets(START, 0, slots, vis, sites, owners, notoriety), [1, 2, 0])
    # The same notoriety with another agency does not count here.
    elsewhere = notoriety[:, [1, 0, 2]]
    np.testing.assert_array_equal(pol.order_targets(START, 0, slots, vis, sites, owners, elsewhere), [0, 1, 2])
