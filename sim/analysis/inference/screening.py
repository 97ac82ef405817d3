"""Which parameters can the calibration data inform? Elementary-effects screening of a spec's statistics.

ABC-SMC's importance weights collapse as the number of proposed parameters grows (docs/calibration.md: 46% of the
particles' worth after one generation with six parameters, 9.7% with fifteen). A parameter the statistics cannot
inform only adds dimension: its posterior is its prior whatever the fit. This module measures, before a
calibration, how much each candidate parameter moves each statistic, so the spec can propose only the parameters
that matter and marginalise the rest (draw them from their prior in every simulation).

Method: Morris's elementary effects (SALib's sampler and analysis) on the unit-cube quantiles of the candidates,
plus one null factor, the run's seed: stepping it changes only the random stream, so its mean absolute effect
(mu*) is the noise floor of an elementary effect on that statistic under the same design. Each trajectory runs
with a seed of its own (common random numbers within the trajectory, except for the seed factor's step). Effects
are reported in units of each statistic's observation scale, the unit of the ABC distance.

The selection rule (``selected``) is declared in the spec's ``[screening]`` table before the screening runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.inference.prior import Prior
from sim.analysis.inference.simulator import Simulator
from sim.analysis.inference.spec import Screening

#: The null factor's name in the screening's tables.
SEED_FACTOR = "(seed)"


@dataclass(frozen=True)
class ScreeningResult:
    table: pd.DataFrame  # parameter, statistic, mu_star, sigma, their scaled values, noise_scaled, passes
    design: pd.DataFrame  # one row per run: trajectory, the quantiles, the seed, the statistics
    selected: tuple[str, ...]
    seconds: float


def _problem(names: Sequence[str]) -> dict:
    """SALib's problem: the candidates' quantiles and the seed factor, each on [0, 1]."""
    return {"num_vars": len(names) + 1, "names": [*names, SEED_FACTOR], "bounds": [[0.0, 1.0]] * (len(names) + 1)}


def design(names: Sequence[str], screening: Screening) -> tuple[np.ndarray, np.ndarray]:
    """SALib's Morris design over ``names`` + the seed factor on the unit cube, and each row's run seed.

    A trajectory is ``len(names) + 2`` rows; all its rows share one seed but those whose seed-factor level is in the
    upper half of the cube, which use a second one. Morris's step (levels / (2 (levels - 1)) of the range) always
    crosses the middle, so the seed factor's step changes the seed and no other step does.
    """
    from SALib.sample import morris

    X = morris.sample(_problem(names), N=screening.trajectories, num_levels=screening.levels, seed=screening.seed)
    rows = len(names) + 2
    base = np.random.default_rng(np.random.SeedSequence(screening.seed, spawn_key=(7,))).integers(
        0, 2**31 - 2, size=screening.trajectories)
    seeds = np.repeat(base, rows) + (X[:, -1] > 0.5).astype(np.int64)
    return X, seeds


def screen(simulator: Simulator, candidates: Prior, screening: Screening, workers: int = 1) -> ScreeningResult:
    """Run the Morris design of ``candidates`` through ``simulator`` (its own prior is ignored) and apply the rule."""
    import time

    from SALib.analyze import morris

    t0 = time.time()
    names = candidates.names
    X, seeds = design(names, screening)
    values = [candidates.values(dict(zip(names, row[:-1], strict=True))) for row in X]
    rows = len(names) + 2
    chunks = [(values[i:i + rows], [int(s) for s in seeds[i:i + rows]]) for i in range(0, len(X), rows)]
    if workers <= 1:
        results = [r for v, s in chunks for r in simulator.many(v, s)]
    else:
        from sim.analysis.validation.runner import process_pool

        with process_pool(workers) as pool:
            results = [r for out in pool.map(simulator.many, *zip(*chunks, strict=True)) for r in out]
    problem = _problem(names)
    records = []
    for s in simulator.statistics:
        y = np.array([r[s.name] for r in results], float)
        if not np.isfinite(y).all():
            records += [{"parameter": n, "statistic": s.name, "mu_star": np.nan, "sigma": np.nan} for n in problem["names"]]
            continue
        res = morris.analyze(problem, X, y, num_levels=screening.levels, seed=screening.seed)
        records += [{"parameter": n, "statistic": s.name, "mu_star": float(m), "sigma": float(sd)}
                    for n, m, sd in zip(problem["names"], res["mu_star"], res["sigma"], strict=True)]
    table = pd.DataFrame(records)
    scales = {s.name: s.scale for s in simulator.statistics}
    table["mu_star_scaled"] = table["mu_star"] / table["statistic"].map(scales)
    table["sigma_scaled"] = table["sigma"] / table["statistic"].map(scales)
    table = with_rule(table, screening)
    chosen = _passing(table)
    frame = pd.DataFrame(X, columns=[f"u:{n}" for n in problem["names"]])
    frame.insert(0, "trajectory", np.repeat(np.arange(screening.trajectories), rows))
    frame["seed"] = seeds
    for s in simulator.statistics:
        frame[s.name] = [r[s.name] for r in results]
    return ScreeningResult(table, frame, tuple(n for n in names if n in chosen), time.time() - t0)


def with_rule(table: pd.DataFrame, screening: Screening) -> pd.DataFrame:
    """The table with the seed factor's scaled mu* beside each row (``noise_scaled``) and whether the row passes the rule."""
    noise = table[table["parameter"] == SEED_FACTOR].set_index("statistic")["mu_star_scaled"]
    out = table.copy()
    out["noise_scaled"] = out["statistic"].map(noise)
    out["passes"] = ((out["parameter"] != SEED_FACTOR) & (out["mu_star_scaled"] >= screening.threshold)
                     & (out["mu_star_scaled"] >= screening.noise_factor * out["noise_scaled"]))
    return out


def selected(table: pd.DataFrame, screening: Screening) -> list[str]:
    """The declared rule: the parameters whose mu* on at least one statistic is at least ``threshold`` observation
    scales and at least ``noise_factor`` times the seed factor's mu* on that statistic (undefined rows never pass)."""
    return _passing(with_rule(table, screening))


def _passing(ruled: pd.DataFrame) -> list[str]:
    """The parameters with at least one row that passes the rule, in the table's order."""
    keep = set(ruled.loc[ruled["passes"], "parameter"])
    return [p for p in dict.fromkeys(ruled["parameter"]) if p in keep]
