"""The manifest and design table of a results folder: how its results were made, session by session.

A new folder gets a manifest with the experiment's text and hashes, the seed scheme, the code and
dependency versions and the command; a folder being resumed must hold the same design (same design
hash) and gains a session. ``design.parquet`` lists the design points once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim.common.files import atomic_write
from sim.experiments import store
from sim.experiments.parts import run_meta
from sim.experiments.plan import SEED_SCHEME, RunSpec
from sim.experiments.spec import Experiment


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_session(exp: Experiment, command: str | None, backend: str, scheduler: str | None, workers: int | None) -> dict[str, Any]:
    """The manifest's record of this sweep session (finish time and counts are added when it ends)."""
    from sim.common.provenance import git_commit, versions

    return {"started": now(), "command": command if command is not None else " ".join(sys.argv),
            "backend": backend, "scheduler": scheduler, "workers": workers, "git_commit": git_commit(),
            "versions": versions(), "replications": exp.replications}


def _fresh(exp: Experiment, session: dict[str, Any], n_runs: int) -> dict[str, Any]:
    return {
        "format": 1,
        "experiment": {"name": exp.name, "description": exp.description, "path": exp.path, "sha256": exp.sha256,
                       "design_sha256": exp.design_sha256, "text": exp.text},
        "scenario": {"path": exp.scenario_path, "sha256": exp.scenario_sha256},
        "base_seed": exp.seed,
        "seed_scheme": SEED_SCHEME,
        "replications": exp.replications,
        "weeks": exp.weeks,
        "counterfactual": exp.counterfactual,
        "parameters": list(exp.parameters),
        "measures": list(exp.measures),
        "series": list(exp.series),
        "moves": exp.moves,
        "points": len(exp.points),
        "counterfactual_groups": len(exp.groups) if exp.counterfactual else 0,
        "runs": n_runs,
        "base_parameters": dataclasses.asdict(exp.base),
        "posterior": posterior_record(exp),
        "created": session["started"],
        "command": session["command"],
        "git_commit": session["git_commit"],
        "versions": session["versions"],
        "sessions": [session],
        "status": "running",
    }


def posterior_record(exp: Experiment) -> dict[str, Any] | None:
    """Which posterior the runs integrate over (None without one): its folder, hash, keys and results columns."""
    post = exp.posterior
    if post is None:
        return None
    return {"path": exp.posterior_path, "folder": str(post.folder), "posterior_csv_sha256": post.sha256,
            "parameters": list(post.names), "columns": list(exp.draw_columns), "particles": len(post.weights),
            "draws": "replication r of every point and of its counterfactual runs draw r of "
                     "sim.experiments.posterior.posterior_draws(posterior, replications, base_seed)",
            "calibration_command": post.manifest.get("command"), "calibration_code_version": post.manifest.get("code_version")}


def open_manifest(root: Path, exp: Experiment, resume: bool, session: dict[str, Any], n_runs: int) -> dict[str, Any]:
    """The manifest for this session: new for an empty folder, else the folder's own with this session added."""
    old = store.read_manifest(root)
    if old is None:
        if resume:
            raise store.StoreError(f"{root}: nothing to resume (no {store.MANIFEST}); run without --resume to start")
        if root.exists() and any(p.name != ".lock" for p in root.iterdir()):
            raise store.StoreError(f"{root} exists and is not a scamsim results folder; choose another --out")
        return _fresh(exp, session, n_runs)
    if old.get("experiment", {}).get("design_sha256") != exp.design_sha256:
        raise store.StoreError(
            f"{root} holds results of a different experiment design ({old.get('experiment', {}).get('path')}, "
            f"design {str(old.get('experiment', {}).get('design_sha256'))[:12]}; this one is {exp.design_sha256[:12]}); "
            f"use another --out, or delete the folder to start again")
    if old.get("versions") != session["versions"] or old.get("git_commit") != session["git_commit"]:
        print(f"warning: {root} was started with code {old.get('git_commit')} {old.get('versions', {}).get('scamsim')}; "
              f"this session runs {session['git_commit']} {session['versions'].get('scamsim')}: results will mix code versions "
              f"(each session is listed in the manifest)", file=sys.stderr)
    if old.get("experiment", {}).get("sha256") != exp.sha256:
        old["experiment"]["history"] = [*old["experiment"].get("history", []), {"sha256": exp.sha256, "text": exp.text}]
    old["replications"] = max(int(old.get("replications", 0)), exp.replications)
    old["runs"] = max(int(old.get("runs", 0)), n_runs)
    old["sessions"] = [*old.get("sessions", []), session]
    old["status"] = "running"
    return old


def write_design(root: Path, exp: Experiment) -> None:
    """``design.parquet``: one row per design point (point, group, parameter columns), written once."""
    if (root / "design.parquet").is_file():
        return
    design = pd.DataFrame([{"point": p.id, "group": p.group,
                            **run_meta(RunSpec("", p.id, 0, 0, "policy", p.group, None, exp.params_for(p)), exp.parameters)}
                           for p in exp.points])
    design = design.drop(columns=[c for c in store.RUN_COLUMNS if c not in ("point", "group")])
    atomic_write(root / "design.parquet", lambda p: design.to_parquet(p, index=False))
