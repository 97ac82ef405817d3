"""The replay (issue 14, part 2): per-shock measures, the observer's accounting of people, and ``scamsim replay``.

Runs are short (30 weeks of burn-in, 24 recorded) on scenarios/baseline.toml with a policy set by overrides.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.replay import Replay, Replication, per_shock_table, run_replay, survival_table
from sim.analysis.replay_observer import ShockRecord
from sim.cli.main import main
from sim.measures import shocks as sm
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SHORT = ["run.weeks=24", "run.burn_in_weeks=30", "policy.start_week=8", "policy.end_week=12", "policy.raid_frequency=2000"]


def short_params(*extra: str):
    return load_scenario(BASELINE, [*SHORT, *extra]).params


# ---- pure measures ---------------------------------------------------------------------------------
def test_kaplan_meier_median_with_censoring_matches_the_hand_computation():
    # Six runs: recovered at 2, 5, 5, 9 weeks; censored at 3 and 10. By hand: S(2) = 5/6; at 3 one run
    # leaves the risk set uncounted; S(5) = 5/6 x (1 - 2/4) = 5/12 <= 1/2, so the median is 5 weeks.
    km = sm.kaplan_meier([2, 3, 5, 5, 9, 10], [True, False, True, True, True, False])
    assert km.median == 5.0
    assert km.recovered == 4 and km.censored == 2
    assert km.survival[list(km.times).index(5.0)] == pytest.approx(5 / 12)
    # Runs recovered at 2 and 4 weeks, four censored at 3: S(2) = 5/6, and at 4 the one run at risk recovers,
    # S(4) = 0, so the median is 4. Dropping the censored runs would give 2 (S(2) = 1/2).
    km = sm.kaplan_meier([2, 3, 3, 3, 3, 4], [True, False, False, False, False, True])
    assert km.median == 4.0
    assert sm.kaplan_meier([2, 4], [True, True]).median == 2.0


def test_kaplan_meier_median_not_reached_when_most_runs_never_recover():
    km = sm.kaplan_meier([4, 20, 20], [True, False, False])
    assert km.median is None and km.censored == 2


def test_recovery_is_censored_when_the_run_ends_below_the_threshold():
    weeks = np.arange(0, 12)
    held = np.array([100, 100, 100, 100, 100, 60, 70, 80, 95, 85, 80, 80], dtype=float)
    rec = sm.recovery(weeks, held, start=5, reference=100.0)
    assert (rec.weeks, rec.observed, rec.dipped) == (3, True, True)  # week 8 is back to >= 90
    rec = sm.recovery(weeks[:8], held[:8], start=5, reference=100.0)
    assert (rec.weeks, rec.observed) == (2, False)  # ended at week 7, still below
    assert sm.recovery(weeks, np.full(12, 100.0), start=5, reference=100.0) == sm.Recovery(0, True, False)


def test_a_shock_on_a_place_with_no_compounds_is_undefined_not_zero():
    weeks = np.arange(0, 30)
    values, rec = sm.shock_measures(weeks, np.zeros(30), start=10, end=14, cohort=0.0,
                                    left={k: dict.fromkeys(sm.DESTINATIONS, 0.0) for k in sm.LEAVE_WEEKS})
    assert rec is None
    for key in ("held_after_vs_before", "left_4w", "detained_rescued_13w", "recovery_weeks", "buildings_standing_before"):
        assert values[key] is None, key
    assert values["held_before"] == 0.0  # the level itself is defined: nobody was there
    # ... and the table says so in words.
    rec_ = ShockRecord("empty", 10, 14, ("Nowhere",), 0, weeks=list(weeks), held=[0] * 30, standing=[0] * 30, occupied=[0] * 30,
                       cohort=0.0, left={k: dict.fromkeys(sm.DESTINATIONS, 0.0) for k in sm.LEAVE_WEEKS})
    replay = Replay(short_params(), 1, [Replication(1, [rec_], weeks, np.zeros((30, 1)))], ("X",), ["empty"])
    table = per_shock_table(replay).set_index("measure")
    assert table.loc["left_4w", "median"] == "undefined"
    assert table.loc["recovery_weeks_kaplan_meier", "median"] == "undefined"
    assert survival_table(replay)["survival"].tolist() == ["undefined"]


def test_raid_split_and_destinations():
    assert sm.split_raid(50.0, 100.0, 60.0) == pytest.approx((20.0, 30.0, 0.0))  # 40% freed, the cohort's 40% of it
    assert sm.split_raid(120.0, 100.0, 0.0) == pytest.approx((100.0, 0.0, 20.0))  # cohort capped at those held
    inside = np.array([True, True, False, False])
    country = np.array([0, 0, 0, 1])
    assert sm.destination(0, 1, inside, country) is None
    assert sm.destination(0, 2, inside, country) == "same_country"
    assert sm.destination(0, 3, inside, country) == "other_country"
    assert sm.destination(0, -1, inside, country) == "overseas"


def test_shocks_of_reads_a_timeline_when_there_is_one():
    params = short_params()
    assert [s.name for s in sm.shocks_of(params)] == ["baseline"]
    assert sm.shocks_of(params.replace(policy=params.policy.__class__())) == []  # type none: nothing to replay

    class WithTimeline:  # what Params looks like once timelines land (tuple of named PolicyParams)
        run = params.run
        policy = params.policy
        timeline = (params.policy, params.policy)

    assert [s.name for s in sm.shocks_of(WithTimeline())] == ["baseline_1", "baseline_2"]


# ---- the observer on real runs -------------------------------------------------------------------------
@pytest.mark.parametrize("place", ["policy.jurisdictions=['Cambodia']", "policy.raid_zones=['Poipet', 'Sihanoukville']"])
def test_people_who_left_the_hit_place_add_up(place):
    """Conservation: the cohort = still in place + every destination, at the end of each window (within rounding)."""
    replay = run_replay(short_params(place), replications=2, seed=3)
    for rep in replay.replications:
        (rec,) = rep.shocks
        assert rec.cohort > 0
        for k in sm.LEAVE_WEEKS:
            left = sum(rec.left[k].values())
            assert rec.remaining[k] + left == pytest.approx(rec.cohort, rel=1e-9)
            shares = sm.departure_shares(rec.left[k], rec.cohort)
            for d in sm.DESTINATIONS:  # each share is of the cohort, and those who left are all who are not in place
                assert shares[d] == pytest.approx(rec.left[k][d] / rec.cohort, rel=1e-12)
            assert shares["left"] == pytest.approx(1 - rec.remaining[k] / rec.cohort, rel=1e-9, abs=1e-12)
        assert sum(rec.left[13].values()) >= sum(rec.left[4].values())  # later windows include the earlier
        assert rec.left[13]["detained_rescued"] > 0  # 2,000 raids a year found somebody
        # the cohort is the people held in the hit place the week before the start
        assert rec.cohort == rec.held[rec.weeks.index(rec.start - 1)]


def test_the_observer_changes_nothing():
    from sim.measures.run import simulate

    params = short_params("policy.jurisdictions=['Cambodia']")
    replay = run_replay(params, replications=1, seed=5)
    rep = replay.replications[0]
    plain = simulate(params, seed=rep.seed)
    assert np.array_equal(plain.workers.sum(axis=1), rep.by_country.sum(axis=1))


# ---- the command ------------------------------------------------------------------------------------------
def replay_args(out: Path, *extra: str) -> list[str]:
    sets = [a for s in [*SHORT, "policy.jurisdictions=['Cambodia']"] for a in ("--set", s)]
    return ["replay", str(BASELINE), *sets, "--replications", "2", "--out", str(out), *extra]


def test_cli_writes_the_folder_whole(tmp_path, capsys):
    out = tmp_path / "replay"
    assert main(replay_args(out, "--seed", "7")) == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "people_by_country.csv", "people_by_country.png",
                                                     "per_replication.csv", "per_shock.csv", "survival.csv"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 2 and manifest["seed"] == 7 and len(manifest["replication_seeds"]) == 2
    assert "versions" in manifest and manifest["shocks"][0]["hit_place"] == ["Cambodia"]
    per = pd.read_csv(out / "per_shock.csv")
    assert {"held_before", "left_4w", "detained_rescued_13w", "recovery_weeks_kaplan_meier"} <= set(per["measure"])
    raw = pd.read_csv(out / "per_replication.csv")  # the per-shock medians are medians of these values
    held = raw[raw["measure"] == "held_before"]["value"].to_numpy(float)
    median = per.loc[per["measure"] == "held_before", "median"].astype(float).iloc[0]
    assert len(held) == 2 and median == pytest.approx(np.median(held), rel=1e-5)
    people = pd.read_csv(out / "people_by_country.csv")
    assert set(people["country"]) == {"Myanmar", "Thailand", "Laos", "Cambodia", "Vietnam"}  # Shan and Kayin are Myanmar
    assert (people["p05"] <= people["median"]).all() and (people["median"] <= people["p95"]).all()
    assert [p.name for p in tmp_path.iterdir()] == ["replay"]  # no partial folder left beside it


def test_cli_interrupted_while_writing_leaves_nothing(tmp_path, monkeypatch):
    import sim.analysis.replay_figure as fig

    def stop(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(fig, "people_figure", stop)
    assert main(replay_args(tmp_path / "replay")) == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("extra", "named"), [
    (["--replications", "0"], "--replications"),
    (["--workers", "0"], "--workers"),
    (["--seed", "-1"], "--seed"),
    (["--set", "policy.type=none"], "no shock to replay"),
])
def test_cli_rejects_bad_input_with_a_named_error(tmp_path, capsys, extra, named):
    args = replay_args(tmp_path / "replay")
    if extra[0] == "--replications":
        args[args.index("--replications") + 1] = extra[1]
        extra = []
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "replay").exists()


def test_cli_rejects_a_missing_scenario(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "nope.toml"), "--replications", "1", "--out", str(tmp_path / "o")]) == 2
    assert "nope.toml" in capsys.readouterr().err
