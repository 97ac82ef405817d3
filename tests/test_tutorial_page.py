"""docs/tutorial.md shows real output: its `scamsim run` commands, run as the page runs them, print what it shows.

The page builds `my_scenario.toml` in steps (empty, then with a typo, then fixed); the commands run here on the same
files in a temporary folder that links the shipped scenarios. A deliberate change of results regenerates the page's
outputs in the same commit (they went stale before).
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.common.resources import shipped

PAGE = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def consoles(text: str) -> list[str]:
    return re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M)


def shown_runs(console: str) -> list[tuple[list[str], str]]:
    """Each `$ scamsim run ...` of a console block and the stdout lines the page shows after it."""
    out, lines = [], console.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("$ scamsim run "):
            shown = []
            for after in lines[k + 1:]:
                if after.startswith("$ "):
                    break
                if not re.match(r"^\S+: week \d+/\d+$", after):  # progress lines are on stderr
                    shown.append(after)
            out.append((shlex.split(line[2:])[1:], "\n".join(shown) + "\n"))
    return out


@pytest.mark.slow
def test_the_tutorials_runs_print_what_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios").symlink_to(shipped("scenarios"), target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    text = PAGE.read_text(encoding="utf-8")
    blocks = consoles(text)
    scenario = re.findall(r"^```toml\n(.*?)^```", text, flags=re.S | re.M)[0].replace("raid_frequncy", "raid_frequency")
    runs = shown_runs(blocks[0]) + [run for block in blocks[1:] for run in shown_runs(block)]
    assert len(runs) == 3  # the empty scenario, the fixed one against its counterfactual, and with --set
    Path("my_scenario.toml").write_text("")
    for k, (args, expected) in enumerate(runs):
        if k == 1:
            Path("my_scenario.toml").write_text(scenario)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(args) == 0
        assert out.getvalue() == expected, args
