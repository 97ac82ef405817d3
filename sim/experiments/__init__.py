"""Experiments: many runs of one scenario over a design of parameter values, with replications.

An experiment file (``experiments/*.toml``) names a base scenario, the parameters to vary and the
measures to keep; ``scamsim sweep`` runs every design point and replication (locally or on a Dask
cluster) into a tidy Parquet store, and ``scamsim plot`` draws figures from that store. See
docs/experiments.md.

The names below are imported on first use, so ``import sim.cli.sweep`` (done by every
``scamsim`` command) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Experiment": "sim.experiments.spec",
    "load_experiment": "sim.experiments.reading",
    "validate_experiment": "sim.experiments.reading",
    "replication_seed": "sim.experiments.plan",
    "run_sweep": "sim.experiments.runner",
    "Results": "sim.experiments.store",
    "load_results": "sim.experiments.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim.experiments' has no attribute {name!r}")
