"""Border value: how far each cell is from another country, and where a neighbour's grid is at hand.

A border gives two things of its own: an escape route for a compound warned of a raid, and access to
the neighbour's power and internet when one's own are cut (Thai cuts of Feb 2025 were met with Lao
power and satellite links within weeks).
"""

from __future__ import annotations

import numpy as np


def dilate(mask: np.ndarray, reach: int) -> np.ndarray:
    """Cells within ``reach`` cells (king moves) of a cell of ``mask``."""
    out = mask.copy()
    w, h = mask.shape
    for _ in range(reach):
        grown = out.copy()
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                grown[max(0, dx): w + min(0, dx), max(0, dy): h + min(0, dy)] |= out[max(0, -dx): w + min(0, -dx),
                                                                                      max(0, -dy): h + min(0, -dy)]
        out = grown
    return out


def near_foreign(country: np.ndarray, reach: int, source: np.ndarray | None = None) -> np.ndarray:
    """Cells within ``reach`` of a cell of another country (of ``source`` cells only, when given).

    ``country`` is each cell's country index (-1 outside the region). Used for the escape route
    (``source``: every land cell) and for relief under a cut (``source``: land that is not cut).
    """
    near = np.zeros(country.shape, dtype=bool)
    if reach <= 0:
        return near
    land = country >= 0
    source = land if source is None else source & land
    for c in np.unique(country[land]):
        near |= (country == c) & dilate(source & (country != c), reach)
    return near


def relieved_cut(cut_share: float, near_uncut: np.ndarray, relief_share: float) -> np.ndarray:
    """The share of power and internet a cut removes at each cell, less near an uncut neighbour."""
    return cut_share * (1.0 - relief_share * near_uncut)


def escape_loss_layer(escape: np.ndarray | None, loss_factor: float, valued: bool) -> np.ndarray | None:
    """Per-cell factor on the raid loss an operator expects when choosing a site (None: 1 everywhere).

    An operator who expects to be tipped off and to slip across the border keeps more of what a raid
    would take: on cells with an escape route (``escape``, flat) the expected loss is ``loss_factor``
    of what it is elsewhere. None unless the route exists, is valued and changes something, so site
    choice is untouched at the neutral defaults.
    """
    if escape is None or not valued or loss_factor == 1.0:
        return None
    return np.where(escape, loss_factor, 1.0)
