"""The policy briefs (notebooks/*.ipynb) execute in small mode and export to standalone HTML.

Slow: each notebook runs a reduced experiment (about half a minute to a minute on two cores).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

import pytest

from sim.briefs import briefing
from sim.cli import brief as brief_command
from sim.common.errors import EXIT_BAD_INPUT
from sim.common.resources import shipped

NOTEBOOKS = sorted((briefing.NOTEBOOK_DIR).glob("*.ipynb"))


def test_notebooks_are_committed_clean() -> None:
    assert [p.stem for p in NOTEBOOKS] == list(briefing.NOTEBOOKS)
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"{path} has outputs"
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path} needs exactly one cell tagged 'parameters'"
        assert "small = False" in "".join(tagged[0]["source"])


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_brief_executes_and_exports(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{path.stem}.html"
    temp = Path(tempfile.gettempdir())
    before = {p.name for p in temp.glob("scamsim-brief-*")}
    written = briefing.brief(path, out=out, small=True)
    assert written == out and out.is_file()
    assert {p.name for p in temp.glob("scamsim-brief-*")} <= before  # no temporary folders left behind
    assert re.search(r"cell 1 of (\d+).*cell \1 of \1", capsys.readouterr().err, flags=re.S)  # progress, cell by cell
    text = out.read_text(encoding="utf-8")
    summary = re.search(r"<h2[^>]*>Summary.*?(?=<h2)", text, flags=re.S).group(0)
    # A small brief is a check of the pipeline: it says so and states no verdict, anywhere.
    assert "A check of the pipeline, not a finding" in summary
    assert not [v for v in briefing.VERDICTS if v in text]
    if path.stem in ("01_does_raiding_work", "02_where_raids_work"):  # the calibrated answer, from committed full runs
        assert "On the calibrated Mekong region, with the parameters" in summary and "headline_posterior/" in text
    assert str(temp) not in text and "scamsim-brief-" not in text  # no temporary paths printed
    assert "Produced on" in text and "References" in text and "Appendix" in text
    # the key chart comes before the explanation of the question
    assert text.index("data:image/png;base64,") < text.index(">The question<") if ">The question<" in text else True
    assert "data:image/png;base64," in text  # figures embedded, not linked
    assert re.search(r"<h2[^>]*>Summary", text)
    assert "not for citation" in text
    assert "Provenance" in text and briefing.sim.__version__ in text
    body = re.sub(r"<style.*?</style>|<script.*?</script>", "", text, flags=re.S)
    # no input code: neither code editors nor prompts nor the notebook's own code
    assert "jp-CodeMirrorEditor" not in body and "jp-InputPrompt" not in body
    assert "briefing.obtain(" not in body and "import matplotlib" not in body
    # no error or warning output
    assert "Traceback" not in body and "application/vnd.jupyter.stderr" not in body


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scamsim")
    sub = parser.add_subparsers(dest="command", required=True)
    brief_command.register(sub)
    return parser


def test_brief_command_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["brief", "no_such_notebook", "--out", str(tmp_path / "x.html")])
    assert args.func(args) == EXIT_BAD_INPUT
    assert "no such notebook" in capsys.readouterr().err
    args = _parser().parse_args(["brief", "01", "--small", "--results", str(tmp_path / "missing"),
                                 "--out", str(tmp_path / "x.html")])
    assert args.func(args) == EXIT_BAD_INPUT
    assert "not a results folder" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_results_are_looked_for_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """results/NAME is the user's, next to where scamsim runs, not inside the package or the checkout."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "phase").mkdir(parents=True)
    (tmp_path / "results" / "phase" / "manifest.json").write_text("{}", encoding="utf-8")  # not a manifest the store accepts
    with pytest.raises(briefing.BriefingError, match=r"results_dir results/phase: results/phase/manifest\.json"):
        briefing.obtain("experiments/phase.toml")  # the shipped experiment, found from any folder


def test_notebooks_and_experiments_are_the_shipped_ones() -> None:
    assert shipped("notebooks") == briefing.NOTEBOOK_DIR
    assert briefing.find_notebook("02") == shipped("notebooks") / "02_where_raids_work.ipynb"
    assert (briefing.SHIPPED_ROOT / "experiments" / "douglas.toml").is_file()


def test_analysis_and_briefs_do_not_import_the_cli() -> None:
    """Layers: sim.briefs is below sim.cli, so only sim/cli/brief.py knows about argparse and exit codes."""
    source = Path(briefing.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) (sim\.cli|argparse)\b", source, flags=re.M)
