"""A timeline of policy events acting together: one ``Policy`` built from many.

Each event of ``params.timeline`` is an ordinary policy (``sim.policies.types``) with its own window,
jurisdictions and levers; ``Timeline`` asks every event and combines their answers through each hook
of ``Policy``. The rules, chosen so that one event gives exactly (bit for bit) what the same settings
give as a single ``[policy]``, and so that an event changes nothing before it is first felt:

- raid_frequency, expected_raid_frequency, announcement: where one raiding event acts, its frequency;
  where several act, their raids add up: the first (in start order) sets the frequency and each
  further one adds its raids above the background (``raid_frequency - background``).
- order_targets: when every active raiding event in a jurisdiction has raid zones, its raids are
  confined to the union of their zones; when some have zones and some do not, nothing is left out but
  compounds inside the zones are raided first (a targeted operation on top of routine raids); network
  and hotspot priorities apply when any active event there has them, after the zones.
- detection_multiplier: the hotspot multipliers of the active events multiply.
- carried_notoriety, notoriety_map: each coordinated event shares notoriety among its own
  jurisdictions; where several cover a jurisdiction, the largest shared value counts.
- arrest_probability, seizure_share: the largest of the background and the active network events.
- after_raid, follow_up: every active event acts on its own (hotspot pressure is kept per event);
  a raid is followed up if any event follows it, and the compounds found are the union of each
  event's finds. Each event draws from its own stream, derived from the policy seed and the event's
  name (not its place in the list), so removing one event leaves every other event's draws unchanged.
  A single ``[policy]`` draws from the stream of the event named ``SINGLE_POLICY_STREAM`` ("policy").
- demolish_share, and the shares among the levers (demand_reduction, aml_share, awareness_campaign):
  independent chances, ``1 - (1 - a)(1 - b)``; inflow_factor: the factors multiply; screening_cost: the
  rises add up; repatriation_share: the latest-starting active event that sets one wins.
- cut_mask and the cut levers: the union of the active cuts' cells, cut at the largest share, with the
  longest substitution time, substitutes cut if any event cuts them (the model has one cut share a
  week: two cuts of different depth at the same time both take the deeper one).
- adjust_ground: each event's sanctions and revocations, applied in start order.
- end_of_week: every event's own (hotspot pressure runs down).

Protectors' sanctions and the syndicates' freezes and extraditions (``sim.core.protectors``) read the
events through ``parts()``: each event sanctions, freezes and extradites on its own, at its own start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from sim.params.declarations import EnforcementParams, Params, PolicyParams
from sim.policies.types import NEUTRAL, PURSUIT, Compounds, Levers, Policy, make_policy
from sim.world.space import Region

__all__ = ["SINGLE_POLICY_STREAM", "Timeline", "build_policy", "event_stream"]

#: The name whose stream a single ``[policy]`` draws from: a timeline of one event with this name is the
#: single policy bit for bit, follow-up draws included (with another name, equal in distribution).
SINGLE_POLICY_STREAM = "policy"


def event_stream(seed: np.random.SeedSequence, name: str) -> np.random.Generator:
    """The random stream of the event called ``name``: a child of the policy seed keyed by the name."""
    key = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key)))


def _either(a: float, b: float) -> float:
    """Two independent chances or shares combined: 1 - (1 - a)(1 - b), written so that b = 0 gives a exactly."""
    return a + b - a * b


class Timeline(Policy):
    """Every event of a timeline, combined through the hooks of ``Policy`` (module docstring)."""

    name = "timeline"

    def __init__(self, events: tuple[PolicyParams, ...], region: Region, e: EnforcementParams,
                 seed: np.random.SeedSequence) -> None:
        order = sorted(range(len(events)), key=lambda i: events[i].start_week)  # stable: file order among equals
        self.events = [make_policy(events[i], region, e) for i in order]
        self.streams = [event_stream(seed, ev.p.name) for ev in self.events]
        self.region = region
        self.e = e
        self.p = events[order[0]]
        self.raids = any(ev.raids for ev in self.events)
        acting = [ev for ev in self.events if ev.name != "none"]
        self.applies = np.logical_or.reduce([ev.applies for ev in acting]) if acting else np.zeros(region.n_jurisdictions, bool)
        self._following: list[int] = []

    def parts(self) -> tuple[Policy, ...]:
        return tuple(self.events)

    # -- when and where -------------------------------------------------------------------------
    def active(self, week: int) -> bool:
        return any(ev.active(week) for ev in self.events)

    def announced(self, week: int) -> bool:
        return any(ev.announced(week) for ev in self.events)

    def _on(self, week: int, jurisdiction: int) -> bool:
        return any(ev._on(week, jurisdiction) for ev in self.events)

    # -- raids ------------------------------------------------------------------------------------
    def _frequency(self, in_force: Callable[[Policy], bool]) -> np.ndarray:
        bg = self.e.background_raid_frequency
        freq = np.full(self.region.n_jurisdictions, bg, dtype=float)
        set_here = np.zeros(self.region.n_jurisdictions, dtype=bool)
        for ev in self.events:
            if ev.raids and in_force(ev):
                f = float(ev.p.raid_frequency)
                freq = np.where(ev.applies, np.where(set_here, freq + (f - bg), f), freq)
                set_here |= ev.applies
        return freq

    def raid_frequency(self, week: int) -> np.ndarray:
        return self._frequency(lambda ev: ev.active(week))

    def expected_raid_frequency(self, week: int) -> np.ndarray:
        return self._frequency(lambda ev: ev.active(week) or ev.announced(week))

    def announcement(self, week: int) -> np.ndarray | None:
        out = None
        for ev in self.events:
            heard = ev.announcement(week)
            if heard is None:
                continue
            if out is None:
                out = heard
            else:
                both = ~np.isnan(out) & ~np.isnan(heard)
                out = np.where(both, out + (heard - self.e.background_raid_frequency), np.where(np.isnan(out), heard, out))
        return out

    def order_targets(self, week: int, jurisdiction: int, slots: np.ndarray, vis: np.ndarray, sites: np.ndarray,
                      owners: np.ndarray, notoriety: np.ndarray) -> np.ndarray:
        on = [ev for ev in self.events if ev._on(week, jurisdiction)]
        raiding = [ev for ev in on if ev.raids]
        keys = [-vis]
        zoned = [ev.raid_cells for ev in raiding if ev.raid_cells is not None]
        inside = np.logical_or.reduce(zoned)[sites] if zoned else None
        if inside is not None and len(zoned) == len(raiding):
            slots, vis, sites, owners = slots[inside], vis[inside], sites[inside], owners[inside]
            keys = [-vis]
            inside = None
        if any(ev.network for ev in on):
            here = np.full(len(slots), jurisdiction)
            keys.append(~(self.carried_notoriety(notoriety[owners], here, week) >= PURSUIT))
        hot = [ev for ev in on if ev.hotspot]
        if hot:
            pressure = np.maximum.reduce([ev.pressure.ravel()[sites] for ev in hot])
            keys.append(pressure <= 0)
        if inside is not None:  # zone-targeted and unconfined events at once: the zones' compounds first
            keys.append(~inside)
        return slots[np.lexsort(keys)]

    def detection_multiplier(self, sites: np.ndarray, week: int) -> np.ndarray | float:
        out: np.ndarray | float = 1.0
        first = True
        for ev in self.events:
            m = ev.detection_multiplier(sites, week)
            if isinstance(m, float) and m == 1.0:
                continue
            out = m if first else out * m
            first = False
        return out

    def carried_notoriety(self, notoriety: np.ndarray, jurisdiction: np.ndarray, week: int) -> np.ndarray:
        out = None
        for ev in self.events:
            if ev.coordinated and ev.active(week):
                mine = ev.carried_notoriety(notoriety, jurisdiction, week)
                out = mine if out is None else np.maximum(out, mine)
        return notoriety[np.arange(len(jurisdiction)), jurisdiction] if out is None else out

    def notoriety_map(self, row: np.ndarray, week: int) -> np.ndarray:
        out = None
        for ev in self.events:
            if ev.coordinated and ev.active(week):
                mine = ev.notoriety_map(row, week)
                out = mine if out is None else np.maximum(out, mine)
        return row if out is None else out

    def arrest_probability(self, week: int, jurisdiction: int) -> float:
        return max([self.e.arrest_probability] + [ev.arrest_probability(week, jurisdiction) for ev in self.events])

    def seizure_share(self, week: int, jurisdiction: int) -> float:
        return max([self.e.seizure_share] + [ev.seizure_share(week, jurisdiction) for ev in self.events])

    def after_raid(self, week: int, jurisdiction: int, cell: int) -> bool:
        self._following = [i for i, ev in enumerate(self.events) if ev.after_raid(week, jurisdiction, cell)]
        return bool(self._following)

    def demolish_share(self, week: int, jurisdiction: int) -> float:
        out = 0.0
        for ev in self.events:
            out = _either(out, ev.demolish_share(week, jurisdiction))
        return out

    def follow_up(self, operator: int, jurisdiction: int, compounds: Compounds, rng: np.random.Generator) -> np.ndarray:
        """The union of the finds of every event that follows this raid, each drawing from its own stream (``rng`` is unused)."""
        found = [self.events[i].follow_up(operator, jurisdiction, compounds, self.streams[i]) for i in self._following]
        self._following = []
        if not found:
            return compounds.slots[:0]
        return np.unique(np.concatenate(found)) if len(found) > 1 else found[0]

    def end_of_week(self, week: int) -> None:
        for ev in self.events:
            ev.end_of_week(week)

    # -- the ground ------------------------------------------------------------------------------------
    def levers(self, week: int) -> Levers:
        out = None
        latest_repatriation = None
        for ev in self.events:  # in start order, so the last one setting a repatriation share started latest
            lv = ev.levers(week)
            if lv is NEUTRAL:
                continue
            if lv.repatriation_share is not None:
                latest_repatriation = lv.repatriation_share
            if out is None:
                out = lv
                continue
            cut = [x for x in (out, lv) if x.cut_share > 0]
            out = Levers(
                demand_reduction=_either(out.demand_reduction, lv.demand_reduction),
                aml_share=_either(out.aml_share, lv.aml_share),
                inflow_factor=out.inflow_factor * lv.inflow_factor,
                repatriation_share=latest_repatriation,
                cut_share=max(out.cut_share, lv.cut_share),
                cut_substitutes=any(x.cut_substitutes for x in cut),
                substitution_weeks=max(x.substitution_weeks for x in cut) if cut else out.substitution_weeks,
                screening_cost=out.screening_cost + lv.screening_cost,
                awareness_campaign=_either(out.awareness_campaign, lv.awareness_campaign),
            )
        return NEUTRAL if out is None else out

    def adjust_ground(self, week: int, protection: np.ndarray, concession: np.ndarray, home_protection: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        for ev in self.events:
            protection, concession = ev.adjust_ground(week, protection, concession, home_protection)
        return protection, concession

    def cut_mask(self, week: int) -> np.ndarray | None:
        masks = [m for m in (ev.cut_mask(week) for ev in self.events) if m is not None]
        if not masks:
            return None
        return masks[0] if len(masks) == 1 else np.logical_or.reduce(masks)


def build_policy(params: Params, region: Region, seed: np.random.SeedSequence) -> Policy:
    """The run's policy: the single ``[policy]``, or a ``Timeline`` of ``params.timeline`` when it has events."""
    if params.timeline:
        return Timeline(params.timeline, region, params.enforcement, seed)
    return make_policy(params.policy, region, params.enforcement)
