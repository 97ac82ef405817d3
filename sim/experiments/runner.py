"""Running an experiment: every pending design point x replication, into a results folder.

The sweep takes the folder's lock, opens (or resumes) its manifest, plans the runs
(``sim.experiments.plan``), skips those already recorded, groups the rest into chunks
(``sim.experiments.chunks``), runs them on a backend (``sim.experiments.executors``) and writes each
finished chunk at once as Parquet parts (``sim.experiments.parts``, ``sim.experiments.store``). How a
run is seeded, and so why the results do not depend on any of this, is in ``sim.experiments.plan``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiments import store
from sim.experiments.chunks import Chunk, auto_chunk_size, make_chunks
from sim.experiments.executors import Backend, backend_name, terminate_as_interrupt
from sim.experiments.manifest import new_session, now, open_manifest, write_design
from sim.experiments.parts import write_chunk
from sim.experiments.plan import plan, replication_seed
from sim.experiments.progress import Progress
from sim.experiments.reading import load_experiment
from sim.experiments.spec import Experiment

__all__ = ["SweepReport", "replication_seed", "run_sweep"]


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
    all_runs = plan(exp)
    t0 = time.monotonic()
    with store.lock(root), terminate_as_interrupt():
        session = new_session(exp, command, backend_name(workers, scheduler), scheduler, workers)
        manifest = open_manifest(root, exp, resume, session, len(all_runs))
        store.write_manifest(root, manifest)
        write_design(root, exp)
        store.clean(root)
        ok_ids, failed_ids = store.finished_runs(root)
        if retry_failed and failed_ids:
            store.drop_errors(root, failed_ids)
            failed_ids = set()
        done = ok_ids | failed_ids
        pending = [s for s in all_runs if s.run_id not in done]

        backend = Backend(workers, scheduler)
        session["workers"] = backend.workers
        size = chunk_size or auto_chunk_size(exp, pending, backend.workers, serial=backend.serial)
        chunks = make_chunks(exp, pending, all_runs, size, share_burn_in)
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
            backend.run(chunks, finish, bar.update)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            bar.close()
            backend.close(force=interrupted)
            ok_ids, failed_ids = store.finished_runs(root)
            remaining = sum(1 for s in all_runs if s.run_id not in ok_ids | failed_ids)
            session.update({"finished": now(), "elapsed_s": round(time.monotonic() - t0, 3),
                            "succeeded": succeeded, "failed": failed})
            manifest["status"] = "complete" if remaining == 0 else ("interrupted" if interrupted else "incomplete")
            manifest["counts"] = {"runs": len(all_runs), "succeeded": len(ok_ids), "failed": len(failed_ids), "pending": remaining}
            store.write_manifest(root, manifest)
    return SweepReport(out=root, total=len(all_runs), already=len(done), ran=succeeded + failed, succeeded=succeeded,
                       failed=failed, failed_total=len(failed_ids), pending=remaining, elapsed_s=time.monotonic() - t0,
                       backend=backend.name, workers=backend.workers, interrupted=interrupted)
