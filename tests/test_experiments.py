"""The experiment runner: design files, seeds, backends, resume, failures, the store and the figures.

Every sweep here is tiny (30 weeks, 2 design points x 2 replications) so the file runs in well under a
minute on two cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from conftest import TINY

from sim.experiments import load_experiment, load_results, replication_seed, run_sweep
from sim.experiments.design import DEFAULT_MEASURES, flatten, is_experiment_file
from sim.experiments.plan import plan
from sim.experiments.store import StoreError
from sim.measures.run import simulate, summarise
from sim.scenario.loader import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
TABLES = ("measures", "series", "moves", "errors")



def write(tmp: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def assert_same(a, b) -> None:
    for t in TABLES:
        pdt.assert_frame_equal(getattr(a, t), getattr(b, t), check_dtype=t != "errors", obj=t)


def no_duplicates(res) -> None:
    assert not res.measures.duplicated(["run_id", "measure"]).any()
    assert not res.series.duplicated(["run_id", "week"]).any()
    assert not res.errors.duplicated(["run_id"]).any()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("exp"), TINY)


@pytest.fixture
def failing_runs(monkeypatch):
    """Make the named runs raise, by wrapping the function that simulates one run.

    The patch lives in this process, so sweeps that use it run serially (``workers=1``): failure
    handling is the same code in a worker process.
    """
    from sim.experiments import worker

    real = worker.simulate_run

    def fail(run_ids: set[str]) -> None:
        def simulate_run(spec, burn_in):
            if spec.run_id in run_ids:
                raise RuntimeError("injected failure (test)")
            return real(spec, burn_in)

        monkeypatch.setattr(worker, "simulate_run", simulate_run)

    return fail


@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
    """The tiny experiment run serially, in this process: the table every other way must reproduce."""
    out = tmp_path_factory.mktemp("ref") / "tiny"
    report = run_sweep(tiny, out=out, workers=1, progress=False)
    assert (report.total, report.succeeded, report.failed, report.pending) == (6, 6, 0, 0)
    return out, load_results(out)


# ---- results and seeds ----------------------------------------------------------------------------------

def test_reference_table_is_tidy_and_complete(reference):
    out, res = reference
    exp = load_experiment(res.manifest["experiment"]["path"])
    no_duplicates(res)
    assert set(res.measures["run_id"]) == {"c00000-r0000", "c00000-r0001", "p00000-r0000", "p00000-r0001",
                                           "p00001-r0000", "p00001-r0001"}
    assert list(res.measures.columns[:7]) == ["run_id", "point", "replication", "seed", "role", "group", "counterfactual_id"]
    assert {"policy.type", "policy.raid_frequency", "measure", "value"} <= set(res.measures.columns)
    assert list(res.measure_names) == list(DEFAULT_MEASURES)
    assert len(res.measures) == 6 * len(DEFAULT_MEASURES)
    assert sorted(res.series["week"].unique()) == list(range(1, 31))
    assert len(res.series) == 6 * 30
    assert (res.moves["week"] >= 10).all() and len(res.moves)
    assert res.errors.empty
    # Common random numbers: replication r has one seed at every point and in its counterfactual.
    runs = res.runs()
    for r in (0, 1):
        assert set(runs.loc[runs["replication"] == r, "seed"]) == {replication_seed(7, r)}
    # One shared counterfactual per replication, its policy switched off.
    cf = runs[runs["role"] == "counterfactual"]
    assert list(cf["policy.type"]) == ["none", "none"] and (cf["point"] == -1).all()
    pol = runs[runs["role"] == "policy"]
    assert set(pol["counterfactual_id"]) == {"c00000-r0000", "c00000-r0001"}
    # The manifest says how the results were made.
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["base_seed"] == 7 and m["counts"]["pending"] == 0
    assert m["experiment"]["sha256"] == exp.sha256 and m["experiment"]["text"] == exp.text
    assert len(m["scenario"]["sha256"]) == 64 and "numpy" in m["versions"] and "git_commit" in m
    assert m["sessions"][0]["backend"] == "serial"


def test_seeds_depend_only_on_experiment_seed_and_replication(tiny, tmp_path):
    """Seeds are shared across points, distinct across replications, stable for an experiment seed, and
    the same whatever the order, backend or resumption that recorded them."""
    exp = load_experiment(tiny)
    planned = {(s.run_id, s.seed) for s in plan(exp)}
    by_rep = {r: {s.seed for s in plan(exp) if s.replication == r} for r in range(exp.replications)}
    assert all(len(v) == 1 for v in by_rep.values())  # common random numbers across points and counterfactuals
    forward = [replication_seed(7, r) for r in range(200)]
    assert len(set(forward)) == 200  # distinct across replications
    assert forward == [replication_seed(7, r) for r in reversed(range(200))][::-1]  # not a stream: order does not matter
    assert not set(forward) & {replication_seed(8, r) for r in range(200)}  # another experiment seed, other seeds
    # More replications keep the seeds of the first ones, so extending a sweep adds runs and changes none.
    more = load_experiment(write(tmp_path, TINY.replace("replications = 2", "replications = 5"), "more.toml"))
    assert planned <= {(s.run_id, s.seed) for s in plan(more)}

    # Recorded seeds: chunked on a process pool, interrupted, then resumed serially, they are the planned ones.
    def stop_after_two(info):
        if info["done"] >= 2:
            raise KeyboardInterrupt

    out = tmp_path / "pool"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tiny, out=out, workers=2, chunk_size=1, progress=False, on_chunk=stop_after_two)
    run_sweep(tiny, out=out, workers=1, progress=False, resume=True)
    recorded = load_results(out).runs()
    assert set(zip(recorded["run_id"], recorded["seed"], strict=True)) == planned


def test_counterfactual_sharing_matches_direct_runs(reference, tiny):
    """A "none" point is taken from the shared counterfactual; it must equal running it directly."""
    _, res = reference
    exp = load_experiment(tiny)
    wide = res.wide().set_index("run_id")
    seed = replication_seed(7, 1)
    cf = simulate(exp.counterfactual_for(0), seed=seed)
    for point in exp.points:
        run = simulate(exp.params_for(point), seed=seed)
        flat = flatten(summarise(run, cf))
        row = wide.loc[f"p{point.id:05d}-r0001"]
        for m in exp.measures:
            v = flat.get(m)
            expected = np.nan if v is None else float(v)
            assert row[m] == pytest.approx(expected, nan_ok=True), (point.id, m)


def test_shared_burn_in_gives_the_same_runs_as_simulate():
    """Runs that differ only in policy copy one burned-in model; every policy type must match simulate."""
    from sim.experiments.worker import BurnIn
    from sim.params.declarations import POLICY_TYPES
    from sim.scenario.loader import load_scenario

    params = load_scenario(BASELINE).params.with_values({"run.weeks": 25, "run.burn_in_weeks": 15, "policy.start_week": 3})
    shared = BurnIn()
    for kind in POLICY_TYPES:
        p = params.with_values({"policy.type": kind})
        direct, copied = simulate(p, seed=3), shared.simulate(p, 3)
        pdt.assert_frame_equal(direct.frame, copied.frame, obj=kind)
        pdt.assert_frame_equal(direct.moves, copied.moves, obj=kind)


# ---- backends ---------------------------------------------------------------------------------------------

def test_process_pool_gives_the_same_table(reference, tiny, tmp_path):
    report = run_sweep(tiny, out=tmp_path / "pool", workers=2, chunk_size=1, progress=False)
    assert report.backend == "processes" and report.succeeded == 6
    assert_same(load_results(tmp_path / "pool"), reference[1])


def test_dask_gives_the_same_table(reference, tiny, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        report = run_sweep(tiny, out=tmp_path / "dask", scheduler=cluster.scheduler_address, chunk_size=2, progress=False)
    assert report.backend == "dask" and report.succeeded == 6
    assert_same(load_results(tmp_path / "dask"), reference[1])


# ---- resume -----------------------------------------------------------------------------------------------

def test_deleted_part_is_redone_on_resume(reference, tiny, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(reference[0], out)
    victim = sorted((out / "results").glob("part-*.parquet"))[0]
    lost = set(pd.read_parquet(victim)["run_id"])
    victim.unlink()
    report = run_sweep(tiny, out=out, workers=1, resume=True, progress=False)
    assert report.ran == len(lost) and report.pending == 0
    res = load_results(out)
    no_duplicates(res)
    assert_same(res, reference[1])
    # A plain re-run skips everything.
    assert run_sweep(tiny, out=out, workers=1, progress=False).ran == 0


def test_interrupted_sweep_resumes_to_the_same_table(reference, tiny, tmp_path):
    out = tmp_path / "interrupted"
    seen = []

    def stop_after_first(info):
        seen.append(info)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(tiny, out=out, workers=2, chunk_size=1, progress=False, on_chunk=stop_after_first)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and 0 < m["counts"]["pending"] < 6
    assert not list(out.glob("*/.*.part"))
    partial = load_results(out)
    no_duplicates(partial)
    report = run_sweep(tiny, out=out, workers=1, resume=True, progress=False)
    assert report.already == 6 - m["counts"]["pending"] and report.pending == 0
    res = load_results(out)
    no_duplicates(res)
    assert_same(res, reference[1])
    assert [s["backend"] for s in json.loads((out / "manifest.json").read_text())["sessions"]] == ["processes", "serial"]


def test_failed_run_is_recorded_and_the_rest_complete(reference, tiny, tmp_path, failing_runs, monkeypatch):
    out = tmp_path / "failing"
    failing_runs({"p00001-r0000"})
    report = run_sweep(tiny, out=out, workers=1, progress=False)
    assert (report.succeeded, report.failed, report.pending) == (5, 1, 0)
    res = load_results(out)
    assert list(res.errors["run_id"]) == ["p00001-r0000"]
    err = res.errors.iloc[0]
    assert "injected failure" in err["error"] and "Traceback" in err["traceback"]
    assert err["policy.type"] == "case_by_case" and err["policy.raid_frequency"] == 96.0 and err["replication"] == 0
    assert set(res.measures["run_id"]) == set(reference[1].measures["run_id"]) - {"p00001-r0000"}
    # Failures are not retried by a plain re-run, and are with --retry-failed (no duplicate left behind).
    monkeypatch.undo()
    assert run_sweep(tiny, out=out, workers=1, progress=False).ran == 0
    report = run_sweep(tiny, out=out, workers=1, progress=False, retry_failed=True)
    assert (report.ran, report.failed_total) == (1, 0)
    assert_same(load_results(out), reference[1])


def test_failing_counterfactual_fails_its_runs_only(tiny, tmp_path, failing_runs):
    failing_runs({"c00000-r0001"})
    report = run_sweep(tiny, out=tmp_path / "cf", workers=1, progress=False)
    res = load_results(tmp_path / "cf")
    assert set(res.errors["run_id"]) == {"c00000-r0001", "p00000-r0001", "p00001-r0001"}
    assert report.succeeded == 3 and res.errors["error"].str.contains("counterfactual|injected").all()


def test_results_folder_of_another_design_is_refused(reference, tmp_path):
    other = write(tmp_path, TINY.replace("seed = 7", "seed = 8"))
    with pytest.raises(StoreError, match="different experiment"):
        run_sweep(other, out=reference[0], workers=1, progress=False)
    with pytest.raises(StoreError, match="nothing to resume"):
        run_sweep(other, out=tmp_path / "new", workers=1, resume=True, progress=False)


# ---- experiment files ------------------------------------------------------------------------------------

BAD = [
    ('"policy.raid_frequncy" = [1.0]', "factors.policy.raid_frequncy", "did you mean 'raid_frequency'"),
    ('"polcy.type" = ["none"]', "factors.polcy.type", "did you mean 'policy'"),
    ('"policy.type" = ["none", "hotsopt"]', "factors.policy.type[1]", "did you mean 'hotspot'"),
    ('"policy.raid_frequency" = ["often"]', "factors.policy.raid_frequency[0]", "wrong type"),
    ('"policy.raid_frequency" = [-5.0]', "factors.policy.raid_frequency[0]", "out of range"),
    ('"policy.raid_frequency" = {start = 10, step = 0, end = 50}', "factors.policy.raid_frequency.step", "never gets"),
    ('"policy.raid_frequency" = {start = 10, end = 50}', "factors.policy.raid_frequency range lacks step", ""),
    ('"run.seed" = [1, 2]', "factors.run.seed", "cannot be set"),
    ('"policy.jurisdictions" = [["Atlantis"]]', "policy.jurisdictions names 'Atlantis'", "not a jurisdiction"),
]


@pytest.mark.parametrize(("factor", "key", "words"), BAD)
def test_bad_factor_names_file_and_key(tmp_path, factor, key, words):
    path = write(tmp_path, f'[experiment]\nscenario = "{BASELINE}"\n[factors]\n{factor}\n')
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    text = str(info.value)
    assert str(path) in text and key in text and words in text


@pytest.mark.parametrize(("text", "key", "words"), [
    ('[experiment]\nscenario = "nowhere.toml"\n', "experiment.scenario", "not found"),
    ('[experiment]\nscenario = "{b}"\nreplicatons = 3\n', "experiment.replicatons", "did you mean 'replications'"),
    ('[experiment]\nscenario = "{b}"\nreplications = 0\n', "experiment.replications", "not allowed"),
    ('[experiment]\nscenario = "{b}"\nmeasures = ["persistence.persistance_workers"]\n', "persistence.persistance_workers",
     "did you mean 'persistence.persistence_workers'"),
    ('[experiment]\nscenario = "{b}"\nmeasures = ["counterfactual.victim_weeks_averted"]\n', "counterfactual.victim_weeks_averted",
     "needs experiment.counterfactual = true"),
    ('[experiment]\nscenario = "{b}"\nseries = ["workers_hled"]\n', "experiment.series", "did you mean 'workers_held'"),
    ('[experiment]\nscenario = "{b}"\n[factor]\n', "[factor]", "did you mean 'factors'"),
    ('[experiment]\nscenario = "{b}"\n[set]\n"policy.start_week" = -3\n', "set.policy.start_week", "out of range"),
    ('[experiment]\nscenario = "{b}"\n[sample]\ncount = 4\nbounds = {{"relocation.base_cost" = [5.0, 1.0]}}\n',
     "sample.bounds.relocation.base_cost", "low <= high"),
    ('[experiment]\nscenario = "{b}"\n[factors]\n"policy.raid_frequency" = [1.0]\n[[points]]\n"policy.raid_frequency" = 2.0\n',
     "policy.raid_frequency is both", "vary it in one place"),
    ('[experiment]\nscenario = "{b}"\n[[points]]\n"relocation.base_cost" = 2.0\n[sample]\ncount = 2\n'
     'bounds = {{"relocation.base_cost" = [1.0, 5.0]}}\n', "relocation.base_cost is both in [[points]] and in [sample]",
     "vary it in one place"),
    ('[experiment\n', "not valid TOML", ""),
])
def test_bad_experiment_names_file_and_key(tmp_path, text, key, words):
    path = write(tmp_path, text.format(b=BASELINE))
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert str(path) in str(info.value) and key in str(info.value) and words in str(info.value)


def test_design_forms(tmp_path):
    path = write(tmp_path, f"""
[experiment]
scenario = "{BASELINE}"
[factors]
policy.type = ["none", "case_by_case"]                        # a nested key works as well as a quoted one
"policy.raid_frequency" = {{ start = 12, step = 12, end = 48 }}  # BehaviorSpace range, end included
[sample]
count = 5
seed = 3
bounds = {{ "relocation.base_cost" = [1e5, 5e6], "relocation.weeks" = [1, 9] }}
""")
    exp = load_experiment(path)
    assert exp.name == "exp" and exp.parameters == ("policy.type", "policy.raid_frequency", "relocation.base_cost", "relocation.weeks")
    assert len(exp.points) == 2 * 4 * 5
    freqs = sorted({p.as_dict["policy.raid_frequency"] for p in exp.points})
    assert freqs == [12.0, 24.0, 36.0, 48.0]
    costs = [p.as_dict["relocation.base_cost"] for p in exp.points[:5]]
    # Latin hypercube: one sample in each fifth of the range; whole-number parameters stay whole.
    strata = sorted(int((c - 1e5) / (5e6 - 1e5) * 5) for c in costs)
    assert strata == [0, 1, 2, 3, 4]
    assert all(isinstance(p.as_dict["relocation.weeks"], int) for p in exp.points)
    assert exp.points == load_experiment(path).points  # samples are seeded
    # The counterfactual is shared by points with the same non-policy values: one group per sample.
    assert len(exp.groups) == 5
    points = write(tmp_path, f'[experiment]\nscenario = "{BASELINE}"\n[[points]]\n"policy.type" = "none"\n'
                             f'[[points]]\n"policy.type" = "case_by_case"\n"policy.raid_frequency" = 48.0\n', "points.toml")
    exp = load_experiment(points)
    assert [p.as_dict for p in exp.points] == [{"policy.type": "none"},
                                               {"policy.type": "case_by_case", "policy.raid_frequency": 48.0}]


def test_latin_hypercube_is_seeded_and_stratified():
    from scipy.stats import qmc

    from sim.common.stats import latin_hypercube

    u = latin_hypercube(8, 3, seed=11)
    assert u.shape == (8, 3) and ((u >= 0) & (u < 1)).all()
    for j in range(3):  # one point in each eighth of every dimension
        assert sorted((u[:, j] * 8).astype(int)) == list(range(8))
    assert np.array_equal(u, latin_hypercube(8, 3, seed=11))
    assert not np.array_equal(u, latin_hypercube(8, 3, seed=12))
    assert np.array_equal(u, qmc.LatinHypercube(d=3, seed=11).random(8))  # the sampler calibration uses


def test_sample_seed_defaults_to_the_experiment_seed(tmp_path):
    text = f'[experiment]\nscenario = "{BASELINE}"\nseed = SEED\n[sample]\ncount = 4\nbounds = {{ "relocation.base_cost" = [1e5, 5e6] }}\n'
    a = load_experiment(write(tmp_path, text.replace("SEED", "5"), "a.toml"))
    b = load_experiment(write(tmp_path, text.replace("SEED", "5").replace("count = 4", "count = 4\nseed = 5"), "b.toml"))
    c = load_experiment(write(tmp_path, text.replace("SEED", "6"), "c.toml"))
    assert a.points == b.points and a.points != c.points


def test_shipped_experiments_are_valid():
    quick = load_experiment(ROOT / "experiments" / "quick.toml")
    assert quick.weeks <= 52 and len(quick.points) * quick.replications <= 12
    douglas = load_experiment(ROOT / "experiments" / "douglas.toml")
    types = {p.as_dict["policy.type"] for p in douglas.points}
    freqs = {p.as_dict["policy.raid_frequency"] for p in douglas.points}
    assert len(types) >= 5 and len(freqs) >= 6 and douglas.replications >= 20
    assert douglas.weeks == 260 and douglas.counterfactual and len(douglas.groups) == 1
    phase = load_experiment(ROOT / "experiments" / "phase.toml")
    assert {"relocation.base_cost", "policy.raid_frequency"} <= set(phase.parameters)
    assert all(is_experiment_file(ROOT / "experiments" / f) for f in ("quick.toml", "douglas.toml", "phase.toml"))
    assert not is_experiment_file(BASELINE)


# ---- command line and figures --------------------------------------------------------------------------

def cli(argv: list[str]) -> int:
    from sim.cli.sweep import register

    parser = argparse.ArgumentParser(prog="scamsim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_sweep_and_plot(reference, tiny, tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli(["sweep", str(tiny), "--workers", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "6 runs" in captured.out and "runs/s" in captured.err  # plain progress lines when not a terminal
    assert_same(load_results(out), reference[1])
    assert cli(["sweep", str(tiny), "--workers", "1", "--out", str(out), "--resume"]) == 0
    assert "6 already done" in capsys.readouterr().out

    fig = tmp_path / "fig" / "persistence"
    assert cli(["plot", str(out), "--x", "policy.type", "--y", "counterfactual.persistence_vs_counterfactual_workers",
                "--out", str(fig)]) == 0
    png, svg = fig.with_suffix(".png"), fig.with_suffix(".svg")
    first = png.read_bytes(), svg.read_bytes()
    assert first[0][:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in first[1]
    assert cli(["plot", str(out), "--x", "policy.type", "--y", "counterfactual.persistence_vs_counterfactual_workers",
                "--out", str(fig)]) == 0
    assert (png.read_bytes(), svg.read_bytes()) == first  # reproducible bytes
    assert cli(["plot", str(out)]) == 0
    written = capsys.readouterr().out
    assert "relocation-distance.png" in written and "relocation-distance.svg" in written
    assert cli(["plot", str(out), "--kind", "heatmap", "--x", "policy.type", "--hue", "replication_seed"]) == 2
    assert "not a parameter" in capsys.readouterr().err
    # The policy applies everywhere, so no jurisdiction is left to displace into: the share is undefined.
    assert cli(["plot", str(out), "--y", "displacement.displacement_share"]) == 2
    assert "undefined (NaN) in every selected run" in capsys.readouterr().err


def test_cli_bad_input_exits_2(tmp_path, capsys):
    bad = write(tmp_path, f'[experiment]\nscenario = "{BASELINE}"\n[factors]\n"policy.tyep" = ["none"]\n')
    assert cli(["sweep", str(bad), "--workers", "1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}: factors.policy.tyep" in err and "did you mean 'type'" in err
    assert not (tmp_path / "x").exists()
    assert cli(["plot", str(tmp_path)]) == 2
    assert cli(["sweep", str(bad), "--workers", "0"]) == 2


# ---- measure names -----------------------------------------------------------------------------------------

def test_declared_measure_names_are_the_keys_of_a_real_summary():
    """sim.measures.names lists what summarise reports: a change to one must change the other."""
    from sim.measures.names import COUNTERFACTUAL_PREFIX, DESCRIPTIVE_KEYS, MEASURE_LABELS, MEASURES
    from sim.scenario.loader import load_scenario

    params = load_scenario(BASELINE).params.with_values({"run.weeks": 30, "run.burn_in_weeks": 10, "policy.start_week": 10,
                                                         "policy.type": "case_by_case"})
    run, cf = simulate(params, seed=2), simulate(params.with_values({"policy.type": "none"}), seed=2)
    flat = flatten(summarise(run, cf))
    assert set(flat) == set(MEASURES) | set(DESCRIPTIVE_KEYS)
    assert tuple(k for k in flat if k not in DESCRIPTIVE_KEYS) == MEASURES  # the order "all" keeps
    assert all(v is None or isinstance(v, (bool, int, float, np.number)) for k, v in flat.items() if k in MEASURES)
    alone = flatten(summarise(run))
    assert set(alone) == set(flat) - {m for m in MEASURES if m.startswith(COUNTERFACTUAL_PREFIX)}
    assert set(DEFAULT_MEASURES) <= set(MEASURES) and set(MEASURE_LABELS) <= set(MEASURES)
