"""Where a sweep's chunks run: serially in this process, on a local process pool, or on a Dask cluster.

Every backend calls the same ``sim.experiments.worker.run_chunk`` and hands each result to the sweep
as it arrives, so the results do not depend on the backend. Ctrl-C (and SIGTERM, while sweeping)
stops the workers; the finished chunks are already written.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sim.experiments.chunks import Chunk
from sim.experiments.worker import error_text, init_worker, run_chunk, run_marked
from sim.scenario.loader import ScenarioError

CONNECT_TIMEOUT_S = 5  # for --scheduler: a scheduler that does not answer in this time is reported, not waited for
MAX_POOL_RESTARTS = 10  # a pool that keeps dying (every worker killed) ends the sweep's pending chunks as failed


def default_workers() -> int:
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def backend_name(workers: int | None, scheduler: str | None) -> str:
    """"dask" with a scheduler, "serial" for one worker, else "processes"."""
    return "dask" if scheduler else ("serial" if workers == 1 else "processes")


class Backend:
    """The workers of one sweep session: ``workers=1`` serial, else local processes, or the Dask cluster at ``scheduler``."""

    def __init__(self, workers: int | None, scheduler: str | None, scratch: Path | None = None) -> None:
        self.name = backend_name(workers, scheduler)
        self.executor: Executor | None = None
        self.client: Any = None
        self.workers = 1
        self.scheduler, self.requested = scheduler, workers
        self.scratch = scratch  # where pool workers mark the chunks they run (see worker.run_marked)
        self.restarts = 0
        if scheduler:
            try:
                from distributed import Client
            except ImportError as exc:
                raise ScenarioError([f"--scheduler {scheduler}: Dask distributed is not installed; "
                                     f"install scamsim[distributed]"]) from exc
            try:
                self.client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address, ...
                raise ScenarioError([f"--scheduler {scheduler}: cannot connect to a Dask scheduler there "
                                     f"({type(exc).__name__}: {str(exc)[:200] or 'no answer'}); give the address of a "
                                     f"running scheduler, e.g. tcp://host:8786"]) from None
            self.workers = max(1, sum(self.client.nthreads().values()))
            self.executor = self.client.get_executor(pure=False)
        elif workers != 1:
            self.workers = workers or default_workers()

    @property
    def serial(self) -> bool:
        return self.executor is None and self.workers == 1

    def run(self, chunks: list[Chunk], finish: Callable[[Chunk, dict[str, Any]], None], done: Callable[[int], None]) -> None:
        """Run every chunk, calling ``finish(chunk, result)`` as each completes and ``done(n)`` per n runs finished."""
        if self.serial:
            for chunk in chunks:
                finish(chunk, run_chunk(chunk, tick=lambda: done(1)))
            return
        if self.client is not None:
            self._run_dask(chunks, finish, done)
            return
        pending = list(chunks)
        in_flight_breaks: dict[str, int] = {}
        while pending:
            broken = self._run_pool(pending, finish, done)
            if not broken:
                return
            running = self._marked()
            self._discard_pool()
            self.restarts += 1
            pending = []
            for chunk in broken:
                if chunk.key in running:
                    in_flight_breaks[chunk.key] = in_flight_breaks.get(chunk.key, 0) + 1
                if in_flight_breaks.get(chunk.key, 0) >= 2 or self.restarts > MAX_POOL_RESTARTS:
                    text = (f"WorkerDied: a worker process died (killed, e.g. by the out-of-memory killer) while running "
                            f"these runs, {in_flight_breaks.get(chunk.key, 0)} time(s); retry with --retry-failed, "
                            f"perhaps with fewer --workers")
                    finish(chunk, {"key": chunk.key, "ok": {}, "errors": dict.fromkeys((s.run_id for s in chunk.runs),
                                                                                        (text, text))})
                    done(chunk.size)
                else:
                    pending.append(chunk)
            if pending:
                print(f"warning: a worker process died (killed?); {len(running & {c.key for c in broken})} task(s) were "
                      f"running; retrying {len(pending)} unfinished task(s) on fresh workers", file=sys.stderr, flush=True)

    def _run_pool(self, chunks: list[Chunk], finish: Callable[[Chunk, dict[str, Any]], None],
                  done: Callable[[int], None]) -> list[Chunk]:
        """Run ``chunks`` on the local pool; returns those left unfinished because the pool broke."""
        if self.executor is None:
            if self.scratch is not None:
                self.scratch.mkdir(parents=True, exist_ok=True)
            self.executor = _process_pool(min(self.workers, max(1, len(chunks))), self.scratch)
        futures: dict[Future, Chunk] = {self.executor.submit(run_marked, c): c for c in chunks}
        broken = []
        for fut in as_completed(futures):
            chunk = futures.pop(fut)
            try:
                result = fut.result()
            except BrokenProcessPool:
                broken.append(chunk)
                continue
            except Exception as exc:  # the task itself failed (not a run): record every run of it
                text = error_text(exc)
                result = {"key": chunk.key, "ok": {}, "errors": dict.fromkeys((s.run_id for s in chunk.runs), text)}
            finish(chunk, result)
            done(chunk.size)
        return broken

    def _run_dask(self, chunks: list[Chunk], finish: Callable[[Chunk, dict[str, Any]], None],
                  done: Callable[[int], None]) -> None:
        assert self.executor is not None
        futures: dict[Future, Chunk] = {self.executor.submit(run_chunk, c): c for c in chunks}
        for fut in as_completed(futures):
            chunk = futures.pop(fut)
            try:
                result = fut.result()
            except Exception as exc:  # the task itself failed (not a run): record every run of it
                text = error_text(exc)
                result = {"key": chunk.key, "ok": {}, "errors": dict.fromkeys((s.run_id for s in chunk.runs), text)}
            finish(chunk, result)
            done(chunk.size)

    def _marked(self) -> set[str]:
        """Keys of the chunks marked as running (by workers of a pool that has just died)."""
        if self.scratch is None or not self.scratch.is_dir():
            return set()
        keys = {p.name for p in self.scratch.iterdir()}
        for p in self.scratch.iterdir():
            p.unlink(missing_ok=True)
        return keys

    def _discard_pool(self) -> None:
        if self.executor is not None:
            with contextlib.suppress(Exception):
                self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def close(self, force: bool) -> None:
        """Release the workers; on interruption stop running tasks too (their results are not needed)."""
        executor, client = self.executor, self.client
        self.executor = self.client = None
        if executor is not None:
            _stop(executor, force)
        if client is not None:
            client.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _process_pool(n: int, scratch: Path | None = None) -> ProcessPoolExecutor:
    """Worker processes started once (forkserver with the model preloaded where available, else spawn).

    Each worker watches this process and ends when it is gone (``sim.experiments.worker.watch_parent``),
    so a killed sweep leaves no workers behind."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["sim.experiments.worker"])
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=init_worker,
                               initargs=(os.getpid(), str(scratch) if scratch is not None else None))


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
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
