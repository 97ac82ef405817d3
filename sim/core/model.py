"""ScamModel: operators, compounds and agencies on a regional grid; one step is one week.

The model is an orchestrator. Each phase of the week calls rules that live in their own modules
(``labour``, ``market``, ``enforcement``, ``sitechoice``, ``policies``) on whole columns of agent
state, and applies their results. The order of a week is documented in docs/ODD.md ("Process
overview and scheduling") and is exactly the order of ``step`` below.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer

from sim.core import hooks
from sim.core.agents import COMPOUND_COLUMNS, Agency, Compound, Operator, operator_columns
from sim.core.tables import SlotTable
from sim.measures.metrics import WeekEvents, WeeklyLog
from sim.params.declarations import Params
from sim.policies.types import Levers, make_policy
from sim.rules import enforcement, labour, market
from sim.rules.sitechoice import SiteLayers, choose_site, expected_net, site_layers
from sim.world.space import STATIC_LAYERS, Region, build_region, gaussian_kernel, stamp


class ScamModel(mesa.Model):
    """A region of jurisdictions where scam operators run, move and leave under enforcement.

    Args:
        params: every parameter of the run (``sim.scenario.loader.load_scenario`` builds it from a file);
            defaults to the built-in parameters on a generated map.
        rng: seed; overrides ``params.run.seed`` when given.
    """

    def __init__(self, params: Params | None = None, rng: int | None = None) -> None:
        from sim.scenario.loader import default_params

        params = params if params is not None else default_params()
        seed = int(params.run.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        # Independent streams, so enforcement and policy draws never shift the model's own draws.
        _, enf_seq, pol_seq = np.random.SeedSequence(seed).spawn(3)
        self.enforcement_rng = np.random.default_rng(enf_seq)
        self.policy_rng = np.random.default_rng(pol_seq)

        self.region: Region = build_region(params.map, params.run.km_per_cell)
        r = self.region
        self.grid = OrthogonalMooreGrid((r.width, r.height), torus=False, capacity=params.compounds.cell_capacity, random=self.random)
        for name in STATIC_LAYERS:
            self.grid.add_property_layer(PropertyLayer.from_data(name, getattr(r, name).astype(float)))
        for name in ("heat", "heat_fast", "heat_residual"):
            self.grid.create_property_layer(name, 0.0, dtype=float)
        self.heat_kernel = gaussian_kernel(params.enforcement.heat_spread_cells)

        self.compound_table = SlotTable(COMPOUND_COLUMNS, capacity=512)
        self.operator_table = SlotTable(operator_columns(r.n_jurisdictions), capacity=256)
        self.compound_by_slot: dict[int, Compound] = {}
        self.operator_by_slot: dict[int, Operator] = {}
        self.agencies = [Agency(self, j, name) for j, name in enumerate(r.jurisdiction_names)]
        self.policy = make_policy(params.policy, r, params.enforcement)

        self.week = 0
        self._operators_created = 0
        self.pool = int(params.labour.initial_pool)
        self.occupancy = params.compounds.initial_fill  # market signal: workers / capacity
        self.levers: Levers = self.policy.levers(0)
        self.moves: list[tuple[int, int, int, float, bool, bool]] = []  # week, from, to, km, cross-border, forced
        self.raid_log: list[tuple[int, int, bool]] = []  # week, cell, succeeded
        self.events = WeekEvents()
        self.log = WeeklyLog(r.jurisdiction_names)
        self.hooks = hooks.Hooks()  # observers subscribe after construction: they never see the burn-in
        self.totals = {"repatriated": 0, "retrafficked": 0, "rescued": 0, "attrition": 0, "drifted": 0, "inflow": 0}

        # Initial operators expect compounds spread over the land in proportion to area, so where the
        # market starts is not decided by which operator happened to be placed first.
        share = r.jurisdiction_cells / max(1, r.jurisdiction_cells.sum())
        self._prepare_week(expected=params.operators.initial * params.operators.initial_compounds * share)
        self._populate()
        self._prepare_week()
        self._burn_in(params.run.burn_in_weeks)

    # ---- set-up ---------------------------------------------------------------------------------
    def _populate(self) -> None:
        """Initial operators, each with its compounds placed by the same site choice as later moves."""
        o, c = self.params.operators, self.params.compounds
        for _ in range(o.initial):
            op = self._new_operator(o.capital_mean)
            for _k in range(o.initial_compounds):
                cap = self._draw_capacity()
                workers = round(cap * c.initial_fill)
                choice = self._choose_new_site(op, workers=workers, fixed_cost=0.0, capital=math.inf)
                if choice.cell < 0:
                    break
                Compound(self, op, choice.cell, cap, workers)
                self._count_site(choice.cell, +1)
            if op.n_compounds == 0:
                op.leave()

    def _burn_in(self, weeks: int) -> None:
        """Let the market settle before week 1: the same weekly rules, with the policy not yet started.

        Initial operators place compounds knowing only the raid climate, not where heat will build;
        a few years of the model's own dynamics carry them to where they would be. Nothing of the
        burn-in is recorded, and a run and its counterfactual share it exactly.
        """
        self.week = -weeks
        for _ in range(weeks):
            ScamModel.step(self)  # unwrapped: Mesa's step counter and clock start at week 0
        self.moves.clear()
        self.raid_log.clear()
        self.log = WeeklyLog(self.region.jurisdiction_names)
        self.totals = dict.fromkeys(self.totals, 0)

    def _draw_capacity(self) -> int:
        c = self.params.compounds
        mu = math.log(c.capacity_mean) - c.capacity_sigma**2 / 2
        return max(1, round(float(self.rng.lognormal(mu, c.capacity_sigma))))

    def _new_operator(self, capital_mean: float) -> Operator:
        o = self.params.operators
        capital = float(self.rng.lognormal(math.log(max(capital_mean, 1.0)) - 0.125, 0.5)) if capital_mean > 0 else 0.0
        m, k = o.risk_tolerance, o.risk_tolerance_spread
        tol = float(self.rng.beta(m * k, (1 - m) * k)) if 0 < m < 1 else m
        op = Operator(self, capital, tol)
        if o.syndicates > 0:  # membership by order of arrival: no random draw, so it changes nothing else
            op.syndicate = self._operators_created % o.syndicates
        self._operators_created += 1
        return op

    # ---- the week -------------------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the order documented in docs/ODD.md."""
        self.week += 1
        self.events = WeekEvents()
        self.levers = self.policy.levers(self.week)
        self._decay()
        self._prepare_week()
        self._labour()
        self._accounts()
        self._count_down_moves()
        self._enforce()
        self._move_at_risk()
        self._operators_exit_and_expand()
        self._entry()
        self._age()
        self.policy.end_of_week(self.week)
        self._record()
        if self.hooks.wants(hooks.WeekEnded):
            self.hooks.announce(hooks.WeekEnded(self.week))

    def _decay(self) -> None:
        """A week of forgetting: heat and the notoriety operators carry both decay."""
        e = self.params.enforcement
        enforcement.decay_heat(self.grid.heat_fast.data, self.grid.heat_residual.data, e)
        self.operator_table.notoriety[:] *= enforcement.decay_factor(e.heat_half_life)
        self.grid.heat.data[:] = self.grid.heat_fast.data + self.grid.heat_residual.data

    def _prepare_week(self, expected: np.ndarray | None = None) -> None:
        """Refresh the effective ground (after policy levers), the raid climate and site-choice layers."""
        lv, week = self.levers, self.week
        self.prices = market.prices(self.params.market, lv.demand_reduction, lv.aml_share)
        self.protection_eff, self.concession_eff = self.policy.adjust_ground(
            week, self.grid.protection.data, self.grid.concession.data, self.region.home_protection)
        self.infra_eff = self.grid.infrastructure.data
        cut = self.policy.cut_mask(week)
        if cut is not None:
            # Site choice anticipates substitution: a cut bites for substitution_weeks of the horizon,
            # or for good when the substitutes are cut too.
            horizon = self.params.relocation.horizon_weeks
            lasting = 1.0 if lv.cut_substitutes else min(1.0, lv.substitution_weeks / horizon)
            self.infra_eff = np.where(cut, self.infra_eff * (1.0 - lv.cut_share * lasting), self.infra_eff)
        self._site_counts = self._compound_counts()
        n = self.region.n_jurisdictions
        t = self.compound_table
        slots = t.slots
        jur = self.region.flat_jurisdiction[t.site[slots]].astype(np.int64)
        by_j = np.bincount(jur, minlength=n).astype(float) if expected is None else expected
        known_j = np.bincount(jur[t.known[slots] & (t.relocating[slots] == 0)], minlength=n).astype(float)
        gov, e = self.region.jurisdiction_governance, self.params.enforcement
        self.weekly_raids = enforcement.raid_budget(self.policy.raid_frequency(week), known_j, gov, e)
        # Operators plan as if agencies will know of every compound (they eventually do), so the
        # climate they read is the budget they would face, shared among the compounds present; an
        # announced (or leaked) operation counts from the announcement, before any raid is made.
        expected = self.policy.expected_raid_frequency(week)
        self.climate = enforcement.raid_climate(enforcement.raid_budget(expected, by_j, gov, e), by_j)
        self._layers: SiteLayers | None = None

    @property
    def layers(self) -> SiteLayers:
        """Site-choice inputs, built lazily once a week (a week with no mover never pays for them)."""
        if self._layers is None:
            self._layers = site_layers(
                self.region, self.prices, self.infra_eff, self.protection_eff, self.concession_eff,
                self.grid.heat.data, self.climate, self._site_counts, self.params.compounds.cell_capacity, self.params.relocation,
                self.params.enforcement,
            )
        return self._layers

    def _compound_counts(self) -> np.ndarray:
        t = self.compound_table
        sites = t.site[t.slots]
        return np.bincount(sites, minlength=self.region.n_cells).reshape(self.region.width, self.region.height)

    def _count_site(self, cell: int, delta: int) -> None:
        """Keep this week's occupancy counts and open-cell mask current as compounds come and go."""
        x, y = self.region.xy(cell)
        self._site_counts[x, y] += delta
        if self._layers is not None:
            self._layers.open_cell[cell] = self._site_counts[x, y] < self.params.compounds.cell_capacity

    def _compound_infrastructure(self, slots: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """Infrastructure each compound works with: a cut bites until the compound has substituted.

        A compound under a cut restores power and internet (generators, cross-border lines, satellite)
        after ``substitution_weeks`` of it, unless the substitutes are cut too.
        """
        base = self.grid.infrastructure.data.ravel()[sites]
        cut = self.policy.cut_mask(self.week)
        if cut is None:
            return base
        lv = self.levers
        biting = cut.ravel()[sites] & (lv.cut_substitutes | (self.compound_table.cut_weeks[slots] < lv.substitution_weeks))
        return np.where(biting, base * (1.0 - lv.cut_share), base)

    def _labour(self) -> None:
        """Trafficking inflow, drift out of the pool, attrition from compounds, then hiring."""
        lab, ev, t = self.params.labour, self.events, self.compound_table
        inflow = int(self.rng.poisson(lab.inflow_per_week * self.levers.inflow_factor))
        drift = int(self.rng.binomial(self.pool, lab.pool_exit)) if self.pool and lab.pool_exit > 0 else 0
        self.pool += inflow - drift
        self.totals["inflow"] += inflow
        self.totals["drifted"] += drift
        slots = t.slots
        if len(slots) == 0:
            return
        workers = t.workers[slots]
        if lab.attrition > 0:
            left = self.rng.binomial(workers, lab.attrition)
            workers = workers - left
            ev.attrition = int(left.sum())
            self.totals["attrition"] += ev.attrition
        access = self.grid.labour_access.data.ravel()[t.site[slots]]
        demand = labour.vacancies(t.capacity[slots], workers, access, lab.hiring_rate)
        demand[t.relocating[slots] > 0] = 0.0
        hires = labour.allocate_hires(demand, self.pool)
        t.workers[slots] = workers + hires
        ev.hired = int(hires.sum())
        self.pool -= ev.hired
        cap_total = float(t.capacity[slots].sum())
        self.occupancy = float(t.workers[slots].sum()) / cap_total if cap_total > 0 else 1.0

    def _accounts(self) -> None:
        """Book each compound's revenue and profit to its operator; owners take their payout."""
        t, ot = self.compound_table, self.operator_table
        slots = t.slots
        sites = t.site[slots]
        revenue, profit = market.weekly_accounts(
            t.workers[slots], t.relocating[slots] == 0, self._compound_infrastructure(slots, sites),
            self.protection_eff.ravel()[sites], self.concession_eff.ravel()[sites], self.prices,
        )
        t.revenue[slots] = revenue
        t.profit[slots] = profit
        self.events.revenue_by_j = np.bincount(self.region.flat_jurisdiction[sites].astype(np.int64), weights=revenue,
                                               minlength=self.region.n_jurisdictions)
        by_op = np.bincount(t.operator[slots], weights=profit, minlength=ot.size)
        cap = ot.capital[: ot.size]
        cap += by_op[: ot.size]
        alive = ot.alive[: ot.size]
        payout = np.where(alive & (cap > 0), cap * self.params.market.payout_share, 0.0)
        cap -= payout
        if self.levers.aml_share > 0:  # frozen accounts: anti-money-laundering takes a share of capital too
            cap -= np.where(alive & (cap > 0), cap * self.levers.aml_share / 52.0, 0.0)

    def _enforce(self) -> None:
        """Agencies find compounds, then spend their raid budgets on them in the policy's order."""
        e, t = self.params.enforcement, self.compound_table
        slots = t.slots
        if len(slots) == 0:
            return
        sites = t.site[slots]
        jur = self.region.flat_jurisdiction[sites].astype(np.int64)
        vis = enforcement.visibility(t.workers[slots], t.age[slots], e)
        carried = self.policy.carried_notoriety(self.operator_table.notoriety[t.operator[slots]], jur, self.week)
        exposure = self.grid.heat.data.ravel()[sites] + carried
        p_find = enforcement.detection_probability(
            vis, self.grid.governance.data.ravel()[sites], exposure, self.protection_eff.ravel()[sites],
            self.concession_eff.ravel()[sites], self.policy.detection_multiplier(self, slots, self.week), e,
        )
        draws = self.enforcement_rng.random(len(slots))
        producing = t.relocating[slots] == 0
        found = producing & ~t.known[slots] & (draws < p_find)
        t.known[slots[found]] = True
        known = producing & t.known[slots]

        for agency in self.agencies:
            j = agency.jurisdiction
            weekly = self.weekly_raids[j]
            agency.credit = min(agency.credit + weekly, weekly + 1.0)
            n = int(agency.credit)
            if n <= 0:
                continue
            mine = known & (jur == j)
            if not mine.any():
                continue
            order = self.policy.order_targets(self, j, slots[mine], vis[mine])[:n]
            for slot in order:
                if t.alive[slot] and t.known[slot] and t.relocating[slot] == 0:
                    agency.credit -= 1
                    self._raid(int(slot))

    def _raid(self, slot: int) -> None:
        """Resolve one raid and apply what it did: freed workers, seizure, arrest, heat, the move."""
        e, t, ev = self.params.enforcement, self.compound_table, self.events
        comp = self.compound_by_slot[slot]
        op = comp.operator
        site = comp.site
        workers_before = comp.workers
        j = int(self.region.flat_jurisdiction[site])
        prot = float(self.protection_eff.ravel()[site])
        out = enforcement.resolve_raid(comp.workers, prot, e, self.policy.arrest_probability(self.week, j), self.enforcement_rng)
        ev.raids += 1
        x, y = self.region.xy(site)
        stamp(self.grid.heat_fast.data, x, y, self.heat_kernel, e.heat_per_raid * (1 - e.residual_share))
        stamp(self.grid.heat_residual.data, x, y, self.heat_kernel, e.heat_per_raid * e.residual_share)
        stamp(self.grid.heat.data, x, y, self.heat_kernel, e.heat_per_raid)  # seen by moves later this week
        self.raid_log.append((self.week, site, out.succeeded))
        self.operator_table.notoriety[op.slot, j] += 1.0 if out.succeeded else 0.5
        if out.tipped_off:
            ev.raids_tipped_off += 1
            self._free(out.escaped)
            t.workers[slot] -= out.escaped
            comp.known = False
            self._relocate(comp, forced=True)
        elif out.succeeded:
            ev.raids_succeeded += 1
            ev.rescued += out.rescued
            self.totals["rescued"] += out.rescued
            self._free(out.rescued)
            t.workers[slot] -= out.rescued
            seized = max(op.capital, 0.0) * self.policy.seizure_share(self.week, j)
            op.capital -= seized
            ev.seized += seized
            if out.boss_arrested:
                ev.arrests += 1
                self._end_operator(op, "arrest")
            elif comp.workers > 0:
                self._relocate(comp, forced=True)
            else:
                self._dissolve(comp)
        if op.slot in self.operator_by_slot:
            self.policy.after_raid(self, op.slot, j, site, out)
        if self.hooks.wants(hooks.RaidResolved):
            self.hooks.announce(hooks.RaidResolved(
                self.week, comp.unique_id, op.unique_id, site, j, workers_before, out.tipped_off, out.succeeded,
                out.boss_arrested, self.compound_by_slot.get(slot) is not comp))

    def _count_down_moves(self) -> None:
        """A week of a move has passed (counted after the books, so every move costs its full weeks)."""
        t = self.compound_table
        slots = t.slots
        moving = slots[t.relocating[slots] > 0]
        t.relocating[moving] -= 1

    def _move_at_risk(self) -> None:
        """Compounds whose perceived raid hazard exceeds their operator's tolerance may move."""
        t, e = self.compound_table, self.params.enforcement
        slots = t.slots
        if not self.params.relocation.enabled:
            return
        slots = slots[(t.relocating[slots] == 0) & (t.age[slots] > 0) & (t.review_week[slots] <= self.week)]
        if len(slots) == 0:
            return
        sites = t.site[slots]
        jur = self.region.flat_jurisdiction[sites].astype(np.int64)
        carried = self.policy.carried_notoriety(self.operator_table.notoriety[t.operator[slots]], jur, self.week)
        hazard = enforcement.perceived_hazard(
            self.climate[jur], self.grid.heat.data.ravel()[sites] + carried, self.protection_eff.ravel()[sites], e)
        tolerance = self.operator_table.risk_tolerance[t.operator[slots]]
        for slot in slots[hazard > tolerance]:
            comp = self.compound_by_slot.get(int(slot))
            if comp is not None:
                self._relocate(comp, forced=False)

    def _operators_exit_and_expand(self) -> None:
        """Bankruptcy and idle exits, then expansion by operators that can afford a paying site."""
        o, ot, ev = self.params.operators, self.operator_table, self.events
        slots = ot.slots
        cap = ot.capital[slots]
        ot.negative_weeks[slots] = np.where(cap < 0, ot.negative_weeks[slots] + 1, 0)
        if o.bankruptcy:
            for s in slots[ot.negative_weeks[slots] >= o.bankruptcy_weeks]:
                ev.bankruptcies += 1
                self._end_operator(self.operator_by_slot[int(s)], "bankruptcy")
        open_cost = self.params.compounds.open_cost
        slots = ot.slots
        idle = slots[(ot.n_compounds[slots] == 0) & (ot.capital[slots] < open_cost)]
        for s in idle:
            ev.exits_other += 1
            self._leave(self.operator_by_slot[int(s)], "idle")
        if not self._market_return_ok():
            return
        if o.expansion_rate <= 0:
            return
        slots = ot.slots
        rich = (ot.capital[slots] >= open_cost * o.expansion_reserve) & (ot.n_compounds[slots] < o.max_compounds)
        candidates = slots[rich]
        if len(candidates) == 0:
            return
        draws = self.rng.random(len(candidates))
        for s in candidates[draws < o.expansion_rate]:
            op = self.operator_by_slot[int(s)]
            if self._open_compound(op) is None and op.n_compounds == 0:
                ev.exits_other += 1
                self._leave(op, "no_site")

    def _entry(self) -> None:
        """New operators arrive in proportion to how far the best site's return beats the threshold."""
        en = self.params.entry
        ret = self._best_return()
        mean = min(en.max_rate, en.rate * max(0.0, ret - en.return_threshold))
        n = int(self.rng.poisson(mean)) if mean > 0 else 0
        for _ in range(n):
            op = self._new_operator(en.capital_mean)
            self.events.entrants += 1
            if self._open_compound(op) is None:
                op.leave()  # never ran a compound: not an entrant
                self.events.entrants -= 1
            elif self.hooks.wants(hooks.OperatorEntered):
                self.hooks.announce(hooks.OperatorEntered(self.week, op.unique_id))

    def _age(self) -> None:
        t = self.compound_table
        slots = t.slots
        t.age[slots] += 1
        cut = self.policy.cut_mask(self.week)
        if cut is not None:
            t.cut_weeks[slots] += cut.ravel()[t.site[slots]]

    # ---- moves, openings, exits -------------------------------------------------------------------
    def _value_at_risk(self, op: Operator) -> float:
        r, e = self.params.relocation, self.params.enforcement
        return r.base_cost + r.sunk_share * self.params.compounds.open_cost + e.seizure_share * max(op.capital, 0.0)

    def _relocate(self, comp: Compound, forced: bool) -> None:
        """Move a compound by site choice; a forced move with nowhere to go ends the compound."""
        r = self.params.relocation
        if not r.enabled:
            if forced:
                self._dissolve(comp)
            return
        op = comp.operator
        origin = comp.site
        choice = choose_site(
            self.layers, self.region, self.rng,
            workers=comp.workers, notoriety=self.policy.notoriety_map(self.operator_table.notoriety[op.slot], self.week),
            capital=op.capital, value_at_risk=self._value_at_risk(op), origin=origin, stay_allowed=not forced,
            fixed_move_cost=r.base_cost + r.sunk_share * self.params.compounds.open_cost, r=r, e=self.params.enforcement,
            leave_origin=forced,
        )
        if choice.cell < 0:  # no affordable, profitable site: not even staying pays
            self._dissolve(comp)
            return
        if choice.cell == origin and not forced:
            comp.table.review_week[comp.slot] = self.week + r.review_weeks  # decided to stay: not again for a while
            return
        op.capital -= choice.move_cost
        km = float(self.region.distance_km(origin)[choice.cell])
        cross = self.region.crosses_border(origin, choice.cell)
        ev = self.events
        ev.relocations += 1
        ev.forced_relocations += int(forced)
        ev.distances_km.append(km)
        ev.cross_border += int(cross)
        self.moves.append((self.week, origin, choice.cell, km, cross, forced))
        self._count_site(origin, -1)
        self._count_site(choice.cell, +1)
        comp.place(choice.cell)
        comp.relocating = r.weeks
        if self.hooks.wants(hooks.CompoundMoved):
            self.hooks.announce(hooks.CompoundMoved(self.week, comp.unique_id, op.unique_id, origin, choice.cell, km, cross, forced))

    def _choose_new_site(self, op: Operator, workers: float | np.ndarray | None = None, fixed_cost: float | None = None,
                         capital: float | None = None):
        c, r = self.params.compounds, self.params.relocation
        origin = -1
        if op.n_compounds > 0:
            t = self.compound_table
            mine = t.slots[t.operator[t.slots] == op.slot]
            origin = int(t.site[mine[np.argmax(t.workers[mine])]])
        if workers is None:
            workers = c.capacity_mean * self.occupancy * self.grid.labour_access.data.ravel()
        return choose_site(
            self.layers, self.region, self.rng,
            workers=workers, notoriety=self.policy.notoriety_map(self.operator_table.notoriety[op.slot], self.week),
            capital=op.capital if capital is None else capital, value_at_risk=self._value_at_risk(op), origin=origin,
            stay_allowed=False, fixed_move_cost=c.open_cost if fixed_cost is None else fixed_cost, r=r, e=self.params.enforcement,
        )

    def _open_compound(self, op: Operator) -> Compound | None:
        """Open a compound at a chosen site if its expected return clears the threshold."""
        choice = self._choose_new_site(op)
        if choice.cell < 0:
            return None
        if choice.expected_net * 52.0 / max(self.params.compounds.open_cost, 1.0) < self.params.entry.return_threshold:
            return None
        op.capital -= choice.move_cost
        comp = Compound(self, op, choice.cell, self._draw_capacity(), 0)
        self._count_site(choice.cell, +1)
        self.events.opened += 1
        if self.hooks.wants(hooks.CompoundOpened):
            self.hooks.announce(hooks.CompoundOpened(self.week, comp.unique_id, op.unique_id, choice.cell))
        return comp

    def _best_return(self) -> float:
        """Annual return on set-up cost of a new compound at the best cell (the entry signal)."""
        c = self.params.compounds
        workers = c.capacity_mean * self.occupancy * self.grid.labour_access.data.ravel()
        r = self.params.relocation
        net = expected_net(self.layers, workers, np.zeros(self.region.n_jurisdictions), r.base_cost + r.sunk_share * c.open_cost,
                           self.params.enforcement)
        net = np.where(self.layers.open_cell, net, -np.inf)
        best = float(net.max()) if net.size else -math.inf
        return best * 52.0 / max(c.open_cost, 1.0) if math.isfinite(best) else 0.0

    def _market_return_ok(self) -> bool:
        return self._best_return() >= self.params.entry.return_threshold

    def _free(self, n: int) -> None:
        """Freed people (rescued, escaped, released) go home or back into the pool."""
        share = self.levers.repatriation_share
        if share is None:
            share = self.params.enforcement.repatriation_share
        home, back = labour.split_freed(n, share, self.rng)
        self.events.repatriated += home
        self.events.retrafficked += back
        self.totals["repatriated"] += home
        self.totals["retrafficked"] += back
        self.pool += back

    def _dissolve(self, comp: Compound) -> None:
        """Close a compound for good; its workers are released."""
        released, cell = comp.workers, comp.site
        self._free(released)
        self._count_site(cell, -1)
        comp.close()
        self.events.dissolved += 1
        if self.hooks.wants(hooks.CompoundClosed):
            self.hooks.announce(hooks.CompoundClosed(self.week, comp.unique_id, comp.operator.unique_id, cell, released))

    def _end_operator(self, op: Operator, reason: str) -> None:
        """The operator is gone (its boss arrested, or bankrupt): its compounds close with it."""
        compounds = op.n_compounds
        for comp in op.compounds:
            self._dissolve(comp)
        self._leave(op, reason, compounds)

    def _leave(self, op: Operator, reason: str, compounds: int = 0) -> None:
        op.leave()
        if self.hooks.wants(hooks.OperatorLeft):
            self.hooks.announce(hooks.OperatorLeft(self.week, op.unique_id, reason, compounds))

    # ---- observation ------------------------------------------------------------------------------
    def workers_held(self) -> int:
        t = self.compound_table
        return int(t.workers[t.slots].sum())

    def _record(self) -> None:
        t, ev, r = self.compound_table, self.events, self.region
        slots = t.slots
        sites = t.site[slots]
        jur = r.flat_jurisdiction[sites].astype(np.int64)
        workers = t.workers[slots]
        n = r.n_jurisdictions
        values = {
            "week": self.week,
            "compounds": len(slots),
            "relocating": int((t.relocating[slots] > 0).sum()),
            "workers_held": int(workers.sum()),
            "pool": self.pool,
            "revenue": float(ev.revenue_by_j.sum()),
            "operators": self.operator_table.count(),
            "relocations": ev.relocations,
            "forced_relocations": ev.forced_relocations,
            "mean_relocation_km": float(np.mean(ev.distances_km)) if ev.distances_km else float("nan"),
            "cross_border_relocations": ev.cross_border,
            "raids": ev.raids,
            "raids_succeeded": ev.raids_succeeded,
            "raids_tipped_off": ev.raids_tipped_off,
            "workers_rescued": ev.rescued,
            "workers_repatriated": ev.repatriated,
            "workers_retrafficked": ev.retrafficked,
            "workers_hired": ev.hired,
            "workers_lost_attrition": ev.attrition,
            "bosses_arrested": ev.arrests,
            "bankruptcies": ev.bankruptcies,
            "operator_exits_other": ev.exits_other,
            "compounds_opened": ev.opened,
            "compounds_dissolved": ev.dissolved,
            "entrants": ev.entrants,
            "capital_seized": ev.seized,
            "operator_capital": float(self.operator_table.capital[self.operator_table.slots].sum()),
        }
        self.log.append(
            values,
            np.bincount(jur, weights=workers, minlength=n).astype(np.int64),
            np.bincount(jur, minlength=n),
            ev.revenue_by_j,
        )

    def branch(self, params: Params) -> ScamModel:
        """A copy of this model that goes on under another policy, everything else the same.

        Only at week 0 (after the burn-in, before any policy has acted) is this the same as building
        the model with ``params`` from scratch: sweeps use it to share one burn-in among every policy
        of a replication.
        """
        if self.week != 0:
            raise ValueError(f"a model can only branch at week 0, not week {self.week}")
        if dataclasses.replace(params, policy=self.params.policy) != self.params:
            raise ValueError("a branch may change only the policy")
        clone = copy.deepcopy(self, memo={id(self.hooks): hooks.Hooks()})  # observers stay with the original
        clone.params = params
        clone.policy = make_policy(params.policy, clone.region, params.enforcement)
        return clone

    def run(self, weeks: int | None = None, progress=None) -> ScamModel:
        """Run ``weeks`` weeks (default: the scenario's), calling ``progress(week)`` after each."""
        for _ in range(self.params.run.weeks if weeks is None else weeks):
            self.step()
            if progress is not None:
                progress(self.week)
        return self
