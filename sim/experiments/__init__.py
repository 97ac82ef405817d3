"""Experiments: many runs of one scenario over a design of parameter values, with replications.

An experiment file (``experiments/*.toml``) names a base scenario, the parameters to vary and the
measures to keep; ``scamsim sweep`` runs every design point and replication (locally or on a Dask
cluster) into a tidy Parquet store, and ``scamsim plot`` draws figures from that store. See
docs/experiments.md.
"""

from __future__ import annotations

from sim.experiments.design import Experiment, load_experiment, validate_experiment
from sim.experiments.runner import replication_seed, run_sweep
from sim.experiments.store import Results, load_results

__all__ = [
    "Experiment",
    "Results",
    "load_experiment",
    "load_results",
    "replication_seed",
    "run_sweep",
    "validate_experiment",
]
