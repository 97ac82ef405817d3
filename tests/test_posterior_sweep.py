"""Experiment files that integrate over a calibrated posterior (``posterior = "..."``), and the headline summary.

A posterior folder is made by hand (three particles of two parameters, one a jurisdiction's attribute), so
the tests check how draws reach the runs without running a calibration. Runs are short (baseline map,
20 burn-in weeks, 24 weeks).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from sim.analysis.headline_posterior import (
    HELD,
    LOSSES,
    bands,
    conditional,
    conditional_figure,
    dependence,
    jeffreys,
    reduction_probability,
    strongest_parameter,
)
from sim.experiments import load_experiment, load_results, run_sweep
from sim.experiments.plan import plan
from sim.scenario.loader import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
INFLOW, GOV = "labour.inflow_per_week", "jurisdictions.Cambodia.governance"


def write_posterior(folder: Path) -> Path:
    """Three particles with distinct values, so any two draws that differ are told apart."""
    folder.mkdir()
    frame = pd.DataFrame({INFLOW: [300.0, 450.0, 600.0], GOV: [0.2, 0.4, 0.6], "weight": [0.5, 0.3, 0.2]})
    frame[f"u:{INFLOW}"] = [0.1, 0.5, 0.9]
    frame[f"u:{GOV}"] = [0.1, 0.5, 0.9]
    frame.to_csv(folder / "posterior.csv", index=False)
    params = [{"key": k, "lo": 0, "hi": 1000, "scale": "linear", "integer": False, "source": "test"} for k in (INFLOW, GOV)]
    (folder / "manifest.json").write_text(json.dumps({"parameters": params, "command": "test"}))
    return folder


def experiment(tmp: Path, factors: str = '"policy.type" = ["none", "case_by_case"]\n"policy.raid_frequency" = [48.0, 400.0]',
               scenario: Path = ROOT / "scenarios" / "baseline.toml", extra: str = "", reps: int = 3) -> Path:
    if not (tmp / "post").exists():
        write_posterior(tmp / "post")
    path = tmp / "exp.toml"
    path.write_text(f"""
[experiment]
name = "post"
scenario = "{scenario}"
posterior = "post"
replications = {reps}
weeks = 24
seed = 11
counterfactual = true

[set]
"policy.start_week" = 8
"run.burn_in_weeks" = 20
{extra}
[factors]
{factors}
""")
    return path


def test_replication_r_runs_draw_r_at_every_point_and_in_its_counterfactual(tmp_path):
    exp = load_experiment(experiment(tmp_path))
    runs = plan(exp)
    draws = exp.draws()
    assert len({d[INFLOW] for d in draws}) > 1 or exp.replications == 1  # the test would be empty if every draw were alike
    for spec in runs:
        want = draws[spec.replication]
        assert dict(spec.draw) == want
        assert spec.params.labour.inflow_per_week == want[INFLOW]
        cambodia = next(j for j in spec.params.map.jurisdictions if j.name == "Cambodia")
        assert cambodia.governance == want[GOV]
    # Two different points of one replication, and their counterfactual, share the draw.
    for r in range(exp.replications):
        in_r = [s for s in runs if s.replication == r]
        assert len({s.point for s in in_r}) == 5 and {s.role for s in in_r} == {"policy", "counterfactual"}
        assert len({s.draw for s in in_r}) == 1


def test_sweep_records_draws_and_posterior_and_is_the_same_with_two_workers(tmp_path):
    path = experiment(tmp_path, factors='"policy.type" = ["case_by_case"]\n"policy.raid_frequency" = [48.0, 400.0]', reps=2)
    one = run_sweep(path, out=tmp_path / "one", workers=1, progress=False)
    two = run_sweep(path, out=tmp_path / "two", workers=2, chunk_size=1, progress=False)
    assert one.failed == two.failed == 0
    a, b = load_results(tmp_path / "one"), load_results(tmp_path / "two")
    for t in ("measures", "series"):
        pdt.assert_frame_equal(getattr(a, t), getattr(b, t))
    post = a.manifest["posterior"]
    assert post["posterior_csv_sha256"] == load_experiment(path).posterior.sha256 and post["path"] == "post"
    wide = a.wide()
    draws = load_experiment(path).draws()
    for _, row in wide.iterrows():
        assert row[f"posterior.{INFLOW}"] == draws[row["replication"]][INFLOW]
    # Different draws give different runs: the posterior reaches the model.
    held = wide[wide.role == "counterfactual"].sort_values("replication")["end.workers_held"].to_numpy()
    assert draws[0][INFLOW] != draws[1][INFLOW]  # (seed 11 draws 300 then 450)
    assert held[0] != held[1]


def test_a_factor_or_set_key_the_posterior_sets_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=rf"exp.toml: factors.{INFLOW} is set by the posterior"):
        load_experiment(experiment(tmp_path, factors=f'"{INFLOW}" = [300.0, 400.0]'))
    with pytest.raises(ScenarioError, match=rf"exp.toml: set.{INFLOW} is set by the posterior"):
        load_experiment(experiment(tmp_path, extra=f'"{INFLOW}" = 300.0'))


def test_a_posterior_key_the_scenario_lacks_is_named(tmp_path):
    folder = write_posterior(tmp_path / "post")
    text = (folder / "manifest.json").read_text().replace("Cambodia", "Atlantis")
    (folder / "manifest.json").write_text(text)
    csv = (folder / "posterior.csv").read_text().replace("Cambodia", "Atlantis")
    (folder / "posterior.csv").write_text(csv)
    with pytest.raises(ScenarioError, match="no jurisdiction named 'Atlantis'"):
        load_experiment(experiment(tmp_path))


def test_a_policy_key_on_a_timeline_scenario_is_refused(tmp_path):
    history = ROOT / "scenarios" / "mekong_history.toml"
    with pytest.raises(ScenarioError, match=r"factors.policy.raid_frequency would have no effect: .*\[\[timeline\]\]"):
        load_experiment(experiment(tmp_path, scenario=history, factors='"policy.raid_frequency" = [48.0, 400.0]'))


def results_table(shares: list[float], losses: list[float]) -> pd.DataFrame:
    n = len(shares)
    return pd.DataFrame({"role": "policy", "policy.type": "case_by_case", "policy.raid_frequency": 48.0,
                         "replication": range(n), HELD: shares, LOSSES: losses})


def test_reduction_probability_counts_replications_below_0_9_with_a_jeffreys_interval():
    wide = results_table([0.5, 0.85, 0.95, 1.0, 0.89, 1.1, 0.7, 0.9], [1.0] * 8)  # 0.9 itself is not a reduction > 10%
    out = reduction_probability(wide, ["policy.type", "policy.raid_frequency"]).iloc[0]
    assert out["replications"] == 8 and out["reductions"] == 4 and out["probability"] == 0.5
    # Jeffreys: the 5% and 95% quantiles of Beta(k + 1/2, n - k + 1/2) = Beta(4.5, 4.5), symmetric about 0.5.
    # Checked against the Beta CDF integrated here on a grid (trapezoid, 200,001 points: error far below 1e-4).
    x = np.linspace(0, 1, 200_001)
    density = x**3.5 * (1 - x) ** 3.5
    cdf = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2)])
    cdf /= cdf[-1]
    assert np.interp(out["low"], x, cdf) == pytest.approx(0.05, abs=1e-4)
    assert out["high"] == pytest.approx(1 - out["low"], abs=1e-9)
    none = reduction_probability(results_table([1.0] * 10, [1.0] * 10), ["policy.type"]).iloc[0]
    assert none["probability"] == 0 and none["low"] == 0 and 0 < none["high"] < 0.25  # at the boundary the lower end is 0


def test_bands_give_median_and_90_percent_band_per_point():
    wide = results_table(list(np.linspace(0, 1, 21)), list(np.linspace(1, 2, 21)))
    out = bands(wide, ["policy.type", "policy.raid_frequency"]).set_index("measure")
    assert out.loc[HELD, "median"] == pytest.approx(0.5) and out.loc[HELD, "q05"] == pytest.approx(0.05)
    assert out.loc[HELD, "q95"] == pytest.approx(0.95) and out.loc[LOSSES, "median"] == pytest.approx(1.5)


def test_dependence_is_the_rank_correlation_of_each_draw_with_the_answer():
    """A parameter the answer rises with monotonically has Spearman 1 whatever the shape; one it ignores has an interval
    holding 0 (here it is a fixed permutation with a small rank correlation); a constant draw is undefined, not 0."""
    n = 40
    held = list(np.linspace(0.5, 1.2, n))
    wide = results_table(held, [1.0] * n)
    wide["posterior.a"] = np.exp(np.linspace(0, 3, n))  # monotone in held
    wide["posterior.b"] = np.random.default_rng(0).permutation(n).astype(float)
    wide["posterior.c"] = 7.0
    out = dependence(wide, ["policy.type", "policy.raid_frequency"]).set_index("parameter")
    assert out.loc["a", "spearman"] == pytest.approx(1.0) and out.loc["a", "replications"] == n
    assert out.loc["b", "low"] < 0 < out.loc["b", "high"] and out.loc["b", "low"] < out.loc["b", "spearman"] < out.loc["b", "high"]
    half = 1.6449 * 1.06 / np.sqrt(n - 3)  # Fisher z, 90%
    assert np.arctanh(out.loc["b", "high"]) - np.arctanh(out.loc["b", "spearman"]) == pytest.approx(half, rel=1e-3)
    assert np.isnan(out.loc["c", "spearman"])


def test_conditional_splits_the_draws_at_each_parameters_median():
    """Reductions exactly where a draw is large: the upper half holds every reduction and the lower none, with the
    Jeffreys intervals of 0 and 1 of its size; a parameter unrelated to the answer has about the overall share in both
    halves; ties at the median go up; a constant draw is undefined."""
    n = 40
    a = np.arange(n, dtype=float)
    held = np.where(a >= 20, 0.8, 1.0)  # a reduction (below 0.9) in exactly the upper half of a
    wide = results_table(list(held), [1.0] * n)
    wide["posterior.a"] = a
    wide["posterior.b"] = np.tile([0.0, 1.0], n // 2)  # alternating: half the reductions in each half
    wide["posterior.c"] = 3.0
    wide["posterior.t"] = np.where(a < 10, 0.0, 1.0)  # median 1: the 30 tied draws are the upper half
    out = conditional(wide, ["policy.type", "policy.raid_frequency"]).set_index("parameter")
    assert (out.loc["a", "lower_probability"], out.loc["a", "upper_probability"]) == (0.0, 1.0)
    assert out.loc["a", "lower_replications"] == out.loc["a", "upper_replications"] == 20
    assert (out.loc["a", "upper_low"], out.loc["a", "upper_high"]) == pytest.approx(jeffreys(20, 20))
    assert out.loc["b", "lower_probability"] == out.loc["b", "upper_probability"] == 0.5
    assert (out.loc["t", "lower_replications"], out.loc["t", "upper_replications"]) == (10, 30)
    assert out.loc["t", "upper_probability"] == pytest.approx(20 / 30) and out.loc["t", "lower_probability"] == 0.0
    assert np.isnan(out.loc["c", "lower_probability"]) and out.loc["c", "upper_replications"] == 0


def test_the_conditional_figure_draws_the_tables_and_the_strongest_parameter_is_the_largest_mean_correlation():
    """The figure's three lines are the tables' probabilities (all draws, lower and upper half) in raid-rate order; the
    default parameter is the one with the largest mean |rank correlation| over the policy's points."""
    import matplotlib.pyplot as plt

    frames = []
    for rate, shift in ((12.0, 0.3), (48.0, 0.0)):
        held = np.where(np.arange(40) >= 20, 0.8 + shift, 1.0)
        wide = results_table(list(held), [1.0] * 40).assign(**{"policy.raid_frequency": rate})
        frames.append(wide.assign(**{"posterior.a": np.arange(40.0), "posterior.b": np.tile([0.0, 1.0], 20)}))
    wide = pd.concat(frames, ignore_index=True)
    by = ["policy.type", "policy.raid_frequency"]
    con, prob, dep = conditional(wide, by), reduction_probability(wide, by), dependence(wide, by)
    assert strongest_parameter(dep) == "a"
    fig = conditional_figure(con, prob, "a")
    try:
        lines = fig.axes[0].get_lines()[:3]
        assert [list(line.get_xdata()) for line in lines] == [[12.0, 48.0]] * 3
        assert [list(line.get_ydata()) for line in lines] == [[0.0, 0.5], [0.0, 0.0], [0.0, 1.0]]
    finally:
        plt.close(fig)


@pytest.mark.parametrize(("name", "points"), [("douglas_posterior.toml", 28), ("phase_posterior.toml", 20), ("douglas_prior.toml", 8)])
def test_shipped_posterior_experiments_read_with_a_posterior_next_to_them(tmp_path, name, points):
    """The shipped files on scenarios/mekong_actors.toml, with the fake posterior where the real one will be."""
    text = (ROOT / "experiments" / name).read_text()
    (tmp_path / "posteriors").mkdir()
    write_posterior(tmp_path / tomllib.loads(text)["experiment"]["posterior"])
    (tmp_path / name).write_text(text)
    exp = load_experiment(tmp_path / name)
    assert len(exp.points) == points and len(exp.groups) == (1 if name.startswith("douglas") else 5)
    history = load_experiment_base("mekong_history.toml")
    assert exp.base.timeline == () and exp.base.policy.type == "case_by_case"
    assert exp.base.run.burn_in_weeks == history.run.burn_in_weeks  # the burn-in the posterior was calibrated with
    for section in ("protectors", "operators", "syndicates", "campaigns", "borders", "premises"):  # the actors as calibrated
        assert getattr(exp.base, section) == getattr(history, section), section
    assert exp.counterfactual and exp.posterior is not None


def load_experiment_base(scenario: str):
    from sim.scenario.loader import load_scenario

    return load_scenario(ROOT / "scenarios" / scenario).params


def test_the_headline_command_writes_every_table_and_refuses_an_unknown_figure_parameter(tmp_path, capsys):
    """``python -m sim.analysis.headline_posterior``: the tables and both figures from a small sweep over a posterior; an
    unknown ``--figure-parameter`` is a named error (exit 2) and nothing is written."""
    from sim.analysis import headline_posterior

    path = experiment(tmp_path, reps=4)
    run_sweep(path, out=tmp_path / "sweep", workers=1, progress=False)
    bad = tmp_path / "bad"
    assert headline_posterior.main([str(tmp_path / "sweep"), "--out", str(bad), "--figure-parameter", "labour.nope"]) == 2
    err = capsys.readouterr().err
    assert "--figure-parameter 'labour.nope' is not a drawn parameter" in err and INFLOW in err and GOV in err
    assert not bad.exists()
    good = tmp_path / "good"
    assert headline_posterior.main([str(tmp_path / "sweep"), "--out", str(good), "--figure-parameter", GOV]) == 0
    names = {p.name for p in good.iterdir()}
    assert {"bands.csv", "reduction_probability.csv", "dependence.csv", "conditional.csv", "variance.csv", "provenance.json",
            "headline-bands.png", "conditional.png"} <= names
    con = pd.read_csv(good / "conditional.csv")
    assert set(con["parameter"]) == {INFLOW, GOV} and set(con["policy.type"]) == {"none", "case_by_case"}
    # --against: both probability curves in one figure; a folder without the tables is a named error, nothing written
    assert headline_posterior.main([str(tmp_path / "sweep"), "--out", str(bad), "--against", str(tmp_path / "nowhere")]) == 2
    assert "--against" in capsys.readouterr().err and not bad.exists()
    again = tmp_path / "again"
    assert headline_posterior.main([str(tmp_path / "sweep"), "--out", str(again), "--against", str(good)]) == 0
    assert (again / "against.png").is_file()


def test_the_against_figure_draws_both_tables():
    import matplotlib.pyplot as plt

    from sim.analysis.headline_posterior import HELD, against_figure

    def table(probabilities: list[float]) -> pd.DataFrame:
        return pd.DataFrame({"policy.type": "case_by_case", "policy.raid_frequency": [12.0, 48.0], "measure": HELD,
                             "probability": probabilities, "low": [0.0, 0.0], "high": [1.0, 1.0]})

    fig = against_figure(table([0.6, 0.7]), table([0.3, 0.5]), ("prior", "posterior"))
    try:
        lines = fig.axes[0].get_lines()[:2]
        assert [list(line.get_ydata()) for line in lines] == [[0.6, 0.7], [0.3, 0.5]]
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["prior", "posterior"]
    finally:
        plt.close(fig)
