"""docs/python.md: every ```python block runs, in order, in one namespace, with fewer weeks.

The blocks run in a temporary folder that holds links to the shipped scenarios and experiments, so the
sweep they write lands there, not in the checkout. ``WEEKS = 260`` is replaced by a short run.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from sim.common.resources import shipped

PAGE = Path(__file__).resolve().parents[1] / "docs" / "python.md"
SHORT_WEEKS = 70


def blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_page_has_examples_of_every_entry_point() -> None:
    code = "\n".join(blocks(PAGE.read_text(encoding="utf-8")))
    for name in ("simulate(", "simulate_pair(", "summarise(", "run_sweep(", "load_results(", "hooks.subscribe(", "run_once(",
                 "ema_model("):
        assert name in code, f"docs/python.md shows no {name}"
    assert "WEEKS = 260" in code


@pytest.mark.slow
def test_every_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("scenarios", "experiments"):
        (tmp_path / folder).symlink_to(shipped(folder), target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    outputs = []
    for i, block in enumerate(blocks(PAGE.read_text(encoding="utf-8"))):
        code = block.replace("WEEKS = 260", f"WEEKS = {SHORT_WEEKS}")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"docs/python.md block {i + 1}", "exec"), namespace)
        outputs.append(out.getvalue())
    text = "\n".join(outputs)
    assert "coordinated" in text and "cannot differ" in text  # Laos alone: coordination is case by case
    assert "too few runs" in text or "one run: no interval" in text
    report = namespace["report"]
    assert (report.succeeded, report.failed) == (9, 0)  # 2 policy types x 3 replications, and 3 counterfactuals
    assert (tmp_path / "results" / "py_compare" / "manifest.json").is_file()
    model = namespace["model"]
    assert model.week == SHORT_WEEKS
    raids = model.log.frame()["raids"].sum()
    assert raids > 0 and sum(namespace["raids"].values()) == raids  # the hook saw every raid the weekly log counts


def test_the_first_examples_print_what_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page shows real output: its first two examples, run at the page's own ``WEEKS = 260``, print exactly it.

    A deliberate change of results regenerates the page's outputs in the same commit (they went stale before).
    """
    for folder in ("scenarios", "experiments"):
        (tmp_path / folder).symlink_to(shipped(folder), target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    text = PAGE.read_text(encoding="utf-8")
    shown = re.findall(r"^Output \(with `WEEKS = 260`\):\n\n```text\n(.*?)^```", text, flags=re.S | re.M)
    namespace: dict = {}
    for block, expected in zip(blocks(text)[:2], shown[:2], strict=True):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "docs/python.md", "exec"), namespace)
        assert out.getvalue() == expected
