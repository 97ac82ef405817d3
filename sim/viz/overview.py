"""Figures of one run (the sweep figures live in ``sim.viz.sweeps``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.common.files import save_figure

PALETTE = plt.get_cmap("tab10")


def overview(frame: pd.DataFrame, jurisdictions: tuple[str, ...], title: str, path, start_week: int | None = None,
             counterfactual: pd.DataFrame | None = None) -> None:
    """People held by jurisdiction (stacked) over time, raids marked, policy start shaded."""
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10.5, 6), sharex=True, height_ratios=[3, 1], layout="constrained")
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
    ax2.bar(weeks, frame["raids"], color="tab:red", width=1.0, label="raids")
    ax2.bar(weeks, frame["raids_succeeded"], color="darkred", width=1.0, label="successful raids")
    ax2.set_ylabel("raids / week")
    ax2.set_xlabel("week")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    save_figure(fig, path)
    plt.close(fig)
