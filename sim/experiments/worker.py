"""The work done in a worker: simulate a chunk's runs and summarise each into its measures, series and moves.

``run_chunk`` runs in a worker process (or in this process when the sweep is serial) and never raises
for a failing run: the error text and traceback are returned, so the run is recorded, not lost.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiments.chunks import Chunk
from sim.experiments.fields import flatten
from sim.experiments.plan import RunSpec
from sim.measures.run import RunResult, simulate, summarise
from sim.params.declarations import Params, PolicyParams
from sim.params.events import policy_window, without_policy


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

        key = (dataclasses.replace(params, policy=PolicyParams(), timeline=()), seed)
        if key != self.key:
            self.key, self.model = None, None
            self.model = ScamModel(without_policy(params), rng=seed)
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
        m = run.moves[run.moves["week"] >= policy_window(run.params).start_week] if len(run.moves) else run.moves
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


_SCRATCH: Path | None = None  # where a pool worker marks the chunk it is running (see run_marked)


def init_worker(main_pid: int | None = None, scratch: str | None = None) -> None:
    """Set up a pool worker: ignore Ctrl-C (the parent stops the workers and keeps the finished parts),
    remember where to mark running chunks, and end when the sweep that started it is gone."""
    global _SCRATCH
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _SCRATCH = Path(scratch) if scratch else None
    watch_parent(main_pid)


def run_marked(chunk: Chunk) -> dict[str, Any]:
    """``run_chunk`` with a marker file named by the chunk's key while it runs, so that when a worker is
    killed (out of memory, say) the sweep knows which chunks were running in the dead pool."""
    marker = _SCRATCH / chunk.key if _SCRATCH is not None else None
    if marker is not None:
        marker.write_text(f"{os.getpid()}\n")
    try:
        return run_chunk(chunk)
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)


def process_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we know
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def watch_parent(main_pid: int | None, every_s: float = 0.5) -> threading.Thread:
    """End this worker (``os._exit``) soon after its parent or the sweep's main process is gone.

    A watchdog thread, not ``prctl(PR_SET_PDEATHSIG)``: a pool worker's parent is the forkserver, not
    the sweep, and a killed sweep (SIGKILL, OOM killer) runs no cleanup, so the worker must notice by
    itself. ``os.getppid()`` changes the moment the parent exits (the worker is re-parented), even
    before the parent is reaped; the main pid is checked too, so a worker also ends if the forkserver
    outlives the sweep. This works on Linux and macOS alike, and costs one wake-up every half second.
    (The forkserver ends on its own when the sweep's end of its pipe closes, and the resource tracker
    when the last process holding its pipe, the workers included, is gone.)
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent or (main_pid is not None and not process_running(main_pid)):
                sys.stderr.flush()
                os._exit(1)

    thread = threading.Thread(target=watch, name="scamsim-parent-watch", daemon=True)
    thread.start()
    return thread
