"""Without enforcement the operation grows, then settles at the limit set by labour.

The labour bound (H held, P pool, I = inflow_per_week, a = attrition, e = pool_exit; sim/core/phases.py hire):
  * exactly, every week: H_t + P_t = H_0 + P_0 + inflow_t - drifted_t - attrition_t - repatriated_t
    (test_conservation.py), so H_t <= H_0 + P_0 + inflow_t.
  * in expectation: each week E[attrition] = a H_{t-1}, E[drift] = e P_{t-1}, E[inflow] = I, so
    E[d(H + P)] = I - a E[H] - e E[P] - E[repatriated]. In the stationary state the left side is 0:
        E[H] = (I - e E[P] - E[repatriated]) / a  <=  I / a,
    with equality when the pool is empty and nobody is freed: the labour limit.
Which limit binds: capacity or labour? Operators expand and enter while a new compound's expected
annual return beats entry.return_threshold, and that return rises with occupancy (workers per
place). While people wait in the pool, compounds fill and returns stay high, so capacity keeps
growing until the pool is drained and occupancy falls to the threshold. So labour binds: the pool is
(nearly) empty, capacity exceeds the people held, and E[H] sits at I/a (less the small drift).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CLOSED_MODEL, make_params, optional

from sim.core.model import ScamModel

INFLOW = 50.0
ATTRITION = 0.05  # relaxation time 1/a = 20 weeks: a 260-week run is 13 relaxation times
POOL_EXIT = 0.02
LIMIT = INFLOW / ATTRITION  # 1000 people
WEEKS = 260
SEEDS = 16

NO_ENFORCEMENT = {
    # The limit I/a is the closed model's: a fixed inflow (no recruitment market), nobody leaving the map
    # for overseas, revenue linear in workers. Issue 12's mechanisms are set to their neutral values.
    **CLOSED_MODEL,
    "enforcement.background_raid_frequency": 0.0,
    **optional("enforcement.responsiveness", 0.0),  # a raid budget that answers known compounds
    "policy.type": "none",
    "labour.inflow_per_week": INFLOW,
    "labour.attrition": ATTRITION,
    "labour.pool_exit": POOL_EXIT,
    "labour.initial_pool": 0,
    "compounds.initial_fill": 0.5,  # start at about half the labour limit (10 compounds x 100 x 0.5)
    "compounds.capacity_mean": 100.0,
    "compounds.open_cost": 1.0e6,
    "market.site_cost_week": 5000.0,
    "operators.initial": 5,
    "operators.initial_compounds": 2,
    "operators.capital_mean": 2.0e6,
    "entry.capital_mean": 2.0e6,
}


@pytest.fixture(scope="module")
def runs() -> list[dict]:
    params = make_params(NO_ENFORCEMENT)
    out = []
    for seed in range(SEEDS):
        m = ScamModel(params, rng=seed)
        start = m.workers_held() + m.pool
        exceeded = 0
        for _ in range(WEEKS):
            m.step()
            exceeded += m.workers_held() > start + m.totals["inflow"]
        f = m.log.frame()
        t = m.compound_table
        out.append({
            "frame": f,
            "exceeded": exceeded,
            "held": f["workers_held"].to_numpy(),
            "capacity": int(t.capacity[t.slots].sum()),
            "totals": dict(m.totals),
        })
    return out


def test_no_enforcement_means_no_raids(runs):
    for r in runs:
        assert r["frame"]["raids"].sum() == 0
        assert r["totals"]["rescued"] == 0


def test_exact_bound_every_week(runs):
    # H_t <= H_0 + P_0 + cumulative inflow, checked after every week of every run.
    assert sum(r["exceeded"] for r in runs) == 0


def test_operation_grows(runs):
    first = np.mean([r["held"][0] for r in runs])
    last_year = np.mean([r["held"][-52:].mean() for r in runs])
    assert first < 0.7 * LIMIT < last_year
    assert all(r["frame"]["compounds"].iloc[-1] > r["frame"]["compounds"].iloc[0] for r in runs)


def last_year_means(runs) -> np.ndarray:
    return np.array([r["held"][-52:].mean() for r in runs])


def test_settles_at_the_labour_limit(runs):
    means = last_year_means(runs)
    # Seeds are independent, so the grand mean's standard error is the between-seed SD over sqrt(S).
    # With S = 16 that SD is itself estimated: the statistic is Student-t with 15 df, for which
    # |t| > 4 has probability ~1e-3, so 4 standard errors is a bound a correct model meets.
    se = means.std(ddof=1) / math.sqrt(SEEDS)
    assert means.mean() <= LIMIT + 4.0 * se, f"{means.mean():.1f} above I/a = {LIMIT} by more than 4 SE ({se:.2f})"
    # And it is at the limit, not below it: the prediction (I - e E[P] - E[repatriated]) / a with
    # the drift and repatriation the runs actually had over their last year.
    pool = np.mean([r["frame"]["pool"].to_numpy()[-53:-1].mean() for r in runs])  # P_{t-1} for the last 52 weeks
    repatriated = np.mean([r["frame"]["workers_repatriated"].to_numpy()[-52:].mean() for r in runs])
    predicted = (INFLOW - POOL_EXIT * pool - repatriated) / ATTRITION
    assert abs(means.mean() - predicted) <= 4.0 * se, f"{means.mean():.1f} vs predicted {predicted:.1f} +/- {4 * se:.1f}"


def test_labour_binds_not_capacity(runs):
    for r in runs:
        f = r["frame"]
        # The pool is drained: on average less than one week's inflow is left unhired. Were capacity
        # binding, compounds would be full and the pool would fill towards (I - a * capacity) / e.
        assert f["pool"].to_numpy()[-52:].mean() < INFLOW
        # Capacity is slack: at least twice the people held.
        assert r["capacity"] >= 2 * r["held"][-52:].mean()


def test_levelled_off(runs):
    # Change between the last two 52-week means, averaged over seeds. With 1/a = 20 weeks, the start
    # (about half the limit) is forgotten by week 157 up to 0.95^157 ~ 3e-4 of the gap, so any
    # remaining difference is noise: compare it with its own standard error (Student-t, 15 df, 4 SE).
    diffs = np.array([r["held"][-52:].mean() - r["held"][-104:-52].mean() for r in runs])
    se = diffs.std(ddof=1) / math.sqrt(SEEDS)
    assert abs(diffs.mean()) <= 4.0 * se
    # The check can see a trend: 4 SE is under 5% of the level, so a market still growing (or
    # shrinking) by 5% a year would fail it.
    assert 4.0 * se < 0.05 * LIMIT
