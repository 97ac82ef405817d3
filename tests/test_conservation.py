"""People are whole and accounted for: nobody appears or vanishes outside a counted channel.

Flows of people in the model (sim/core/phases.py and sim/core/moves.py):
  pool  += inflow (hire)             pool  -= drift (hire)          pool -> held: hires (hire)
  held  -= attrition (hire)          held  -> freed: tip-off escapes, rescues, dissolved compounds (raid, dissolve)
  freed -> repatriated (leave)  or  -> retrafficked (back into the pool) (free)
Overseas (sim/core/phases.py overseas, sim/core/moves.py go_overseas and free_overseas), O held there:
  held -> overseas: departed_overseas (a compound leaves the map with its people)
  pool -> overseas: overseas_hired     overseas -= overseas_attrition
  overseas -> freed: closures, then -> overseas_repatriated  or  -> overseas_retrafficked (back into the pool)
So, with H held, P pool and cumulative totals,
  H_t + O_t + P_t = H_0 + O_0 + P_0 + inflow_t - drifted_t - attrition_t - repatriated_t
                    - overseas_attrition_t - overseas_repatriated_t                   (exact, integers)
and week by week
  dP = d inflow - d drifted - hired + retrafficked - overseas_hired + overseas_retrafficked
  dH = hired - attrition - (repatriated + retrafficked) - departed_overseas
  dO = departed_overseas + overseas_hired - overseas_attrition - (overseas_repatriated + overseas_retrafficked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, FREE_SITES, burn_in_override, make_params

from sim.core.model import ScamModel
from sim.scenario.loader import load_scenario

# Every exit channel off, raids frequent and sure to find compounds, sites free (see FREE_SITES):
#  - no inflow, drift or attrition; the pool starts and stays empty, so nobody is hired;
#  - raids free nobody (rescue_share = 0, evacuation_loss = 0) and arrest nobody;
#  - no bankruptcy (and nothing costs money, so capital never goes negative anyway);
#  - no entry or expansion (a new compound would open empty, but keep the cast fixed);
#  - a forced move always finds a site: value_at_risk = base_cost + sunk_share * open_cost
#    + seizure_share * capital = 0, every land cell nets workers * (revenue - upkeep) > 0 for a
#    compound with a worker, moves cost nothing, and 16 compounds leave 16 of 32 cells x 4 places free;
#  - risk_tolerance = 1 so no compound moves on its own (perceived hazard < 1): every move is a raid's.
CLOSED = {
    **FREE_SITES,
    "enforcement.rescue_share": 0.0,
    "enforcement.seizure_share": 0.0,
    "enforcement.arrest_probability": 0.0,
    "enforcement.evacuation_loss": 0.0,
    "enforcement.background_raid_frequency": 1000.0,
    "enforcement.detection_rate": 2.0,
    "operators.bankruptcy": False,
    "operators.expansion_rate": 0.0,
    "operators.risk_tolerance": 1.0,
    "operators.initial": 8,
    "operators.initial_compounds": 2,
    "entry.rate": 0.0,
    "labour.attrition": 0.0,
    "labour.inflow_per_week": 0.0,
    "labour.initial_pool": 0,
    "labour.pool_exit": 0.0,
    "compounds.capacity_mean": 100.0,
    "relocation.weeks": 2,
}
CLOSED_WEEKS = 30


@pytest.mark.parametrize("seed", [1, 2])
def test_raids_move_people_but_conserve_them_exactly(seed):
    m = ScamModel(make_params(CLOSED), rng=seed)
    held0 = m.workers_held()
    n0 = m.compound_table.count()
    assert n0 == 16 and held0 > 0 and m.overseas.held() == 0
    for _ in range(CLOSED_WEEKS):
        m.step()
        assert m.workers_held() == held0, f"week {m.week}"
        assert m.overseas.held() == 0  # a move overseas costs money (overseas.move_cost): every forced move stays on the map
        assert m.pool == 0
        assert m.compound_table.count() == n0
    f = m.log.frame()
    assert (f["workers_held"] == held0).all()
    assert (f["workers_A"] + f["workers_B"] == f["workers_held"]).all()
    # The raids did act: they succeeded, forced moves, some across the border, and redistributed people.
    assert f["raids_succeeded"].sum() >= 10
    assert f["forced_relocations"].sum() >= 10
    assert f["cross_border_relocations"].sum() >= 1
    assert f["workers_A"].nunique() > 1
    assert f["compounds_dissolved"].sum() == 0
    assert m.totals == {"repatriated": 0, "retrafficked": 0, "rescued": 0, "attrition": 0, "drifted": 0, "inflow": 0,
                        "departed_overseas": 0, "overseas_hired": 0, "overseas_attrition": 0, "overseas_repatriated": 0,
                        "overseas_retrafficked": 0}


# ---- the bookkeeping identity with every channel on --------------------------------------------

@pytest.fixture(scope="module")
def busy_run():
    """The baseline with the policy from week 8, frequent raids and arrests: every channel is used.

    The move overseas is made cheaper (3 million instead of 7) so that compounds do leave the map
    within the run and the overseas channels are used too.
    A short burn-in (where the model has one) must leave a consistent starting point: held, overseas and
    pool are read after it, and the cumulative totals start from zero there.
    """
    params = load_scenario(BASELINE, ["policy.start_week=8", "policy.raid_frequency=150", "overseas.move_cost=3e6",
                                      "enforcement.arrest_probability=0.3", *burn_in_override(15)]).params
    m = ScamModel(params, rng=5)
    held0, abroad0, pool0 = m.workers_held(), m.overseas.held(), m.pool
    weeks = []
    prev = dict(m.totals, held=held0, abroad=abroad0, pool=pool0)
    for _ in range(40):
        m.step()
        now = dict(m.totals, held=m.workers_held(), abroad=m.overseas.held(), pool=m.pool)
        weeks.append({k: now[k] - prev[k] for k in now} | {"held": now["held"], "abroad": now["abroad"], "pool": now["pool"],
                                                              "d_held": now["held"] - prev["held"],
                                                              "d_abroad": now["abroad"] - prev["abroad"],
                                                              "d_pool": now["pool"] - prev["pool"]})
        prev = now
    return m, held0 + abroad0, pool0, pd.DataFrame(weeks)


def test_every_channel_was_used(busy_run):
    m, _, _, _ = busy_run
    f = m.log.frame()
    for key in ("inflow", "drifted", "attrition", "repatriated", "retrafficked", "rescued", "departed_overseas",
                "overseas_hired", "overseas_attrition", "overseas_repatriated", "overseas_retrafficked"):
        assert m.totals[key] > 0, key
    for column in ("raids_tipped_off", "bosses_arrested", "compounds_dissolved", "workers_hired"):
        assert f[column].sum() > 0, column


def test_people_identity_every_week(busy_run):
    m, held0, pool0, w = busy_run  # held0: on the map and overseas
    cum = w[["inflow", "drifted", "attrition", "repatriated", "overseas_attrition", "overseas_repatriated"]].cumsum()
    lhs = held0 + pool0 + cum["inflow"]
    rhs = (w["held"] + w["abroad"] + w["pool"] + cum["repatriated"] + cum["attrition"] + cum["drifted"]
           + cum["overseas_attrition"] + cum["overseas_repatriated"])
    assert (lhs == rhs).all(), (lhs - rhs)[lhs != rhs]
    t = m.totals
    assert held0 + pool0 + t["inflow"] == (m.workers_held() + m.overseas.held() + m.pool + t["repatriated"] + t["attrition"]
                                           + t["drifted"] + t["overseas_attrition"] + t["overseas_repatriated"])
    # The person ledger counts the same people in the same places (held: on the map and overseas).
    assert m.people["held"] == m.workers_held() + m.overseas.held() and m.people["pool"] == m.pool


def test_weekly_flows_match_the_log(busy_run):
    m, _, _, w = busy_run
    f = m.log.frame()
    np.testing.assert_array_equal(f["workers_held"], w["held"])
    np.testing.assert_array_equal(f["pool"], w["pool"])
    np.testing.assert_array_equal(f["workers_lost_attrition"], w["attrition"])
    np.testing.assert_array_equal(f["workers_repatriated"], w["repatriated"])
    np.testing.assert_array_equal(f["workers_retrafficked"], w["retrafficked"])
    np.testing.assert_array_equal(f["workers_rescued"], w["rescued"])
    hired = f["workers_hired"].to_numpy()
    np.testing.assert_array_equal(w["d_pool"], w["inflow"] - w["drifted"] - hired + w["retrafficked"]
                                  - w["overseas_hired"] + w["overseas_retrafficked"])
    np.testing.assert_array_equal(w["d_held"], hired - w["attrition"] - w["repatriated"] - w["retrafficked"] - w["departed_overseas"])
    np.testing.assert_array_equal(w["d_abroad"], w["departed_overseas"] + w["overseas_hired"] - w["overseas_attrition"]
                                  - w["overseas_repatriated"] - w["overseas_retrafficked"])
    np.testing.assert_array_equal(f["overseas_workers_held"], w["abroad"])
    np.testing.assert_array_equal(f["global_workers_held"], w["held"] + w["abroad"])
    jurisdictions = [c for c in f.columns if c.startswith("workers_") and c[8:] in m.region.jurisdiction_names]
    assert len(jurisdictions) == m.region.n_jurisdictions
    np.testing.assert_array_equal(f[jurisdictions].sum(axis=1), f["workers_held"])


def test_state_is_whole_and_within_capacity(busy_run):
    m, _, _, _ = busy_run
    t = m.compound_table
    s = t.slots
    assert (t.workers[s] >= 0).all() and (t.workers[s] <= t.capacity[s]).all()
    assert m.pool >= 0
    assert (t.workers[: t.size][~t.alive[: t.size]] == 0).all()  # closed compounds hold nobody
    counts = np.bincount(t.site[s], minlength=m.region.n_cells)
    assert counts.max() <= m.params.compounds.cell_capacity
    assert m.region.land.ravel()[t.site[s]].all()  # no compound at sea


# ---- relocation details found while writing the tests above ------------------------------------

def forced_moves_run(weeks_lost: int, seed: int = 1) -> ScamModel:
    m = ScamModel(make_params({**CLOSED, "relocation.weeks": weeks_lost}), rng=seed)
    m.run(CLOSED_WEEKS)
    return m


def test_a_forced_move_loses_relocation_weeks():
    # relocation.weeks = 1: a compound moved this week is still moving at the end of the week (it
    # produces nothing next week), as a voluntary move is. So `relocating` >= this week's forced moves.
    m = forced_moves_run(1)
    f = m.log.frame()
    assert f["forced_relocations"].sum() > 0
    assert (f["relocating"] >= f["forced_relocations"]).all()


def test_a_forced_move_leaves_the_raided_cell():
    moves = []
    for seed in (1, 2, 3):
        moves += forced_moves_run(2, seed).moves
    forced = [(origin, dest) for _, origin, dest, _, _, was_forced in moves if was_forced]
    assert len(forced) > 100
    assert all(origin != dest for origin, dest in forced)
