"""Typed parameters of a scamsim run, one frozen dataclass per scenario-file table.

Every field carries its unit, a one-line meaning, its allowed range and, where the value comes from
the literature, its source. The scenario loader, the generated parameter reference (docs/parameters.md)
and the ``--set`` overrides all read this metadata, so a parameter is declared exactly once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sim.params.actors import BorderParams, CampaignParams, PremisesParams, ProtectorParams, SyndicateParams
from sim.params.base import (
    POLICY_TYPES,
    RAID_MODES,
    RISK_BELIEFS,
    ROOT_CAUSE_LEVERS,
    ZONE_KINDS,
    param,
    value_kind,
)
from sim.params.maps import JURISDICTION_FIELDS, ZONE_FIELDS, JurisdictionSpec, MapSpec, ZoneSpec
from sim.params.markets import OverseasParams, RecruitmentParams, VictimParams

__all__ = [
    "JURISDICTION_FIELDS",
    "POLICY_TYPES",
    "RAID_MODES",
    "RISK_BELIEFS",
    "ROOT_CAUSE_LEVERS",
    "SECTIONS",
    "ZONE_FIELDS",
    "ZONE_KINDS",
    "BorderParams",
    "CampaignParams",
    "JurisdictionSpec",
    "MapSpec",
    "OverseasParams",
    "Params",
    "PremisesParams",
    "ProtectorParams",
    "RecruitmentParams",
    "SyndicateParams",
    "VictimParams",
    "ZoneSpec",
    "param",
    "param_fields",
    "to_dict",
    "value_kind",
]


@dataclass(frozen=True, slots=True)
class RunParams:
    """Length, seed and scale of a run."""

    name: str = param("unnamed", "-", "scenario name, used in output titles")
    description: str = param("", "-", "what the scenario represents")
    weeks: int = param(260, "weeks", "simulated weeks (one step is one week)", 1, 5200)
    burn_in_weeks: int = param(
        208, "weeks", "weeks simulated before week 1 (no policy, nothing recorded) so the market starts settled", 0, 5200)
    seed: int = param(1, "-", "random seed; a run is fully determined by scenario, seed and code version", 0)
    start_date: str = param(
        "", "ISO date", "calendar date week 1 starts on (YYYY-MM-DD; empty: none); lets [[timeline]] events give dates")
    km_per_cell: float = param(25.0, "km", "edge length of one grid cell", 0.1, 1000)


@dataclass(frozen=True, slots=True)
class MarketParams:
    """Money: what a worker earns a compound and what running one costs."""

    revenue_per_worker_day: float = param(
        350.0, "US$/worker/day", "gross proceeds per forced worker at full infrastructure", 0, 1e5,
        source="USIP 2024 basis of the ~US$12.5bn/yr Cambodia estimate (docs/references.md, Figures)")
    demand_factor: float = param(1.0, "x", "multiplier on revenue per worker (victims' exposure and losses)", 0, 10)
    worker_cost_day: float = param(25.0, "US$/worker/day", "upkeep per worker: food, guards, recruiters' fees", 0, 1e5)
    site_cost_week: float = param(50000.0, "US$/week", "fixed running cost of one compound: rent, guards, utilities", 0, 1e9,
                                  source="set so costs are ~40% of proceeds (profits ~US$40bn of ~US$64bn, UNODC 2025, USIP 2024)")
    concession_discount: float = param(0.5, "share", "cut in running cost inside a concession of level 1", 0, 1)
    protection_fee_share: float = param(
        0.15, "share of revenue", "rent paid to protectors on a cell of protection 1 (pro rata below)", 0, 1)
    laundering_share: float = param(0.15, "share of revenue", "proceeds lost turning stolen funds into usable cash", 0, 1)
    payout_share: float = param(0.02, "1/week", "share of an operator's capital taken out by its owners each week", 0, 1)


@dataclass(frozen=True, slots=True)
class LabourParams:
    """The regional pool of people trafficked or lured into compounds."""

    initial_pool: int = param(20000, "people", "people in the recruitment pipeline at week 0", 0)
    inflow_per_week: float = param(
        1200.0, "people/week", "new people trafficked or recruited into the pool each week", 0, 1e7,
        source="scaled so the labour limit inflow/attrition is ~10^5 (OHCHR 2023 orders of magnitude)")
    pool_exit: float = param(0.02, "1/week", "share of the pool that drifts away unhired each week", 0, 1)
    attrition: float = param(0.01, "1/week", "share of held workers who escape, are released or die each week", 0, 1)
    hiring_rate: float = param(0.25, "1/week", "share of a compound's vacancies it can fill per week at labour access 1", 0, 1)


@dataclass(frozen=True, slots=True)
class CompoundParams:
    """Size and cost of a compound."""

    capacity_mean: float = param(300.0, "workers", "mean compound capacity (log-normal)", 1, 1e6,
                                 source="order of the 771 detained in one Laos SEZ raid, 2024 (docs/references.md, Figures)")
    capacity_sigma: float = param(0.5, "-", "log-normal sigma of compound capacity", 0, 3)
    open_cost: float = param(1.0e7, "US$", "cost of setting up a new compound: buildings, equipment, fixers", 0, 1e12)
    cell_capacity: int = param(4, "compounds", "most compounds one grid cell can hold", 1, 1000)
    initial_fill: float = param(0.8, "share", "share of capacity filled at week 0", 0, 1)
    initial_size_share: float = param(1.0, "share", "mean capacity of the week-0 compounds as a share of capacity_mean (1: drawn "
                                      "like new compounds; below 1: closer to a standing population that size-selective raids "
                                      "have thinned of large compounds, docs/validation.md)", 0.01, 10,
                                      source="assumption; measured standing/new ratio about 0.74 after 32 years of the Mekong "
                                             "history without policy (scamsim patterns --sizes)")


@dataclass(frozen=True, slots=True)
class OperatorParams:
    """Criminal groups: how many, how rich, how bold."""

    initial: int = param(140, "operators", "operators at week 0", 0, 100000)
    initial_compounds: int = param(3, "compounds", "compounds each initial operator starts with", 1, 1000)
    capital_mean: float = param(8.0e6, "US$", "mean starting capital (log-normal, sigma 0.5)", 0, 1e13)
    risk_tolerance: float = param(0.08, "1/week", "mean perceived weekly raid hazard an operator tolerates before moving", 0, 1)
    risk_tolerance_spread: float = param(10.0, "-", "Beta concentration of risk tolerance (higher: more alike)", 0.1, 1e4)
    max_compounds: int = param(8, "compounds", "most compounds one operator runs", 1, 10000)
    expansion_reserve: float = param(1.5, "x open cost", "capital needed, in set-up costs, before an operator expands", 0, 100)
    expansion_rate: float = param(0.05, "1/week", "chance per week that an operator able to expand starts a new compound", 0, 1)
    bankruptcy: bool = param(True, "-", "operators whose capital stays negative leave the market")
    bankruptcy_weeks: int = param(8, "weeks", "weeks of negative capital before bankruptcy", 1, 1000)
    syndicates: int = param(0, "syndicates", "number of syndicates operators are assigned to (0: none)", 0, 1000)


@dataclass(frozen=True, slots=True)
class RelocationParams:
    """Moving a compound: the cost side of displacement and the logit site choice."""

    enabled: bool = param(True, "-", "compounds can move; when false a raided compound closes for good")
    base_cost: float = param(5.0e5, "US$", "fixed cost of setting up again elsewhere", 0, 1e12)
    cost_per_km: float = param(4000.0, "US$/km", "transport and logistics per km moved", 0, 1e9)
    border_cost: float = param(5.0e5, "US$", "extra cost of crossing into another country", 0, 1e12)
    sunk_share: float = param(0.4, "share of open cost", "capital left behind in the old site", 0, 1)
    weeks: int = param(3, "weeks", "weeks a moving compound produces nothing", 0, 520)
    review_weeks: int = param(8, "weeks", "weeks before an operator reconsiders a site it chose to keep despite the risk", 1, 520)
    logit_beta: float = param(1.5, "1/US$M", "sensitivity of site choice to utility (0: random choice)", 0, 1e3)
    horizon_weeks: float = param(26.0, "weeks", "horizon over which operators weigh a site's weekly net income", 1, 520)
    agglomeration: float = param(0.2, "US$M per log-neighbour", "value of nearby compounds (labour, fixers, protection)", 0, 1e3)
    agglomeration_radius: int = param(2, "cells", "radius of the neighbourhood counted for agglomeration", 0, 50)


@dataclass(frozen=True, slots=True)
class EnforcementParams:
    """Agencies: how they find, raid and deter compounds (background level, before any policy)."""

    background_raid_frequency: float = param(
        4.0, "raids/agency/year", "fixed raids each agency makes per year at governance 1 outside the policy", 0, 1e9)
    responsiveness: float = param(
        3.0, "raids/year per known compound", "extra raids an agency mounts for each compound it knows of, at governance 1", 0, 1e6)
    governance_exponent: float = param(
        2.0, "-", "how steeply raid capacity rises with governance (capacity to act times integrity to act)", 0, 10)
    detection_rate: float = param(0.1, "1/week", "weekly hazard that an agency learns of a compound of visibility 1", 0, 100)
    visibility_workers: float = param(300.0, "workers", "size at which a compound has size-visibility 1", 1, 1e6)
    visibility_exponent: float = param(0.5, "-", "elasticity of visibility with size (0: size does not matter)", 0, 5)
    visibility_age_weeks: float = param(26.0, "weeks", "age scale over which a compound becomes fully visible (0: at once)", 0, 5200)
    heat_detection: float = param(1.0, "per heat unit", "rise in detection hazard per unit of heat", 0, 1000)
    protection_shield: float = param(0.8, "-", "share of detection and raid success removed by protection 1", 0, 1)
    concession_shield: float = param(0.5, "-", "share of detection removed inside a concession of level 1", 0, 1)
    tipoff_base: float = param(0.05, "probability", "chance a raid is tipped off without protection", 0, 1)
    tipoff_protection: float = param(0.6, "probability", "extra tip-off chance at protection 1", 0, 1,
                                     source="KK Park 2025: operations moved out before the raid (docs/references.md, Crackdowns)")
    raid_failure: float = param(0.1, "probability", "chance an untipped raid fails (wrong site, resistance)", 0, 1)
    evacuation_loss: float = param(0.05, "share", "share of workers who escape during a tipped-off evacuation", 0, 1)
    rescue_share: float = param(0.6, "share", "share of workers freed by a successful raid", 0, 1)
    repatriation_share: float = param(0.5, "share", "share of freed workers who get home (the rest are re-trafficked)", 0, 1)
    seizure_share: float = param(0.2, "share", "share of the operator's capital seized in a successful raid", 0, 1)
    arrest_probability: float = param(0.05, "probability", "chance a successful raid arrests the operator's boss", 0, 1,
                                      source="arrests are mostly low-level workers (docs/references.md, fact 6)")
    heat_per_raid: float = param(1.0, "heat", "heat deposited at a raided cell", 0, 1e6)
    heat_spread_cells: float = param(1.0, "cells", "Gaussian radius over which raid heat spreads", 0, 20)
    heat_half_life: float = param(12.0, "weeks", "half-life of the deterrent part of heat", 0.1, 1e5,
                                  source="Sherman 1990: crackdown deterrence decays (docs/references.md)")
    residual_share: float = param(0.15, "share", "share of raid heat that is a slow residual tail", 0, 1,
                                  source="Sherman 1990: 5 of 18 crackdowns left a residual effect")
    residual_half_life: float = param(104.0, "weeks", "half-life of the residual tail", 0.1, 1e6)
    risk_perception: float = param(0.15, "per heat unit", "weekly raid hazard operators read into one unit of heat", 0, 100)
    risk_belief: str = param(
        "learned", "-", "what operators read as a jurisdiction's raid hazard: a belief learned from raids actually made "
        "(learned), or the programme's raid capacity per compound, known in advance (announced_capacity: the model "
        "before issue 12, kept for comparison)", choices=RISK_BELIEFS,
        source="operators cannot read agencies' budgets; exodus follows raids on peers and announcements (docs/references.md, fact 6)")
    belief_half_life: float = param(
        12.0, "weeks", "learned belief: half-life of operators' memory of the raid rate per compound in a jurisdiction",
        0.1, 1e5, source="assumption; Sherman 1990: crackdown deterrence decays (15 of 18), 5 of 18 left a residual effect")
    announcement_credibility: float = param(
        0.5, "share", "learned belief: share of an announced programme's raid hazard per compound operators believe "
        "before it starts (0: announcements are ignored)", 0, 1,
        source="assumption; exodus ahead of announced operations (docs/references.md, fact 6)")


@dataclass(frozen=True, slots=True)
class EntryParams:
    """New operators drawn in by profit."""

    rate: float = param(0.5, "operators/week", "entrants per week per unit of annual return above the threshold", 0, 1e5)
    return_threshold: float = param(1.0, "1/year", "annual profit over set-up cost below which nobody enters or expands", 0, 100)
    max_rate: float = param(5.0, "operators/week", "cap on the mean number of entrants per week", 0, 1e5)
    capital_mean: float = param(2.0e7, "US$", "mean capital of an entrant (log-normal, sigma 0.5); must cover a compound's set-up", 0, 1e13)


@dataclass(frozen=True, slots=True)
class PolicyParams:
    """The intervention under test: a type, when and where it applies, and its levers."""

    name: str = param("", "-", "name of a [[timeline]] event (required there, unique; letters, digits, '_' and '-'); "
                      "unused in [policy]")
    type: str = param("none", "-", "policy type", choices=POLICY_TYPES)
    start_week: int = param(52, "week", "first week the policy applies (week 1 is the first recorded week)", 1)
    end_week: int = param(-1, "week", "last week the policy applies (-1: to the end)", -1)
    announce_weeks: int = param(
        0, "weeks", "weeks before start_week that the raids are announced or leaked: operators expect them, agencies do not raid yet "
        "(from week 1 at the earliest: the burn-in is shared with the counterfactual)",
        0, 520, source="exodus ahead of announced operations (docs/references.md, fact 6)")
    jurisdictions: tuple[str, ...] = param(
        (), "names", "jurisdictions applying raids, sanctions and cuts (empty: all); other levers act region-wide")
    raid_frequency: float = param(24.0, "raids/agency/year", "raids each applying agency makes per year at governance 1", 0, 1e9)
    raid_zones: tuple[str, ...] = param(
        (), "names", "zones or jurisdictions the policy's raids are confined to while it is active (empty: anywhere)")
    buffer: tuple[str, ...] = param((), "names", "buffer area for WDQ/TNE (empty: neighbours of the policy jurisdictions)")
    control: tuple[str, ...] = param((), "names", "control area for WDQ/TNE (empty: every other jurisdiction)")
    # hotspot
    hotspot_radius: int = param(2, "cells", "hotspot: radius of the area kept under pressure after a raid", 0, 50)
    hotspot_weeks: int = param(12, "weeks", "hotspot: weeks an area stays under sustained pressure", 0, 5200)
    hotspot_detection: float = param(3.0, "x", "hotspot: multiplier on detection inside a pressured area", 1, 1000)
    # network
    network_followup: float = param(0.5, "probability", "network: chance each of the raided operator's other compounds is found", 0, 1)
    network_seizure_share: float = param(0.5, "share", "network: share of the operator's capital seized after a raid", 0, 1)
    network_arrest_probability: float = param(0.25, "probability", "network: chance a successful raid arrests the boss", 0, 1)
    # coordinated
    intelligence_sharing: float = param(
        0.5, "probability", "coordinated: chance a raided operator's compound across a border is found", 0, 1)
    # combined
    mix: tuple[str, ...] = param((), "names", "combined: raid modes used together (hotspot, network, coordinated)")
    # root causes
    aml_share: float = param(0.0, "share", "anti-money-laundering: extra share of revenue and capital lost", 0, 1)
    infrastructure_cut: float = param(0.0, "share", "infrastructure denial: share of power/internet cut in cut zones", 0, 1)
    cut_zones: tuple[str, ...] = param((), "names", "zones or jurisdictions whose infrastructure is cut")
    substitution_weeks: int = param(6, "weeks", "weeks before operators restore a cut with generators/satellite", 0, 5200,
                                     source="Thai cuts Feb 2025: generators, Lao power, Starlink within weeks (docs/references.md)")
    cut_substitutes: bool = param(False, "-", "the substitutes (fuel, cross-border power, satellite) are cut too")
    inflow_reduction: float = param(0.0, "share", "recruitment-pipeline disruption: share of trafficking inflow stopped", 0, 1)
    screening_cost: float = param(
        0.0, "x", "border and visa screening: rise in brokers' cost per recruit (acts through recruitment.cost_per_recruit)",
        0, 100)
    awareness_campaign: float = param(
        0.0, "1/week", "awareness campaign: share of each origin's unaware job-seekers warned each week", 0, 1)
    protection_sanctions: float = param(0.0, "share", "sanctions on protectors: share of protection removed", 0, 1)
    revoke_concessions: tuple[str, ...] = param((), "names", "zone governance: zones whose concession is revoked for good")
    repatriation_share: float = param(-1.0, "share", "victim repatriation: share of freed workers sent home (-1: unchanged)", -1, 1)
    demand_reduction: float = param(0.0, "share", "demand side: share of revenue per worker removed everywhere", 0, 1)
    # protectors and kingpins (issue #13): act on named protectors and syndicates, not on a protection number
    sanction_protectors: tuple[str, ...] = param(
        (), "names", "protectors under sanctions while the policy is active (their pressure rises, their treasury is frozen)")
    protector_freeze: float = param(0.0, "share", "share of a sanctioned protector's treasury frozen at the start week", 0, 1,
                                    source="US sanctions on the KNA (May 2025) and DKBA (Nov 2025) (docs/references.md)")
    freeze_syndicates: tuple[str, ...] = param(
        (), "ids", "syndicates (ids 0, 1, ...) whose treasury and members' capital are frozen at the start week")
    syndicate_freeze: float = param(0.0, "share", "share of the members' capital frozen with a syndicate's treasury", 0, 1,
                                    source="US/UK sanctions on the Prince Group, Oct 2025 (docs/references.md)")
    extradite_syndicates: tuple[str, ...] = param(
        (), "ids", "syndicates whose boss is arrested or extradited at the start week, without a raid",
        source="Prince Group chairman extradited to China, Jan 2026 (docs/references.md)")
    # premises
    demolish_share: float = param(
        0.0, "probability", "demolition: chance a building a raid empties in an applying jurisdiction is demolished "
        "(needs premises.enabled)", 0, 1, source="KK Park Oct 2025: 413 claimed demolished, 31 flattened in imagery (CIR)")

    def in_force(self, week: int) -> bool:
        """Whether ``week`` lies in the policy's window, from ``start_week`` to ``end_week`` (-1: no end), whatever its type."""
        return week >= self.start_week and (self.end_week < 0 or week <= self.end_week)


@dataclass(frozen=True, slots=True)
class Params:
    """Everything that determines a run, apart from the code version."""

    run: RunParams = field(default_factory=RunParams)
    market: MarketParams = field(default_factory=MarketParams)
    labour: LabourParams = field(default_factory=LabourParams)
    compounds: CompoundParams = field(default_factory=CompoundParams)
    operators: OperatorParams = field(default_factory=OperatorParams)
    relocation: RelocationParams = field(default_factory=RelocationParams)
    overseas: OverseasParams = field(default_factory=OverseasParams)
    enforcement: EnforcementParams = field(default_factory=EnforcementParams)
    entry: EntryParams = field(default_factory=EntryParams)
    policy: PolicyParams = field(default_factory=PolicyParams)
    #: Policy events (``[[timeline]]`` in a scenario file) that replace the single ``policy`` when not empty.
    timeline: tuple[PolicyParams, ...] = ()
    recruitment: RecruitmentParams = field(default_factory=RecruitmentParams)
    victims: VictimParams = field(default_factory=VictimParams)
    protectors: ProtectorParams = field(default_factory=ProtectorParams)
    syndicates: SyndicateParams = field(default_factory=SyndicateParams)
    campaigns: CampaignParams = field(default_factory=CampaignParams)
    borders: BorderParams = field(default_factory=BorderParams)
    premises: PremisesParams = field(default_factory=PremisesParams)
    map: MapSpec | None = None

    def replace(self, **sections: Any) -> Params:
        """A copy with whole sections swapped, e.g. ``p.replace(policy=...)``."""
        return dataclasses.replace(self, **sections)

    def with_values(self, values: dict[str, Any]) -> Params:
        """A copy with dotted keys set (``{"policy.raid_frequency": 12}``); keys are not validated here."""
        by_section: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            section, name = key.split(".", 1)
            by_section.setdefault(section, {})[name] = value
        return dataclasses.replace(
            self,
            **{s: dataclasses.replace(getattr(self, s), **kv) for s, kv in by_section.items()},
        )


SECTIONS: dict[str, type] = {
    "run": RunParams,
    "market": MarketParams,
    "labour": LabourParams,
    "compounds": CompoundParams,
    "operators": OperatorParams,
    "relocation": RelocationParams,
    "overseas": OverseasParams,
    "enforcement": EnforcementParams,
    "entry": EntryParams,
    "policy": PolicyParams,
    "recruitment": RecruitmentParams,
    "victims": VictimParams,
    "protectors": ProtectorParams,
    "syndicates": SyndicateParams,
    "campaigns": CampaignParams,
    "borders": BorderParams,
    "premises": PremisesParams,
}


def to_dict(params: Params) -> dict[str, Any]:
    """Plain, JSON-ready nested dict of every parameter (for hashing and provenance)."""
    return dataclasses.asdict(params)


def param_fields() -> dict[str, dataclasses.Field]:
    """Every parameter's declaration by its dotted key (``"policy.type"``), in section order."""
    return dict(_PARAM_FIELDS)


_PARAM_FIELDS = {f"{s}.{f.name}": f for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
