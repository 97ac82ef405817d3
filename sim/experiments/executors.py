"""Where a sweep's chunks run: serially in this process, on a local process pool, or on a Dask cluster.

Every backend calls the same ``sim.experiments.worker.run_chunk`` and hands each result to the sweep
as it arrives, so the results do not depend on the backend. Ctrl-C (and SIGTERM, while sweeping)
stops the workers; the finished chunks are already written.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from typing import Any

from sim.experiments.chunks import Chunk
from sim.experiments.worker import error_text, init_worker, run_chunk
from sim.scenario.loader import ScenarioError


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

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        self.name = backend_name(workers, scheduler)
        self.executor: Executor | None = None
        self.client: Any = None
        self.workers = 1
        if scheduler:
            try:
                from distributed import Client
            except ImportError as exc:
                raise ScenarioError([f"--scheduler {scheduler}: Dask distributed is not installed; "
                                     f"install scamsim[distributed]"]) from exc
            self.client = Client(scheduler)
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
        if self.executor is None:
            self.executor = _process_pool(min(self.workers, max(1, len(chunks))))
        futures: dict[Future, Chunk] = {self.executor.submit(run_chunk, c): c for c in chunks}
        for fut in as_completed(futures):
            chunk = futures.pop(fut)
            try:
                result = fut.result()
            except BrokenProcessPool:
                raise
            except Exception as exc:  # the task itself failed (not a run): record every run of it
                text = error_text(exc)
                result = {"key": chunk.key, "ok": {}, "errors": dict.fromkeys((s.run_id for s in chunk.runs), text)}
            finish(chunk, result)
            done(chunk.size)

    def close(self, force: bool) -> None:
        """Release the workers; on interruption stop running tasks too (their results are not needed)."""
        if self.executor is not None:
            _stop(self.executor, force)
        if self.client is not None:
            self.client.close()


def _process_pool(n: int) -> ProcessPoolExecutor:
    """Worker processes started once (forkserver with the model preloaded where available, else spawn)."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["sim.experiments.worker"])
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=init_worker)


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
