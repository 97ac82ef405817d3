"""Per-shock measures of a replay: plain functions of one shock's weekly series and of the tallies of its people.

A *shock* is one policy event: the scenario's timeline events when it has a timeline, else its one
``[policy]`` (``shocks_of``). Its *hit place* is the set of cells it aims at (``hit_mask``): the cells
of its raid zones or cut zones when it names any, else its jurisdictions, else the whole map.

The observer that feeds these functions (``sim.analysis.replay_observer``) records, per shock, the
people held and the buildings standing and occupied in the hit place each week, and follows the
people held there when the shock starts (the *cohort*) as they leave: with their compound to the same
country, to another country on the map or overseas, freed by a raid, released when their compound
closed, or lost to the weekly attrition. Everything here takes those records as arrays and numbers, so
each measure is tested on constructed inputs (tests/test_replay.py).

A measure that has no value says so: functions return ``None`` (written ``undefined``) when the hit
place held nobody before the shock, never 0 or NaN in its place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import CensoredData, ecdf

if TYPE_CHECKING:
    from sim.params.declarations import Params, PolicyParams
    from sim.world.space import Region

#: Weeks averaged before the start and after the end of a shock ("people held before and after").
PRE_WEEKS = 4
POST_WEEKS = 4
#: An open-ended event (no end week) is read as ending this many weeks after its start.
OPEN_ENDED_WEEKS = 13
#: The windows (weeks from the start, the start week counted) over which departures are tallied.
LEAVE_WEEKS = (4, 13)
#: The hit place has recovered when its people held are back to this share of the level before the shock.
RECOVERY_SHARE = 0.9
#: Where the cohort's people went, in the order the tables list them.
DESTINATIONS = ("same_country", "other_country", "overseas", "detained_rescued", "released", "attrition")
#: Quantiles of the 90% predictive interval across replications.
BAND = (0.05, 0.95)


@dataclass(frozen=True)
class Shock:
    """One event of a replay: its name, its policy, and the weeks it is read over."""

    name: str
    policy: PolicyParams

    @property
    def start(self) -> int:
        return int(self.policy.start_week)

    @property
    def end(self) -> int:
        """Last week of the shock: its end week, or ``OPEN_ENDED_WEEKS`` after its start when it has none."""
        return shock_end(self.policy.start_week, self.policy.end_week)


def shock_end(start: int, end: int) -> int:
    """The last week of a shock that starts at ``start`` and ends at ``end`` (-1: open-ended)."""
    return int(end) if end >= start else int(start) + OPEN_ENDED_WEEKS


def shocks_of(params: Params) -> list[Shock]:
    """The events a replay measures: the timeline's when there is one, else the one policy (none when its type is ``none``).

    Written against ``Params.timeline`` (a tuple of ``PolicyParams`` with a ``name``) when the model has it,
    and against the single ``[policy]`` when it does not; a policy without a name takes the run's name.
    """
    timeline = tuple(getattr(params, "timeline", ()) or ())
    events = [p for p in timeline if p.type != "none"] if timeline else ([params.policy] if params.policy.type != "none" else [])
    shocks = []
    for k, p in enumerate(events):
        name = str(getattr(p, "name", "") or "") or (params.run.name if len(events) == 1 else f"{params.run.name}_{k + 1}")
        shocks.append(Shock(name, p))
    return shocks


def hit_place_names(policy: PolicyParams) -> tuple[str, ...]:
    """The names that define the hit place: raid zones, else cut zones, else jurisdictions (empty: the whole map)."""
    return tuple(policy.raid_zones or policy.cut_zones or policy.jurisdictions)


def hit_mask(region: Region, policy: PolicyParams) -> np.ndarray:
    """Flat boolean mask of the cells a shock aims at (land cells only); raises ValueError naming an unknown place."""
    names = hit_place_names(policy)
    if not names:
        return region.land.ravel().copy()
    known = region.zone_names + region.jurisdiction_names
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"'{', '.join(unknown)}' is neither a zone nor a jurisdiction of this map; allowed: {', '.join(known)}")
    return (region.zone_mask(names) & region.land).ravel()


def destination(origin_country: int, cell: int, inside: np.ndarray, country: np.ndarray) -> str | None:
    """Where a compound that moved from the hit place to ``cell`` went (-1: overseas); None when it stayed inside it."""
    if cell < 0:
        return "overseas"
    if inside[cell]:
        return None
    return "same_country" if int(country[cell]) == origin_country else "other_country"


def split_raid(cohort: float, workers_before: float, workers_after: float) -> tuple[float, float, float]:
    """The cohort's people in a raided compound: (freed by the raid, still with the compound, counted lost before it).

    The raid freed ``workers_before - workers_after`` people; the cohort's share of them is its share of
    the people held. A cohort larger than the compound held (the estimate ran ahead of the tallies) loses
    the excess first.
    """
    held = min(cohort, max(workers_before, 0.0))
    lost = cohort - held
    if workers_before <= 0:
        return 0.0, held, lost
    freed = held * min(1.0, max(workers_before - workers_after, 0.0) / workers_before)
    return freed, held - freed, lost


def mean_over(weeks: np.ndarray, values: np.ndarray, first: int, last: int) -> float | None:
    """Mean of ``values`` over the recorded weeks from ``first`` to ``last`` (inclusive); None when none is recorded."""
    sel = (weeks >= first) & (weeks <= last)
    return float(values[sel].mean()) if sel.any() else None


def before_after(weeks: np.ndarray, values: np.ndarray, start: int, end: int) -> tuple[float | None, float | None]:
    """Mean level over the ``PRE_WEEKS`` weeks before ``start`` and the ``POST_WEEKS`` weeks after ``end``."""
    return (mean_over(weeks, values, start - PRE_WEEKS, start - 1), mean_over(weeks, values, end + 1, end + POST_WEEKS))


@dataclass(frozen=True)
class Recovery:
    """Weeks from a shock's start until its hit place held ``RECOVERY_SHARE`` of its level before it again.

    ``observed`` is False when the run ended first (right-censored at ``weeks``); ``dipped`` is False when
    the level never fell below the threshold at all (then ``weeks`` is 0).
    """

    weeks: int
    observed: bool
    dipped: bool


def recovery(weeks: np.ndarray, values: np.ndarray, start: int, reference: float | None,
             share: float = RECOVERY_SHARE) -> Recovery | None:
    """When the hit place was back to ``share`` of ``reference`` after dipping below it; None when ``reference`` is undefined.

    Counted in weeks from ``start``: the first week at or above the threshold after the first week below
    it. A run that ends below it is censored at its last week.
    """
    if reference is None or not reference > 0:
        return None
    after = weeks >= start
    w, v = weeks[after], values[after]
    if len(w) == 0:
        return None
    below = np.flatnonzero(v < share * reference)
    if len(below) == 0:
        return Recovery(0, True, False)
    back = np.flatnonzero((v >= share * reference) & (np.arange(len(v)) > below[0]))
    if len(back) == 0:
        return Recovery(int(w[-1] - start), False, True)
    return Recovery(int(w[back[0]] - start), True, True)


def departure_shares(left: Mapping[str, float], cohort: float) -> dict[str, float] | None:
    """Each destination's share of the cohort, and ``left`` (their sum); None when the cohort is empty."""
    if not cohort > 0:
        return None
    shares = {d: float(left.get(d, 0.0)) / cohort for d in DESTINATIONS}
    shares["left"] = float(sum(left.get(d, 0.0) for d in DESTINATIONS)) / cohort
    return shares


@dataclass(frozen=True)
class KaplanMeier:
    """A survival curve over replications: ``survival[i]`` is the share not yet recovered just after ``times[i]``."""

    times: np.ndarray
    survival: np.ndarray
    median: float | None  # None: the curve never reaches one half (too many runs never recovered)
    recovered: int
    censored: int


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> KaplanMeier | None:
    """Kaplan-Meier estimate (scipy.stats.ecdf on right-censored data) with its median; None with no run at all.

    The median is the first time at which the survival falls to one half or below, the usual definition.
    """
    d = np.asarray(durations, dtype=float)
    ok = np.asarray(observed, dtype=bool)
    if len(d) == 0:
        return None
    sf = ecdf(CensoredData(uncensored=d[ok], right=d[~ok])).sf
    times, surv = np.asarray(sf.quantiles, dtype=float), np.asarray(sf.probabilities, dtype=float)
    reached = np.flatnonzero(surv <= 0.5 + 1e-12)
    median = float(times[reached[0]]) if len(reached) else None
    return KaplanMeier(times, surv, median, int(ok.sum()), int((~ok).sum()))


def predictive(values: Sequence[float | None]) -> dict[str, Any]:
    """Median and 90% predictive interval over replications of the defined values; ``None`` entries counted apart."""
    defined = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(defined) == 0:
        return {"median": None, "p05": None, "p95": None, "defined": 0, "replications": len(values)}
    lo, mid, hi = np.quantile(defined, [BAND[0], 0.5, BAND[1]])
    return {"median": float(mid), "p05": float(lo), "p95": float(hi), "defined": len(defined), "replications": len(values)}


def band(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weekly median and 90% band of ``series`` (replications x weeks x ...), along the first axis."""
    lo, mid, hi = np.quantile(series, [BAND[0], 0.5, BAND[1]], axis=0)
    return mid, lo, hi


def shock_measures(weeks: np.ndarray, held: np.ndarray, start: int, end: int, cohort: float | None,
                   left: Mapping[int, Mapping[str, float]], standing: np.ndarray | None = None,
                   occupied: np.ndarray | None = None) -> tuple[dict[str, float | None], Recovery | None]:
    """Every per-shock measure of one run, by name (None: undefined), and the hit place's recovery.

    ``weeks``/``held``: the hit place's people held by recorded week; ``cohort`` and ``left``: the people
    held there at the start and where they went within each window of ``LEAVE_WEEKS``; ``standing`` and
    ``occupied``: its buildings by week (None when the run keeps no buildings: those measures are undefined).
    """
    before, after = before_after(weeks, held, start, end)
    out: dict[str, float | None] = {"held_before": before, "held_after": after,
                                    "held_after_vs_before": after / before if before and after is not None else None}
    for k in LEAVE_WEEKS:
        shares = departure_shares(left.get(k, {}), cohort or 0.0)
        for d in ("left", *DESTINATIONS):
            out[f"{d}_{k}w"] = None if shares is None else shares[d]
    for label, series in (("buildings_standing", standing), ("buildings_occupied", occupied)):
        b, a = before_after(weeks, series, start, end) if series is not None else (None, None)
        out[f"{label}_before"], out[f"{label}_after"] = b, a
    rec = recovery(weeks, held, start, before)
    out["recovery_weeks"] = None if rec is None else float(rec.weeks)
    out["recovered"] = None if rec is None else float(rec.observed)
    out["dipped"] = None if rec is None else float(rec.dipped)
    return out, rec
