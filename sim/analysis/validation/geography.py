"""The static geography the measures need, built once from a scenario's map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params.declarations import Params
from sim.world.space import build_region


@dataclass(frozen=True)
class Geo:
    """Static geography the measures need (built once from the scenario's map)."""

    jurisdictions: tuple[str, ...]
    countries: tuple[str, ...]  # country of each jurisdiction (its own name when none is given)
    zones: tuple[str, ...]
    zone_kinds: tuple[str, ...]
    cell_jurisdiction: np.ndarray  # flat, -1 at sea
    cell_zone: np.ndarray  # flat, -1 outside zones
    land: np.ndarray  # flat bool
    border: np.ndarray  # flat bool: land cell touching another jurisdiction
    protection: np.ndarray  # flat static protection (zones over jurisdictions)
    weeks: int

    @classmethod
    def of(cls, params: Params) -> Geo:
        r = build_region(params.map, params.run.km_per_cell)
        return cls(
            jurisdictions=r.jurisdiction_names,
            countries=tuple(j.country or j.name for j in params.map.jurisdictions),
            zones=r.zone_names,
            zone_kinds=r.zone_kinds,
            cell_jurisdiction=r.flat_jurisdiction.astype(np.int64),
            cell_zone=r.zone.ravel().astype(np.int64),
            land=r.land.ravel(),
            border=r.border_cell.ravel() & r.land.ravel(),
            protection=r.protection.ravel(),
            weeks=params.run.weeks,
        )

    def j(self, name: str) -> int:
        return self.jurisdictions.index(name)

    def z(self, name: str) -> int:
        return self.zones.index(name)

