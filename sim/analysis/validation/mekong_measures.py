"""The measures of the Mekong patterns: which variants, jurisdictions, zones and calendar weeks each reads.

Each takes one replication's observed runs by variant name (the variants of ``mekong.VARIANTS``) and
the map's ``Geo``, and returns named values that the criteria of ``mekong.PATTERNS`` judge. A name the
map lacks raises KeyError or ValueError, which ``runner.run_patterns`` reports as "not testable".
Week numbers are the Mekong calendar: week 1 is the first week of 2021 (105-156 = 2023, 157-208 =
2024, 209-260 = 2025).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analysis.validation.geography import Geo
from sim.analysis.validation.measures import (
    buildings_never_raided_or_operating,
    closures_and_multi_site_exits,
    effect_weeks,
    enrichment,
    flows_between,
    mean_held,
    never_raided_or_surviving,
    policy_end,
    policy_start,
    share_of_moves,
    trough_ratio,
    value_or_nan,
    weeks_to_pre_shock_level,
    weeks_to_regain_reference,
)
from sim.analysis.validation.observe import Observation
from sim.measures.run import summarise


def m_totals(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    s = summarise(obs["status_quo"].run)["persistence"]
    return {"persistence_workers": value_or_nan(s["persistence_workers"]), "persistence_revenue": value_or_nan(s["persistence_revenue"])}


def m_recovery(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """Weeks until the raided place (Cambodia) is back to 90% of its pre-shock level, censored at the run's end.

    ``recovery_weeks`` is NaN when the raids never pushed it 10% below that level (nothing to recover
    from); the report pools the weeks and the censoring flags into a Kaplan-Meier curve. The older
    measure against the paired counterfactual is kept as ``recovery_weeks_vs_counterfactual``.
    """
    o, cf = obs["cambodia_2022"], obs["counterfactual"]
    j = list(o.run.areas.treated)
    series, ref = o.run.workers[:, j].sum(axis=1), cf.run.workers[:, j].sum(axis=1)
    weeks, censored = weeks_to_pre_shock_level(series, policy_start(o))
    weeks_cf, _ = weeks_to_regain_reference(series, ref, policy_start(o))
    return {"recovery_weeks": weeks, "recovery_censored": float(censored) if math.isfinite(weeks) else math.nan,
            "recovery_weeks_vs_counterfactual": weeks_cf, "trough_vs_counterfactual": trough_ratio(series, ref, policy_start(o), 26)}


def m_moves(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o = obs["status_quo"]
    country = np.append(np.array((*geo.countries, ""))[geo.cell_jurisdiction], "overseas")  # cell -1: a move overseas

    def cross_country(m: pd.DataFrame) -> np.ndarray:
        return country[m["from_cell"].to_numpy(dtype=np.int64)] != country[m["to_cell"].to_numpy(dtype=np.int64)]

    return {
        "share_moves_within_300km": share_of_moves(o.run.moves, policy_start(o), lambda m: m["km"].to_numpy() <= 300),
        "median_move_km": float(o.run.moves.loc[o.run.moves["week"] >= policy_start(o), "km"].median()),
        "share_moves_cross_country": share_of_moves(o.run.moves, policy_start(o), cross_country),
        "share_moves_cross_jurisdiction": share_of_moves(o.run.moves, policy_start(o), lambda m: m["cross_border"].to_numpy()),
    }


def m_overseas(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """Moves overseas (destination cell -1): their share since the raids began, and its change over time."""
    o = obs["status_quo"]
    start, end = policy_start(o), geo.weeks
    mid = start + (end - start) // 2

    def overseas(m: pd.DataFrame) -> np.ndarray:
        return m["to_cell"].to_numpy(dtype=np.int64) < 0

    moves = o.run.moves
    early = moves[moves["week"] < mid]
    return {
        "share_moves_overseas": share_of_moves(moves, start, overseas),
        "overseas_share_growth": share_of_moves(moves, mid, overseas) - share_of_moves(early, start, overseas),
    }


def m_clustering(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    sites = obs["status_quo"].final_sites
    enclave = geo.cell_zone >= 0
    kinds = np.array([*geo.zone_kinds, ""])[geo.cell_zone]
    protected = enclave & np.isin(kinds, ["armed_group", "sez"])
    international = geo.border_distance == 0  # next to another country's land, on the map or off it
    distance = geo.border_distance[sites]
    return {
        "international_border_enrichment": enrichment(sites, international, geo.land),
        "enclave_enrichment": enrichment(sites, protected, geo.land),
        "border_enrichment_any_jurisdiction": enrichment(sites, geo.border, geo.land),
        "mean_cells_to_international_border": float(distance[distance >= 0].mean()) if (distance >= 0).any() else math.nan,
        "share_on_border_or_enclave": float((international | enclave)[sites].mean()) if len(sites) else math.nan,
    }


def m_ping_pong(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    out = {}
    a, b = geo.j("Shan"), geo.j("Laos")
    for key in ("shan_laos_uncoordinated", "shan_laos_coordinated"):
        o = obs[key]
        ab, ba = flows_between(o.run.moves, geo.cell_jurisdiction, a, b, policy_start(o))
        years = (geo.weeks - policy_start(o) + 1) / 52.0
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
    r = o.raids[o.raids["week"] >= policy_start(o)]
    protected = r[(r["zone"] >= 0) & (geo.protection[r["cell"].to_numpy(dtype=np.int64)] >= 0.5)] if len(r) else r
    f = o.run.frame[o.run.frame["week"] >= policy_start(o)]
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
    row = policy_start(o) - 2  # rows are weeks - 1: week start - 1, the last week without the policy's raids
    held, ref = float(o.run.workers[row, j].sum()), float(cf.run.workers[row, j].sum())
    return {"exodus_share_before_first_raid": 1.0 - held / ref if ref > 0 else math.nan}


def m_utility_cut(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    cf = obs["counterfactual"]
    out = {}
    for key in ("thai_cut", "thai_cut_no_substitutes"):
        o = obs[key]
        zones = [geo.z(z) for z in o.run.params.policy.cut_zones if z in geo.zones]
        out[key] = effect_weeks(o.zone_revenue[:, zones].sum(axis=1), cf.zone_revenue[:, zones].sum(axis=1), policy_start(o))
    return {"effect_weeks_with_substitutes": out["thai_cut"],
            "effect_weeks_substitutes_cut": out["thai_cut_no_substitutes"],
            "extra_weeks_when_substitutes_cut": out["thai_cut_no_substitutes"] - out["thai_cut"]}


def m_protector_shock(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    cf = obs["counterfactual"]
    s, r = obs["myanmar_sanctions"], obs["myanmar_raids"]
    lo, hi = policy_start(s), min(geo.weeks, policy_end(s) + 26)
    cf_d, cf_m = closures_and_multi_site_exits(cf, lo, hi)
    s_d, s_m = closures_and_multi_site_exits(s, lo, hi)
    r_d, r_m = closures_and_multi_site_exits(r, lo, hi)
    return {
        "excess_closures_sanctions": s_d - cf_d,
        "excess_closures_raids": r_d - cf_d,
        "closures_sanctions_minus_raids": (s_d - cf_d) - (r_d - cf_d),
        "multi_site_exits_sanctions_minus_raids": (s_m - cf_m) - (r_m - cf_m),
    }


def m_kingpin_shock(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """As ``m_protector_shock`` for a syndicate's fall (``myanmar_kingpin``) against the same raids."""
    cf, k, r = obs["counterfactual"], obs["myanmar_kingpin"], obs["myanmar_raids"]
    lo, hi = policy_start(k), min(geo.weeks, policy_end(k) + 26)
    cf_d, cf_m = closures_and_multi_site_exits(cf, lo, hi)
    k_d, k_m = closures_and_multi_site_exits(k, lo, hi)
    r_d, r_m = closures_and_multi_site_exits(r, lo, hi)
    return {"excess_closures_kingpin": k_d - cf_d, "excess_closures_raids": r_d - cf_d,
            "closures_kingpin_minus_raids": (k_d - cf_d) - (r_d - cf_d),
            "multi_site_exits_kingpin_minus_raids": (k_m - cf_m) - (r_m - cf_m)}


def m_never_raided(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """Amnesty's count, by building (premises on); the older count by operation is kept beside it."""
    o = obs["status_quo_premises"]
    start = policy_start(o)
    return {"share_buildings_never_raided_or_operating": buildings_never_raided_or_operating(o.building_first, o.building_last,
                                                                                             o.raids, start, geo.weeks),
            "share_operations_never_raided_or_operating": never_raided_or_surviving(o.first_seen, o.last_seen, o.raids, start, geo.weeks)}


def m_displacement(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    """Displacement share against the paired no-policy run: of the people the policy removed from Cambodia, the share held elsewhere.

    No uncontaminated control area exists when the whole region shares one labour market, so the
    comparison is with the same region without the policy (same seed), not with a buffer and a control.
    """
    cf = obs["counterfactual"].run
    raids = value_or_nan(summarise(obs["cambodia_raids"].run, cf)["displacement"]["displacement_share"])
    roots = value_or_nan(summarise(obs["cambodia_root_causes"].run, cf)["displacement"]["displacement_share"])
    return {"displacement_share_case_by_case": raids, "displacement_share_root_causes": roots,
            "displacement_share_raids_minus_root_causes": raids - roots}


def m_anchors(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
    o = obs["status_quo"]
    myanmar = [k for k, c in enumerate(geo.countries) if c == "Myanmar"]
    out = {
        "held_total_2023": mean_held(o, list(range(len(geo.jurisdictions))), 105, 156),
        "held_myanmar_2023": mean_held(o, myanmar, 105, 156) if myanmar else math.nan,
        "held_cambodia_2023": mean_held(o, [geo.j("Cambodia")], 105, 156) if "Cambodia" in geo.jurisdictions else math.nan,
        "held_laos_2024": mean_held(o, [geo.j("Laos")], 157, 208) if "Laos" in geo.jurisdictions else math.nan,
        "proceeds_usd_per_year_2024": float(o.run.frame["revenue"].iloc[156:208].sum()),
    }
    if "Cambodia" in geo.jurisdictions:
        out["compounds_cambodia_2025"] = float(o.compounds_by_jurisdiction[208:260, geo.j("Cambodia")].mean())
    if "Myawaddy" in geo.zones:
        out["compounds_myawaddy_2025"] = float(o.zone_compounds[208:260, geo.z("Myawaddy")].mean())
    return out



Measure = Callable[[dict[str, Observation], Geo], dict[str, float]]


def with_actors(measure: Measure, suffix: str = "_actors") -> Measure:
    """The same measure read on the variants with issue #13's actors on (``NAME_actors`` read as ``NAME``)."""
    def read(obs: dict[str, Observation], geo: Geo) -> dict[str, float]:
        return measure({k[: -len(suffix)]: v for k, v in obs.items() if k.endswith(suffix)}, geo)

    read.__name__ = f"{measure.__name__}_actors"
    return read
