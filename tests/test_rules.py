"""The pure rules, tested directly on constructed inputs: what each function's docstring promises.

The model runs these functions on whole columns every week; here each one gets small inputs whose
right answer is known without running the model (hiring, slot reuse, heat decay, raid outcomes,
raid budgets, perceived hazard, neighbourhood sums and site choice). Parameters come from the real
dataclasses, and regions from a validated small map, so the inputs are ones the model could see.

Statistical checks state their tolerance and why it is enough in a comment next to it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from conftest import TWO_JURISDICTIONS, make_params

from sim.core.tables import SlotTable
from sim.params.declarations import EnforcementParams, RelocationParams
from sim.rules import enforcement
from sim.rules.enforcement import decay_factor, decay_heat, perceived_hazard, raid_budget, resolve_raid
from sim.rules.labour import allocate_hires, vacancies
from sim.rules.sitechoice import NO_SITE, choose_site
from sim.rules.sitelayers import SiteLayers
from sim.world.space import Region, box_sum, build_region

# ---- labour ------------------------------------------------------------------------------------


def test_vacancies_are_a_share_of_empty_places_scaled_by_access():
    capacity = np.array([100, 50, 10, 40])
    workers = np.array([40, 50, 20, 0])  # the third is over capacity: no vacancy, never a negative one
    access = np.array([1.0, 0.5, 1.0, 0.5])
    got = vacancies(capacity, workers, access, hiring_rate=0.25)
    np.testing.assert_allclose(got, [15.0, 0.0, 0.0, 5.0])
    assert (vacancies(capacity, workers, access, hiring_rate=0.0) == 0).all()


def test_vacancies_never_exceed_the_empty_places():
    rng = np.random.default_rng(7)
    capacity = rng.integers(1, 500, 200)
    workers = rng.integers(0, 600, 200)
    access = rng.random(200)
    got = vacancies(capacity, workers, access, hiring_rate=float(rng.random()))
    assert (got >= 0).all()
    assert (got <= np.maximum(capacity - workers, 0)).all()


def test_hires_fill_every_vacancy_when_the_pool_suffices():
    demand = np.array([3.0, 0.0, 7.5, 12.9])
    np.testing.assert_array_equal(allocate_hires(demand, pool=1000), [3, 0, 7, 12])  # whole people, rounded down
    np.testing.assert_array_equal(allocate_hires(demand, pool=22), [3, 0, 7, 12])  # exactly enough


@pytest.mark.parametrize(
    ("demand", "pool", "expected"),
    [
        # shares 4.2, 1.2, 0.6 -> floors 4, 1, 0 and one person left: the largest fraction (0.6) gets it
        ([7, 2, 1], 6, [4, 1, 1]),
        # shares 5, 3.5, 1.5 -> floors 5, 3, 1 and one left; fractions tie at 0.5: the lower slot gets it
        ([10, 7, 3], 10, [5, 4, 1]),
        # three equal claims on two people: ties go to the lower slots
        ([1, 1, 1], 2, [1, 1, 0]),
        ([5, 5], 0, [0, 0]),
        ([5, 5], -3, [0, 0]),
    ],
)
def test_a_short_pool_is_shared_pro_rata_with_the_remainder_by_largest_fraction(demand, pool, expected):
    np.testing.assert_array_equal(allocate_hires(np.array(demand, dtype=float), pool), expected)


def test_hires_never_exceed_the_pool_or_the_demand_and_use_a_short_pool_fully():
    rng = np.random.default_rng(11)
    for _ in range(500):
        n = int(rng.integers(1, 30))
        demand = rng.random(n) * rng.integers(1, 200)
        want = np.floor(demand).astype(np.int64)
        pool = int(rng.integers(0, 2 * max(1, int(want.sum()))))
        hires = allocate_hires(demand, pool)
        assert hires.dtype.kind == "i"
        assert (hires >= 0).all() and (hires <= want).all()
        assert hires.sum() <= pool
        assert hires.sum() == min(pool, want.sum())  # nobody left in the pool while a claim is unmet
        if pool < want.sum():  # pro rata: each compound within one person of its exact share
            share = want * pool / want.sum()
            assert (np.abs(hires - share) < 1.0).all()


# ---- slot tables -------------------------------------------------------------------------------


def table(capacity: int = 2) -> SlotTable:
    return SlotTable({"x": (float, -1.0), "n": (np.int64, 7), "v": (float, 0.5, 3)}, capacity=capacity)


def test_a_fresh_slot_has_every_column_at_its_fill_value():
    t = table()
    s = t.allocate()
    assert s == 0 and t.alive[s]
    assert t.x[s] == -1.0 and t.n[s] == 7 and (t.v[s] == 0.5).all()
    assert t.v.shape[1] == 3


def test_the_lowest_free_slot_is_reused_first_and_reset():
    t = table(capacity=8)
    slots = [t.allocate() for _ in range(5)]
    assert slots == [0, 1, 2, 3, 4]
    for s in slots:
        t.x[s], t.n[s], t.v[s] = 10.0 + s, 100 + s, s
    t.release(3)
    t.release(1)
    assert not t.alive[1] and not t.alive[3]
    np.testing.assert_array_equal(t.slots, [0, 2, 4])
    assert t.count() == 3
    assert t.allocate() == 1  # lowest freed first, whatever the order of release
    assert t.x[1] == -1.0 and t.n[1] == 7 and (t.v[1] == 0.5).all()  # nothing of the old tenant remains
    assert t.allocate() == 3
    assert t.allocate() == 5  # no free slot left: a new one past the end
    assert t.size == 6 and t.count() == 6
    assert t.x[2] == 12.0 and t.n[4] == 104  # the others were not touched


def test_growth_keeps_every_value_and_the_alive_mask():
    t = table(capacity=2)
    for s in range(40):  # grows 2 -> 4 -> ... -> 64
        assert t.allocate() == s
        t.x[s], t.n[s], t.v[s] = s * 1.5, -s, [s, s + 1, s + 2]
    t.release(5)
    for _ in range(30):
        t.allocate()
    live = t.slots
    assert len(t.alive) >= t.size == 69 and len(live) == 70 - 1  # slot 5 was reused
    for s in range(40):
        if s == 5:
            assert t.x[s] == -1.0  # reused: reset
            continue
        assert t.x[s] == s * 1.5 and t.n[s] == -s
        np.testing.assert_array_equal(t.v[s], [s, s + 1, s + 2])
    assert t.n.dtype == np.int64 and t.v.shape == (len(t.alive), 3)
    assert (t.x[40 : t.size] == -1.0).all()


# ---- heat --------------------------------------------------------------------------------------


def test_decay_factor_compounds_to_one_half_over_a_half_life():
    for half_life in (1.0, 2.5, 12.0, 104.0):
        f = decay_factor(half_life)
        assert 0.0 < f < 1.0
        assert f**half_life == pytest.approx(0.5, rel=1e-12)
        assert f ** (2 * half_life) == pytest.approx(0.25, rel=1e-12)


def test_fast_heat_halves_after_its_half_life_and_the_residual_after_its_own():
    e = EnforcementParams(heat_half_life=4.0, residual_half_life=30.0)
    fast = np.array([[8.0, 2.0], [0.0, 1.0]])
    residual = np.array([[3.0, 0.0], [6.0, 1.0]])
    fast0, residual0 = fast.copy(), residual.copy()
    fast_id, residual_id = id(fast), id(residual)
    for _ in range(4):
        decay_heat(fast, residual, e)
    assert id(fast) == fast_id and id(residual) == residual_id  # in place: the model's layers are these arrays
    np.testing.assert_allclose(fast, fast0 / 2, rtol=1e-12)
    np.testing.assert_allclose(residual, residual0 * 0.5 ** (4 / 30), rtol=1e-12)
    for _ in range(26):
        decay_heat(fast, residual, e)
    np.testing.assert_allclose(residual, residual0 / 2, rtol=1e-12)  # 30 weeks: the residual's half-life
    np.testing.assert_allclose(fast, fast0 * 0.5 ** (30 / 4), rtol=1e-12)


# ---- raids -------------------------------------------------------------------------------------

SURE = dict(tipoff_base=0.0, tipoff_protection=0.0, raid_failure=0.0, rescue_share=1.0)


def test_a_raid_that_cannot_fail_rescues_everyone_and_arrests_when_certain():
    e = EnforcementParams(**SURE)
    for seed in range(50):
        out = resolve_raid(120, 0.7, e, 1.0, np.random.default_rng(seed))
        assert out.succeeded and not out.tipped_off and not out.failed
        assert out.rescued == 120 and out.escaped == 0 and out.boss_arrested
        assert not resolve_raid(120, 0.7, e, 0.0, np.random.default_rng(seed)).boss_arrested


def test_a_tipped_off_raid_rescues_nobody_and_arrests_nobody():
    for loss, expected_escaped in ((0.0, 0), (1.0, 80)):
        e = EnforcementParams(tipoff_base=1.0, evacuation_loss=loss, rescue_share=1.0)
        for seed in range(50):
            out = resolve_raid(80, 0.0, e, 1.0, np.random.default_rng(seed))
            assert out.tipped_off and not out.succeeded
            assert out.rescued == 0 and not out.boss_arrested
            assert out.escaped == expected_escaped


def test_protection_brings_the_tip_off():
    e = EnforcementParams(**{**SURE, "tipoff_protection": 1.0})
    for seed in range(50):
        assert resolve_raid(10, 1.0, e, 0.0, np.random.default_rng(seed)).tipped_off
        assert not resolve_raid(10, 0.0, e, 0.0, np.random.default_rng(seed)).tipped_off


def test_a_failed_raid_frees_nobody():
    e = EnforcementParams(**{**SURE, "raid_failure": 1.0})
    for seed in range(50):
        out = resolve_raid(60, 0.0, e, 1.0, np.random.default_rng(seed))
        assert out.failed and not out.succeeded and not out.tipped_off
        assert out.rescued == 0 and out.escaped == 0 and not out.boss_arrested


def test_raid_outcomes_stay_within_the_compound_and_are_reproducible():
    rng = np.random.default_rng(3)
    for _ in range(2000):
        e = EnforcementParams(tipoff_base=float(rng.random()) * 0.5, tipoff_protection=float(rng.random()) * 0.5,
                              raid_failure=float(rng.random()), evacuation_loss=float(rng.random()),
                              rescue_share=float(rng.random()))
        workers, protection, arrest, seed = int(rng.integers(0, 300)), float(rng.random()), float(rng.random()), int(rng.integers(1 << 30))
        out = resolve_raid(workers, protection, e, arrest, np.random.default_rng(seed))
        assert 0 <= out.rescued <= workers and 0 <= out.escaped <= workers
        assert out.rescued == 0 or out.succeeded
        assert out.escaped == 0 or out.tipped_off
        assert not (out.boss_arrested and not out.succeeded)
        assert sum((out.tipped_off, out.failed, out.succeeded)) == 1
        assert out == resolve_raid(workers, protection, e, arrest, np.random.default_rng(seed))


def test_raid_outcome_frequencies_match_the_declared_probabilities():
    e = EnforcementParams(tipoff_base=0.1, tipoff_protection=0.4, raid_failure=0.2, rescue_share=0.6)
    protection, n = 0.5, 4000
    rng = np.random.default_rng(2024)
    outs = [resolve_raid(50, protection, e, 0.3, rng) for _ in range(n)]
    p_tip = 0.1 + 0.4 * protection  # 0.3
    p_fail = (1 - p_tip) * 0.2  # 0.14
    p_arrest = (1 - p_tip - p_fail) * 0.3  # 0.168
    # Each frequency is a mean of n = 4000 Bernoulli draws, standard error sqrt(p (1 - p) / n) <= 0.0079.
    # Four standard errors: a correct rule fails one of these checks with probability about 2.5e-4,
    # while getting a probability wrong by 0.05 (e.g. ignoring protection's 0.2) is at least 6 SE off.
    for observed, p in ((np.mean([o.tipped_off for o in outs]), p_tip),
                        (np.mean([o.failed for o in outs]), p_fail),
                        (np.mean([o.boss_arrested for o in outs]), p_arrest)):
        assert abs(observed - p) <= 4 * math.sqrt(p * (1 - p) / n), (observed, p)
    # Rescues of a successful raid are Binomial(50, 0.6): mean 30, sd sqrt(12) per raid; over the
    # ~2240 successes the mean has standard error about 0.073, so 0.4 is more than 5 of them.
    rescued = [o.rescued for o in outs if o.succeeded]
    assert abs(np.mean(rescued) - 30.0) < 0.4


def test_raid_budget_scales_with_governance_to_its_exponent():
    g = np.array([0.2, 0.5, 1.0])
    frequency, known = np.array([12.0, 12.0, 12.0]), np.array([3.0, 3.0, 3.0])
    for exponent in (0.0, 0.5, 2.0, 3.0):
        e = EnforcementParams(responsiveness=4.0, governance_exponent=exponent)
        got = raid_budget(frequency, known, g, e)
        np.testing.assert_allclose(got, (12.0 + 4.0 * 3.0) / 52.0 * g**exponent, rtol=1e-12)
        np.testing.assert_allclose(got / got[-1], g**exponent, rtol=1e-12)  # relative to governance 1
    e = EnforcementParams(responsiveness=0.0, governance_exponent=2.0)
    assert raid_budget(np.array([52.0]), np.array([9.0]), np.array([1.0]), e)[0] == pytest.approx(1.0)  # 52 a year = 1 a week


def test_no_programme_and_nothing_known_means_no_raids():
    e = EnforcementParams(responsiveness=5.0, governance_exponent=1.5)
    got = raid_budget(np.zeros(4), np.zeros(4), np.array([0.1, 0.4, 0.9, 1.0]), e)
    assert (got == 0).all()
    # ... and a found compound brings raids even with no programme, the more the stronger the state
    more = raid_budget(np.zeros(3), np.array([0.0, 2.0, 4.0]), np.array([0.5, 0.5, 0.5]), e)
    assert more[0] == 0 < more[1] < more[2] and more[2] == pytest.approx(2 * more[1])
    assert raid_budget(np.array([10.0]), np.array([2.0]), np.array([0.0]), e)[0] == 0  # a state with no capacity


def test_perceived_hazard_rises_with_climate_and_heat_and_falls_with_protection():
    e = EnforcementParams(risk_perception=0.15, protection_shield=0.8)
    climate = np.linspace(0.0, 1.0, 21)
    heat = np.linspace(0.0, 10.0, 21)
    protection = np.linspace(0.0, 1.0, 21)
    C, H, P = np.meshgrid(climate, heat, protection, indexing="ij")
    hazard = perceived_hazard(C, H, P, e)
    assert ((hazard >= 0) & (hazard < 1)).all()
    inside = P < 1  # with shield 0.8 protection 1 still leaves a fifth of the hazard
    assert (np.diff(hazard, axis=0)[inside[1:]] > 0).all()  # more raid capacity per compound: more fear
    assert (np.diff(hazard, axis=1)[inside[:, 1:]] > 0).all()  # more heat: more fear
    exposed = (C + H) > 0
    assert (np.diff(hazard, axis=2)[exposed[:, :, 1:]] < 0).all()  # more protection: less fear
    assert (hazard[0, 0, :] == 0).all()  # nothing to fear without raids or heat
    full = EnforcementParams(protection_shield=1.0)
    assert (perceived_hazard(C[..., -1], H[..., -1], np.ones_like(C[..., -1]), full) == 0).all()  # full protection


def test_perceived_hazard_reads_heat_at_the_declared_rate():
    e = EnforcementParams(risk_perception=0.25, protection_shield=0.5)
    got = perceived_hazard(np.array([0.1]), np.array([2.0]), np.array([0.4]), e)
    assert got[0] == pytest.approx(1 - math.exp(-(0.1 + 0.25 * 2.0) * (1 - 0.5 * 0.4)), rel=1e-12)
    assert enforcement.raid_climate(np.array([3.0, 3.0]), np.array([0.0, 6.0])).tolist() == [1.0, 0.5]


# ---- neighbourhood sums ------------------------------------------------------------------------


def brute_box_sum(counts: np.ndarray, radius: int) -> np.ndarray:
    w, h = counts.shape
    out = np.zeros((w, h))
    for x in range(w):
        for y in range(h):
            out[x, y] = counts[max(0, x - radius) : x + radius + 1, max(0, y - radius) : y + radius + 1].sum()
    return out


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (7, 1), (5, 4), (12, 9), (3, 17)])
@pytest.mark.parametrize("radius", [0, 1, 2, 4, 10])
def test_box_sum_equals_a_brute_force_sum_edges_included(shape, radius):
    rng = np.random.default_rng([*shape, radius])
    counts = rng.integers(0, 6, size=shape)
    got = box_sum(counts, radius)
    assert got.shape == shape
    np.testing.assert_allclose(got, brute_box_sum(counts, radius), rtol=0, atol=1e-9)
    floats = rng.random(shape)
    np.testing.assert_allclose(box_sum(floats, radius), brute_box_sum(floats, radius), rtol=1e-12, atol=1e-12)


# ---- site choice -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def region() -> Region:
    """Two jurisdictions (countries A and B) side by side on 8 x 4 cells, 25 km a cell."""
    p = make_params({}, TWO_JURISDICTIONS)
    return build_region(p.map, p.run.km_per_cell)


def layers(region: Region, net_per_worker: np.ndarray, open_cell: np.ndarray | None = None) -> SiteLayers:
    """Site-choice inputs with no risk, no running cost and no agglomeration: utility is net income."""
    n = region.n_cells
    zero = np.zeros(n)
    return SiteLayers(
        net_per_worker=np.asarray(net_per_worker, dtype=float),
        fixed_cost=zero,
        climate=zero,
        exposure=zero,
        protection=zero,
        labour_access=np.ones(n),
        jurisdiction=region.flat_jurisdiction.astype(np.int64),
        open_cell=region.land.ravel().copy() if open_cell is None else open_cell,
        agglomeration=zero,
        base_hazard=zero,
    )


FREE_MOVES = RelocationParams(cost_per_km=0.0, border_cost=0.0, logit_beta=1.5, horizon_weeks=26.0, agglomeration=0.0)
E = EnforcementParams()


def choose(region: Region, lay: SiteLayers, seed: int, **kw):
    args = dict(workers=10.0, notoriety=np.zeros(region.n_jurisdictions), capital=1e9, value_at_risk=0.0,
                origin=-1, stay_allowed=False, fixed_move_cost=0.0, r=FREE_MOVES, e=E)
    return choose_site(lay, region, np.random.default_rng(seed), **{**args, **kw})


def test_a_dominant_cell_is_chosen(region):
    net = np.full(region.n_cells, 1000.0)
    net[13] = 1.0e5
    lay = layers(region, net)
    # Utility is horizon * workers * net / 1e6: 0.26 at every cell but 26 at cell 13, so the logit
    # odds of any other cell are exp(-1.5 * 25.74) ~ 2e-17 each: over 31 cells and 200 draws the
    # chance that a correct rule picks another even once is ~1e-13.
    for seed in range(200):
        c = choose(region, lay, seed)
        assert c.cell == 13
        assert c.expected_net == pytest.approx(10 * 1.0e5) and c.move_cost == 0.0


def test_choice_probabilities_are_the_logit_ones(region):
    net = np.full(region.n_cells, 1000.0)
    net[5] = 1000.0 + 1.0e6 / (26 * 10 * 1.5) * math.log(31)  # beta * utility higher by log 31: odds 31 to 31
    lay = layers(region, net)
    n = 3000
    picked = np.array([choose(region, lay, seed).cell for seed in range(n)])
    share = np.mean(picked == 5)
    # p(cell 5) = 31 / (31 + 31) = 0.5. The share of n = 3000 independent draws has standard error
    # sqrt(0.25 / 3000) = 0.0091; four of them (0.037) fail a correct rule with probability 6e-5, and
    # reject a rule that ignored beta (p = 1/32) or used utility without the horizon by a wide margin.
    assert abs(share - 0.5) <= 4 * math.sqrt(0.25 / n), share
    others = np.bincount(picked[picked != 5], minlength=region.n_cells)
    assert others[5] == 0 and (others[np.arange(region.n_cells) != 5] > 0).all()  # every other cell has a chance


def test_a_forced_move_never_returns_to_its_origin(region):
    net = np.full(region.n_cells, 1000.0)
    origin = 13
    net[origin] = 1.0e5  # the origin is by far the best cell, and still ruled out
    lay = layers(region, net)
    cells = {choose(region, lay, seed, origin=origin, leave_origin=True, fixed_move_cost=1.0).cell for seed in range(300)}
    assert origin not in cells and -1 not in cells
    assert len(cells) > 10  # the rest are near-equal, so the choice spreads over them
    # when the origin is the only cell worth having, a forced move finds nothing
    only = np.full(region.n_cells, -5.0)
    only[origin] = 1000.0
    assert choose(region, layers(region, only), 1, origin=origin, leave_origin=True) == NO_SITE


def test_staying_is_free_and_allowed_on_a_full_cell(region):
    net = np.full(region.n_cells, 1000.0)
    net[13] = 1.0e5
    open_cell = region.land.ravel().copy()
    open_cell[13] = False  # full: no newcomer fits, but the compound already there may stay
    lay = layers(region, net, open_cell)
    r = dataclasses.replace(FREE_MOVES, cost_per_km=4000.0)
    stay = choose(region, lay, 2, origin=13, stay_allowed=True, fixed_move_cost=5e5, capital=0.0, r=r)
    assert stay.cell == 13 and stay.move_cost == 0.0
    assert choose(region, lay, 2, origin=-1).cell != 13  # a newcomer cannot take the full cell


def test_unaffordable_unprofitable_and_full_cells_are_never_chosen(region):
    rng = np.random.default_rng(5)
    r = dataclasses.replace(FREE_MOVES, cost_per_km=4000.0, border_cost=3.0e5, logit_beta=0.01)
    origin = 1 * region.height + 1  # cell (1, 1), in A (x < 4); flat index = x * height + y
    dist = region.distance_km(origin)
    abroad = region.abroad(origin)
    for trial in range(200):
        net = rng.normal(200.0, 400.0, region.n_cells)
        open_cell = rng.random(region.n_cells) < 0.7
        capital = float(rng.uniform(1e5, 8e5))
        lay = layers(region, net, open_cell)
        c = choose(region, lay, trial, origin=origin, fixed_move_cost=1e5, capital=capital, r=r)
        cost = 1e5 + 4000.0 * dist + 3.0e5 * abroad
        feasible = open_cell & (cost <= capital) & (net > 0)
        if not feasible.any():
            assert c == NO_SITE
            continue
        assert feasible[c.cell], (trial, c)
        assert c.move_cost == pytest.approx(cost[c.cell])
        assert c.expected_net == pytest.approx(10.0 * net[c.cell])


def test_capital_above_the_dearest_move_skips_no_check_and_below_it_still_binds(region):
    """The shortcut for capital that covers every destination (largest move cost cached per shared vector)."""
    r = dataclasses.replace(FREE_MOVES, cost_per_km=4000.0, border_cost=3.0e5, logit_beta=0.0)
    origin = 1 * region.height + 1
    cost = region.move_cost(origin, 1e5, r.cost_per_km, r.border_cost, False)
    lay = layers(region, np.full(region.n_cells, 1000.0))
    rich, poor = float(cost.max()), float(np.median(cost))
    rich_cells, poor_cells = set(), set()
    for trial in range(60):  # alternate, so a cached maximum from one call cannot leak into the next
        rich_cells.add(choose(region, lay, trial, origin=origin, fixed_move_cost=1e5, capital=rich, r=r).cell)
        c = choose(region, lay, trial, origin=origin, fixed_move_cost=1e5, capital=poor, r=r)
        assert c.move_cost <= poor
        poor_cells.add(c.cell)
    assert max(float(cost[c]) for c in rich_cells) > poor  # with enough capital the dear cells are chosen too


def test_no_affordable_site_returns_minus_one(region):
    lay = layers(region, np.full(region.n_cells, 1000.0))
    assert choose(region, lay, 1, fixed_move_cost=2e6, capital=1e6) == NO_SITE
    assert choose(region, lay, 1, fixed_move_cost=1e6, capital=1e6).cell >= 0  # exactly affordable is affordable
    nothing_open = layers(region, np.full(region.n_cells, 1000.0), np.zeros(region.n_cells, dtype=bool))
    assert choose(region, nothing_open, 1).cell == -1
    assert choose(region, layers(region, np.zeros(region.n_cells)), 1).cell == -1  # nowhere nets anything


def test_the_same_seed_gives_the_same_choice_and_draws_are_spent_either_way(region):
    lay = layers(region, np.full(region.n_cells, 1000.0))
    picks = [choose(region, lay, seed).cell for seed in range(40)]
    assert picks == [choose(region, lay, seed).cell for seed in range(40)]
    assert len(set(picks)) > 5  # equal cells: different seeds spread the choice
    # A choice that finds nothing consumes the same random numbers as one that finds a cell, so one
    # mover's bad luck does not shift every later draw of the run.
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    kw = dict(workers=10.0, notoriety=np.zeros(region.n_jurisdictions), value_at_risk=0.0, origin=-1,
              stay_allowed=False, fixed_move_cost=1e6, r=FREE_MOVES, e=E)
    assert choose_site(lay, region, a, capital=0.0, **kw) == NO_SITE
    assert choose_site(lay, region, b, capital=1e9, **kw).cell >= 0
    assert a.random() == b.random()


def test_notoriety_steers_choice_away_from_the_agency_that_knows_the_operator():
    two = build_region(make_params({}, TWO_JURISDICTIONS).map, 25.0)
    lay = layers(two, np.full(two.n_cells, 1000.0))
    e = EnforcementParams(risk_perception=1.0)
    in_b = two.flat_jurisdiction == 1
    # Known to agency A (notoriety 5): hazard there 1 - exp(-5) ~ 0.99 of a 1e7 value at risk, so A's
    # cells lose money and only B's are feasible.
    for seed in range(50):
        c = choose_site(lay, two, np.random.default_rng(seed), workers=10.0, notoriety=np.array([5.0, 0.0]), capital=1e9,
                        value_at_risk=1e7, origin=-1, stay_allowed=False, fixed_move_cost=0.0, r=FREE_MOVES, e=e)
        assert in_b[c.cell]
