"""What the model records each week: the counters of one week and the log of all weeks.

The model fills a ``WeekEvents`` while its rules run and appends one row to the ``WeeklyLog`` at the
end of the week; ``sim.measures`` turns the log into tables and computes measures from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.buildings import COUNTS

if TYPE_CHECKING:
    from sim.core.model import ScamModel

#: Columns of timeseries.csv, in order, with their meaning (documented in docs/outputs.md).
COLUMNS: dict[str, str] = {
    "week": "week number (1 = first simulated week)",
    "compounds": "compounds in operation, moving ones included",
    "relocating": "compounds moving this week (producing nothing)",
    "workers_held": "people held in compounds",
    "pool": "people in the recruitment pipeline, not yet in a compound",
    "revenue": "victim losses on the map: gross proceeds booked this week (before raids and moves), US$",
    "operators": "criminal groups in the market",
    "relocations": "compound moves started this week (forced and voluntary)",
    "forced_relocations": "moves forced by a raid or a tip-off",
    "mean_relocation_km": "mean distance of this week's moves, km (blank: no move)",
    "cross_border_relocations": "moves into another country (jurisdictions without a country are their own)",
    "raids": "raids made",
    "raids_succeeded": "raids neither tipped off nor failed: workers rescued, capital seized, the site lost",
    "raids_tipped_off": "raids pre-empted by a tip-off (the operator evacuated)",
    "workers_rescued": "people freed by successful raids",
    "workers_repatriated": "freed people (rescued, escaped or released) who got home",
    "workers_retrafficked": "freed people who went back into the recruitment pool",
    "workers_hired": "people moved from the pool into compounds",
    "workers_lost_attrition": "people who left compounds by attrition (escape, release, death)",
    "bosses_arrested": "operators ended by the arrest of their boss",
    "bankruptcies": "operators ended by bankruptcy",
    "operator_exits_other": "operators that left with no compound and no affordable profitable site",
    "compounds_opened": "new compounds (expansion and entry)",
    "compounds_dissolved": "compounds closed for good (no site, no money, boss arrested, bankruptcy)",
    "entrants": "new operators",
    "capital_seized": "operator capital seized this week, US$",
    "operator_capital": "capital held by all operators at the end of the week, US$",
    "overseas_operations": "operations that moved overseas and still run there",
    "overseas_workers_held": "people held in operations overseas",
    "overseas_revenue": "victim losses overseas: gross proceeds of operations overseas this week, US$",
    "global_workers_held": "people held on the map and overseas",
    "global_revenue": "victim losses on the map and overseas this week, US$",
    "recruits": "people recruited this week in the origin pools (arriving after the transit weeks)",
    "recruitment_margin": "margin per worker-week brokers read this week (revenue kept less upkeep), US$",
    "recruit_awareness": "share of job-seekers who recognise a fake advert (mean over origins, weighted by their shares)",
    "victim_yield": "revenue per worker relative to its calibrated level (the victims' side; 1: unsaturated reference)",
    "buildings_standing": "buildings standing at the end of the week (premises; 0 when premises are off)",
    "buildings_occupied": "buildings with a compound in them",
    "buildings_empty": "buildings standing empty (damaged and seized ones included)",
    "buildings_damaged": "empty buildings damaged by a raid, to be repaired before reuse",
    "buildings_seized": "empty buildings seized by the state, unusable for now",
    "buildings_raided": "raids on a building this week (premises on): every raid counts, whether or not it emptied the building",
    "buildings_demolished": "buildings demolished so far (they have left the stock)",
}


#: The columns written before issue 12 (the outside world, recruitment, victims and beliefs came after).
LEGACY_COLUMNS = tuple(COLUMNS)[: tuple(COLUMNS).index("overseas_operations")]


@dataclass
class WeekEvents:
    """Counters filled during one week by the model's rules."""

    relocations: int = 0
    forced_relocations: int = 0
    distances_km: list[float] = field(default_factory=list)
    cross_border: int = 0
    raids: int = 0
    raids_succeeded: int = 0
    raids_tipped_off: int = 0
    rescued: int = 0
    repatriated: int = 0
    retrafficked: int = 0
    hired: int = 0
    attrition: int = 0
    arrests: int = 0
    bankruptcies: int = 0
    exits_other: int = 0
    opened: int = 0
    dissolved: int = 0
    entrants: int = 0
    seized: float = 0.0
    revenue_by_j: np.ndarray = field(default_factory=lambda: np.zeros(0))  # booked in the accounts phase


class WeeklyLog:
    """Accumulates one row per week; per-jurisdiction workers go in ``workers_<name>`` columns."""

    def __init__(self, jurisdiction_names: tuple[str, ...]) -> None:
        self.jurisdiction_names = jurisdiction_names
        self.rows: dict[str, list] = {c: [] for c in COLUMNS}
        self.by_jurisdiction: list[np.ndarray] = []
        self.compounds_by_jurisdiction: list[np.ndarray] = []
        self.revenue_by_jurisdiction: list[np.ndarray] = []
        self.belief_by_jurisdiction: list[np.ndarray] = []

    def append(self, values: dict[str, float], workers_by_j: np.ndarray, compounds_by_j: np.ndarray, revenue_by_j: np.ndarray,
               belief_by_j: np.ndarray) -> None:
        for c in COLUMNS:
            self.rows[c].append(values[c])
        self.by_jurisdiction.append(workers_by_j)
        self.compounds_by_jurisdiction.append(compounds_by_j)
        self.revenue_by_jurisdiction.append(revenue_by_j)
        self.belief_by_jurisdiction.append(belief_by_j)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows)
        if self.by_jurisdiction:
            wj = np.vstack(self.by_jurisdiction)
            bj = np.vstack(self.belief_by_jurisdiction)
            for k, name in enumerate(self.jurisdiction_names):
                df[f"workers_{name}"] = wj[:, k]
            for k, name in enumerate(self.jurisdiction_names):
                df[f"belief_{name}"] = bj[:, k]  # the weekly raid hazard operators perceive there
        return df

    def workers_matrix(self) -> np.ndarray:
        """Workers held, weeks x jurisdictions."""
        return np.vstack(self.by_jurisdiction) if self.by_jurisdiction else np.zeros((0, len(self.jurisdiction_names)))

    def revenue_matrix(self) -> np.ndarray:
        return np.vstack(self.revenue_by_jurisdiction) if self.revenue_by_jurisdiction else np.zeros((0, len(self.jurisdiction_names)))


def building_counts(m: ScamModel) -> dict[str, int]:
    """The week's building counts (``Premises.end_week`` has just kept them), zeros when premises are off."""
    rows = m.premises.series
    row = dict(zip(COUNTS, rows[-1], strict=True)) if rows and rows[-1][0] == m.week else dict.fromkeys(COUNTS, 0)
    return {f"buildings_{k}": int(row[k]) for k in ("standing", "occupied", "empty", "damaged", "seized", "raided", "demolished")}


def markets_outside_the_map(m: ScamModel, held: int, revenue: float) -> dict[str, float]:
    """The week's record of what lies outside the map: overseas, the recruitment market, the victims' side."""
    rows = m.overseas.rows
    row = rows[-1] if rows and rows[-1]["week"] == m.week else {"operations": 0, "workers_held": 0, "proceeds": 0.0}
    rs, vs = m.recruitment.series, m.victims.series
    return {
        "overseas_operations": int(row["operations"]),
        "overseas_workers_held": int(row["workers_held"]),
        "overseas_revenue": float(row["proceeds"]),
        "global_workers_held": held + int(row["workers_held"]),
        "global_revenue": revenue + float(row["proceeds"]),
        "recruits": int(rs["recruited"][-1]),
        "recruitment_margin": float(rs["margin"][-1]),
        "recruit_awareness": float(rs["awareness"][-1]),
        "victim_yield": float(vs["yield"][-1]),
    }
