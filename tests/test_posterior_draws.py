"""Draws from a calibrated posterior (sim.experiments.posterior) and the replay run over them.

A posterior folder is made by hand here (two or three particles with known weights), so the tests
check the resampling and its use without running a calibration.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.replay import replicate, run_replay
from sim.cli.main import main
from sim.experiments.posterior import PosteriorError, posterior_draws, read_posterior
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SHORT = ["run.weeks=16", "run.burn_in_weeks=20", "policy.start_week=6", "policy.end_week=10", "policy.raid_frequency=2000",
         "policy.jurisdictions=['Cambodia']"]
KEY = "market.revenue_per_worker_day"


def write_posterior(folder: Path, values: list[float], weights: list[float], integer: bool = False, key: str = KEY) -> Path:
    folder.mkdir()
    pd.DataFrame({key: values, f"u:{key}": np.linspace(0, 1, len(values)), "weight": weights}).to_csv(folder / "posterior.csv", index=False)
    (folder / "manifest.json").write_text(json.dumps({"parameters": [{"key": key, "lo": 0, "hi": 1000, "integer": integer}],
                                                      "command": "scamsim calibrate x", "code_version": "abc"}))
    return folder


def test_draws_follow_the_weights_and_repeat_with_the_seed(tmp_path):
    post = read_posterior(write_posterior(tmp_path / "p", [100.0, 200.0, 300.0], [0.6, 0.3, 0.1]))
    n = 4000
    draws = posterior_draws(post, n, seed=5)
    assert draws == posterior_draws(post, n, seed=5)
    assert draws != posterior_draws(post, n, seed=6)
    share = np.mean([d[KEY] == 100.0 for d in draws])
    # Binomial(4000, 0.6): sd = 0.0077; 4 sd is a false-alarm rate of about 6e-5.
    assert abs(share - 0.6) < 4 * np.sqrt(0.6 * 0.4 / n)
    assert {d[KEY] for d in draws} <= {100.0, 200.0, 300.0}


def test_integer_parameters_are_drawn_as_whole_numbers(tmp_path):
    post = read_posterior(write_posterior(tmp_path / "p", [3.4, 7.6], [1, 1], integer=True, key="operators.initial"))
    values = [d["operators.initial"] for d in posterior_draws(post, 50, 1)]
    assert set(values) == {3, 8} and all(type(v) is int for v in values)  # both particles drawn, as whole numbers


@pytest.mark.parametrize(("mutate", "named"), [
    (lambda f: (f / "posterior.csv").unlink(), "posterior.csv: not found"),
    (lambda f: (f / "manifest.json").write_text("{}"), "not a calibration manifest"),
    (lambda f: (f / "posterior.csv").write_text(f"{KEY},weight\n100,-1\n"), "non-negative weights"),
    (lambda f: (f / "posterior.csv").write_text("weight\n1\n"), f"no column '{KEY}'"),
])
def test_a_bad_posterior_folder_is_named(tmp_path, mutate, named):
    folder = write_posterior(tmp_path / "p", [100.0, 200.0], [0.5, 0.5])
    mutate(folder)
    with pytest.raises(PosteriorError) as err:
        read_posterior(folder)
    assert named in str(err.value)


def test_each_replication_runs_its_drawn_parameters(tmp_path):
    post = read_posterior(write_posterior(tmp_path / "p", [200.0, 900.0], [0.5, 0.5]))
    params = load_scenario(BASELINE, SHORT).params
    replay = run_replay(params, 4, seed=3, posterior=post)
    drawn = [r.values[KEY] for r in replay.replications]
    assert drawn == [d[KEY] for d in posterior_draws(post, 4, 3)]
    assert replay.posterior is not None and replay.posterior["posterior_csv_sha256"] == post.sha256
    # A replication equals a plain run of the scenario with its drawn value set as an override, same seed.
    rep = replay.replications[0]
    alone = replicate((load_scenario(BASELINE, [*SHORT, f"{KEY}={drawn[0]}"]).params, rep.seed, {}))
    np.testing.assert_array_equal(rep.by_country, alone.by_country)


def test_cli_replay_over_a_posterior_writes_the_draws(tmp_path, capsys):
    folder = write_posterior(tmp_path / "p", [200.0, 900.0], [0.5, 0.5])
    sets = [a for s in SHORT for a in ("--set", s)]
    out = tmp_path / "r"
    assert main(["replay", str(BASELINE), *sets, "--replications", "2", "--posterior", str(folder), "--out", str(out)]) == 0
    draws = pd.read_csv(out / "draws.csv")
    assert list(draws.columns) == ["replication", "seed", KEY] and len(draws) == 2
    manifest = json.loads((out / "manifest.json").read_text())
    expected = posterior_draws(read_posterior(folder), 2, manifest["seed"])
    assert draws[KEY].tolist() == [d[KEY] for d in expected]  # the drawn values, in replication order
    assert json.loads((out / "manifest.json").read_text())["posterior"]["particles"] == 2


def test_cli_rejects_a_posterior_that_does_not_fit_the_scenario(tmp_path, capsys):
    folder = write_posterior(tmp_path / "p", [0.5], [1.0], key="jurisdictions.Atlantis.governance")
    sets = [a for s in SHORT for a in ("--set", s)]
    assert main(["replay", str(BASELINE), *sets, "--replications", "1", "--posterior", str(folder), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--posterior" in err and "Atlantis" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()
