"""Pattern-oriented validation (docs/validation.md): measures, criteria, runner, report and command on constructed inputs.

The unit tests check each measure and criterion by hand on series and tables built here (a series that
recovers in three months passes "back within about 2-6 months", one that never recovers fails). The
tests marked ``validation`` run the model: observed runs must be the model's runs, and the runner must
pair variants by seed. The Mekong verdicts themselves are findings (docs/validation.md), not test
conditions.
"""

from __future__ import annotations

import argparse
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

from sim.analysis import calibration as cal
from sim.analysis.validation import catalogue, criteria, measures, mekong, observe, report, runner
from sim.analysis.validation.geography import Geo
from sim.cli import patterns as patterns_cli
from sim.common.errors import EXIT_BAD_INPUT
from sim.common.stats import t_interval
from sim.measures.run import RunResult
from sim.scenario.loader import ScenarioError, load_scenario

MEKONG = SCENARIOS / "mekong.toml"
VERDICTS = {"reproduced", "failed", "inconclusive", "undefined", "not testable"}


def p2() -> criteria.Criterion:
    return next(p for p in mekong.PATTERNS if p.id == "P2").criteria[0]


# ---- recovery (P2) -------------------------------------------------------------------------------

def test_a_series_that_recovers_in_three_months_passes_p2() -> None:
    ref = np.full(120, 1000.0)
    s = ref.copy()
    start = 50
    s[start - 1: start - 1 + 13] = 500.0  # halved for 13 weeks (three months), then back
    weeks, censored = measures.weeks_to_regain_reference(s, ref, start)
    assert (weeks, censored) == (13.0, False)
    assert p2().verdict([weeks, 12.0, 14.0])[0] == "reproduced"


def test_a_series_that_never_recovers_fails_p2_and_is_censored() -> None:
    ref = np.full(120, 1000.0)
    s = ref.copy()
    s[49:] = 600.0
    weeks, censored = measures.weeks_to_regain_reference(s, ref, 50)
    assert censored and weeks == 71.0  # weeks observed: a lower bound
    assert p2().verdict([weeks, weeks + 1, weeks - 1])[0] == "failed"


def test_no_dip_means_nothing_to_recover_from() -> None:
    ref = np.full(60, 1000.0)
    weeks, censored = measures.weeks_to_regain_reference(ref * 0.95, ref, 10)
    assert math.isnan(weeks) and not censored
    assert p2().verdict([weeks, weeks])[0] == "undefined"


def test_recovery_counts_from_the_start_not_from_the_dip() -> None:
    ref = np.full(100, 100.0)
    s = ref.copy()
    s[14:20] = 50.0  # start week 10 (row 9); dip from week 15 to week 20
    assert measures.weeks_to_regain_reference(s, ref, 10) == (11.0, False)


def test_a_dip_after_the_horizon_is_not_the_shocks() -> None:
    ref = np.full(100, 100.0)
    s = ref.copy()
    s[60:70] = 10.0
    assert math.isnan(measures.weeks_to_regain_reference(s, ref, 10, horizon=26)[0])


# ---- effect duration (P7) -------------------------------------------------------------------------

def test_effect_weeks_counts_weeks_below_90_percent_within_the_window() -> None:
    ref = np.full(200, 100.0)
    s = ref.copy()
    s[99:105] = 50.0  # six weeks from week 100
    s[180:] = 0.0  # outside the 52-week window
    assert measures.effect_weeks(s, ref, 100) == 6.0
    ref[101] = 0.0  # a week with nothing to lose is not counted
    assert measures.effect_weeks(s, ref, 100) == 5.0


def test_p7_criteria() -> None:
    (longer,) = next(p for p in mekong.PATTERNS if p.id == "P7").criteria
    (short,) = next(p for p in mekong.PATTERNS if p.id == "P7i").criteria  # the short effect is an input check now
    assert short.verdict([4.0, 5.0, 6.0])[0] == "reproduced"
    assert short.verdict([30.0, 31.0, 29.0])[0] == "failed"
    assert longer.verdict([40.0, 42.0, 41.0])[0] == "reproduced"


# ---- clustering, flows, raids (P3-P6, P9) ---------------------------------------------------------

def test_enrichment_is_one_for_placement_by_area() -> None:
    land = np.array([True] * 10 + [False] * 2)
    mask = np.zeros(12, dtype=bool)
    mask[:2] = True  # 20% of land
    assert measures.enrichment(np.arange(10), mask, land) == pytest.approx(1.0)
    assert measures.enrichment(np.array([0, 1, 0, 5]), mask, land) == pytest.approx(0.75 / 0.2)
    assert math.isnan(measures.enrichment(np.array([], dtype=int), mask, land))


def test_flows_between_counts_each_direction_since_a_week() -> None:
    cell_j = np.array([0, 0, 1, 1, 2])
    moves = pd.DataFrame({"week": [1, 5, 6, 7, 8], "from_cell": [0, 0, 2, 3, 4], "to_cell": [2, 3, 1, 0, 2],
                          "km": 50.0, "cross_border": True, "forced": False})
    assert measures.flows_between(moves, cell_j, 0, 1, since_week=5) == (1, 2)
    assert measures.flows_between(moves, cell_j, 0, 1, since_week=1) == (2, 2)


def test_never_raided_or_surviving() -> None:
    first = {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    last = {1: 100, 2: 100, 3: 40, 4: 60, 5: 20}  # 5 ended before the raids began at week 30
    raids = pd.DataFrame({"week": [35, 40, 50], "compound": [2, 3, 4]})
    # operating since week 30: 1-4; 1 never raided, 2 raided but operating at the end, 3 and 4 closed
    assert measures.never_raided_or_surviving(first, last, raids, 30, 100) == pytest.approx(0.5)


def test_share_of_moves() -> None:
    moves = pd.DataFrame({"week": [1, 10, 10, 10], "km": [900.0, 100.0, 250.0, 400.0]})
    assert measures.share_of_moves(moves, 10, lambda m: m["km"].to_numpy() <= 300) == pytest.approx(2 / 3)
    assert math.isnan(measures.share_of_moves(moves, 11, lambda m: m["km"].to_numpy() <= 300))


# ---- intervals and verdicts --------------------------------------------------------------------------

def test_t_interval_matches_scipy() -> None:
    from scipy import stats

    x = [1.0, 2.0, 4.0, 7.0]
    mean, lo, hi, n = t_interval([*x, math.nan, None])
    ref = stats.t.interval(0.95, 3, loc=np.mean(x), scale=stats.sem(x))
    assert n == 4 and mean == pytest.approx(3.5)
    assert (lo, hi) == pytest.approx(ref)
    assert t_interval([])[3] == 0
    assert math.isnan(t_interval([2.0])[1])


@pytest.mark.parametrize(("op", "threshold", "values", "expected"), [
    (">=", 0.95, [1.0, 1.02, 0.99], "reproduced"),
    (">=", 0.95, [0.5, 0.52, 0.49], "failed"),
    (">=", 0.95, [0.8, 1.1, 0.95], "inconclusive"),
    ("<", -1.0, [-2.0, -2.2, -1.9], "reproduced"),
    ("between", (4.0, 30.0), [10.0, 12.0, 11.0], "reproduced"),
    ("between", (4.0, 30.0), [100.0, 110.0, 105.0], "failed"),
    ("between", (4.0, 30.0), [1.0, 60.0, 20.0], "inconclusive"),
    (">=", 0.5, [math.nan, math.nan], "undefined"),
    (">=", 0.5, [0.7], "reproduced"),
])
def test_verdicts(op, threshold, values, expected) -> None:
    c = criteria.Criterion("m", op, threshold, "m", "why")
    assert c.verdict(values)[0] == expected


def test_a_pattern_fails_when_any_criterion_fails() -> None:
    p = criteria.Pattern("X", "x", "o", "s", (), None, (
        criteria.Criterion("a", ">=", 1.0, "a", "w"), criteria.Criterion("b", "<=", 1.0, "b", "w")))
    r = criteria.evaluate(p, [{"a": 2.0, "b": 5.0}, {"a": 2.1, "b": 5.1}, {"a": 2.2, "b": 5.2}])
    assert r.verdict == "failed" and [c.mean_verdict for c in r.criteria] == ["reproduced", "failed"]


# ---- the patterns as data ----------------------------------------------------------------------------

def test_every_stylised_fact_is_a_pattern_with_declared_thresholds() -> None:
    facts = [p for p in mekong.PATTERNS if not p.anchor]
    assert {p.id.rstrip("b") for p in facts} >= {f"P{k}" for k in range(1, 11)}
    for p in mekong.PATTERNS:
        assert p.observed and p.source
        if p.not_testable:
            assert not p.criteria and "sim/" in p.not_testable  # names where the mechanism would go
            continue
        assert p.criteria and p.measure is not None and p.variants
        assert all(v in mekong.VARIANTS for v in p.variants)
        for c in p.criteria:
            assert c.why and c.op in (">=", ">", "<=", "<", "between")


def test_a_variant_replaces_only_the_policy_with_the_one_it_names() -> None:
    params = load_scenario(MEKONG).params
    assert catalogue.variant_params(params, mekong.VARIANTS["status_quo"]) is params
    off = catalogue.variant_params(params, mekong.VARIANTS["counterfactual"])
    assert off.policy.type == "none" and params.policy.type != "none"
    assert off.replace(policy=params.policy) == params
    written = catalogue.Variant("w", "a policy written as data", policy={
        "type": "case_by_case", "start_week": 88, "raid_frequency": 300, "jurisdictions": ["Shan", "Laos"]})
    built = catalogue.variant_params(params, written)
    assert built.policy.type == "case_by_case" and built.policy.start_week == 88
    assert built.policy.jurisdictions == ("Shan", "Laos")  # lists become the declared tuples
    assert built.policy.raid_frequency == 300.0 and isinstance(built.policy.raid_frequency, float)
    assert built.replace(policy=params.policy) == params
    shock = catalogue.variant_params(params, mekong.VARIANTS["thai_cut"])
    assert shock.policy == load_scenario(SCENARIOS / "shocks/thai_cut_2025.toml").params.policy
    assert shock.policy.cut_zones and shock.replace(policy=params.policy) == params


def test_every_shock_replay_is_a_policy_on_the_mekong_map() -> None:
    params = load_scenario(MEKONG).params
    for path in mekong.SHOCKS.values():
        shock = load_scenario(SCENARIOS / path).params
        assert shock.map == params.map and shock.policy.type != "none", path


def test_variants_naming_places_off_the_map_are_unavailable() -> None:
    baseline = load_scenario(SCENARIOS / "baseline.toml").params
    with pytest.raises(catalogue.VariantUnavailable):
        catalogue.variant_params(baseline, mekong.VARIANTS["cambodia_root_causes"])  # baseline has no OSmach zone
    report = criteria.evaluate(next(p for p in mekong.PATTERNS if p.id == "P10"), [], "variant names OSmach, not on this map")
    assert report.verdict == "not testable"


# ---- calibration -------------------------------------------------------------------------------------

def test_ranges_apply_to_mekong_and_the_sample_is_a_seeded_latin_hypercube() -> None:
    ranges = cal.load_ranges()
    params = load_scenario(MEKONG).params
    sets = cal.sample(ranges, 8, seed=3)
    assert sets == cal.sample(ranges, 8, seed=3)
    for r in ranges:
        values = np.array([s[r.key] for s in sets], dtype=float)
        assert values.min() >= r.lo and values.max() <= r.hi and r.source
        if not r.integer:  # one draw in each of the 8 strata
            u = (np.log(values / r.lo) / np.log(r.hi / r.lo)) if r.scale == "log" else (values - r.lo) / (r.hi - r.lo)
            assert sorted(np.floor(u * 8).astype(int)) == list(range(8))
    built = cal.apply_values(params, sets[0])
    assert built.labour.inflow_per_week == sets[0]["labour.inflow_per_week"]
    cambodia = next(j for j in built.map.jurisdictions if j.name == "Cambodia")
    assert cambodia.governance == sets[0]["jurisdictions.Cambodia.governance"]


def test_apply_values_rejects_what_a_scenario_file_would() -> None:
    params = load_scenario(MEKONG).params
    with pytest.raises(ScenarioError):
        cal.apply_values(params, {"labour.attrition": 2.0})
    with pytest.raises(ScenarioError):
        cal.apply_values(params, {"jurisdictions.Atlantis.governance": 0.5})


def test_calibrate_keeps_sets_that_reproduce_everything_or_else_the_best_k(monkeypatch) -> None:
    params = load_scenario(MEKONG).params
    ranges = [cal.Range("labour.attrition", 0.005, 0.02)]

    def fake(args):  # every criterion passes when attrition is low; the headline is attrition x 100
        p, _seed = args
        good = p.labour.attrition < 0.0125
        measures = {}
        for pattern in mekong.PATTERNS:
            if pattern.not_testable:
                continue
            m = {}
            for c in pattern.criteria:
                t = c.threshold
                ok_value = (t[0] + t[1]) / 2 if c.op == "between" else (t + 1 if c.op in (">=", ">") else t - 1)
                bad_value = (t[1] + 1) if c.op == "between" else (t - 1 if c.op in (">=", ">") else t + 1)
                m[c.metric] = ok_value if good else bad_value
            measures[pattern.id] = m
        return {"measures": measures, "headline": p.labour.attrition * 100}

    monkeypatch.setattr(cal, "_evaluate_set", fake)
    res = cal.calibrate(params, ranges, n=6, replications=2, workers=1, seed=1, k=2)
    assert res.all_reproduced and len(res.kept) == 3
    assert (res.table.loc[res.kept, "labour.attrition"] < 0.0125).all()
    assert res.headline_summary()["kept_max"] < 1.25
    text = cal.kept_ranges_toml(res, "mekong.toml")
    assert '[calibration."labour.attrition"]' in text

    ranges = [cal.Range("labour.attrition", 0.015, 0.02)]  # no set can pass: the best k are kept
    res = cal.calibrate(params, ranges, n=4, replications=1, workers=1, seed=1, k=2)
    assert not res.all_reproduced and len(res.kept) == 2


def test_calibration_command_refuses_a_bad_scenario_before_running(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[labour]\nattrition = 2.0\n", encoding="utf-8")
    assert cal.main([str(bad), "--csv", str(tmp_path / "out.csv")]) == EXIT_BAD_INPUT
    assert "labour.attrition" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()


# ---- shock replays on constructed observations --------------------------------------------------------

def _geo() -> Geo:
    """Two jurisdictions of two cells each, A (cells 0-1) and B (cells 2-3), no zones, 60 weeks."""
    return Geo(jurisdictions=("A", "B"), countries=("A", "B"), zones=(), zone_kinds=(),
               cell_jurisdiction=np.array([0, 0, 1, 1]), cell_zone=np.full(4, -1), land=np.ones(4, dtype=bool),
               border=np.array([False, True, True, False]), border_distance=np.array([1, 0, 0, 1]), protection=np.zeros(4),
               weeks=60)


def _observation(workers: np.ndarray, moves: list[tuple[int, int, int]], raids_per_week: float,
                 start_week: int = 10) -> observe.Observation:
    weeks = len(workers)
    frame = pd.DataFrame({"week": np.arange(1, weeks + 1), "raids": raids_per_week, "raids_tipped_off": 0.0,
                          "workers_rescued": 0.0, "workers_repatriated": 0.0})
    mv = pd.DataFrame(moves, columns=["week", "from_cell", "to_cell"])
    params = SimpleNamespace(policy=SimpleNamespace(start_week=start_week, cut_zones=()))
    areas = SimpleNamespace(treated=np.array([0]), buffer=np.array([], dtype=int), control=np.array([1]))
    run = RunResult(params=params, seed=1, frame=frame, workers=workers, revenue=workers * 0.0, moves=mv,
                    jurisdictions=("A", "B"), areas=areas, totals={})
    empty = np.zeros((weeks, 1))
    return observe.Observation(run, empty, empty, empty, workers, pd.DataFrame(), np.array([], dtype=np.int64),
                               pd.DataFrame(), {}, {}, np.array([], dtype=np.int64))


def test_shock_measures_on_constructed_observations() -> None:
    cf_workers = np.full((60, 2), 100.0)
    workers = cf_workers.copy()
    workers[9:14, 0] = 50.0  # A halved in weeks 10-14 (the shock starts in week 10), back in week 15
    moves = [(5, 0, 2),  # before the shock: not counted
             (11, 0, 2), (12, 1, 3),  # out of A into B, 1 and 2 weeks after the start
             (20, 2, 0),  # back into A within 52 weeks
             (40, 0, 2)]  # out of A, but after the 26-week window
    o = _observation(workers, moves, raids_per_week=2.0)
    cf = _observation(cf_workers, [(30, 3, 1), (31, 3, 2)], raids_per_week=0.0)
    m = measures.shock_measures(o, cf, _geo())
    assert m["area"] == "A"
    assert m["trough_vs_cf"] == pytest.approx(0.5)
    assert (m["recovery_weeks"], m["recovery_censored"]) == (5.0, False)
    assert m["moves_out"] == 2.0 and m["destinations"] == {"B": 2}
    assert m["median_weeks_to_move"] == 1.5
    assert (m["moves_back_in_52_weeks"], m["moves_in_52_weeks_cf"]) == (1.0, 1.0)  # cf: one into A, one within B
    assert m["raids"] == 2.0 * 26  # weeks 10-35
    assert m["region_last_year_vs_cf"] == pytest.approx((52 * 200 - 5 * 50) / 52 / 200)  # last 52 weeks = 9-60


def test_shock_summary_counts_dips_and_recoveries_over_replications() -> None:
    def per(weeks: float, censored: bool, dest: dict[str, int]) -> dict:
        return {"area": "A", "recovery_weeks": weeks, "recovery_censored": censored, "destinations": dest,
                **{k: 1.0 for k in runner.SHOCK_INTERVALS if k != "recovery_weeks"}}

    s = runner.summarise_shock([per(5.0, False, {"B": 2}), per(40.0, True, {"B": 1, "C": 4}), per(math.nan, False, {})])
    assert s["replications"] == 3
    assert s["dipped_share"] == pytest.approx(2 / 3) and s["recovered_share"] == pytest.approx(1 / 3)
    assert s["destinations"] == pytest.approx({"C": 4 / 3, "B": 1.0}) and list(s["destinations"]) == ["C", "B"]
    assert s["recovery_weeks"][0] == pytest.approx(22.5) and s["recovery_weeks"][3] == 2  # the undefined one is left out


# ---- report and command on a constructed report ---------------------------------------------------------

def _constructed_report() -> runner.Report:
    p = criteria.Pattern("X1", "Totals hold", "held steady", "a report", ("status_quo",), None,
                         (criteria.Criterion("a", ">=", 0.95, "workers ratio", "w"),
                          criteria.Criterion("b", "between", (4.0, 30.0), "weeks", "w")))
    q = criteria.Pattern("X2", "Overseas moves", "abroad", "a report", (), None, (), not_testable="no overseas exit")
    per_seed = [{"a": 1.0, "b": 10.0}, {"a": 1.02, "b": 20.0}, {"a": 1.04, "b": 60.0}]
    return runner.Report("constructed.toml", [1, 2, 3], [criteria.evaluate(p, per_seed), criteria.evaluate(q, [])],
                         headline=[0.9, 1.1])


def test_the_report_shows_each_verdict_with_its_interval() -> None:
    rep = _constructed_report()
    criteria.apply_holm(rep.results)
    assert [r.verdict for r in rep.results] == ["inconclusive", "not testable"]  # the mean verdicts, kept
    # 3 draws: too few for a stable predictive verdict (MIN_STABLE_DRAWS = 10)
    assert [c.verdict for c in rep.results[0].criteria] == ["unstable", "unstable"]
    text = report.format_text(rep)
    assert "X1  Totals hold [date unknown]  ->  UNSTABLE" in text
    # by hand: mean 1.02, sd 0.02, t(0.975, 2) = 4.303, half-width 4.303 x 0.02 / sqrt(3) = 0.0497
    assert "mean 1.02 [0.970, 1.07] (n=3)" in text and "met in 100%" in text
    # the event "in [4, 30]" holds in 2 of 3 draws; Monte Carlo p = (2 + 1) / (3 + 1)
    assert "met in 67%" in text and "(Monte Carlo 0.750)" in text
    assert "X2  Overseas moves [date unknown]  ->  NOT TESTABLE" in text and "reason: no overseas exit" in text
    assert "Not testable: X2" in text
    assert text.endswith("(persistence_vs_counterfactual_workers): 1 [-0.271, 2.27] (n=2)")
    md = report.format_markdown(rep).splitlines()
    row = next(line for line in md if line.startswith("| X1 |"))
    assert "| workers ratio >= 0.950 | the criterion (an event) |" in row and "unstable (pattern: **unstable**)" in row
    assert any(line.startswith("| X2 |") and "**not testable**: no overseas exit" in line for line in md)


def test_patterns_command_prints_the_chosen_format_and_refuses_bad_input(monkeypatch, capsys) -> None:
    calls = []

    def fake_run_patterns(params, cat, replications, workers, first_seed, scenario="", **_):
        calls.append((cat, replications, workers, first_seed, scenario))
        return _constructed_report()

    monkeypatch.setattr(runner, "run_patterns", fake_run_patterns)
    parser = argparse.ArgumentParser(prog="scamsim")
    patterns_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["patterns", str(MEKONG), "--replications", "3", "--workers", "1", "--first-seed", "5", "--markdown"])
    assert args.func(args) == 0
    assert calls == [(mekong.CATALOGUE, 3, 1, 5, str(MEKONG))]
    assert capsys.readouterr().out == report.format_markdown(_constructed_report()) + "\n"
    args = parser.parse_args(["patterns", str(MEKONG)])
    assert args.func(args) == 0 and capsys.readouterr().out == report.format_text(_constructed_report()) + "\n"
    assert patterns_cli.DEFAULT_SCENARIO == mekong.DEFAULT_SCENARIO and mekong.DEFAULT_SCENARIO.is_file()
    args = parser.parse_args(["patterns", str(MEKONG), "--set", "labour.attrition=2.0"])
    assert args.func(args) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "labour.attrition" in err and len(calls) == 2  # refused before any run


# ---- the runner and observed runs (the model runs) ------------------------------------------------------

@pytest.mark.validation
@pytest.mark.slow
def test_observed_runs_are_the_models_runs() -> None:
    from sim.measures.run import simulate

    params = load_scenario(MEKONG, ["run.weeks=60", "policy.start_week=20"]).params
    o = observe.observe(params, 5)
    r = simulate(params, seed=5)
    assert o.run.frame.equals(r.frame) and o.run.moves.equals(r.moves)
    assert len(o.move_ids) == len(o.run.moves)
    assert len(o.raids) == int(r.frame["raids"].sum())
    assert o.zone_workers.sum(axis=1) == pytest.approx(r.frame["workers_held"].to_numpy())


@pytest.mark.validation
@pytest.mark.slow
def test_the_runner_pairs_variants_by_seed_and_reports_missing_places() -> None:
    from sim.measures.run import simulate, summarise

    params = load_scenario(MEKONG, ["run.weeks=40", "policy.start_week=20"]).params

    def held_last_week(obs, geo):
        return {"held": float(obs["status_quo"].run.workers[-1].sum()), "cf_held": float(obs["counterfactual"].run.workers[-1].sum())}

    held = criteria.Pattern("H", "held", "o", "s", ("status_quo", "counterfactual"), held_last_week,
                            (criteria.Criterion("held", ">", 0.0, "held", "w"),))
    atlantis = criteria.Pattern("Z", "elsewhere", "o", "s", ("atlantis",), held_last_week,
                                (criteria.Criterion("held", ">", 0.0, "held", "w"),))
    variants = {"status_quo": mekong.VARIANTS["status_quo"], "counterfactual": mekong.VARIANTS["counterfactual"],
                "atlantis": catalogue.Variant("atlantis", "raids on a place not on the map",
                                              policy={"type": "case_by_case", "jurisdictions": ["Atlantis"]})}
    cat = catalogue.Catalogue((held, atlantis), variants, {})
    rep = runner.run_patterns(params, cat, replications=2, workers=1, first_seed=3)
    sq = [simulate(params, seed=s) for s in (3, 4)]
    cf = [simulate(catalogue.variant_params(params, variants["counterfactual"]), seed=s) for s in (3, 4)]
    h = rep.results[0]
    assert h.extra["held"] == [float(r.workers[-1].sum()) for r in sq]
    assert h.extra["cf_held"] == [float(r.workers[-1].sum()) for r in cf]
    assert rep.headline == pytest.approx([summarise(a, b)["counterfactual"]["persistence_vs_counterfactual_workers"]
                                          for a, b in zip(sq, cf, strict=True)])
    z = rep.results[1]
    assert z.verdict == "not testable" and "Atlantis" in z.reason and not z.criteria

