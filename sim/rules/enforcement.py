"""Enforcement pressure: heat, how agencies find compounds, and what a raid does.

Heat is the memory of raids on the map. It has a fast part that decays with a short half-life and a
residual part with a long one, because crackdowns deter and then decay, with a residual tail in some
cases (Sherman 1990). Agencies find compounds in proportion to visibility and state capacity;
protection and concessions hide them; heat and an operator's notoriety expose them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.common.constants import WEEKS_PER_YEAR
from sim.params.declarations import EnforcementParams


def decay_factor(half_life_weeks: float) -> float:
    return float(0.5 ** (1.0 / half_life_weeks))


def decay_heat(fast: np.ndarray, residual: np.ndarray, e: EnforcementParams) -> None:
    """One week of decay of both heat components, in place."""
    fast *= decay_factor(e.heat_half_life)
    residual *= decay_factor(e.residual_half_life)


def visibility(workers: np.ndarray, age: np.ndarray, e: EnforcementParams) -> np.ndarray:
    """How conspicuous compounds are: grows with size (elasticity) and with weeks at a site."""
    size = (np.maximum(workers, 1) / e.visibility_workers) ** e.visibility_exponent
    if e.visibility_age_weeks <= 0:
        return size
    return size * (1.0 - np.exp(-(age + 1) / e.visibility_age_weeks))


def detection_probability(
    vis: np.ndarray,
    governance: np.ndarray,
    exposure: np.ndarray,
    protection: np.ndarray,
    concession: np.ndarray,
    multiplier: np.ndarray | float,
    e: EnforcementParams,
) -> np.ndarray:
    """Chance this week that the local agency finds each compound.

    ``exposure`` is heat at the compound's cell plus the notoriety its operator carries with that
    agency. The hazard form keeps the probability in [0, 1) however large the inputs.
    """
    hazard = (
        e.detection_rate
        * vis
        * governance
        * (1.0 + e.heat_detection * exposure)
        * (1.0 - e.protection_shield * protection)
        * (1.0 - e.concession_shield * concession)
        * multiplier
    )
    return -np.expm1(-hazard)


def perceived_hazard(climate: np.ndarray, exposure: np.ndarray, protection: np.ndarray, e: EnforcementParams) -> np.ndarray:
    """The weekly raid hazard operators expect: what they compare with their tolerance.

    ``climate`` is the raid hazard per compound operators believe holds in the jurisdiction: the agency's
    raid capacity per compound (``raid_climate``, ``enforcement.risk_belief = "announced_capacity"``) or
    what raids they have seen taught them (``sim.rules.beliefs``, ``"learned"``);
    ``exposure`` is local heat plus the operator's own notoriety, read at ``risk_perception`` per unit.
    Protection shields from both.
    """
    return -np.expm1(-(climate + e.risk_perception * exposure) * shield_factor(protection, e))


def shield_factor(protection: np.ndarray, e: EnforcementParams) -> np.ndarray:
    """``1 - protection_shield * protection``: the share of the raid hazard protection lets through."""
    return 1.0 - e.protection_shield * protection


def perceived_hazard_into(climate: np.ndarray, exposure: np.ndarray, shield: np.ndarray, e: EnforcementParams,
                          out: np.ndarray) -> np.ndarray:
    """``perceived_hazard`` written into ``out`` (which may be ``exposure``), with the shield precomputed.

    The same operations on the same values in the same order, so the result is bit-identical; it only
    spares the temporaries (site choice calls it for every mover with a notoriety, on every cell).
    """
    np.multiply(exposure, e.risk_perception, out=out)
    np.add(out, climate, out=out)
    np.negative(out, out=out)
    np.multiply(out, shield, out=out)
    np.expm1(out, out=out)
    return np.negative(out, out=out)


def raid_budget(frequency: np.ndarray, known: np.ndarray, governance: np.ndarray, e: EnforcementParams) -> np.ndarray:
    """Raids each agency can mount this week.

    A fixed programme (``frequency`` raids a year) plus a response to what it has found
    (``responsiveness`` raids a year per known compound), both scaled by state capacity raised to
    ``governance_exponent``: a weak state lacks both the means to act and the integrity to act on
    what it finds. The response is what keeps a strong state from hosting a large hub: its attention
    grows with the problem instead of being diluted by it.
    """
    return (frequency + e.responsiveness * known) / WEEKS_PER_YEAR * governance**e.governance_exponent


def raid_climate(weekly_raids: np.ndarray, compounds: np.ndarray) -> np.ndarray:
    """Each agency's raid capacity per compound in its jurisdiction: the hazard everyone hears of.

    Under ``enforcement.risk_belief = "announced_capacity"`` operators know how many raids an agency can
    mount and how many compounds share that attention, so a lone compound in a strong state is exposed
    and a crowded enclave dilutes the risk. Under ``"learned"`` it only sets the prior (the background
    programme) and what an announcement says (``sim.rules.beliefs``).
    """
    return np.minimum(1.0, weekly_raids / np.maximum(compounds, 1))


@dataclass(frozen=True, slots=True)
class RaidOutcome:
    """What one raid did to one compound."""

    tipped_off: bool
    failed: bool
    escaped: int  # workers who got away during a tipped-off evacuation
    rescued: int  # workers freed by a successful raid
    boss_arrested: bool

    @property
    def succeeded(self) -> bool:
        return not (self.tipped_off or self.failed)


def resolve_raid(
    workers: int,
    protection: float,
    e: EnforcementParams,
    arrest_probability: float,
    rng: np.random.Generator,
    *,
    tipoff: float | None = None,
    evacuation_loss: float | None = None,
) -> RaidOutcome:
    """Draw a raid's outcome: tip-off (more likely under protection), failure, or success.

    ``tipoff`` is the chance of a tip-off when a protector decides it (default: the rule from
    ``protection``); ``evacuation_loss`` the share lost in a tipped-off evacuation when a border
    offers an escape route (default: ``e.evacuation_loss``). The draws are made in a fixed order so
    that one raid always consumes the same random numbers.
    """
    u_tip, u_fail, u_arrest = rng.random(3)
    if tipoff is None:
        tipoff = min(1.0, e.tipoff_base + e.tipoff_protection * protection)
    loss = e.evacuation_loss if evacuation_loss is None else evacuation_loss
    tipped = bool(u_tip < tipoff)
    if tipped:
        escaped = int(rng.binomial(workers, loss)) if workers and loss > 0 else 0
        return RaidOutcome(True, False, escaped, 0, False)
    if u_fail < e.raid_failure:
        return RaidOutcome(False, True, 0, 0, False)
    rescued = int(rng.binomial(workers, e.rescue_share)) if workers and e.rescue_share > 0 else 0
    return RaidOutcome(False, False, 0, rescued, bool(u_arrest < arrest_probability))
