"""The land cells of a region, and the move-cost terms site choice reads on them.

Sea and land outside the region never hold a compound, so site choice on a map that is mostly sea scores
the land cells only (``sim.rules.sitelayers.LandLayers``). This index numbers those cells and keeps the
per-origin vectors a choice needs on them (distance, border term, whole move cost): each entry is the
region's own vector at the land cells, so a choice through it does the same arithmetic on every land cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.world.space import Region

#: Move-cost vectors on land kept per (origin, cost terms), as the region keeps its full ones.
LAND_MOVE_COST_ENTRIES = 2048


class LandIndex:
    """``cells`` (flat indices of the land, ascending), ``position`` (each flat cell's index among them, -1 off
    land) and cached vectors on the land: every array handed out is read-only."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self.cells = np.flatnonzero(region.land.ravel())
        self.position = np.full(region.n_cells, -1, dtype=np.intp)
        self.position[self.cells] = np.arange(len(self.cells))
        for a in (self.cells, self.position):
            a.flags.writeable = False
        self._moves: dict[tuple, tuple[np.ndarray, float]] = {}
        self._distances: dict[int, np.ndarray] = {}  # per origin: at most one per land cell
        self._abroad: dict[int, np.ndarray] = {}  # per country

    @property
    def share(self) -> float:
        """Land cells as a share of all cells."""
        return len(self.cells) / self.region.n_cells

    def move_cost_and_max(self, origin: int, fixed: float, per_km: float, per_border: float,
                          free_origin: bool) -> tuple[np.ndarray, float]:
        """``Region.move_cost_and_max`` on the land cells: the same entries, and their largest."""
        key = (origin, fixed, per_km, per_border, free_origin)
        hit = self._moves.get(key)
        if hit is None:
            move = self._land(self.region.move_cost_and_max(origin, fixed, per_km, per_border, free_origin)[0])
            hit = (move, float(move.max()) if move.size else 0.0)
            if len(self._moves) < LAND_MOVE_COST_ENTRIES:
                self._moves[key] = hit
        return hit

    def distance_km(self, origin: int) -> np.ndarray:
        """``Region.distance_km(origin)`` on the land cells."""
        hit = self._distances.get(origin)
        if hit is None:
            hit = self._distances[origin] = self._land(self.region.distance_km(origin))
        return hit

    def abroad(self, origin: int) -> np.ndarray:
        """``Region.abroad(origin)`` on the land cells (one vector per country)."""
        country = int(self.region.flat_country[origin])
        hit = self._abroad.get(country)
        if hit is None:
            hit = self._abroad[country] = self._land(self.region.abroad(origin))
        return hit

    def _land(self, values: np.ndarray) -> np.ndarray:
        out = values.take(self.cells)
        out.flags.writeable = False
        return out
