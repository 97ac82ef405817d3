"""The work done in a worker: simulate a chunk's runs and summarise each into its measures, series and moves.

``run_chunk`` runs in a worker process (or in this process when the sweep is serial) and never raises
for a failing run: the error text and traceback are returned, so the run is recorded, not lost.
"""

from __future__ import annotations

import dataclasses
import math
import signal
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.experiments.chunks import Chunk
from sim.experiments.fields import flatten
from sim.experiments.plan import RunSpec
from sim.measures.run import RunResult, simulate, summarise
from sim.params.declarations import Params, PolicyParams


class BurnIn:
    """Runs that differ only in policy share their burn-in: it is simulated once and copied.

    The burn-in (``run.burn_in_weeks`` before week 1) runs with the policy not yet started, so a run
    and its counterfactual share it exactly (sim.core.model). Here the burned-in model of the latest
    (non-policy parameters, seed) is kept, and each run continues from a deep copy of it with its own
    policy, which gives the same result as ``simulate`` (tests/test_experiments.py checks every policy
    type) at about half the cost.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.key: tuple | None = None
        self.model: Any = None

    def simulate(self, params: Params, seed: int) -> RunResult:
        if not self.enabled:
            return simulate(params, seed=seed)
        from sim.core.model import ScamModel
        from sim.measures.run import result_of

        key = (dataclasses.replace(params, policy=PolicyParams()), seed)
        if key != self.key:
            self.key, self.model = None, None
            self.model = ScamModel(params.replace(policy=dataclasses.replace(params.policy, type="none")), rng=seed)
            self.key = key
        model = self.model.branch(params)
        model.run()
        return result_of(model)


def simulate_run(spec: RunSpec, burn_in: BurnIn) -> RunResult:
    """Simulate one planned run (a policy run or a counterfactual) from its parameters and seed."""
    return burn_in.simulate(spec.params, spec.seed)


def error_text(exc: BaseException) -> tuple[str, str]:
    """A failure as stored in the errors table: a one-line message and the full traceback."""
    return f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc))


def _measures(summary: dict[str, Any], names: tuple[str, ...]) -> list[float]:
    flat = flatten(summary)
    out = []
    for m in names:
        v = flat.get(m)
        out.append(float(v) if isinstance(v, (bool, int, float, np.number)) else math.nan)
    return out


def _recorded(chunk: Chunk, run: RunResult, cf: RunResult | None) -> dict[str, Any]:
    """What is kept of a run: its measures, the weekly series asked for and its moves since the policy start."""
    summary = summarise(run, cf)
    frame = run.frame
    series = {"week": frame["week"].to_numpy(np.int64)}
    for c in chunk.series:
        series[c] = frame[c].to_numpy()
    moves = None
    if chunk.moves:
        m = run.moves[run.moves["week"] >= run.params.policy.start_week] if len(run.moves) else run.moves
        moves = {"week": m["week"].to_numpy(np.int64), "km": m["km"].to_numpy(float),
                 "cross_border": m["cross_border"].to_numpy(bool), "forced": m["forced"].to_numpy(bool)}
    return {"measures": _measures(summary, chunk.measures), "series": series, "moves": moves}


def run_chunk(chunk: Chunk, tick: Callable[[], None] | None = None) -> dict[str, Any]:
    """Simulate a chunk; returns per run either measures (plus series and moves) or an error."""
    ok: dict[str, dict[str, Any]] = {}
    errors: dict[str, tuple[str, str]] = {}
    burn_in = BurnIn(chunk.share_burn_in)
    cf_run, cf_error = None, None
    if chunk.counterfactual is not None:
        try:
            cf_run = simulate_run(chunk.counterfactual, burn_in)
        except Exception as exc:
            cf_error = error_text(exc)
    for spec in chunk.runs:
        try:
            if spec.role == "counterfactual":
                if cf_error is not None:
                    errors[spec.run_id] = cf_error
                else:
                    ok[spec.run_id] = _recorded(chunk, cf_run, None)
                continue
            if cf_error is not None:
                raise RuntimeError(f"its counterfactual {spec.counterfactual_id} failed: {cf_error[0]}")
            # A "none" point is its own counterfactual: same seed, same dynamics.
            derived = spec.from_counterfactual
            run = dataclasses.replace(cf_run, params=spec.params) if derived else simulate_run(spec, burn_in)
            ok[spec.run_id] = _recorded(chunk, run, cf_run)
        except Exception as exc:
            errors[spec.run_id] = error_text(exc)
        finally:
            if tick is not None:
                tick()
    return {"key": chunk.key, "ok": ok, "errors": errors}


def init_worker() -> None:
    """Worker processes ignore Ctrl-C: the parent stops them and keeps the finished parts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
