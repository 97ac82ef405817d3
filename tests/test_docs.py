"""The documentation cannot drift from the code.

docs/parameters.md is generated from the parameter metadata (sim/scenario/paramdoc.py) and must match it exactly;
docs/outputs.md must document every output column and summary key; docs/ODD.md must keep the ODD
headings in order, follow the week as ``ScamModel.step`` runs it, and name only parameters that exist,
with their current defaults. Every page cites only what the repository holds (docs/references.md for
sources, no machine paths) and names only code that exists (``sim/...py`` paths, ``sim.x.y`` names,
private functions).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import re
from typing import Any

import pytest
from conftest import REPO, make_params

from sim.common.errors import EXIT_BAD_INPUT
from sim.core.model import ScamModel
from sim.measures.metrics import COLUMNS
from sim.measures.run import MOVE_COLUMNS, counterfactual_params, simulate, summarise
from sim.params.declarations import SECTIONS
from sim.scenario import paramdoc
from sim.scenario.loader import MAP_KEYS

DOCS = REPO / "docs"

ODD_HEADINGS = (
    "Purpose and patterns",
    "Entities, state variables, and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialization",
    "Input data",
    "Submodels",
)
DESIGN_CONCEPTS = (
    "Basic principles", "Emergence", "Adaptation", "Objectives", "Learning", "Prediction", "Sensing",
    "Interaction", "Stochasticity", "Collectives", "Observation",
)
#: `section.key` in backticks, optionally followed by ` = value` (a default the text states).
FILE_SUFFIXES = {"csv", "json", "png", "md", "toml", "py"}  # `relocations.csv` is a file, not a parameter
PARAM_REF = re.compile(r"`([a-z_]+)\.([a-z_0-9]+)`(?: = (\"[^\"]*\"|-?[0-9][0-9,]*(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|true|false))?")


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def prose(text: str) -> str:
    """Markdown without fenced code blocks (a ``#`` inside code is not a heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def headings(text: str, level: int) -> list[tuple[int, str]]:
    """(line number, title) of the headings of one level, with any leading numbering ("4.", "7.2") removed."""
    mark = "#" * level + " "
    return [(n, re.sub(r"^\d+(\.\d+)*\.?\s+", "", line[len(mark):]).strip())
            for n, line in enumerate(prose(text).splitlines()) if line.startswith(mark)]


# ---- (a) docs/parameters.md is what the code generates -----------------------------------------------

def test_parameters_md_is_generated_from_the_code():
    committed = read("parameters.md") if (DOCS / "parameters.md").exists() else ""
    generated = paramdoc.render()
    if committed != generated:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True),
                                            "docs/parameters.md (committed)", "sim.scenario.paramdoc.render() (now)", n=1))
        pytest.fail(f"docs/parameters.md is out of date with sim/params/declarations.py; regenerate it with "
                    f"`{paramdoc.REGENERATE}` (from the repository root)\n{diff[:5000]}")


def test_paramdoc_prints_and_writes_the_same_text(tmp_path, capsys):
    assert paramdoc.main([]) == 0
    assert capsys.readouterr().out == paramdoc.render()
    target = tmp_path / "docs" / "parameters.md"
    paramdoc.write(target)
    assert target.read_text(encoding="utf-8") == paramdoc.render()


def test_paramdoc_checks_the_checkout_file_and_names_other_files(tmp_path, capsys):
    assert paramdoc.doc_path() == DOCS / "parameters.md"
    assert paramdoc.main(["--check"]) == 0
    stale = tmp_path / "parameters.md"
    stale.write_text("old\n", encoding="utf-8")
    assert paramdoc.main(["--check", "--path", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert paramdoc.main(["--write", "--path", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == paramdoc.render()


def test_paramdoc_without_a_checkout_asks_for_a_path(tmp_path, monkeypatch, capsys):
    """An installed package has no docs/ folder: say so instead of writing inside site-packages."""
    monkeypatch.setattr(paramdoc, "source_root", lambda: None)
    assert paramdoc.main(["--write"]) == EXIT_BAD_INPUT
    assert "--path" in capsys.readouterr().err
    assert paramdoc.main(["--write", "--path", str(tmp_path / "p.md")]) == 0
    assert (tmp_path / "p.md").read_text(encoding="utf-8") == paramdoc.render()


def test_parameters_md_covers_every_parameter_and_map_key():
    text = paramdoc.render()
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            assert f"`{section}.{f.name}`" in text, f"{section}.{f.name} missing from the generated reference"
    for key in MAP_KEYS:
        assert f"`map.{key}`" in text
    assert "`extends" in text


# ---- (b) every parameter has a unit and a meaning ----------------------------------------------------

@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_parameter_has_a_unit_and_a_meaning(section):
    bad = [f"{section}.{f.name}" for f in dataclasses.fields(SECTIONS[section])
           if not str(f.metadata.get("unit") or "").strip() or not str(f.metadata.get("doc") or "").strip()]
    assert not bad, f"give these parameters a unit and a one-line meaning in sim/params/declarations.py: {bad}"


# ---- (c) outputs.md documents every output -----------------------------------------------------------

def test_every_timeseries_column_is_documented():
    text = read("outputs.md")
    missing = [c for c in COLUMNS if f"`{c}`" not in text]
    assert not missing, f"docs/outputs.md does not document these timeseries.csv columns: {missing}"


def test_every_relocation_column_and_comparison_column_is_documented():
    text = read("outputs.md")
    wanted = [*MOVE_COLUMNS, "workers_<Jurisdiction>", "cf_workers_held", "cf_revenue", "effect_workers_held", "effect_revenue"]
    missing = [c for c in wanted if f"`{c}`" not in text]
    assert not missing, f"docs/outputs.md does not document: {missing}"


def _dotted(d: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in d.items():
        name = f"{prefix}{key}"
        out += _dotted(value, f"{name}.") if isinstance(value, dict) else [name]
    return out


def test_every_summary_key_is_documented():
    params = make_params({"run.weeks": 60, "operators.initial": 12, "policy.type": "case_by_case", "policy.start_week": 5,
                          "policy.jurisdictions": ["A"]})
    run = simulate(params)
    cf = simulate(counterfactual_params(params))
    text = read("outputs.md")
    missing = [k for k in _dotted(summarise(run, cf)) if f"`{k}`" not in text]
    assert not missing, f"docs/outputs.md does not document these summary.json keys: {missing}"


# ---- (d) ODD.md has the ODD headings in order ------------------------------------------------------

def test_odd_has_the_seven_headings_in_order():
    titles = [t for _, t in headings(read("ODD.md"), 2)]
    for h in ODD_HEADINGS:
        assert titles.count(h) == 1, f"docs/ODD.md needs exactly one level-2 heading '{h}'; found {titles}"
    start = titles.index(ODD_HEADINGS[0])
    assert tuple(titles[start:start + len(ODD_HEADINGS)]) == ODD_HEADINGS, (
        f"docs/ODD.md's headings must be, in this order and with nothing between them: {ODD_HEADINGS}; found {titles}")


def test_odd_design_concepts_has_the_eleven_subheadings_in_order():
    text = read("ODD.md")
    h2 = dict((t, n) for n, t in headings(text, 2))
    lo, hi = h2["Design concepts"], h2["Initialization"]
    found = tuple(t for n, t in headings(text, 3) if lo < n < hi)
    assert found == DESIGN_CONCEPTS, f"Design concepts needs these sub-headings in order: {DESIGN_CONCEPTS}; found {found}"


# ---- (e) ODD.md names only parameters that exist, with their current defaults --------------------------

def _fields(section: str) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(SECTIONS[section])}


def test_odd_names_only_existing_parameters():
    text = read("ODD.md")
    stale, near_miss = [], []
    known_prefixes = [*SECTIONS, "map"]
    for m in PARAM_REF.finditer(text):
        section, key = m.group(1), m.group(2)
        if section in SECTIONS:
            if key not in _fields(section):
                stale.append(f"{section}.{key}")
        elif section == "map":
            if key not in MAP_KEYS:
                stale.append(f"map.{key}")
        elif key not in FILE_SUFFIXES and difflib.get_close_matches(section, known_prefixes, n=1, cutoff=0.85):
            near_miss.append(f"{section}.{key}")
    assert not stale, f"docs/ODD.md names parameters that do not exist in sim/params/declarations.py: {sorted(set(stale))}"
    assert not near_miss, f"docs/ODD.md names parameters of a misspelt section: {sorted(set(near_miss))}"


def _same(stated: str, default: Any) -> bool:
    if stated.startswith('"'):
        return stated.strip('"') == default
    if stated in ("true", "false"):
        return isinstance(default, bool) and (stated == "true") == default
    return isinstance(default, int | float) and not isinstance(default, bool) and float(stated.replace(",", "")) == float(default)


def test_odd_states_current_defaults():
    wrong = []
    for m in PARAM_REF.finditer(read("ODD.md")):
        section, key, stated = m.groups()
        if stated is None or section not in SECTIONS or key not in _fields(section):
            continue
        default = _fields(section)[key].default
        if not _same(stated, default):
            wrong.append(f"{section}.{key} = {stated} (default is {paramdoc.fmt_value(default)})")
    assert not wrong, f"docs/ODD.md states defaults that sim/params/declarations.py no longer has: {sorted(set(wrong))}"


# ---- ODD.md follows the week as ScamModel.step runs it --------------------------------------------------

#: A phase of the week as ``ScamModel.step`` calls it: ``phases.decay(self)``, ``self._prepare_week()`` or
#: ``self.policy.end_of_week(...)``, one call a line.
STEP_CALL = re.compile(r"^\s*(?:phases\.|self\.(?:policy\.)?)(\w+)\(.*\)\s*$", flags=re.M)


def test_odd_process_overview_follows_the_step():
    calls = STEP_CALL.findall(inspect.getsource(ScamModel.step))
    assert "decay" in calls and "record" in calls, f"could not read the phases of ScamModel.step: {calls}"
    text = read("ODD.md")
    h2 = {t: n for n, t in headings(text, 2)}
    lines = prose(text).splitlines()
    section = "\n".join(lines[h2["Process overview and scheduling"]:h2["Design concepts"]])
    positions = []
    for name in calls:
        m = re.search(r"`(?:[A-Za-z_]+\.)?" + re.escape(name) + "`", section)
        assert m, f"docs/ODD.md (Process overview and scheduling) does not mention the phase `{name}` of ScamModel.step"
        positions.append(m.start())
    assert positions == sorted(positions), (
        f"docs/ODD.md lists the phases of the week in a different order from ScamModel.step: {calls}")


# ---- the docs stand on their own: no machine paths, no files outside the repository --------------------

#: What a reader of the repository cannot open: machine paths and notes that live outside it.
FOREIGN = re.compile(r"(?<![\w$/])/(?:work|tmp)/|\bdomain\.md\b|\bshared/|\bpublic_figures\.csv\b|\bissue 7\b")
@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_cite_only_what_the_repository_has(page):
    bad = [f"{page}:{n}: {line.strip()[:120]}" for n, line in enumerate(read(page).splitlines(), 1) if FOREIGN.search(line)]
    assert not bad, "cite docs/references.md (sources) or a file in the repository instead of:\n" + "\n".join(bad)


def test_links_to_the_references_point_at_its_headings():
    def anchor(title: str) -> str:
        return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")

    anchors = {anchor(t) for level in (2, 3) for _, t in headings(read("references.md"), level)}
    linked = {(p.name, m) for p in DOCS.glob("*.md") for m in re.findall(r"references\.md#([\w-]+)", p.read_text(encoding="utf-8"))}
    assert linked, "no page links to docs/references.md"
    missing = sorted(f"{page} -> #{a}" for page, a in linked if a not in anchors)
    assert not missing, f"links to headings docs/references.md does not have: {missing}"


# ---- the docs name only code that exists ---------------------------------------------------------------

#: ``sim/x/y.py`` (a path in the repository) and ``sim.x.y`` (a module, or a name inside one).
CODE_PATH = re.compile(r"(?<![\w/.])sim/[\w/]+\.py\b")
DOTTED = re.compile(r"(?<![\w/.])sim(?:\.\w+)+")
#: A private function named in backticks (`_prepare_week`, `model._burn_in`) or called (`_raid(`).
PRIVATE = re.compile(r"`(?:\w+\.)?(_[a-z]\w*)(?:\(\))?`|(?<![\w.])(_[a-z]\w*)\(")
#: Private names of libraries that docs/benchmarks.md quotes from a profile (Mesa's event loop, numpy).
LIBRARY_PRIVATE = {"_advance_time", "_do_step", "_wrapfunc"}


def _resolves(dotted: str) -> bool:
    """Whether ``sim.a.b.c`` is a module, or a name reachable from the longest importable module prefix."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        try:
            for attr in parts[k:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_name_only_code_that_exists(page):
    """A renamed module or function leaves no stale name behind (``_labour`` after it became ``phases.hire``)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "sim").rglob("*.py"))
    bad = []
    for n, line in enumerate(read(page).splitlines(), 1):
        bad += [f"{page}:{n}: no file {m}" for m in CODE_PATH.findall(line) if not (REPO / m).is_file()]
        bad += [f"{page}:{n}: {m} does not resolve" for m in DOTTED.findall(line) if not _resolves(m)]
        for m in PRIVATE.finditer(line):
            name = m.group(1) or m.group(2)
            if name not in LIBRARY_PRIVATE and not re.search(rf"\bdef {name}\b|\b{name}\s*[:=]", source):
                bad.append(f"{page}:{n}: {name} is defined nowhere in sim/")
    assert not bad, "docs name code that does not exist (renamed or moved?):\n" + "\n".join(bad)


def test_the_name_check_catches_stale_names():
    """The check above would fail on the names the restructuring of issue #11 retired."""
    assert not _resolves("sim.analysis.validation.patterns")
    assert not _resolves("sim.core.model.choose_site")
    assert _resolves("sim.core.moves.choose_site") and _resolves("sim.core.phases.hire")
    assert not (REPO / "sim/model.py").is_file()
    assert PRIVATE.findall("`_labour` then `model._relocate` and _accounts(") == [("_labour", ""), ("_relocate", ""), ("", "_accounts")]
