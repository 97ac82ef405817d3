"""Policy briefs: the notebooks in ``notebooks/`` executed with parameters and exported to HTML.

``scamsim brief NOTEBOOK [--small] [--results DIR] [--out FILE.html]`` runs a briefing notebook
(parameters injected after its cell tagged ``parameters``, as papermill does), then writes a
standalone HTML file with the code hidden and the figures embedded, plus a provenance section
(scamsim version, git commit, parameters). See docs/briefings.md.

The notebooks call ``obtain`` to read the results of ``scamsim sweep`` when they exist, or else to
run a reduced version of the experiment through the same runner (``sim.experiments.run_sweep``).

The notebooks and experiments are the shipped ones (``sim.common.resources.shipped``), so briefs work
from a checkout and from an installed package alike; results folders (``results/NAME``) and the briefs
written (``briefs/NOTEBOOK.html``) are relative to the current working directory, never to the package.
The ``scamsim brief`` command itself is ``sim.cli.brief``.
"""

from __future__ import annotations

import atexit
import copy
import datetime
import shlex
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sim
from sim.common.resources import shipped

#: The folder holding the shipped scenarios/, experiments/ and notebooks/: the checkout's root, or the
#: installed package's ``sim/_shipped``. Paths such as "experiments/douglas.toml" are tried against it.
SHIPPED_ROOT = shipped("scenarios").parent
REPO = SHIPPED_ROOT  # the name the notebooks use (`briefing.REPO / "scenarios/x.toml"`)
NOTEBOOK_DIR = shipped("notebooks")
#: Where ``scamsim sweep`` results are looked for and reduced runs cached, relative to the working directory.
RESULTS = Path("results")
NOTEBOOKS = ("01_does_raiding_work", "02_where_raids_work", "03_root_causes")
#: Results folder each notebook reads (``results_dir``); "levers" is written by notebook 03 itself.
EXPERIMENT_OF = {"01_does_raiding_work": "douglas", "02_where_raids_work": "phase", "03_root_causes": "levers"}
KERNEL = "python3"


class BriefingError(Exception):
    """Bad input to a brief (missing notebook, bad results folder); the message says what to change."""


# ---- getting results: a sweep's folder, or a reduced run of the experiment ---------------------------

@dataclass
class Source:
    """Where a notebook's numbers come from."""

    results: Any  # sim.experiments.store.Results
    reduced: bool  # the notebook ran the experiment itself (not a full `scamsim sweep`)
    small: bool
    name: str
    path: Path
    experiment_text: str
    commands: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def n_replications(self) -> int:
        runs = self.results.runs()
        return int(runs["replication"].nunique()) if len(runs) else 0

    @property
    def scenario(self) -> str:
        """The scenario file the experiment runs (as its experiment file names it)."""
        try:
            return str(tomllib.loads(self.experiment_text).get("experiment", {}).get("scenario") or "scenarios/baseline.toml")
        except tomllib.TOMLDecodeError:
            return "scenarios/baseline.toml"

    @property
    def weeks(self) -> int:
        return int(self.results.manifest.get("weeks") or 0)

    def banner(self) -> str:
        """Markdown saying where the numbers come from (and, for a reduced run, not to cite them)."""
        n = self.n_replications
        if self.small:
            return (f"> **Reduced run, not for citation.** These numbers come from a small version of the `{self.name}` "
                    f"experiment ({n} replications per point, few design points, short runs) made to check that this "
                    f"brief works. Produce the full results with the commands at the end before quoting any figure.")
        if self.reduced:
            return (f"> **Reduced run.** No results of `scamsim sweep` were found, so this brief ran a reduced version "
                    f"of the `{self.name}` experiment itself ({n} replications per point). Intervals are wider than "
                    f"those of the full sweep; see the commands at the end.")
        return f"> Results of the `{self.name}` sweep in `{self.path}` ({n} replications per point)."


def experiment_data(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of an experiment file (relative paths are tried from here, then the shipped files)."""
    p = Path(path)
    if not p.is_file() and (SHIPPED_ROOT / p).is_file():
        p = SHIPPED_ROOT / p
    return tomllib.loads(p.read_text(encoding="utf-8"))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def to_toml(data: dict[str, Any]) -> str:
    """An experiment dict as TOML text (tables of scalars and lists; dotted keys quoted)."""
    lines: list[str] = []
    for table, body in data.items():
        if isinstance(body, list):  # an array of tables, e.g. [[points]]
            for item in body:
                lines.append(f"[[{table}]]")
                lines += [f'"{k}" = {_toml_value(v)}' if "." in k else f"{k} = {_toml_value(v)}" for k, v in item.items()]
                lines.append("")
            continue
        lines.append(f"[{table}]")
        for k, v in body.items():
            key = f'"{k}"' if "." in k else k
            lines.append(f"{key} = {_toml_value(v)}")
        lines.append("")
    return "\n".join(lines)


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        if isinstance(v, dict) and not set(v) <= {"start", "step", "end"}:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def reduce_experiment(data: dict[str, Any], *, replications: int | None = None, weeks: int | None = None,
                      factors: dict[str, Any] | None = None, fixed: dict[str, Any] | None = None,
                      name: str | None = None) -> dict[str, Any]:
    """A copy of an experiment dict with fewer replications, shorter runs or fewer factor values."""
    d = copy.deepcopy(data)
    exp = d.setdefault("experiment", {})
    d["set"] = _flat(d.get("set", {}))
    d["factors"] = _flat(d.get("factors", {}))
    if replications is not None:
        exp["replications"] = int(replications)
    if weeks is not None:
        exp["weeks"] = int(weeks)
    if name is not None:
        exp["name"] = name
    for k, v in (factors or {}).items():
        d["factors"][k] = v
    for k, v in (fixed or {}).items():
        d["factors"].pop(k, None)
        d["set"][k] = v
    return d


def obtain(experiment: str | Path | dict[str, Any], results_dir: str | Path | None = None, *, small: bool = False,
           small_design: dict[str, Any] | None = None, replications: int | None = None, weeks: int | None = None,
           workers: int | None = None, cache_dir: str | Path | None = None) -> Source:
    """Results for a notebook: a sweep's folder when there is one, else a reduced run of ``experiment``.

    ``experiment`` is an experiment file or its parsed dict (then it is written next to the results).
    ``results_dir`` given: it must be a results folder (BriefingError otherwise). Not given: outside
    small mode ``results/NAME`` (in the working directory) is used when it exists. Otherwise the experiment is run, reduced, into
    ``cache_dir`` (default: a temporary folder in small mode, ``results/reduced/NAME-HASH`` otherwise):
    in small mode with ``small_design`` (keys of ``reduce_experiment``), and ``replications`` / ``weeks``
    override the experiment's in either mode.
    """
    from sim.experiments.design import experiment_from_dict
    from sim.experiments.runner import run_sweep
    from sim.experiments.store import StoreError, load_results

    if isinstance(experiment, dict):
        data, exp_path = copy.deepcopy(experiment), SHIPPED_ROOT / "experiments" / f"{experiment['experiment']['name']}.toml"
        text = to_toml(data)
    else:
        exp_path = Path(experiment) if Path(experiment).is_file() else SHIPPED_ROOT / experiment
        text = exp_path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    name = data.get("experiment", {}).get("name", exp_path.stem)
    rel_exp = exp_path.relative_to(SHIPPED_ROOT) if exp_path.is_relative_to(SHIPPED_ROOT) else exp_path
    sweep_cmd = f"scamsim sweep {rel_exp} --workers 2 --out {RESULTS / name}"
    if results_dir is not None or (not small and (RESULTS / name / "manifest.json").is_file()):
        path = Path(results_dir) if results_dir is not None else RESULTS / name
        try:
            results = load_results(path)
        except StoreError as exc:
            raise BriefingError(f"results_dir {path}: {exc}") from exc
        if results.measures.empty:
            raise BriefingError(f"results_dir {path}: no finished runs; run {sweep_cmd}")
        return Source(results=results, reduced=False, small=small, name=name, path=path,
                      experiment_text=results.manifest.get("experiment", {}).get("text", text), commands=[sweep_cmd])
    reduction: dict[str, Any] = dict(small_design or {}) if small else {}
    if replications is not None:
        reduction["replications"] = replications
    if weeks is not None:
        reduction["weeks"] = weeks
    reduced = reduce_experiment(data, **reduction)
    reduced_text = to_toml(reduced) if reduction or isinstance(experiment, dict) else text
    exp = experiment_from_dict(reduced, exp_path, reduced_text)
    if cache_dir is not None:
        out = Path(cache_dir)
    elif small:
        out = Path(tempfile.mkdtemp(prefix=f"scamsim-brief-{name}-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)  # a check's runs are not kept
    else:
        out = RESULTS / "reduced" / f"{name}-{exp.design_sha256[:10]}"
    t0 = time.monotonic()
    run_sweep(exp, out=out, workers=workers or 2, progress=False, command=f"sim.briefs.briefing.obtain({name!r}, small={small})")
    results = load_results(out)
    return Source(results=results, reduced=True, small=small, name=name, path=out, experiment_text=reduced_text,
                  commands=[sweep_cmd], elapsed_s=time.monotonic() - t0)


def require(source: Source, parameters: list[str] = (), measures: list[str] = ()) -> None:  # type: ignore[assignment]
    """Fail with a clear message when a results folder is not the experiment a notebook needs."""
    missing = [p for p in parameters if p not in source.results.parameters]
    missing += [m for m in measures if m not in source.results.measure_names]
    if missing:
        raise BriefingError(f"{source.path}: these results do not vary or keep {', '.join(missing)}; "
                            f"this brief needs the `{source.name}` experiment ({source.commands[0]})")


# ---- helpers for the notebooks (sim.briefs.helpers; the notebooks call them as ``briefing.NAME``) -----------

from sim.briefs.helpers import (  # noqa: E402, F401  (re-exported for the notebooks)
    PIPELINE_CHECK,
    REFERENCES,
    VERDICTS,
    equivalence_note,
    fmt_interval,
    md_table,
    quote,
    references,
    scenario_differences,
    show,
    verdict,
)
from sim.briefs.posterior import (  # noqa: E402, F401  (re-exported for the notebooks)
    belief_abroad_sentence,
    chance_sentence,
    dependence_sentence,
    douglas_sentence,
    douglas_table,
    hosts_sentence,
    phase_sentence,
    phase_table,
    posterior_headline,
    prior_sentence,
    raid_rate_decides,
    source_note,
)

# ---- executing and exporting -------------------------------------------------------------------------

def find_notebook(name: str | Path) -> Path:
    """A notebook by path, file name or short name ("01", "01_does_raiding_work")."""
    p = Path(name)
    if p.is_file():
        return p
    candidates = [NOTEBOOK_DIR / p.name, NOTEBOOK_DIR / f"{p.name}.ipynb"]
    candidates += [NOTEBOOK_DIR / f"{n}.ipynb" for n in NOTEBOOKS if n.startswith(str(name))]
    for c in candidates:
        if c.is_file():
            return c
    raise BriefingError(f"{name}: no such notebook; briefs: {', '.join(f'notebooks/{n}.ipynb' for n in NOTEBOOKS)}")


def inject_parameters(nb: Any, parameters: dict[str, Any]) -> Any:
    """Insert a cell tagged ``injected-parameters`` after the cell tagged ``parameters`` (as papermill does)."""
    import nbformat

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise BriefingError("the notebook has no cell tagged 'parameters'")
    source = "# Parameters\n" + "".join(f"{k} = {v!r}\n" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    return nb


def provenance(parameters: dict[str, Any], notebook: Path) -> dict[str, Any]:
    from sim.common.provenance import git_commit, versions

    where = notebook.resolve()
    return {"notebook": str(where.relative_to(SHIPPED_ROOT) if where.is_relative_to(SHIPPED_ROOT) else notebook),
            "scamsim_version": sim.__version__, "git_commit": git_commit(), "parameters": parameters,
            "versions": versions(), "command": "scamsim brief " + " ".join(shlex.quote(a) for a in sys.argv[2:])
            if len(sys.argv) > 1 and sys.argv[1] == "brief" else None}


def execute(notebook: str | Path, parameters: dict[str, Any] | None = None, timeout: int = 3600, progress: bool = True,
            hidden: tuple[str, ...] = ()) -> Any:
    """Run a notebook with ``parameters`` injected; returns the executed notebook (nbformat node).

    The kernel runs in the current working directory, where ``results/`` is looked for. With ``progress``
    a line per cell goes to stderr ("cell k of n"), since a full brief runs for minutes. Parameters named in
    ``hidden`` (e.g. a temporary folder) are left out of the provenance table.
    """
    import nbformat
    from nbclient import NotebookClient

    path = find_notebook(notebook)
    nb = nbformat.read(path, as_version=4)
    parameters = dict(parameters or {})
    nb = inject_parameters(nb, parameters)
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    seen: list[int] = []

    def announce(cell: Any, cell_index: int) -> None:
        if cell.cell_type == "code":
            seen.append(cell_index)
            print(f"scamsim brief {path.stem}: cell {len(seen)} of {n_code}", file=sys.stderr, flush=True)

    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(Path.cwd())}},
                            on_cell_start=announce if progress else None)
    client.execute()
    today = datetime.date.today().isoformat()
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(f"*Produced on {today} with scamsim {sim.__version__}.*"))
    parameters = {k: v for k, v in parameters.items() if k not in hidden}
    prov = provenance(parameters, path)
    prov["date"] = today
    nb.metadata["scamsim"] = prov
    lines = ["## Provenance", "", "| | |", "|---|---|",
             f"| notebook | `{prov['notebook']}` |", f"| date | {today} |", f"| scamsim version | {prov['scamsim_version']} |",
             f"| git commit | `{prov['git_commit'] or 'unknown (not run from a git checkout)'}` |",
             *[f"| parameter `{k}` | `{v!r}` |" for k, v in parameters.items()],
             f"| versions | {', '.join(f'{k} {v}' for k, v in prov['versions'].items())} |"]
    if prov["command"]:
        lines.append(f"| command | `{prov['command']}` |")
    nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
    return nb


def export_html(nb: Any) -> str:
    """Standalone HTML of an executed notebook: code hidden, figures embedded."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


def brief(notebook: str | Path, out: str | Path | None = None, small: bool = False,
          results: str | Path | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Execute a briefing notebook and write its HTML export atomically; returns the file written."""
    from sim.common.files import atomic_write

    path = find_notebook(notebook)
    if results is not None:
        from sim.experiments.store import StoreError, load_results

        try:
            load_results(results)
        except StoreError as exc:
            raise BriefingError(f"--results {results}: {exc}") from exc
    parameters: dict[str, Any] = {"small": bool(small)}
    if results is not None:
        parameters["results_dir"] = str(Path(results).resolve())
    parameters.update(extra or {})
    target = Path(out) if out is not None else Path("briefs") / f"{path.stem}{'-small' if small else ''}.html"
    with tempfile.TemporaryDirectory(prefix="scamsim-brief-") as tmp:  # runs of a check go here and are removed
        hidden: tuple[str, ...] = ()
        if small and "cache_dir" not in parameters:
            parameters["cache_dir"], hidden = tmp, ("cache_dir",)
        nb = execute(path, parameters, hidden=hidden)
    text = export_html(nb)
    atomic_write(target, lambda p: p.write_text(text, encoding="utf-8"))
    return target
