"""Parameter draws from a calibrated posterior: what a replay (or any study) runs when it integrates over it.

A posterior folder (written by ``scamsim calibrate``) holds ``posterior.csv`` (one row per ABC-SMC particle:
its parameter values, their unit-cube quantiles ``u:NAME`` and its importance ``weight``) and
``manifest.json`` (the parameters with their ranges, and how the posterior was made). ``posterior_draws``
resamples particles by weight with a generator of its own, so a study that runs ``n`` replications runs
``n`` parameter sets drawn in proportion to their posterior weight; the same folder, ``n`` and seed give
the same draws.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.params.declarations import Params

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


# ---- applying draws to a scenario (experiment files with ``posterior = "..."``) --------------------------

#: Prefix of the results columns holding a run's drawn values (``posterior.labour.inflow_per_week``).
DRAW_PREFIX = "posterior."
#: Map sections a posterior may set by name (``jurisdictions.Cambodia.governance``); every attribute is a 0-1 share.
MAP_SECTIONS = ("jurisdictions", "zones")


def draw_columns(post: Posterior) -> tuple[str, ...]:
    """The results columns of a run's drawn values, in the posterior's order."""
    return tuple(DRAW_PREFIX + name for name in post.names)


def key_problem(key: str, params: Params) -> str | None:
    """Why a posterior key cannot be set on ``params`` (None when it can): a dotted parameter, or a named map entry's attribute."""
    from sim.params.declarations import SECTIONS

    head, _, rest = key.partition(".")
    if head in MAP_SECTIONS:
        name, _, attr = rest.rpartition(".")
        items = getattr(params.map, head) if params.map is not None else ()
        item = next((it for it in items if it.name == name), None)
        if item is None:
            return f"{key}: the scenario has no {head[:-1]} named {name!r}; allowed: {', '.join(it.name for it in items) or 'none'}"
        if not isinstance(getattr(item, attr, None), float):
            return f"{key}: {attr!r} is not a numeric attribute of a {head[:-1]}"
        return None
    section = SECTIONS.get(head)
    if section is None or rest not in {f.name for f in dataclasses.fields(section)}:
        return f"{key} is not a parameter of the scenario"
    return None


def experiment_posterior(where: str, exp_path: Path, name: Any, base: Params | None,
                         problems: list[str]) -> tuple[Posterior | None, str]:
    """experiment.posterior: the posterior folder (relative to the experiment file, else the current folder), read
    and checked against the base scenario; (None, "") with the problems appended when it cannot be used."""
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: experiment.posterior = {name!r} must be the path of a folder written by scamsim calibrate, "
                        f"e.g. \"posteriors/mekong_2022\"")
        return None, ""
    p = Path(name)
    candidates = [p] if p.is_absolute() else [exp_path.parent / p, Path.cwd() / p]
    folder = next((c for c in candidates if c.is_dir()), None)
    if folder is None:
        problems.append(f"{where}: experiment.posterior = {name!r} not found (looked relative to the experiment file and the "
                        f"current folder: {', '.join(dict.fromkeys(str(c) for c in candidates))})")
        return None, ""
    try:
        post = read_posterior(folder)
    except PosteriorError as exc:
        problems += [f"{where}: experiment.posterior: {p}" for p in exc.problems]
        return None, ""
    if base is not None:
        bad = [k for k in (key_problem(key, base) for key in post.names) if k]
        problems += [f"{where}: experiment.posterior = {name!r} sets {b}" for b in bad]
        if bad:
            return None, ""
    return post, name


def posterior_overlaps(where: str, post: Posterior, varied: dict[str, str], problems: list[str]) -> None:
    """A parameter the posterior sets cannot also be varied or fixed by the experiment (``varied``: key -> table)."""
    for key, table in varied.items():
        if key in post.names:
            problems.append(f"{where}: {table}.{key} is set by the posterior (experiment.posterior, {post.folder}): each replication "
                            f"draws it, so it cannot also be fixed or varied; remove it from [{table}] or use an experiment "
                            f"without a posterior")
