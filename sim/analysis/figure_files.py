"""Figures saved as PNG and SVG pairs with reproducible bytes (sensitivity indices, PRIM trajectories).

Rerunning an analysis on the same results must rewrite the same figure files, so resumed runs and
reference checksums can compare bytes: ``sim.common.files.save_figure`` fixes the metadata, and the
SVG hash salt is fixed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_figure_pair(fig: Any, stem: Path) -> list[Path]:
    """``stem``.png and ``stem``.svg with reproducible bytes (sim.common.files.save_figure, fixed SVG hash salt)."""
    import matplotlib.pyplot as plt

    from sim.common.files import save_figure

    paths = [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.svg"]
    try:
        with plt.rc_context({"svg.hashsalt": "scamsim", "svg.fonttype": "path"}):
            for p in paths:
                save_figure(fig, p)
    finally:
        plt.close(fig)
    return paths
