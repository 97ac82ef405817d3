"""Displacement measures against values computed by hand from the formulas in docs (docs/references.md, "Displacement measures").

WDQ = (D_a/C_a - D_b/C_b) / (R_a/C_a - R_b/C_b)          (Bowers & Johnson 2003)
TNE = [R_b (C_a/C_b) - R_a] + [D_b (C_a/C_b) - D_a]
R treated, D buffer, C control; b before, a after. Undefined cases are None, never a number.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.measures import metrics

# ---- WDQ ---------------------------------------------------------------------------------------

def test_wdq_displacement_larger_than_the_direct_effect():
    # R: 100 -> 50, D: 40 -> 90, C: 200 -> 200.
    # R_a/C_a - R_b/C_b = 0.25 - 0.5 = -0.25; D_a/C_a - D_b/C_b = 0.45 - 0.2 = 0.25; WDQ = 0.25 / -0.25 = -1.
    assert metrics.wdq(100, 50, 40, 90, 200, 200) == pytest.approx(-1.0, abs=1e-12)


def test_wdq_diffusion_of_benefits_and_changing_control():
    # R: 80 -> 20, D: 60 -> 20, C: 100 -> 50 (the control area halves too).
    # R_a/C_a - R_b/C_b = 0.4 - 0.8 = -0.4; D_a/C_a - D_b/C_b = 0.4 - 0.6 = -0.2; WDQ = 0.5 (> 0: diffusion of benefits).
    assert metrics.wdq(80, 20, 60, 20, 100, 50) == pytest.approx(0.5, abs=1e-12)


def test_wdq_some_displacement_with_net_benefit():
    # R: 50 -> 10, D: 20 -> 30, C: 10 -> 10. Denominator 1 - 5 = -4, numerator 3 - 2 = 1, WDQ = -0.25.
    assert metrics.wdq(50, 10, 20, 30, 10, 10) == pytest.approx(-0.25, abs=1e-12)


def test_wdq_undefined_when_treated_did_not_change_relative_to_control():
    # R_a/C_a = 30/60 = 0.5 = R_b/C_b = 10/20: zero denominator.
    assert metrics.wdq(10, 30, 5, 7, 20, 60) is None


@pytest.mark.parametrize(("c_before", "c_after"), [(0, 10), (10, 0), (0, 0)])
def test_wdq_undefined_with_an_empty_control_area(c_before, c_after):
    assert metrics.wdq(100, 50, 40, 90, c_before, c_after) is None


# ---- TNE ---------------------------------------------------------------------------------------

def test_tne_by_hand():
    # R: 100 -> 50, D: 40 -> 90, C: 200 -> 100, so C_a/C_b = 0.5.
    # [100*0.5 - 50] + [40*0.5 - 90] = 0 + (-70) = -70 (net increase once the control trend is removed).
    assert metrics.total_net_effect(100, 50, 40, 90, 200, 100) == pytest.approx(-70.0, abs=1e-12)


def test_tne_positive_is_a_net_reduction():
    # R: 100 -> 20, D: 50 -> 60, C constant: (100 - 20) + (50 - 60) = 70.
    assert metrics.total_net_effect(100, 20, 50, 60, 30, 30) == pytest.approx(70.0, abs=1e-12)


def test_tne_undefined_with_an_empty_control_before():
    assert metrics.total_net_effect(100, 20, 50, 60, 0, 30) is None


# ---- concentration, ratios ---------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 5, 13])
def test_herfindahl_of_equal_shares_is_one_over_n(n):
    assert metrics.herfindahl(np.full(n, 7.0)) == pytest.approx(1.0 / n, rel=1e-12)


def test_herfindahl_by_hand_and_undefined():
    # shares 3:1 -> 0.75^2 + 0.25^2 = 0.625; all in one place -> 1.
    assert metrics.herfindahl(np.array([30.0, 10.0])) == pytest.approx(0.625, rel=1e-12)
    assert metrics.herfindahl(np.array([0.0, 5.0, 0.0])) == pytest.approx(1.0, rel=1e-12)
    assert metrics.herfindahl(np.zeros(4)) is None


def test_ratio_undefined_on_zero_or_infinite_denominator():
    assert metrics.ratio(3.0, 4.0) == pytest.approx(0.75)
    assert metrics.ratio(3.0, 0.0) is None
    assert metrics.ratio(3.0, float("inf")) is None


# ---- recovery ----------------------------------------------------------------------------------

def test_recovery_weeks_on_a_constructed_series():
    # Weeks 1-5 at 100; the policy starts in week 6 (row 5); dip to 40 in week 7, then 60, 80, 95.
    # Threshold 0.9 * 100 = 90: the trough is week 7, first week >= 90 is week 10 -> 3 weeks.
    series = np.array([100, 100, 100, 100, 100, 70, 40, 60, 80, 95, 100], dtype=float)
    assert metrics.recovery_weeks(series, start_week=6, level=100.0) == 3
    # A looser threshold (0.5 * 100 = 50) is reached one week after the trough.
    assert metrics.recovery_weeks(series, start_week=6, level=100.0, threshold=0.5) == 1


def test_recovery_weeks_undefined_without_a_dip_or_without_recovery():
    flat = np.array([100, 100, 95, 92, 100], dtype=float)
    assert metrics.recovery_weeks(flat, start_week=2, level=100.0) is None  # never below 90
    no_way_back = np.array([100, 100, 50, 40, 45, 60], dtype=float)
    assert metrics.recovery_weeks(no_way_back, start_week=2, level=100.0) is None  # never back to 90
    assert metrics.recovery_weeks(flat, start_week=2, level=0.0) is None  # no level to recover to


# ---- the run-level measures use the right windows and areas ------------------------------------

def test_operation_measures_windows_and_areas_by_hand():
    # 3 jurisdictions: 0 treated, 1 buffer, 2 control. Policy starts in week 53, run is 104 weeks,
    # so "before" is weeks 1-52 (rows 0-51) and "after" the last 52 weeks (rows 52-103).
    weeks = 104
    workers = np.zeros((weeks, 3))
    workers[:52] = [100.0, 40.0, 200.0]
    workers[52:] = [50.0, 90.0, 200.0]
    revenue = workers * 10.0
    areas = metrics.Areas(treated=np.array([0]), buffer=np.array([1]), control=np.array([2]))
    out = metrics.operation_measures(workers, revenue, areas, start_week=53)
    assert out["workers_before"] == pytest.approx(340.0)
    assert out["workers_last_year"] == pytest.approx(340.0)
    assert out["persistence_workers"] == pytest.approx(1.0)
    assert out["wdq_buffer"] == pytest.approx(metrics.wdq(100, 50, 40, 90, 200, 200))
    assert out["wdq_buffer"] == pytest.approx(-1.0)  # hand value, see test_wdq_displacement_larger_than_the_direct_effect
    assert out["tne"] == pytest.approx((100 - 50) + (40 - 90))  # C constant: TNE = 0
    # 50 removed from the treated area, 50 reappeared in the others (buffer +50, control 0).
    assert out["removed_from_treated"] == pytest.approx(50.0)
    assert out["reappeared_elsewhere"] == pytest.approx(50.0)
    assert out["displacement_share"] == pytest.approx(1.0)
    assert out["displacement_basis"] == "before_after"


def test_operation_measures_against_a_counterfactual():
    # The policy run loses 30 in the treated area and gains 10 elsewhere relative to the same-seed
    # counterfactual over the last year: displacement share 10/30.
    weeks = 104
    cf = np.tile([100.0, 40.0, 200.0], (weeks, 1))
    run = cf.copy()
    run[52:, 0] -= 30.0
    run[52:, 1] += 10.0
    areas = metrics.Areas(treated=np.array([0]), buffer=np.array([1]), control=np.array([2]))
    out = metrics.operation_measures(run, run, areas, 53, cf, cf)
    assert out["displacement_basis"] == "counterfactual"
    assert out["removed_from_treated"] == pytest.approx(30.0)
    assert out["reappeared_elsewhere"] == pytest.approx(10.0)
    assert out["displacement_share"] == pytest.approx(1.0 / 3.0)
    assert out["persistence_vs_counterfactual_workers"] == pytest.approx(320.0 / 340.0)


def test_operation_measures_undefined_without_a_year_before():
    workers = np.ones((20, 2))
    areas = metrics.Areas(treated=np.array([0]), buffer=np.array([1]), control=np.array([], dtype=int))
    out = metrics.operation_measures(workers, workers, areas, start_week=1)
    assert out["workers_before"] is None
    assert out["persistence_workers"] is None
    assert out["wdq_buffer"] is None
    assert out["tne"] is None
    assert out["displacement_share"] is None


def test_persistence_undefined_when_the_last_year_overlaps_the_year_before():
    # A 60-week run with the policy from week 52 (what `scamsim run baseline --weeks 60` does): the
    # "last year" is weeks 9-60, mostly before the policy, so last-year / year-before means nothing.
    workers = np.tile([100.0, 50.0], (60, 1))
    workers[51:, 0] = 10.0  # the policy removes 90% of the treated area from week 52 on
    areas = metrics.Areas(treated=np.array([0]), buffer=np.array([1]), control=np.array([], dtype=int))
    out = metrics.operation_measures(workers, workers, areas, start_week=52)
    assert out["persistence_workers"] is None
