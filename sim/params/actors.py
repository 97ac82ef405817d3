"""Parameters of the actors added by issue #13: protectors, syndicates, campaigns and borders.

Kept apart from ``sim.params.declarations`` (which gathers them into ``Params`` and ``SECTIONS``) only
for length. Every default is neutral: it reproduces the model without these mechanisms exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.params.base import param


@dataclass(frozen=True, slots=True)
class ProtectorParams:
    """Protectors: armed groups and elites who hold a territory and sell protection in it (issue #13).

    One protector per zone by default. The thresholds are in units of pressure (sanctions, campaigns,
    announced raids); a threshold of 0 means the protector never responds that way.
    """

    territories: tuple[str, ...] = param(
        (), "NAME=zone+zone", "protectors holding several zones (or none: 'NAME='); zones not named keep a protector of their own")
    sanction_pressure: float = param(1.0, "pressure", "pressure on a protector while it is sanctioned", 0, 100)
    campaign_pressure: float = param(0.0, "pressure per campaign level", "pressure from a campaign in its territory's jurisdiction",
                                     0, 100)
    announcement_pressure: float = param(
        0.0, "pressure", "pressure while raids are announced or under way in its territory's jurisdiction", 0, 100,
        source="militias move operations 'when the political situation gets tense' (Shan News, docs/references.md)")
    shifts: tuple[str, ...] = param(
        (), "week:pressure", "political shifts: from each week on, this pressure on every protector (NAME@week:pressure: on one)",
        source="Operation 1027 (Oct 2023), the MNDAA taking Laukkai (Jan 2024) (docs/references.md)")
    price_pressure: float = param(0.0, "pressure", "pressure from which it raises its fee (0: never)", 0, 100)
    price_rise: float = param(0.0, "share", "rise of its fee under pressure", 0, 10)
    sellout_pressure: float = param(0.0, "pressure", "pressure from which it sells operators out: no tip-offs, sites leaked (0: never)",
                                    0, 100)
    relocate_pressure: float = param(
        0.0, "pressure", "pressure from which it moves operators out at its own part cost (0: never)", 0, 100,
        source="BGF moved operations out of KK Park before its demolition (The Irrawaddy, Oct 2025, docs/references.md)")
    relocation_subsidy: float = param(
        0.0, "share", "share of a paid relocation's cost the protector pays from its treasury", 0, 1,
        source="10,000-50,000 yuan per person charged to move people (Shan News, docs/references.md)")
    withdraw_pressure: float = param(
        0.0, "pressure", "pressure from which it withdraws: protection falls to the host's, no fees, no tip-offs (0: never)", 0, 100)
    spending_share: float = param(
        0.02, "1/week", "share of its treasury a protector spends each week (its forces, its patrons' cut)", 0, 1,
        source="assumption: the owners' payout rate of market.payout_share; with none the fees pile up without end "
               "(about US$20bn after 24 years of a no-policy Mekong run, Dec 2026), so what a freeze seizes grew with the burn-in")


@dataclass(frozen=True, slots=True)
class SyndicateParams:
    """Kingpin networks: operators of one syndicate (``operators.syndicates``) share a treasury and a boss."""

    levy: float = param(0.0, "share", "share of a member's positive weekly profit paid into the syndicate treasury", 0, 1)
    bailout: float = param(1.0, "share", "share of the treasury a member short of capital may draw on in a week", 0, 1)
    payout_share: float = param(
        0.02, "1/week", "share of the treasury its bosses take out each week", 0, 1,
        source="assumption: the owners' payout rate of market.payout_share; with none the levy piled up without end (US$34bn "
               "after 24 years of a no-policy Mekong run, Dec 2026) and ever larger bailouts ended bankruptcy, so compounds drifted up")
    exit_share: float = param(0.0, "share", "chance each other member leaves when the boss is arrested or extradited", 0, 1,
                              source="managers left Prince Group compounds after the extradition (Amnesty, docs/references.md)")
    reveal: bool = param(False, "-", "the boss's arrest or extradition makes the members' compounds known",
                         source="gates opened at 10+ Prince Group compounds (Amnesty, docs/references.md)")


@dataclass(frozen=True, slots=True)
class CampaignParams:
    """Campaigns: enforcement effort that starts with political will and lapses (issue #13)."""

    effort: float = param(0.0, "raids/agency/year", "extra raids a year at full political will (level 1), at governance 1", 0, 1e9)
    half_life_weeks: float = param(8.0, "weeks", "half-life of a campaign's political will", 0.1, 1e5)
    jurisdictions: tuple[str, ...] = param((), "names", "jurisdictions that run campaigns (empty: all)")
    trigger_rescued: int = param(0, "people", "a raid freeing at least this many starts a campaign where it happened (0: never)",
                                 0, 10**7)
    scheduled: tuple[str, ...] = param((), "week:level", "scheduled campaign starts: political will jumps to the level that week")
    foreign_pressure: tuple[str, ...] = param(
        (), "week:level", "foreign pressure series: from each week on, political will stays at least at the level")
    coordinated: bool = param(False, "-", "campaigning jurisdictions start together and share the operators they pursue")
    target_zones: tuple[str, ...] = param((), "names", "campaign raids hit only compounds in these zones or jurisdictions (empty: any)")
    target_protectors: tuple[str, ...] = param((), "names", "campaign raids only hit compounds on these protectors' territory")
    target_syndicates: tuple[str, ...] = param((), "ids", "campaign raids only hit compounds of these syndicates")


@dataclass(frozen=True, slots=True)
class BorderParams:
    """The value of an international border: an escape route and a neighbour's power and internet."""

    escape_cells: int = param(0, "cells", "a tipped-off compound within this many cells of another country can escape across (0: off)",
                              0, 100)
    escape_loss_factor: float = param(1.0, "x", "factor on the workers lost in a tipped-off evacuation near a border", 0, 1)
    escape_cost_factor: float = param(1.0, "x", "factor on the cost of the forced move of a tipped-off compound near a border", 0, 1)
    escape_valued: bool = param(
        False, "-", "site choice values the escape route: expected raid loss within escape_cells of another country "
        "times escape_loss_factor (false: borders are not valued when choosing a site)",
        source="compounds cluster in border towns (Myawaddy, Tachileik, Poipet, Bavet; docs/references.md, fact 4)")
    relief_cells: int = param(0, "cells", "compounds within this many cells of an uncut country draw on its power and internet (0: off)",
                              0, 100, source="Thai cuts Feb 2025: Lao power and Starlink within weeks (docs/references.md)")
    relief_share: float = param(0.0, "share", "share of an infrastructure cut removed near an uncut neighbour", 0, 1)


@dataclass(frozen=True, slots=True)
class PremisesParams:
    """Buildings that outlive their tenants: reused after a move or a raid unless damaged, seized or demolished."""

    enabled: bool = param(False, "-", "compounds occupy buildings that stay standing when they leave (false: no buildings)")
    reoccupy_share: float = param(
        1.0, "share of open cost", "cost of moving into an empty intact building, as a share of building new (1: no saving)",
        0, 1, source="Cambodia casinos 57 (2014) to 150 (2019), reused as compounds after COVID (references.md)")
    repair_share: float = param(0.0, "share of open cost", "extra cost of repairing a damaged building before reuse", 0, 1)
    damage_probability: float = param(
        0.0, "probability", "chance a building a raid empties is damaged", 0, 1,
        source="KK Park Oct 2025: 78 of ~630 buildings damaged in imagery (CIR / Myanmar Witness)")
    seizure_probability: float = param(0.0, "probability", "chance a building a raid empties is seized (unusable)", 0, 1)
    seizure_weeks: int = param(52, "weeks", "weeks a seized building stays unusable (-1: for good)", -1, 5200)
    vacancy_weeks: int = param(
        -1, "weeks", "weeks an empty building stands before it is lost to the stock (stripped, repurposed, reclaimed; -1: never)",
        -1, 5200)
    demolition_cost: float = param(0.0, "US$/building", "cost to the state of demolishing one building (counted, paid by no agent)",
                                   0, 1e12)
