"""Chunks: the pending runs of a sweep grouped into tasks for the workers.

Runs are sent to workers in chunks (by default all runs of one replication that share a
counterfactual, capped in size), so per-task overhead and counterfactuals are paid once per chunk.
A chunk's key (a hash of its run ids) names the Parquet parts it writes (see ``sim.experiments.store``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from sim.experiments.plan import RunSpec
from sim.experiments.spec import Experiment

MAX_CHUNK = 64


@dataclass(frozen=True)
class Chunk:
    key: str
    runs: tuple[RunSpec, ...]  # runs to record
    counterfactual: RunSpec | None  # simulated for the runs (recorded only if it is also in ``runs``)
    measures: tuple[str, ...]
    series: tuple[str, ...]
    moves: bool
    share_burn_in: bool = True

    @property
    def size(self) -> int:
        return len(self.runs)


def _key(ids: list[str]) -> str:
    return hashlib.sha1(",".join(ids).encode()).hexdigest()[:16]


def make_chunks(exp: Experiment, pending: list[RunSpec], all_runs: list[RunSpec], size: int,
                share_burn_in: bool = True) -> list[Chunk]:
    """Pending runs in chunks of at most ``size`` (plus the counterfactual they need)."""
    common = {"measures": exp.measures, "series": exp.series, "moves": exp.moves, "share_burn_in": share_burn_in}
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
