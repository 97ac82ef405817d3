"""scamsim works as an installed package: built as a wheel, installed into a fresh virtual environment and
run from a folder outside the checkout, with no PYTHONPATH, it finds its shipped scenarios, experiments and
notebooks and writes its outputs where it is run.

Slow: builds the wheel, makes a virtual environment and runs a simulation, a validation, the patterns
suite and a small brief (about two minutes on two cores). Nothing is downloaded except, when hatchling is not installed
here, the build backend itself: the new environment sees this environment's installed dependencies
through a .pth file, and the wheel is installed with --no-deps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from sim.common.resources import IN_CHECKOUT, SHIPPED

pytestmark = pytest.mark.slow


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{' '.join(result.args)} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | dict[str, str]]:
    """A fresh venv with the built wheel installed, and an environment for running it outside the checkout."""
    work = tmp_path_factory.mktemp("install")
    wheels = work / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, REPO]
    if importlib.util.find_spec("hatchling") is not None:
        build.insert(4, "--no-build-isolation")
    _ok(_run(build, cwd=work))
    [wheel] = wheels.glob("scamsim-*.whl")

    venv = work / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work))
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = Path(_ok(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work)).strip())
    # This environment's dependencies (mesa, numpy, ...), after the new venv's own site-packages.
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "scamsim_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    _ok(_run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel], cwd=work))

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    # Jupyter's data files (nbconvert's templates) of the borrowed dependencies; a real install has its own.
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH")) if p)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return {"venv": venv, "python": python, "scamsim": python.parent / "scamsim", "env": env, "cwd": elsewhere}


def _shipped(installed, folder: str, name: str) -> str:
    """The path of a shipped file, as the installed package finds it."""
    code = f"from sim.common.resources import shipped; print(shipped({folder!r}) / {name!r})"
    return _ok(_run([installed["python"], "-c", code], cwd=installed["cwd"], env=installed["env"])).strip()


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def test_the_installed_package_is_the_one_imported(installed):
    out = _ok(_run([installed["python"], "-c", "import json, sim; from sim.common.resources import shipped, source_root; "
                    "from sim.common.provenance import git_commit; "
                    "print(json.dumps([sim.__file__, str(shipped('scenarios')), str(source_root()), git_commit(), sim.__version__]))"],
                   cwd=installed["cwd"], env=installed["env"]))
    sim_file, scenarios, root, commit, version = json.loads(out)
    assert _inside(Path(sim_file), installed["venv"]) and not _inside(Path(sim_file), REPO), sim_file
    assert _inside(Path(scenarios), installed["venv"]) and Path(scenarios).parts[-2:] == ("_shipped", "scenarios")
    assert root == "None" and commit is None  # no checkout: the commit is unknown, not some other repository's
    assert version == tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_the_wheel_ships_every_scenario_experiment_and_notebook(installed):
    out = _ok(_run([installed["python"], "-c", "from sim.common.resources import SHIPPED, shipped; "
                    "print('\\n'.join(f'{d}/{p.relative_to(shipped(d)).as_posix()}' for d in SHIPPED "
                    "for p in sorted(shipped(d).rglob('*')) if p.is_file()))"], cwd=installed["cwd"], env=installed["env"]))
    packaged = set(out.split())
    in_checkout = {f"{d}/{p.relative_to(REPO / IN_CHECKOUT.get(d, d)).as_posix()}" for d in SHIPPED
                   for p in (REPO / IN_CHECKOUT.get(d, d)).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
    assert packaged == in_checkout
    assert {"scenarios/shocks/operation_1027.toml", "scenarios/calibration/mekong_ranges.toml",
            "headline_posterior/douglas/reduction_probability.csv", "headline_posterior/phase/provenance.json"} <= packaged


def test_run_writes_its_outputs_in_the_working_folder(installed):
    cwd = installed["cwd"]
    baseline = _shipped(installed, "scenarios", "baseline.toml")
    assert _inside(Path(baseline), installed["venv"])
    _ok(_run([installed["scamsim"], "run", baseline, "--weeks", "20", "--out", "run20"], cwd=cwd, env=installed["env"]))
    summary = json.loads((cwd / "run20" / "summary.json").read_text(encoding="utf-8"))
    assert summary["provenance"]["weeks"] == 20 and summary["provenance"]["git_commit"] is None
    lines = (cwd / "run20" / "timeseries.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 20 and lines[0].startswith("week,")
    assert (cwd / "run20" / "overview.png").stat().st_size > 1000


def test_validate_reads_a_shipped_scenario_that_extends_another(installed):
    shock = _shipped(installed, "scenarios", "shocks/cambodia_2022.toml")  # extends = "../mekong.toml"
    _ok(_run([installed["scamsim"], "validate", shock], cwd=installed["cwd"], env=installed["env"]))
    bad = installed["cwd"] / "bad.toml"
    bad.write_text('extends = "no_such.toml"\n', encoding="utf-8")
    assert _run([installed["scamsim"], "validate", bad], cwd=installed["cwd"], env=installed["env"]).returncode == 2


def test_patterns_runs_the_default_shipped_scenario(installed):
    out = _ok(_run([installed["scamsim"], "patterns", "--replications", "2"], cwd=installed["cwd"], env=installed["env"]))
    assert "Holm over" in out and "Calibration targets" in out and "Input checks" in out
    assert "(n=2)" in out and "(n=10)" not in out  # the two replications asked for


def test_brief_runs_a_shipped_notebook_and_writes_here(installed):
    cwd = installed["cwd"]
    out = _ok(_run([installed["scamsim"], "brief", "02", "--small"], cwd=cwd, env=installed["env"]))
    written = cwd / "briefs" / "02_where_raids_work-small.html"
    assert "briefs/02_where_raids_work-small.html" in out and written.is_file()
    text = written.read_text(encoding="utf-8")
    assert "not for citation" in text and "data:image/png;base64," in text
    assert "notebooks/02_where_raids_work.ipynb" in text and "unknown (not run from a git checkout)" in text
    assert not (cwd / "results").exists()  # small mode runs into a temporary folder, not into results/


def test_paramdoc_asks_for_a_path_when_installed(installed):
    result = _run([installed["python"], "-m", "sim.scenario.paramdoc", "--check"], cwd=installed["cwd"], env=installed["env"])
    assert result.returncode == 2 and "--path" in result.stderr
    target = installed["cwd"] / "parameters.md"
    _ok(_run([installed["python"], "-m", "sim.scenario.paramdoc", "--write", "--path", target], cwd=installed["cwd"], env=installed["env"]))
    assert target.read_text(encoding="utf-8").startswith("# Parameter reference")
