"""Protectors and syndicates as actors with state: territories, treasuries, and how they respond.

``Protectors`` holds one row per protector (by default one per zone): its treasury of fees, whether it
is sanctioned, and, per part of its territory (``[protector, jurisdiction]``), whether it has raised
its price, sold its operators out, moved them or withdrawn. ``Syndicates`` holds each syndicate's
treasury and acts out the fall of its boss. Rules come from ``sim.rules.protection``; this module
applies them to the model's tables (``m`` is the ``ScamModel``). With the default parameters nothing
here changes a result: no response is ever made, no levy is paid and nothing is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core import moves
from sim.rules import protection as rules
from sim.rules.sitechoice import expected_net

if TYPE_CHECKING:
    from sim.core.agents import Compound, Operator
    from sim.core.model import ScamModel
    from sim.policies.types import Policy


class Protectors:
    """The protectors of a run and the state each keeps."""

    def __init__(self, m: ScamModel) -> None:
        r, p = m.region, m.params.protectors
        self.names, zone_owner = rules.parse_territories(r.zone_names, p.territories)
        self.owner = rules.cell_owner(r.zone, zone_owner)  # flat cell -> protector (-1: none)
        n, nj = len(self.names), r.n_jurisdictions
        self.treasury = np.zeros(n)
        self.fees = np.zeros(n)  # fees earned last week (a weekly series)
        self.set_policy(m.policy)
        self.shifts = rules.parse_shifts(p.shifts, self.names)
        self.state = rules.respond(np.zeros((n, nj)), p)  # every response off
        self.entered = self.state  # responses newly made this week
        self.responsive = max(p.price_pressure, p.sellout_pressure, p.relocate_pressure, p.withdraw_pressure) > 0
        self._week = None

    def set_policy(self, policy: Policy) -> None:
        """The protectors each part of a policy sanctions (again when a model branches to another policy at week 0)."""
        self.parts = policy.parts()  # one policy, or a timeline's events: each sanctions and freezes on its own
        for part in self.parts:
            for name in part.p.sanction_protectors:
                if name not in self.names:
                    raise ValueError(f"policy.sanction_protectors: '{name}' is not a protector; allowed: {', '.join(self.names) or 'none'}")
        self.sanctioned_by = [np.isin(np.arange(len(self.names)), [self.names.index(s) for s in part.p.sanction_protectors])
                              for part in self.parts]
        self.frozen_by = [False] * len(self.parts)  # each part freezes treasuries once, at its start

    @property
    def sanctioned(self) -> np.ndarray:
        """Protectors any part of the policy sanctions (while that part is active)."""
        return np.logical_or.reduce(self.sanctioned_by) if self.sanctioned_by else np.zeros(len(self.names), dtype=bool)

    # -- where ----------------------------------------------------------------------------------
    def cells_of(self, m: ScamModel, parts: np.ndarray) -> np.ndarray:
        """Flat cells lying in the given parts of territories (boolean ``[protector, jurisdiction]``)."""
        held = self.owner >= 0
        out = np.zeros(len(self.owner), dtype=bool)
        out[held] = parts[self.owner[held], m.region.flat_jurisdiction[held]]
        return out

    # -- the week -------------------------------------------------------------------------------
    def respond(self, m: ScamModel) -> None:
        """Read this week's pressure and set each part's responses (once a week, before the ground)."""
        if not self.responsive or self._week == m.week:
            return
        self._week = m.week
        week = m.week
        sanctioned = np.zeros(len(self.names), dtype=bool)
        coming = np.zeros(m.region.n_jurisdictions, dtype=bool)
        for part, mask in zip(self.parts, self.sanctioned_by, strict=True):
            on = part.active(week)
            sanctioned |= mask & on
            coming |= (part.raids and (on or part.announced(week))) & part.applies
        shift = rules.shift_pressure(self.shifts, week, len(self.names))
        level = rules.pressure(sanctioned, m.campaigns.level, coming, m.params.protectors, shift)
        new = rules.respond(level, m.params.protectors)
        self.entered = rules.Responses(*(now & ~was for now, was in zip(new, self.state, strict=True)))
        self.state = new

    def ground(self, m: ScamModel, protection: np.ndarray) -> np.ndarray:
        """Protection in force: where a protector has withdrawn, the host jurisdiction's own."""
        if not self.state.withdraw.any():
            return protection
        gone = self.cells_of(m, self.state.withdraw).reshape(protection.shape)
        return np.where(gone, m.region.home_protection, protection)

    def fee_protection(self, m: ScamModel, sites: np.ndarray, protection: np.ndarray) -> np.ndarray:
        """Protection as the books charge it: raised where a protector has raised its price."""
        if not self.state.raise_price.any():
            return protection
        raised = self.cells_of(m, self.state.raise_price & ~self.state.withdraw)[sites]
        return np.where(raised, protection * (1.0 + m.params.protectors.price_rise), protection)

    def collect(self, m: ScamModel, sites: np.ndarray, revenue: np.ndarray, charged: np.ndarray) -> None:
        """The protector of each compound's cell earns the fee it paid (none once withdrawn)."""
        owner = self.owner[sites]
        if len(self.names) == 0:
            return
        if self.state.withdraw.any():
            owner = np.where(self.cells_of(m, self.state.withdraw)[sites], -1, owner)
        paid = rules.fee_income(revenue, charged, 1.0, m.prices.protection_fee_share)
        held = owner >= 0
        self.fees = np.bincount(owner[held], weights=paid[held], minlength=len(self.names))
        self.treasury += self.fees
        self.treasury -= rules.payout(self.treasury, m.params.protectors.spending_share)

    def tipoff(self, m: ScamModel, site: int, protection: float) -> float | None:
        """The protector's decision to warn a compound of a raid (None: today's rule, no protector state)."""
        if not self.responsive:
            return None
        p = int(self.owner[site])
        tips = p < 0 or not (self.state.sell_out[p, m.region.flat_jurisdiction[site]]
                             or self.state.withdraw[p, m.region.flat_jurisdiction[site]])
        return rules.tipoff_probability(protection, float(m.region.home_protection.ravel()[site]), tips, m.params.enforcement)

    def act(self, m: ScamModel) -> None:
        """What this week's pressure makes protectors do: freeze, leak sites, move operators out."""
        for i, (part, mask) in enumerate(zip(self.parts, self.sanctioned_by, strict=True)):
            if not self.frozen_by[i] and part.active(m.week) and mask.any():
                self.frozen_by[i] = True
                frozen = self.treasury * mask * part.p.protector_freeze
                self.treasury -= frozen
                m.events.seized += float(frozen.sum())
        if not self.responsive:
            return
        t = m.compound_table
        slots = t.slots
        if self.entered.sell_out.any():  # sold out: the agencies learn where its operators are
            leaked = self.cells_of(m, self.entered.sell_out)[t.site[slots]]
            t.known[slots[leaked & (t.relocating[slots] == 0)]] = True
        if self.entered.relocate.any():
            moving = self.cells_of(m, self.entered.relocate)[t.site[slots]] & (t.relocating[slots] == 0)
            calm_by_owner: dict[int, np.ndarray] = {}  # the calm cells each protector holds: the same for every move this week
            for slot in slots[moving]:
                comp = m.compound_by_slot.get(int(slot))
                if comp is not None:
                    self.paid_move(m, comp, calm_by_owner)
        self.entered = rules.respond(np.zeros(self.state.withdraw.shape), m.params.protectors)

    def paid_move(self, m: ScamModel, comp: Compound, calm_by_owner: dict[int, np.ndarray] | None = None) -> None:
        """Move a compound out of a pressured part: to the best open cell of the protector's calm
        territory if it has one, else where the operator would go; the protector pays part of it.

        ``calm_by_owner`` caches each protector's calm territory across the moves of one ``act``
        (pressure does not change between them; open cells do, and are read afresh).
        """
        p = int(self.owner[comp.site])
        op = comp.operator
        held = None if calm_by_owner is None else calm_by_owner.get(p)
        if held is None:
            held = self.cells_of(m, ~self.state.relocate) & (self.owner == p)
            if calm_by_owner is not None:
                calm_by_owner[p] = held
        layers = m.layers
        calm = held & layers.open_cell
        before = op.capital
        if calm.any() and m.params.relocation.enabled:  # with moving switched off, a forced move closes the compound (relocate)
            e, r = m.params.enforcement, m.params.relocation
            land = layers.land  # open cells are land: the land view holds them, in the same order (same argmax)
            net = expected_net(layers if land is None else land.layers, comp.workers,
                               m.policy.notoriety_map(m.operator_table.notoriety[op.slot], m.week), moves.value_at_risk(m, op), e)
            mask = calm if land is None else calm.take(land.cells)
            pick = int(np.flatnonzero(mask)[np.argmax(net[mask])])
            cell = pick if land is None else int(land.cells[pick])
            cost = (r.base_cost + r.sunk_share * m.params.compounds.open_cost
                    + r.cost_per_km * float(m.region.distance_km(comp.site)[cell])
                    + r.border_cost * float(m.region.abroad(comp.site)[cell]))
            moves.move_to(m, comp, cell, cost, forced=True)
        else:
            moves.relocate(m, comp, forced=True)
        paid = min(max(before - op.capital, 0.0) * m.params.protectors.relocation_subsidy, max(self.treasury[p], 0.0))
        self.treasury[p] -= paid
        op.capital += paid


class Syndicates:
    """Kingpin networks: a treasury per syndicate and a boss (its oldest member's) whose fall spreads."""

    def __init__(self, m: ScamModel) -> None:
        self.treasury = np.zeros(m.params.operators.syndicates)
        self.set_policy(m.policy)

    def set_policy(self, policy: Policy) -> None:
        """The syndicates each part of a policy freezes or decapitates (again when a model branches at week 0)."""
        n = len(self.treasury)
        self.parts = policy.parts()
        self.freeze_by = [rules.parse_ids(part.p.freeze_syndicates, "policy.freeze_syndicates", n) for part in self.parts]
        self.extradite_by = [rules.parse_ids(part.p.extradite_syndicates, "policy.extradite_syndicates", n) for part in self.parts]
        self.struck_by = [False] * len(self.parts)  # each part's freezes and extraditions happen once, at its start

    @property
    def struck(self) -> bool:
        """Some part of the policy has frozen or decapitated its syndicates."""
        return any(self.struck_by)

    def settle(self, m: ScamModel, profit: np.ndarray) -> None:
        """After the books: members pay the levy, and members short of capital draw on the treasury."""
        sp, ot = m.params.syndicates, m.operator_table
        if len(self.treasury) == 0:
            return
        size = ot.size
        syn, cap = ot.syndicate[:size], ot.capital[:size]
        member = ot.alive[:size] & (syn >= 0)
        if sp.levy > 0:
            paid = rules.levy(profit[:size], member, sp.levy)
            cap -= paid
            self.treasury += np.bincount(syn[member], weights=paid[member], minlength=len(self.treasury))
        if self.treasury.any():
            draws = rules.bailouts(np.where(member, cap, 0.0), np.where(member, syn, -1), self.treasury, sp.bailout)
            cap += draws
            self.treasury -= np.bincount(syn[member], weights=draws[member], minlength=len(self.treasury))
        self.treasury -= rules.payout(self.treasury, sp.payout_share)

    def boss(self, m: ScamModel, s: int) -> Operator | None:
        """The syndicate's boss runs its oldest live member."""
        ot = m.operator_table
        slots = ot.slots[ot.syndicate[ot.slots] == s]
        if len(slots) == 0:
            return None
        return min((m.operator_by_slot[int(k)] for k in slots), key=lambda op: op.unique_id)

    def strike(self, m: ScamModel) -> None:
        """At each policy part's start: freeze the named syndicates' money, take the named bosses (parts in start order)."""
        for i, part in enumerate(self.parts):
            freeze, extradite = self.freeze_by[i], self.extradite_by[i]
            if self.struck_by[i] or not part.active(m.week) or not (freeze or extradite):
                continue
            self.struck_by[i] = True
            self._strike(m, freeze, extradite, part.p.syndicate_freeze)

    def _strike(self, m: ScamModel, freeze: list[int], extradite: list[int], share: float) -> None:
        ot = m.operator_table
        for s in freeze:
            m.events.seized += self.treasury[s]
            self.treasury[s] = 0.0
            members = ot.slots[ot.syndicate[ot.slots] == s]
            frozen = np.maximum(ot.capital[members], 0.0) * share
            ot.capital[members] -= frozen
            m.events.seized += float(frozen.sum())
        for s in extradite:
            boss = self.boss(m, s)
            if boss is not None:
                m.events.arrests += 1
                self.fall(m, s, boss)
                moves.end_operator(m, boss, "extradition")

    def fall(self, m: ScamModel, s: int, boss: Operator) -> None:
        """The boss is gone: the treasury with it, some members leave, their compounds may become known."""
        sp, ot, t = m.params.syndicates, m.operator_table, m.compound_table
        self.treasury[s] = 0.0
        others = [k for k in ot.slots[ot.syndicate[ot.slots] == s] if k != boss.slot]
        if sp.reveal:
            live = t.slots
            mine = np.isin(t.operator[live], others) & (t.relocating[live] == 0)
            t.known[live[mine]] = True
        if sp.exit_share > 0 and others:
            leaving = np.asarray(others)[m.network_rng.random(len(others)) < sp.exit_share]
            for k in leaving:
                m.events.exits_other += 1
                moves.end_operator(m, m.operator_by_slot[int(k)], "network")

    def arrested(self, m: ScamModel, op: Operator) -> None:
        """A raid took ``op``'s boss: if it was the syndicate's boss, the whole network feels it."""
        s = int(op.syndicate)
        if 0 <= s < len(self.treasury) and self.boss(m, s) is op:
            self.fall(m, s, op)
