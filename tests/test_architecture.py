"""The architecture holds: layers import only downwards, modules form no cycle, files stay small.

The layers are documented in the ``__init__.py`` of each subpackage of ``sim`` (lowest first):
common 0, params 1, world 2, scenario and rules 3, policies 4, core 5, measures 6, experiments 7,
viz 8, analysis 9, briefs 10, cli 11; ``sim/__init__.py`` itself is layer 0. A module may import from
its own layer or lower ones. Imports inside functions count (a deferred import is still a
dependency); imports under ``if TYPE_CHECKING:`` do not (they never run).

The checks read the source with ``ast`` and import nothing, so a broken module cannot hide a
violation and the test needs none of the model's dependencies.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SIM = REPO / "sim"
MAX_LINES = 400

LAYERS: dict[str, int] = {
    "common": 0,
    "params": 1,
    "world": 2,
    "scenario": 3,
    "rules": 3,
    "policies": 4,
    "core": 5,
    "measures": 6,
    "experiments": 7,
    "viz": 8,
    "analysis": 9,
    "briefs": 10,
    "cli": 11,
}


# ---- reading the source ------------------------------------------------------------------------

def module_name(path: Path, root: Path = SIM) -> str:
    """``sim/core/model.py`` -> ``sim.core.model``; ``sim/core/__init__.py`` -> ``sim.core``."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    """The layer of a ``sim`` module, or None for a module outside every declared layer."""
    parts = module.split(".")
    if parts[0] != "sim":
        return None
    if len(parts) == 1:
        return 0
    return LAYERS.get(parts[1])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@dataclass(frozen=True)
class Import:
    target: str  # absolute dotted name of what is imported (a module, or a name inside one)
    line: int


def imports_of(tree: ast.AST, module: str, is_package: bool) -> list[Import]:
    """Every import in a module, at any depth, except the bodies of ``if TYPE_CHECKING:``.

    ``from pkg import name`` yields ``pkg.name`` (which ``resolve`` maps to the module ``pkg.name`` when
    there is one, else to ``pkg``); relative imports are made absolute against ``module``.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the else branch does run
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.extend(Import(f"{base}.{alias.name}" if alias.name != "*" else base, node.lineno) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def resolve(target: str, modules: set[str]) -> str | None:
    """The longest ``sim`` module that ``target`` names or lies inside, or None outside ``sim``."""
    parts = target.split(".")
    while parts:
        name = ".".join(parts)
        if name in modules:
            return name
        parts.pop()
    return None


@dataclass
class Source:
    path: Path
    module: str
    lines: int
    tree: ast.Module


def read_tree(root: Path = SIM) -> dict[str, Source]:
    sources = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        module = module_name(path, root)
        sources[module] = Source(path, module, len(text.splitlines()), ast.parse(text, filename=str(path)))
    return sources


def import_graph(sources: dict[str, Source]) -> dict[str, dict[str, int]]:
    """module -> {imported sim module: first line of the import}; a module's imports of itself are dropped."""
    modules = set(sources)
    graph: dict[str, dict[str, int]] = {}
    for module, src in sources.items():
        edges: dict[str, int] = {}
        for imp in imports_of(src.tree, module, src.path.name == "__init__.py"):
            target = resolve(imp.target, modules)
            if target is not None and target != module:
                edges.setdefault(target, imp.line)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def upward_imports(sources: dict[str, Source], graph: dict[str, dict[str, int]]) -> list[str]:
    bad = []
    for module, edges in sorted(graph.items()):
        mine = layer_of(module)
        for target, line in sorted(edges.items()):
            theirs = layer_of(target)
            if mine is not None and theirs is not None and theirs > mine:
                rel = sources[module].path.relative_to(REPO)
                bad.append(f"{rel}:{line}: {module} (layer {mine}) imports {target} (layer {theirs})")
    return bad


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    return read_tree()


@pytest.fixture(scope="module")
def graph(sources) -> dict[str, dict[str, int]]:
    return import_graph(sources)


# ---- the checker itself works (so a clean result means something) ------------------------------

CHECKER_SAMPLE = '''
from __future__ import annotations
import os
from typing import TYPE_CHECKING
import sim.core.model
from sim.rules import enforcement
from . import sibling
from ..world.space import box_sum

if TYPE_CHECKING:
    from sim.cli.main import main
else:
    from sim.params import declarations

def later():
    from sim.measures.run import simulate
    class Inner:
        import sim.viz.app
'''


def test_the_import_reader_sees_deferred_imports_and_skips_type_checking():
    tree = ast.parse(CHECKER_SAMPLE)
    targets = {imp.target for imp in imports_of(tree, "sim.policies.types", is_package=False)}
    assert "sim.cli.main.main" not in targets  # under TYPE_CHECKING
    assert {"sim.core.model", "sim.rules.enforcement", "sim.policies.sibling", "sim.world.space.box_sum",
            "sim.params.declarations", "sim.measures.run.simulate", "sim.viz.app"} <= targets
    modules = {"sim", "sim.core", "sim.core.model", "sim.rules", "sim.rules.enforcement", "sim.measures.run"}
    assert resolve("sim.rules.enforcement", modules) == "sim.rules.enforcement"
    assert resolve("sim.measures.run.simulate", modules) == "sim.measures.run"
    assert resolve("numpy.random", modules) is None


def test_the_cycle_finder_finds_cycles_and_only_cycles():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}, "e": {"f": 1}, "f": {"e": 1}, "g": {"d": 1}}
    assert cycles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) == []


def test_layers_are_read_from_the_package_path():
    assert layer_of("sim") == 0
    assert layer_of("sim.common.files") == 0
    assert layer_of("sim.analysis.validation.patterns") == 9
    assert layer_of("sim.cli") == 11
    assert layer_of("numpy") is None


# ---- the tree ----------------------------------------------------------------------------------

def test_every_module_belongs_to_a_layer(sources):
    orphans = [str(src.path.relative_to(REPO)) for name, src in sources.items() if layer_of(name) is None]
    assert not orphans, "modules outside every declared layer (add them to a subpackage): " + ", ".join(orphans)


def test_no_module_imports_a_higher_layer(sources, graph):
    bad = upward_imports(sources, graph)
    assert not bad, f"{len(bad)} upward import(s):\n" + "\n".join(bad)


def test_the_import_graph_has_no_cycle(graph):
    found = cycles(graph)
    message = "\n".join(" <-> ".join(c) for c in found)
    assert not found, f"{len(found)} import cycle(s), members of each:\n{message}"


def test_no_file_is_longer_than_the_limit(sources):
    long = sorted((src.lines, str(src.path.relative_to(REPO))) for src in sources.values() if src.lines > MAX_LINES)
    listing = "\n".join(f"{path}: {n} lines" for n, path in reversed(long))
    assert not long, f"{len(long)} file(s) under sim/ exceed {MAX_LINES} lines:\n{listing}"


def test_every_subpackage_has_a_documented_init():
    bad = []
    for folder in sorted({p.parent for p in SIM.rglob("*.py") if "__pycache__" not in p.parts}):
        init = folder / "__init__.py"
        rel = init.relative_to(REPO)
        if not init.exists():
            bad.append(f"{rel}: missing")
        elif not (ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "").strip():
            bad.append(f"{rel}: no docstring")
    assert not bad, "subpackages of sim without a documented __init__.py:\n" + "\n".join(bad)


# ---- every third-party import is a declared dependency ------------------------------------------------------

#: Imported only inside a guard that names what to install when it is missing (sim/analysis/ema.py).
UNDECLARED_OPTIONAL = {"ema_workbench"}


def _requirement_name(requirement: str) -> str:
    import re

    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_third_party_module_sim_imports_comes_with_a_declared_requirement():
    """`pip install .` (with the extra a command names) must bring every module ``sim`` imports: a module of a
    distribution declared in pyproject.toml (dependencies or an extra), or of one that a declared one requires.
    Only reads what is installed here, so it cannot see a requirement that this environment happens to have anyway.
    The command that needs an extra says which (``scamsim brief``: briefs; ``calibrate``: calibrate; ...)."""
    import importlib.metadata as md
    import sys
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    declared |= {_requirement_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    reachable, todo = set(), list(declared)
    while todo:  # what the declared distributions require, all the way down (requirements of their own extras left out)
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        try:
            todo += [_requirement_name(r) for r in md.requires(name) or [] if "extra ==" not in r]
        except md.PackageNotFoundError:
            continue
    imported = set()
    for path in SIM.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "sim"} - UNDECLARED_OPTIONAL
    distributions = md.packages_distributions()
    missing = {m: distributions.get(m) for m in third_party
               if not any(d.lower().replace("_", "-") in reachable for d in distributions.get(m, []))}
    assert not missing, f"imported by sim/ but not declared in pyproject.toml (nor required by a declared one): {missing}"
