"""Statistics shared by tables, figures, validation and calibration."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def t_interval(values: Iterable[float | None], level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t interval of the finite values: ``(mean, lo, hi, n)``.

    None, NaN and infinite values are dropped. With no value everything is NaN; with one value the
    mean is that value and the interval is NaN (an interval needs at least two replications).
    """
    from scipy import stats

    x = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def latin_hypercube(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` points in the unit cube ``[0, 1)^d``, one in each of ``n`` equal strata of every dimension.

    scipy's ``qmc.LatinHypercube`` (each point placed at random within its stratum), seeded with
    ``seed``, so the same seed gives the same sample. Experiment designs (``[sample]``) and calibration
    draw their samples here.
    """
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=seed).random(n)
