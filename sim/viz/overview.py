"""Figures of one run (the sweep figures live in ``sim.viz.sweeps``)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.common.files import save_figure

# A bare Figure (no pyplot: its import and figure manager cost a run more than drawing does), written by Agg.
PALETTE = matplotlib.colormaps["tab10"]


def overview(frame: pd.DataFrame, jurisdictions: tuple[str, ...], title: str, path, start_week: int | None = None,
             counterfactual: pd.DataFrame | None = None) -> None:
    """People held by jurisdiction (stacked) over time, raids marked, policy start shaded."""
    fig = Figure(figsize=(10.5, 6), layout="constrained")
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    weeks = frame["week"].to_numpy()
    stack = np.vstack([frame[f"workers_{j}"].to_numpy() for j in jurisdictions]) / 1000.0
    ax.stackplot(weeks, stack, labels=jurisdictions, colors=[PALETTE(k % 10) for k in range(len(jurisdictions))], alpha=0.85)
    if counterfactual is not None:
        ax.plot(counterfactual["week"], counterfactual["workers_held"] / 1000.0, color="black", ls="--", lw=1.2,
                label="no-policy run (total)")
    if start_week is not None:
        ax.axvline(start_week, color="black", lw=0.8)
        ax.annotate("policy starts", (start_week, ax.get_ylim()[1]), xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_ylabel("people held (thousands)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, title="jurisdiction", title_fontsize=8)
    # One filled step outline per series looks like bars of width one week, at the cost of one artist, not one per week.
    edges = np.append(weeks - 0.5, weeks[-1] + 0.5) if len(weeks) else np.zeros(1)
    ax2.stairs(frame["raids"].to_numpy(), edges, fill=True, color="tab:red", label="raids")
    ax2.stairs(frame["raids_succeeded"].to_numpy(), edges, fill=True, color="darkred", label="successful raids")
    ax2.set_ylabel("raids / week")
    ax2.set_xlabel("week")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    save_figure(fig, path)
