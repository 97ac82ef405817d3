"""The validation harness of issue 14 (part 3): predictive comparison, multiplicity, the fixed measures, the burn-in check.

Statistical tests state their tolerance and why; every other test checks a hand-computed case.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

from sim.analysis.validation import criteria, measures, mekong, runner, steady
from sim.analysis.validation import predictive as pred
from sim.analysis.validation.geography import international_border_distance
from sim.scenario.loader import load_scenario

# ---- predictive quantiles and p-values -----------------------------------------------------------


def test_the_quantile_of_a_draw_from_the_models_own_distribution_is_roughly_uniform() -> None:
    # 4,000 repetitions of (40 model draws, 1 observation from the same distribution). Each decile's share
    # is Binomial(4000, 0.1) / 4000 (sd 0.005) plus the mid-rank's discreteness (1/40 steps, spread evenly):
    # a tolerance of 0.03 is six standard deviations, so the test fails only if the rule is biased.
    rng = np.random.default_rng(11)
    q = np.array([pred.predictive_quantile(rng.lognormal(size=40), float(rng.lognormal())) for _ in range(4000)])
    shares = np.histogram(q, bins=10, range=(0, 1))[0] / len(q)
    assert np.all(np.abs(shares - 0.1) < 0.03)


def test_ties_split_evenly_so_a_discrete_measure_is_not_pushed_to_an_end() -> None:
    assert pred.predictive_quantile([3, 3, 3, 3], 3) == 0.5
    assert pred.predictive_quantile([1, 2, 3, 3], 3) == pytest.approx((2 + 0.5 * 2) / 4)
    assert pred.predictive_quantile([1, 2, math.nan], 5) == 1.0  # undefined draws are left out
    # on a discrete (Poisson) measure the mid-rank quantile of an own draw averages 0.5: 3,000 repetitions, sd of
    # the mean about 0.3 / sqrt(3000) = 0.0055, tolerance 0.03
    rng = np.random.default_rng(5)
    q = [pred.predictive_quantile(rng.poisson(2, size=30), float(rng.poisson(2))) for _ in range(3000)]
    assert abs(np.mean(q) - 0.5) < 0.03


def test_the_monte_carlo_point_p_value_is_never_zero_and_counts_ties_on_both_sides() -> None:
    assert pred.point_p_value([1, 2, 3], 10) == pytest.approx(2 * 1 / 4)  # beyond every draw: 2 x 1/(n+1)
    assert pred.point_p_value([5, 5, 5], 5) == 1.0


def test_parametric_p_values_reject_an_own_draw_at_about_alpha() -> None:
    # Under a normal model the Student-t predictive p-value is exactly uniform; 4,000 repetitions of 20 draws:
    # the rejection rate at 5% has sd 0.0034, tolerance 0.015 (over four sd).
    rng = np.random.default_rng(3)
    p = [pred.t_predictive_p(rng.normal(size=20), float(rng.normal())) for _ in range(4000)]
    assert abs(np.mean(np.array(p) <= 0.05) - 0.05) < 0.015
    # an event: P(new draw >= mean) is 0.5; with no spread the predictive distribution is the one value
    assert pred.t_predictive_p([1.0, 2.0, 3.0], None, ">=", 2.0) == pytest.approx(0.5)
    assert pred.t_predictive_p([0.0, 0.0, 0.0], None, "<=", 0.01) == 1.0
    assert pred.t_predictive_p([0.0, 0.0, 0.0], None, ">=", 0.5) == 0.0


def test_holm_steps_down_and_stops_at_the_first_kept_hypothesis() -> None:
    reject, thresholds = pred.holm([0.01, 0.04, 0.03, 0.5, math.nan], alpha=0.05)
    # sorted: 0.01 <= 0.05/4 rejected; 0.03 > 0.05/3 kept, so 0.04 and 0.5 are kept too; NaN not tested
    assert reject == [True, False, False, False, False]
    assert thresholds[:4] == pytest.approx([0.05 / 4, 0.05 / 2, 0.05 / 3, 0.05])
    assert math.isnan(thresholds[4])


def test_outside_count_against_the_binomial_expectation() -> None:
    oc = pred.outside_count([True] * 8 + [False] * 2)
    assert (oc.outside, oc.n, oc.expected) == (2, 10, pytest.approx(1.0))
    assert oc.p_value == pytest.approx(1 - 0.9 ** 10 - 10 * 0.1 * 0.9 ** 9)  # P(X >= 2), X ~ Binomial(10, 0.1)


def test_a_point_observation_far_outside_the_draws_is_inconsistent_and_one_inside_is_not() -> None:
    rng = np.random.default_rng(1)
    draws = [{"held": float(v)} for v in rng.normal(100.0, 5.0, size=40)]
    far = criteria.Pattern("F", "far", "o", "s", (), None, (criteria.Criterion("held", ">=", 0.0, "held", "w", observed=200.0),))
    near = criteria.Pattern("N", "near", "o", "s", (), None, (criteria.Criterion("held", ">=", 0.0, "held", "w", observed=101.0),))
    results = [criteria.evaluate(far, draws), criteria.evaluate(near, draws)]
    criteria.apply_holm(results)
    assert [r.predictive for r in results] == ["inconsistent", "consistent"]
    assert not results[0].criteria[0].inside and results[1].criteria[0].inside


# ---- survival ------------------------------------------------------------------------------------------


def test_kaplan_meier_matches_a_hand_computed_case() -> None:
    # recovered at 1, 3, 3, 5; censored (never recovered while observed) at 2 and 4.
    # S(1) = 5/6; at 3, 4 at risk and 2 recover: S = 5/6 x 2/4 = 5/12; at 5, 1 at risk, 1 recovers: S = 0
    km = pred.kaplan_meier([1, 2, 3, 3, 4, 5], [False, True, False, False, True, False])
    assert (km.events, km.censored) == (4, 2)
    assert km.at(0.5) == 1.0 and km.at(2) == pytest.approx(5 / 6) and km.at(4) == pytest.approx(5 / 12) and km.at(5) == 0.0
    assert km.median == 3.0
    never = pred.kaplan_meier([10, 20], [True, True])
    assert never.median == math.inf and never.at(100) == 1.0


def test_weeks_to_pre_shock_level_counts_from_the_start_and_censors_at_the_end() -> None:
    s = np.full(40, 100.0)
    s[9:15] = 50.0  # shock from week 10: below 90 in weeks 10-15, back in week 16
    assert measures.weeks_to_pre_shock_level(s, 10) == (6.0, False)
    s[9:] = 50.0  # never back
    assert measures.weeks_to_pre_shock_level(s, 10) == (31.0, True)
    weeks, censored = measures.weeks_to_pre_shock_level(np.full(40, 100.0), 10)  # no dip: nothing to recover from
    assert math.isnan(weeks) and not censored


# ---- the fixed measures ------------------------------------------------------------------------------------


def _spec(layout: list[str], symbols: str) -> SimpleNamespace:
    return SimpleNamespace(layout=layout, jurisdictions=[SimpleNamespace(symbol=c) for c in symbols])


def test_international_border_distance_counts_off_map_land_and_ignores_borders_within_a_country() -> None:
    layout = [" AAAA",  # row 0 is the northern edge (y = 3); " " is land outside the region
              "~AAAA",
              "~AAAA",
              "~BBBB"]
    d = international_border_distance(_spec(layout, "AB"), ("X", "Y"))

    def at(x: int, row: int) -> int:
        return int(d[x, len(layout) - 1 - row])

    assert at(1, 0) == 0 and at(1, 1) == 0  # next to the off-map neighbour
    assert at(4, 2) == 0 and at(4, 3) == 0  # A next to B, another country, on both sides
    assert at(4, 1) == 1 and at(4, 0) == 2 and at(3, 0) == 2
    assert at(0, 1) == -1  # sea
    d_same = international_border_distance(_spec(layout, "AB"), ("X", "X"))  # A and B one country (Shan and Kayin)
    assert int(d_same[4, 0]) == 3 and int(d_same[4, 3]) == 3  # only the off-map border counts; B's row is 3 away


def test_the_mekong_maps_off_map_neighbours_are_borders() -> None:
    from sim.analysis.validation.geography import Geo

    params = load_scenario(SCENARIOS / "mekong.toml").params
    geo = Geo.of(params)
    layout = params.map.layout
    h = len(layout)
    # MyanmarCentral's cell at the top-left corner touches China (" ") to its east on the first line
    row, x = 0, 3
    assert layout[row][x + 1] == " " and geo.border_distance[x * h + (h - 1 - row)] == 0


def test_buildings_never_raided_or_operating_counts_buildings_not_operations() -> None:
    first = {10: 1, 11: 1, 12: 1, 13: 1}
    last = {10: 100, 11: 100, 12: 40, 13: 20}  # 13 was empty before the raids began (week 30)
    raids = pd.DataFrame({"week": [35, 40, 45, 50], "building": [11, 12, -1, 99]})
    # occupied since week 30: 10, 11, 12. 10 never raided; 11 raided and occupied at the end; 12 raided and empty since
    assert measures.buildings_never_raided_or_operating(first, last, raids, 30, 100) == pytest.approx(2 / 3)


# ---- the catalogue: roles, dates, the two tables -----------------------------------------------------------


def test_calibration_targets_validation_and_input_checks_are_kept_apart_and_dated() -> None:
    roles = {p.id: p.role for p in mekong.PATTERNS}
    assert {i for i, r in roles.items() if r == "calibration"} == {"A1", "A2", "A3", "A4"}
    assert {i for i, r in roles.items() if r == "input_check"} == {"P6i", "P7i"}
    assert all(p.year is not None and 2019 <= p.year <= 2026 for p in mekong.PATTERNS + mekong.ACTOR_PATTERNS)
    tipoff = [p.id for p in mekong.PATTERNS if any(c.metric == "tipped_off_share_protected_enclaves" for c in p.criteria)]
    assert tipoff == ["P6i"]
    assert not any("wdq" in c.metric for p in mekong.PATTERNS for c in p.criteria)
    tables = {name: {p.id for p in mekong.PATTERNS if p.role in roles_} for name, roles_ in runner.TABLES.items()}
    assert not (tables["calibration"] & tables["validation"]) and not (tables["input_check"] & tables["validation"])
    with pytest.raises(ValueError, match="role"):
        criteria.Pattern("Z", "z", "o", "s", (), None, (), role="anchor")


def test_run_patterns_pools_the_draws_of_every_parameter_set(monkeypatch) -> None:
    params = load_scenario(SCENARIOS / "mekong.toml").params
    seen = []

    def fake_run_variants(base, variants, seeds, workers, scenarios_dir):
        seen.append(base.labour.attrition)
        return {s: {"status_quo": SimpleNamespace(value=base.labour.attrition * 1000 + s)} for s in seeds}, {}

    monkeypatch.setattr(runner, "run_variants", fake_run_variants)
    p = criteria.Pattern("V", "v", "o", "s", ("status_quo",), lambda obs, geo: {"v": obs["status_quo"].value},
                         (criteria.Criterion("v", ">=", 0.0, "v", "w"),))
    cat = SimpleNamespace(patterns=(p,), variants={"status_quo": None}, scenario_variant="x", counterfactual_variant="y")
    rep = runner.run_patterns(params, cat, replications=3, workers=1, parameter_sets=[{"labour.attrition": 0.01},
                                                                                      {"labour.attrition": 0.02}])
    assert seen == [0.01, 0.02] and rep.draws == 6 and rep.parameter_sets == 2
    assert sorted(rep.results[0].criteria[0].values) == pytest.approx([11, 12, 13, 21, 22, 23])


# ---- burn-in steady state ---------------------------------------------------------------------------------


def test_drift_per_decade_is_the_yearly_slope_over_the_mean() -> None:
    years = np.repeat(100.0 - np.arange(5.0), 52)  # 100, 99, ..., 96: slope -1 a year, mean 98
    assert steady.drift_per_decade(years) == pytest.approx(-10.0 / 98.0)
    assert steady.drift_per_decade(np.full(52 * 4, 7.0)) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(steady.drift_per_decade(np.ones(60)))


@pytest.mark.parametrize(("values", "expected"), [
    ([0.001, -0.002, 0.0, 0.003], "steady"),
    ([-0.06, -0.07, -0.065, -0.05], "drifting"),
    ([-0.03, 0.01, -0.05, 0.02], "inconclusive"),
    ([math.nan], "undefined"),
    ([0.3], "undefined"),  # one seed: a mean, but no interval to judge it by
    ([0.3, math.nan], "undefined"),
])
def test_drift_verdicts_against_the_declared_tolerance(values, expected) -> None:
    assert steady.drift_verdict(values)[0] == expected


def test_the_command_refuses_bad_parameter_sets_before_running(tmp_path, monkeypatch, capsys) -> None:
    from sim.cli import patterns as patterns_cli
    from sim.common.errors import EXIT_BAD_INPUT

    monkeypatch.setattr(runner, "run_patterns", lambda *a, **k: pytest.fail("ran despite bad parameter sets"))
    bad_shape, bad_key = tmp_path / "shape.json", tmp_path / "key.json"
    bad_shape.write_text('{"labour.attrition": 0.01}')
    bad_key.write_text('[{"labour.attrition": 0.01}, {"labour.no_such_key": 1}]')
    for path, expected in ((bad_shape, "JSON list of objects"), (bad_key, "set 1: labour.no_such_key")):
        assert patterns_cli.main([str(SCENARIOS / "mekong.toml"), "--parameter-sets", str(path)]) == EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert str(path) in err and expected in err


@pytest.mark.parametrize(("flags", "expected"), [
    (["--replications", "0"], "--replications: 0 is out of range; allowed: 1 to 10000"),
    (["--replications", "-1"], "--replications: -1 is out of range"),
    (["--workers", "0"], "--workers: 0 is out of range; allowed: 1 to 256"),
    (["--first-seed", "-3"], "--first-seed: -3 is negative"),
    (["--steady-state-only", "--workers", "-2"], "--workers: -2 is out of range"),
])
def test_the_command_refuses_counts_it_cannot_run_before_running(monkeypatch, capsys, flags, expected) -> None:
    """No replications once was an IndexError traceback, and no workers was run as one: both are named errors now."""
    from sim.cli import patterns as patterns_cli
    from sim.common.errors import EXIT_BAD_INPUT

    monkeypatch.setattr(runner, "run_patterns", lambda *a, **k: pytest.fail("ran despite a bad count"))
    monkeypatch.setattr(steady, "steady_state", lambda *a, **k: pytest.fail("ran despite a bad count"))
    assert patterns_cli.main([str(SCENARIOS / "mekong.toml"), *flags]) == EXIT_BAD_INPUT
    assert expected in capsys.readouterr().err


def test_relaxation_follows_the_no_policy_run_from_its_initial_state_with_no_burn_in() -> None:
    """Year y of the table is the mean over seeds of each seed's year y of a policy-free run that starts at week 1.

    The scenario keeps its burn-in and policy (baseline: 208 weeks, case-by-case raids); the table must drop both,
    or it would show a settled or policed run instead of the relaxation a burn-in is chosen from.
    """
    from sim.measures.run import counterfactual_params, simulate

    params = load_scenario(SCENARIOS / "baseline.toml").params
    assert params.run.burn_in_weeks > 0 and params.policy.type != "none"
    table = steady.relaxation(params, [1, 2], years=2)
    bare = counterfactual_params(params).with_values({"run.burn_in_weeks": 0, "run.weeks": 104})
    runs = [simulate(bare, seed=s).frame for s in (1, 2)]
    for name, column in steady.RELAXATION_SERIES.items():
        expected = np.mean([f[column].to_numpy(float).reshape(2, 52).mean(axis=1) for f in runs], axis=0)
        np.testing.assert_allclose(table[name][:, 0], expected, rtol=1e-12)
        assert (table[name][:, 1] <= table[name][:, 0]).all() and (table[name][:, 0] <= table[name][:, 2]).all()
    settled = simulate(counterfactual_params(params).with_values({"run.weeks": 52}), seed=1).frame["compounds"].mean()
    assert table["compounds"][0, 0] != pytest.approx(settled, rel=1e-6)  # a burnt-in run is another run


def test_relaxation_needs_two_years(capsys) -> None:
    from sim.cli import patterns as patterns_cli
    from sim.common.errors import EXIT_BAD_INPUT

    assert patterns_cli.main([str(SCENARIOS / "baseline.toml"), "--relaxation", "1"]) == EXIT_BAD_INPUT
    assert "--relaxation: 1 is too few years; allowed: a whole number of years, at least 2" in capsys.readouterr().err
