"""The ``scamsim`` command as a user runs it: exit codes, messages on stderr, byte-identical outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import BASELINE, REPO, SCENARIOS

from sim.cli.common import EXIT_BAD_INPUT
from sim.cli.main import main

OUTPUTS = ("timeseries.csv", "relocations.csv", "overview.png", "summary.json")


def scamsim_run(cmd: list[str], *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


BAD_SCENARIO = """\
[run]
weeks = "many"

[policy]
type = "case_by_case"
raid_frequncy = 12.0
"""


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_SCENARIO)
    return path


def assert_reports_bad_file(proc: subprocess.CompletedProcess, path: Path) -> None:
    assert proc.returncode == EXIT_BAD_INPUT == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 2, proc.stderr
    assert all(f"{path}:" in line for line in lines)
    assert any("run.weeks" in line for line in lines)
    assert any("policy.raid_frequncy" in line and "did you mean 'raid_frequency'?" in line for line in lines)
    assert "error" not in proc.stdout


def test_validate_shipped_scenarios_exits_zero(scamsim):
    files = sorted(str(p.relative_to(REPO)) for p in SCENARIOS.glob("*.toml"))
    assert files
    proc = scamsim_run(scamsim, "validate", *files)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"ok: {f}" for f in files]


def test_validate_bad_file_exits_2_with_messages_on_stderr(scamsim, bad_file):
    proc = scamsim_run(scamsim, "validate", str(bad_file))
    assert_reports_bad_file(proc, bad_file)


def test_validate_mixed_files_reports_each(scamsim, bad_file):
    proc = scamsim_run(scamsim, "validate", str(BASELINE), str(bad_file))
    assert proc.returncode == 2
    assert f"ok: {BASELINE}" in proc.stdout
    assert f"ok: {bad_file}" not in proc.stdout


def test_run_bad_file_exits_2_and_writes_nothing(scamsim, bad_file, tmp_path):
    out = tmp_path / "out"
    proc = scamsim_run(scamsim, "run", str(bad_file), "--out", str(out))
    assert_reports_bad_file(proc, bad_file)
    assert not out.exists()


def test_run_bad_override_exits_2(scamsim, tmp_path):
    out = tmp_path / "out"
    proc = scamsim_run(scamsim, "run", str(BASELINE), "--set", "labour.atrition=0.1", "--out", str(out))
    assert proc.returncode == 2
    assert "labour.atrition" in proc.stderr and "did you mean 'attrition'?" in proc.stderr
    assert not out.exists()


def test_run_missing_file_exits_2(scamsim, tmp_path):
    missing = tmp_path / "missing.toml"
    proc = scamsim_run(scamsim, "run", str(missing), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert str(missing) in proc.stderr


def test_same_command_twice_gives_identical_outputs(scamsim, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        proc = scamsim_run(scamsim, "run", "scenarios/baseline.toml", "--weeks", "60", "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        for name in OUTPUTS:
            assert (out / name).is_file(), name
    for name in ("timeseries.csv", "relocations.csv", "overview.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between identical runs"
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    ca, cb = sa["provenance"].pop("command"), sb["provenance"].pop("command")
    assert ca == f"scamsim run scenarios/baseline.toml --weeks 60 --out {a}"
    assert cb == f"scamsim run scenarios/baseline.toml --weeks 60 --out {b}"
    assert sa == sb
    # The text of summary.json differs only on the command line.
    la, lb = ((d / "summary.json").read_text().splitlines() for d in (a, b))
    differing = [(x, y) for x, y in zip(la, lb, strict=True) if x != y]
    assert len(differing) == 1 and '"command"' in differing[0][0]
    # The run did something worth comparing: 60 weeks, raids after the policy start (week 52), moves.
    assert sa["provenance"]["weeks"] == 60 and sa["provenance"]["seed"] == 1
    assert sa["enforcement_since_policy"]["raids"] > 0
    assert len((a / "relocations.csv").read_text().splitlines()) > 1


def test_seed_option_changes_the_run(tmp_path, capsys):
    # In-process (the same main() the console script calls) to save an interpreter start.
    a, b = tmp_path / "seed1", tmp_path / "seed2"
    for out, seed in ((a, "1"), (b, "2")):
        assert main(["run", str(BASELINE), "--weeks", "20", "--seed", seed, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert json.loads((b / "summary.json").read_text())["provenance"]["seed"] == 2
    assert (a / "timeseries.csv").read_bytes() != (b / "timeseries.csv").read_bytes()


def test_every_subcommand_has_working_help(capsys):
    """argparse formats help lazily: a stray % in a help string only breaks when someone asks for help."""
    from sim.cli.main import build_parser, main

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in ["", *sub.choices]:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"] if name else ["--help"])
        assert exc.value.code == 0
    assert "sweep" in capsys.readouterr().out
