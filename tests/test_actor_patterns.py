"""Issue #13's actors in the validation: the border term of site choice, and the ``_actors`` variants.

The border term (``borders.escape_valued``) lowers the raid loss an operator expects on cells within
``borders.escape_cells`` of another country; off, site choice is untouched. Each ``_actors`` variant
of the Mekong suite must be valid input (the loader accepts its overrides) and must switch the
mechanisms on (protectors hold territory, buildings are counted, syndicates have members).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.analysis.validation import mekong
from sim.analysis.validation.catalogue import variant_params
from sim.core.model import ScamModel
from sim.params.declarations import EnforcementParams, RelocationParams
from sim.rules.borders import escape_loss_layer, near_foreign
from sim.rules.sitechoice import choose_site, expected_net
from sim.rules.sitelayers import SiteLayers
from sim.scenario.loader import load_scenario

MEKONG = mekong.DEFAULT_SCENARIO


def two_cells(loss_factor: np.ndarray | None) -> SiteLayers:
    """Two cells equal in everything, with a raid hazard that makes the expected loss matter."""
    n = 2
    return SiteLayers(
        net_per_worker=np.full(n, 500.0), fixed_cost=np.full(n, 1000.0), climate=np.full(n, 0.02), exposure=np.zeros(n),
        protection=np.zeros(n), labour_access=np.ones(n), jurisdiction=np.zeros(n, dtype=np.int64), open_cell=np.ones(n, dtype=bool),
        agglomeration=np.zeros(n), base_hazard=np.full(n, 0.02), loss_factor=loss_factor,
    )


def shares(layers: SiteLayers, draws: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(7)
    r = dataclasses.replace(RelocationParams(), logit_beta=2.0)
    picks = [choose_site(layers, None, rng, workers=200.0, notoriety=np.zeros(1), capital=1e9, value_at_risk=2e6,  # type: ignore[arg-type]
                         origin=-1, stay_allowed=False, fixed_move_cost=0.0, r=r, e=EnforcementParams()).cell for _ in range(draws)]
    return np.bincount(picks, minlength=2) / draws


def test_a_cell_with_an_escape_route_is_chosen_more_often_than_an_equal_interior_cell() -> None:
    escape = np.array([True, False])  # cell 0 lies next to another country
    on = shares(two_cells(escape_loss_layer(escape, 0.5, valued=True)))
    off = shares(two_cells(escape_loss_layer(escape, 0.5, valued=False)))
    # The raid loss expected at cell 0 is halved (0.02 x 2e6 / 2 = US$20,000 a week more net): the logit gives cell 0
    # the probability 1 / (1 + exp(-beta * horizon * 20,000 / 1e6)); off, the two cells are alike (1/2). Each share is
    # a binomial proportion of 4,000 choices: within 4 standard errors.
    r = RelocationParams()
    p = 1 / (1 + np.exp(-2.0 * r.horizon_weeks * (0.02 * 2e6 * 0.5) / 1e6))
    assert abs(on[0] - p) < 4 * np.sqrt(p * (1 - p) / 4000) and p > 0.6
    assert abs(off[0] - 0.5) < 4 * np.sqrt(0.25 / 4000)


def test_the_escape_term_halves_the_expected_raid_loss_only_on_border_cells() -> None:
    layers = two_cells(np.array([0.5, 1.0]))
    net = expected_net(layers, 200.0, np.zeros(1), 2e6, EnforcementParams())
    plain = expected_net(two_cells(None), 200.0, np.zeros(1), 2e6, EnforcementParams())
    loss = 0.02 * 2e6
    assert net[0] == pytest.approx(plain[0] + loss / 2) and net[1] == plain[1]


def test_the_escape_layer_is_none_unless_the_route_exists_is_valued_and_matters() -> None:
    country = np.array([[0, 0, 0, 1], [0, 0, 0, 1]]).T  # x = 0..3: the last column is another country
    escape = near_foreign(country, 1).ravel()
    layer = escape_loss_layer(escape, 0.5, valued=True)
    assert layer is not None and set(layer[escape]) == {0.5} and set(layer[~escape]) == {1.0}
    assert escape_loss_layer(escape, 0.5, valued=False) is None
    assert escape_loss_layer(escape, 1.0, valued=True) is None
    assert escape_loss_layer(None, 0.5, valued=True) is None


def test_valuing_the_escape_route_with_no_route_leaves_a_run_byte_for_byte_unchanged() -> None:
    base = load_scenario(MEKONG).params
    on = base.with_values({"borders.escape_valued": True})  # escape_cells stays 0: no route to value
    a, b = ScamModel(base, rng=3).run(8), ScamModel(on, rng=3).run(8)
    assert a.layers.loss_factor is None and b.layers.loss_factor is None
    assert np.array_equal(a.compound_table.site[a.compound_table.slots], b.compound_table.site[b.compound_table.slots])
    assert np.array_equal(a.compound_table.workers[a.compound_table.slots], b.compound_table.workers[b.compound_table.slots])


def test_the_actor_overrides_are_valid_scenario_input() -> None:
    sets = [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in mekong.ACTORS.items()]
    loaded = load_scenario(MEKONG, sets).params  # the loader checks every key and range
    assert loaded == load_scenario(MEKONG).params.with_values(mekong.ACTORS)


@pytest.mark.parametrize("name", sorted(mekong.ACTOR_VARIANTS))
def test_each_actor_variant_runs_with_its_mechanisms_active(name: str) -> None:
    variant = mekong.VARIANTS[name]
    params = variant_params(load_scenario(MEKONG).params, variant)
    m = ScamModel(params, rng=1).run(4)
    assert len(m.protectors.names) >= 4 and (m.protectors.owner >= 0).any()  # protectors hold territory
    standing, occupied, *_ = m.premises.counts()
    assert standing > 0 and occupied == len(m.compound_table.slots)  # every compound stands in a counted building
    members = m.operator_table.syndicate[m.operator_table.slots]
    assert len(m.syndicate_book.treasury) == 10 and (members >= 0).any()
    assert m.layers.loss_factor is not None and (m.layers.loss_factor == 0.5).any()  # the escape route is valued
    assert m.borders.escape is not None and m.borders.relief is not None


def test_every_actor_pattern_reads_only_actor_variants() -> None:
    ids = {p.id for p in mekong.ACTOR_PATTERNS}
    assert ids == {"P2a", "P4a", "P5a", "P6ba", "P8a", "P8k"}
    for p in mekong.ACTOR_PATTERNS:
        assert p.variants and all(v.endswith("_actors") and v in mekong.VARIANTS for v in p.variants)


def test_the_actors_scenario_carries_the_validation_values():
    """scenarios/baseline_actors.toml and the validation variants switch the actors on at the same values."""
    import tomllib

    from conftest import SCENARIOS

    from sim.analysis.validation.mekong import ACTORS

    data = tomllib.loads((SCENARIOS / "baseline_actors.toml").read_text())
    flat = {f"{s}.{k}": v for s, table in data.items() if isinstance(table, dict) and s != "run" for k, v in table.items()}
    assert flat == ACTORS
