"""Raids without relocation: the number of compounds decays geometrically at the detection rate.

Set-up (one jurisdiction, governance g): visibility is 1 for every compound at every age
(visibility_exponent = 0, visibility_age_weeks = 0), heat, protection and concessions do not change
detection, so each unknown producing compound is found in a week with probability
    p = 1 - exp(-detection_rate * g)                         (enforcement.detection_probability)
The raid budget is unlimited (background_raid_frequency huge), so every found compound is raided in
the week it is found; raids always succeed (no tip-off, no failure) and arrest nobody, and with
relocation off a raided compound closes (model._relocate -> _dissolve). Nothing else closes a
compound: no bankruptcy, no costs, no entry or expansion. Compounds are therefore independent and
each survives a week with probability q = 1 - p, so after t weeks the count is Binomial(N0, q^t):
    E[N_t] = N0 q^t,   Var[N_t] = N0 q^t (1 - q^t).

The same set-up also checks the heat raids leave: on a model run, the fast and residual heat grids
equal the sum over the raids the model announced of each raid's declared stamp, halved every
declared half-life since the raid.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import FREE_SITES, ONE_JURISDICTION, make_params

from sim.core.hooks import RaidResolved
from sim.core.model import ScamModel

GOVERNANCE = ONE_JURISDICTION["jurisdictions"]["A"]["governance"]  # 0.4
DETECTION_RATE = 0.25
P_WEEK = 1.0 - math.exp(-DETECTION_RATE * GOVERNANCE)  # 0.0952
N0 = 40  # 20 operators x 2 compounds on 20 cells x 4 places
SEEDS = 200
WEEKS = 12
CHECK_WEEKS = (1, 3, 6, 12)

DECAY = {
    **FREE_SITES,
    "relocation.enabled": False,
    "entry.rate": 0.0,
    "operators.expansion_rate": 0.0,
    "operators.bankruptcy": False,
    "operators.initial": 20,
    "operators.initial_compounds": 2,
    "compounds.capacity_mean": 50.0,
    "enforcement.detection_rate": DETECTION_RATE,
    "enforcement.visibility_exponent": 0.0,
    "enforcement.visibility_age_weeks": 0.0,
    "enforcement.heat_detection": 0.0,
    "enforcement.protection_shield": 0.0,
    "enforcement.concession_shield": 0.0,
    "enforcement.tipoff_base": 0.0,
    "enforcement.tipoff_protection": 0.0,
    "enforcement.raid_failure": 0.0,
    "enforcement.arrest_probability": 0.0,
    "enforcement.background_raid_frequency": 1.0e6,
    "policy.type": "none",
}


@pytest.fixture(scope="module")
def counts() -> np.ndarray:
    """Compounds at the end of weeks 1..WEEKS, one row per seed, and the starting counts."""
    params = make_params(DECAY, ONE_JURISDICTION)
    rows = []
    for seed in range(SEEDS):
        m = ScamModel(params, rng=seed)
        assert m.compound_table.count() == N0, "every initial compound must find a site"
        m.run(WEEKS)
        f = m.log.frame()
        # Every raid succeeded and closed its compound; no compound closed any other way, none moved.
        assert (f["raids"] == f["raids_succeeded"]).all()
        assert (f["raids_succeeded"] == f["compounds_dissolved"]).all()
        assert f["relocations"].sum() == 0 and f["compounds_opened"].sum() == 0
        assert f["bosses_arrested"].sum() == 0 and f["bankruptcies"].sum() == 0
        assert (N0 - f["compounds"] == f["compounds_dissolved"].cumsum()).all()
        rows.append(f["compounds"].to_numpy())
    return np.array(rows)


def test_counts_never_rise(counts):
    assert (np.diff(counts, axis=1) <= 0).all()
    assert (counts[:, 0] <= N0).all()


@pytest.mark.parametrize("t", CHECK_WEEKS)
def test_mean_decays_as_n0_q_to_the_t(counts, t):
    q = (1.0 - P_WEEK) ** t
    expected = N0 * q
    # Seeds are independent runs, so the mean of S binomial counts has standard error
    # sqrt(N0 q (1 - q) / S). Four standard errors: a correct model fails a check with probability
    # 6e-5 (two-sided normal tail), about 2.5e-4 for the 4 weeks checked, so a failure means a bias.
    se = math.sqrt(N0 * q * (1.0 - q) / SEEDS)
    mean = counts[:, t - 1].mean()
    assert abs(mean - expected) <= 4.0 * se, f"week {t}: mean {mean:.3f}, expected {expected:.3f} +/- {4 * se:.3f}"


def test_the_measured_decay_rejects_nearby_wrong_models(counts):
    # The check above has power: the measured mean at week 12 lies outside the same four-standard-error
    # band around what a one-week timing error (N0 q^(t+1)) or a detection rate that ignored governance
    # (p = 1 - exp(-detection_rate)) would give, so a model with either bug could not pass it.
    t = WEEKS
    mean = counts[:, t - 1].mean()
    for name, q in (("one week late", (1.0 - P_WEEK) ** (t + 1)), ("governance ignored", math.exp(-DETECTION_RATE * t))):
        tol = 4.0 * math.sqrt(N0 * q * (1.0 - q) / SEEDS)
        assert abs(mean - N0 * q) > tol, f"{name}: mean {mean:.3f} is within {tol:.3f} of {N0 * q:.3f}"


# ---- heat: what raids leave behind decays at the declared half-lives ----------------------------

HEAT = {
    "enforcement.heat_per_raid": 2.0,
    "enforcement.heat_spread_cells": 1.0,
    "enforcement.heat_half_life": 3.0,
    "enforcement.residual_share": 0.3,
    "enforcement.residual_half_life": 20.0,
}
HEAT_WEEKS = 9


def declared_heat(raids: list[tuple[int, int]], region, week: int, share: float, half_life: float) -> np.ndarray:
    """Heat at the end of ``week`` from the declared parameters alone: each raid (week, cell) stamps a
    Gaussian of radius ``heat_spread_cells`` (cut at twice the radius, peak ``heat_per_raid * share``)
    that halves every ``half_life`` weeks from the week after the raid."""
    e = HEAT
    sigma, peak = e["enforcement.heat_spread_cells"], e["enforcement.heat_per_raid"] * share
    reach = math.ceil(2 * sigma)
    xs, ys = np.indices((region.width, region.height))
    heat = np.zeros((region.width, region.height))
    for raid_week, cell in raids:
        x, y = region.xy(cell)
        near = (np.abs(xs - x) <= reach) & (np.abs(ys - y) <= reach)
        bump = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
        heat += np.where(near, peak * bump, 0.0) * 0.5 ** ((week - raid_week) / half_life)
    return heat


@pytest.mark.parametrize("seed", [1, 2])
def test_heat_decays_from_each_raid_at_the_declared_half_lives(seed):
    m = ScamModel(make_params({**DECAY, **HEAT}, ONE_JURISDICTION), rng=seed)
    raids: list[tuple[int, int]] = []
    m.hooks.subscribe(RaidResolved, lambda ev: raids.append((ev.week, ev.cell)))
    for week in range(1, HEAT_WEEKS + 1):
        m.step()
        share = HEAT["enforcement.residual_share"]
        fast = declared_heat(raids, m.region, week, 1.0 - share, HEAT["enforcement.heat_half_life"])
        residual = declared_heat(raids, m.region, week, share, HEAT["enforcement.residual_half_life"])
        np.testing.assert_allclose(m.heat_fast, fast, rtol=1e-9, atol=1e-12, err_msg=f"week {week}")
        np.testing.assert_allclose(m.heat_residual, residual, rtol=1e-9, atol=1e-12, err_msg=f"week {week}")
        np.testing.assert_allclose(m.heat, fast + residual, rtol=1e-9, atol=1e-12, err_msg=f"week {week}")
    # The raids were there to decay: several, in different weeks, some before the last half-life.
    assert len(raids) >= 5 and len({w for w, _ in raids}) >= 3
    assert min(w for w, _ in raids) <= HEAT_WEEKS - HEAT["enforcement.heat_half_life"]


def test_binomial_spread(counts):
    # The spread across seeds is the binomial one too (the count is not, e.g., all-or-nothing by operator).
    # The sample variance of S draws has relative standard error about sqrt(2 / (S - 1)) = 0.1 for
    # S = 200 (near-normal counts); allow 4 of them: a ratio between 0.6 and 1.4.
    t = WEEKS
    q = (1.0 - P_WEEK) ** t
    ratio = counts[:, t - 1].var(ddof=1) / (N0 * q * (1.0 - q))
    assert 1.0 - 4.0 * math.sqrt(2.0 / (SEEDS - 1)) < ratio < 1.0 + 4.0 * math.sqrt(2.0 / (SEEDS - 1))
