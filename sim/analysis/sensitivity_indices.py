"""Morris and Sobol indices with SALib: sample, evaluate, analyse (``run_pipeline``).

The pipeline takes the evaluation as a function from the sample matrix (rows in SALib's order) to
the outcomes, so the same code ranks the model's assumptions (``sim.analysis.sensitivity.run_sensitivity``
passes a function that runs every row through the sweep runner) and a test function with known
indices (tests/test_sensitivity.py: Ishigami). numpy, pandas and SALib are imported where used.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.analysis.sensitivity_spec import METHODS, Settings, Uncertain, parameter_fields

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def sample(uncertain: Uncertain, method: str, settings: Settings) -> np.ndarray:
    """SALib's sample matrix, one row per design point, in SALib's order (unrounded)."""
    problem = uncertain.problem
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, N=settings.trajectories, num_levels=settings.levels, seed=settings.seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, settings.base_samples, calc_second_order=False, scramble=True, seed=settings.seed)
    raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def analyse(uncertain: Uncertain, method: str, settings: Settings, X: np.ndarray, Y: np.ndarray,
            outcome: str = "y") -> pd.DataFrame:
    """Indices of one outcome, one row per parameter, ranked (1: matters most).

    Morris: ``mu_star`` (mean absolute elementary effect: the change in the outcome, scaled to a
    move across the parameter's whole range), its bootstrap confidence half-width, ``mu`` and ``sigma``; ranked by
    ``mu_star``. Sobol: first-order ``S1`` and total ``ST`` with confidence half-widths; ranked by ``ST``.
    """
    import numpy as np
    import pandas as pd

    problem = uncertain.problem
    Y = np.asarray(Y, dtype=float)
    if method == "morris":
        from SALib.analyze import morris

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = morris.analyze(problem, X, Y, conf_level=settings.conf_level, num_resamples=settings.resamples,
                                 num_levels=settings.levels, seed=settings.seed)
        table = pd.DataFrame({"mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                              "sigma": res["sigma"]})
        key = "mu_star"
    else:
        from SALib.analyze import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=settings.resamples,
                                conf_level=settings.conf_level, seed=settings.seed)
        table = pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]})
        key = "ST"
    table = table.astype(float)
    table.insert(0, "label", [parameter_label(n) for n in uncertain.names])
    table.insert(0, "parameter", list(uncertain.names))
    table.insert(0, "outcome", outcome)
    table.insert(0, "method", method)
    order = np.argsort(-table[key].fillna(-np.inf).to_numpy(), kind="stable")
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    lo, hi = zip(*uncertain.bounds, strict=True)
    table["low"], table["high"] = list(lo), list(hi)
    return table


@dataclass
class Analysis:
    method: str
    table: pd.DataFrame  # one row per outcome and parameter
    X: np.ndarray
    Y: np.ndarray  # points x outcomes


def run_pipeline(uncertain: Uncertain, method: str, settings: Settings,
                 evaluate: Callable[[np.ndarray], np.ndarray], outcomes: tuple[str, ...] | None = None) -> Analysis:
    """Sample, evaluate and analyse. ``evaluate`` maps the sample matrix (rows in design order) to the
    outcomes: an array of one value per row, or rows x outcomes. The model is one such function
    (``run_sensitivity``); tests use functions with known indices."""
    import numpy as np
    import pandas as pd

    outcomes = tuple(outcomes or settings.outcomes or ("y",))
    X = sample(uncertain, method, settings)
    Y = np.asarray(evaluate(X), dtype=float).reshape(len(X), -1)
    if Y.shape[1] != len(outcomes):
        raise ValueError(f"evaluate returned {Y.shape[1]} outcomes per row; expected {len(outcomes)}")
    tables = [analyse(uncertain, method, settings, X, Y[:, j], o) for j, o in enumerate(outcomes)]
    return Analysis(method, pd.concat(tables, ignore_index=True), X, Y)


def parameter_label(key: str, width: int = 40) -> str:
    """A parameter in words with its unit, from the field metadata."""
    f = parameter_fields().get(key)
    if f is None:
        return key
    doc, unit = f.metadata.get("doc", key), f.metadata.get("unit", "-")
    text = doc[:1].upper() + doc[1:]
    if unit and unit != "-":
        text += f" ({unit})"
    return "\n".join(textwrap.wrap(text, width))
