"""Sensitivity output: the indices as tables (CSV, Parquet), the sample with its outcomes, and the figure.

The figure puts parameters in words with their units (from the parameter declarations) and outcomes
in words (``sim.viz.sweeps.measure_label``), the most important parameter on top.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.figure_files import save_figure_pair

if TYPE_CHECKING:
    import pandas as pd

    from sim.analysis.sensitivity_indices import Analysis
    from sim.analysis.sensitivity_spec import Uncertain


def write_indices(folder: Path, analysis: Analysis, uncertain: Uncertain, figure: bool = True,
                  title: str = "") -> list[Path]:
    """Write the indices (CSV, Parquet), the sample with its outcomes (Parquet) and the figure (PNG, SVG)."""
    import numpy as np
    import pandas as pd

    from sim.common.files import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    table = analysis.table
    files = [folder / "indices.csv", folder / "indices.parquet", folder / "sample.parquet"]
    atomic_write(files[0], lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(files[1], lambda p: table.to_parquet(p, index=False))
    outcomes = list(dict.fromkeys(table["outcome"]))
    frame = pd.DataFrame(analysis.X, columns=list(uncertain.names))
    frame.insert(0, "point", np.arange(len(frame)))
    for j, o in enumerate(outcomes):
        frame[o] = analysis.Y[:, j]
    atomic_write(files[2], lambda p: frame.to_parquet(p, index=False))
    if figure:
        files += save_figure_pair(indices_figure(table, title), folder / "indices")
    return files


def indices_figure(table: pd.DataFrame, title: str = "") -> Any:
    """Horizontal bars, one panel per outcome, parameters in words, the most important on top.

    Morris: mu* with its confidence interval, and sigma (interactions / non-linearity) as open bars.
    Sobol: first-order and total indices with confidence intervals.
    """
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.viz.sweeps import measure_label

    style = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 8, "axes.spines.top": False,
             "axes.spines.right": False}
    method = str(table["method"].iloc[0])
    outcomes = list(dict.fromkeys(table["outcome"]))
    d = int((table["outcome"] == outcomes[0]).sum())
    with plt.rc_context(style):
        fig, axes = plt.subplots(1, len(outcomes), figsize=(7.5 * len(outcomes), 1.2 + 0.55 * d), squeeze=False,
                                 layout="constrained")
        for ax, outcome in zip(axes[0], outcomes, strict=True):
            t = table[table["outcome"] == outcome].sort_values("rank", ascending=False)
            y = np.arange(len(t))
            h = 0.38
            if method == "morris":
                ax.barh(y + h / 2, t["mu_star"], h, xerr=t["mu_star_conf"], color="#1f77b4", ecolor="0.3", capsize=2,
                        label="μ* (mean absolute effect) with 95% interval")
                ax.barh(y - h / 2, t["sigma"], h, facecolor="none", edgecolor="#ff7f0e", lw=1.0,
                        label="σ (spread of effects: interactions, non-linearity)")
                ax.set_xlabel("Elementary effect: change in the outcome scaled to a move across the parameter's whole range\n"
                              + measure_label(outcome, 70))
            else:
                ax.barh(y + h / 2, t["ST"], h, xerr=t["ST_conf"], color="#1f77b4", ecolor="0.3", capsize=2,
                        label="Total index ST (with interactions)")
                ax.barh(y - h / 2, t["S1"], h, xerr=t["S1_conf"], color="#ff7f0e", ecolor="0.3", capsize=2,
                        label="First-order index S1 (alone)")
                ax.axvline(0, color="0.5", lw=0.6)
                ax.set_xlabel("Share of the outcome's variance\n" + measure_label(outcome, 70))
            ax.set_yticks(y, t["label"].tolist())
            ax.legend(frameon=False, loc="lower right")
        if title:
            fig.suptitle(title)
    return fig
