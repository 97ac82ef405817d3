"""How much of the headline's spread is chance (sim.analysis.variance_parts): the split of the predictive variance into
the model's randomness (runs of one parameter set with other seeds) and the parameters' uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.variance_parts import split_variance, variance_parts

MEASURE = "counterfactual.persistence_vs_counterfactual_workers"


def synthetic(rng: np.random.Generator, sets: int, between_sd: float, noise_sd: float,
              sizes: tuple[int, ...] = (1, 1, 2, 3)) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``sets`` parameter sets, each run 1-3 times (as resampling by weight repeats the heavier particles):
    a set's mean is drawn with sd ``between_sd``, each run adds noise with sd ``noise_sd``."""
    n = rng.choice(sizes, size=sets)
    groups = np.repeat(np.arange(sets), n)
    means = rng.normal(0.9, between_sd, size=sets)
    return means[groups] + rng.normal(0.0, noise_sd, size=len(groups)), groups


def test_the_bootstrap_interval_covers_the_true_noise_share():
    """Coverage over 40 synthetic sweeps whose true noise share is 0.08^2 / (0.1^2 + 0.08^2) = 0.39.

    Each has 200 parameter sets (about 360 runs, half the sets repeated). A calibrated 90% interval covers the
    truth in Binomial(40, 0.9) of them: P(at most 31) = 4%, so at least 32 are required; a percentile bootstrap of a
    ratio of variances errs a little either way, which this allows, while an interval that ignores the sets (or a
    share computed on the wrong variances) misses far more often.
    """
    truth = 0.08**2 / (0.1**2 + 0.08**2)
    covered, estimates = 0, []
    for k in range(40):
        rng = np.random.default_rng(k)
        values, groups = synthetic(rng, 200, 0.1, 0.08)
        out = split_variance(values, groups, np.random.default_rng(1000 + k), boot=1000)
        covered += out["noise_share_low"] <= truth <= out["noise_share_high"]
        estimates.append(out["noise_share"])
    assert covered >= 32, (covered, estimates)
    # unbiased to within what 40 sweeps can tell (the sd of one estimate is about 0.07 here, of their mean about 0.011)
    assert abs(np.mean(estimates) - truth) < 0.04


def test_no_noise_means_a_share_of_zero_and_no_parameter_effect_a_share_near_one():
    rng = np.random.default_rng(3)
    values, groups = synthetic(rng, 300, 0.1, 0.0)
    out = split_variance(values, groups, np.random.default_rng(1))
    assert out["noise_variance"] == pytest.approx(0.0, abs=1e-12) and out["noise_share"] == pytest.approx(0.0, abs=1e-9)
    values, groups = synthetic(rng, 300, 0.0, 0.05)
    out = split_variance(values, groups, np.random.default_rng(1))
    # the estimator's sd here is 0.064 (200 synthetic sweeps of this size, mean 0.993): +-0.2 is about 3 sd
    assert 0.8 < out["noise_share"] < 1.2 and out["noise_share_low"] < 1.0 < out["noise_share_high"]


def test_the_share_is_undefined_when_no_set_ran_twice_or_nothing_varies():
    out = split_variance(np.array([0.8, 0.9, 1.0]), np.array([0, 1, 2]), np.random.default_rng(1))
    assert out["repeated_sets"] == 0 and out["df_within"] == 0
    assert np.isnan(out["noise_variance"]) and np.isnan(out["noise_share"]) and np.isnan(out["noise_share_low"])
    flat = split_variance(np.ones(6), np.array([0, 0, 1, 1, 2, 2]), np.random.default_rng(1))
    assert flat["predictive_variance"] == 0 and np.isnan(flat["noise_share"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0.0, 2.0)), min_size=2, max_size=40))
def test_the_variances_are_the_textbook_ones(runs):
    """The predictive variance is the sample variance of all runs; the noise variance is the pooled within-set one."""
    groups = np.array([g for g, _ in runs])
    values = np.array([v for _, v in runs])
    out = split_variance(values, groups, np.random.default_rng(0), boot=20)
    assert out["predictive_variance"] == pytest.approx(np.var(values, ddof=1), rel=1e-9, abs=1e-12)
    frame = pd.DataFrame({"g": groups, "v": values}).groupby("g")["v"]
    df = (frame.size() - 1).sum()
    if df == 0:
        assert np.isnan(out["noise_variance"])
    else:
        pooled = float(((frame.size() - 1) * frame.var(ddof=1).fillna(0.0)).sum() / df)
        assert out["noise_variance"] == pytest.approx(pooled, rel=1e-9, abs=1e-12)
    assert out["replications"] == len(values) and out["parameter_sets"] == len(set(groups.tolist()))


def test_a_run_s_set_is_all_its_drawn_values_and_the_table_is_the_same_bytes_every_time():
    """Two runs share a set only when every drawn value (calibrated and marginalised) is the same; the bootstrap's
    generator is fixed, so reading the same results twice gives the same table."""
    rng = np.random.default_rng(5)
    rows = []
    for point in (12.0, 48.0):
        for r in range(60):
            particle = r % 40  # draws 40-59 repeat particles 0-19
            rows.append({"role": "policy", "policy.raid_frequency": point, "posterior.a": float(particle % 20),
                         "posterior.b": float(particle), MEASURE: 0.9 + rng.normal(0, 0.05)})
    wide = pd.DataFrame(rows)
    one = variance_parts(wide, ["policy.raid_frequency"], MEASURE)
    two = variance_parts(wide, ["policy.raid_frequency"], MEASURE)
    assert one.to_csv(index=False) == two.to_csv(index=False)
    # sets are (a, b) pairs: 40 of them (a alone would give 20), 20 repeated
    assert set(one["parameter_sets"]) == {40} and set(one["repeated_sets"]) == {20} and set(one["df_within"]) == {20.0}
    with pytest.raises(ValueError, match="without a posterior"):
        variance_parts(wide.drop(columns=["posterior.a", "posterior.b"]), ["policy.raid_frequency"], MEASURE)


def test_the_ranked_share_does_not_hang_on_the_tails():
    """On normal scores the share is the same for any increasing transformation of the measure; on variances it is not
    (a few extreme runs of a ratio can carry it)."""
    rng = np.random.default_rng(8)
    values, groups = synthetic(rng, 150, 0.1, 0.08)
    from sim.analysis.variance_parts import split_both

    plain, stretched = split_both(values, groups, boot=200), split_both(np.exp(12 * values), groups, boot=200)
    for key in ("noise_share_ranked", "noise_share_ranked_low", "noise_share_ranked_high"):
        assert plain[key] == pytest.approx(stretched[key], rel=1e-12)
    # the stretch moves the variance share: by at least 0.017 in each of 100 synthetic sweeps of this size (median 0.28)
    assert abs(plain["noise_share"] - stretched["noise_share"]) > 0.01
    # on normal data the two shares estimate the same thing: their difference over 100 such sweeps has mean -0.007
    # and sd 0.011, so 0.05 is about 4 sd
    assert abs(plain["noise_share"] - plain["noise_share_ranked"]) < 0.05


def test_the_split_of_each_recorded_prediction_and_its_named_errors(tmp_path, capsys):
    """One row per observation of the record, in its order (NaN for one with no measure); a replay without draws.csv
    is a named error, and the command exits 2 and writes nothing."""
    import json
    import tomllib

    from sim.analysis import variance_parts as vp
    from sim.analysis.prediction import RECORD, PredictionError

    entries = {e["id"]: e for e in tomllib.loads(RECORD.read_text(encoding="utf-8"))["observation"]}
    none_id = next(k for k, e in entries.items() if e["measure"] == "none")
    record = tmp_path / "rec.toml"
    record.write_text("".join("[[observation]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in entries[i].items())
                              for i in ("summer_operation_detained", none_id)), encoding="utf-8")
    replay = tmp_path / "replay"
    replay.mkdir()
    rng = np.random.default_rng(2)
    values, groups = synthetic(rng, 60, 0.02, 0.01)
    runs = np.arange(1, len(values) + 1)
    measured = pd.DataFrame({"replication": runs, "seed": 0, "shock": "china_summer_operation", "measure": "detained_rescued_13w",
                             "value": values})
    other = pd.DataFrame({"replication": runs, "seed": 0, "shock": entries[none_id]["shock"], "measure": "held_before",
                          "value": 1.0})  # the no-measure entry's shock must be in the replay, as for compare
    pd.concat([measured, other]).to_csv(replay / "per_replication.csv", index=False)
    out = tmp_path / "chance.csv"
    assert vp.main([str(replay), "--record", str(record), "--out", str(out)]) == 2
    assert "draws.csv: missing" in capsys.readouterr().err and not out.exists()
    pd.DataFrame({"replication": np.arange(1, len(values) + 1), "seed": 0, "a": groups % 7, "b": groups}).to_csv(
        replay / "draws.csv", index=False)
    assert vp.main([str(replay), "--record", str(record), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table["id"]) == ["summer_operation_detained", none_id]
    expected = split_variance(values, groups, np.random.default_rng(vp.BOOTSTRAP_SEED))
    assert table["noise_share"].iloc[0] == pytest.approx(expected["noise_share"], rel=1e-5)
    assert table["parameter_sets"].iloc[0] == 60 and np.isnan(table["noise_share"].iloc[1])
    pd.DataFrame({"replication": [1], "seed": [0], "a": [1.0]}).to_csv(replay / "draws.csv", index=False)
    with pytest.raises(PredictionError, match=r"replication 2 of per_replication\.csv has no parameter set"):
        vp.prediction_parts(replay, record)
