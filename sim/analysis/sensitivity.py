"""Global sensitivity analysis: which uncertain assumptions drive an outcome (``scamsim sensitivity``).

A sensitivity file is an experiment file (docs/experiments.md) with two more tables::

    [uncertain]                                  # dotted scenario key = [low, high]
    "relocation.base_cost" = [1e5, 4e6]
    "labour.inflow_per_week" = [600, 2400]

    [sensitivity]
    outcomes = ["counterfactual.persistence_vs_counterfactual_workers"]   # default: the first measure
    trajectories = 10        # Morris: r trajectories, r * (D + 1) design points
    levels = 4               # Morris: grid levels (even)
    base_samples = 32        # Sobol: N, a power of 2; N * (D + 2) design points (no second-order indices)
    seed = 7                 # sampling and bootstrap seed (default: experiment.seed)

The parameters are sampled with SALib (Morris screening: ``SALib.sample.morris`` /
``SALib.analyze.morris``; Sobol first-order and total indices: ``SALib.sample.sobol`` /
``SALib.analyze.sobol``), and every sample row becomes one design point of an ordinary experiment,
in SALib's order, which ``sim.experiments.run_sweep`` runs (so resume, the manifest, local processes
and Dask all apply). Whole-number parameters are rounded for the runs; the analysis uses SALib's
unrounded matrix, as the design it was built for. The outcome of a point is its mean over
replications. Indices go to ``OUT/sensitivity/`` as CSV and Parquet, the figure as PNG and SVG.

The pipeline (sample -> evaluate -> analyse) takes the evaluation as a function, so tests replace the
model by a function with known indices (``run_pipeline``).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import shlex
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.common import print_errors

if TYPE_CHECKING:  # imported where used, so that building scamsim's parser stays cheap
    import numpy as np
    import pandas as pd

    from sim.experiments.design import Experiment

METHODS = ("morris", "sobol")
OWN_TABLES = ("uncertain", "sensitivity")
SETTINGS_KEYS = ("outcomes", "outcome", "trajectories", "levels", "base_samples", "seed", "conf_level", "resamples")
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


# ---- the uncertain parameters and the settings ------------------------------------------------------

@dataclass(frozen=True)
class Uncertain:
    """Parameters sampled, with their bounds; ``integer`` marks whole-number parameters (rounded)."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...]

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    def values(self, row: np.ndarray) -> dict[str, Any]:
        """One sample row as parameter values: whole numbers rounded, floats as floats."""
        return {n: (round(float(x)) if i else float(x)) for n, x, i in zip(self.names, row, self.integer, strict=True)}


@dataclass(frozen=True)
class Settings:
    outcomes: tuple[str, ...] = ()
    trajectories: int = 10
    levels: int = 4
    base_samples: int = 32
    seed: int = 0
    conf_level: float = 0.95
    resamples: int = 1000

    def runs(self, method: str, d: int) -> int:
        """Design points a method needs for ``d`` parameters."""
        return self.trajectories * (d + 1) if method == "morris" else self.base_samples * (d + 2)


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated sensitivity file: the experiment it runs (base scenario, one point), what to sample and how."""

    path: str
    experiment: Experiment
    uncertain: Uncertain
    settings: Settings


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fields() -> dict[str, dataclasses.Field]:
    from sim.params.declarations import SECTIONS

    return {f"{s}.{f.name}": f for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}


def _kind(f: dataclasses.Field) -> type:
    d = f.default
    return bool if isinstance(d, bool) else type(d)


def _flat(t: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys: accepts ``"a.b" = ...`` and ``a.b = ...`` / ``[uncertain.a]``."""
    from sim.params.declarations import SECTIONS

    out: dict[str, Any] = {}
    for k, v in t.items():
        if isinstance(v, dict) and k in SECTIONS:
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_uncertain(where: str, table: Any, fixed: dict[str, Any], problems: list[str]) -> Uncertain | None:
    """Validate an [uncertain] table (dotted key -> [low, high]); appends problems naming file and key."""
    from sim.scenario.loader import check_value, unknown_parameter

    if not isinstance(table, dict) or not table:
        problems.append(f"{where}: [uncertain] must be a table of parameter = [low, high], e.g. "
                        f"\"relocation.base_cost\" = [1e5, 4e6]")
        return None
    fields = _fields()
    names, bounds, integer = [], [], []
    start = len(problems)
    for key, b in _flat(table).items():
        if key not in fields:
            problems.append(unknown_parameter(where, "uncertain", key))
            continue
        if key == "run.seed":
            problems.append(f"{where}: uncertain.run.seed cannot be sampled; seeds come from experiment.seed and the "
                            f"replication number")
            continue
        f = fields[key]
        kind = _kind(f)
        if kind not in (int, float):
            what = {bool: "true or false", str: "a name", tuple: "a list of names"}.get(kind, kind.__name__)
            problems.append(f"{where}: uncertain.{key} is {what}, not a number, so it cannot be sampled; "
                            f"fix it in [set] or compare its values in separate experiments")
            continue
        if not (isinstance(b, list) and len(b) == 2 and all(_is_number(x) for x in b)):
            problems.append(f"{where}: uncertain.{key} = {b!r} must be [low, high], two finite numbers")
            continue
        lo, hi = b
        if not lo < hi:
            problems.append(f"{where}: uncertain.{key} = {b!r}: low must be below high (a fixed value belongs in [set])")
            continue
        if kind is int and not all(float(x).is_integer() for x in b):
            problems.append(f"{where}: uncertain.{key} = {b!r}: {key} is a whole number, so its bounds must be whole numbers")
            continue
        ok = True
        for x in b:
            _, problem = check_value(where, f"uncertain.{key}", int(x) if kind is int else float(x), f)
            if problem:
                problems.append(problem)
                ok = False
        if key in fixed:
            problems.append(f"{where}: {key} is both fixed (in [set] or experiment.weeks) and in [uncertain]; remove one")
            ok = False
        if ok:
            names.append(key)
            bounds.append((float(lo), float(hi)))
            integer.append(kind is int)
    if len(problems) > start:
        return None
    return Uncertain(tuple(names), tuple(bounds), tuple(integer))


def _whole(where: str, key: str, value: Any, lo: int, problems: list[str], what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        problems.append(f"{where}: sensitivity.{key} = {value!r} must be a whole number from {lo} up ({what})")
        return lo
    return value


def check_settings(where: str, table: Any, measures: tuple[str, ...], default_seed: int, problems: list[str]) -> Settings:
    """Validate a [sensitivity] table against the experiment's measures."""
    if not isinstance(table, dict):
        problems.append(f"{where}: [sensitivity] must be a table, got {table!r}")
        table = {}
    for k in table:
        if k not in SETTINGS_KEYS:
            problems.append(f"{where}: sensitivity.{k} is not a known key of [sensitivity]{_suggest(k, SETTINGS_KEYS)}; "
                            f"allowed: {', '.join(SETTINGS_KEYS)}")
    if "outcome" in table and "outcomes" in table:
        problems.append(f"{where}: give sensitivity.outcome or sensitivity.outcomes, not both")
    raw = table.get("outcomes", table.get("outcome", list(measures[:1])))
    outcomes = [raw] if isinstance(raw, str) else raw
    if not (isinstance(outcomes, list) and outcomes and all(isinstance(m, str) for m in outcomes)):
        problems.append(f"{where}: sensitivity.outcomes = {raw!r} must be a measure name or a non-empty list of them")
        outcomes = []
    for m in outcomes:
        if m not in measures:
            problems.append(f"{where}: sensitivity.outcomes names '{m}', which is not among experiment.measures"
                            f"{_suggest(m, measures)}; allowed: {', '.join(measures)}")
    r = _whole(where, "trajectories", table.get("trajectories", 10), 2, problems, "Morris trajectories")
    levels = _whole(where, "levels", table.get("levels", 4), 2, problems, "Morris grid levels")
    if levels % 2:
        problems.append(f"{where}: sensitivity.levels = {levels} must be even (Morris grid levels; 4 is usual)")
    n = _whole(where, "base_samples", table.get("base_samples", 32), 2, problems, "Sobol base samples N")
    if n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        problems.append(f"{where}: sensitivity.base_samples = {n} must be a power of 2 for Sobol sequences "
                        f"(try {lower} or {lower * 2})")
    seed = _whole(where, "seed", table.get("seed", default_seed), 0, problems, "sampling seed")
    conf = table.get("conf_level", 0.95)
    if not (_is_number(conf) and 0 < conf < 1):
        problems.append(f"{where}: sensitivity.conf_level = {conf!r} must be a number between 0 and 1, e.g. 0.95")
        conf = 0.95
    resamples = _whole(where, "resamples", table.get("resamples", 1000), 10, problems, "bootstrap resamples")
    return Settings(tuple(outcomes), r, levels, n, seed, float(conf), resamples)


def spec_from_dict(data: dict[str, Any], path: Path, text: str) -> SensitivitySpec:
    """Validate a parsed sensitivity file; raises ScenarioError listing every problem."""
    from sim.experiments.design import experiment_from_dict
    from sim.scenario.loader import ScenarioError

    where = str(path)
    problems: list[str] = []
    for table in ("factors", "points", "sample"):
        if table in data:
            problems.append(f"{where}: [{table}] cannot be used in a sensitivity file: the design is the SALib sample of "
                            f"[uncertain]; fix other parameters in [set]")
    if "uncertain" not in data:
        problems.append(f"{where}: no [uncertain] table; a sensitivity file needs [uncertain] with parameter = [low, high]")
    rest = {k: v for k, v in data.items() if k not in (*OWN_TABLES, "factors", "points", "sample")}
    exp = None
    try:
        exp = experiment_from_dict(rest, path, text)
    except ScenarioError as exc:
        problems += exc.problems
    fixed: dict[str, Any] = {}
    set_table = data.get("set", {})
    if isinstance(set_table, dict):
        fixed = _flat(set_table)
    if isinstance(data.get("experiment"), dict) and "weeks" in data["experiment"]:
        fixed["run.weeks"] = data["experiment"]["weeks"]
    uncertain = check_uncertain(where, data.get("uncertain"), fixed, problems) if "uncertain" in data else None
    settings = None
    if exp is not None:
        settings = check_settings(where, data.get("sensitivity", {}), exp.measures, exp.seed, problems)
    if problems:
        raise ScenarioError(problems)
    assert exp is not None and uncertain is not None and settings is not None
    return SensitivitySpec(str(path), exp, uncertain, settings)


def load_sensitivity(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity file; raises ScenarioError naming the file and each bad key."""
    from sim.scenario.loader import read_toml

    path = Path(path)
    text, data = read_toml(path, "sensitivity")
    return spec_from_dict(data, path, text)


# ---- sampling, analysis, the pipeline ---------------------------------------------------------------

def sample(uncertain: Uncertain, method: str, settings: Settings) -> np.ndarray:
    """SALib's sample matrix, one row per design point, in SALib's order (unrounded)."""
    problem = uncertain.problem
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, N=settings.trajectories, num_levels=settings.levels, seed=settings.seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, settings.base_samples, calc_second_order=False, scramble=True, seed=settings.seed)
    raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def analyse(uncertain: Uncertain, method: str, settings: Settings, X: np.ndarray, Y: np.ndarray,
            outcome: str = "y") -> pd.DataFrame:
    """Indices of one outcome, one row per parameter, ranked (1: matters most).

    Morris: ``mu_star`` (mean absolute elementary effect: the change in the outcome, scaled to a
    move across the parameter's whole range), its bootstrap confidence half-width, ``mu`` and ``sigma``; ranked by
    ``mu_star``. Sobol: first-order ``S1`` and total ``ST`` with confidence half-widths; ranked by ``ST``.
    """
    import numpy as np
    import pandas as pd

    problem = uncertain.problem
    Y = np.asarray(Y, dtype=float)
    if method == "morris":
        from SALib.analyze import morris

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = morris.analyze(problem, X, Y, conf_level=settings.conf_level, num_resamples=settings.resamples,
                                 num_levels=settings.levels, seed=settings.seed)
        table = pd.DataFrame({"mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                              "sigma": res["sigma"]})
        key = "mu_star"
    else:
        from SALib.analyze import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=settings.resamples,
                                conf_level=settings.conf_level, seed=settings.seed)
        table = pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]})
        key = "ST"
    table = table.astype(float)
    table.insert(0, "label", [parameter_label(n) for n in uncertain.names])
    table.insert(0, "parameter", list(uncertain.names))
    table.insert(0, "outcome", outcome)
    table.insert(0, "method", method)
    order = np.argsort(-table[key].fillna(-np.inf).to_numpy(), kind="stable")
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    lo, hi = zip(*uncertain.bounds, strict=True)
    table["low"], table["high"] = list(lo), list(hi)
    return table


@dataclass
class Analysis:
    method: str
    table: pd.DataFrame  # one row per outcome and parameter
    X: np.ndarray
    Y: np.ndarray  # points x outcomes


def run_pipeline(uncertain: Uncertain, method: str, settings: Settings,
                 evaluate: Callable[[np.ndarray], np.ndarray], outcomes: tuple[str, ...] | None = None) -> Analysis:
    """Sample, evaluate and analyse. ``evaluate`` maps the sample matrix (rows in design order) to the
    outcomes: an array of one value per row, or rows x outcomes. The model is one such function
    (``run_sensitivity``); tests use functions with known indices."""
    import numpy as np
    import pandas as pd

    outcomes = tuple(outcomes or settings.outcomes or ("y",))
    X = sample(uncertain, method, settings)
    Y = np.asarray(evaluate(X), dtype=float).reshape(len(X), -1)
    if Y.shape[1] != len(outcomes):
        raise ValueError(f"evaluate returned {Y.shape[1]} outcomes per row; expected {len(outcomes)}")
    tables = [analyse(uncertain, method, settings, X, Y[:, j], o) for j, o in enumerate(outcomes)]
    return Analysis(method, pd.concat(tables, ignore_index=True), X, Y)


# ---- the model as the evaluation ---------------------------------------------------------------------

def design_experiment(spec: SensitivitySpec, X: np.ndarray) -> Experiment:
    """The spec's experiment with one design point per sample row, in SALib's order.

    Rows that differ only in ``policy.*`` values share a counterfactual group, as in any sweep.
    """
    from sim.experiments.design import DesignPoint

    exp = spec.experiment
    points, group_of = [], {}
    for i, row in enumerate(X):
        values = spec.uncertain.values(row)
        nonpolicy = tuple((k, v) for k, v in values.items() if not k.startswith("policy."))
        group = group_of.setdefault(nonpolicy, len(group_of))
        points.append(DesignPoint(id=i, values=tuple(values.items()), group=group))
    return dataclasses.replace(exp, parameters=spec.uncertain.names, points=tuple(points), groups=tuple(group_of))


class SensitivityError(Exception):
    """The runs cannot be analysed (failed or missing runs); the message says what to do."""


def outcomes_by_point(out: str | Path, n_points: int, outcomes: tuple[str, ...]) -> tuple[np.ndarray, dict[str, int]]:
    """Mean over replications of each outcome at each design point, from a results folder.

    Undefined values (NaN, e.g. a ratio whose counterfactual market died out) are replaced by the
    outcome's mean over the defined points, since Morris and Sobol need every point; the counts
    replaced are returned (and reported)."""
    import numpy as np

    from sim.experiments.store import load_results

    wide = load_results(out).wide()
    wide = wide[wide["role"] == "policy"]
    means = wide.groupby("point")[list(outcomes)].mean().reindex(range(n_points))
    got = set(wide["point"].unique())
    absent = [p for p in range(n_points) if p not in got]
    if absent:
        raise SensitivityError(f"{out}: {len(absent)} of {n_points} design points have no finished run "
                               f"(first: {absent[:5]}); see {out}/errors/, then rerun with --resume "
                               f"(scamsim sweep ... --retry-failed retries failed runs)")
    replaced = {}
    Y = means.to_numpy(dtype=float, copy=True)
    for j, o in enumerate(outcomes):
        bad = ~np.isfinite(Y[:, j])
        replaced[o] = int(bad.sum())
        if bad.all():
            raise SensitivityError(f"{out}: {o} is undefined at every design point; choose another outcome")
        Y[bad, j] = float(np.mean(Y[~bad, j]))
    return Y, replaced


@dataclass
class SensitivityReport:
    out: Path
    method: str
    points: int
    runs: int  # simulations recorded (counterfactuals included)
    ran: int  # simulated in this session
    elapsed_s: float
    table: pd.DataFrame
    replaced: dict[str, int]
    files: list[Path]


def run_sensitivity(spec: SensitivitySpec | str | Path, method: str, out: str | Path | None = None,
                    workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                    progress: bool = True, command: str | None = None, figure: bool = True) -> SensitivityReport:
    """Sample, run every sample row through ``run_sweep`` into ``out``, analyse and write the indices.

    Output: ``OUT`` is an ordinary results folder (``load_results`` reads it; ``scamsim discover``
    works on it) and ``OUT/sensitivity/`` holds ``indices.csv``, ``indices.parquet``,
    ``sample.parquet`` (SALib's unrounded matrix with the outcomes) and ``indices.png``/``.svg``.
    """
    import numpy as np

    from sim.experiments.runner import run_sweep
    from sim.experiments.store import read_manifest, write_manifest
    from sim.scenario.loader import ScenarioError

    if method not in METHODS:
        raise ScenarioError([f"--method {method!r} is not allowed; allowed: {', '.join(METHODS)}{_suggest(method, METHODS)}"])
    spec = spec if isinstance(spec, SensitivitySpec) else load_sensitivity(spec)
    settings, uncertain = spec.settings, spec.uncertain
    root = Path(out) if out is not None else Path("results") / f"{spec.experiment.name}-{method}"
    t0 = time.monotonic()
    report = None
    replaced: dict[str, int] = {}

    def evaluate(X: np.ndarray) -> np.ndarray:
        nonlocal report
        exp = design_experiment(spec, X)
        report = run_sweep(exp, out=root, workers=workers, scheduler=scheduler, resume=resume, progress=progress,
                           command=command)
        if report.failed_total:
            raise SensitivityError(f"{report.failed_total} runs failed; their errors are in {root}/errors/ "
                                   f"(retry with scamsim sweep's --retry-failed, or fix the bounds)")
        Y, counts = outcomes_by_point(root, len(X), settings.outcomes)
        replaced.update(counts)
        return Y

    analysis = run_pipeline(uncertain, method, settings, evaluate, settings.outcomes)
    analysis.table["replaced_undefined"] = analysis.table["outcome"].map(replaced).fillna(0).astype(np.int64)
    files = write_indices(root / "sensitivity", analysis, uncertain, figure=figure,
                          title=f"{spec.experiment.name}: {method}, {len(analysis.X)} design points x "
                                f"{spec.experiment.replications} replication(s), {spec.experiment.weeks} weeks")
    manifest = read_manifest(root) or {}
    manifest["sensitivity"] = {"method": method, "settings": dataclasses.asdict(settings),
                               "uncertain": {n: list(b) for n, b in zip(uncertain.names, uncertain.bounds, strict=True)},
                               "points": len(analysis.X), "replaced_undefined": replaced,
                               "files": [str(f.relative_to(root)) for f in files]}
    write_manifest(root, manifest)
    assert report is not None
    return SensitivityReport(root, method, len(analysis.X), report.total, report.ran, time.monotonic() - t0,
                             analysis.table, replaced, files)


# ---- output ------------------------------------------------------------------------------------------

def parameter_label(key: str, width: int = 40) -> str:
    """A parameter in words with its unit, from the field metadata."""
    f = _fields().get(key)
    if f is None:
        return key
    doc, unit = f.metadata.get("doc", key), f.metadata.get("unit", "-")
    text = doc[:1].upper() + doc[1:]
    if unit and unit != "-":
        text += f" ({unit})"
    return "\n".join(textwrap.wrap(text, width))


def write_indices(folder: Path, analysis: Analysis, uncertain: Uncertain, figure: bool = True,
                  title: str = "") -> list[Path]:
    """Write the indices (CSV, Parquet), the sample with its outcomes (Parquet) and the figure (PNG, SVG)."""
    import numpy as np
    import pandas as pd

    from sim.common.files import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    table = analysis.table
    files = [folder / "indices.csv", folder / "indices.parquet", folder / "sample.parquet"]
    atomic_write(files[0], lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(files[1], lambda p: table.to_parquet(p, index=False))
    outcomes = list(dict.fromkeys(table["outcome"]))
    frame = pd.DataFrame(analysis.X, columns=list(uncertain.names))
    frame.insert(0, "point", np.arange(len(frame)))
    for j, o in enumerate(outcomes):
        frame[o] = analysis.Y[:, j]
    atomic_write(files[2], lambda p: frame.to_parquet(p, index=False))
    if figure:
        files += save_figure_pair(indices_figure(table, title), folder / "indices")
    return files


def save_figure_pair(fig: Any, stem: Path) -> list[Path]:
    """``stem``.png and ``stem``.svg with reproducible bytes (sim.common.files.save_figure, fixed SVG hash salt)."""
    import matplotlib.pyplot as plt

    from sim.common.files import save_figure

    paths = [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.svg"]
    try:
        with plt.rc_context({"svg.hashsalt": "scamsim", "svg.fonttype": "path"}):
            for p in paths:
                save_figure(fig, p)
    finally:
        plt.close(fig)
    return paths


def _measure_label(measure: str) -> str:
    try:
        from sim.viz.sweeps import measure_label

        return measure_label(measure, 70)
    except ImportError:  # pragma: no cover
        return measure


def indices_figure(table: pd.DataFrame, title: str = "") -> Any:
    """Horizontal bars, one panel per outcome, parameters in words, the most important on top.

    Morris: mu* with its confidence interval, and sigma (interactions / non-linearity) as open bars.
    Sobol: first-order and total indices with confidence intervals.
    """
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 8, "axes.spines.top": False,
             "axes.spines.right": False}
    method = str(table["method"].iloc[0])
    outcomes = list(dict.fromkeys(table["outcome"]))
    d = int((table["outcome"] == outcomes[0]).sum())
    with plt.rc_context(style):
        fig, axes = plt.subplots(1, len(outcomes), figsize=(7.5 * len(outcomes), 1.2 + 0.55 * d), squeeze=False,
                                 layout="constrained")
        for ax, outcome in zip(axes[0], outcomes, strict=True):
            t = table[table["outcome"] == outcome].sort_values("rank", ascending=False)
            y = np.arange(len(t))
            h = 0.38
            if method == "morris":
                ax.barh(y + h / 2, t["mu_star"], h, xerr=t["mu_star_conf"], color="#1f77b4", ecolor="0.3", capsize=2,
                        label="μ* (mean absolute effect) with 95% interval")
                ax.barh(y - h / 2, t["sigma"], h, facecolor="none", edgecolor="#ff7f0e", lw=1.0,
                        label="σ (spread of effects: interactions, non-linearity)")
                ax.set_xlabel("Elementary effect: change in the outcome scaled to a move across the parameter's whole range\n"
                              + _measure_label(outcome))
            else:
                ax.barh(y + h / 2, t["ST"], h, xerr=t["ST_conf"], color="#1f77b4", ecolor="0.3", capsize=2,
                        label="Total index ST (with interactions)")
                ax.barh(y - h / 2, t["S1"], h, xerr=t["S1_conf"], color="#ff7f0e", ecolor="0.3", capsize=2,
                        label="First-order index S1 (alone)")
                ax.axvline(0, color="0.5", lw=0.6)
                ax.set_xlabel("Share of the outcome's variance\n" + _measure_label(outcome))
            ax.set_yticks(y, t["label"].tolist())
            ax.legend(frameon=False, loc="lower right")
        if title:
            fig.suptitle(title)
    return fig


# ---- command line ------------------------------------------------------------------------------------

def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.experiments.store import StoreError
    from sim.scenario.loader import ScenarioError

    if args.workers is not None and args.workers < 1:
        return print_errors([f"--workers {args.workers}: give 1 or more worker processes"])
    if args.workers is not None and args.scheduler:
        return print_errors(["--workers and --scheduler cannot be combined: the Dask cluster has its own workers"])
    try:
        spec = load_sensitivity(args.experiment)
    except ScenarioError as exc:
        return print_errors(exc.problems)
    out = args.out or f"results/{spec.experiment.name}-{args.method}"
    n = spec.settings.runs(args.method, len(spec.uncertain.names))
    print(f"{spec.experiment.name}: {args.method} over {len(spec.uncertain.names)} parameters, {n} design points x "
          f"{spec.experiment.replications} replication(s){' + counterfactuals' if spec.experiment.counterfactual else ''}",
          file=sys.stderr)
    command = "scamsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        report = run_sensitivity(spec, args.method, out=out, workers=args.workers, scheduler=args.scheduler,
                                 resume=args.resume, command=command)
    except (ScenarioError, StoreError) as exc:
        return print_errors(exc.problems if isinstance(exc, ScenarioError) else [str(exc)])
    except SensitivityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are saved in {out}; continue with: scamsim sensitivity {args.experiment} "
              f"--method {args.method} --out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    key = "mu_star" if args.method == "morris" else "ST"
    for outcome, t in report.table.groupby("outcome", sort=False):
        print(f"{outcome} ({key}, most important first):")
        for _, row in t.sort_values("rank").iterrows():
            extra = (f"mu*={row.mu_star:.4g} ±{row.mu_star_conf:.2g}  sigma={row.sigma:.4g}" if args.method == "morris"
                     else f"ST={row.ST:.3f} ±{row.ST_conf:.3f}  S1={row.S1:.3f} ±{row.S1_conf:.3f}")
            print(f"  {int(row['rank']):2d}. {row.parameter:36s} {extra}")
        if report.replaced.get(outcome):
            print(f"  note: {report.replaced[outcome]} design points had an undefined value, replaced by the mean")
    print(f"{report.points} design points, {report.runs} runs ({report.ran} now) in {report.elapsed_s:.1f} s")
    for f in report.files:
        print(f"wrote {f}")
    return 0


def _parse_where(items: list[str] | None) -> dict[str, str]:
    from sim.analysis.discovery import DiscoveryError

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DiscoveryError(f"--where {item!r}: give PARAM=VALUE")
        out[key] = value
    return out


def cmd_discover(args: argparse.Namespace) -> int:
    from sim.analysis.discovery import DiscoveryError, discovery_data, prim, trajectory_figure
    from sim.experiments.store import StoreError, load_results

    def error(text: str) -> int:
        print(f"error: {text}", file=sys.stderr)
        return EXIT_BAD_INPUT

    try:
        results = load_results(args.results)
        X, y, dropped = discovery_data(results, args.measure, args.above, args.below, _parse_where(args.where), args.params)
        result = prim(X, y, alpha=args.alpha, mass_min=args.mass_min, threshold=args.threshold)
    except (StoreError, DiscoveryError) as exc:
        return error(str(exc))
    cond = f"{args.measure} {'>' if args.above is not None else '<'} {args.above if args.above is not None else args.below}"
    print(f"{int(y.sum())} of {len(y)} runs have {cond}" + (f" ({dropped} undefined runs dropped)" if dropped else ""))
    print(result.summary(X))
    out = Path(args.out) if args.out else Path(args.results) / "discovery"
    from sim.common.files import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    box = result.box.limits.assign(coverage=result.box.coverage, density=result.box.density, mass=result.box.mass)
    files = [out / "trajectory.csv", out / "box.csv"]
    atomic_write(files[0], lambda p: result.trajectory.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(files[1], lambda p: box.to_csv(p, index_label="parameter", float_format="%.6g"))
    files += save_figure_pair(trajectory_figure(result, f"PRIM: {cond}"), out / "trajectory")
    for f in files:
        print(f"wrote {f}")
    return 0


def register_discover(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scamsim discover`` to ``scamsim``'s parser (``register`` calls this)."""
    p = subparsers.add_parser(
        "discover", help="scenario discovery: the parameter box that concentrates runs above/below a threshold (PRIM)",
        description="PRIM on a results folder (scamsim sweep or scamsim sensitivity): find the box of parameter values "
                    "inside which the runs with MEASURE above (or below) X are dense, and report its coverage and density "
                    "and the peeling trajectory (CSV, PNG, SVG). See docs/sensitivity.md.")
    p.add_argument("results", help="results folder, e.g. results/sensitivity-sobol")
    p.add_argument("--measure", required=True, metavar="M", help="measure defining the runs of interest")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--above", type=float, metavar="X", help="runs of interest: MEASURE > X")
    g.add_argument("--below", type=float, metavar="X", help="runs of interest: MEASURE < X")
    p.add_argument("--where", action="append", metavar="PARAM=VALUE", help="keep only runs with this value (repeatable)")
    p.add_argument("--params", nargs="+", metavar="PARAM", help="parameters to box (default: every numeric one varied)")
    p.add_argument("--threshold", type=float, default=0.8, help="choose the widest box with at least this density (default 0.8)")
    p.add_argument("--alpha", type=float, default=0.05, help="share of the box's runs peeled per step (default 0.05)")
    p.add_argument("--mass-min", type=float, default=0.05, help="smallest share of runs a box may keep (default 0.05)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: RESULTS/discovery)")
    p.set_defaults(func=cmd_discover)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scamsim sensitivity`` and ``scamsim discover`` to ``scamsim``'s parser."""
    p = subparsers.add_parser(
        "sensitivity", help="global sensitivity analysis of an experiment's [uncertain] parameters (Morris or Sobol)",
        description="Sample the [uncertain] parameters of a sensitivity file with SALib, run every sample as a design "
                    "point of a sweep (resumable; local processes or Dask), and write Morris or Sobol indices "
                    "(CSV, Parquet) and a figure (PNG, SVG) to OUT/sensitivity/. See docs/sensitivity.md.")
    p.add_argument("experiment", help="sensitivity file, e.g. experiments/sensitivity.toml")
    p.add_argument("--method", choices=METHODS, default="morris",
                   help="morris: screening, r*(D+1) points; sobol: first-order and total indices, N*(D+2) points")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: all cores; 1: serial)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/NAME-METHOD)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in DIR (it must exist)")
    p.set_defaults(func=cmd_sensitivity)
    register_discover(subparsers)
