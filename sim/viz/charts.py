"""The app's charts of a running model: workers held by jurisdiction, relocations and freed people.

Drawn like the map (``sim.viz.drawing``): one ``ChartsPainter`` per model keeps the axes, labels and
legends as a cached bitmap and redraws only the lines and areas each frame. The x axis spans the
scenario's whole length and each y axis grows in round steps, so the background is redrawn only when
an axis has to grow. ``charts_figure(model)`` gives the same picture as an ordinary figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.viz.drawing import MOVE_ACROSS, MOVE_WITHIN, Painter, jurisdiction_colour

if TYPE_CHECKING:
    from sim.core.model import ScamModel
    from sim.params.declarations import Params


@dataclass
class Series:
    """Weekly records of a model, cut to one common length (the app may read while a week is logged)."""

    week: np.ndarray
    workers: np.ndarray  # weeks x jurisdictions
    relocations: np.ndarray
    cross_border: np.ndarray
    rescued: np.ndarray
    retrafficked: np.ndarray
    repatriated: np.ndarray

    @classmethod
    def of(cls, model: ScamModel) -> Series:
        log = model.log
        n = len(log.by_jurisdiction)
        for name in ("week", "relocations", "cross_border_relocations", "workers_rescued", "workers_retrafficked", "workers_repatriated"):
            n = min(n, len(log.rows[name]))

        def col(name: str) -> np.ndarray:
            return np.asarray(log.rows[name][:n], dtype=float)

        workers = np.vstack(log.by_jurisdiction[:n]).astype(float) if n else np.zeros((0, len(log.jurisdiction_names)))
        return cls(week=col("week"), workers=workers, relocations=col("relocations"), cross_border=col("cross_border_relocations"),
                   rescued=col("workers_rescued"), retrafficked=col("workers_retrafficked"), repatriated=col("workers_repatriated"))


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k) at or above ``value``; axes grow in these steps."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    base = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * base >= value * (1 - 1e-9):
            return m * base
    return 10.0 * base


def stack_polygons(week: np.ndarray, values: np.ndarray) -> list[np.ndarray]:
    """Polygons of a stacked area chart: one per column of ``values`` (weeks x series)."""
    if len(week) == 0:
        return [np.zeros((0, 2)) for _ in range(values.shape[1])]
    top = np.cumsum(values, axis=1)
    bottom = top - values
    return [np.concatenate([np.column_stack([week, top[:, k]]), np.column_stack([week[::-1], bottom[::-1, k]])])
            for k in range(values.shape[1])]


#: Colour of the compared policy's total (the run's own total is black, the no-policy run's dashed black).
ALTERNATIVE_COLOUR = "#e6550d"


def total_label(model: ScamModel, role: str) -> str:
    """Legend text of a run's total people held, naming its policy, e.g. 'case_by_case (this run, total)'."""
    return f"{'timeline' if model.params.timeline else model.params.policy.type} ({role}, total)"


def policy_starts(params: Params) -> list[int]:
    """Weeks the charts mark: the policy's start, or each timeline event's (within the run, each once, in order)."""
    if params.timeline:
        return sorted({e.start_week for e in params.timeline if e.start_week <= params.run.weeks})
    return [params.policy.start_week] if params.policy.type != "none" else []


class ChartsPainter(Painter):
    """Three charts side by side: workers held by jurisdiction (with the totals of the no-policy
    counterfactual and of a compared policy), relocations per week, and freed people (rescued, home,
    re-trafficked) so far. With a compared policy the run's own total is drawn as a line too, and the
    legend names both policies."""

    def __init__(self, model: ScamModel, counterfactual: ScamModel | None = None, alternative: ScamModel | None = None) -> None:
        super().__init__((10.0, 3.1))
        fig = self.figure
        self.counterfactual = counterfactual
        self.alternative = alternative
        bottom, height, width = 0.14, 0.60, 0.26
        ax1 = fig.add_axes((0.055, bottom, width, height))
        ax2 = fig.add_axes((0.39, bottom, width, height), sharex=ax1)
        ax3 = fig.add_axes((0.725, bottom, width, height), sharex=ax1)
        self.axes = (ax1, ax2, ax3)
        names = model.region.jurisdiction_names
        ax1.set_xlim(0, max(model.params.run.weeks, 1))
        for ax in self.axes:
            ax.tick_params(labelsize=7)
            ax.set_ylim(0, 1)
            ax.set_xlabel("week", fontsize=7.5, labelpad=1)
        ax1.set_ylabel("people held (thousands)", fontsize=7.5)
        ax2.set_ylabel("relocations / week", fontsize=7.5)
        ax3.set_ylabel("people so far (thousands)", fontsize=7.5)
        colours = [jurisdiction_colour(k) for k in range(len(names))]
        self.stack = self.animate(ax1, ax1.add_collection(PolyCollection([], facecolors=colours, edgecolors="none", alpha=0.85)))
        self.cf_line = self.animate(ax1, Line2D([], [], color="black", ls="--", lw=1.2))
        ax1.add_line(self.cf_line)
        self.cf_line.set_visible(counterfactual is not None)
        self.own_line = self.animate(ax1, Line2D([], [], color="black", lw=1.3, label=total_label(model, "this run")))
        self.alt_line = self.animate(ax1, Line2D([], [], color=ALTERNATIVE_COLOUR, lw=1.5, label=""))
        for line in (self.own_line, self.alt_line):
            ax1.add_line(line)
            line.set_visible(alternative is not None)
        handles: list = [Patch(facecolor=c, alpha=0.85, label=n) for c, n in zip(colours, names, strict=True)]
        cf_handle = Line2D([], [], color="black", ls="--", lw=1.2, label="no-policy run (total)")
        if alternative is not None:
            # the totals get their own legend inside the chart: above it there is room only for the jurisdictions
            self.alt_line.set_label(total_label(alternative, "compared"))
            totals = [self.own_line, self.alt_line] + ([cf_handle] if counterfactual is not None else [])
            self.totals_legend = ax1.legend(handles=totals, loc="upper right", fontsize=6, framealpha=0.8, handlelength=1.4,
                                            borderpad=0.3, labelspacing=0.2)
            ax1.add_artist(self.totals_legend)
        elif counterfactual is not None:
            handles.append(cf_handle)
        self._legend(ax1, handles, "workers held, by jurisdiction", ncol=3)
        self.moves = self.animate(ax2, ax2.plot([], [], color=MOVE_WITHIN, lw=0.9, label="all moves")[0])
        self.cross = self.animate(ax2, ax2.plot([], [], color=MOVE_ACROSS, lw=0.9, label="across a border")[0])
        self._legend(ax2, None, "compound relocations")
        self.rescued = self.animate(ax3, ax3.plot([], [], color="#2ca02c", lw=1.2, label="rescued by raids")[0])
        self.back = self.animate(ax3, ax3.plot([], [], color="#d62728", lw=1.2, label="freed, re-trafficked")[0])
        self.home = self.animate(ax3, ax3.plot([], [], color="#1f77b4", lw=1.0, ls=(0, (1.5, 1.5)), label="freed, got home")[0])
        self._legend(ax3, None, "freed people")
        starts = policy_starts(model.params)
        for week in starts:
            for ax in self.axes:
                self.animate(ax, ax.axvline(week, color="black", lw=0.7, alpha=0.6))
        if starts:
            self.animate(ax1, ax1.annotate("timeline events" if model.params.timeline else "policy", (starts[0], 1.0),
                                           xycoords=("data", "axes fraction"), xytext=(2, -9), textcoords="offset points",
                                           fontsize=6.5))
        self.update(model)

    @staticmethod
    def _legend(ax, handles, title: str, ncol: int = 2) -> None:
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(-0.02, 1.01), ncol=ncol, fontsize=6.5, frameon=False,
                  borderaxespad=0.0, handlelength=1.4, columnspacing=0.8, labelspacing=0.2, title=title,
                  title_fontproperties={"size": 8, "weight": "bold"}, alignment="left")

    def _grow(self, ax, top: float) -> None:
        limit = nice_ceiling(top * 1.05)
        if limit > ax.get_ylim()[1]:
            ax.set_ylim(0, limit)
            self.invalidate()

    def update(self, model: ScamModel) -> ChartsPainter:
        ax1, ax2, ax3 = self.axes
        s = Series.of(model)
        self.stack.set_verts(stack_polygons(s.week, s.workers / 1000.0))
        top = float(s.workers.sum(axis=1).max()) / 1000.0 if len(s.week) else 0.0
        if self.counterfactual is not None:
            c = Series.of(self.counterfactual)
            total = c.workers.sum(axis=1) / 1000.0
            self.cf_line.set_data(c.week, total)
            top = max(top, float(total.max()) if len(total) else 0.0)
        if self.alternative is not None:
            self.own_line.set_data(s.week, s.workers.sum(axis=1) / 1000.0)
            a = Series.of(self.alternative)
            total = a.workers.sum(axis=1) / 1000.0
            self.alt_line.set_data(a.week, total)
            top = max(top, float(total.max()) if len(total) else 0.0)
        self._grow(ax1, top)
        self.moves.set_data(s.week, s.relocations)
        self.cross.set_data(s.week, s.cross_border)
        self._grow(ax2, float(s.relocations.max()) if len(s.week) else 0.0)
        rescued, home, back = (np.cumsum(v) / 1000.0 for v in (s.rescued, s.repatriated, s.retrafficked))
        self.rescued.set_data(s.week, rescued)
        self.home.set_data(s.week, home)
        self.back.set_data(s.week, back)
        self._grow(ax3, max((float(v[-1]) for v in (rescued, home, back) if len(v)), default=0.0))
        return self


def charts_figure(model: ScamModel, counterfactual: ScamModel | None = None, alternative: ScamModel | None = None) -> Figure:
    """The charts of ``model`` so far, as a figure (with the counterfactual's and a compared policy's totals when given)."""
    return ChartsPainter(model, counterfactual, alternative).figure
