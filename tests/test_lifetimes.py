"""Operators' exit hazard by age (sim.analysis.validation.lifetimes): the diagnosis of the burn-in's slow mode.

Hand-computed cases for the estimator, a statistical check against a known hazard, and the recorder
checked against the model's own weekly log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from scipy.stats import chi2

from sim.analysis.validation.lifetimes import Life, LifeRecorder, hazard_by_age, operator_lives
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params, simulate
from sim.scenario.loader import load_scenario


def test_exposure_and_exits_fall_in_the_bands_of_age_by_hand() -> None:
    runs = [([Life(0, 78, "idle"),  # 1.5 years: a year in 0-1, half a year in 1-2, its exit in 1-2
              Life(52, None, ""),  # censored at age 5 years exactly (the run stops at week 312): 1 + 1 + 3 years, no exit
              Life(10, 10, "no_site"),  # left in the week it came: an exit at age 0 with no exposure
              Life(0, 52, "arrest")], 312)]  # exactly one year: exposure in 0-1 only, its exit in 1-2 (bands are [lo, hi))
    bands = hazard_by_age(runs, (0.0, 1.0, 2.0, 5.0, 10.0))
    assert [b.operator_years for b in bands] == pytest.approx([3.0, 1.5, 3.0, 0.0])
    assert [b.exits for b in bands] == [1, 2, 0, 0]
    assert bands[0].reasons == {"no_site": 1} and bands[1].reasons == {"idle": 1, "arrest": 1}
    assert bands[1].hazard == pytest.approx(2 / 1.5)
    assert bands[1].low == pytest.approx(chi2.ppf(0.025, 4) / 2 / 1.5)
    assert bands[1].high == pytest.approx(chi2.ppf(0.975, 6) / 2 / 1.5)
    assert bands[2].hazard == 0.0 and bands[2].low == 0.0 and bands[2].high == pytest.approx(chi2.ppf(0.975, 2) / 2 / 3.0)
    assert np.isnan(bands[3].hazard)  # no one reached five years: undefined, not zero


def test_a_constant_hazard_is_recovered_in_every_band() -> None:
    # 20,000 lives with a constant exit chance p a week (geometric lifetimes: exposure of T weeks then an exit),
    # censored after 10 years: the estimator's expectation is 52 p a year in every band. The tolerance is four
    # Poisson standard errors of each band's count (sqrt(n) / exposure), so the test fails only on a biased rule.
    rng = np.random.default_rng(3)
    p, stop = 0.3 / 52, 520
    t = rng.geometric(p, size=20_000)
    lives = [Life(0, int(x), "idle") if x <= stop else Life(0, None, "") for x in t]
    for b in hazard_by_age([(lives, stop)], (0.0, 1.0, 2.0, 5.0, 10.0)):
        assert b.exits > 100
        assert abs(b.hazard - 52 * p) < 4 * np.sqrt(b.exits) / b.operator_years


def test_the_recorder_matches_the_models_weekly_log_and_changes_nothing() -> None:
    """Alive at the end of week w = entered by w and not left by w, for every week; entrants and bankruptcies as logged."""
    params = load_scenario(SCENARIOS / "mekong_history.toml").params
    bare = counterfactual_params(params).with_values({"run.burn_in_weeks": 0, "run.weeks": 104})
    model = ScamModel(bare, rng=2)
    recorder = LifeRecorder(model)
    model.run()
    lives, frame = recorder.lives(), model.log.frame()
    weeks = frame["week"].to_numpy()
    alive = [sum(1 for x in lives if x.start <= w and (x.end is None or x.end > w)) for w in weeks]
    assert alive == frame["operators"].tolist()
    assert sum(x.start > 0 for x in lives) == frame["entrants"].sum() > 0
    assert sum(x.reason == "bankruptcy" for x in lives) == frame["bankruptcies"].sum()
    assert sum(x.end is not None for x in lives) > 0
    pd.testing.assert_frame_equal(frame, simulate(bare, seed=2).frame)  # the observer draws nothing


def test_operator_lives_runs_from_the_initial_state_without_policy() -> None:
    # a policy that starts early and raids hard: it would change the lives if it ran
    params = load_scenario(SCENARIOS / "case_by_case.toml", ["policy.start_week=5", "policy.raid_frequency=2000"]).params
    assert params.run.burn_in_weeks > 0 and params.policy.type != "none"
    lives, stopped = operator_lives(params, seed=1, years=1)
    assert stopped == 52
    assert sum(x.start == 0 for x in lives) == params.operators.initial  # every initial operator, aged 0 at week 0
    assert lives == operator_lives(counterfactual_params(params), seed=1, years=1)[0]  # the same lives without the policy


def test_the_command_refuses_zero_years(capsys) -> None:
    from sim.cli import patterns as patterns_cli
    from sim.common.errors import EXIT_BAD_INPUT

    assert patterns_cli.main([str(SCENARIOS / "baseline.toml"), "--lifetimes", "0"]) == EXIT_BAD_INPUT
    assert "--lifetimes: 0 is too few years; allowed: a whole number of years, at least 1" in capsys.readouterr().err


def test_the_command_prints_the_hazard_table(capsys) -> None:
    from sim.cli import patterns as patterns_cli

    assert patterns_cli.main([str(SCENARIOS / "baseline.toml"), "--lifetimes", "1", "--replications", "1", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "exits per operator-year [95% CI]" in out and "| 0-1 |" in out and "1 seeds pooled" in out
    assert "undefined (no exposure)" in out  # nobody is older than a year after a one-year run
    assert "In the market at the end:" in out
