"""The fast paths of site choice give bit-identical results to the plain formulas they replace.

``choose_site``, ``expected_net`` and ``perceived_hazard_into`` compute in place and read cached
move-cost vectors (``Region.move_cost``); results must not move by one bit, since the reference
checksums of whole runs depend on every choice. Each test compares against the formula written out
plainly (as the code stood before the fast paths), on random layers that exercise every branch.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sitechoice_data import E, R, baseline_region, site_layers

from sim.rules import kernels
from sim.rules.enforcement import perceived_hazard, perceived_hazard_into, shield_factor
from sim.rules.sitechoice import MILLION, choose_site, expected_net
from sim.rules.sitelayers import SiteLayers, agglomeration_layer, land_view
from sim.world.space import Region, box_counts, box_sum


@pytest.fixture(scope="module")
def region() -> Region:
    return baseline_region()


def random_layers(region: Region, rng: np.random.Generator, loss_factor: bool, shield: bool) -> SiteLayers:
    """Layers of the magnitudes a run sees, some cells losing money, some full."""
    n = region.n_cells
    protection = rng.uniform(0, 0.9, n)
    climate = rng.uniform(0, 0.05, n)
    heat = rng.exponential(0.5, n)
    return site_layers(region, rng, protection=protection, climate=climate, heat=heat, net_per_worker=rng.normal(400.0, 300.0, n),
                       loss_factor=loss_factor, shield=shield)


def plain_expected_net(layers: SiteLayers, workers, notoriety, value_at_risk: float) -> np.ndarray:
    if notoriety.any():
        carried = np.append(notoriety, 0.0)[layers.jurisdiction]
        hazard = perceived_hazard(layers.climate, layers.exposure + carried, layers.protection, E)
    else:
        hazard = layers.base_hazard
    loss = hazard * value_at_risk
    if layers.loss_factor is not None:
        loss = loss * layers.loss_factor
    return workers * layers.net_per_worker - layers.fixed_cost - loss


def plain_choose_site(layers, region, rng, *, workers, notoriety, capital, value_at_risk, origin, stay_allowed, fixed_move_cost,
                      leave_origin=False):
    """choose_site as written before the fast paths (no outside option): (cell, move cost, net)."""
    net = plain_expected_net(layers, workers, notoriety, value_at_risk)
    if origin >= 0:
        move = fixed_move_cost + R.cost_per_km * region.distance_km(origin) + R.border_cost * region.abroad(origin)
        if stay_allowed:
            move[origin] = 0.0
    else:
        move = np.full(net.shape, fixed_move_cost)
    feasible = layers.open_cell & (move <= capital) & (net > 0)
    if stay_allowed and origin >= 0:
        feasible[origin] = net[origin] > 0
    elif leave_origin:
        feasible[origin] = False
    gumbel = -np.log(rng.standard_exponential(size=net.shape))
    if not feasible.any():
        return -1, 0.0, 0.0
    utility = (R.horizon_weeks * net - move) / MILLION + layers.agglomeration
    score = np.where(feasible, R.logit_beta * utility + gumbel, -np.inf)
    cell = int(np.argmax(score))
    return cell, float(move[cell]), float(net[cell])


def test_perceived_hazard_into_is_bit_identical_and_writes_in_place():
    rng = np.random.default_rng(5)
    climate, exposure, protection = rng.uniform(0, 0.1, 500), rng.exponential(1.0, 500), rng.uniform(0, 1, 500)
    want = perceived_hazard(climate, exposure, protection, E)
    buf = exposure.copy()
    got = perceived_hazard_into(climate, buf, shield_factor(protection, E), E, out=buf)
    assert got is buf
    assert np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("loss_factor", [False, True])
@pytest.mark.parametrize("shield", [False, True])
def test_expected_net_is_bit_identical_with_and_without_notoriety(region, loss_factor, shield):
    rng = np.random.default_rng(11)
    lay = random_layers(region, rng, loss_factor, shield)
    workers_per_cell = 40.0 * lay.labour_access
    for notoriety in (np.zeros(region.n_jurisdictions), rng.exponential(0.3, region.n_jurisdictions)):
        for workers in (37, 52.5, workers_per_cell):
            want = plain_expected_net(lay, workers, notoriety, 2.0e6)
            got = expected_net(lay, workers, notoriety, 2.0e6, E)
            assert np.array_equal(got.view(np.int64), want.view(np.int64))


def test_move_cost_cache_is_the_formula_and_read_only(region):
    for origin in (0, 17, 500, 1119):
        for free in (False, True):
            want = 900_000.0 + R.cost_per_km * region.distance_km(origin) + R.border_cost * region.abroad(origin)
            if free:
                want[origin] = 0.0
            got = region.move_cost(origin, 900_000.0, R.cost_per_km, R.border_cost, free)
            assert np.array_equal(got, want)
            assert region.move_cost(origin, 900_000.0, R.cost_per_km, R.border_cost, free) is got  # cached
            with pytest.raises(ValueError):
                got[0] = 1.0
    assert not region.move_cost(3, 1.0, 2.0, 3.0, True)[3]  # staying is free
    assert (region.move_cost(-1, 7.5, R.cost_per_km, R.border_cost, False) == 7.5).all()


def test_distances_from_the_offset_table_are_the_hypot_of_the_grid(region):
    """``distance_km`` and ``distance_between`` read one table of offsets; every origin gets the bits of the grid formula."""
    for origin in range(region.n_cells):
        ox, oy = region.xy(origin)
        want = np.hypot(region.cell_x - ox, region.cell_y - oy) * region.km_per_cell
        assert np.array_equal(region.distance_km(origin).view(np.int64), want.view(np.int64))
        for cell in range(origin % 7, region.n_cells, 97):
            assert region.distance_between(origin, cell) == float(want[cell])


@pytest.mark.parametrize("view", [False, True], ids=["every cell", "land view"])
@pytest.mark.parametrize("loss_factor", [False, True])
def test_choose_site_picks_the_same_cell_at_the_same_cost_as_the_plain_formula(region, loss_factor, view):
    """Hundreds of choices over every branch: moves that may stay or must leave, new sites from a base
    or from nowhere, a per-cell set-up cost, notoriety or none, capital that rules out far cells; scoring
    every cell or only the land cells (``LandLayers``)."""
    rng = np.random.default_rng(2024)
    lay = random_layers(region, rng, loss_factor, shield=True)
    if view:
        lay = dataclasses.replace(lay, land=land_view(lay, region.land_index.cells, region.land_index.position))
    land = np.flatnonzero(region.land.ravel())
    seen = set()
    for k in range(300):
        origin = int(rng.choice(land)) if k % 5 else -1
        stay = bool(origin >= 0 and k % 2)
        fixed = 700_000.0 if k % 7 else 700_000.0 - 200_000.0 * lay.labour_access  # an array: the premises' cost layer
        kw = dict(workers=float(rng.integers(10, 200)) if k % 3 else 30.0 * lay.labour_access,
                  notoriety=rng.exponential(0.2, region.n_jurisdictions) if k % 4 == 0 else np.zeros(region.n_jurisdictions),
                  capital=float(rng.uniform(3e5, 5e6)), value_at_risk=float(rng.uniform(5e5, 3e6)), origin=origin,
                  stay_allowed=stay, fixed_move_cost=fixed, leave_origin=origin >= 0 and not stay)
        seed = int(rng.integers(1 << 30))
        want = plain_choose_site(lay, region, np.random.default_rng(seed), **kw)
        with kernels.forced(False):  # the numpy path (the compiled one reads every cell)
            choice = choose_site(lay, region, np.random.default_rng(seed), r=R, e=E, **kw)
        assert (choice.cell, choice.move_cost, choice.expected_net) == want
        seen.add("none" if want[0] < 0 else "stay" if want[0] == origin else "move")
    assert seen == {"none", "stay", "move"}  # every outcome was exercised


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 4, 5, 9])
def test_agglomeration_from_box_counts_is_the_formula(radius):
    """Whole-number box counts and the table of log1p give the bits of ``strength * log1p(box_sum(counts))``."""
    rng = np.random.default_rng(radius)
    for shape in ((40, 28), (61, 44), (1, 7), (5, 1)):
        counts = rng.integers(0, 5, shape)
        counts[rng.random(shape) < 0.7] = 0
        for strength in (0.2, 1.5, 0.0):
            want = (strength * np.log1p(box_sum(counts, radius))).ravel()
            got = agglomeration_layer(counts, strength, radius)
            assert np.array_equal(got.view(np.int64), want.view(np.int64))
        assert np.array_equal(box_counts(counts, radius), box_sum(counts, radius))


def test_a_choice_that_cannot_be_worth_it_ends_early_with_the_same_draws(region):
    """``worth``: a choice ends as NO_SITE only when the full choice's cell would fail the test; the stream moves the same."""
    rng = np.random.default_rng(77)
    lay = random_layers(region, rng, False, shield=True)
    land = np.flatnonzero(region.land.ravel())
    outcomes = set()
    for k in range(300):
        threshold = float(rng.uniform(0.0, 60_000.0))
        kw = dict(workers=30.0 * lay.labour_access, notoriety=rng.exponential(0.2, region.n_jurisdictions) if k % 3 == 0
                  else np.zeros(region.n_jurisdictions), capital=float(rng.uniform(3e5, 5e6)), value_at_risk=float(rng.uniform(5e5, 3e6)),
                  origin=int(rng.choice(land)) if k % 2 else -1, stay_allowed=False, fixed_move_cost=700_000.0)
        seed = int(rng.integers(1 << 30))
        full_rng, early_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        with kernels.forced(False):  # the numpy path (the compiled one makes every choice in full)
            full = choose_site(lay, region, full_rng, r=R, e=E, **kw)
            early = choose_site(lay, region, early_rng, r=R, e=E, worth=lambda net, t=threshold: net >= t, **kw)
        assert full_rng.bit_generator.state == early_rng.bit_generator.state
        if full.cell >= 0 and full.expected_net >= threshold:
            assert (early.cell, early.move_cost, early.expected_net) == (full.cell, full.move_cost, full.expected_net)
            outcomes.add("worth it")
        else:
            assert early.cell == full.cell or early.cell < 0
            outcomes.add("cut short" if early.cell < 0 <= full.cell else "not worth it")
    assert outcomes == {"worth it", "cut short", "not worth it"}


def test_the_land_view_follows_the_week_as_cells_fill_and_raids_stamp_heat(region):
    """``set_open`` and ``refresh_exposure`` keep the land view in step with the full layers: after cells fill
    and empty and heat changes, choices through the view equal choices over every cell, draw for draw."""
    rng = np.random.default_rng(9)
    full = random_layers(region, rng, True, shield=True)
    lay = dataclasses.replace(full, land=land_view(full, region.land_index.cells, region.land_index.position))
    land = region.land_index.cells
    for step in range(120):
        cell = int(rng.choice(land))
        lay.set_open(cell, bool(rng.random() < 0.5))
        if step % 10 == 0:  # a raid: heat rises around a cell (the model stamps the grid that ``exposure`` views)
            lay.exposure[max(cell - 30, 0) : cell + 30] += rng.exponential(1.0)
            lay.refresh_exposure()
        kw = dict(workers=float(rng.integers(10, 200)), notoriety=rng.exponential(0.3, region.n_jurisdictions),
                  capital=float(rng.uniform(3e5, 5e6)), value_at_risk=float(rng.uniform(5e5, 3e6)), origin=cell,
                  stay_allowed=bool(step % 2), fixed_move_cost=700_000.0, leave_origin=not step % 2)
        seed = int(rng.integers(1 << 30))
        with kernels.forced(False):
            a = choose_site(dataclasses.replace(lay, land=None), region, np.random.default_rng(seed), r=R, e=E, **kw)
            b = choose_site(lay, region, np.random.default_rng(seed), r=R, e=E, **kw)
        assert (a.cell, a.move_cost, a.expected_net) == (b.cell, b.move_cost, b.expected_net)
    assert np.array_equal(lay.land.layers.open_cell, lay.open_cell[land])
    assert np.array_equal(lay.land.layers.exposure, lay.exposure[land])


def test_a_run_through_the_land_view_is_the_run_over_every_cell(monkeypatch):
    """The Mekong map is 72% sea, so its layers get a land view; a history run gives the same bytes without it."""
    from conftest import SCENARIOS

    from sim.core.model import ScamModel
    from sim.rules import sitelayers
    from sim.scenario.loader import load_scenario

    params = load_scenario(SCENARIOS / "mekong_history.toml", ["run.burn_in_weeks=60", "run.weeks=60"]).params
    with_view = ScamModel(params, rng=3)
    assert with_view.layers.land is not None
    with_view.run()
    monkeypatch.setattr(sitelayers, "LAND_VIEW_MAX_SHARE", 0.0)
    without = ScamModel(params, rng=3)
    assert without.layers.land is None
    without.run()
    assert with_view.log.frame().equals(without.log.frame())
    assert with_view.moves == without.moves and with_view.raid_log == without.raid_log


def test_the_land_index_holds_the_regions_vectors_at_its_land_cells(region):
    """``LandIndex``: the land cells in order, each cell's position among them, and move costs, distances and border terms
    that are the region's own entries there (read-only, cached), with the largest land move cost."""
    land = region.land_index
    assert np.array_equal(land.cells, np.flatnonzero(region.land.ravel()))
    assert (land.position[land.cells] == np.arange(len(land.cells))).all() and (land.position[~region.land.ravel()] == -1).all()
    assert land.share == pytest.approx(region.land.mean())
    for origin in (int(land.cells[0]), int(land.cells[len(land.cells) // 2]), int(land.cells[-1])):
        for free in (False, True):
            move, most = land.move_cost_and_max(origin, 900_000.0, R.cost_per_km, R.border_cost, free)
            full = region.move_cost(origin, 900_000.0, R.cost_per_km, R.border_cost, free)
            assert np.array_equal(move, full[land.cells]) and most == full[land.cells].max()
            assert land.move_cost_and_max(origin, 900_000.0, R.cost_per_km, R.border_cost, free)[0] is move  # cached
        assert np.array_equal(land.distance_km(origin).view(np.int64), region.distance_km(origin)[land.cells].view(np.int64))
        assert np.array_equal(land.abroad(origin), region.abroad(origin)[land.cells])
        for vector in (move, land.distance_km(origin), land.abroad(origin), land.cells, land.position):
            with pytest.raises(ValueError):
                vector[0] = 1
