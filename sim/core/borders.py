"""Border value as state: which cells offer an escape route, and which draw on an uncut neighbour.

Layers are built once from the map (``sim.rules.borders``); with ``borders.escape_cells = 0`` and
``borders.relief_cells = 0`` (the defaults) there are none and a border has no value of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.rules import borders as rules

if TYPE_CHECKING:
    from sim.core.model import ScamModel
    from sim.world.space import Region


class Borders:
    """Escape-route cells, and the relief a neighbour's grid gives under a cut (cached per cut mask)."""

    def __init__(self, region: Region, escape_cells: int, relief_cells: int) -> None:
        country = region.flat_country.reshape(region.width, region.height)
        self.country = np.where(region.land, country, -1)
        self.escape = rules.near_foreign(self.country, escape_cells).ravel() if escape_cells > 0 else None
        self.relief = relief_cells if relief_cells > 0 else None
        self._cut: np.ndarray | None = None
        self._near_uncut: np.ndarray | None = None

    def escape_route(self, site: int) -> bool:
        """Whether a compound on ``site`` can flee across a border when warned of a raid."""
        return self.escape is not None and bool(self.escape[site])

    def cut_share(self, m: ScamModel, cut: np.ndarray, share: float) -> np.ndarray:
        """Share of power and internet a cut removes at each cell ``[x, y]``: less near an uncut country."""
        if self._cut is None or not np.array_equal(self._cut, cut):
            self._cut = cut.copy()
            self._near_uncut = rules.near_foreign(self.country, self.relief, source=~cut)
        return rules.relieved_cut(share, self._near_uncut, m.params.borders.relief_share)
