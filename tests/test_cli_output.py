"""What the analyst reads: help for every argument, run --compare's progress and closing lines, table formats,
plot defaults and one vocabulary (issue 16). Each test parses the output of ``main([...])``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re

import pytest
from conftest import BASELINE, REPO

from sim.cli.main import build_parser, main
from sim.measures.names import MEASURE_LABELS

QUICK = REPO / "experiments" / "quick.toml"
RATIO = "counterfactual.persistence_vs_counterfactual_workers"

# Two policy types that cannot differ (one applying jurisdiction: coordination has nobody to share with),
# one replication (no interval can be given).
ALIKE = """\
[experiment]
name = "alike"
description = "coordinated against case by case with one raiding jurisdiction"
scenario = "{scenario}"
replications = 1
weeks = 30
seed = 7
counterfactual = true

[set]
"policy.start_week" = 10
"policy.jurisdictions" = ["Shan"]

[factors]
"policy.type" = ["case_by_case", "coordinated"]
"""


def subparsers() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweeps") / "quick"
    assert main(["sweep", str(QUICK), "--out", str(out), "--workers", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def alike(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alike")
    exp = folder / "alike.toml"
    exp.write_text(ALIKE.format(scenario=BASELINE.as_posix()))
    out = folder / "results"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1"]) == 0
    return out


# ---- help ----------------------------------------------------------------------------------------------

def test_every_argument_of_every_command_has_help():
    missing = [f"{name} {a.dest}" for name, p in subparsers().items() for a in p._actions
               if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()]
    assert not missing, missing


def test_help_shows_no_doubled_percent_sign(capsys):
    for name in ["", *subparsers()]:
        with pytest.raises(SystemExit):
            main([name, "--help"] if name else ["--help"])
        text = capsys.readouterr().out
        assert "%%" not in text, name
    with pytest.raises(SystemExit):
        main(["table", "--help"])
    assert "95% interval" in capsys.readouterr().out


# ---- run --compare -------------------------------------------------------------------------------------

def test_compare_progress_counts_the_scenarios_weeks_and_closing_lines_compare(tmp_path, capsys):
    assert main(["run", str(BASELINE), "--weeks", "40", "--set", "policy.start_week=10", "--compare",
                 "--out", str(tmp_path / "r")]) == 0
    cap = capsys.readouterr()
    weeks = [tuple(map(int, m)) for m in re.findall(r"week (\d+)/(\d+)", cap.err)]
    assert weeks and {n for _, n in weeks} == {40} and weeks[-1] == (40, 40)
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    out = cap.out
    cf = summary["counterfactual"]
    assert f"{cf['persistence_vs_counterfactual_workers']:.3f} in the region" in out
    assert f"{cf['persistence_vs_counterfactual_global_workers']:.3f} with overseas" in out
    assert f"{cf['persistence_vs_counterfactual_global_revenue']:.3f} with overseas" in out
    assert f"US${cf['revenue_averted_usd'] / 1e6:,.1f} million" in out or f"US${cf['revenue_averted_usd'] / 1e9:,.2f} billion" in out
    share = summary["displacement"]["displacement_share"]
    line = next(x for x in out.splitlines() if "displacement share" in x)
    assert line.endswith("undefined" if share is None else f"{share:.3f}")
    assert "victim losses" in out and "people held" in out and "workers held" not in out


def test_the_paired_run_steps_together_and_equals_two_separate_runs(tmp_path, capsys):
    """``scamsim run --compare`` uses ``simulate_pair``: one tick a week, the numbers of two ``simulate`` calls."""
    from sim.measures.run import counterfactual_params, simulate, simulate_pair
    from sim.scenario.loader import load_scenario

    params = load_scenario(BASELINE, ["run.weeks=25", "policy.start_week=5"]).params
    ticks: list[int] = []
    run, cf = simulate_pair(params, progress=ticks.append)
    assert ticks == list(range(1, 26))
    assert run.frame.equals(simulate(params).frame) and cf.frame.equals(simulate(counterfactual_params(params)).frame)
    assert not run.frame.equals(cf.frame)


# ---- table ---------------------------------------------------------------------------------------------

def table(capsys, *args: str) -> tuple[str, str]:
    assert main(["table", *args]) == 0
    cap = capsys.readouterr()
    return cap.out, cap.err


def test_table_text_fits_80_columns_and_shows_every_measure(quick, capsys):
    out, _ = table(capsys, str(quick), "--width", "80")
    assert max(len(line) for line in out.splitlines()) <= 80
    names = json.loads((quick / "manifest.json").read_text())["measures"]
    for m in names:
        assert f"[{m}]" in out.replace("\n      ", " ")  # every measure is named in the legend
    out, _ = table(capsys, str(quick), "--width", "80", "--transpose", "--measures", RATIO, "end.workers_held")
    assert max(len(line) for line in out.splitlines()) <= 80
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines() if line.startswith("| ")]
    heads = [r for r in rows if r[0] == "measure"]  # one header per block of point columns that fits 80 columns
    assert sorted(c for h in heads for c in h[1:]) == [f"point {k}" for k in range(4)]
    assert [r[0] for r in rows if r[0] != "measure"] == ["persistence_vs_counterfactual_workers", "workers_held"] * len(heads)
    assert "People held in the last year ÷ no-policy run (ratio)" in out.replace("\n      ", " ")


def test_table_csv_and_json_agree_and_carry_reliability(quick, capsys):
    out, _ = table(capsys, str(quick), "--format", "csv", "--measures", RATIO, "persistence.persistence_workers")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 * 2 and {r["measure"] for r in rows} == {RATIO, "persistence.persistence_workers"}
    doc = json.loads(table(capsys, str(quick), "--format", "json", "--measures", RATIO, "persistence.persistence_workers")[0])
    assert [(r["point"], r["measure"]) for r in doc["rows"]] == [(int(r["point"]), r["measure"]) for r in rows]
    for r in doc["rows"]:
        if r["reliability"] == "undefined":
            assert r["mean"] is None and r["n"] == 0
        if r["reliability"] == "stable":
            assert r["lo"] <= r["mean"] <= r["hi"] and r["n"] == 2
    none = [r for r in doc["rows"] if r["policy.type"] == "none" and r["measure"] == RATIO]
    assert none and all(r["mean"] == 1.0 for r in none)  # a no-policy point is its own counterfactual


def test_table_markdown_is_a_table(quick, capsys):
    out, _ = table(capsys, str(quick), "--format", "markdown", "--measures", RATIO)
    lines = out.splitlines()
    assert lines[0] == f"| point | policy.type | policy.raid_frequency | {MEASURE_LABELS[RATIO]} |"
    assert lines[1] == "|---|---|---|---|"
    body = [line.split(" | ") for line in lines[2:6]]
    assert [b[0] for b in body] == ["| 0", "| 1", "| 2", "| 3"] and all(len(b) == 4 for b in body)


def test_table_warns_about_policy_types_that_cannot_differ_and_gives_no_interval_for_one_run(alike, capsys):
    out, err = table(capsys, str(alike), "--format", "json", "--measures", RATIO)
    doc = json.loads(out)
    assert len(doc["warnings"]) == 1 and "points 0, 1" in doc["warnings"][0] and "coordinated" in doc["warnings"][0]
    assert err.startswith("warning: points 0, 1")
    assert {r["reliability"] for r in doc["rows"]} == {"too few runs"} and all(r["lo"] is None for r in doc["rows"])
    text, _ = table(capsys, str(alike), "--measures", RATIO)
    assert "one run, no interval" in text and "[" not in text.split("mean [")[0]


def test_table_rejects_unknown_measure(quick, capsys):
    assert main(["table", str(quick), "--measures", "nope.nothing"]) == 2
    assert "no measure 'nope.nothing'" in capsys.readouterr().err


# ---- plot ----------------------------------------------------------------------------------------------

def test_plot_defaults_to_the_no_policy_comparison_and_titles_with_the_description(quick, capsys):
    from sim.experiments.store import load_results
    from sim.viz.sweeps import _title, choose

    assert main(["plot", str(quick)]) == 0
    written = capsys.readouterr().out
    assert "line-persistence_vs_counterfactual_workers-vs-raid_frequency.png" in written
    results = load_results(quick)
    assert choose(results, None, None, None, {})["y"] == RATIO
    assert _title(results, {}).startswith("CI-sized sweep: none vs case_by_case")


# ---- vocabulary ----------------------------------------------------------------------------------------

def test_labels_say_people_held_and_victim_losses():
    for key, label in MEASURE_LABELS.items():
        assert "workers" not in label.lower() and "revenue" not in label.lower(), (key, label)
    assert MEASURE_LABELS["end.workers_held"].startswith("People held")
    assert "Victim losses" in MEASURE_LABELS["counterfactual.revenue_averted_usd"]


def test_table_numbers_never_round_a_ratio_onto_a_whole_number_it_is_not():
    """An interval's end of 0.99989 printed as "1" reads as reaching 1 (no effect) when it does not."""
    from sim.cli.table import num

    assert [num(v) for v in (0.99989, 1.0004, 1.0, 0.981, -0.115, 116.2, 1234.5, -7870.0, 2.5e6)] == [
        "0.9999", "1.0004", "1", "0.981", "-0.115", "116", "1.23k", "-7.87k", "2.5M"]


def test_the_table_names_each_parameter_of_a_design_point():
    """The legend below a text table says which parameter each value belongs to (it listed bare values, and an empty
    list as nothing at all)."""
    from sim.cli.table import _point_name

    assert _point_name(2, {"policy.jurisdictions": "", "relocation.base_cost": 3e6, "policy.type": "network"}) == (
        "point 2: jurisdictions=[], base_cost=3000000.0, type=network")
