"""The replay's figure: people held by country over the run, the model's 90% predictive band and the observed points.

The observed points are the validation catalogue's anchors of people held by country (pattern A2 of
``sim.analysis.validation.mekong``: each criterion ``held_<country>_<year>`` with its range and source),
so the figure and ``scamsim patterns`` judge the model against the same figures. They are placed on the
scenario's calendar: week 1 is the week of ``run.start_date`` when the scenario sets one (the 2019-2026
history), else the first week of 2021 (the Mekong calendar of ``sim.analysis.validation.mekong_measures``);
they are drawn only for countries on the scenario's map.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.common.constants import DAYS_PER_WEEK

if TYPE_CHECKING:
    from sim.analysis.replay import Replay

#: Week 1 of the Mekong scenarios that set no ``run.start_date`` (``sim.analysis.validation.mekong_measures``):
#: the first Monday of 2021.
MEKONG_WEEK_ONE = dt.date(2021, 1, 4)
#: The catalogue pattern whose criteria are the observed people held by country.
ANCHOR_PATTERN = "A2"


@dataclass(frozen=True)
class ObservedPoint:
    country: str
    year: int
    low: float
    high: float | None  # None: a lower bound only
    source: str

    def week(self, week_one: dt.date = MEKONG_WEEK_ONE) -> float:
        """Middle of the point's calendar year (1 July), in model weeks counted from ``week_one``."""
        return (dt.date(self.year, 7, 1) - week_one).days / DAYS_PER_WEEK + 1


def week_one(start_date: str) -> dt.date:
    """The date of week 1: the scenario's ``run.start_date``, or the Mekong calendar's when it sets none."""
    return dt.date.fromisoformat(start_date) if start_date else MEKONG_WEEK_ONE


def observed_points() -> list[ObservedPoint]:
    """People held by country as the validation catalogue records them (its anchor pattern ``A2``)."""
    from sim.analysis.validation.mekong import PATTERNS

    points = []
    for p in PATTERNS:
        if p.id != ANCHOR_PATTERN:
            continue
        for c in p.criteria:
            parts = c.metric.split("_")
            if len(parts) != 3 or parts[0] != "held" or not parts[2].isdigit():
                continue
            lo, hi = (c.threshold if c.op == "between" else (c.threshold, None))
            points.append(ObservedPoint(parts[1].capitalize(), int(parts[2]), float(lo), None if hi is None else float(hi), p.source))
    return points


def people_figure(table: pd.DataFrame, replay: Replay, path: Path) -> None:
    """people_by_country.png: one line and band per country, shocks shaded, observed ranges as bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.common.files import save_figure

    fig, ax = plt.subplots(figsize=(10, 5.5))
    colours = {}
    for country in replay.countries:
        rows = table[table["country"] == country]
        if rows["p95"].max() <= 0:
            continue
        (line,) = ax.plot(rows["week"], rows["median"], lw=1.4, label=country)
        colours[country] = line.get_color()
        ax.fill_between(rows["week"], rows["p05"], rows["p95"], color=line.get_color(), alpha=0.2, lw=0)
    for s in replay.replications[0].shocks:
        ax.axvspan(s.start, s.end, color="grey", alpha=0.12, lw=0)
        ax.text(s.start, 1.0, f" {s.name}", transform=ax.get_xaxis_transform(), fontsize=7, va="top", rotation=90)
    first = week_one(replay.params.run.start_date)
    for pt in observed_points():
        if pt.country not in colours:
            continue
        x, colour = pt.week(first), colours[pt.country]
        if pt.high is None:
            ax.plot([x], [pt.low], marker="^", color=colour, mec="black", ms=7, ls="none")
        else:
            ax.errorbar([x], [(pt.low + pt.high) / 2], yerr=[[(pt.high - pt.low) / 2]], fmt="o", color=colour, mec="black",
                        capsize=4, ms=6)
    ax.set_xlabel(f"week (week 1: the week of {first.isoformat()})")
    ax.set_ylabel("people held")
    ax.set_title(f"{replay.params.run.name}: people held by country, median and 90% predictive band "
                 f"({len(replay.replications)} runs)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncols=2)
    fig.text(0.01, 0.01, "observed (validation anchors A2): circles with bars = reported range; triangles = lower bound. "
             "Shaded: shocks.", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    save_figure(fig, path)
    plt.close(fig)
