"""Bad input never reaches the user as a traceback: it exits 2, names the file and the key, writes nothing.

Property-based tests (Hypothesis) generate malformed scenario tables, mutated scenario files and
command-line flags; explicit cases pin down the defects found by hand (issue 15).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASELINE, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.main import main
from sim.params.declarations import SECTIONS, Params
from sim.scenario.loader import TOP_LEVEL, ScenarioError, load_scenario, params_from_dict
from sim.scenario.mapspec import MAP_KEYS

PARAM_KEYS = sorted({f for cls in SECTIONS.values() for f in cls.__dataclass_fields__})
NAMES = st.sampled_from([*TOP_LEVEL, *MAP_KEYS, *PARAM_KEYS, "A", "B", "symbol", "governance", "kind"]) | st.text(max_size=8)
SCALARS = (st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4), max_leaves=12)
SCENARIO_TABLES = st.dictionaries(NAMES, VALUES | st.dictionaries(NAMES, VALUES, max_size=5), max_size=6)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _where_named(problems: list[str], where: str) -> bool:
    return all(p.startswith((f"{where}:", "--set")) for p in problems)


@FAST
@given(data=SCENARIO_TABLES)
def test_any_table_is_accepted_or_rejected_with_named_problems(data):
    try:
        params = params_from_dict(data, "gen.toml")
    except ScenarioError as exc:
        assert exc.problems and _where_named(exc.problems, "gen.toml"), exc.problems
    else:
        assert isinstance(params, Params)


LINES = st.lists(st.tuples(st.sampled_from([*PARAM_KEYS, "layout", "symbol", "extends", "[run]", "[map]", "[policy]", "[zones]"]),
                           st.sampled_from(["1", "-5", "nan", "inf", "true", '"x"', "[1, 2]", "{a = 1}", "[[", "5e400", '"../x"'])),
                 min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=LINES, position=st.floats(min_value=0, max_value=1))
def test_mutated_scenario_files_validate_or_exit_2(tmp_path, capsys, lines, position):
    text = BASELINE.read_text().splitlines()
    at = int(position * len(text))
    inserted = [k if k.startswith("[") else f"{k} = {v}" for k, v in lines]
    path = tmp_path / "mutant.toml"
    path.write_text("\n".join(text[:at] + inserted + text[at:]) + "\n")
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.startswith(f"error: {path}") and "Traceback" not in err, err
        out = tmp_path / "out"
        assert main(["run", str(path), "--out", str(out)]) == 2
        assert not out.exists()


BAD_FLAGS = [("--set", v) for v in ("run.weeks=0", "run.weeks=-1", "policy.type=raids", 'policy.jurisdictions=["Atlantis"]', "nosection",
                                     "bogus.key=1", "market.revenue_per_worker_day=nan", 'run.name="../x"', "map.layout=5")]
BAD_FLAGS += [("--weeks", "-1"), ("--weeks", "0"), ("--weeks", "x"), ("--seed", "-2"), ("--seed", "1e9")]
ANY_SET = [("--set", v) for v in ("run.weeks=3", "policy.raid_frequency=12", "run.seed=4")] + BAD_FLAGS[:9]
# The bad flag comes last, so no later flag can override it (the last value of a key wins).
FLAGS = st.tuples(st.lists(st.sampled_from(ANY_SET), max_size=2), st.sampled_from(BAD_FLAGS)).map(lambda t: [*t[0], t[1]])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(flags=FLAGS)
def test_bad_flags_exit_2_and_write_nothing(tmp_path, capsys, flags):
    out = tmp_path / "out"
    argv = ["run", str(BASELINE), "--out", str(out), *[x for pair in flags for x in pair]]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors (a non-integer --weeks) exit 2 too
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert "Traceback" not in err
    assert not out.exists()


# ---- the cases found by hand (issue 15, items 5, 11-14) ----------------------------------------------

def _problems(tmp_path: Path, text: str, name: str = "s.toml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return exc.value.problems


LAYOUT = '[map]\nlayout = ["AB"]\n[jurisdictions.A]\nsymbol = "A"\n[jurisdictions.B]\nsymbol = "B"\n'


@pytest.mark.parametrize(("text", "words"), [
    ("jurisdictions = 5\n", "jurisdictions = 5 must be a table"),
    ('[map]\nlayout = ["AB"]\n[jurisdictions]\nJA = 5\n', "jurisdictions.JA = 5 must be a table"),
    (LAYOUT + "[zones]\nZ1 = \"x\"\n", "zones.Z1 = 'x' must be a table"),
    ('zones = "x"\n' + LAYOUT, "zones = 'x' must be a table"),
    ("map = 3\n", "map = 3 must be a table"),
    (LAYOUT.replace('symbol = "B"', 'symbol = "B"\ngovernance = true'), "governance = True has the wrong type"),
    (LAYOUT + '[zones.Z]\nsymbol = "z"\n', "zones.Z (symbol 'z') has no cell in map.zones"),
    (LAYOUT + '[run]\nname = "../../x"\n', "run.name = '../../x' must be usable as one folder name"),
    (LAYOUT + '[run]\nname = "/abs/x"\n', "run.name = '/abs/x' must be usable as one folder name"),
    ("x = " + "{a = " * 600 + "1" + "}" * 600 + "\n", "nested too deeply"),
])
def test_malformed_scenarios_name_file_and_key(tmp_path, text, words):
    problems = _problems(tmp_path, text)
    assert any(words in p for p in problems), problems
    assert _where_named(problems, str(tmp_path / "s.toml"))


def test_long_extends_chains_are_refused(tmp_path):
    (tmp_path / "c0.toml").write_text(BASELINE.read_text())
    for i in range(1, 60):
        (tmp_path / f"c{i}.toml").write_text(f'extends = "c{i - 1}.toml"\n')
    assert load_scenario(tmp_path / "c20.toml").params.run.name == "baseline"
    problems = _problems(tmp_path, 'extends = "c59.toml"\n', "top.toml")
    assert any("longer than" in p for p in problems), problems


def test_an_error_in_a_parent_is_reported_against_the_parent(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text(BASELINE.read_text().replace("weeks = 260", "weeks = -3"))
    problems = _problems(tmp_path, f'extends = "{parent.name}"\n[run]\nseed = 4\n', "child.toml")
    assert problems == [f"{parent}: run.weeks = -3 is out of range; allowed: from 1 to 5200, a finite number (weeks)"]


def test_a_bad_name_in_set_is_blamed_on_set():
    with pytest.raises(ScenarioError) as exc:
        load_scenario(BASELINE, ['policy.jurisdictions=["Atlantis"]'])
    assert exc.value.problems[0].startswith("--set: policy.jurisdictions names 'Atlantis'")


def test_validate_checks_every_file_after_a_bad_one(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("jurisdictions = 5\n")
    assert main(["validate", str(bad), str(BASELINE)]) == 2
    captured = capsys.readouterr()
    assert f"ok: {BASELINE}" in captured.out and str(bad) in captured.err


def test_the_readmes_validate_command_passes_on_every_shipped_file(capsys):
    """The README's first check (`scamsim validate scenarios/*.toml experiments/*.toml`) on what the project ships:
    scenarios, shocks, experiments, sensitivity and calibration specs and the record of observations."""
    files = sorted(map(str, (REPO / "scenarios").rglob("*.toml"))) + sorted(map(str, (REPO / "experiments").glob("*.toml")))
    assert main(["validate", *files]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.count("ok: ") == len(files) and "calibration.toml" in out and "observed_2023_2026.toml" in out


def test_validate_checks_calibration_specs_and_records_as_their_own_kinds(tmp_path, capsys):
    record, spec = tmp_path / "record.toml", tmp_path / "spec.toml"
    record.write_text('[[observation]]\nid = "x"\n')
    spec.write_text('[calibration]\nscenario = "nothere.toml"\n')
    assert main(["validate", str(record), str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{record}: observation 1 (x): 'measure' is missing" in err
    assert f"{spec} [calibration]: scenario = 'nothere.toml': no such file" in err
    assert "is not a known table" not in err  # not read as scenarios
    ranges = tmp_path / "ranges.toml"
    ranges.write_text('[calibration."labour.atrition"]\nlo = 0.1\nhi = 0.2\n[calibration."labour.attrition"]\nlo = 0.3\nhi = 0.2\n'
                      '[calibration."jurisdictions.Laos.governance"]\nlo = 0.1\nhi = 1.5\n'
                      '[calibration."zones.Z.kind"]\nlo = 0.1\nhi = 0.2\n')
    assert main(["validate", str(ranges)]) == 2
    err = capsys.readouterr().err
    for words in ('calibration."labour.atrition": not a parameter', 'calibration."labour.attrition": lo = 0.3 is above hi = 0.2',
                  "calibration.\"jurisdictions.Laos.governance\": 0.1 to 1.5 leaves the parameter's declared range",
                  "calibration.\"zones.Z.kind\": a zone has no numeric attribute 'kind'"):
        assert f"{ranges}: {words}" in err, err


def test_validate_names_the_kind_of_a_file_missing_its_main_table(tmp_path, capsys):
    sens = tmp_path / "sens.toml"
    sens.write_text('[uncertain]\n"market.revenue_per_worker_day" = [300.0, 400.0]\n')
    exp = tmp_path / "exp.toml"
    exp.write_text('[factors]\n"policy.raid_frequency" = [12.0, 24.0]\n')
    assert main(["validate", str(sens), str(exp)]) == 2
    err = capsys.readouterr().err
    assert f"{sens}: no [experiment] table" in err and f"{exp}: no [experiment] table" in err, err


@pytest.mark.parametrize(("flags", "words"), [
    (["--weeks", "-1"], "--weeks: run.weeks = -1 is out of range"),
    (["--seed", "-4"], "--seed: run.seed = -4 is out of range"),
    (["--weeks", "5", "--set", "run.weeks=3"], "--weeks and --set run.weeks both given"),
])
def test_flags_are_named_in_their_errors(tmp_path, capsys, flags, words):
    assert main(["run", str(BASELINE), "--out", str(tmp_path / "o"), *flags]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [
    ["sweep", str(REPO / "experiments" / "quick.toml"), "--out"],
    ["sensitivity", str(REPO / "experiments" / "sensitivity.toml"), "--out"],
    ["calibrate", str(REPO / "experiments" / "calibration.toml"), "--out"],
    ["replay", str(REPO / "scenarios" / "mekong.toml"), "--replications", "1", "--out"],
    ["patterns", str(BASELINE), "--replications", "1"],  # writes no folder
])
@pytest.mark.parametrize("workers", ["0", "-2", "257"])
def test_every_command_refuses_workers_out_of_range_alike(tmp_path, capsys, command, workers):
    """One check and one wording for ``--workers`` wherever a command starts worker processes."""
    out = tmp_path / "o"
    assert main([*command, *([str(out)] if command[-1] == "--out" else []), "--workers", workers]) == 2
    assert f"--workers: {workers} is out of range; allowed: 1 to 256" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["existing file", "under a file"])
def test_unusable_out_fails_before_running(tmp_path, capsys, kind):
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = afile if kind == "existing file" else afile / "run"
    started = time.perf_counter()
    assert main(["run", str(BASELINE), "--out", str(out)]) == 2
    assert time.perf_counter() - started < 5  # refused before the simulation (a run takes longer than its burn-in alone)
    assert "--out:" in capsys.readouterr().err
    assert afile.read_text() == "x"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, a folder whose permissions say writable")
def test_an_out_the_filesystem_refuses_fails_before_running(capsys):
    """/proc looks writable to root but takes no new folder: found before the simulation, not by a crash after it."""
    started = time.perf_counter()
    assert main(["run", str(BASELINE), "--out", "/proc/scamsim-out"]) == 2
    assert time.perf_counter() - started < 5
    assert "--out: /proc/scamsim-out cannot be created: /proc does not accept new folders" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_run_stopped_while_it_writes_leaves_no_folder_or_a_whole_one(tmp_path, sig):
    """Stopped at many moments (during the simulation and while files are written): never a partial folder."""
    complete = {"timeseries.csv", "relocations.csv", "summary.json", "overview.png"}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    for delay in (0.8, 1.4, 1.8, 2.0, 2.2, 2.4, 2.6, 3.0):
        out = tmp_path / f"run-{delay}"
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli.main", "run", str(BASELINE), "--weeks", "40", "--out", str(out)],
                                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()
        if out.exists():
            assert {p.name for p in out.iterdir()} == complete
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".run-{delay}")], "a partial folder was left behind"


# Parameters each within its range can still, together, drive a run past what it can represent (found by a
# random-combination fuzz of every declaration: a price elasticity of 8 on a margin 100 times its reference
# asked numpy for a Poisson draw of 2e19 recruits). The run stops with a message naming the parameters, as
# bad input does: exit 2, no traceback, nothing written.
RUNAWAY = ["--set", "recruitment.price_elasticity=10", "--set", "recruitment.margin_reference=1"]


def test_a_runaway_recruitment_market_is_named_not_a_traceback(tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["run", str(BASELINE), "--out", str(out), "--weeks", "5", "--set", "run.burn_in_weeks=0", *RUNAWAY])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "recruitment ran away" in err and "recruitment.price_elasticity" in err and "recruitment.margin_reference" in err
    assert not out.exists()


def test_the_runaway_bound_lets_the_neutral_market_through_and_stops_nan():
    from sim.params.markets import RecruitmentParams
    from sim.rules.recruitment import MAX_EXPECTED_RECRUITS, runaway

    p = RecruitmentParams()
    assert runaway(1200.0, 1200.0, p.margin_reference, p.demand_reference, 1.0, p) is None
    assert runaway(MAX_EXPECTED_RECRUITS, 1.0, 1.0, 1.0, 1.0, p) is None  # the bound itself is drawn
    assert runaway(MAX_EXPECTED_RECRUITS * 1.0001, 1.0, 1.0, 1.0, 1.0, p) is not None
    assert runaway(float("nan"), 1.0, 1.0, 1.0, 1.0, p) is not None  # NaN is no expectation either


def test_an_unexpected_error_is_one_line_and_exit_1_unless_debugging(tmp_path, capsys, monkeypatch):
    """A bug anywhere in a command reaches the user as one line that says it is a bug, with exit 1."""
    import sim.cli.run as run_cli

    def broken(args):
        raise ZeroDivisionError("a planted bug")

    monkeypatch.setattr(run_cli, "cmd_run", broken)
    monkeypatch.delenv("SCAMSIM_DEBUG", raising=False)
    assert main(["run", str(BASELINE), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ZeroDivisionError: a planted bug" in err and "SCAMSIM_DEBUG" in err
    monkeypatch.setenv("SCAMSIM_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["run", str(BASELINE), "--out", str(tmp_path / "o")])


def test_run_warns_of_a_policy_it_never_reaches_and_of_an_earlier_run_it_replaces(tmp_path, capsys):
    case = str(REPO / "scenarios" / "case_by_case.toml")
    out, short = tmp_path / "o", ["--weeks", "3", "--set", "run.burn_in_weeks=4"]
    assert main(["run", case, *short, "--set", "policy.start_week=52", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: the policy is first felt in week 52, after the run's last week (3)" in err
    assert "earlier run" not in err
    assert main(["run", case, *short, "--set", "policy.start_week=2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"note: {out} holds an earlier run, which this one replaces" in err and "first felt" not in err


def test_brief_without_its_extra_names_the_extra_not_a_bug(monkeypatch, capsys, tmp_path):
    """After a plain `pip install .` the notebook tools are missing: the command says which extra installs them."""
    monkeypatch.setitem(sys.modules, "nbconvert", None)  # importing it now raises ImportError, as when it is absent
    assert main(["brief", "01", "--small", "--out", str(tmp_path / "b.html")]) == 1
    err = capsys.readouterr().err
    assert "scamsim brief needs the 'briefs' extra (nbconvert is not installed)" in err and "bug" not in err
    assert not (tmp_path / "b.html").exists()
