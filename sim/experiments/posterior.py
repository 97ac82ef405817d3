"""Parameter draws from a calibrated posterior: what a replay (or any study) runs when it integrates over it.

A posterior folder (written by ``scamsim calibrate``) holds ``posterior.csv`` (one row per ABC-SMC particle:
its parameter values, their unit-cube quantiles ``u:NAME`` and its importance ``weight``) and
``manifest.json`` (the parameters with their ranges, and how the posterior was made). ``posterior_draws``
resamples particles by weight with a generator of its own, so a study that runs ``n`` replications runs
``n`` parameter sets drawn in proportion to their posterior weight; the same folder, ``n`` and seed give
the same draws.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Spawn key of the draws' own stream: no replication seed (``SeedSequence(seed).spawn``) uses it.
DRAW_STREAM = (2**31 - 1,)


class PosteriorError(ValueError):
    """The folder is not a readable posterior; ``problems`` name the file and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Posterior:
    """A posterior's particles: parameter names, values (particles x parameters), weights summing to 1."""

    folder: Path
    names: tuple[str, ...]
    integer: tuple[bool, ...]
    values: np.ndarray
    weights: np.ndarray
    manifest: dict[str, Any]
    sha256: str  # of posterior.csv: what a study records to say which posterior it used


def read_posterior(folder: str | Path) -> Posterior:
    """Read ``posterior.csv`` and ``manifest.json`` of a ``scamsim calibrate`` folder, checking both."""
    import pandas as pd

    folder = Path(folder)
    csv, meta = folder / "posterior.csv", folder / "manifest.json"
    missing = [str(p) for p in (csv, meta) if not p.is_file()]
    if missing:
        raise PosteriorError([f"{p}: not found; give a folder written by scamsim calibrate" for p in missing])
    try:
        manifest = json.loads(meta.read_text())
        parameters = manifest["parameters"]
        names = tuple(str(p["key"]) for p in parameters)
        integer = tuple(bool(p.get("integer", False)) for p in parameters)
    except (ValueError, KeyError, TypeError) as exc:
        raise PosteriorError([f"{meta}: not a calibration manifest ({exc}); give a folder written by scamsim calibrate"]) from None
    try:
        frame = pd.read_csv(csv)
    except (ValueError, OSError) as exc:
        raise PosteriorError([f"{csv}: cannot be read as CSV ({exc})"]) from None
    problems = [f"{csv}: no column {c!r} (the manifest lists it)" for c in (*names, "weight") if c not in frame.columns]
    if problems:
        raise PosteriorError(problems)
    weights = frame["weight"].to_numpy(float)
    values = frame[list(names)].to_numpy(float)
    if len(frame) == 0 or not np.isfinite(values).all() or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise PosteriorError([f"{csv}: needs at least one particle, finite values and non-negative weights with a positive sum"])
    return Posterior(folder, names, integer, values, weights / weights.sum(), manifest, hashlib.sha256(csv.read_bytes()).hexdigest())


def posterior_draws(post: Posterior, n: int, seed: int) -> list[dict[str, float | int]]:
    """``n`` parameter sets resampled from the particles by weight (with replacement), reproducibly from ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=DRAW_STREAM))
    rows = rng.choice(len(post.weights), size=n, replace=True, p=post.weights)
    return [{name: (int(np.rint(v)) if is_int else float(v))
             for name, is_int, v in zip(post.names, post.integer, post.values[r], strict=True)} for r in rows]
