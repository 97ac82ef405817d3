"""The Mekong validation suite as data: its stylised facts and anchors, the runs they need, its shock replays.

Each stylised fact of docs/references.md ("Stylised facts", which keeps their numbering) is a
``Pattern``: what was observed and where it was reported, the variants it needs (the
scenario as it is, its no-policy counterfactual, a shock replay from ``scenarios/shocks/`` or a policy
written here), a measure from ``mekong_measures`` and one or more ``Criterion`` with a threshold
declared here, before any run, with the reason for it, and the number observed where there is one.
Each has a role: the levels (people held by country, proceeds, compound counts: A1-A4) are
calibration targets; the stylised facts are validation patterns or responses to shocks; P6i and P7i
restate input formulas and are input checks. Each has the date of what it describes (the Mekong
calendar of ``scenarios/mekong.toml`` runs 2021-2025). ``CATALOGUE`` is what the generic runner and
report take (``scamsim patterns``).
"""

from __future__ import annotations

from sim.analysis.validation.catalogue import SCENARIOS, Catalogue, Variant
from sim.analysis.validation.criteria import Criterion, Pattern
from sim.analysis.validation.mekong_measures import (
    m_anchors,
    m_announced_exodus,
    m_clustering,
    m_displacement,
    m_kingpin_shock,
    m_moves,
    m_never_raided,
    m_overseas,
    m_ping_pong,
    m_protector_shock,
    m_recovery,
    m_tipoffs,
    m_totals,
    m_utility_cut,
    with_actors,
)

DEFAULT_SCENARIO = SCENARIOS / "mekong.toml"  # the patterns command's default too (sim.cli.patterns)

#: Issue #13's actors switched on at the values their builders proposed (docs/actors.md): protectors
#: who respond to pressure, ten syndicates, campaigns that start with a big rescue and lapse, border
#: value (an escape route, valued in site choice, and a neighbour's grid under a cut) and premises
#: that outlive their tenants. Set as given, never tuned to a pattern.
ACTORS: dict[str, object] = {
    "protectors.announcement_pressure": 1.0, "protectors.relocate_pressure": 1.0, "protectors.relocation_subsidy": 0.3,
    "protectors.sellout_pressure": 2.0, "protectors.withdraw_pressure": 2.0, "protectors.price_pressure": 0.5,
    "protectors.price_rise": 0.3, "protectors.campaign_pressure": 1.0,
    "operators.syndicates": 10, "syndicates.levy": 0.1, "syndicates.bailout": 0.5, "syndicates.exit_share": 0.3,
    "syndicates.reveal": True,
    "campaigns.effort": 300.0, "campaigns.half_life_weeks": 8.0, "campaigns.trigger_rescued": 500,
    "borders.escape_cells": 1, "borders.escape_loss_factor": 0.5, "borders.escape_cost_factor": 0.5, "borders.relief_cells": 1,
    "borders.relief_share": 0.5, "borders.escape_valued": True,
    "premises.enabled": True, "premises.reoccupy_share": 0.4, "premises.damage_probability": 0.12,
    "premises.seizure_probability": 0.2, "premises.seizure_weeks": 52, "premises.repair_share": 0.2, "premises.vacancy_weeks": 52,
}
#: The protectors of Myanmar's enclaves on the Mekong map (one per zone): sanctioned in ``myanmar_sanctions_actors``.
MYANMAR_PROTECTORS = ["Kokang", "WaMongLa", "Tachileik", "Myawaddy"]

VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("status_quo", "the scenario as it is (mekong: case-by-case raids everywhere from Sept 2022)"),
    Variant("counterfactual", "the scenario with its policy switched off (background enforcement only)", counterfactual=True),
    Variant("status_quo_premises", "the scenario as it is with premises on (buildings that outlive their tenants), to count by building",
            overrides={k: v for k, v in ACTORS.items() if k.startswith("premises.")}),
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


def _actors(name: str, description: str, **extra: object) -> Variant:
    """``NAME_actors``: the variant ``NAME`` (or a new one) with issue #13's actors on (``ACTORS``)."""
    base = VARIANTS.get(name)
    fields: dict = {"shock_file": base.shock_file, "policy": base.policy, "counterfactual": base.counterfactual} if base else {}
    fields.update(extra)
    return Variant(f"{name}_actors", f"{description}, with protectors, syndicates, campaigns, border value and premises on",
                   overrides=ACTORS, **fields)


_SANCTIONS = VARIANTS["myanmar_sanctions"].policy or {}
ACTOR_VARIANTS: dict[str, Variant] = {v.name: v for v in (
    _actors("status_quo", VARIANTS["status_quo"].description),
    _actors("counterfactual", VARIANTS["counterfactual"].description),
    _actors("cambodia_2022", VARIANTS["cambodia_2022"].description),
    _actors("shan_laos_uncoordinated", VARIANTS["shan_laos_uncoordinated"].description),
    _actors("shan_laos_coordinated", VARIANTS["shan_laos_coordinated"].description),
    _actors("cambodia_announced", VARIANTS["cambodia_announced"].description),
    _actors("myanmar_raids", VARIANTS["myanmar_raids"].description),
    _actors("myanmar_sanctions", "sanctions on the protectors of Myanmar's enclaves for a year from Dec 2023: 80% of protection "
            "removed, the protectors named (pressure on them) and their treasuries frozen",
            policy={**_SANCTIONS, "sanction_protectors": MYANMAR_PROTECTORS, "protector_freeze": 1.0}),
    _actors("myanmar_kingpin", "the boss of syndicate 0 (one of ten, like the Prince Group) extradited and its treasury and members' "
            "capital frozen in Dec 2023, no raids",
            policy={"type": "root_causes", "start_week": 156, "end_week": 208, "extradite_syndicates": ["0"],
                    "freeze_syndicates": ["0"], "syndicate_freeze": 1.0, "jurisdictions": ["Shan", "Kayin", "MyanmarCentral"]}),
)}
VARIANTS.update(ACTOR_VARIANTS)

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



PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "P1", "Regional totals stay flat or grow under site-by-site raids",
        "fraud 'continued to intensify' despite enforcement; US losses +66% in 2024",
        "UNODC Oct 2024; references, fact 1", ("status_quo",), m_totals,
        (Criterion("persistence_workers", ">=", 0.95, "workers held, last year / year before raids",
                   "flat or growing: a fall of more than 5% would be a visible decline; 5% allows for sampling noise"),
         Criterion("persistence_revenue", ">=", 0.95, "proceeds, last year / year before raids", "as for workers")),
        date="2024", note="with a fixed trafficking inflow the total held is bounded by inflow/attrition, so only exits through raids "
             "(rescue, repatriation, dissolution) can pull it down"),
    Pattern(
        "P2", "A raided cluster is back to its former level within about 2-6 months",
        "business 'back in a few months' after raids", "UNODC (Hofmann, Mar 2024); references, fact 2",
        ("cambodia_2022", "counterfactual"), m_recovery,
        (Criterion("recovery_weeks", "between", (4.0, 30.0), "weeks from the Cambodian raids until people held in Cambodia are "
                   "back to 90% of their level in the 4 weeks before",
                   "2-6 months is 9-26 weeks; 'about' widened by one month either side; 'former level' read as the "
                   "pre-shock level, as the reports compare with before"),),
        role="shock", date="2022-09",
        note="survival analysis: runs that never recover are censored (Kaplan-Meier curve in the report); undefined in a "
             "replication where the raids never pushed Cambodia 10% below its pre-shock level"),
    Pattern(
        "P3", "Most moves are short; a minority cross borders",
        "moves within the same corridor or to the next enclave, tens to a few hundred km; a minority cross borders",
        "references, fact 3 (UNODC 2023; reports after each crackdown)", ("status_quo",), m_moves,
        (Criterion("share_moves_within_300km", ">=", 0.5, "share of moves of at most 300 km",
                   "'most' means more than half; 'a few hundred km' read as at most 300 km"),
         Criterion("share_moves_cross_country", "<", 0.5, "share of moves into another country",
                   "'a minority' means fewer than half; Shan, Kayin and the rest of Myanmar are one country")),
        date="2023", note="the third part of the fact (a small, growing share goes overseas: Africa, Pacific, Middle East) is P3b"),
    Pattern(
        "P3b", "A small, growing share of moves goes overseas (Africa, Pacific, Middle East)",
        "operations found in Africa, the Pacific and the Middle East", "references, fact 3; INTERPOL Jun 2025",
        ("status_quo",), m_overseas,
        (Criterion("share_moves_overseas", "between", (0.005, 0.2),
                   "share of moves since the raids began that leave the map for overseas",
                   "'a small share': at least one move in 200, at most one in five"),
         Criterion("overseas_share_growth", ">", 0.0, "share of moves overseas, second half of the raid years minus first half",
                   "'growing': the share rises over the years of raids")),
        date="2025", note="declared with the outside option of issue 12 (overseas.*), before any run of it"),
    Pattern(
        "P4", "Compounds cluster at jurisdiction edges and in armed-group or SEZ enclaves",
        "Myawaddy, Tachileik, Golden Triangle SEZ, Kokang, Poipet, Bavet, O'Smach: border towns and enclaves",
        "references, fact 4 (C4ADS 2025; Amnesty 2025; RFA 2024)", ("status_quo",), m_clustering,
        (Criterion("international_border_enrichment", ">=", 2.0,
                   "share of compounds on cells next to another country (off-map China, India, Malaysia included) / "
                   "the same share of land",
                   "'cluster' read as at least twice the density of placement by area; the towns named are on "
                   "international borders, so a border between Shan and Kayin does not count"),
         Criterion("enclave_enrichment", ">=", 2.0, "share of compounds in armed-group/SEZ enclaves / their share of land",
                   "as for borders")), date="2025"),
    Pattern(
        "P5", "Uncoordinated neighbours produce back-and-forth flows; coordination removes them",
        "operations shuttled between Tachileik (Myanmar) and the Golden Triangle SEZ (Laos), 45 minutes apart by boat",
        "references, fact 5; reports after the Aug 2024 Laos SEZ raid",
        ("shan_laos_uncoordinated", "shan_laos_coordinated"), m_ping_pong,
        (Criterion("back_and_forth_per_year_uncoordinated", ">=", 1.0,
                   "moves a year in the lesser direction between Shan and Laos (uncoordinated raids)",
                   "back-and-forth needs both directions; one move a year each way is the weakest reading"),
         Criterion("reduction_by_coordination", ">=", 0.5, "1 - back-and-forth coordinated / uncoordinated (paired)",
                   "'removes the oscillation' read as at least halving it")),
        date="2024-08", note="jurisdiction level (Shan <-> Laos); raids cannot be aimed at the Tachileik or SEZ cells alone"),
    Pattern(
        "P6", "Tip-offs cause an exodus before raids; arrests are mostly low-level workers",
        "KK Park (Oct 2025): 2,198 detained while operations were moved out beforehand; no kingpins among those detained",
        "references, fact 6 and crackdowns table", ("status_quo",), m_tipoffs,
        (Criterion("boss_share_of_people_detained", "<=", 0.01, "bosses arrested / (bosses + people detained)",
                   "hundreds to thousands detained per raid (771, 2,198) with no boss among them: under 1%"),),
        date="2025-10", note="close to an input too (enforcement.arrest_probability); the tip-off half is the input check P6i"),
    Pattern(
        "P6i", "Tip-offs pre-empt most raids on protected enclaves (input check)",
        "KK Park (Oct 2025): operations moved out before the raid", "references, fact 6 and crackdowns table",
        ("status_quo",), m_tipoffs,
        (Criterion("tipped_off_share_protected_enclaves", ">=", 0.5,
                   "share of raids on protected enclaves (protection >= 0.5) pre-empted by a tip-off",
                   "reports describe moving out before the raid as the rule in protected enclaves: at least half"),),
        role="input_check", date="2025-10",
        note="restates the input formula tipoff_base + tipoff_protection x protection: a check of the inputs, not validation"),
    Pattern(
        "P6b", "Announced operations cause an exodus beforehand",
        "compounds emptied ahead of announced crackdowns", "references, fact 6",
        ("cambodia_announced", "counterfactual"), m_announced_exodus,
        (Criterion("exodus_share_before_first_raid", ">=", 0.1,
                   "share of the target's people held gone, against the counterfactual, in the week before the first raid",
                   "'an exodus' read as at least a tenth of the workforce moved out before a single raid"),),
        role="shock", date="2025",
        note="policy.announce_weeks = 8: operators read the coming raid climate from the announcement; agencies "
             "raid only from start_week"),
    Pattern(
        "P7", "Cutting one utility has a short effect when substitutes exist; cutting substitutes lasts longer",
        "Thai cuts of Feb 2025: generators, Lao power and Starlink within weeks; rebuilding by spring",
        "references, fact 7 and crackdowns table", ("thai_cut", "thai_cut_no_substitutes", "counterfactual"), m_utility_cut,
        (Criterion("extra_weeks_when_substitutes_cut", ">=", 13.0, "extra weeks of effect when the substitutes are cut too",
                   "'lasts longer' read as at least one more quarter"),), role="shock", date="2025-02"),
    Pattern(
        "P7i", "A utility cut with substitutes has a short effect (input check)",
        "Thai cuts of Feb 2025: generators, Lao power and Starlink within weeks", "references, fact 7 and crackdowns table",
        ("thai_cut", "thai_cut_no_substitutes", "counterfactual"), m_utility_cut,
        (Criterion("effect_weeks_with_substitutes", "<=", 13.0,
                   "weeks (of 52) the cut zones' proceeds are below 90% of the counterfactual, substitutes available",
                   "'short': within about three months (cut in February, rebuilding by spring)"),),
        role="input_check", date="2025-02",
        note="restates the substitution lag the shock file sets (substitutes after 3 weeks): a check of the inputs"),
    Pattern(
        "P8", "Shocks to protectors and kingpins cause larger multi-site exits than raids",
        "sanctions and extraditions emptied several sites of a group at once", "references, fact 8",
        ("myanmar_sanctions", "myanmar_raids", "counterfactual"), m_protector_shock,
        (Criterion("closures_sanctions_minus_raids", ">", 0.0,
                   "compounds closed for good beyond the counterfactual: sanctions minus raids (same year, same places)",
                   "'larger' means more; a paired difference above zero"),
         Criterion("multi_site_exits_sanctions_minus_raids", ">", 0.0,
                   "operators ended with two or more compounds, beyond the counterfactual: sanctions minus raids",
                   "as above")),
        role="shock", date="2023-12",
        note="the model's sanctions lever removes protection; it has no targeted asset freeze and no arrest without a raid"),
    Pattern(
        "P9", "More than two-thirds of identified compounds are never raided or keep operating",
        "of 53 confirmed compounds in Cambodia more than two-thirds never raided or still operating",
        "Amnesty International, Jun 2025", ("status_quo_premises",), m_never_raided,
        (Criterion("share_buildings_never_raided_or_operating", ">=", 0.67,
                   "share of buildings occupied since the raids began never raided, or occupied at the end",
                   "Amnesty's 'more than two-thirds', counted by building as Amnesty counted"),),
        date="2025-06",
        note="counted by building with premises on (buildings outlive their tenants); the older count by operation is "
             "share_operations_never_raided_or_operating"),
    Pattern(
        "P10", "Raids displace most of what they remove; root-cause levers displace less",
        "displacement exceeding the direct effect under raids; none under root-cause measures",
        "references, fact 10", ("cambodia_raids", "cambodia_root_causes", "counterfactual"), m_displacement,
        (Criterion("displacement_share_case_by_case", ">=", 0.5,
                   "of the people sustained raids removed from Cambodia (vs the no-policy run), the share held elsewhere",
                   "'displacement exceeding the direct effect' read as most of what leaves reappears elsewhere"),
         Criterion("displacement_share_raids_minus_root_causes", ">", 0.0,
                   "displacement share under raids minus under root-cause levers (paired)", "'none under root causes': less than raids")),
        date="2023",
        note="replaces the buffer WDQ: a WDQ below -1 is not an observed fact, and with one regional labour market no "
             "uncontaminated control area exists, so the comparison is with the no-policy run"),
    Pattern(
        "A1", "People held in the region, 2023", "Myanmar >= 120,000, Cambodia ~100,000 (OHCHR), Laos ~85,000 (USIP)",
        "OHCHR Aug 2023; USIP May 2024", ("status_quo",), m_anchors,
        (Criterion("held_total_2023", "between", (300000.0, 500000.0), "people held, mean over 2023",
                   "sum of the country figures (>= 305,000) up to the higher Myanmar and Cambodia estimates"),),
        role="calibration", date="2023"),
    Pattern(
        "A2", "People held by country", "Myanmar >= 120,000; Cambodia 100,000-150,000; Laos ~85,000",
        "OHCHR Aug 2023; USAID via The Diplomat 2024; USIP May 2024", ("status_quo",), m_anchors,
        (Criterion("held_myanmar_2023", ">=", 120000.0, "Myanmar (Shan, Kayin, rest), mean over 2023", "OHCHR lower bound"),
         Criterion("held_cambodia_2023", "between", (100000.0, 150000.0), "Cambodia, mean over 2023", "OHCHR and USAID figures",
                   observed=100000.0),
         Criterion("held_laos_2024", "between", (60000.0, 110000.0), "Laos, mean over 2024",
                   "USIP's 85,000 with the +-30% plausible range of docs/mekong.md", observed=85000.0,
                   date="2024")),
        role="calibration", date="2023"),
    Pattern(
        "A3", "Annual proceeds", "US$43.8bn/yr by Mekong-based groups; profits just under US$40bn/yr",
        "USIP May 2024; UNODC Apr 2025", ("status_quo",), m_anchors,
        (Criterion("proceeds_usd_per_year_2024", "between", (40e9, 64e9), "gross proceeds over 2024, US$",
                   "gross proceeds must exceed UNODC's ~US$40bn profits and stay under USIP's US$64bn world total",
                   observed=43.8e9),),
        role="calibration", date="2023", note="USIP's figure (published May 2024) is read against the model's 2024"),
    Pattern(
        "A4", "Compound counts", "53 confirmed + 45 suspected compounds in Cambodia; 21 compounds in Myawaddy",
        "Amnesty Jun 2025; C4ADS 2025", ("status_quo",), m_anchors,
        (Criterion("compounds_cambodia_2025", "between", (53.0, 98.0), "compounds in Cambodia, mean over 2025",
                   "confirmed to confirmed + suspected"),
         Criterion("compounds_myawaddy_2025", "between", (14.0, 28.0), "compounds in the Myawaddy zone, mean over 2025",
                   "C4ADS's 21 +- one third", observed=21.0)),
        role="calibration", date="2025"),
)

#: P2, P4, P5, P6b and P8 again with issue #13's actors on: the same criteria, read on the ``_actors``
#: variants (docs/actors.md). Kept apart from ``PATTERNS`` so ``scamsim patterns`` reports the model
#: as it runs by default; ``ACTOR_CATALOGUE`` runs them (docs/actors.md gives the command).
ACTOR_PATTERNS: tuple[Pattern, ...] = (
    *(Pattern(f"{p.id}a", f"{p.name} (actors on)", p.observed, p.source, tuple(f"{v}_actors" for v in p.variants),
              with_actors(p.measure), p.criteria, role=p.role, date=p.date, note=p.note)
      for p in PATTERNS if p.id in ("P2", "P4", "P5", "P6b", "P8") and p.measure is not None),
    Pattern(
        "P8k", "A kingpin's fall causes larger multi-site exits than raids (actors on)",
        "after the Prince Group chairman's extradition managers left and gates opened at 10+ compounds",
        "Amnesty 2026; references, fact 8", ("myanmar_kingpin_actors", "myanmar_raids_actors", "counterfactual_actors"),
        with_actors(m_kingpin_shock),
        (Criterion("closures_kingpin_minus_raids", ">", 0.0,
                   "compounds closed for good beyond the counterfactual: one syndicate's fall minus a year of raids in Myanmar",
                   "'larger' means more; a paired difference above zero"),
         Criterion("multi_site_exits_kingpin_minus_raids", ">", 0.0,
                   "operators ended with two or more compounds, beyond the counterfactual: kingpin minus raids", "as above")),
        role="shock", date="2025-10"),
)


CATALOGUE = Catalogue(PATTERNS, VARIANTS, SHOCKS, scenario_variant="status_quo", counterfactual_variant="counterfactual",
                      last_year="2025")

ACTOR_CATALOGUE = Catalogue(ACTOR_PATTERNS, VARIANTS, {}, scenario_variant="status_quo_actors",
                            counterfactual_variant="counterfactual_actors", last_year="2025")
