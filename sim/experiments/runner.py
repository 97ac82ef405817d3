"""Running an experiment: every pending design point x replication, into a results folder.

The sweep takes the folder's lock, opens (or resumes) its manifest, plans the runs
(``sim.experiments.plan``), skips those already recorded, groups the rest into chunks
(``sim.experiments.chunks``), runs them on a backend (``sim.experiments.executors``) and writes each
finished chunk at once as Parquet parts (``sim.experiments.parts``, ``sim.experiments.store``). How a
run is seeded, and so why the results do not depend on any of this, is in ``sim.experiments.plan``.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.common.files import folder_problem
from sim.experiments import store
from sim.experiments.chunks import Chunk, auto_chunk_size, make_chunks
from sim.experiments.executors import Backend, terminate_as_interrupt
from sim.experiments.lock import folder_lock
from sim.experiments.manifest import new_session, now, open_manifest, write_design
from sim.experiments.parts import write_chunk
from sim.experiments.plan import plan, replication_seed
from sim.experiments.progress import Progress
from sim.experiments.reading import load_experiment
from sim.experiments.spec import Experiment

__all__ = ["SweepReport", "replication_seed", "run_sweep", "status"]

RUNNING = ".running"  # markers of the chunks pool workers are running (see sim.experiments.worker.run_marked)


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
    share_burn_in: bool = True,
) -> SweepReport:
    """Run every pending design point x replication of ``experiment`` into ``out``.

    ``workers=1`` runs serially in this process; otherwise a ProcessPoolExecutor with ``workers``
    processes (default: all cores), or, with ``scheduler="tcp://host:port"``, the Dask cluster there.
    Finished runs in ``out`` are skipped (``resume`` only insists that there is something to resume);
    failed runs are skipped too unless ``retry_failed``. ``on_chunk`` is called after each chunk is
    written; ``share_burn_in=False`` simulates every run from scratch with ``sim.measures.run.simulate``
    (see ``sim.experiments.worker.BurnIn``). Ctrl-C (KeyboardInterrupt) stops the workers, keeps every
    finished part and re-raises.
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    root = Path(out) if out is not None else Path("results") / exp.name
    problem = folder_problem(root)
    if problem:
        raise store.StoreError(f"--out {root}: {problem}; choose another --out")
    if resume and store.read_manifest(root) is None:  # checked before the lock, which would create the folder
        raise store.StoreError(f"{root}: nothing to resume (no {store.MANIFEST}); run without --resume to start")
    all_runs = plan(exp)
    t0 = time.monotonic()
    backend = Backend(workers, scheduler, scratch=root / RUNNING)  # connects to --scheduler before anything is written
    report = None
    try:
        with folder_lock(root), terminate_as_interrupt():
            report = _sweep(exp, root, all_runs, backend, resume, retry_failed, chunk_size, progress, command, on_chunk,
                            share_burn_in, t0)
    finally:
        backend.close(force=report is None)  # after an error or interruption, stop running tasks too
    return report


def _sweep(exp: Experiment, root: Path, all_runs: list, backend: Backend, resume: bool, retry_failed: bool,
           chunk_size: int | None, progress: bool, command: str | None, on_chunk: Callable[[dict[str, Any]], None] | None,
           share_burn_in: bool, t0: float) -> SweepReport:
    """The sweep proper, with the folder locked. The manifest says ``running`` only while this runs: however it
    ends (finished, interrupted, or an error), it is rewritten with the counts of what the folder holds."""
    session = new_session(exp, command, backend.name, backend.scheduler, backend.requested)
    manifest = open_manifest(root, exp, resume, session, len(all_runs))
    _set_aside_damaged(root)
    store.write_manifest(root, manifest)
    succeeded = failed = 0
    interrupted = False
    done: set[str] = set()
    try:
        write_design(root, exp)
        store.clean(root)
        shutil.rmtree(root / RUNNING, ignore_errors=True)
        ok_ids, failed_ids = store.finished_runs(root)
        if retry_failed and failed_ids:
            store.drop_errors(root, failed_ids)
            failed_ids = set()
        done = ok_ids | failed_ids
        pending = [s for s in all_runs if s.run_id not in done]

        session["workers"] = backend.workers
        size = chunk_size or auto_chunk_size(exp, pending, backend.workers, serial=backend.serial)
        chunks = make_chunks(exp, pending, all_runs, size, share_burn_in)
        bar = Progress(len(pending), f"sweep {exp.name}", enabled=progress)

        def finish(chunk: Chunk, result: dict[str, Any]) -> None:
            nonlocal succeeded, failed
            s, f = write_chunk(root, exp, chunk, result)
            succeeded += s
            failed += f
            if on_chunk is not None:
                on_chunk({"key": chunk.key, "runs": chunk.size, "succeeded": s, "failed": f,
                          "done": succeeded + failed, "pending": len(pending)})

        try:
            backend.run(chunks, finish, bar.update)
        finally:
            bar.close()
    except KeyboardInterrupt:
        interrupted = True
        backend.close(force=True)
        raise
    finally:
        ok_ids, failed_ids, remaining = _tally(root, all_runs)
        session.update({"finished": now(), "elapsed_s": round(time.monotonic() - t0, 3),
                        "succeeded": succeeded, "failed": failed})
        manifest["status"] = status(remaining, len(failed_ids), interrupted)
        manifest["counts"] = {"runs": len(all_runs), "succeeded": len(ok_ids), "failed": len(failed_ids), "pending": remaining}
        store.write_manifest(root, manifest)
    return SweepReport(out=root, total=len(all_runs), already=len(done), ran=succeeded + failed, succeeded=succeeded,
                       failed=failed, failed_total=len(failed_ids), pending=remaining, elapsed_s=time.monotonic() - t0,
                       backend=backend.name, workers=backend.workers, interrupted=interrupted)


def status(remaining: int, failed: int, interrupted: bool) -> str:
    """The manifest's status: ``complete`` only when every run finished and none failed."""
    if remaining == 0:
        return "complete" if failed == 0 else "complete_with_failures"
    return "interrupted" if interrupted else "incomplete"


def _tally(root: Path, all_runs: list) -> tuple[set[str], set[str], int]:
    """(succeeded ids, failed ids, runs still to do) as the folder holds them; unreadable parts count as not done."""
    try:
        ok_ids, failed_ids = store.finished_runs(root)
    except store.StoreError:
        ok_ids, failed_ids = set(), set()
    return ok_ids, failed_ids, sum(1 for s in all_runs if s.run_id not in ok_ids | failed_ids)


def _set_aside_damaged(root: Path) -> None:
    """Move damaged parts (truncated, overwritten) out of the way, so their chunks' runs are done again."""
    for path in store.damaged_parts(root):
        moved = store.set_aside(path)
        print(f"warning: {path} is damaged (not readable Parquet); moved it to {moved.name} and its chunk's runs "
              f"will be run again", file=sys.stderr)
