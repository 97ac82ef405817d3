"""The regional labour pool: trafficking inflow, hiring into compounds, attrition and release.

Workers are whole people (integers) so that conservation can be checked exactly: every person is in
the pool, held in a compound, or has left through a counted channel (attrition, repatriation, drift).
"""

from __future__ import annotations

import numpy as np


def allocate_hires(demand: np.ndarray, pool: int) -> np.ndarray:
    """Share ``pool`` people among compounds in proportion to ``demand`` (whole people).

    When the pool covers demand every compound gets what it asks for (rounded down); otherwise the
    pool is split pro rata and the remainder goes to the largest fractional claims, ties to the lower
    slot, so the result is deterministic and never exceeds the pool.
    """
    want = np.floor(demand).astype(np.int64)
    total = int(want.sum())
    if total <= pool:
        return want
    if pool <= 0:
        return np.zeros_like(want)
    share = want * (pool / total)
    hires = np.floor(share).astype(np.int64)
    left = pool - int(hires.sum())
    if left > 0:
        order = np.argsort(-(share - hires), kind="stable")[:left]
        hires[order] += 1
    return np.minimum(hires, want)


def vacancies(capacity: np.ndarray, workers: np.ndarray, access: np.ndarray, hiring_rate: float) -> np.ndarray:
    """People each compound tries to hire this week: a share of its empty places, scaled by access."""
    return np.maximum(capacity - workers, 0) * access * hiring_rate


def split_freed(n: int, repatriation_share: float, rng: np.random.Generator) -> tuple[int, int]:
    """Freed workers who get home, and those re-trafficked back into the pool."""
    if n <= 0:
        return 0, 0
    home = int(rng.binomial(n, repatriation_share)) if 0 < repatriation_share < 1 else (n if repatriation_share >= 1 else 0)
    return home, n - home
