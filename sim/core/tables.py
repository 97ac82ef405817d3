"""Column storage for agent state, so weekly rules run over all agents at once.

Mesa agents are convenient handles, but a per-agent Python loop is what makes Mesa models slow. Each
Compound and Operator therefore owns a *slot* in a table of numpy columns; its attributes read and
write that slot, and the model's weekly rules work on whole columns. Freed slots are reused lowest
first, so slot order (and with it every vectorised draw) depends only on the seed.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np


class SlotTable:
    """Growable struct-of-arrays with an ``alive`` mask and lowest-first slot reuse."""

    def __init__(self, columns: dict[str, tuple[Any, Any]], capacity: int = 64) -> None:
        self._spec = columns  # name -> (dtype, fill) or (dtype, fill, width) for 2-D columns
        self._free: list[int] = []
        self._size = 0
        self._slots: np.ndarray | None = None  # live slots, cached until a slot is allocated or released
        self.alive = np.zeros(capacity, dtype=bool)
        self.cols: dict[str, np.ndarray] = {}
        for name, spec in columns.items():
            self._set_column(name, self._blank(spec, capacity))

    def _set_column(self, name: str, array: np.ndarray) -> None:
        """Hold a column in ``cols`` and as a plain attribute, so ``table.workers`` is an ordinary lookup."""
        self.cols[name] = array
        self.__dict__[name] = array

    @staticmethod
    def _blank(spec: tuple, n: int) -> np.ndarray:
        dtype, fill = spec[0], spec[1]
        shape = (n, spec[2]) if len(spec) > 2 else (n,)
        return np.full(shape, fill, dtype=dtype)

    def allocate(self) -> int:
        """A fresh slot with every column at its fill value."""
        if self._free:
            slot = heapq.heappop(self._free)
        else:
            slot = self._size
            self._size += 1
            if slot >= len(self.alive):
                self._grow()
        for name, spec in self._spec.items():
            self.cols[name][slot] = spec[1]
        self.alive[slot] = True
        self._slots = None
        return slot

    def release(self, slot: int) -> None:
        self.alive[slot] = False
        self._slots = None
        heapq.heappush(self._free, slot)

    def _grow(self) -> None:
        n = len(self.alive) * 2
        self.alive = np.concatenate([self.alive, np.zeros(n - len(self.alive), dtype=bool)])
        for name, spec in self._spec.items():
            old = self.cols[name]
            new = self._blank(spec, n)
            new[: len(old)] = old
            self._set_column(name, new)

    @property
    def slots(self) -> np.ndarray:
        """Live slots in ascending order (the canonical iteration order); read-only, cached until the next change."""
        if self._slots is None:
            self._slots = np.flatnonzero(self.alive[: self._size])
            self._slots.flags.writeable = False
        return self._slots

    @property
    def size(self) -> int:
        """Upper bound of used slots; columns sliced ``[:size]`` hold every live agent."""
        return self._size

    def count(self) -> int:
        return len(self.slots)


def column(name: str, cast: type = float) -> property:
    """An attribute of an agent that lives in its table's column ``name`` at the agent's slot."""

    def get(self: Any) -> Any:
        return cast(self.table.cols[name].item(self.slot))  # .item: the Python number without a numpy scalar in between

    def set_(self: Any, value: Any) -> None:
        self.table.cols[name][self.slot] = value

    return property(get, set_, doc=f"Column ``{name}`` of the agent's table.")
