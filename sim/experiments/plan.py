"""The plan of a sweep: every run of an experiment, with its id, seed, role and parameters.

Seeds. Replication ``r`` of every design point runs with the same seed (common random numbers),
``replication_seed(base, r)``, derived from the experiment's base seed through
``numpy.random.SeedSequence`` with ``spawn_key=(r,)``. A run's seed depends only on the base seed and
its replication number, never on order, backend, chunking or resumption, so the same experiment gives
the same results however it is run.

Counterfactuals. With ``counterfactual = true`` each run is compared with its no-policy counterfactual
(same seed, policy switched off). Every design point with the same non-policy parameters shares one
counterfactual per replication, planned once (role "counterfactual"). A design point whose policy type
is already "none" is its own counterfactual, so its run is taken from the counterfactual instead of
being simulated again (this relies on the "none" policy ignoring every other policy lever, which
tests/test_experiments.py checks).

Posterior. With ``experiment.posterior`` every run of replication ``r`` (each design point and its
counterfactual) runs the ``r``-th parameter set drawn from the posterior (``Experiment.draws``), on top of
the point's own values: common random numbers and common parameters within a replication, so a point's
difference from another point or from its counterfactual is never a difference of draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.experiments.spec import Experiment
from sim.params.declarations import Params
from sim.scenario.values import apply_values

SEED_SCHEME = ("replication r runs with int(numpy.random.SeedSequence(base_seed, spawn_key=(r,)).generate_state(1)[0]) "
               "at every design point and in its counterfactual")


def replication_seed(base: int, replication: int) -> int:
    """The seed of replication ``replication`` at every design point (common random numbers)."""
    return int(np.random.SeedSequence(base, spawn_key=(replication,)).generate_state(1)[0])


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    point: int  # -1 for a counterfactual
    replication: int
    seed: int
    role: str  # "policy" or "counterfactual"
    group: int
    counterfactual_id: str | None
    params: Params
    from_counterfactual: bool = False
    draw: tuple[tuple[str, float | int], ...] = ()  # the values drawn from the experiment's posterior (its keys, in order)


def run_id(point: int, replication: int) -> str:
    return f"p{point:05d}-r{replication:04d}"


def counterfactual_id(group: int, replication: int) -> str:
    return f"c{group:05d}-r{replication:04d}"


def _same_summary_policy(a: Params, b: Params) -> bool:
    """Two "none"-policy runs give the same summary when the fields summarise reads agree."""
    keys = ("type", "start_week", "jurisdictions", "buffer", "control")
    return all(getattr(a.policy, k) == getattr(b.policy, k) for k in keys)


def plan(exp: Experiment) -> list[RunSpec]:
    """Every run of the experiment, replication by replication, each counterfactual before its runs."""
    runs: list[RunSpec] = []
    by_group: dict[int, list] = {}
    for p in exp.points:
        by_group.setdefault(p.group, []).append(p)
    cf_params = {g: exp.counterfactual_for(g) for g in by_group} if exp.counterfactual else {}
    point_params = {p.id: exp.params_for(p) for p in exp.points}
    for r, values in enumerate(exp.draws()):
        seed = replication_seed(exp.seed, r)
        draw = tuple(values.items())
        for g, points in by_group.items():
            cid = counterfactual_id(g, r) if exp.counterfactual else None
            cf = apply_values(cf_params[g], values) if cid is not None and values else cf_params.get(g)
            if cid is not None:
                runs.append(RunSpec(cid, -1, r, seed, "counterfactual", g, None, cf, draw=draw))
            for p in points:
                params = apply_values(point_params[p.id], values) if values else point_params[p.id]
                derived = cid is not None and params.policy.type == "none" and _same_summary_policy(params, cf)
                runs.append(RunSpec(run_id(p.id, r), p.id, r, seed, "policy", g, cid, params, derived, draw))
    return runs
