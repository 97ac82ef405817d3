"""The Bayesian calibration pipeline (sim.analysis.inference, scamsim calibrate): issue 14, part 4.

- The prior stays inside the ranges file (log ranges log-uniform, integer ranges whole).
- Bad spec files give errors that name the file and the key.
- Recovery: on synthetic data made by the model itself at known parameter values, the posterior's central
  90% interval covers the truth at about the nominal rate, and is narrower than the prior (a posterior that
  is just the prior would cover everything and prove nothing).
- The shipped spec runs end to end through the CLI in small mode.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.calibration import Range, load_ranges
from sim.analysis.inference.prior import prior_for
from sim.analysis.inference.spec import SpecError, load_spec
from sim.scenario.loader import ScenarioError

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "experiments" / "calibration.toml"

TINY_SCENARIO = """
[run]
name = "tiny"
weeks = 30
burn_in_weeks = 30
seed = 1

[policy]
type = "none"

[map]
layout = ["AAAAAA", "AAAAAA", "BBBBBB", "BBBBBB"]

[jurisdictions.A]
symbol = "A"
governance = 0.4
protection = 0.2

[jurisdictions.B]
symbol = "B"
governance = 0.3
protection = 0.4
"""

TINY_RANGES = """
[calibration."compounds.capacity_mean"]
lo = 150.0
hi = 600.0
scale = "log"
source = "test"

[calibration."market.revenue_per_worker_day"]
lo = 200.0
hi = 500.0
source = "test"
"""


def tiny_spec(tmp_path: Path, statistics: str = "") -> Path:
    (tmp_path / "tiny.toml").write_text(TINY_SCENARIO, encoding="utf-8")
    (tmp_path / "ranges.toml").write_text(TINY_RANGES, encoding="utf-8")
    text = f"""
[calibration]
scenario = "tiny.toml"
ranges = "ranges.toml"
parameters = ["compounds.capacity_mean", "market.revenue_per_worker_day"]
last_week = 30
population = 40
generations = 3
seed = 3

[statistics.held]
measure = "held"
weeks = [11, 30]
observed = 14000.0
scale = 700.0
source = "synthetic"
date = "test"

[statistics.proceeds]
measure = "proceeds"
weeks = [11, 30]
observed = 1.7e9
scale = 1.0e8
source = "synthetic"
date = "test"
{statistics}
"""
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the prior ---------------------------------------------------------------------------------------------------

def test_prior_stays_inside_the_ranges_file_and_follows_its_scale():
    spec = load_spec(SPEC)
    prior = prior_for(spec.ranges, spec.budget.parameters)
    by_key = {r.key: r for r in load_ranges(spec.ranges)}
    draws = pd.DataFrame(prior.sample(4000, seed=5))
    for name in spec.budget.parameters:
        r = by_key[name]
        x = draws[name].to_numpy(float)
        assert x.min() >= r.lo and x.max() <= r.hi, name
        # the draws fill the range (4,000 uniform draws reach within 1% of each end: chance of not, < 1e-17)
        assert x.min() < r.lo + 0.01 * (r.hi - r.lo) and x.max() > r.hi - 0.01 * (r.hi - r.lo), name
        # uniform on the scale the range declares: the median is the middle of the range on that scale.
        # Standard error of a median of 4,000 uniform quantiles ~ 0.008; 0.03 is over three of them.
        mid = math.sqrt(r.lo * r.hi) if r.scale == "log" else (r.lo + r.hi) / 2
        u_median = (np.log(np.median(x) / r.lo) / np.log(r.hi / r.lo)) if r.scale == "log" else (np.median(x) - r.lo) / (r.hi - r.lo)
        assert abs(u_median - 0.5) < 0.03, (name, np.median(x), mid)


def test_integer_ranges_give_whole_numbers():
    r = Range("compounds.cell_capacity", 6, 20, integer=True)
    values = [r.value(u) for u in np.linspace(0, 0.999, 50)]
    assert all(isinstance(v, int) and 6 <= v <= 20 for v in values)


# --- bad specs -----------------------------------------------------------------------------------------------------

STAT = '[statistics.x]\nmeasure = "{m}"\nweeks = {w}\nobserved = 1.0\nscale = {s}\nsource = "s"\ndate = "d"'


@pytest.mark.parametrize(("replace", "statistics", "expected"), [
    (("compounds.capacity_mean", "labour.nonsense"), "", "parameter 'labour.nonsense' has no range"),
    (("population = 40", "population = 1"), "", "population = 1 must be a whole number of at least 2"),
    (("seed = 3", 'sampler = "gpu"'), "", "sampler = 'gpu' is not one of processes, dask"),
    (("seed = 3", 'transition = "gauss"'), "", "transition = 'gauss' is not one of kde, local"),
    (("seed = 3", "colour = 1"), "", "unknown key 'colour'"),
    (("seed = 3", "max_simulations = -1"), "", "max_simulations = -1 must be a whole number of at least 0"),
    (("seed = 3", "min_effective_share = 1.5"), "", "min_effective_share = 1.5 must be a number at least 0 and below 1"),
    (("seed = 3", 'space = "cube"'), "", "space = 'cube' is not one of unit, logit"),
    (("seed = 3", 'min_effective_share = "most"'), "", "min_effective_share = 'most' must be a number"),
    ((), STAT.format(m="mood", w="[1, 2]", s="1.0"), "measure = 'mood' is not one of held, proceeds, compounds, held_ratio"),
    ((), STAT.format(m="held", w="[1, 40]", s="1.0"), "reads week 40, after [calibration] last_week = 30"),
    ((), STAT.format(m="held", w="[2, 1]", s="1.0"), "weeks = [2, 1] must be two week numbers"),
    ((), STAT.format(m="held", w="[1, 2]", s="0.0"), "scale = 0.0 must be above 0"),
    ((), STAT.format(m="held", w="[1, 2]", s="1.0").replace('source = "s"\n', ""), "missing source"),
    ((), STAT.format(m="held_ratio", w="[1, 2]", s="1.0"), "held_ratio needs base_weeks"),
])
def test_bad_spec_names_file_key_and_what_is_allowed(tmp_path, replace, statistics, expected):
    path = tiny_spec(tmp_path, statistics)
    if replace:
        path.write_text(path.read_text().replace(*replace))
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert any(expected in p and str(path) in p for p in exc.value.problems), exc.value.problems


def test_a_simulation_cap_ends_the_run_after_a_whole_generation(tmp_path, monkeypatch):
    from sim.analysis.inference import output
    from sim.analysis.inference.output import calibrate_spec

    commits = iter(["start", "committed-meanwhile"])  # the checkout moves during the run
    monkeypatch.setattr(output, "git_commit", lambda: next(commits))

    path = tiny_spec(tmp_path)
    path.write_text(path.read_text().replace("population = 40\ngenerations = 3", "population = 6\ngenerations = 4\nmax_simulations = 8"))
    spec = load_spec(path)
    assert spec.budget.max_simulations == 8
    post, manifest = calibrate_spec(spec, workers=1)
    assert manifest["code_version"] == "start" and manifest["code_version_at_end"] == "committed-meanwhile"
    # pyabc's first sample (6 particles) and generation 0 (at least 6 more) already pass 8: one generation, not four,
    # and it is whole (6 particles), not cut off at the cap.
    assert len(post.generations) == 1 and len(post.samples) == 6 and post.simulations >= 12


def test_bad_toml_and_missing_files_are_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[calibration\n")
    with pytest.raises(ScenarioError) as exc:
        load_spec(bad)
    assert "not valid TOML" in str(exc.value.problems) and str(bad) in str(exc.value.problems)
    path = tiny_spec(tmp_path)
    path.write_text(path.read_text().replace('scenario = "tiny.toml"', 'scenario = "nowhere.toml"'))
    with pytest.raises(SpecError) as exc2:
        load_spec(path)
    assert any("scenario = 'nowhere.toml': no such file" in p for p in exc2.value.problems)


def test_unknown_jurisdiction_is_a_named_error(tmp_path):
    from sim.analysis.inference.output import simulator_for

    stat = STAT.format(m="held", w="[1, 2]", s="1.0").replace('weeks', 'jurisdictions = ["Atlantis"]\nweeks')
    spec = load_spec(tiny_spec(tmp_path, stat))
    with pytest.raises(SpecError) as exc:
        simulator_for(spec)
    assert any("no jurisdiction named 'Atlantis'" in p for p in exc.value.problems)


def test_shipped_spec_reads_nothing_after_2022():
    import datetime as dt

    from sim.scenario.loader import load_scenario

    spec = load_spec(SPEC)
    start = dt.date.fromisoformat(load_scenario(spec.scenario).params.run.start_date)  # week 1 starts here
    for budget in (spec.budget, spec.small):
        # the last week read starts in 2022 and the week after it in 2023: nothing from 2023 on enters the fit
        assert start + dt.timedelta(weeks=budget.last_week - 1) <= dt.date(2022, 12, 31)
        assert start + dt.timedelta(weeks=budget.last_week) >= dt.date(2022, 12, 26)
    kinds = {s.kind for s in spec.statistics}
    assert kinds == {"level", "response"}
    assert all(s.source and s.date for s in spec.statistics)


# --- recovery on synthetic data ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_posterior_covers_the_truth_on_synthetic_data(tmp_path):
    """Coverage over 8 synthetic datasets, each made by the model at parameters drawn from the prior.

    If the 90% intervals were exactly calibrated, the number of datasets whose interval covers the truth would be
    Binomial(8, 0.9): P(at most 5) = 3.8%. So 6 of 8 per parameter is required; ABC with a finite tolerance
    errs wide, which this allows. To rule out a posterior that is the prior, the mean interval must also be less
    than 70% of the prior's width (on the unit cube) for each parameter. About 1,000 short simulations: several
    minutes on a loaded 2-core machine, hence slow; the small-mode CLI test below is the quick end-to-end check.
    """
    pytest.importorskip("pyabc")
    from sim.analysis.inference.engine import infer
    from sim.analysis.inference.output import simulator_for

    spec = load_spec(tiny_spec(tmp_path))
    sim = simulator_for(spec)
    scales = {s.name: s.scale for s in spec.statistics}
    truths = sim.prior.sample(8, seed=11)
    covered = {n: 0 for n in sim.prior.names}
    widths = {n: [] for n in sim.prior.names}
    for k, truth in enumerate(truths):
        observed = sim.run(truth, seed=1000 + k)
        post = infer(sim, observed, scales, population=40, generations=3, seed=k + 1)
        for r in sim.prior.ranges:
            lo, hi = post.interval(f"u:{r.key}", 0.9)
            u_true = (math.log(truth[r.key] / r.lo) / math.log(r.hi / r.lo)) if r.scale == "log" else (truth[r.key] - r.lo) / (r.hi - r.lo)
            covered[r.key] += lo <= u_true <= hi
            widths[r.key].append(hi - lo)
    for name in sim.prior.names:
        assert covered[name] >= 6, (name, covered, widths)
        assert np.mean(widths[name]) < 0.7, (name, widths)


# --- the command -----------------------------------------------------------------------------------------------

def test_small_calibration_runs_through_the_cli(tmp_path):
    pytest.importorskip("pyabc")
    from sim.cli.main import main

    out = tmp_path / "posterior"
    assert main(["calibrate", str(SPEC), "--out", str(out), "--small", "--workers", "1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["generations.csv", "manifest.json", "posterior.csv", "summary.csv"]
    manifest = json.loads((out / "manifest.json").read_text())
    spec = load_spec(SPEC)
    post = pd.read_csv(out / "posterior.csv")
    assert len(post) == spec.small.population
    assert math.isclose(post["weight"].sum(), 1.0, rel_tol=1e-4)
    by_key = {r.key: r for r in load_ranges(spec.ranges)}
    for name in spec.small.parameters:
        assert post[name].between(by_key[name].lo, by_key[name].hi).all()
    assert manifest["mode"] == "small" and manifest["seed"] == spec.small.seed
    assert manifest["simulations"] >= spec.small.population * spec.small.generations
    assert manifest["scenario_sha256"] and manifest["versions"]["pyabc"] != "not installed"
    assert "scamsim calibrate" in manifest["command"]
    w = post["weight"].to_numpy(float)  # the manifest's effective sample size is the written weights' own
    assert manifest["particles"] == len(post)
    assert math.isclose(manifest["effective_sample_size"], w.sum() ** 2 / (w**2).sum(), abs_tol=0.006)
    assert 1.0 <= manifest["effective_sample_size"] <= len(post) + 1e-9
    gens = pd.read_csv(out / "generations.csv")  # generation 0 is drawn from the prior with equal weights
    assert math.isclose(gens["effective_sample_size"].iloc[0], gens["particles"].iloc[0], rel_tol=1e-3)
    assert manifest["posterior_generation"] == gens["t"].max() and manifest["posterior_epsilon"] == manifest["final_epsilon"]


def test_a_declared_effective_share_ships_the_last_generation_that_meets_it(tmp_path):
    """min_effective_share: the posterior is the last generation whose effective sample size is at least that share
    of its particles; the written weights are that generation's (their own ESS is the one generations.csv records)."""
    pytest.importorskip("pyabc")
    from sim.analysis.inference.output import calibrate_spec, write_posterior

    path = tiny_spec(tmp_path)
    text = path.read_text().replace("seed = 3", "seed = 3\nmin_effective_share = 0.9")
    path.write_text(text.replace("population = 40", "population = 12"))
    spec = load_spec(path)
    assert spec.budget.min_effective_share == 0.9
    post, manifest = calibrate_spec(spec, workers=1)
    out = tmp_path / "posterior"
    write_posterior(out, post, manifest, ["test"])
    gens = pd.read_csv(out / "generations.csv")
    chosen = manifest["posterior_generation"]
    meets = gens["effective_sample_size"] >= 0.9 * gens["particles"] - 1e-6
    assert meets[gens["t"] == chosen].all() and not meets[gens["t"] > chosen].any()
    w = pd.read_csv(out / "posterior.csv")["weight"].to_numpy(float)
    assert math.isclose(w.sum() ** 2 / (w**2).sum(), float(gens.loc[gens["t"] == chosen, "effective_sample_size"].iloc[0]),
                        abs_tol=0.006)
    assert math.isclose(manifest["posterior_epsilon"], float(gens.loc[gens["t"] == chosen, "epsilon"].iloc[0]), rel_tol=1e-5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 5.0), st.integers(2, 50), st.floats(0.0, 1.0)), min_size=1, max_size=8),
       st.floats(0.0, 0.99))
def test_chosen_generation_is_the_last_that_meets_the_share(rows, share):
    """The rule itself: the last generation meeting the share; with share 0 the last; none meeting it, the first."""
    from sim.analysis.inference.engine import chosen_generation

    gens = pd.DataFrame([{"t": t, "epsilon": e, "particles": n, "effective_sample_size": max(1.0, f * n)}
                         for t, (e, n, f) in enumerate(rows)])
    t = chosen_generation(gens, share)
    meets = [r.effective_sample_size >= share * r.particles - 1e-9 for r in gens.itertuples()]
    assert t == (max(i for i, ok in enumerate(meets) if ok) if any(meets) else 0)
    assert chosen_generation(gens, 0.0) == len(rows) - 1


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-9, 1 - 1e-9))
def test_the_logit_space_has_the_same_prior(q):
    """space = "logit": the logistic function of a standard logistic variable is uniform on (0, 1), so the prior on the
    parameters is the unit space's: the logistic quantile q maps back to the uniform quantile q."""
    from scipy.stats import logistic

    from sim.analysis.inference.engine import to_unit

    assert math.isclose(float(to_unit(np.array([logistic.ppf(q)]))[0]), q, rel_tol=1e-9, abs_tol=1e-12)


def test_a_calibration_in_logit_space_maps_back_inside_the_ranges(tmp_path):
    """The tiny calibration with space = "logit" runs end to end; the posterior's quantiles are in (0, 1), its values
    inside the ranges, and the manifest records the space."""
    pytest.importorskip("pyabc")
    from sim.analysis.inference.output import calibrate_spec

    path = tiny_spec(tmp_path)
    path.write_text(path.read_text().replace("seed = 3", 'seed = 3\nspace = "logit"').replace("population = 40", "population = 12"))
    spec = load_spec(path)
    post, manifest = calibrate_spec(spec, workers=1)
    assert manifest["budget"]["space"] == "logit"
    for r in spec_ranges(spec):
        u = post.samples[f"u:{r.key}"]
        assert ((u > 0) & (u < 1)).all() and post.samples[r.key].between(r.lo, r.hi).all()
    assert 1.0 <= post.effective_sample_size <= len(post.samples) + 1e-9


def spec_ranges(spec):
    return prior_for(spec.ranges, spec.budget.parameters).ranges


def test_the_local_proposal_runs_and_is_recorded(tmp_path, monkeypatch):
    """transition = "local" (pyabc's LocalTransition) runs the small calibration end to end and the manifest says so."""
    pytest.importorskip("pyabc")
    from sim.cli.main import main

    spec = tmp_path / "spec.toml"
    text = SPEC.read_text().replace("[small]", '[small]\ntransition = "local"', 1)
    spec.write_text(text.replace('"../scenarios/', f'"{SPEC.parent.parent.as_posix()}/scenarios/'))
    out = tmp_path / "posterior"
    import pyabc

    built = []  # the proposals pyabc is handed: the spec's word must reach the sampler, not only the manifest

    class Recorded(pyabc.LocalTransition):
        def __init__(self, *args, **kwargs):
            built.append(type(self).__mro__[1].__name__)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(pyabc, "LocalTransition", Recorded)
    assert main(["calibrate", str(spec), "--out", str(out), "--small", "--workers", "1"]) == 0
    assert built == ["LocalTransition"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["budget"]["transition"] == "local" and load_spec(SPEC).budget.transition == "kde"
    assert 1.0 <= manifest["effective_sample_size"] <= manifest["particles"] + 1e-9


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-6, max_value=1e6), min_size=1, max_size=60), st.integers(1, 5))
def test_effective_sample_size_between_one_particle_and_all(weights, copies):
    """Kish's n_eff: n for equal weights, 1 for all weight on one particle, between them otherwise; it is
    unchanged by rescaling the weights, and repeating every particle k times multiplies it by k."""
    from sim.analysis.inference.engine import effective_sample_size

    w = np.array(weights)
    n_eff = effective_sample_size(w)
    assert 1.0 - 1e-9 <= n_eff <= len(w) * (1 + 1e-9)
    assert math.isclose(effective_sample_size(w * 1000.0), n_eff, rel_tol=1e-9)
    assert math.isclose(effective_sample_size(np.tile(w, copies)), copies * n_eff, rel_tol=1e-9)
    assert math.isclose(effective_sample_size(np.full(len(w), 3.0)), len(w), rel_tol=1e-12)
    assert math.isclose(effective_sample_size(np.r_[1.0, np.zeros(len(w))]), 1.0)


def test_cli_bad_spec_is_one_line_per_problem_and_leaves_no_folder(tmp_path, capsys):
    from sim.cli.main import main

    path = tiny_spec(tmp_path)
    path.write_text(path.read_text().replace("population = 40", "population = 0"))
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "population = 0 must be a whole number" in err and "Traceback" not in err
    assert not out.exists()


# --- round 6: screening and marginalised parameters -----------------------------------------------------------------

@dataclass(frozen=True)
class _LinearSimulator:
    """A stand-in simulator with known effects: y = slope * a + 0 * b + noise(seed)."""

    statistics: tuple
    slope: float = 10.0

    def many(self, values, seeds):
        out = []
        for v, s in zip(values, seeds, strict=True):
            noise = float(np.random.default_rng(int(s)).normal(0.0, 1.0))
            out.append({"y": self.slope * float(v["a"]) + 0.0 * float(v["b"]) + noise})
        return out


def test_screening_recovers_a_linear_effect_and_the_noise_floor():
    """Analytic limit: on y = 10 a + noise(seed), Morris's mu* per full range is exactly 10 for a and exactly 0 for b
    (common random numbers within a trajectory: only the seed factor's step changes the seed), the seed factor's mu*
    is the noise of a seed change (positive), and the declared rule keeps a and marginalises b."""
    pytest.importorskip("SALib")
    from sim.analysis.inference.prior import Prior
    from sim.analysis.inference.screening import SEED_FACTOR, screen
    from sim.analysis.inference.spec import Screening, Statistic

    stat = Statistic("y", "held", (1, 1), 0.0, 2.0, "synthetic", "test")
    candidates = Prior((Range("a", 0.0, 1.0), Range("b", 0.0, 1.0)))
    rule = Screening(trajectories=12, levels=4, seed=5, threshold=0.5, noise_factor=2.0)
    result = screen(_LinearSimulator((stat,)), candidates, rule, workers=1)
    mu = result.table.set_index("parameter")["mu_star"]
    assert math.isclose(mu["a"], 10.0, rel_tol=1e-9) and mu["b"] == 0.0
    assert mu[SEED_FACTOR] > 0.0
    assert result.table.set_index("parameter")["mu_star_scaled"]["a"] == pytest.approx(5.0)
    assert result.selected == ("a",)
    assert len(result.design) == 12 * 4 and result.design.groupby("trajectory")["seed"].nunique().eq(2).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p", "q", "r", "(seed)"]), st.sampled_from(["x", "y"]),
                          st.floats(0.0, 5.0)), min_size=1, max_size=20, unique_by=lambda t: (t[0], t[1])),
       st.floats(0.0, 2.0), st.floats(0.0, 4.0))
def test_the_screening_rule_keeps_exactly_what_it_declares(rows, threshold, factor):
    """selected: a parameter is kept iff on some statistic its scaled mu* is at least the threshold and at least
    factor x the seed factor's (a statistic with no seed row has no noise floor and keeps nothing); the seed never."""
    from sim.analysis.inference.screening import selected
    from sim.analysis.inference.spec import Screening

    table = pd.DataFrame([{"parameter": p, "statistic": s, "mu_star_scaled": m} for p, s, m in rows])
    noise = {s: m for p, s, m in rows if p == "(seed)"}
    expect = {p for p, s, m in rows if p != "(seed)" and s in noise and m >= threshold and m >= factor * noise[s]}
    assert set(selected(table, Screening(threshold=threshold, noise_factor=factor))) == expect


def test_a_marginalised_parameter_keeps_the_value_each_particle_ran_with(tmp_path):
    """marginalised: capacity is drawn from its prior in every simulation, not proposed, and the held statistic pins it.
    If the posterior recorded a fresh prior draw instead of the value each accepted particle ran with, its weighted
    spread would be the prior's (sd 0.29 on the quantile scale); recorded right, it narrows."""
    pytest.importorskip("pyabc")
    from sim.analysis.inference.output import calibrate_spec, write_posterior

    path = tiny_spec(tmp_path)
    text = path.read_text().replace('parameters = ["compounds.capacity_mean", "market.revenue_per_worker_day"]',
                                    'parameters = ["market.revenue_per_worker_day"]\nmarginalised = ["compounds.capacity_mean"]')
    path.write_text(text.replace("population = 40", "population = 30"))
    spec = load_spec(path)
    post, manifest = calibrate_spec(spec, workers=1)
    out = tmp_path / "posterior"
    write_posterior(out, post, manifest, ["test"])
    frame = pd.read_csv(out / "posterior.csv")
    assert [(p["key"], p["calibrated"]) for p in manifest["parameters"]] == [
        ("market.revenue_per_worker_day", True), ("compounds.capacity_mean", False)]
    u, w = frame["u:compounds.capacity_mean"].to_numpy(float), frame["weight"].to_numpy(float)
    assert frame["compounds.capacity_mean"].between(150.0, 600.0).all() and len(set(u)) > 5
    sd = math.sqrt(float((w * (u - (w * u).sum()) ** 2).sum()))
    assert sd < 0.2, sd


@pytest.mark.parametrize(("add", "expected"), [
    ('marginalised = ["compounds.capacity_mean"]', "compounds.capacity_mean both in parameters and in marginalised"),
    ('marginalised = ["labour.nonsense"]', "parameter 'labour.nonsense' has no range"),
    ("[screening]\nlevels = 3", "levels = 3 must be even"),
    ("[screening]\nthreshold = -1", "threshold = -1 must be a number at least 0"),
    ("[screening]\ncolour = 1", "unknown key 'colour'"),
])
def test_bad_screening_or_marginalised_keys_are_named(tmp_path, add, expected):
    path = tiny_spec(tmp_path)
    text = path.read_text()
    if add.startswith("marginalised"):
        text = text.replace("seed = 3", f"seed = 3\n{add}")
    else:
        text = text.replace("[statistics.held]", f"{add}\n\n[statistics.held]")
    path.write_text(text)
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert any(expected in p and str(path) in p for p in exc.value.problems), exc.value.problems


def test_screening_runs_through_the_cli_and_partitions_the_candidates(tmp_path, capsys):
    """scamsim calibrate --screen on the tiny spec: the folder is written whole, the design has (k + 2) runs per
    trajectory, selected and marginalised partition the candidates, the same spec gives the same effects twice, and a
    bad [screening] key is a named error with no folder."""
    pytest.importorskip("SALib")
    from sim.cli.main import main

    path = tiny_spec(tmp_path)
    path.write_text(path.read_text().replace("[statistics.held]", "[screening]\ntrajectories = 3\n\n[statistics.held]"))
    outs = [tmp_path / "screen1", tmp_path / "screen2"]
    for out in outs:
        assert main(["calibrate", str(path), "--screen", "--out", str(out), "--workers", "1"]) == 0
    assert sorted(p.name for p in outs[0].iterdir()) == ["design.csv", "effects.csv", "manifest.json"]
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    assert len(pd.read_csv(outs[0] / "design.csv")) == 3 * (2 + 2) == manifest["runs"]
    assert sorted(manifest["selected"] + manifest["marginalised"]) == sorted(manifest["candidates"])
    assert (outs[0] / "effects.csv").read_bytes() == (outs[1] / "effects.csv").read_bytes()
    path.write_text(path.read_text().replace("trajectories = 3", "trajectories = 1"))
    bad = tmp_path / "bad"
    assert main(["calibrate", str(path), "--screen", "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "trajectories = 1 must be a whole number of at least 2" in err and "Traceback" not in err and not bad.exists()


# --- the prior as a reference ------------------------------------------------------------------------------------

def test_the_prior_folder_reads_as_a_posterior_of_every_spec_parameter_with_equal_weights(tmp_path, capsys):
    """``scamsim calibrate SPEC --prior N``: N draws of every calibrated and marginalised parameter from the ranges file's
    priors (inside each range, on its scale), equal weights, no simulation; the same command gives the same bytes, and a
    bad N is a named error with nothing written."""
    from sim.cli.main import main
    from sim.experiments.posterior import read_posterior

    spec = load_spec(SPEC)
    wanted = [*spec.budget.parameters, *spec.budget.marginalised]
    out = tmp_path / "prior"
    assert main(["calibrate", str(SPEC), "--prior", "400", "--out", str(out)]) == 0
    post = read_posterior(out)
    assert list(post.names) == wanted and post.values.shape == (400, len(wanted))
    assert np.allclose(post.weights, 1 / 400)
    samples = pd.read_csv(out / "posterior.csv")
    by_key = {r.key: r for r in load_ranges(spec.ranges)}
    for name in wanted:
        r = by_key[name]
        x, u = samples[name].to_numpy(float), samples[f"u:{name}"].to_numpy(float)
        assert (x >= r.lo * (1 - 1e-9)).all() and (x <= r.hi * (1 + 1e-9)).all()
        assert np.allclose(x, [r.value(q) for q in u], rtol=1e-5)  # the values are the quantiles' (6 significant digits)
        # uniform quantiles: Kolmogorov-Smirnov, Bonferroni over the parameters so that all of them together raise a
        # false alarm with probability 1% (one test at 1% each would fail a correct prior one time in seven)
        from scipy.stats import kstest
        assert kstest(u, "uniform").pvalue > 0.01 / len(wanted), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["simulations"] == 0 and "--prior 400" in manifest["command"] and "the prior" in manifest["method"]
    again = tmp_path / "again"
    assert main(["calibrate", str(SPEC), "--prior", "400", "--out", str(again)]) == 0
    assert (again / "posterior.csv").read_bytes() == (out / "posterior.csv").read_bytes()
    capsys.readouterr()
    assert main(["calibrate", str(SPEC), "--prior", "0", "--out", str(tmp_path / "bad")]) == 2
    assert "--prior = 0" in capsys.readouterr().err and not (tmp_path / "bad").exists()
