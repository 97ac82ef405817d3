"""Running an experiment: every design point x replication, serially, on local processes or on Dask.

Seeds. Replication ``r`` of every design point runs with the same seed (common random numbers),
``replication_seed(base, r)``, derived from the experiment's base seed through
``numpy.random.SeedSequence`` with ``spawn_key=(r,)``. A run's seed depends only on the base seed and
its replication number, never on order, backend, chunking or resumption, so the same experiment gives
the same results however it is run.

Counterfactuals. With ``counterfactual = true`` each run is compared with its no-policy counterfactual
(same seed, policy switched off). Every design point with the same non-policy parameters shares one
counterfactual per replication: it is simulated once per chunk and recorded once (role
"counterfactual"). A design point whose policy type is already "none" is its own counterfactual, so its
run is taken from the counterfactual instead of being simulated again (this relies on the "none"
policy ignoring every other policy lever, which tests/test_experiments.py checks).

Chunks. Runs are sent to workers in chunks (by default all runs of one replication that share a
counterfactual, capped in size), so per-task overhead and counterfactuals are paid once per chunk.
Each finished chunk is written at once as Parquet parts (see ``sim.experiments.store``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.common.files import atomic_write
from sim.experiments import store
from sim.experiments.design import Experiment, column_value, flatten, load_experiment
from sim.measures.run import RunResult, simulate, summarise
from sim.params.declarations import SECTIONS, Params, PolicyParams
from sim.scenario.loader import ScenarioError

MAX_CHUNK = 64
SEED_SCHEME = ("replication r runs with int(numpy.random.SeedSequence(base_seed, spawn_key=(r,)).generate_state(1)[0]) "
               "at every design point and in its counterfactual")
MOVE_TABLE_COLUMNS = ["week", "km", "cross_border", "forced"]


def replication_seed(base: int, replication: int) -> int:
    """The seed of replication ``replication`` at every design point (common random numbers)."""
    return int(np.random.SeedSequence(base, spawn_key=(replication,)).generate_state(1)[0])


# ---- the plan: every run, with its id, seed and parameters --------------------------------------------

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
    for r in range(exp.replications):
        seed = replication_seed(exp.seed, r)
        for g, points in by_group.items():
            cid = counterfactual_id(g, r) if exp.counterfactual else None
            if cid is not None:
                runs.append(RunSpec(cid, -1, r, seed, "counterfactual", g, None, cf_params[g]))
            for p in points:
                params = point_params[p.id]
                derived = (cid is not None and params.policy.type == "none"
                           and _same_summary_policy(params, cf_params[g]))
                runs.append(RunSpec(run_id(p.id, r), p.id, r, seed, "policy", g, cid, params, derived))
    return runs


# ---- chunks and the work done in a worker ------------------------------------------------------------

@dataclass(frozen=True)
class Chunk:
    key: str
    runs: tuple[RunSpec, ...]  # runs to record
    counterfactual: RunSpec | None  # simulated for the runs (recorded only if it is also in ``runs``)
    measures: tuple[str, ...]
    series: tuple[str, ...]
    moves: bool
    fail: frozenset[str] = frozenset()  # test hook: run ids that raise
    share_burn_in: bool = True

    @property
    def size(self) -> int:
        return len(self.runs)


def _key(ids: list[str]) -> str:
    return hashlib.sha1(",".join(ids).encode()).hexdigest()[:16]


def make_chunks(exp: Experiment, pending: list[RunSpec], all_runs: list[RunSpec], size: int,
                fail: Collection[str] = (), share_burn_in: bool = True) -> list[Chunk]:
    """Pending runs in chunks of at most ``size`` (plus the counterfactual they need)."""
    common = {"measures": exp.measures, "series": exp.series, "moves": exp.moves, "fail": frozenset(fail),
              "share_burn_in": share_burn_in}
    chunks = []
    if not exp.counterfactual:
        for i in range(0, len(pending), size):
            part = tuple(pending[i:i + size])
            chunks.append(Chunk(_key([s.run_id for s in part]), part, None, **common))
        return chunks
    cfs = {s.run_id: s for s in all_runs if s.role == "counterfactual"}
    todo: dict[str, list[RunSpec]] = {}
    for s in pending:
        cid = s.run_id if s.role == "counterfactual" else s.counterfactual_id
        todo.setdefault(cid, []).append(s)
    for cid, runs in todo.items():
        for i in range(0, len(runs), size):
            part = tuple(runs[i:i + size])
            chunks.append(Chunk(_key([s.run_id for s in part]), part, cfs[cid], **common))
    return chunks


def _measures(summary: dict[str, Any], names: tuple[str, ...]) -> list[float]:
    flat = flatten(summary)
    out = []
    for m in names:
        v = flat.get(m)
        out.append(float(v) if isinstance(v, (bool, int, float, np.number)) else math.nan)
    return out


def _error_text(exc: BaseException) -> tuple[str, str]:
    return f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc))


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


def run_chunk(chunk: Chunk, tick: Callable[[], None] | None = None) -> dict[str, Any]:
    """Simulate a chunk; returns per run either measures (plus series and moves) or an error.

    Runs in a worker process (or in-process when serial). Never raises for a failing run: the error
    text and traceback are returned so the run is recorded, not lost.
    """
    ok: dict[str, dict[str, Any]] = {}
    errors: dict[str, tuple[str, str]] = {}

    def record(spec: RunSpec, run: RunResult, cf: RunResult | None) -> None:
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
        ok[spec.run_id] = {"measures": _measures(summary, chunk.measures), "series": series, "moves": moves}

    burn_in = BurnIn(chunk.share_burn_in)
    cf_run, cf_error = None, None
    if chunk.counterfactual is not None:
        spec = chunk.counterfactual
        try:
            if spec.run_id in chunk.fail:
                raise RuntimeError("injected failure (test hook)")
            cf_run = burn_in.simulate(spec.params, spec.seed)
        except Exception as exc:
            cf_error = _error_text(exc)
    for spec in chunk.runs:
        try:
            if spec.role == "counterfactual":
                if cf_error is not None:
                    errors[spec.run_id] = cf_error
                else:
                    record(spec, cf_run, None)
                continue
            if spec.run_id in chunk.fail:
                raise RuntimeError("injected failure (test hook)")
            if cf_error is not None:
                raise RuntimeError(f"its counterfactual {spec.counterfactual_id} failed: {cf_error[0]}")
            # A "none" point is its own counterfactual: same seed, same dynamics.
            derived = spec.from_counterfactual
            run = dataclasses.replace(cf_run, params=spec.params) if derived else burn_in.simulate(spec.params, spec.seed)
            record(spec, run, cf_run)
        except Exception as exc:
            errors[spec.run_id] = _error_text(exc)
        finally:
            if tick is not None:
                tick()
    return {"key": chunk.key, "ok": ok, "errors": errors}


def _init_worker() -> None:
    """Worker processes ignore Ctrl-C: the parent stops them and keeps the finished parts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ---- turning a chunk's output into table parts ------------------------------------------------------

def auto_chunk_size(exp: Experiment, pending: list[RunSpec], n_workers: int, serial: bool) -> int:
    """Runs per task when not given.

    Runs that share a counterfactual also share its simulation and their burn-in, so a task takes all
    of them (up to MAX_CHUNK) unless there are fewer such units than workers; unpaired runs go in
    about four tasks per worker, for balance.
    """
    if serial:
        return MAX_CHUNK
    if exp.counterfactual:
        units = len({s.run_id if s.role == "counterfactual" else s.counterfactual_id for s in pending})
        if units >= n_workers:
            return MAX_CHUNK
        return max(1, min(MAX_CHUNK, math.ceil(len(pending) / n_workers)))
    return max(1, min(MAX_CHUNK, math.ceil(len(pending) / (n_workers * 4))))


def _meta(spec: RunSpec, parameters: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": spec.run_id, "point": spec.point, "replication": spec.replication, "seed": spec.seed,
                           "role": spec.role, "group": spec.group, "counterfactual_id": spec.counterfactual_id}
    for key in parameters:
        section, name = key.split(".", 1)
        row[key] = column_value(getattr(getattr(spec.params, section), name))
    return row


def chunk_tables(exp: Experiment, chunk: Chunk, out: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The four table parts of a finished chunk."""
    meta_cols = [*store.RUN_COLUMNS, *exp.parameters]
    results, series, moves, errors = [], [], [], []
    for spec in chunk.runs:
        meta = _meta(spec, exp.parameters)
        if spec.run_id in out["ok"]:
            r = out["ok"][spec.run_id]
            results.append(pd.DataFrame({**{k: [v] * len(exp.measures) for k, v in meta.items()},
                                         "measure": list(exp.measures), "value": np.asarray(r["measures"], dtype=float)}))
            s = r["series"]
            series.append(pd.DataFrame({"run_id": [spec.run_id] * len(s["week"]), **s}))
            if r["moves"] is not None:
                m = r["moves"]
                moves.append(pd.DataFrame({"run_id": [spec.run_id] * len(m["week"]), **m}))
        else:
            text, tb = out["errors"][spec.run_id]
            errors.append({**meta, "error": text, "traceback": tb})

    def frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: [] for c in columns})

    return {
        "results": frame(results, [*meta_cols, "measure", "value"]),
        "series": frame(series, ["run_id", "week", *exp.series]),
        "moves": frame(moves, ["run_id", *MOVE_TABLE_COLUMNS]),
        "errors": pd.DataFrame(errors) if errors else pd.DataFrame({c: [] for c in [*meta_cols, "error", "traceback"]}),
    }


def column_types(exp: Experiment) -> dict[str, pa.DataType]:
    """pyarrow type of every column of every table (series columns not listed are float64)."""
    kinds = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string(), tuple: pa.string()}
    fields = {f"{s}.{f.name}": f for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
    types = {"run_id": pa.string(), "point": pa.int64(), "replication": pa.int64(), "seed": pa.int64(), "role": pa.string(),
             "group": pa.int64(), "counterfactual_id": pa.string(), "measure": pa.string(), "value": pa.float64(),
             "week": pa.int64(), "km": pa.float64(), "cross_border": pa.bool_(), "forced": pa.bool_(), "error": pa.string(),
             "traceback": pa.string()}
    for key in exp.parameters:
        d = fields[key].default
        types[key] = kinds[bool if isinstance(d, bool) else type(d)]
    return types


def write_chunk(root: Path, exp: Experiment, chunk: Chunk, out: dict[str, Any]) -> tuple[int, int]:
    """Write a chunk's four parts; returns (succeeded, failed)."""
    tables = chunk_tables(exp, chunk, out)
    types = column_types(exp)
    for t in store.TABLES:
        store.write_part(root, t, chunk.key, tables[t], types)
    return len(out["ok"]), len(out["errors"])


# ---- progress -----------------------------------------------------------------------------------------

class Progress:
    """A tqdm bar (rate, ETA) on a terminal; plain lines about every 10% or 30 s otherwise."""

    def __init__(self, total: int, label: str, enabled: bool = True) -> None:
        self.total, self.label, self.done = total, label, 0
        self.start = self.last = time.monotonic()
        self.bar = None
        self.enabled = enabled and total > 0
        if self.enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="run", dynamic_ncols=True)

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        step = max(1, self.total // 10)
        if self.done == self.total or self.done // step != (self.done - n) // step or now - self.last >= 30:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            eta_text = str(dt.timedelta(seconds=round(eta))) if math.isfinite(eta) else "?"
            print(f"{self.label}: {self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%), "
                  f"{rate:.2f} runs/s, ETA {eta_text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---- the sweep ----------------------------------------------------------------------------------------

@dataclass
class SweepReport:
    out: Path
    total: int  # runs in the experiment (counterfactuals included)
    already: int  # finished before this session
    ran: int  # recorded in this session
    succeeded: int
    failed: int  # failed in this session
    failed_total: int  # failed runs recorded in the folder
    pending: int  # still to do (after an interruption)
    elapsed_s: float
    backend: str
    workers: int
    interrupted: bool = False


def default_workers() -> int:
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _open_manifest(root: Path, exp: Experiment, resume: bool, session: dict[str, Any], n_runs: int) -> dict[str, Any]:
    from sim.common.provenance import git_commit, versions

    old = store.read_manifest(root)
    if old is None:
        if resume:
            raise store.StoreError(f"{root}: nothing to resume (no {store.MANIFEST}); run without --resume to start")
        if root.exists() and any(p.name != ".lock" for p in root.iterdir()):
            raise store.StoreError(f"{root} exists and is not a scamsim results folder; choose another --out")
        return {
            "format": 1,
            "experiment": {"name": exp.name, "description": exp.description, "path": exp.path, "sha256": exp.sha256,
                           "design_sha256": exp.design_sha256, "text": exp.text},
            "scenario": {"path": exp.scenario_path, "sha256": exp.scenario_sha256},
            "base_seed": exp.seed,
            "seed_scheme": SEED_SCHEME,
            "replications": exp.replications,
            "weeks": exp.weeks,
            "counterfactual": exp.counterfactual,
            "parameters": list(exp.parameters),
            "measures": list(exp.measures),
            "series": list(exp.series),
            "moves": exp.moves,
            "points": len(exp.points),
            "counterfactual_groups": len(exp.groups) if exp.counterfactual else 0,
            "runs": n_runs,
            "base_parameters": dataclasses.asdict(exp.base),
            "created": session["started"],
            "command": session["command"],
            "git_commit": git_commit(),
            "versions": versions(),
            "sessions": [session],
            "status": "running",
        }
    if old.get("experiment", {}).get("design_sha256") != exp.design_sha256:
        raise store.StoreError(
            f"{root} holds results of a different experiment design ({old.get('experiment', {}).get('path')}, "
            f"design {str(old.get('experiment', {}).get('design_sha256'))[:12]}; this one is {exp.design_sha256[:12]}); "
            f"use another --out, or delete the folder to start again")
    if old.get("versions") != session["versions"] or old.get("git_commit") != session["git_commit"]:
        print(f"warning: {root} was started with code {old.get('git_commit')} {old.get('versions', {}).get('scamsim')}; "
              f"this session runs {session['git_commit']} {session['versions'].get('scamsim')}: results will mix code versions "
              f"(each session is listed in the manifest)", file=sys.stderr)
    if old.get("experiment", {}).get("sha256") != exp.sha256:
        old["experiment"]["history"] = [*old["experiment"].get("history", []), {"sha256": exp.sha256, "text": exp.text}]
    old["replications"] = max(int(old.get("replications", 0)), exp.replications)
    old["runs"] = max(int(old.get("runs", 0)), n_runs)
    old["sessions"] = [*old.get("sessions", []), session]
    old["status"] = "running"
    return old


def run_sweep(
    experiment: Experiment | str | Path,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    chunk_size: int | None = None,
    progress: bool = True,
    command: str | None = None,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    fail_runs: Collection[str] = (),
    share_burn_in: bool = True,
) -> SweepReport:
    """Run every pending design point x replication of ``experiment`` into ``out``.

    ``workers=1`` runs serially in this process; otherwise a ProcessPoolExecutor with ``workers``
    processes (default: all cores), or, with ``scheduler="tcp://host:port"``, the Dask cluster there.
    Finished runs in ``out`` are skipped (``resume`` only insists that there is something to resume);
    failed runs are skipped too unless ``retry_failed``. ``on_chunk`` is called after each chunk is
    written; ``fail_runs`` makes the named runs raise (a test hook); ``share_burn_in=False`` simulates
    every run from scratch with ``sim.measures.run.simulate`` (see ``BurnIn``). Ctrl-C (KeyboardInterrupt) stops
    the workers, keeps every finished part and re-raises.
    """
    from sim.common.provenance import git_commit, versions

    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    root = Path(out) if out is not None else Path("results") / exp.name
    all_runs = plan(exp)
    t0 = time.monotonic()
    backend = "dask" if scheduler else ("serial" if workers == 1 else "processes")
    with store.lock(root), _terminate_as_interrupt():
        session = {"started": _now(), "command": command if command is not None else " ".join(sys.argv),
                   "backend": backend, "scheduler": scheduler, "workers": workers, "git_commit": git_commit(),
                   "versions": versions(), "replications": exp.replications}
        manifest = _open_manifest(root, exp, resume, session, len(all_runs))
        store.write_manifest(root, manifest)
        if not (root / "design.parquet").is_file():
            design = pd.DataFrame([{"point": p.id, "group": p.group,
                                    **_meta(RunSpec("", p.id, 0, 0, "policy", p.group, None, exp.params_for(p)), exp.parameters)}
                                   for p in exp.points])
            design = design.drop(columns=[c for c in store.RUN_COLUMNS if c not in ("point", "group")])
            atomic_write(root / "design.parquet", lambda p: design.to_parquet(p, index=False))
        store.clean(root)
        ok_ids, failed_ids = store.finished_runs(root)
        if retry_failed and failed_ids:
            store.drop_errors(root, failed_ids)
            failed_ids = set()
        done = ok_ids | failed_ids
        pending = [s for s in all_runs if s.run_id not in done]

        executor: Executor | None = None
        client = None
        n_workers = 1
        if scheduler:
            try:
                from distributed import Client
            except ImportError as exc:
                raise ScenarioError([f"--scheduler {scheduler}: Dask distributed is not installed; "
                                     f"install scamsim[distributed]"]) from exc
            client = Client(scheduler)
            n_workers = max(1, sum(client.nthreads().values()))
            executor = client.get_executor(pure=False)
        elif workers != 1:
            n_workers = workers or default_workers()
        session["workers"] = n_workers
        size = chunk_size or auto_chunk_size(exp, pending, n_workers, serial=executor is None and n_workers == 1)
        chunks = make_chunks(exp, pending, all_runs, size, fail_runs, share_burn_in)
        bar = Progress(len(pending), f"sweep {exp.name}", enabled=progress)
        succeeded = failed = 0
        interrupted = False

        def finish(chunk: Chunk, result: dict[str, Any]) -> None:
            nonlocal succeeded, failed
            s, f = write_chunk(root, exp, chunk, result)
            succeeded += s
            failed += f
            if on_chunk is not None:
                on_chunk({"key": chunk.key, "runs": chunk.size, "succeeded": s, "failed": f,
                          "done": succeeded + failed, "pending": len(pending)})

        try:
            if executor is None and n_workers == 1:
                for chunk in chunks:
                    result = run_chunk(chunk, tick=lambda: bar.update(1))
                    finish(chunk, result)
            else:
                if executor is None:
                    methods = multiprocessing.get_all_start_methods()
                    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                    if ctx.get_start_method() == "forkserver":
                        ctx.set_forkserver_preload(["sim.experiments.runner"])
                    executor = ProcessPoolExecutor(max_workers=min(n_workers, max(1, len(chunks))), mp_context=ctx,
                                                   initializer=_init_worker)
                futures: dict[Future, Chunk] = {executor.submit(run_chunk, c): c for c in chunks}
                for fut in as_completed(futures):
                    chunk = futures.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as exc:  # the task itself failed (not a run): record every run of it
                        text = _error_text(exc)
                        result = {"key": chunk.key, "ok": {}, "errors": dict.fromkeys((s.run_id for s in chunk.runs), text)}
                    finish(chunk, result)
                    bar.update(chunk.size)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            bar.close()
            if executor is not None:
                _stop(executor, force=interrupted)
            if client is not None:
                client.close()
            ok_ids, failed_ids = store.finished_runs(root)
            remaining = sum(1 for s in all_runs if s.run_id not in ok_ids | failed_ids)
            session.update({"finished": _now(), "elapsed_s": round(time.monotonic() - t0, 3),
                            "succeeded": succeeded, "failed": failed})
            manifest["status"] = "complete" if remaining == 0 else ("interrupted" if interrupted else "incomplete")
            manifest["counts"] = {"runs": len(all_runs), "succeeded": len(ok_ids), "failed": len(failed_ids), "pending": remaining}
            store.write_manifest(root, manifest)
    return SweepReport(out=root, total=len(all_runs), already=len(done), ran=succeeded + failed, succeeded=succeeded,
                       failed=failed, failed_total=len(failed_ids), pending=remaining, elapsed_s=time.monotonic() - t0,
                       backend=backend, workers=n_workers, interrupted=interrupted)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while sweeping, so workers are stopped and the manifest is written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _stop(executor: Executor, force: bool) -> None:
    """Shut an executor down; on interruption stop running tasks too (their results are not needed)."""
    if not force:
        executor.shutdown(wait=True)
        return
    if not isinstance(executor, ProcessPoolExecutor):
        executor.shutdown(wait=False)  # Dask: cancels the cluster's tasks
        return
    if hasattr(executor, "terminate_workers"):  # Python >= 3.14
        executor.terminate_workers()
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    for p in processes:
        p.join(timeout=10)
