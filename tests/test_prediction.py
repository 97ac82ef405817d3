"""The out-of-sample comparison (issue 14, parts 3 and 5): the record of 2023-2026 and ``scamsim compare``.

Tested on synthetic per_replication tables and on a short replay of scenarios/baseline.toml; never on the
history's own replay (its predictions are committed before they are compared).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chisquare

from sim.analysis import prediction as pr
from sim.analysis.replay import MEASURES
from sim.cli.main import main
from sim.measures.shocks import shocks_of
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "scenarios" / "mekong_history.toml"
RECORD = ROOT / "experiments" / "observed_2023_2026.toml"


def obs(kind: str, **bounds: float | str) -> pr.Observation:
    entry = {"id": "x", "shock": "s", "measure": "left_4w" if kind != "none" else "none", "kind": kind, "date": "2024-01",
             "source": "a source", "mapping": "close", "note": "a note", **bounds}
    problems: list[str] = []
    out = pr.parse_entry(entry, "test", problems)
    assert out is not None, problems
    return out


# ---- the comparison on hand-made and synthetic values ------------------------------------------------
def test_interval_mass_and_quantiles_by_hand():
    x = np.arange(10.0)  # 0..9
    r = pr.compare_one(obs("interval", lo=2.5, hi=6.0), x)
    assert r["mass"] == pytest.approx(0.4)  # 3, 4, 5, 6
    assert r["quantile_lo"] == pytest.approx(0.3)  # 0, 1, 2 below 2.5
    assert r["quantile_hi"] == pytest.approx(0.65)  # 0..5 below 6, half of the one equal
    assert (r["p05"], r["median"], r["p95"]) == pytest.approx((0.45, 4.5, 8.55))
    assert r["verdict"] == "consistent"
    # A direction's set is open: "< 3" holds for 0, 1, 2 only; an at-least bound is closed.
    assert pr.compare_one(obs("direction", relation="<", value=3.0), x)["mass"] == pytest.approx(0.3)
    assert pr.compare_one(obs("at_least", lo=3.0), x)["mass"] == pytest.approx(0.7)


def test_an_observation_outside_every_run_is_a_miss_at_quantile_0_or_1():
    x = np.linspace(0.1, 0.3, 50)
    above = pr.compare_one(obs("interval", lo=0.5, hi=0.5), x)
    assert (above["quantile_lo"], above["mass"], above["verdict"]) == (1.0, 0.0, "miss")
    below = pr.compare_one(obs("interval", lo=0.0, hi=0.05), x)
    assert (below["quantile_lo"], below["quantile_hi"], below["verdict"]) == (0.0, 0.0, "miss")
    assert pr.compare_one(obs("at_most", hi=0.05), x)["verdict"] == "miss"
    # a direction that no run satisfies: every run moved nobody abroad, the record says some did
    zeros = pr.compare_one(obs("direction", relation=">", value=0.0), np.zeros(40))
    assert (zeros["mass"], zeros["verdict"]) == (0.0, "miss")
    # an interval that only overlaps the central 90% interval is consistent, one beside it is not
    assert pr.compare_one(obs("interval", lo=0.29, hi=0.9), x)["verdict"] == "consistent"


def test_the_quantile_of_a_draw_from_the_predictive_distribution_is_uniform():
    # Calibration by construction: the observation and the 99 runs come from the same distribution, so the
    # number of runs below it is uniform on 0..99. Tolerance: chi-square over 10 bins of 4,000 trials,
    # rejected only at p < 0.001 (a correct implementation fails with probability 0.001 for a random seed;
    # the seed is fixed). A quantile computed on a subset of the runs, or with ends counted twice, piles up
    # at the ends and fails; the wrong tail is caught by the hand-made test above.
    rng = np.random.default_rng(14)
    runs, trials = 99, 4000
    draws = rng.gamma(2.0, size=(trials, runs + 1))  # skewed, as shares and ratios are
    q = np.array([pr.quantile_of(d[1:], d[0]) for d in draws])
    counts = np.histogram(q, bins=10, range=(0.0, 1.0))[0]
    assert chisquare(counts).pvalue > 0.001
    # ... and a point observation misses as often as miss_rate(99) says (about 0.118, not 0.10): two-sided
    # binomial test at 0.001.
    misses = sum(pr.compare_one(obs("interval", lo=d[0], hi=d[0]), d[1:])["verdict"] == "miss" for d in draws)
    assert binomtest(misses, trials, pr.miss_rate(runs)).pvalue > 0.001
    assert pr.miss_rate(runs) == pytest.approx(0.118) and pr.miss_rate(100_000) == pytest.approx(0.10, abs=1e-4)


def test_undefined_in_most_runs_and_not_comparable():
    x = np.array([np.nan] * 6 + [0.2] * 4)
    assert pr.compare_one(obs("at_least", lo=0.1), x)["verdict"] == "undefined"
    half = pr.compare_one(obs("at_least", lo=0.1), np.array([np.nan] * 5 + [0.2] * 5))
    assert (half["verdict"], half["defined"], half["mass"]) == ("consistent", 5, 1.0)  # judged on the defined runs
    assert pr.compare_one(obs("none"), x)["verdict"] == "not comparable"


def test_summary_counts_misses_against_the_binomial():
    table = pd.DataFrame({"verdict": ["miss"] * 3 + ["consistent"] * 7 + ["undefined", "not comparable"],
                          "mapping": ["close"] * 2 + ["weak"] + ["loose"] * 9, "defined": [100_000] * 10 + [0, 0]})
    s = pr.summarise(table)
    assert (s["compared"], s["misses"], s["undefined"], s["not_comparable"]) == (10, 3, 1, 1)
    # P(X >= 3) for X ~ Binomial(10, 0.1) = 1 - (0.9^10 + 10 0.1 0.9^9 + 45 0.01 0.9^8) = 0.0702
    assert s["nominal_p_at_least_as_many"] == pytest.approx(0.0702, abs=1e-4)
    assert s["p_at_least_as_many"] == pytest.approx(0.0702, abs=1e-3)  # 100,000 runs: the finite-run rate is 0.10
    assert s["misses_by_mapping"] == {"close": 2, "loose": 0, "weak": 1}


# ---- the record --------------------------------------------------------------------------------------
def test_the_record_names_shocks_of_the_history_and_replay_measures():
    record = pr.load_record(RECORD)
    assert pr.RECORD.resolve() == RECORD.resolve()  # the shipped default is this file
    shocks = {s.name: s for s in shocks_of(load_scenario(HISTORY).params)}
    for o in record:
        assert o.shock in shocks, o.id
        assert o.measure == "none" or o.measure in MEASURES, o.id
        assert (o.kind == "none") == (o.measure == "none"), o.id
        assert o.source.strip() and o.note.strip(), o.id
        assert 2023 <= int(o.date[:4]) <= 2026, o.id
    assert len({o.id for o in record}) == len(record)


def test_every_event_of_2023_2026_is_in_the_record():
    timeline = tomllib.loads(HISTORY.read_text())["timeline"]
    events = {e["name"] for e in timeline if e.get("type") != "none" and dt.date.fromisoformat(e["start"]).year >= 2023}
    assert events == {o.shock for o in pr.load_record(RECORD)}  # nothing later is left out, nothing earlier slips in


def write_record(path: Path, **change: object) -> Path:
    """The shipped record with its first entry changed (a key set to None is removed)."""
    entries = tomllib.loads(RECORD.read_text())["observation"]
    first = {**entries[0], **change}
    lines = []
    for entry in (first, entries[1]):
        lines.append("[[observation]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in entry.items() if v is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("change, named", [
    ({"measure": "left_5w"}, "'measure' is 'left_5w'"),
    ({"kind": "range"}, "'kind' is 'range'"),
    ({"kind": "interval", "lo": 0.5}, "'lo' 0.5 is above 'hi' 0.046"),
    ({"hi": None}, "kind 'at_most' lacks hi"),
    ({"lo": 0.1}, "takes no lo"),
    ({"hi": "0.04"}, "'hi' is '0.04'"),
    ({"source": None}, "'source' is missing"),
    ({"date": "Oct 2023"}, "'date' is 'Oct 2023'"),
    ({"date": "2023-02-30"}, "'date' is '2023-02-30'"),
    ({"mapping": "good"}, "'mapping' is 'good'"),
    ({"id": "operation_1027_handed_over"}, "used twice"),
    ({"kind": "direction", "hi": None, "relation": "=", "value": 1}, "'relation' is '='"),
    ({"colour": "red"}, "unknown key colour"),
])
def test_bad_record_entries_give_named_errors(tmp_path, change, named):
    path = write_record(tmp_path / "bad.toml", **change)
    with pytest.raises(pr.PredictionError) as err:
        pr.load_record(path)
    assert named in str(err.value) and "bad.toml: observation " in str(err.value)  # the file and the entry


def test_unreadable_records_give_named_errors(tmp_path):
    (tmp_path / "syntax.toml").write_text("[[observation]\nid = 1\n")
    (tmp_path / "empty.toml").write_text("title = 'nothing'\n")
    for name, named in (("syntax.toml", "cannot be read as TOML"), ("empty.toml", "no [[observation]]"), ("nope.toml", "no such record")):
        with pytest.raises(pr.PredictionError) as err:
            pr.load_record(tmp_path / name)
        assert named in str(err.value) and name in str(err.value)


# ---- bad replay folders ------------------------------------------------------------------------------
def synthetic_replay(folder: Path, rows: list[dict] | None = None) -> Path:
    folder.mkdir()
    rows = rows if rows is not None else [{"replication": k + 1, "seed": k, "shock": "china_summer_operation",
                                          "measure": "detained_rescued_13w", "value": 0.01 * k} for k in range(20)]
    pd.DataFrame(rows, columns=list(pr.COLUMNS)).to_csv(folder / "per_replication.csv", index=False)
    return folder


def test_bad_folders_give_named_errors(tmp_path):
    with pytest.raises(pr.PredictionError, match="no such replay folder"):
        pr.read_replications(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(pr.PredictionError, match=re.escape("per_replication.csv: missing")):
        pr.read_replications(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "per_replication.csv").write_text("replication,shock,value\n1,a,0.1\n")
    with pytest.raises(pr.PredictionError, match="lacks the column seed, measure"):
        pr.read_replications(bad)
    text = synthetic_replay(tmp_path / "text", [{"replication": 1, "seed": 1, "shock": "a", "measure": "left_4w", "value": "lots"}])
    with pytest.raises(pr.PredictionError, match="row 2, column 'value' is 'lots'"):
        pr.read_replications(text)
    # a record entry whose shock or measure the replay lacks is named, not skipped
    one = pr.read_replications(synthetic_replay(tmp_path / "one"))
    with pytest.raises(pr.PredictionError) as err:
        pr.check_against(pr.load_record(RECORD), one, "one/per_replication.csv")
    assert "shock 'operation_1027' is not in the replay" in str(err.value)


def test_compare_on_a_synthetic_table(tmp_path, capsys):
    folder = synthetic_replay(tmp_path / "replay")
    record = write_record(tmp_path / "rec.toml")
    entries = tomllib.loads(record.read_text())["observation"]
    record.write_text("[[observation]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in entries[0].items()) + "\n")
    assert main(["compare", str(folder), "--record", str(record), "--out", str(tmp_path / "cmp")]) == 0
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    # values 0, 0.01, ..., 0.19; at most 0.046 holds for 0..0.04: 5 of 20
    assert table["mass"].iloc[0] == pytest.approx(0.25) and table["verdict"].iloc[0] == "consistent"
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == ["comparison.csv", "comparison.md", "summary.json"]
    assert main(["compare", str(tmp_path / "nowhere"), "--out", str(tmp_path / "cmp2")]) == 2
    assert "nowhere: no such replay folder" in capsys.readouterr().err and not (tmp_path / "cmp2").exists()


# ---- a short baseline replay, end to end -----------------------------------------------------------------
SHORT = ["run.weeks=24", "run.burn_in_weeks=30", "policy.start_week=8", "policy.end_week=12", "policy.raid_frequency=2000",
         "policy.jurisdictions=['Cambodia']"]

BASELINE_RECORD = """
[[observation]]
id = "some_were_held"
shock = "baseline"
measure = "held_before"
kind = "direction"
relation = ">"
value = 0
date = "2024-01"
source = "by construction"
mapping = "close"
note = "people are held before the raids"

[[observation]]
id = "nobody_was_held"
shock = "baseline"
measure = "held_before"
kind = "at_most"
hi = 0
date = "2024-01"
source = "by construction"
mapping = "close"
note = "false by construction"

[[observation]]
id = "buildings"
shock = "baseline"
measure = "buildings_standing_before"
kind = "at_least"
lo = 1
date = "2024-01"
source = "by construction"
mapping = "weak"
note = "the baseline keeps no buildings: undefined"
"""


def test_compare_a_short_baseline_replay(tmp_path, capsys):
    sets = [a for s in SHORT for a in ("--set", s)]
    replay = tmp_path / "replay"
    assert main(["replay", str(ROOT / "scenarios" / "baseline.toml"), *sets, "--replications", "3", "--out", str(replay)]) == 0
    (tmp_path / "rec.toml").write_text(BASELINE_RECORD)
    out = tmp_path / "cmp"
    assert main(["compare", str(replay), "--record", str(tmp_path / "rec.toml"), "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv").set_index("id")
    assert table.loc["some_were_held", "verdict"] == "consistent" and table.loc["some_were_held", "mass"] == 1.0
    assert table.loc["nobody_was_held", "verdict"] == "miss" and table.loc["nobody_was_held", "quantile_hi"] == 0.0
    assert table.loc["buildings", "verdict"] == "undefined"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"]["compared"] == 2 and summary["summary"]["misses"] == 1 and summary["replications"] == 3
    assert "| nobody_was_held |" in (out / "comparison.md").read_text()


def test_the_docs_table_is_the_record():
    # docs/predictions.md lists every entry with the observation the file holds, so page and file cannot drift apart.
    page = (ROOT / "docs" / "predictions.md").read_text()
    section = page[page.index("## The record"):page.index("## Results")]  # the record's table, not the results'
    rows = {line.split("|")[1].strip(): line.split("|")[4].strip()
            for line in section.splitlines() if line.startswith("| ") and "|---" not in line}
    assert {o.id: o.describe() for o in pr.load_record(RECORD)} == {k: v for k, v in rows.items() if k != "id"}
