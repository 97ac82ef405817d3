"""Protectors and kingpin networks: who holds a territory, how pressure moves them, what a syndicate shares.

Pure functions on arrays. A protector (an armed group or an elite around a zone) holds the cells of
its zones, earns the protection fee paid there, tips operators off before raids and, under pressure
(sanctions, a campaign, announced raids), may raise its price, sell its operators out, move them
elsewhere at part of its own cost, or withdraw. A syndicate pools part of its members' profits in a
treasury that members short of capital draw on.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.params.actors import ProtectorParams
from sim.params.declarations import EnforcementParams

TERRITORIES_KEY = "protectors.territories"


def parse_territories(zone_names: tuple[str, ...], territories: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """Protector names and, for each zone, the index of the protector holding it.

    By default each zone has a protector of its own, named after it. An entry ``NAME=zoneA+zoneB``
    gives those zones to one protector; ``NAME=`` declares a protector that holds nothing.
    """
    names: list[str] = []
    owner = np.full(len(zone_names), -1, dtype=np.int64)
    for entry in territories:
        name, sep, zones = entry.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{TERRITORIES_KEY}: '{entry}' is not NAME=zone+zone; allowed: a name, '=', zone names joined by '+'")
        if name in names:
            raise ValueError(f"{TERRITORIES_KEY}: protector '{name}' is named twice; allowed: each name once")
        names.append(name)
        for z in filter(None, (z.strip() for z in zones.split("+"))):
            if z not in zone_names:
                raise ValueError(f"{TERRITORIES_KEY}: '{entry}' names '{z}', which is not a zone; allowed: {', '.join(zone_names)}")
            if owner[zone_names.index(z)] >= 0:
                raise ValueError(f"{TERRITORIES_KEY}: zone '{z}' is given to two protectors; allowed: one protector per zone")
            owner[zone_names.index(z)] = len(names) - 1
    for k, z in enumerate(zone_names):
        if owner[k] < 0:
            if z in names:
                raise ValueError(f"{TERRITORIES_KEY}: '{z}' names a protector and an unassigned zone; allowed: distinct names")
            names.append(z)
            owner[k] = len(names) - 1
    return tuple(names), owner


def cell_owner(zone: np.ndarray, zone_owner: np.ndarray) -> np.ndarray:
    """Protector holding each flat cell (-1: none, the host jurisdiction's ordinary protection)."""
    flat = zone.ravel().astype(np.int64)
    return np.where(flat >= 0, np.append(zone_owner, -1)[flat], -1)


def parse_shifts(entries: tuple[str, ...], names: tuple[str, ...]) -> list[tuple[int, int, float]]:
    """``("100:1", "BGF@150:2")`` -> ``[(100, -1, 1.0), (150, k, 2.0)]`` (week, protector or -1 for all, pressure)."""
    out = []
    for s in entries:
        who, at, rest = s.rpartition("@")
        week, sep, level = rest.partition(":")
        try:
            entry = (int(week), names.index(who) if at else -1, float(level))
        except ValueError:
            entry = None
        if not sep or entry is None or entry[2] < 0:
            raise ValueError(f"protectors.shifts: '{s}' is not week:pressure or NAME@week:pressure with a protector's name; "
                             f"allowed protectors: {', '.join(names) or 'none'}")
        out.append(entry)
    return sorted(out)


def shift_pressure(shifts: list[tuple[int, int, float]], week: int, n: int) -> np.ndarray:
    """Pressure from political shifts on each protector at ``week``: the latest shift that applies to it."""
    level = np.zeros(n)
    for w, who, value in shifts:
        if w <= week:
            if who < 0:
                level[:] = value
            else:
                level[who] = value
    return level


def pressure(sanctioned: np.ndarray, campaign_level: np.ndarray, raids_coming: np.ndarray, p: ProtectorParams,
             shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Pressure on each part of a territory, ``[protector, jurisdiction]``.

    Sanctions and political shifts bear on a protector everywhere; a campaign or announced raids bear
    on the part of its territory inside the jurisdiction that runs them.
    """
    return (p.sanction_pressure * sanctioned.astype(float)[:, None] + np.asarray(shift, dtype=float).reshape(-1, 1)
            + p.campaign_pressure * campaign_level[None, :]
            + p.announcement_pressure * raids_coming.astype(float)[None, :])


class Responses(NamedTuple):
    """What each part of each territory does this week (boolean arrays ``[protector, jurisdiction]``)."""

    raise_price: np.ndarray
    sell_out: np.ndarray
    relocate: np.ndarray
    withdraw: np.ndarray


def respond(level: np.ndarray, p: ProtectorParams) -> Responses:
    """A protector responds once pressure reaches a threshold; a threshold of 0 is a response it never makes."""
    def at(threshold: float) -> np.ndarray:
        return (level >= threshold) if threshold > 0 else np.zeros(level.shape, dtype=bool)

    return Responses(at(p.price_pressure), at(p.sellout_pressure), at(p.relocate_pressure), at(p.withdraw_pressure))


def fee_factor(raise_price: np.ndarray, withdrawn: np.ndarray, rise: float) -> np.ndarray:
    """Multiplier on the fee in each part: raised under pressure, nothing once withdrawn."""
    return np.where(withdrawn, 0.0, np.where(raise_price, 1.0 + rise, 1.0))


def tipoff_probability(protection: float, home_protection: float, protector_tips: bool, e: EnforcementParams) -> float:
    """Chance a raid is tipped off: today's formula, with the protector's share only if it still tips."""
    return min(1.0, e.tipoff_base + e.tipoff_protection * (protection if protector_tips else home_protection))


def fee_income(revenue: np.ndarray, protection: np.ndarray, factor: np.ndarray, fee_share: float) -> np.ndarray:
    """The protection fee each compound pays (the books charge the same amount)."""
    return revenue * fee_share * protection * factor


def levy(profit: np.ndarray, member: np.ndarray, share: float) -> np.ndarray:
    """What each operator pays into its syndicate's treasury: a share of its positive weekly profit."""
    return np.where(member, share * np.maximum(profit, 0.0), 0.0)


def payout(treasury: np.ndarray, share: float) -> np.ndarray:
    """What a treasury's owners take out this week: ``share`` of what it holds.

    Without an outflow a treasury fed every week grows for ever, and so does everything that reads it
    (bailouts, what a freeze seizes): the model would have no steady state.
    """
    return treasury * share


def bailouts(capital: np.ndarray, syndicate: np.ndarray, treasury: np.ndarray, share: float) -> np.ndarray:
    """What each operator short of capital draws from its syndicate's treasury, in slot order.

    A member may draw up to ``share`` of what is left in the treasury, and no more than its shortfall.
    """
    draws = np.zeros(len(capital))
    left = treasury.copy()
    for i in np.flatnonzero((capital < 0) & (syndicate >= 0)):
        s = syndicate[i]
        draws[i] = min(-capital[i], share * left[s])
        left[s] -= draws[i]
    return draws


def parse_ids(entries: tuple[str, ...], key: str, n: int) -> list[int]:
    """Syndicate ids from a list of strings ("0", "3"), checked against the ``n`` syndicates of the run."""
    ids = []
    for s in entries:
        if not s.strip().isdigit() or int(s) >= n:
            allowed = f"whole numbers 0 to {n - 1}" if n > 0 else "none, the run has no syndicates"
            raise ValueError(f"{key}: '{s}' is not a syndicate id; allowed: {allowed} (operators.syndicates = {n})")
        ids.append(int(s))
    return ids
