"""Experiment designs, in one import: the validated ``Experiment`` and how an experiment file becomes one.

The work is done in small modules, each with one job:

- ``sim.experiments.reading``: reading and validating experiment files (the file format is described there);
- ``sim.experiments.factors``: factor values, ranges and explicit ``[[points]]``;
- ``sim.experiments.sampling``: ``[sample]``, Latin hypercube points;
- ``sim.experiments.spec``: ``Experiment`` and ``DesignPoint``, and the measures and series kept by default;
- ``sim.experiments.fields``: parameter fields by dotted key;
- ``sim.experiments.plan``: the runs of an experiment, with their seeds.

Code elsewhere imports these names from here (or from ``sim.experiments``), so the modules behind
them can change.
"""

from __future__ import annotations

from sim.experiments.fields import column_value, flatten
from sim.experiments.reading import experiment_from_dict, is_experiment_file, load_experiment, validate_experiment
from sim.experiments.spec import DEFAULT_MEASURES, DEFAULT_SERIES, DesignPoint, Experiment

__all__ = ["DEFAULT_MEASURES", "DEFAULT_SERIES", "DesignPoint", "Experiment", "column_value", "experiment_from_dict", "flatten",
           "is_experiment_file", "load_experiment", "validate_experiment"]
