"""The results folder of a sweep: tidy Parquet parts written as runs finish, and a manifest.

Layout of ``DIR``::

    manifest.json              experiment text and hashes, versions, git commit, command, base seed, sessions
    design.parquet             one row per design point: point, group, parameter columns
    results/part-KEY.parquet   one row per run and measure
    series/part-KEY.parquet    weekly series: run_id, week, key columns
    moves/part-KEY.parquet     compound moves since the policy start: run_id, week, km, cross_border, forced
    errors/part-KEY.parquet    runs that raised: their parameters and the error text

A chunk of runs (``KEY`` is a hash of its run ids) writes one part in each of the four tables, each
part atomically (temporary file, then ``os.replace``). A chunk counts only when all four of its parts
exist; an incomplete chunk (interrupted, or a part deleted by hand) is removed when a sweep next opens
the folder and its runs are done again, so a run is never counted twice.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.common.files import atomic_write, write_json

TABLES = ("results", "series", "moves", "errors")
MANIFEST = "manifest.json"
RUN_COLUMNS = ("run_id", "point", "replication", "seed", "role", "group", "counterfactual_id")


class StoreError(Exception):
    """A results folder that cannot be used (another experiment's results, locked, damaged, not a results folder)."""


def part_name(key: str) -> str:
    return f"part-{key}.parquet"


def write_part(root: Path, table: str, key: str, frame: pd.DataFrame, types: dict[str, Any] | None = None) -> None:
    """Write one part atomically; ``types`` (column -> pyarrow type) fixes the schema, so every part of a
    table has the same column types however its runs came out (a column of only missing values included)."""
    schema = None
    if types is not None:
        schema = pa.schema([(c, types.get(c, pa.float64())) for c in frame.columns])
    data = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    atomic_write(root / table / part_name(key), lambda p: pq.write_table(data, p))


def _keys(root: Path, table: str) -> set[str]:
    d = root / table
    if not d.is_dir():
        return set()
    return {p.name[len("part-"):-len(".parquet")] for p in d.glob("part-*.parquet")}


def complete_keys(root: Path) -> list[str]:
    """Chunks with a part in every table, in name order."""
    sets = [_keys(root, t) for t in TABLES]
    return sorted(set.intersection(*sets))


def clean(root: Path) -> list[str]:
    """Remove temporary files and the parts of incomplete chunks; returns the keys removed."""
    for t in TABLES:
        d = root / t
        if d.is_dir():
            for tmp in d.glob(".*.part"):
                tmp.unlink(missing_ok=True)
    done = set(complete_keys(root))
    removed = set()
    for t in TABLES:
        for key in _keys(root, t) - done:
            (root / t / part_name(key)).unlink(missing_ok=True)
            removed.add(key)
    return sorted(removed)


def read_part(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One Parquet part; StoreError naming the file when it is damaged (truncated, or not Parquet)."""
    try:
        return pd.read_parquet(path, columns=columns, engine="pyarrow")
    except FileNotFoundError:
        raise StoreError(f"{path}: part missing (deleted while reading?); run the sweep again with --resume") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise StoreError(f"{path}: damaged Parquet part, not readable ({type(exc).__name__}; truncated or overwritten?); "
                         f"{_redo_hint(path)}") from None


def _redo_hint(path: Path) -> str:
    """What to do about a damaged part: its chunk's runs are redone by ``scamsim sweep ... --resume``."""
    root, key = path.parent.parent, path.name[len("part-"):-len(".parquet")]
    ids: set[str] = set()
    for t in ("results", "series", "errors"):
        other = root / t / part_name(key)
        if other != path and other.is_file():
            with contextlib.suppress(Exception):
                ids |= set(pd.read_parquet(other, columns=["run_id"], engine="pyarrow")["run_id"])
    runs = f"its runs ({', '.join(sorted(ids)[:8])}{', ...' if len(ids) > 8 else ''})" if ids else "its chunk's runs"
    exp = "EXPERIMENT"
    with contextlib.suppress(Exception):
        exp = json.loads((root / MANIFEST).read_text())["experiment"]["path"] or exp
    return f"scamsim sweep {exp} --out {root} --resume moves it aside and redoes {runs}"


def damaged_parts(root: Path) -> list[Path]:
    """Parts of complete chunks whose Parquet footer cannot be read (a truncated or overwritten file)."""
    bad = []
    for key in complete_keys(root):
        for t in TABLES:
            path = root / t / part_name(key)
            try:
                pq.read_metadata(path)
            except (OSError, ValueError, pa.ArrowException):
                bad.append(path)
    return bad


def set_aside(path: Path) -> Path:
    """Rename a damaged part out of the way (kept for inspection as ``.damaged-part-KEY.parquet``)."""
    target = path.with_name(f".damaged-{path.name}")
    os.replace(path, target)
    return target


def read_table(root: Path, table: str, keys: list[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """Concatenate the parts of ``table`` from complete chunks (empty parts skipped)."""
    keys = complete_keys(root) if keys is None else keys
    frames = [read_part(root / table / part_name(k), columns) for k in keys]
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0].iloc[:0] if frames else pd.DataFrame(columns=columns or [])
    return pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0].reset_index(drop=True)


def finished_runs(root: Path) -> tuple[set[str], set[str]]:
    """Run ids recorded as finished: (succeeded, failed)."""
    keys = complete_keys(root)
    ok = set(read_table(root, "results", keys, ["run_id"])["run_id"]) if keys else set()
    failed = set(read_table(root, "errors", keys, ["run_id"])["run_id"]) if keys else set()
    return ok, failed


def drop_errors(root: Path, run_ids: set[str]) -> None:
    """Rewrite error parts without ``run_ids`` (before retrying them), each part atomically."""
    for key in complete_keys(root):
        path = root / "errors" / part_name(key)
        frame = pd.read_parquet(path, engine="pyarrow")
        if len(frame) and frame["run_id"].isin(run_ids).any():
            kept = pa.Table.from_pandas(frame[~frame["run_id"].isin(run_ids)], preserve_index=False,
                                        schema=pq.read_schema(path).remove_metadata())
            atomic_write(path, lambda p, t=kept: pq.write_table(t, p))


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The folder's manifest, None when there is none; StoreError naming the file when it is unreadable."""
    path = root / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable manifest ({exc}); it is damaged; restore it, or start the sweep again "
                         f"in a new --out (the Parquet parts alone do not say how they were made)") from None
    if not isinstance(data, dict) or not isinstance(data.get("experiment"), dict):
        raise StoreError(f"{path}: not a scamsim manifest (expected a JSON object with an 'experiment' table); "
                         f"restore it, or use another --out")
    return data


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    write_json(root / MANIFEST, manifest)


# ---- reading results ---------------------------------------------------------------------------------

@dataclass
class Results:
    """A sweep's results as data frames (only complete chunks; sorted by run id)."""

    path: Path
    manifest: dict[str, Any]
    measures: pd.DataFrame
    series: pd.DataFrame
    moves: pd.DataFrame
    errors: pd.DataFrame
    design: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest.get("parameters", []))

    @property
    def measure_names(self) -> list[str]:
        return list(self.manifest.get("measures", []))

    def counts(self) -> tuple[int, int, int]:
        """Runs (succeeded, failed, planned) in the folder; planned is what the manifest says the experiment has."""
        ok = int(self.measures["run_id"].nunique()) if "run_id" in self.measures else 0
        failed = int(self.errors["run_id"].nunique()) if "run_id" in self.errors else 0
        return ok, failed, int(self.manifest.get("runs") or 0)

    @property
    def posterior_columns(self) -> list[str]:
        """Columns of each run's values drawn from a posterior (``posterior.KEY``; none without one)."""
        return list((self.manifest.get("posterior") or {}).get("columns", []))

    def runs(self) -> pd.DataFrame:
        """One row per successful run: run columns, parameter columns and drawn values."""
        cols = [*RUN_COLUMNS, *self.parameters, *[c for c in self.posterior_columns if c in self.measures]]
        return self.measures[cols].drop_duplicates("run_id").reset_index(drop=True)

    def wide(self) -> pd.DataFrame:
        """One row per successful run with one column per measure."""
        runs = self.runs()
        if runs.empty:
            return runs.reindex(columns=[*runs.columns, *self.measure_names])
        values = self.measures.pivot(index="run_id", columns="measure", values="value")
        values = values.reindex(columns=[m for m in self.measure_names if m in values.columns])
        out = runs.merge(values, left_on="run_id", right_index=True, how="left", validate="one_to_one")
        return out.reset_index(drop=True)


def load_results(path: str | Path) -> Results:
    """Read a results folder written by ``scamsim sweep``."""
    root = Path(path)
    manifest = read_manifest(root)
    if manifest is None:
        raise StoreError(f"{root}: no {MANIFEST}; not a results folder written by scamsim sweep")
    keys = complete_keys(root)
    if keys:
        frames = {t: read_table(root, t, keys) for t in TABLES}
    else:  # no chunk finished yet (an early interruption): empty tables with their columns
        meta = [*RUN_COLUMNS, *manifest.get("parameters", []), *(manifest.get("posterior") or {}).get("columns", [])]
        columns = {"results": [*meta, "measure", "value"], "series": ["run_id", "week", *manifest.get("series", [])],
                   "moves": ["run_id", "week", "km", "cross_border", "forced"], "errors": [*meta, "error", "traceback"]}
        frames = {t: pd.DataFrame({c: [] for c in columns[t]}) for t in TABLES}
    sorts = {"results": ["run_id"], "series": ["run_id", "week"], "moves": ["run_id"], "errors": ["run_id"]}
    for t, by in sorts.items():
        f = frames[t]
        if len(f):
            frames[t] = f.sort_values(by, kind="stable").reset_index(drop=True)
    design = read_part(root / "design.parquet") if (root / "design.parquet").is_file() else pd.DataFrame()
    return Results(path=root, manifest=manifest, measures=frames["results"], series=frames["series"], moves=frames["moves"],
                   errors=frames["errors"], design=design)
