"""The static geography the measures need, built once from a scenario's map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params.declarations import MapSpec, Params
from sim.rules.borders import dilate
from sim.world.space import build_region

#: The map character for land outside the region (a neighbouring country that is not modelled: China,
#: India and Malaysia on the Mekong map); "." and "~" are sea.
OFF_MAP_LAND = " "


def international_border_distance(spec: MapSpec, countries: tuple[str, ...]) -> np.ndarray:
    """Per cell ([x, y], like the region's layers), king moves to the nearest international border; -1 off the region.

    A region cell is on an international border (distance 0) when one of its eight neighbours is land
    of another country: a region cell of another country, or land outside the region
    (``OFF_MAP_LAND``), which is always another country. The grid's edge is not a border (what lies
    beyond it is not on the map). Jurisdictions of one country (Shan and Kayin) share no international border.
    """
    height, width = len(spec.layout), len(spec.layout[0])
    symbol_country = {j.symbol: c for j, c in zip(spec.jurisdictions, countries, strict=True)}
    names = sorted(set(countries))
    country = np.full((width, height), -1, dtype=np.int64)  # -1 sea, -2 off-map land
    for row, line in enumerate(spec.layout):
        y = height - 1 - row
        for x, ch in enumerate(line):
            if ch == OFF_MAP_LAND:
                country[x, y] = -2
            elif ch in symbol_country:
                country[x, y] = names.index(symbol_country[ch])
    region = country >= 0
    border = region & dilate(country == -2, 1)
    for c in range(len(names)):
        border |= (country == c) & dilate(region & (country != c), 1)
    dist = np.where(border, 0, -1)
    reached, k = border.copy(), 0
    while (region & ~reached).any():
        k += 1
        grown = dilate(reached, 1) & region & ~reached
        if not grown.any():
            break  # a region (an island) with no international border: left at -1
        dist[grown] = k
        reached |= grown
    return np.where(region, dist, -1)


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
    border_distance: np.ndarray  # flat int: cells (king moves) to the nearest international border, -1 off the region
    protection: np.ndarray  # flat static protection (zones over jurisdictions)
    weeks: int

    @classmethod
    def of(cls, params: Params) -> Geo:
        r = build_region(params.map, params.run.km_per_cell)
        countries = tuple(j.country or j.name for j in params.map.jurisdictions)
        return cls(
            jurisdictions=r.jurisdiction_names,
            countries=countries,
            zones=r.zone_names,
            zone_kinds=r.zone_kinds,
            cell_jurisdiction=r.flat_jurisdiction.astype(np.int64),
            cell_zone=r.zone.ravel().astype(np.int64),
            land=r.land.ravel(),
            border=r.border_cell.ravel() & r.land.ravel(),
            border_distance=international_border_distance(params.map, countries).ravel(),
            protection=r.protection.ravel(),
            weeks=params.run.weeks,
        )

    def j(self, name: str) -> int:
        return self.jurisdictions.index(name)

    def z(self, name: str) -> int:
        return self.zones.index(name)

