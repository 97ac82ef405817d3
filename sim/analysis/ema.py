"""The model for EMA Workbench users: ``run_once(**params) -> dict`` and ``ema_model(sensitivity_file)``.

The EMA Workbench brings its own samplers, PRIM and CART; these two functions let its users drive
scamsim without making the workbench a dependency (``ema_workbench`` is imported only inside
``ema_model``).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from sim.analysis.sensitivity_spec import dotted_keys, load_sensitivity, parameter_fields


def run_once(scenario: str = "scenarios/baseline.toml", seed: int = 1, counterfactual: bool = True,
             measures: tuple[str, ...] | None = None, **params: Any) -> dict[str, float]:
    """One run of the model as ``run_once(**params) -> dict``: dotted scenario keys in, flat measures out.

    ``params`` are dotted scenario keys (``"relocation.base_cost"``; EMA passes them as keyword
    arguments), checked like a scenario file's values. Whole-number parameters given as floats with
    integral values are accepted. Returns the numeric measures of ``sim.measures.run.summarise`` (dotted keys;
    ``measures`` selects some).
    """
    import numpy as np

    from sim.experiments.design import flatten
    from sim.measures.run import counterfactual_params, simulate, summarise
    from sim.scenario.loader import ScenarioError, load_scenario
    from sim.scenario.values import apply_values

    fields = parameter_fields()
    values = {}
    for key, v in params.items():  # EMA's samplers give whole-number parameters as floats
        f = fields.get(key)
        integral = f is not None and isinstance(f.default, int) and not isinstance(f.default, bool)
        values[key] = int(v) if integral and isinstance(v, float) and v.is_integer() else v
    try:
        p = apply_values(load_scenario(scenario).params, values, where="run_once")
    except ScenarioError as exc:
        raise ScenarioError([q if q.startswith("run_once:") else f"run_once: {q} (dotted scenario keys, e.g. relocation.base_cost)"
                             for q in exc.problems]) from None
    run = simulate(p, seed=seed)
    cf = simulate(counterfactual_params(p), seed=seed) if counterfactual else None
    flat = flatten(summarise(run, cf))
    out = {k: float(v) for k, v in flat.items()
           if isinstance(v, (bool, int, float, np.number)) and not k.startswith("provenance.")}
    return {k: out.get(k, math.nan) for k in measures} if measures else out


def ema_model(sensitivity_file: str | Path, name: str = "scamsim") -> Any:
    """An ``ema_workbench.Model`` over a sensitivity file's [uncertain] parameters and outcomes.

    Needs ``pip install ema_workbench`` (imported here only). The model calls ``run_once`` with the
    file's scenario and [set] values as constants; [uncertain] bounds become Real/IntegerParameters
    and [sensitivity] outcomes ScalarOutcomes (names are the dotted keys)::

        from ema_workbench import perform_experiments
        experiments, outcomes = perform_experiments(ema_model("experiments/sensitivity.toml"), 200)
    """
    import ema_workbench as ema

    spec = load_sensitivity(sensitivity_file)
    exp = spec.experiment
    model = ema.Model(name, function=run_once)
    model.uncertainties = [ema.IntegerParameter(n, int(lo), int(hi)) if i else ema.RealParameter(n, lo, hi)
                           for n, (lo, hi), i in zip(spec.uncertain.names, spec.uncertain.bounds, spec.uncertain.integer,
                                                     strict=True)]
    model.constants = [ema.Constant("scenario", exp.scenario_path), ema.Constant("seed", exp.seed),
                       ema.Constant("counterfactual", exp.counterfactual),
                       ema.Constant("measures", tuple(spec.settings.outcomes))]
    base = exp.base
    for key in dotted_keys(tomllib.loads(exp.text).get("set", {})):
        section, _, field = key.partition(".")
        value = getattr(getattr(base, section), field)
        model.constants.append(ema.Constant(key, list(value) if isinstance(value, tuple) else value))
    model.constants.append(ema.Constant("run.weeks", base.run.weeks))
    model.outcomes = [ema.ScalarOutcome(m) for m in spec.settings.outcomes]
    return model
