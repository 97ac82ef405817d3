"""The week's inputs to site choice: one flat value per cell, computed once a week and shared by every mover.

``site_layers`` turns the week's ground (prices, infrastructure, protection, concessions, heat, the raid
climate operators read, where compounds stand) into the per-cell terms of an operator's utility, so each
choice in ``sim.rules.sitechoice`` only adds what is its own (workers, notoriety, capital, origin). On a map
that is mostly sea the layers also carry a land view (``LandLayers``): the same values on land cells only,
which is where a compound can stand.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from sim.params.declarations import EnforcementParams, RelocationParams
from sim.rules.enforcement import perceived_hazard_into, shield_factor
from sim.rules.market import Prices, gross_revenue, operating_margin, running_cost
from sim.world.space import Region, box_counts, box_sum


@dataclass(frozen=True, slots=True)
class SiteLayers:
    """This week's flat (one value per cell) inputs to site choice, shared by every mover."""

    net_per_worker: np.ndarray  # US$/week a worker nets the operator at each cell
    fixed_cost: np.ndarray  # US$/week running cost of a compound at each cell
    climate: np.ndarray  # raid hazard per compound operators believe for each cell's jurisdiction (enforcement.risk_belief)
    exposure: np.ndarray  # heat at each cell
    protection: np.ndarray
    labour_access: np.ndarray
    jurisdiction: np.ndarray  # int, -1 outside the region
    open_cell: np.ndarray  # land cell with room for another compound
    agglomeration: np.ndarray  # utility (US$M) of the compounds around each cell
    base_hazard: np.ndarray  # perceived weekly raid hazard for an operator with no notoriety
    loss_factor: np.ndarray | None = None  # factor on the expected raid loss at each cell (None: 1; borders.escape_valued)
    shield: np.ndarray | None = None  # 1 - protection_shield * protection (None: computed when needed); saves work per mover
    neg_shield: np.ndarray | None = None  # -shield (None: computed when needed); spares a negation per mover with a notoriety
    jurisdiction_or_last: np.ndarray | None = None  # ``jurisdiction`` with -1 replaced by the number of jurisdictions (None: when needed)
    land: LandLayers | None = None  # the same layers on land cells only (None: choices score every cell)

    def set_open(self, cell: int, is_open: bool) -> None:
        """Mark ``cell`` open or full, in the land view too (the one way the week's layers change)."""
        self.open_cell[cell] = is_open
        if self.land is not None:
            self.land.layers.open_cell[self.land.position[cell]] = is_open

    def refresh_exposure(self) -> None:
        """Raid heat changed during the week: copy it into the land view (``exposure`` itself is a view of the heat grid)."""
        if self.land is not None:
            np.take(self.exposure, self.land.cells, out=self.land.layers.exposure)


@dataclass(frozen=True, slots=True)
class LandLayers:
    """The week's layers restricted to land cells, which a map with much sea holds only a fraction of.

    Sea and land outside the region are never open, so a choice can never land there; scoring only the
    land cells does the same arithmetic on each of them (every operation is element by element) and
    picks the same cell, while a map that is 72% sea (the Mekong's) spares most of the work. The Gumbel
    draws still cover the whole grid, so the random stream advances exactly as before.
    """

    cells: np.ndarray  # flat index of each land cell, ascending
    position: np.ndarray  # for each flat cell, its index in ``cells`` (-1: not land)
    layers: SiteLayers  # every per-cell layer at ``cells``, in that order; kept current by ``set_open`` and ``refresh_exposure``


#: A map whose land is at most this share of its cells gets a land view (``LandLayers``). Measured by
#: benchmarks/bench_land.py (whole runs, CPU): the Mekong's map (28% land) runs 5% faster with it, the baseline's
#: (90% land) 11% slower, so the break-even lies near half (linear between the two). The choices are the same either way.
LAND_VIEW_MAX_SHARE = 0.5


def site_layers(
    region: Region,
    p: Prices,
    infrastructure: np.ndarray,
    protection: np.ndarray,
    concession: np.ndarray,
    heat: np.ndarray,
    climate: np.ndarray,
    compound_counts: np.ndarray,
    cell_capacity: int,
    r: RelocationParams,
    e: EnforcementParams,
    loss_factor: np.ndarray | None = None,
) -> SiteLayers:
    """Precompute the per-cell terms once a week, so each mover only adds its own.

    ``loss_factor`` (flat, or None for 1 everywhere) scales the raid loss expected at each cell: an
    escape route across a border (``sim.rules.borders.escape_loss_layer``) makes a raid cost less.
    """
    net_per_worker = operating_margin(gross_revenue(1.0, infrastructure, p), 1.0, protection, p)  # exactly the books' formula
    jurisdiction_or_last = region.jurisdiction_index
    climate_cells = np.append(climate, 0.0).take(jurisdiction_or_last)  # cells outside the region pick the 0
    exposure = heat.ravel()
    shield = shield_factor(protection.ravel(), e)
    # perceived_hazard(climate_cells, exposure, protection, e) with the shield computed once for both (same bits)
    base_hazard = perceived_hazard_into(climate_cells, exposure, shield, e, out=np.empty_like(exposure))
    layers = SiteLayers(
        net_per_worker=net_per_worker.ravel(),
        fixed_cost=running_cost(concession, p).ravel(),
        climate=climate_cells,
        exposure=exposure,
        protection=protection.ravel(),
        labour_access=region.labour_access.ravel(),
        jurisdiction=region.flat_jurisdiction_int64,
        open_cell=(region.land & (compound_counts < cell_capacity)).ravel(),
        agglomeration=agglomeration_layer(compound_counts, r.agglomeration, r.agglomeration_radius),
        base_hazard=base_hazard,
        loss_factor=loss_factor,
        shield=shield,
        neg_shield=np.negative(shield),
        jurisdiction_or_last=jurisdiction_or_last,
    )
    land = region.land_index
    if land.share > LAND_VIEW_MAX_SHARE:
        return layers
    return dataclasses.replace(layers, land=land_view(layers, land.cells, land.position))


def land_view(layers: SiteLayers, cells: np.ndarray, position: np.ndarray) -> LandLayers:
    """``layers`` at ``cells`` only (copies: the view's open cells are then kept current by ``SiteLayers.set_open``)."""
    fields = {f.name: getattr(layers, f.name) for f in dataclasses.fields(SiteLayers) if f.name != "land"}
    return LandLayers(cells, position, SiteLayers(**{k: None if v is None else v.take(cells) for k, v in fields.items()}))


def agglomeration_layer(compound_counts: np.ndarray, strength: float, radius: int) -> np.ndarray:
    """``strength * log1p(box_sum(compound_counts, radius))``, flat: the utility of the compounds around each cell.

    Whole-number counts (the model's) take the same values from a table: ``log1p`` of each whole number
    (numpy's ``log1p``, element by element, as over the grid) times ``strength``, picked by the box counts;
    any other counts, the formula itself.
    """
    if not np.issubdtype(compound_counts.dtype, np.integer):
        return (strength * np.log1p(box_sum(compound_counts, radius))).ravel()
    box = box_counts(compound_counts, radius).ravel()
    table = _agglomeration_table(strength, _table_size(int(box.max()) + 1 if box.size else 1))
    return table.take(box)


def _table_size(n: int) -> int:
    """The next power of two from ``n`` (at least 64): few table sizes, each built once."""
    return max(64, 1 << (n - 1).bit_length())


@functools.lru_cache(maxsize=64)
def _agglomeration_table(strength: float, size: int) -> np.ndarray:
    """``strength * log1p(k)`` for the whole numbers ``k < size`` (read-only)."""
    table = strength * np.log1p(np.arange(size, dtype=float))
    table.flags.writeable = False
    return table
