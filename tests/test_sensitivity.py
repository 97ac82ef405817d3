"""Sensitivity analysis (sim.analysis.sensitivity) and scenario discovery (sim.analysis.discovery).

- The SALib pipeline (sample -> evaluate -> analyse) recovers the analytic Sobol indices of the
  Ishigami function.
- A tiny Morris run of the model, through the sweep runner, ranks a parameter with no effect last.
- PRIM finds a known box in a constructed dataset.
- Bad [uncertain] / [sensitivity] tables give errors naming the file and the key (exit code 2).
- The commands (sim.cli.sensitivity) register on any parser; the analysis modules never import the CLI.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discovery import DiscoveryError, discover, prim
from sim.analysis.sensitivity import (
    Settings,
    Uncertain,
    design_experiment,
    load_sensitivity,
    run_pipeline,
    run_sensitivity,
    sample,
)
from sim.cli.sensitivity import register
from sim.scenario.loader import ScenarioError

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scamsim")
    register(p.add_subparsers(dest="command", required=True))
    return p


def cli(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return args.func(args)


# ---- Ishigami: known Sobol indices ---------------------------------------------------------------

def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol_pipeline_recovers_ishigami_indices() -> None:
    """Analytic indices for a = 7, b = 0.1 (Ishigami and Homma 1990; Saltelli et al. 2008).

    N = 1024 base samples (5120 evaluations without second-order indices): with N = 1024 the analytic
    values fell inside the 95% bootstrap intervals for all of 20 sampling seeds tried, with N = 512
    for 17 of 20 (the intervals shrink like 1/sqrt(N), about +-0.06 for S1 here), so 1024 makes the check a
    property of the code, not of a lucky seed.
    """
    u = Uncertain(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3, (False, False, False))
    analysis = run_pipeline(u, "sobol", Settings(base_samples=1024, seed=1), ishigami, ("y",))
    t = analysis.table.set_index("parameter")
    assert len(analysis.X) == 1024 * (3 + 2)
    s1, st = np.array([0.3139, 0.4424, 0.0]), np.array([0.5576, 0.4424, 0.2437])
    assert (np.abs(t["S1"].to_numpy() - s1) <= t["S1_conf"].to_numpy()).all(), t
    assert (np.abs(t["ST"].to_numpy() - st) <= t["ST_conf"].to_numpy()).all(), t
    assert t["S1_conf"].max() < 0.1  # informative intervals, not trivially wide
    assert list(t.sort_values("rank").index) == ["x1", "x2", "x3"]  # by total index


def test_sample_is_reproducible_and_in_design_order() -> None:
    u = Uncertain(("relocation.base_cost", "relocation.weeks"), ((1e5, 4e6), (1.0, 6.0)), (False, True))
    s = Settings(trajectories=3, levels=4, base_samples=8, seed=5)
    for method, n in (("morris", 3 * 3), ("sobol", 8 * 4)):
        X = sample(u, method, s)
        assert X.shape == (n, 2)
        np.testing.assert_array_equal(X, sample(u, method, s))
    spec = load_sensitivity(REPO / "experiments" / "sensitivity.toml")
    X = sample(spec.uncertain, "sobol", spec.settings)
    exp = design_experiment(spec, X)
    assert [p.id for p in exp.points] == list(range(len(X)))
    for p, row in zip(exp.points, X, strict=True):
        assert list(p.as_dict) == list(spec.uncertain.names)
        np.testing.assert_allclose(list(p.as_dict.values()), row)


def test_integer_parameters_are_rounded(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", SMALL.replace('"labour.inflow_per_week" = [600.0, 2400.0]',
                                                     '"relocation.weeks" = [1, 6]'))
    spec = load_sensitivity(path)
    X = sample(spec.uncertain, "sobol", Settings(base_samples=8, seed=2))
    exp = design_experiment(spec, X)
    j = spec.uncertain.names.index("relocation.weeks")
    weeks = [p.as_dict["relocation.weeks"] for p in exp.points]
    assert all(isinstance(w, int) for w in weeks)
    assert weeks == [round(x) for x in X[:, j]]


# ---- Morris over the model ------------------------------------------------------------------------

SMALL = f"""
[experiment]
name = "tiny"
scenario = "{BASELINE.as_posix()}"
weeks = 30
seed = 99
measures = ["victims.victim_weeks", "end.workers_held"]
series = []
moves = false

[set]
"run.burn_in_weeks" = 20
"policy.type" = "case_by_case"
"policy.start_week" = 5

[uncertain]
"labour.inflow_per_week" = [600.0, 2400.0]
"market.revenue_per_worker_day" = [150.0, 600.0]
"policy.raid_frequency" = [12.0, 400.0]
"policy.network_followup" = [0.0, 1.0]

[sensitivity]
outcome = "victims.victim_weeks"
trajectories = 4
levels = 4
seed = 3
resamples = 100
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_morris_over_the_model_ranks_a_parameter_without_effect_last(tmp_path: Path) -> None:
    """policy.network_followup is read only by network policing (sim.policies.types: ``follow = ... if
    self.network else 0.0``, and with no follow-up and no intelligence sharing ``after_raid`` returns
    before drawing a random number). Under case-by-case raids it therefore changes nothing, not even
    the random stream, so every elementary effect is exactly 0 while the others are not."""
    spec = load_sensitivity(write(tmp_path / "tiny.toml", SMALL))
    out = tmp_path / "res"
    report = run_sensitivity(spec, "morris", out=out, workers=1, progress=False, command="test")
    assert report.points == 4 * (4 + 1) and report.runs == 20
    t = report.table.set_index("parameter")
    assert t.loc["policy.network_followup", "mu_star"] == 0.0
    assert t.loc["policy.network_followup", "rank"] == 4
    assert (t.drop("policy.network_followup")["mu_star"] > 0).all()
    for name in ("indices.csv", "indices.parquet", "sample.parquet", "indices.png", "indices.svg"):
        assert (out / "sensitivity" / name).is_file()
    csv = pd.read_csv(out / "sensitivity" / "indices.csv")
    assert list(csv["parameter"]) == list(spec.uncertain.names)
    assert csv["label"].str.len().min() > 10  # words, not keys

    # Resuming runs nothing again and gives the same indices (and the same figure bytes).
    png = (out / "sensitivity" / "indices.png").read_bytes()
    again = run_sensitivity(spec, "morris", out=out, workers=1, progress=False, resume=True, command="test")
    assert again.ran == 0
    pd.testing.assert_frame_equal(again.table, report.table)
    assert (out / "sensitivity" / "indices.png").read_bytes() == png

    # Scenario discovery on the same folder, from the command line.
    assert cli("discover", str(out), "--measure", "victims.victim_weeks", "--above",
               str(float(np.median(report_values(out)))), "--mass-min", "0.2") == 0
    assert (out / "discovery" / "trajectory.csv").is_file()
    assert cli("discover", str(out), "--measure", "victims.victim_wekes", "--above", "1") == 2

    # The same from Python: the box written is the box returned.
    threshold = float(np.median(report_values(out)))
    found = discover(out, "victims.victim_weeks", above=threshold, mass_min=0.2, out=tmp_path / "disc")
    assert found.condition == f"victims.victim_weeks > {threshold}"
    assert int(found.y.sum()) == int((report_values(out) > threshold).sum())
    assert [f.name for f in found.files] == ["trajectory.csv", "box.csv", "trajectory.png", "trajectory.svg"]
    box = pd.read_csv(tmp_path / "disc" / "box.csv", index_col="parameter")
    assert box["coverage"].iloc[0] == pytest.approx(found.result.box.coverage, abs=1e-6)
    assert set(box.index) == set(found.X.columns)
    assert found.summary().startswith(f"{int(found.y.sum())} of 20 runs have victims.victim_weeks > ")


def report_values(out: Path) -> np.ndarray:
    return pd.read_parquet(out / "sensitivity" / "sample.parquet")["victims.victim_weeks"].to_numpy()


# ---- PRIM ----------------------------------------------------------------------------------------

def test_prim_finds_a_known_box() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((2000, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] > 0.5) & (X["b"] < 0.3)
    res = prim(X, y, threshold=0.9)
    box = res.box
    lim = box.restricted(X)
    assert set(lim.index) == {"a", "b"}  # c and d are left alone
    assert abs(lim.at["a", "low"] - 0.5) < 0.03 and lim.at["a", "high"] == X["a"].max()
    assert abs(lim.at["b", "high"] - 0.3) < 0.03 and lim.at["b", "low"] == X["b"].min()
    assert box.coverage > 0.95 and box.density > 0.9
    # Coverage, density and mass agree with a direct count.
    inside = box.contains(X)
    assert box.n == inside.sum() and box.hits == (inside & y).sum()
    assert box.coverage == pytest.approx((inside & y).sum() / y.sum())
    assert box.density == pytest.approx((inside & y).sum() / inside.sum())
    assert box.mass == pytest.approx(inside.mean())
    # The trajectory starts from everything and trades coverage for density.
    t = res.trajectory
    assert t["coverage"].iloc[0] == 1.0 and t["mass"].iloc[0] == 1.0
    assert t["density"].iloc[-1] >= t["density"].iloc[0]
    assert (t["mass"].iloc[-1] >= 0.05) and (np.diff(t["mass"]) < 0).all()


def test_prim_pastes_back_an_overpeeled_box() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((1500, 3)), columns=["a", "b", "c"])
    y = X["a"] < 0.4
    res = prim(X, y, threshold=None)  # the densest box: the smallest one that is pure
    assert res.box.density == 1.0
    assert res.box.coverage >= res.boxes[res.chosen].coverage
    assert res.box.coverage > 0.9  # pasting widens it back to nearly all of a < 0.4


def test_prim_errors() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    with pytest.raises(DiscoveryError, match="numeric"):
        prim(X, [True, False, True])
    with pytest.raises(DiscoveryError, match="no run of interest"):
        prim(X[["a"]], [False, False, False])
    with pytest.raises(DiscoveryError, match="alpha"):
        prim(X[["a"]], [True, False, True], alpha=0.7)


# ---- bad files -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "message"), [
    ('"labour.inflow_per_week" = [600.0, 2400.0]', '"labour.inflow_per_wek" = [600.0, 2400.0]',
     "uncertain.labour.inflow_per_wek is not a known key of [labour] (did you mean 'inflow_per_week'?)"),
    ('"labour.inflow_per_week" = [600.0, 2400.0]', '"labor.inflow_per_week" = [600.0, 2400.0]',
     "its section 'labor' is not one of"),
    ('"labour.inflow_per_week" = [600.0, 2400.0]', '"labour.inflow_per_week" = [2400.0, 600.0]',
     "uncertain.labour.inflow_per_week = [2400.0, 600.0]: low must be below high"),
    ('"labour.inflow_per_week" = [600.0, 2400.0]', '"labour.inflow_per_week" = 600.0',
     "uncertain.labour.inflow_per_week = 600.0 must be [low, high]"),
    ('"policy.network_followup" = [0.0, 1.0]', '"policy.network_followup" = [0.0, 1.5]',
     "uncertain.policy.network_followup = 1.5 is out of range; allowed: from 0 to 1"),
    ('"policy.network_followup" = [0.0, 1.0]', '"policy.type" = [0.0, 1.0]', "cannot be sampled"),
    ('"policy.network_followup" = [0.0, 1.0]', '"relocation.weeks" = [1.5, 6]', "bounds must be whole numbers"),
    ('"policy.network_followup" = [0.0, 1.0]', '"policy.start_week" = [2, 6]', "both fixed"),
    ('"policy.network_followup" = [0.0, 1.0]', '"run.seed" = [1, 6]', "seeds come from experiment.seed"),
    ('outcome = "victims.victim_weeks"', 'outcome = "victims.victim_wekes"', "(did you mean 'victims.victim_weeks'?)"),
    ("trajectories = 4", "trajectories = 4\nbase_samples = 48", "must be a power of 2 for Sobol sequences (try 32 or 64)"),
    ("trajectories = 4", "trajectory = 4", "sensitivity.trajectory is not a known key of [sensitivity] (did you mean"),
    ("levels = 4", "levels = 3", "sensitivity.levels = 3 must be even"),
    ("[sensitivity]", "[factors]\n\"policy.raid_frequency\" = [1.0, 2.0]\n[sensitivity]", "[factors] cannot be used"),
])
def test_bad_tables_give_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                      message: str) -> None:
    assert old in SMALL
    path = write(tmp_path / "bad.toml", SMALL.replace(old, new))
    with pytest.raises(ScenarioError) as exc:
        load_sensitivity(path)
    text = "\n".join(exc.value.problems)
    assert message in text
    assert all(p.startswith(str(path)) for p in exc.value.problems)
    assert cli("sensitivity", str(path), "--method", "morris", "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith(f"error: {path}")
    assert not (tmp_path / "o").exists()


def test_missing_uncertain_table(tmp_path: Path) -> None:
    text = SMALL.split("[uncertain]")[0] + "[sensitivity]\noutcome = \"victims.victim_weeks\"\n"
    with pytest.raises(ScenarioError, match=r"no \[uncertain\] table"):
        load_sensitivity(write(tmp_path / "x.toml", text))


def test_shipped_file_is_valid() -> None:
    spec = load_sensitivity(REPO / "experiments" / "sensitivity.toml")
    assert len(spec.uncertain.names) >= 8
    assert spec.experiment.counterfactual and spec.experiment.base.policy.type == "case_by_case"
    assert spec.settings.outcomes[0] == "counterfactual.persistence_vs_counterfactual_workers"
    assert spec.settings.runs("morris", 8) == 90 and spec.settings.runs("sobol", 8) == 320


# ---- the commands and the layers -----------------------------------------------------------------

@pytest.mark.parametrize(("command", "options"), [
    ("sensitivity", ["--method {morris,sobol}", "--workers N", "--scheduler ADDRESS", "--resume"]),
    ("discover", ["--measure M", "--above X", "--below X", "--where PARAM=VALUE", "--mass-min"]),
])
def test_commands_register_on_a_fresh_parser(capsys: pytest.CaptureFixture[str], command: str, options: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: scamsim {command}")
    for option in options:
        assert option in text


def test_discover_rejects_a_where_without_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("discover", str(tmp_path), "--measure", "m", "--above", "1", "--where", "policy.type") == 2
    assert capsys.readouterr().err == "error: --where 'policy.type': give PARAM=VALUE\n"


def test_discover_reports_a_missing_results_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("discover", str(tmp_path / "none"), "--measure", "m", "--above", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path / "none") in err


def test_analysis_does_not_import_the_cli_and_the_parser_stays_light() -> None:
    """Analysis sits below the CLI (layers in sim/__init__.py); building the commands' parser imports no numpy."""
    def run(code: str) -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout.strip()

    assert run("import sys, sim.analysis.discovery, sim.analysis.ema, sim.analysis.sensitivity\n"
               "print(sorted(m for m in sys.modules if m.startswith('sim.cli')))") == "[]"
    assert run("import sys, argparse, sim.cli.sensitivity as s\n"
               "s.register(argparse.ArgumentParser().add_subparsers())\n"
               "print('numpy' in sys.modules, 'pandas' in sys.modules)") == "False False"


def test_dotted_keys_accepts_both_spellings() -> None:
    from sim.analysis.sensitivity import dotted_keys

    table = {"relocation": {"base_cost": 1e6, "weeks": 3}, "labour.inflow_per_week": 900.0}
    assert dotted_keys(table) == {"relocation.base_cost": 1e6, "relocation.weeks": 3, "labour.inflow_per_week": 900.0}


# ---- run_once: the model as EMA Workbench calls it ---------------------------------------------------

def test_run_once_is_the_scenario_with_the_values_set_and_accepts_integral_floats() -> None:
    """``run_once`` = simulate the file with the values applied (as ``apply_values`` does everywhere), paired with
    its counterfactual; EMA hands whole-number parameters over as floats, so 40.0 weeks is 40 weeks."""
    from sim.analysis.ema import run_once
    from sim.experiments.design import flatten
    from sim.measures.run import counterfactual_params, simulate, summarise
    from sim.scenario.loader import load_scenario

    values = {"run.weeks": 40.0, "run.burn_in_weeks": 0.0, "relocation.base_cost": 9.0e5, "jurisdictions.Laos.governance": 0.3}
    got = run_once("scenarios/baseline.toml", seed=4, **values)
    p = load_scenario("scenarios/baseline.toml").params.with_values(
        {"run.weeks": 40, "run.burn_in_weeks": 0, "relocation.base_cost": 9.0e5})
    p = p.replace(map=dataclasses.replace(p.map, jurisdictions=tuple(
        dataclasses.replace(j, governance=0.3) if j.name == "Laos" else j for j in p.map.jurisdictions)))
    expected = flatten(summarise(simulate(p, seed=4), simulate(counterfactual_params(p), seed=4)))
    assert got["end.workers_held"] == expected["end.workers_held"]
    assert got["counterfactual.persistence_vs_counterfactual_workers"] == pytest.approx(
        expected["counterfactual.persistence_vs_counterfactual_workers"], nan_ok=True)
    only = run_once("scenarios/baseline.toml", seed=4, measures=("end.workers_held", "no.such_measure"), **values)
    assert only["end.workers_held"] == got["end.workers_held"] and np.isnan(only["no.such_measure"])


def test_run_once_names_itself_and_the_key_in_every_error() -> None:
    from sim.analysis.ema import run_once
    from sim.scenario.loader import ScenarioError

    with pytest.raises(ScenarioError) as exc:
        run_once("scenarios/baseline.toml", **{"labour.no_such_key": 1.0, "labour.attrition": 2.0, "nosection.key": 1.0,
                                                "jurisdictions.Atlantis.governance": 0.5, "jurisdictions.Laos.colour": 0.5})
    problems = exc.value.problems
    assert len(problems) == 5 and all(p.startswith("run_once: ") for p in problems)
    assert any("labour.no_such_key is not a parameter" in p for p in problems)
    assert any("nosection.key is not a parameter" in p for p in problems)
    assert any("labour.attrition = 2" in p for p in problems)
    assert any("no jurisdiction named Atlantis" in p for p in problems)
    assert any("a jurisdiction has no attribute 'colour'" in p for p in problems)
