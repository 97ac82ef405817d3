"""Pattern-oriented validation (Grimm et al. 2005): does the model reproduce what was seen in the world?

Each stylised fact of docs/domain (``domain.md``, "Stylised facts a model should be able to
reproduce") is a ``Pattern``: what was observed and where it was reported, the runs it needs
(``Variant``: the scenario as it is, its no-policy counterfactual, a shock replay from
``scenarios/shocks/`` or a policy written here), a function that measures it on those runs, and one
or more ``Criterion`` with a threshold declared here, before any run, with the reason for it. The
numeric anchors (workforce by country, proceeds, compound counts) are patterns too, marked
``anchor``. Everything is data; the functions that measure are plain functions of run records, so
each criterion can be checked by hand on constructed inputs (tests/test_patterns.py).

Verdicts use a Student-t 95% interval over replications (common random numbers: replication k of
every variant and of the counterfactual uses seed ``first_seed + k``):

- ``reproduced``: the whole interval lies on the passing side of the threshold;
- ``failed``: the whole interval lies on the failing side;
- ``inconclusive``: the interval straddles the threshold (not reproduced, but not refuted either);
- ``undefined``: the measure had no value in any replication (e.g. a WDQ with a zero denominator);
- ``not testable``: the model lacks the mechanism; the reason names what is missing and where it
  would go.

A failed pattern is a finding, never an error: ``scamsim patterns`` exits 0 whatever the verdicts.

The model's ``RunResult`` records workers and revenue by jurisdiction only. Several patterns need
more (compound identities across raids and moves, zone-level series, where compounds stand at the
end), so runs here carry an ``Instrument``: an observer subscribed to the model's hooks
(``sim.core.hooks``) that only reads and draws no random number, so its runs are identical to
``sim.measures.run.simulate``'s (checked in tests/test_patterns.py).
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.common.resources import shipped
from sim.core import hooks
from sim.core.model import ScamModel
from sim.measures.run import MOVE_COLUMNS, RunResult, areas_for, counterfactual_params, summarise
from sim.params.declarations import Params, PolicyParams
from sim.world.space import build_region

SCENARIOS = shipped("scenarios")
DEFAULT_SCENARIO = SCENARIOS / "mekong.toml"  # the patterns command's default too (sim.cli.patterns)


# ---- observing a run -------------------------------------------------------------------------------

@dataclass
class _Records:
    zone_workers: list[np.ndarray] = field(default_factory=list)
    zone_revenue: list[np.ndarray] = field(default_factory=list)
    zone_compounds: list[np.ndarray] = field(default_factory=list)
    raids: list[tuple] = field(default_factory=list)
    move_ids: list[int] = field(default_factory=list)
    exits: list[tuple] = field(default_factory=list)
    first_seen: dict[int, int] = field(default_factory=dict)
    last_seen: dict[int, int] = field(default_factory=dict)


RAID_COLUMNS = ["week", "compound", "cell", "jurisdiction", "zone", "workers", "tipped_off", "succeeded", "closed"]
EXIT_COLUMNS = ["week", "operator", "compounds"]


class Instrument:
    """Records what the patterns need beyond ``RunResult``, through the model's hooks (reads only)."""

    def __init__(self, model: ScamModel) -> None:
        self.model = model
        self.rec = _Records()
        model.hooks.subscribe(hooks.RaidResolved, self._raid)
        model.hooks.subscribe(hooks.CompoundMoved, self._moved)
        model.hooks.subscribe(hooks.OperatorLeft, self._left)
        model.hooks.subscribe(hooks.WeekEnded, self._week)

    def _raid(self, e: hooks.RaidResolved) -> None:
        zone = int(self.model.region.zone.ravel()[e.cell])
        self.rec.raids.append((e.week, e.compound, e.cell, e.jurisdiction, zone, e.workers, e.tipped_off, e.succeeded, e.closed))

    def _moved(self, e: hooks.CompoundMoved) -> None:
        self.rec.move_ids.append(e.compound)

    def _left(self, e: hooks.OperatorLeft) -> None:
        if e.reason in ("arrest", "bankruptcy"):
            self.rec.exits.append((e.week, e.operator, e.compounds))

    def _week(self, e: hooks.WeekEnded) -> None:
        model, rec = self.model, self.rec
        t, r = model.compound_table, model.region
        slots = t.slots
        nz = len(r.zone_names)
        z = r.zone.ravel()[t.site[slots]].astype(np.int64)
        z = np.where(z < 0, nz, z)
        rec.zone_workers.append(np.bincount(z, weights=t.workers[slots], minlength=nz + 1))
        rec.zone_revenue.append(np.bincount(z, weights=t.revenue[slots], minlength=nz + 1))
        rec.zone_compounds.append(np.bincount(z, minlength=nz + 1))
        for s in slots:
            uid = model.compound_by_slot[int(s)].unique_id
            rec.first_seen.setdefault(uid, e.week)
            rec.last_seen[uid] = e.week


@dataclass
class Observation:
    """A run's ``RunResult`` plus what the patterns need beyond it."""

    run: RunResult
    zone_workers: np.ndarray  # weeks x (zones + 1); the last column is outside every zone
    zone_revenue: np.ndarray
    zone_compounds: np.ndarray
    compounds_by_jurisdiction: np.ndarray  # weeks x jurisdictions
    raids: pd.DataFrame  # RAID_COLUMNS, one row per raid (weeks >= 1)
    move_ids: np.ndarray  # compound id of each row of run.moves
    exits: pd.DataFrame  # operators ended with their compounds (arrest, bankruptcy)
    first_seen: dict[int, int]
    last_seen: dict[int, int]
    final_sites: np.ndarray  # flat cell of every compound alive at the end


def observe(params: Params, seed: int | None = None) -> Observation:
    """Run ``params`` like ``sim.measures.run.simulate`` and keep the extra records."""
    model = ScamModel(params, rng=seed)
    rec = Instrument(model).rec
    model.run()
    moves = pd.DataFrame(model.moves, columns=MOVE_COLUMNS)
    run = RunResult(params=params, seed=model.seed, frame=model.log.frame(), workers=model.log.workers_matrix(),
                    revenue=model.log.revenue_matrix(), moves=moves, jurisdictions=model.region.jurisdiction_names,
                    areas=areas_for(model), totals=dict(model.totals))
    t = model.compound_table
    nz = len(model.region.zone_names) + 1
    nj = model.region.n_jurisdictions

    def stack(rows: list[np.ndarray], width: int) -> np.ndarray:
        return np.vstack(rows) if rows else np.zeros((0, width))

    return Observation(
        run=run,
        zone_workers=stack(rec.zone_workers, nz),
        zone_revenue=stack(rec.zone_revenue, nz),
        zone_compounds=stack(rec.zone_compounds, nz),
        compounds_by_jurisdiction=stack(model.log.compounds_by_jurisdiction, nj),
        raids=pd.DataFrame(rec.raids, columns=RAID_COLUMNS),
        move_ids=np.array(rec.move_ids, dtype=np.int64),
        exits=pd.DataFrame(rec.exits, columns=EXIT_COLUMNS),
        first_seen=dict(rec.first_seen),
        last_seen=dict(rec.last_seen),
        final_sites=t.site[t.slots].copy(),
    )


@dataclass(frozen=True)
class Geo:
    """Static geography the measures need (built once from the scenario's map)."""

    jurisdictions: tuple[str, ...]
    countries: tuple[str, ...]  # country of each jurisdiction (its own name when none is given)
    zones: tuple[str, ...]
    zone_kinds: tuple[str, ...]
    cell_jurisdiction: np.ndarray  # flat, -1 at sea
    cell_zone: np.ndarray  # flat, -1 outside zones
    land: np.ndarray  # flat bool
    border: np.ndarray  # flat bool: land cell touching another jurisdiction
    protection: np.ndarray  # flat static protection (zones over jurisdictions)
    weeks: int

    @classmethod
    def of(cls, params: Params) -> Geo:
        r = build_region(params.map, params.run.km_per_cell)
        return cls(
            jurisdictions=r.jurisdiction_names,
            countries=tuple(j.country or j.name for j in params.map.jurisdictions),
            zones=r.zone_names,
            zone_kinds=r.zone_kinds,
            cell_jurisdiction=r.flat_jurisdiction.astype(np.int64),
            cell_zone=r.zone.ravel().astype(np.int64),
            land=r.land.ravel(),
            border=r.border_cell.ravel() & r.land.ravel(),
            protection=r.protection.ravel(),
            weeks=params.run.weeks,
        )

    def j(self, name: str) -> int:
        return self.jurisdictions.index(name)

    def z(self, name: str) -> int:
        return self.zones.index(name)


# ---- the runs patterns need ------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """A run a pattern needs: the scenario with its policy replaced (or kept, or switched off)."""

    name: str
    description: str
    shock_file: str | None = None  # relative to scenarios/: take that file's [policy]
    policy: dict[str, Any] | None = None  # a [policy] table written here
    counterfactual: bool = False  # the scenario with its policy switched off


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("status_quo", "the scenario as it is (mekong: case-by-case raids everywhere from Sept 2022)"),
    Variant("counterfactual", "the scenario with its policy switched off (background enforcement only)", counterfactual=True),
    Variant("cambodia_2022", "Cambodian raids of Sept-Oct 2022", shock_file="shocks/cambodia_2022.toml"),
    Variant("thai_cut", "Thai power/internet cut of Feb 2025, substitutes after 3 weeks", shock_file="shocks/thai_cut_2025.toml"),
    Variant("thai_cut_no_substitutes", "the same cut with the substitutes cut too",
            shock_file="shocks/thai_cut_2025_no_substitutes.toml"),
    Variant("shan_laos_uncoordinated", "case-by-case raids in Shan and Laos (300/yr at governance 1) from week 88, no sharing",
            policy={"type": "case_by_case", "start_week": 88, "raid_frequency": 300.0, "jurisdictions": ["Shan", "Laos"]}),
    Variant("shan_laos_coordinated", "the same raids with Shan and Laos sharing intelligence (coordinated, sharing 0.5)",
            policy={"type": "coordinated", "start_week": 88, "raid_frequency": 300.0, "jurisdictions": ["Shan", "Laos"],
                    "intelligence_sharing": 0.5}),
    Variant("myanmar_sanctions", "sanctions on protectors in Myanmar (80% of protection removed) for a year from Dec 2023",
            policy={"type": "root_causes", "start_week": 156, "end_week": 208, "protection_sanctions": 0.8,
                    "jurisdictions": ["Shan", "Kayin", "MyanmarCentral"]}),
    Variant("myanmar_raids", "case-by-case raids in Myanmar (300/yr at governance 1) over the same year",
            policy={"type": "case_by_case", "start_week": 156, "end_week": 208, "raid_frequency": 300.0,
                    "jurisdictions": ["Shan", "Kayin", "MyanmarCentral"]}),
    Variant("cambodia_raids", "sustained case-by-case raids in Cambodia (300/yr at governance 1) from week 88",
            policy={"type": "case_by_case", "start_week": 88, "raid_frequency": 300.0, "jurisdictions": ["Cambodia"],
                    "buffer": ["Thailand", "Laos", "Vietnam"],
                    "control": ["Shan", "Kayin", "MyanmarCentral", "Philippines", "Sabah"]}),
    Variant("cambodia_announced", "the same sustained raids in Cambodia, announced (or leaked) 8 weeks before they start",
            policy={"type": "case_by_case", "start_week": 88, "announce_weeks": 8, "raid_frequency": 300.0,
                    "jurisdictions": ["Cambodia"]}),
    Variant("cambodia_root_causes", "root-cause levers that act on Cambodia from week 88: protectors sanctioned (50%), "
            "the Cambodian enclaves' concessions revoked, 90% of freed people repatriated",
            policy={"type": "root_causes", "start_week": 88, "jurisdictions": ["Cambodia"], "protection_sanctions": 0.5,
                    "revoke_concessions": ["Sihanoukville", "Poipet", "Bavet", "OSmach"], "repatriation_share": 0.9,
                    "buffer": ["Thailand", "Laos", "Vietnam"],
                    "control": ["Shan", "Kayin", "MyanmarCentral", "Philippines", "Sabah"]}),
)}

#: Shock replays reported by ``shock_table`` (docs/shocks.md), in historical order.
SHOCKS: dict[str, str] = {
    "cambodia_2022": "shocks/cambodia_2022.toml",
    "operation_1027": "shocks/operation_1027.toml",
    "philippines_pogo_ban_2024": "shocks/philippines_pogo_ban_2024.toml",
    "laos_sez_2024": "shocks/laos_sez_2024.toml",
    "thai_cut_2025": "shocks/thai_cut_2025.toml",
    "thai_cut_2025_no_substitutes": "shocks/thai_cut_2025_no_substitutes.toml",
    "kk_park_2025": "shocks/kk_park_2025.toml",
}


class VariantUnavailable(ValueError):
    """The variant names jurisdictions or zones the scenario's map does not have."""


def _policy_from_table(table: dict[str, Any]) -> PolicyParams:
    fields = {f.name: f for f in dataclasses.fields(PolicyParams)}
    values = {}
    for key, value in table.items():
        kind = type(fields[key].default)
        values[key] = tuple(value) if kind is tuple else (float(value) if kind is float else value)
    return PolicyParams(**values)


def variant_params(params: Params, variant: Variant, scenarios_dir: Path = SCENARIOS) -> Params:
    """The scenario's parameters with the variant's policy (raises VariantUnavailable)."""
    if variant.counterfactual:
        return counterfactual_params(params)
    if variant.shock_file is None and variant.policy is None:
        return params
    if variant.shock_file is not None:
        from sim.scenario.loader import load_scenario

        policy = load_scenario(scenarios_dir / variant.shock_file).params.policy
    else:
        policy = _policy_from_table(variant.policy or {})
    names = {j.name for j in params.map.jurisdictions} | {z.name for z in params.map.zones}
    used = {*policy.jurisdictions, *policy.buffer, *policy.control, *policy.cut_zones, *policy.revoke_concessions}
    missing = sorted(used - names)
    if missing:
        raise VariantUnavailable(f"variant {variant.name} names {', '.join(missing)}, not on this scenario's map")
    return params.replace(policy=policy)


# ---- measures: plain functions of data (unit-tested on constructed inputs) -------------------------

def recovery_weeks(series: np.ndarray, reference: np.ndarray, start_week: int, dip: float = 0.9, horizon: int = 26
                   ) -> tuple[float, bool]:
    """Weeks from ``start_week`` until ``series`` is back to ``dip`` x ``reference`` after falling below it.

    ``series`` and ``reference`` are weekly (row 0 = week 1); the reference is the counterfactual (or
    any "former level"). The series must fall below ``dip`` x reference within ``horizon`` weeks of the
    start, or there is nothing to recover from: (nan, False). Returns (weeks, censored): censored is
    True when it had not recovered by the end, and weeks is then the weeks observed (a lower bound).
    """
    s = np.asarray(series, dtype=float)[start_week - 1:]
    ref = np.asarray(reference, dtype=float)[start_week - 1:]
    if len(s) == 0:
        return math.nan, False
    below = s < dip * ref
    first = np.flatnonzero(below[:horizon])
    if len(first) == 0:
        return math.nan, False
    after = np.flatnonzero(~below[first[0]:])
    if len(after) == 0:
        return float(len(s)), True
    return float(first[0] + after[0]), False


def effect_weeks(series: np.ndarray, reference: np.ndarray, start_week: int, window: int = 52, threshold: float = 0.9) -> float:
    """Weeks within ``window`` weeks from ``start_week`` in which ``series`` < ``threshold`` x ``reference``.

    Weeks where the reference is zero are not counted (there was nothing to lose).
    """
    s = np.asarray(series, dtype=float)[start_week - 1: start_week - 1 + window]
    ref = np.asarray(reference, dtype=float)[start_week - 1: start_week - 1 + window]
    return float(np.sum((ref > 0) & (s < threshold * ref)))


def enrichment(sites: np.ndarray, mask: np.ndarray, land: np.ndarray) -> float:
    """Share of compounds on ``mask`` cells over the share of land that ``mask`` covers (1 = spread by area)."""
    sites = np.asarray(sites, dtype=np.int64)
    land_share = float(mask[land].mean()) if land.any() else 0.0
    if len(sites) == 0 or land_share == 0:
        return math.nan
    return float(mask[sites].mean()) / land_share


def share_of_moves(moves: pd.DataFrame, since_week: int, predicate: Callable[[pd.DataFrame], np.ndarray]) -> float:
    m = moves[moves["week"] >= since_week]
    return float(np.mean(predicate(m))) if len(m) else math.nan


def flows_between(moves: pd.DataFrame, cell_jurisdiction: np.ndarray, a: int, b: int, since_week: int) -> tuple[int, int]:
    """Moves from jurisdiction a to b and from b to a, from ``since_week`` on."""
    m = moves[moves["week"] >= since_week]
    src = cell_jurisdiction[m["from_cell"].to_numpy(dtype=np.int64)]
    dst = cell_jurisdiction[m["to_cell"].to_numpy(dtype=np.int64)]
    return int(np.sum((src == a) & (dst == b))), int(np.sum((src == b) & (dst == a)))


def never_raided_or_surviving(first_seen: dict[int, int], last_seen: dict[int, int], raids: pd.DataFrame,
                              since_week: int, end_week: int) -> float:
    """Of compounds operating at some week from ``since_week`` on, the share never raided since then or still
    operating at ``end_week`` (Amnesty's measure: compounds that never faced a raid or kept operating after one)."""
    ids = [c for c, last in last_seen.items() if last >= since_week]
    if not ids:
        return math.nan
    raided = set(raids.loc[raids["week"] >= since_week, "compound"].tolist())
    ok = sum(1 for c in ids if c not in raided or last_seen[c] >= end_week)
    return ok / len(ids)


def t_interval(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t interval of the finite values: (mean, lo, hi, n); nan where undefined."""
    x = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


# ---- patterns as data ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    """One measurable condition: ``metric`` op ``threshold``, with the reason for the threshold."""

    metric: str
    op: str  # ">=", ">", "<=", "<", "between"
    threshold: float | tuple[float, float]
    label: str
    why: str

    def passes(self, value: float) -> bool:
        t = self.threshold
        if self.op == ">=":
            return value >= t
        if self.op == ">":
            return value > t
        if self.op == "<=":
            return value <= t
        if self.op == "<":
            return value < t
        lo, hi = t
        return lo <= value <= hi

    def verdict(self, values: Iterable[float]) -> tuple[str, tuple[float, float, float, int]]:
        """Verdict on replications: the whole 95% interval must lie on one side (see module docstring)."""
        mean, lo, hi, n = t_interval(values)
        if n == 0:
            return "undefined", (mean, lo, hi, n)
        if n == 1 or not math.isfinite(lo):
            return ("reproduced" if self.passes(mean) else "failed"), (mean, lo, hi, n)
        if self.op == "between":
            a, b = self.threshold
            if a <= lo and hi <= b:
                return "reproduced", (mean, lo, hi, n)
            if hi < a or lo > b:
                return "failed", (mean, lo, hi, n)
            return "inconclusive", (mean, lo, hi, n)
        ok_lo, ok_hi = self.passes(lo), self.passes(hi)
        if ok_lo and ok_hi:
            return "reproduced", (mean, lo, hi, n)
        if not ok_lo and not ok_hi:
            return "failed", (mean, lo, hi, n)
        return "inconclusive", (mean, lo, hi, n)

    def describe(self) -> str:
        if self.op == "between":
            return f"{self.label} in [{_fmt(self.threshold[0])}, {_fmt(self.threshold[1])}]"
        return f"{self.label} {self.op} {_fmt(self.threshold)}"


Measure = Callable[[dict[str, Observation], Geo], dict[str, float]]


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    observed: str
    source: str
    variants: tuple[str, ...]
    measure: Measure | None
    criteria: tuple[Criterion, ...]
    anchor: bool = False  # a numeric anchor rather than a stylised fact
    not_testable: str = ""  # the missing mechanism, when the model cannot test the pattern
    note: str = ""


def _start(o: Observation) -> int:
    return o.run.params.policy.start_week


def _end(o: Observation) -> int:
    p = o.run.params.policy
    return p.end_week if p.end_week >= 0 else o.run.params.run.weeks


def m_totals(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    s = summarise(obs["status_quo"].run)["persistence"]
    return {"persistence_workers": _num(s["persistence_workers"]), "persistence_revenue": _num(s["persistence_revenue"])}


def m_recovery(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o, cf = obs["cambodia_2022"], obs["counterfactual"]
    j = list(o.run.areas.treated)
    weeks, censored = recovery_weeks(o.run.workers[:, j].sum(axis=1), cf.run.workers[:, j].sum(axis=1), _start(o))
    trough = _ratio_min(o.run.workers[:, j].sum(axis=1), cf.run.workers[:, j].sum(axis=1), _start(o), 26)
    return {"recovery_weeks": weeks, "recovery_censored": float(censored), "trough_vs_counterfactual": trough}


def m_moves(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o = obs["status_quo"]
    country = np.array((*geo.countries, ""))[geo.cell_jurisdiction]

    def cross_country(m: pd.DataFrame) -> np.ndarray:
        return country[m["from_cell"].to_numpy(dtype=np.int64)] != country[m["to_cell"].to_numpy(dtype=np.int64)]

    return {
        "share_moves_within_300km": share_of_moves(o.run.moves, _start(o), lambda m: m["km"].to_numpy() <= 300),
        "median_move_km": float(o.run.moves.loc[o.run.moves["week"] >= _start(o), "km"].median()),
        "share_moves_cross_country": share_of_moves(o.run.moves, _start(o), cross_country),
        "share_moves_cross_jurisdiction": share_of_moves(o.run.moves, _start(o), lambda m: m["cross_border"].to_numpy()),
    }


def m_clustering(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    sites = obs["status_quo"].final_sites
    enclave = geo.cell_zone >= 0
    kinds = np.array([*geo.zone_kinds, ""])[geo.cell_zone]
    protected = enclave & np.isin(kinds, ["armed_group", "sez"])
    return {
        "border_enrichment": enrichment(sites, geo.border, geo.land),
        "enclave_enrichment": enrichment(sites, protected, geo.land),
        "share_on_border_or_enclave": float((geo.border | enclave)[sites].mean()) if len(sites) else math.nan,
    }


def m_ping_pong(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    out = {}
    a, b = geo.j("Shan"), geo.j("Laos")
    for key in ("shan_laos_uncoordinated", "shan_laos_coordinated"):
        o = obs[key]
        ab, ba = flows_between(o.run.moves, geo.cell_jurisdiction, a, b, _start(o))
        years = (geo.weeks - _start(o) + 1) / 52.0
        out[key] = min(ab, ba) / years
        out[key + "_total"] = (ab + ba) / years
    unc, coord = out["shan_laos_uncoordinated"], out["shan_laos_coordinated"]
    return {
        "back_and_forth_per_year_uncoordinated": unc,
        "back_and_forth_per_year_coordinated": coord,
        "cross_moves_per_year_uncoordinated": out["shan_laos_uncoordinated_total"],
        "reduction_by_coordination": 1.0 - coord / unc if unc > 0 else math.nan,
    }


def m_tipoffs(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o = obs["status_quo"]
    r = o.raids[o.raids["week"] >= _start(o)]
    protected = r[(r["zone"] >= 0) & (geo.protection[r["cell"].to_numpy(dtype=np.int64)] >= 0.5)] if len(r) else r
    f = o.run.frame[o.run.frame["week"] >= _start(o)]
    bosses, rescued = float(f["bosses_arrested"].sum()), float(f["workers_rescued"].sum())
    return {
        "tipped_off_share_protected_enclaves": float(protected["tipped_off"].mean()) if len(protected) else math.nan,
        "raids_on_protected_enclaves": float(len(protected)),
        "boss_share_of_people_detained": bosses / (bosses + rescued) if bosses + rescued > 0 else math.nan,
    }


def m_announced_exodus(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """People held in the target in the last week before any raid, against the counterfactual."""
    o, cf = obs["cambodia_announced"], obs["counterfactual"]
    j = list(o.run.areas.treated)
    row = _start(o) - 2  # rows are weeks - 1: week start - 1, the last week without the policy's raids
    held, ref = float(o.run.workers[row, j].sum()), float(cf.run.workers[row, j].sum())
    return {"exodus_share_before_first_raid": 1.0 - held / ref if ref > 0 else math.nan}


def m_utility_cut(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    cf = obs["counterfactual"]
    out = {}
    for key in ("thai_cut", "thai_cut_no_substitutes"):
        o = obs[key]
        zones = [geo.z(z) for z in o.run.params.policy.cut_zones if z in geo.zones]
        out[key] = effect_weeks(o.zone_revenue[:, zones].sum(axis=1), cf.zone_revenue[:, zones].sum(axis=1), _start(o))
    return {"effect_weeks_with_substitutes": out["thai_cut"],
            "effect_weeks_substitutes_cut": out["thai_cut_no_substitutes"],
            "extra_weeks_when_substitutes_cut": out["thai_cut_no_substitutes"] - out["thai_cut"]}


def _exits_in(o: Observation, lo: int, hi: int) -> tuple[float, float]:
    f = o.run.frame[(o.run.frame["week"] >= lo) & (o.run.frame["week"] <= hi)]
    e = o.exits[(o.exits["week"] >= lo) & (o.exits["week"] <= hi)]
    return float(f["compounds_dissolved"].sum()), float((e["compounds"] >= 2).sum())


def m_protector_shock(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    cf = obs["counterfactual"]
    s, r = obs["myanmar_sanctions"], obs["myanmar_raids"]
    lo, hi = _start(s), min(geo.weeks, _end(s) + 26)
    cf_d, cf_m = _exits_in(cf, lo, hi)
    s_d, s_m = _exits_in(s, lo, hi)
    r_d, r_m = _exits_in(r, lo, hi)
    return {
        "excess_closures_sanctions": s_d - cf_d,
        "excess_closures_raids": r_d - cf_d,
        "closures_sanctions_minus_raids": (s_d - cf_d) - (r_d - cf_d),
        "multi_site_exits_sanctions_minus_raids": (s_m - cf_m) - (r_m - cf_m),
    }


def m_never_raided(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o = obs["status_quo"]
    return {"share_never_raided_or_operating": never_raided_or_surviving(o.first_seen, o.last_seen, o.raids, _start(o), geo.weeks)}


def m_wdq(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    cf = obs["counterfactual"].run
    return {"wdq_case_by_case": _num(summarise(obs["cambodia_raids"].run, cf)["displacement"]["wdq_buffer"]),
            "wdq_root_causes": _num(summarise(obs["cambodia_root_causes"].run, cf)["displacement"]["wdq_buffer"])}


def _year_mean(o: Observation, cols: list[int], first_week: int, last_week: int) -> float:
    rows = slice(first_week - 1, last_week)
    return float(o.run.workers[rows][:, cols].sum(axis=1).mean())


def m_anchors(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o = obs["status_quo"]
    myanmar = [k for k, c in enumerate(geo.countries) if c == "Myanmar"]
    out = {
        "held_total_2023": _year_mean(o, list(range(len(geo.jurisdictions))), 105, 156),
        "held_myanmar_2023": _year_mean(o, myanmar, 105, 156) if myanmar else math.nan,
        "held_cambodia_2023": _year_mean(o, [geo.j("Cambodia")], 105, 156) if "Cambodia" in geo.jurisdictions else math.nan,
        "held_laos_2024": _year_mean(o, [geo.j("Laos")], 157, 208) if "Laos" in geo.jurisdictions else math.nan,
        "proceeds_usd_per_year_2024": float(o.run.frame["revenue"].iloc[156:208].sum()),
    }
    if "Cambodia" in geo.jurisdictions:
        out["compounds_cambodia_2025"] = float(o.compounds_by_jurisdiction[208:260, geo.j("Cambodia")].mean())
    if "Myawaddy" in geo.zones:
        out["compounds_myawaddy_2025"] = float(o.zone_compounds[208:260, geo.z("Myawaddy")].mean())
    return out


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "P1", "Regional totals stay flat or grow under site-by-site raids",
        "fraud 'continued to intensify' despite enforcement; US losses +66% in 2024",
        "UNODC Oct 2024; domain.md fact 1", ("status_quo",), m_totals,
        (Criterion("persistence_workers", ">=", 0.95, "workers held, last year / year before raids",
                   "flat or growing: a fall of more than 5% would be a visible decline; 5% allows for sampling noise"),
         Criterion("persistence_revenue", ">=", 0.95, "proceeds, last year / year before raids", "as for workers")),
        note="with a fixed trafficking inflow the total held is bounded by inflow/attrition, so only exits through raids "
             "(rescue, repatriation, dissolution) can pull it down"),
    Pattern(
        "P2", "A raided cluster is back to its former level within about 2-6 months",
        "business 'back in a few months' after raids", "UNODC (Hofmann, Mar 2024); domain.md fact 2",
        ("cambodia_2022", "counterfactual"), m_recovery,
        (Criterion("recovery_weeks", "between", (4.0, 30.0), "weeks from the Cambodian raids until workers in Cambodia are "
                   "back to 90% of the no-raid counterfactual",
                   "2-6 months is 9-26 weeks; 'about' widened by one month either side; measured against the paired "
                   "counterfactual so a trend the raids did not cause is not counted"),),
        note="undefined in a replication where the raids never pushed Cambodia 10% below the counterfactual"),
    Pattern(
        "P3", "Most moves are short; a minority cross borders",
        "moves within the same corridor or to the next enclave, tens to a few hundred km; a minority cross borders",
        "domain.md fact 3 (UNODC 2023; reports after each crackdown)", ("status_quo",), m_moves,
        (Criterion("share_moves_within_300km", ">=", 0.5, "share of moves of at most 300 km",
                   "'most' means more than half; 'a few hundred km' read as at most 300 km"),
         Criterion("share_moves_cross_country", "<", 0.5, "share of moves into another country",
                   "'a minority' means fewer than half; Shan, Kayin and the rest of Myanmar are one country")),
        note="the third part of the fact (a small, growing share goes overseas: Africa, Pacific, Middle East) is P3b"),
    Pattern(
        "P3b", "A small, growing share of moves goes overseas (Africa, Pacific, Middle East)",
        "operations found in Africa, the Pacific and the Middle East", "domain.md fact 3; INTERPOL Jun 2025",
        (), None, (),
        not_testable="the map is the only world: no destination outside it. It needs an 'overseas' exit in site choice "
                     "(sim/rules/sitechoice.py choose_site: an outside option with its own cost and revenue) or overseas "
                     "jurisdictions on the map, with the moves that take it recorded in model.moves"),
    Pattern(
        "P4", "Compounds cluster at jurisdiction edges and in armed-group or SEZ enclaves",
        "Myawaddy, Tachileik, Golden Triangle SEZ, Kokang, Poipet, Bavet, O'Smach: border towns and enclaves",
        "domain.md fact 4 (C4ADS 2025; Amnesty 2025; RFA 2024)", ("status_quo",), m_clustering,
        (Criterion("border_enrichment", ">=", 2.0, "share of compounds on border cells / share of land on border cells",
                   "'cluster' read as at least twice the density of placement by area"),
         Criterion("enclave_enrichment", ">=", 2.0, "share of compounds in armed-group/SEZ enclaves / their share of land",
                   "as for borders"))),
    Pattern(
        "P5", "Uncoordinated neighbours produce back-and-forth flows; coordination removes them",
        "operations shuttled between Tachileik (Myanmar) and the Golden Triangle SEZ (Laos), 45 minutes apart by boat",
        "domain.md fact 5; reports after the Aug 2024 Laos SEZ raid",
        ("shan_laos_uncoordinated", "shan_laos_coordinated"), m_ping_pong,
        (Criterion("back_and_forth_per_year_uncoordinated", ">=", 1.0,
                   "moves a year in the lesser direction between Shan and Laos (uncoordinated raids)",
                   "back-and-forth needs both directions; one move a year each way is the weakest reading"),
         Criterion("reduction_by_coordination", ">=", 0.5, "1 - back-and-forth coordinated / uncoordinated (paired)",
                   "'removes the oscillation' read as at least halving it")),
        note="jurisdiction level (Shan <-> Laos); raids cannot be aimed at the Tachileik or SEZ cells alone"),
    Pattern(
        "P6", "Tip-offs cause an exodus before raids; arrests are mostly low-level workers",
        "KK Park (Oct 2025): 2,198 detained while operations were moved out beforehand; no kingpins among those detained",
        "domain.md fact 6 and shocks table", ("status_quo",), m_tipoffs,
        (Criterion("tipped_off_share_protected_enclaves", ">=", 0.5,
                   "share of raids on protected enclaves (protection >= 0.5) pre-empted by a tip-off",
                   "reports describe moving out before the raid as the rule in protected enclaves: at least half"),
         Criterion("boss_share_of_people_detained", "<=", 0.01, "bosses arrested / (bosses + people detained)",
                   "hundreds to thousands detained per raid (771, 2,198) with no boss among them: under 1%")),
        note="both halves are close to inputs (tipoff_base + tipoff_protection x protection; arrest_probability)"),
    Pattern(
        "P6b", "Announced operations cause an exodus beforehand",
        "compounds emptied ahead of announced crackdowns", "domain.md fact 6",
        ("cambodia_announced", "counterfactual"), m_announced_exodus,
        (Criterion("exodus_share_before_first_raid", ">=", 0.1,
                   "share of the target's people held gone, against the counterfactual, in the week before the first raid",
                   "'an exodus' read as at least a tenth of the workforce moved out before a single raid"),),
        note="policy.announce_weeks = 8: operators read the coming raid climate from the announcement; agencies "
             "raid only from start_week"),
    Pattern(
        "P7", "Cutting one utility has a short effect when substitutes exist; cutting substitutes lasts longer",
        "Thai cuts of Feb 2025: generators, Lao power and Starlink within weeks; rebuilding by spring",
        "domain.md fact 7 and shocks table", ("thai_cut", "thai_cut_no_substitutes", "counterfactual"), m_utility_cut,
        (Criterion("effect_weeks_with_substitutes", "<=", 13.0,
                   "weeks (of 52) the cut zones' proceeds are below 90% of the counterfactual, substitutes available",
                   "'short': within about three months (cut in February, rebuilding by spring)"),
         Criterion("extra_weeks_when_substitutes_cut", ">=", 13.0, "extra weeks of effect when the substitutes are cut too",
                   "'lasts longer' read as at least one more quarter"))),
    Pattern(
        "P8", "Shocks to protectors and kingpins cause larger multi-site exits than raids",
        "sanctions and extraditions emptied several sites of a group at once", "domain.md fact 8",
        ("myanmar_sanctions", "myanmar_raids", "counterfactual"), m_protector_shock,
        (Criterion("closures_sanctions_minus_raids", ">", 0.0,
                   "compounds closed for good beyond the counterfactual: sanctions minus raids (same year, same places)",
                   "'larger' means more; a paired difference above zero"),
         Criterion("multi_site_exits_sanctions_minus_raids", ">", 0.0,
                   "operators ended with two or more compounds, beyond the counterfactual: sanctions minus raids",
                   "as above")),
        note="the model's sanctions lever removes protection; it has no targeted asset freeze and no arrest without a raid"),
    Pattern(
        "P9", "More than two-thirds of identified compounds are never raided or keep operating",
        "of 53 confirmed compounds in Cambodia more than two-thirds never raided or still operating",
        "Amnesty International, Jun 2025", ("status_quo",), m_never_raided,
        (Criterion("share_never_raided_or_operating", ">=", 0.67,
                   "share of compounds operating since the raids began never raided, or still operating at the end",
                   "Amnesty's 'more than two-thirds'"),),
        note="an operation that moved after a raid counts as still operating (the model follows operations, not buildings)"),
    Pattern(
        "P10", "Buffer WDQ below -1 under site-by-site raids; near or above 0 under root-cause levers",
        "displacement exceeding the direct effect under raids; none under root-cause measures",
        "domain.md fact 10 (WDQ: Bowers & Johnson 2003)", ("cambodia_raids", "cambodia_root_causes", "counterfactual"), m_wdq,
        (Criterion("wdq_case_by_case", "<", -1.0, "buffer WDQ, sustained case-by-case raids in Cambodia",
                   "the fact's own threshold"),
         Criterion("wdq_root_causes", ">=", -0.25, "buffer WDQ, root-cause levers acting on Cambodia",
                   "'near or above 0' read as no lower than -0.25")),
        note="buffer: Thailand, Laos, Vietnam; control: Myanmar, the Philippines, Sabah; WDQ undefined where the treated "
             "area did not change relative to control"),
    Pattern(
        "A1", "People held in the region, 2023", "Myanmar >= 120,000, Cambodia ~100,000 (OHCHR), Laos ~85,000 (USIP)",
        "OHCHR Aug 2023; USIP May 2024", ("status_quo",), m_anchors,
        (Criterion("held_total_2023", "between", (300000.0, 500000.0), "people held, mean over 2023",
                   "sum of the country figures (>= 305,000) up to the higher Myanmar and Cambodia estimates"),),
        anchor=True),
    Pattern(
        "A2", "People held by country", "Myanmar >= 120,000; Cambodia 100,000-150,000; Laos ~85,000",
        "OHCHR Aug 2023; USAID via The Diplomat 2024; USIP May 2024", ("status_quo",), m_anchors,
        (Criterion("held_myanmar_2023", ">=", 120000.0, "Myanmar (Shan, Kayin, rest), mean over 2023", "OHCHR lower bound"),
         Criterion("held_cambodia_2023", "between", (100000.0, 150000.0), "Cambodia, mean over 2023", "OHCHR and USAID figures"),
         Criterion("held_laos_2024", "between", (60000.0, 110000.0), "Laos, mean over 2024",
                   "USIP's 85,000 with the +-30% plausible range of docs/mekong.md")),
        anchor=True),
    Pattern(
        "A3", "Annual proceeds", "US$43.8bn/yr by Mekong-based groups; profits just under US$40bn/yr",
        "USIP May 2024; UNODC Apr 2025", ("status_quo",), m_anchors,
        (Criterion("proceeds_usd_per_year_2024", "between", (40e9, 64e9), "gross proceeds over 2024, US$",
                   "gross proceeds must exceed UNODC's ~US$40bn profits and stay under USIP's US$64bn world total"),),
        anchor=True),
    Pattern(
        "A4", "Compound counts", "53 confirmed + 45 suspected compounds in Cambodia; 21 compounds in Myawaddy",
        "Amnesty Jun 2025; C4ADS 2025", ("status_quo",), m_anchors,
        (Criterion("compounds_cambodia_2025", "between", (53.0, 98.0), "compounds in Cambodia, mean over 2025",
                   "confirmed to confirmed + suspected"),
         Criterion("compounds_myawaddy_2025", "between", (14.0, 28.0), "compounds in the Myawaddy zone, mean over 2025",
                   "C4ADS's 21 +- one third")),
        anchor=True),
)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _ratio_min(series: np.ndarray, ref: np.ndarray, start: int, window: int) -> float:
    s = np.asarray(series, dtype=float)[start - 1: start - 1 + window]
    r = np.asarray(ref, dtype=float)[start - 1: start - 1 + window]
    ok = r > 0
    return float(np.min(s[ok] / r[ok])) if ok.any() else math.nan


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.1f}bn"
    if ax >= 1e4:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 1 or ax == 0:
        return f"{x:.2f}".rstrip("0").rstrip(".") if ax != 0 else "0"
    return f"{x:.3f}"


# ---- running the suite -----------------------------------------------------------------------------

def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started by a fork server (or spawned), never forked from a threaded parent."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["sim.analysis.validation.patterns"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _job(args: tuple[Params, int]) -> Observation:
    params, seed = args
    return observe(params, seed)


def run_variants(params: Params, names: Iterable[str], seeds: list[int], workers: int = 1,
                 scenarios_dir: Path = SCENARIOS) -> tuple[dict[int, dict[str, Observation]], dict[str, str]]:
    """Run every named variant for every seed; returns ({seed: {variant: Observation}}, {variant: why unavailable})."""
    built, unavailable = {}, {}
    for name in dict.fromkeys(names):
        try:
            built[name] = variant_params(params, VARIANTS[name], scenarios_dir)
        except VariantUnavailable as exc:
            unavailable[name] = str(exc)
    jobs = [(name, seed) for seed in seeds for name in built]
    args = [(built[name], seed) for name, seed in jobs]
    if workers > 1 and len(args) > 1:
        with process_pool(workers) as pool:
            results = list(pool.map(_job, args, chunksize=1))
    else:
        results = [_job(a) for a in args]
    out: dict[int, dict[str, Observation]] = {s: {} for s in seeds}
    for (name, seed), res in zip(jobs, results, strict=True):
        out[seed][name] = res
    return out, unavailable


@dataclass
class CriterionResult:
    criterion: Criterion
    values: list[float]
    verdict: str
    mean: float
    lo: float
    hi: float
    n: int


@dataclass
class PatternResult:
    pattern: Pattern
    verdict: str
    criteria: list[CriterionResult]
    extra: dict[str, list[float]]  # every measured value, for the report
    reason: str = ""


VERDICT_ORDER = ("failed", "undefined", "inconclusive", "reproduced")


def evaluate(pattern: Pattern, metrics_by_seed: list[dict[str, float]], unavailable: str = "") -> PatternResult:
    """Turn a pattern's per-replication measures into criterion verdicts and the pattern's verdict."""
    if pattern.not_testable:
        return PatternResult(pattern, "not testable", [], {}, pattern.not_testable)
    if unavailable:
        return PatternResult(pattern, "not testable", [], {}, unavailable)
    keys = sorted({k for m in metrics_by_seed for k in m})
    extra = {k: [m.get(k, math.nan) for m in metrics_by_seed] for k in keys}
    results = []
    for c in pattern.criteria:
        values = extra.get(c.metric, [])
        verdict, (mean, lo, hi, n) = c.verdict(values)
        results.append(CriterionResult(c, values, verdict, mean, lo, hi, n))
    verdicts = [r.verdict for r in results]
    overall = next((v for v in VERDICT_ORDER if v in verdicts), "reproduced")
    return PatternResult(pattern, overall, results, extra)


def pattern_metrics(pattern: Pattern, obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    return {} if pattern.measure is None else pattern.measure(obs, geo)


@dataclass
class Report:
    scenario: str
    seeds: list[int]
    results: list[PatternResult]
    observations: dict[int, dict[str, Observation]] = field(repr=False, default_factory=dict)
    headline: list[float] = field(default_factory=list)  # persistence vs counterfactual (workers), per seed


def run_patterns(params: Params, replications: int = 10, workers: int = 2, first_seed: int = 1,
                 patterns: tuple[Pattern, ...] = PATTERNS, scenario: str = "", scenarios_dir: Path = SCENARIOS,
                 keep_observations: bool = False) -> Report:
    """Run every variant the patterns need over ``replications`` seeds and evaluate each pattern."""
    seeds = list(range(first_seed, first_seed + replications))
    names = [v for p in patterns for v in p.variants]
    obs, unavailable = run_variants(params, names, seeds, workers, scenarios_dir)
    geo = Geo.of(params)
    results = []
    for p in patterns:
        missing = "; ".join(unavailable[v] for v in p.variants if v in unavailable)
        per_seed = []
        if not missing and not p.not_testable:
            for s in seeds:
                try:
                    per_seed.append(pattern_metrics(p, obs[s], geo))
                except (KeyError, ValueError) as exc:  # a jurisdiction or zone the measure names is not on this map
                    missing = f"this map lacks what the measure needs ({exc})"
                    break
        results.append(evaluate(p, per_seed, missing))
    headline = [_num(summarise(obs[s]["status_quo"].run, obs[s]["counterfactual"].run)["counterfactual"]
                     ["persistence_vs_counterfactual_workers"])
                for s in seeds if "status_quo" in obs[s] and "counterfactual" in obs[s]]
    return Report(scenario, seeds, results, obs if keep_observations else {}, headline)


def headline_line(report: Report) -> str:
    """The headline answer: workers held under the scenario's policy over the counterfactual, last year."""
    if not report.headline:
        return "headline: not computed (the patterns run neither the scenario's policy nor its counterfactual)"
    return ("headline: workers held in the last year under the scenario's policy / no-policy counterfactual "
            f"(persistence_vs_counterfactual_workers): {_interval(*t_interval(report.headline))}")


# ---- shock replays: what the model does next, paired with the counterfactual -----------------------

def shock_measures(o: Observation, cf: Observation, geo: Geo, window: int = 26) -> dict[str, Any]:
    """What followed one shock: the dip and recovery of the treated area, and where moves from it went."""
    p = o.run.params.policy
    start = p.start_week
    if p.cut_zones:
        cols = [geo.z(z) for z in p.cut_zones]
        series, ref = o.zone_workers[:, cols].sum(axis=1), cf.zone_workers[:, cols].sum(axis=1)
        area_cells = np.isin(geo.cell_zone, cols)
        area = "+".join(p.cut_zones)
    else:
        cols = list(o.run.areas.treated)
        series, ref = o.run.workers[:, cols].sum(axis=1), cf.run.workers[:, cols].sum(axis=1)
        area_cells = np.isin(geo.cell_jurisdiction, cols)
        area = "+".join(geo.jurisdictions[c] for c in cols)
    weeks, censored = recovery_weeks(series, ref, start, horizon=window)
    m = o.run.moves
    m = m[(m["week"] >= start) & (m["week"] < start + window)]
    out_moves = m[area_cells[m["from_cell"].to_numpy(dtype=np.int64)]]
    dest = {}
    for cell in out_moves["to_cell"].to_numpy(dtype=np.int64):
        z = geo.cell_zone[cell]
        label = geo.jurisdictions[geo.cell_jurisdiction[cell]] + (f"/{geo.zones[z]}" if z >= 0 else "")
        dest[label] = dest.get(label, 0) + 1
    back = o.run.moves
    back = back[(back["week"] >= start) & (back["week"] < start + 52)]
    back = back[~area_cells[back["from_cell"].to_numpy(dtype=np.int64)] & area_cells[back["to_cell"].to_numpy(dtype=np.int64)]]
    cf_back = cf.run.moves
    cf_back = cf_back[(cf_back["week"] >= start) & (cf_back["week"] < start + 52)]
    cf_back = cf_back[~area_cells[cf_back["from_cell"].to_numpy(dtype=np.int64)]
                      & area_cells[cf_back["to_cell"].to_numpy(dtype=np.int64)]]
    f, fc = o.run.frame, cf.run.frame
    win = (f["week"] >= start) & (f["week"] < start + window)
    total_effect = float(o.run.workers.sum(axis=1)[-52:].mean() / max(cf.run.workers.sum(axis=1)[-52:].mean(), 1.0))
    return {
        "area": area,
        "trough_vs_cf": _ratio_min(series, ref, start, window),
        "recovery_weeks": weeks,
        "recovery_censored": censored,
        "moves_out": float(len(out_moves)),
        "moves_back_in_52_weeks": float(len(back)),
        "moves_in_52_weeks_cf": float(len(cf_back)),
        "median_weeks_to_move": float((out_moves["week"] - start).median()) if len(out_moves) else math.nan,
        "destinations": dest,
        "raids": float(f.loc[win, "raids"].sum()),
        "tipped_off": float(f.loc[win, "raids_tipped_off"].sum()),
        "rescued": float(f.loc[win, "workers_rescued"].sum()),
        "repatriated_excess": float(f.loc[win, "workers_repatriated"].sum() - fc.loc[win, "workers_repatriated"].sum()),
        "region_last_year_vs_cf": total_effect,
    }


def run_shocks(params: Params, replications: int = 10, workers: int = 2, first_seed: int = 1,
               scenarios_dir: Path = SCENARIOS) -> dict[str, dict[str, Any]]:
    """Every shock replay paired with the counterfactual; measures summarised over replications."""
    from sim.scenario.loader import load_scenario

    seeds = list(range(first_seed, first_seed + replications))
    built = {"counterfactual": counterfactual_params(params)}
    for name, path in SHOCKS.items():
        built[name] = params.replace(policy=load_scenario(scenarios_dir / path).params.policy)
    jobs = [(name, seed) for seed in seeds for name in built]
    args = [(built[n], s) for n, s in jobs]
    if workers > 1:
        with process_pool(workers) as pool:
            results = list(pool.map(_job, args, chunksize=1))
    else:
        results = [_job(a) for a in args]
    obs: dict[int, dict[str, Observation]] = {s: {} for s in seeds}
    for (n, s), r in zip(jobs, results, strict=True):
        obs[s][n] = r
    geo = Geo.of(params)
    out: dict[str, dict[str, Any]] = {}
    for name in SHOCKS:
        per = [shock_measures(obs[s][name], obs[s]["counterfactual"], geo) for s in seeds]
        summary: dict[str, Any] = {"area": per[0]["area"], "replications": len(per)}
        for key in ("trough_vs_cf", "recovery_weeks", "moves_out", "moves_back_in_52_weeks", "moves_in_52_weeks_cf",
                    "median_weeks_to_move", "raids", "tipped_off", "rescued",
                    "repatriated_excess", "region_last_year_vs_cf"):
            summary[key] = t_interval([x[key] for x in per])
        summary["recovered_share"] = float(np.mean([math.isfinite(x["recovery_weeks"]) and not x["recovery_censored"]
                                                    for x in per]))
        summary["dipped_share"] = float(np.mean([math.isfinite(x["recovery_weeks"]) for x in per]))
        dest: dict[str, float] = {}
        for x in per:
            for k, v in x["destinations"].items():
                dest[k] = dest.get(k, 0.0) + v / len(per)
        summary["destinations"] = dict(sorted(dest.items(), key=lambda kv: -kv[1]))
        out[name] = summary
    return out


# ---- printing --------------------------------------------------------------------------------------

def _interval(mean: float, lo: float, hi: float, n: int) -> str:
    if n == 0:
        return "undefined"
    if not math.isfinite(lo):
        return f"{_fmt(mean)} (n={n})"
    return f"{_fmt(mean)} [{_fmt(lo)}, {_fmt(hi)}] (n={n})"


def format_text(report: Report) -> str:
    lines = [f"Pattern-oriented validation of {report.scenario or 'the scenario'}: {len(report.seeds)} replications "
             f"(seeds {report.seeds[0]}-{report.seeds[-1]}), mean and Student-t 95% interval", ""]
    for r in report.results:
        p = r.pattern
        tag = " (anchor)" if p.anchor else ""
        lines.append(f"{p.id}{tag}  {p.name}  ->  {r.verdict.upper()}")
        lines.append(f"    observed: {p.observed} [{p.source}]")
        if r.reason:
            lines.append(f"    reason: {r.reason}")
        for c in r.criteria:
            lines.append(f"    {c.verdict:>12}  {c.criterion.describe()}: {_interval(c.mean, c.lo, c.hi, c.n)}")
        lines.append("")
    counts = {v: sum(r.verdict == v for r in report.results) for v in (*VERDICT_ORDER, "not testable")}
    lines.append("summary: " + ", ".join(f"{v}: {n}" for v, n in counts.items() if n))
    lines.append(headline_line(report))
    return "\n".join(lines)


def format_markdown(report: Report) -> str:
    out = ["| id | pattern | observed in the world (source) | criterion (threshold) | model: mean [95% CI] (n) | verdict |",
           "|---|---|---|---|---|---|"]
    for r in report.results:
        p = r.pattern
        name = p.name + (" (anchor)" if p.anchor else "")
        if not r.criteria:
            out.append(f"| {p.id} | {name} | {p.observed} ({p.source}) | - | - | **{r.verdict}**: {r.reason} |")
            continue
        for k, c in enumerate(r.criteria):
            first = k == 0
            out.append(f"| {p.id if first else ''} | {name if first else ''} | "
                       f"{f'{p.observed} ({p.source})' if first else ''} | {c.criterion.describe()} | "
                       f"{_interval(c.mean, c.lo, c.hi, c.n)} | {c.verdict}"
                       f"{f' (pattern: **{r.verdict}**)' if first and len(r.criteria) > 1 else ''} |")
    out += ["", headline_line(report)]
    return "\n".join(out)


def format_shocks(shocks: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, s in shocks.items():
        lines.append(f"{name}  (area: {s['area']}, {s['replications']} replications)")
        for key, label in (("trough_vs_cf", "lowest treated level vs counterfactual, 26 weeks"),
                           ("recovery_weeks", "weeks to be back at 90% of the counterfactual"),
                           ("moves_out", "moves out of the area within 26 weeks"),
                           ("moves_back_in_52_weeks", "moves into the area from outside within 52 weeks"),
                           ("moves_in_52_weeks_cf", "the same in the counterfactual"),
                           ("median_weeks_to_move", "median weeks from the start to those moves"),
                           ("raids", "raids within 26 weeks"), ("tipped_off", "of them tipped off"),
                           ("rescued", "people freed by raids within 26 weeks"),
                           ("repatriated_excess", "extra people sent home vs counterfactual, 26 weeks"),
                           ("region_last_year_vs_cf", "regional workers in 2025 vs counterfactual")):
            lines.append(f"    {label}: {_interval(*s[key])}")
        lines.append(f"    dipped 10% below the counterfactual in {s['dipped_share']:.0%} of replications, "
                     f"recovered in {s['recovered_share']:.0%}")
        top = ", ".join(f"{k} {v:.1f}" for k, v in list(s["destinations"].items())[:6]) or "none"
        lines.append(f"    destinations of those moves (mean per replication): {top}")
        lines.append("")
    return "\n".join(lines)


# ---- command line ----------------------------------------------------------------------------------


if __name__ == "__main__":  # python -m sim.analysis.validation.patterns ..., as in docs/validation.md
    from sim.cli.patterns import main

    sys.exit(main())
