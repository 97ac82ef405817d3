"""Priors from the sourced ranges file: uniform on each range, or log-uniform where the range says ``scale = "log"``.

The inference works on the unit cube: each parameter is a quantile ``u`` in [0, 1) with a uniform prior, mapped
to its value by the range itself (``Range.value``, the same map the Latin-hypercube calibration uses). So the
prior can never leave a range, a log range is log-uniform, and an integer range is rounded the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis.calibration import Range, load_ranges


@dataclass(frozen=True)
class Prior:
    ranges: tuple[Range, ...]

    @property
    def names(self) -> list[str]:
        return [r.key for r in self.ranges]

    def values(self, u: dict[str, float]) -> dict[str, float | int]:
        """Parameter values at unit-cube quantiles ``u`` (keyed by parameter name)."""
        return {r.key: r.value(min(max(float(u[r.key]), 0.0), 1.0)) for r in self.ranges}

    def sample(self, n: int, seed: int) -> list[dict[str, float | int]]:
        """``n`` independent draws of parameter values from the prior."""
        u = np.random.default_rng(seed).random((n, len(self.ranges)))
        return [self.values(dict(zip(self.names, row, strict=True))) for row in u]


def prior_for(ranges_file: str | Path, parameters: tuple[str, ...] | list[str]) -> Prior:
    """The prior over ``parameters``, in that order, from the ranges file (every name must have a range)."""
    by_key = {r.key: r for r in load_ranges(ranges_file)}
    missing = [p for p in parameters if p not in by_key]
    if missing:
        raise KeyError(f"{ranges_file}: no range for {', '.join(missing)}")
    return Prior(tuple(by_key[p] for p in parameters))
