"""A finished chunk as table parts: one row per run and measure, the weekly series, the moves and the errors.

Every column has a fixed pyarrow type (``column_types``), so every part of a table has the same
schema however its runs came out, and the same runs give the same Parquet content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.experiments import store
from sim.experiments.chunks import Chunk
from sim.experiments.fields import column_value, param_fields, value_kind
from sim.experiments.plan import RunSpec
from sim.experiments.posterior import DRAW_PREFIX
from sim.experiments.spec import Experiment

MOVE_TABLE_COLUMNS = ["week", "km", "cross_border", "forced"]


def run_meta(spec: RunSpec, parameters: tuple[str, ...]) -> dict[str, Any]:
    """The run columns of a run's rows and its value of every varied parameter."""
    row: dict[str, Any] = {"run_id": spec.run_id, "point": spec.point, "replication": spec.replication, "seed": spec.seed,
                           "role": spec.role, "group": spec.group, "counterfactual_id": spec.counterfactual_id}
    for key in parameters:
        section, name = key.split(".", 1)
        row[key] = column_value(getattr(getattr(spec.params, section), name))
    for key, value in spec.draw:  # values drawn from the experiment's posterior
        row[DRAW_PREFIX + key] = value
    return row


def chunk_tables(exp: Experiment, chunk: Chunk, out: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The four table parts of a finished chunk."""
    meta_cols = [*store.RUN_COLUMNS, *exp.parameters, *exp.draw_columns]
    results, series, moves, errors = [], [], [], []
    for spec in chunk.runs:
        meta = run_meta(spec, exp.parameters)
        if spec.run_id in out["ok"]:
            r = out["ok"][spec.run_id]
            results.append(pd.DataFrame({**{k: [v] * len(exp.measures) for k, v in meta.items()},
                                         "measure": list(exp.measures), "value": np.asarray(r["measures"], dtype=float)}))
            s = r["series"]
            series.append(pd.DataFrame({"run_id": [spec.run_id] * len(s["week"]), **s}))
            if r["moves"] is not None:
                m = r["moves"]
                moves.append(pd.DataFrame({"run_id": [spec.run_id] * len(m["week"]), **m}))
        else:
            text, tb = out["errors"][spec.run_id]
            errors.append({**meta, "error": text, "traceback": tb})

    def frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: [] for c in columns})

    return {
        "results": frame(results, [*meta_cols, "measure", "value"]),
        "series": frame(series, ["run_id", "week", *exp.series]),
        "moves": frame(moves, ["run_id", *MOVE_TABLE_COLUMNS]),
        "errors": pd.DataFrame(errors) if errors else pd.DataFrame({c: [] for c in [*meta_cols, "error", "traceback"]}),
    }


def column_types(exp: Experiment) -> dict[str, pa.DataType]:
    """pyarrow type of every column of every table (series columns not listed are float64)."""
    kinds = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string(), tuple: pa.string()}
    fields = param_fields()
    types = {"run_id": pa.string(), "point": pa.int64(), "replication": pa.int64(), "seed": pa.int64(), "role": pa.string(),
             "group": pa.int64(), "counterfactual_id": pa.string(), "measure": pa.string(), "value": pa.float64(),
             "week": pa.int64(), "km": pa.float64(), "cross_border": pa.bool_(), "forced": pa.bool_(), "error": pa.string(),
             "traceback": pa.string()}
    for key in exp.parameters:
        types[key] = kinds[value_kind(fields[key])]
    if exp.posterior is not None:
        for col, is_int in zip(exp.draw_columns, exp.posterior.integer, strict=True):
            types[col] = pa.int64() if is_int else pa.float64()
    return types


def write_chunk(root: Path, exp: Experiment, chunk: Chunk, out: dict[str, Any]) -> tuple[int, int]:
    """Write a chunk's four parts; returns (succeeded, failed)."""
    tables = chunk_tables(exp, chunk, out)
    types = column_types(exp)
    for t in store.TABLES:
        store.write_part(root, t, chunk.key, tables[t], types)
    return len(out["ok"]), len(out["errors"])
