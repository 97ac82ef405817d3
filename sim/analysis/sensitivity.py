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

This module runs the model as that evaluation (``run_sensitivity``); the rest is split by job:
``sensitivity_spec`` reads and validates the file, ``sensitivity_indices`` samples and analyses with
SALib, ``sensitivity_figures`` writes the tables and the figure. Their public names are re-exported
here, so ``from sim.analysis.sensitivity import ...`` is the one place callers need. The
``scamsim sensitivity`` and ``scamsim discover`` commands are in ``sim.cli.sensitivity``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.analysis.sensitivity_figures import indices_figure, write_indices
from sim.analysis.sensitivity_indices import Analysis, analyse, parameter_label, run_pipeline, sample
from sim.analysis.sensitivity_spec import (
    METHODS,
    SensitivitySpec,
    Settings,
    Uncertain,
    check_settings,
    check_uncertain,
    dotted_keys,
    load_sensitivity,
    parameter_fields,
    spec_from_dict,
)

if TYPE_CHECKING:  # imported where used, so that building scamsim's parser stays cheap
    import numpy as np
    import pandas as pd

    from sim.experiments.design import Experiment

__all__ = [
    "METHODS", "Analysis", "SensitivityError", "SensitivityReport", "SensitivitySpec", "Settings", "Uncertain", "analyse",
    "check_settings", "check_uncertain", "design_experiment", "dotted_keys", "indices_figure", "load_sensitivity",
    "outcomes_by_point", "parameter_fields", "parameter_label", "run_pipeline", "run_sensitivity", "sample",
    "spec_from_dict", "write_indices",
]


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
    from sim.scenario.loader import ScenarioError, suggest

    if method not in METHODS:
        raise ScenarioError([f"--method {method!r} is not allowed; allowed: {', '.join(METHODS)}{suggest(method, METHODS)}"])
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
