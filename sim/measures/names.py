"""The names of the measures ``sim.measures.run.summarise`` reports, declared once.

A measure is a numeric entry of a run's summary, flattened to a dotted key (``section.name``; see
docs/outputs.md for what each means). Experiment files are checked against these names without
simulating anything; tests/test_experiments.py checks that a real summary has exactly these keys, so
a change to ``summarise`` must change this list with it.
"""

from __future__ import annotations

#: Every measure, in the order ``summarise`` reports them (``measures = "all"`` keeps this order).
MEASURES: tuple[str, ...] = (
    "end.compounds",
    "end.workers_held",
    "end.operators",
    "end.weekly_revenue_usd",
    "end.jurisdictions_hosting",
    "persistence.workers_before",
    "persistence.workers_last_year",
    "persistence.persistence_workers",
    "persistence.revenue_before",
    "persistence.revenue_last_year",
    "persistence.persistence_revenue",
    "displacement.removed_from_treated",
    "displacement.reappeared_elsewhere",
    "displacement.displacement_share",
    "displacement.wdq_buffer",
    "displacement.tne",
    "displacement.spread_jurisdictions_last_year",
    "displacement.herfindahl_last_year",
    "relocation_since_policy.moves",
    "relocation_since_policy.moves_forced",
    "relocation_since_policy.mean_km",
    "relocation_since_policy.median_km",
    "relocation_since_policy.p90_km",
    "relocation_since_policy.share_cross_border",
    "relocation_since_policy.share_under_100km",
    "global.overseas_operations_end",
    "global.overseas_workers_held_end",
    "global.global_workers_held_last_year",
    "global.victim_losses_last_year_usd",
    "global.global_victim_losses_last_year_usd",
    "global.moves_overseas_since_policy",
    "global.share_of_moves_overseas_since_policy",
    "victims.victim_weeks",
    "victims.victim_weeks_since_policy",
    "victims.rescued_since_policy",
    "victims.repatriated_since_policy",
    "victims.retrafficked_since_policy",
    "enforcement_since_policy.raids",
    "enforcement_since_policy.raids_succeeded",
    "enforcement_since_policy.raids_tipped_off",
    "enforcement_since_policy.bosses_arrested",
    "enforcement_since_policy.compounds_dissolved",
    "enforcement_since_policy.raids_per_compound_eliminated",
    "enforcement_since_policy.capital_seized_usd",
    "enforcement_since_policy.recovery_weeks_treated",
    "enforcement_since_policy.recovery_weeks_region",
    "counterfactual.persistence_vs_counterfactual_workers",
    "counterfactual.persistence_vs_counterfactual_revenue",
    "counterfactual.victim_weeks_averted",
    "counterfactual.revenue_averted_usd",
    "counterfactual.counterfactual_workers_last_year",
    "counterfactual.identical_before_policy",
    "counterfactual.persistence_vs_counterfactual_global_workers",
    "counterfactual.persistence_vs_counterfactual_global_revenue",
    "counterfactual.global_victim_weeks_averted",
    "counterfactual.global_revenue_averted_usd",
)

#: Prefix of the measures reported only when a run is summarised against its no-policy counterfactual.
COUNTERFACTUAL_PREFIX = "counterfactual."

#: Sections of a summary that describe the run rather than measure it (text, lists, provenance).
DESCRIPTIVE_KEYS: tuple[str, ...] = (
    "provenance.scenario",
    "provenance.parameters_sha256",
    "provenance.seed",
    "provenance.weeks",
    "provenance.scamsim_version",
    "provenance.python",
    "areas.treated",
    "areas.buffer",
    "areas.control",
    "displacement.basis",
)

#: Axis labels of the measures figures show most: words with units (others get a label made from the key).
MEASURE_LABELS: dict[str, str] = {
    "persistence.persistence_workers": "Workers held, last year ÷ year before the policy (ratio)",
    "persistence.persistence_revenue": "Revenue, last year ÷ year before the policy (ratio)",
    "persistence.workers_before": "Workers held in the year before the policy (people)",
    "persistence.workers_last_year": "Workers held in the last year (people)",
    "counterfactual.persistence_vs_counterfactual_workers": "Workers held in the last year ÷ no-policy counterfactual (ratio)",
    "counterfactual.persistence_vs_counterfactual_revenue": "Revenue in the last year ÷ no-policy counterfactual (ratio)",
    "counterfactual.victim_weeks_averted": "Victim-weeks averted against the counterfactual (person-weeks)",
    "counterfactual.revenue_averted_usd": "Revenue averted against the counterfactual (US$)",
    "displacement.displacement_share": "Share of the activity removed from treated areas that reappeared elsewhere",
    "displacement.wdq_buffer": "Weighted displacement quotient of the buffer area",
    "displacement.tne": "Total net effect (workers held)",
    "displacement.herfindahl_last_year": "Concentration of workers across jurisdictions, last year (Herfindahl index)",
    "displacement.spread_jurisdictions_last_year": "Jurisdictions hosting compounds, last year (count)",
    "relocation_since_policy.moves": "Compound moves since the policy started (count)",
    "relocation_since_policy.mean_km": "Mean relocation distance since the policy started (km)",
    "relocation_since_policy.median_km": "Median relocation distance since the policy started (km)",
    "relocation_since_policy.p90_km": "90th percentile of relocation distance (km)",
    "relocation_since_policy.share_cross_border": "Share of moves crossing a border",
    "relocation_since_policy.share_under_100km": "Share of moves shorter than 100 km",
    "victims.victim_weeks": "People held in compounds, summed over weeks (person-weeks)",
    "victims.victim_weeks_since_policy": "People held since the policy started (person-weeks)",
    "victims.rescued_since_policy": "People rescued by raids since the policy started",
    "end.workers_held": "Workers held at the end (people)",
    "end.compounds": "Compounds at the end (count)",
    "end.operators": "Operators at the end (count)",
    "end.weekly_revenue_usd": "Weekly revenue at the end (US$/week)",
    "enforcement_since_policy.raids": "Raids since the policy started (count)",
    "enforcement_since_policy.bosses_arrested": "Bosses arrested since the policy started (count)",
    "enforcement_since_policy.compounds_dissolved": "Compounds closed for good since the policy started (count)",
    "enforcement_since_policy.capital_seized_usd": "Capital seized since the policy started (US$)",
    "enforcement_since_policy.recovery_weeks_region": "Weeks for the region to recover 90% of its pre-policy level",
}
