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
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import FREE_SITES, ONE_JURISDICTION, make_params

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


def test_the_check_has_power():
    # The tolerance is tight enough to reject a one-week timing error (N0 q^(t+1)) at week 12, and
    # a detection rate that ignored governance (p = 1 - exp(-detection_rate)).
    t = WEEKS
    q = (1.0 - P_WEEK) ** t
    tol = 4.0 * math.sqrt(N0 * q * (1.0 - q) / SEEDS)
    assert N0 * q - N0 * (1.0 - P_WEEK) ** (t + 1) > tol
    assert N0 * q - N0 * math.exp(-DETECTION_RATE * t) > tol


def test_binomial_spread(counts):
    # The spread across seeds is the binomial one too (the count is not, e.g., all-or-nothing by operator).
    # The sample variance of S draws has relative standard error about sqrt(2 / (S - 1)) = 0.1 for
    # S = 200 (near-normal counts); allow 4 of them: a ratio between 0.6 and 1.4.
    t = WEEKS
    q = (1.0 - P_WEEK) ** t
    ratio = counts[:, t - 1].var(ddof=1) / (N0 * q * (1.0 - q))
    assert 1.0 - 4.0 * math.sqrt(2.0 / (SEEDS - 1)) < ratio < 1.0 + 4.0 * math.sqrt(2.0 / (SEEDS - 1))
