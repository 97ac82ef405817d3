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

from sim.core import hooks, moves, phases
from sim.core.agents import COMPOUND_COLUMNS, Agency, Compound, Operator, operator_columns
from sim.core.borders import Borders
from sim.core.buildings import Premises
from sim.core.campaigns import Campaigns
from sim.core.protectors import Protectors, Syndicates
from sim.core.record import WeekEvents, WeeklyLog
from sim.core.tables import SlotTable
from sim.params.declarations import Params
from sim.policies.timeline import SINGLE_POLICY_STREAM, build_policy, event_stream
from sim.policies.types import Levers
from sim.rules import beliefs, enforcement, market, recruitment, victims
from sim.rules.borders import escape_loss_layer
from sim.rules.overseas import Ledger, outside_option
from sim.rules.sitechoice import OutsideOption
from sim.rules.sitelayers import SiteLayers, site_layers
from sim.world.space import Region, build_region, gaussian_kernel

#: Log-normal spread (sigma of the log) of an operator's starting capital around its mean (an assumption).
CAPITAL_SIGMA = 0.5
#: Floor (US$) on the mean of starting capital, so its logarithm is defined.
MIN_CAPITAL_MEAN = 1.0
#: Initial rows of the compound and operator tables (they grow as needed; the size changes no result).
COMPOUND_ROWS, OPERATOR_ROWS = 512, 256
#: Child of the run's SeedSequence that feeds the overseas option and ledger (children 0-2 are the model's own).
OVERSEAS_STREAM = 5


class ScamModel(mesa.Model):
    """A region of jurisdictions where scam operators run, move and leave under enforcement.

    Args:
        params: every parameter of the run (``sim.scenario.loader.load_scenario`` builds it from a file,
            ``sim.scenario.loader.default_params`` gives the built-in defaults on a generated map).
        rng: seed; overrides ``params.run.seed`` when given.
    """

    def __init__(self, params: Params, rng: int | None = None) -> None:
        seed = int(params.run.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        # Independent streams, so enforcement and policy draws never shift the model's own draws.
        _, enf_seq, pol_seq = np.random.SeedSequence(seed).spawn(3)
        self.enforcement_rng = np.random.default_rng(enf_seq)
        # A single [policy] draws from the stream a timeline event named SINGLE_POLICY_STREAM would, so a
        # timeline of that one event gives the same bytes, follow-ups included (sim.policies.timeline).
        self.policy_rng = event_stream(pol_seq, SINGLE_POLICY_STREAM)
        self.policy_seed = pol_seq  # a timeline's events derive their own streams from it (sim.policies.timeline)
        # The world outside the map: its own stream (drawn only when the option is on), and its ledger.
        self.overseas_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(OVERSEAS_STREAM + 1)[OVERSEAS_STREAM])
        self._outside: tuple | None = None  # (prices, stream, hazard, option) of the last outside option built (``outside``)
        # Operators' belief about the raid hazard overseas (used under overseas.risk_belief = "learned"; ODD 7.13):
        # the prior, whether a closure abroad has been seen, and this week's news (closures, operations abroad).
        self.overseas_belief = np.array([params.overseas.raid_hazard])
        self.overseas_belief_seen = np.zeros(1, dtype=bool)
        self.overseas_news = (0, 0)
        self.overseas = Ledger()
        # Protectors' and networks' draws: child 13 of the seed, clear of the model's own children.
        self.network_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(13,)))

        self.region: Region = build_region(params.map, params.run.km_per_cell)
        r = self.region
        # The cells' dynamic state, (width, height) arrays: the heat raids leave, in a fast and a residual part,
        # and their sum (the static layers are the region's). Plain arrays: the model never needed a Mesa grid's
        # cells and connections, which cost more to build than a run spends on the heat itself.
        self.heat_fast, self.heat_residual, self.heat = (np.zeros((r.width, r.height)) for _ in range(3))
        self.heat_kernel = gaussian_kernel(params.enforcement.heat_spread_cells)

        self.compound_table = SlotTable(COMPOUND_COLUMNS, capacity=COMPOUND_ROWS)
        self.operator_table = SlotTable(operator_columns(r.n_jurisdictions), capacity=OPERATOR_ROWS)
        self.compound_by_slot: dict[int, Compound] = {}  # the one registry from slot to handle
        self.operator_by_slot: dict[int, Operator] = {}
        self.premises = Premises(params.premises, r.n_cells, seed)  # buildings; its own random stream
        self.agencies = [Agency(self, j, name) for j, name in enumerate(r.jurisdiction_names)]
        self.policy = build_policy(params, r, self.policy_seed)
        self.protectors = Protectors(self)
        self.syndicate_book = Syndicates(self)
        self.campaigns = Campaigns(self, self.protectors.names, self.protectors.owner)
        self.borders = Borders(r, params.borders.escape_cells, params.borders.relief_cells)

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
        # Site choice's reuse within a week (sim.core.moves), each kept only while everything it reads is unchanged:
        # moves on and off cells counted (count_site), the entry signal's last answer (best_return) and new
        # compounds' expected workers (new_compound_workers).
        self._site_changes = 0
        self._best_return: tuple | None = None
        self._new_compound_workers: tuple | None = None
        self.totals = {"repatriated": 0, "retrafficked": 0, "rescued": 0, "attrition": 0, "drifted": 0, "inflow": 0,
                       "departed_overseas": 0, "overseas_hired": 0, "overseas_attrition": 0, "overseas_repatriated": 0,
                       "overseas_retrafficked": 0}
        # The recruitment market's and the victims' own state (sim.core.recruiting applies their rules).
        self.recruitment = recruitment.initial_state(params.recruitment, params.labour.inflow_per_week)
        self.victims = victims.initial_state(params.victims)

        # Initial operators expect compounds spread over the land in proportion to area, so where the
        # market starts is not decided by which operator happened to be placed first.
        share = r.jurisdiction_cells / max(1, r.jurisdiction_cells.sum())
        expected = params.operators.initial * params.operators.initial_compounds * share
        self._init_beliefs(expected)
        self._prepare_week(expected=expected)
        self._populate()
        self._prepare_week()
        self._burn_in(params.run.burn_in_weeks)

    # ---- set-up ---------------------------------------------------------------------------------
    def _populate(self) -> None:
        """Initial operators, each with its compounds placed by the same site choice as later moves."""
        o, c = self.params.operators, self.params.compounds
        for _ in range(o.initial):
            op = self.new_operator(o.capital_mean)
            for _k in range(o.initial_compounds):
                cap = self.draw_capacity(c.capacity_mean * c.initial_size_share)  # x * 1.0 is x: the default draws as before
                workers = round(cap * c.initial_fill)
                choice = moves.choose_new_site(self, op, workers=workers, fixed_cost=0.0, capital=math.inf)
                if choice.cell < 0:
                    break
                comp = Compound(self, op, choice.cell, cap, workers)
                self.premises.occupy(comp.slot, choice.cell, cap, op.unique_id, self.week)
                moves.count_site(self, choice.cell, +1)
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
        self.premises.forget_history()
        self.log = WeeklyLog(self.region.jurisdiction_names)
        recruitment.rebase(self.recruitment, self.repatriated_total())  # the person ledger opens at week 0 too
        self.totals = dict.fromkeys(self.totals, 0)
        self.overseas.rows.clear()  # operations overseas stay; their record starts at week 1
        self.recruitment.opening = recruitment.ledger_total(self.people)

    def draw_capacity(self, mean: float | None = None) -> int:
        """Capacity of a new compound: log-normal with mean ``compounds.capacity_mean`` (or ``mean``: the week-0 compounds')."""
        c = self.params.compounds
        mu = math.log(c.capacity_mean if mean is None else mean) - c.capacity_sigma**2 / 2
        return max(1, round(float(self.rng.lognormal(mu, c.capacity_sigma))))

    def new_operator(self, capital_mean: float) -> Operator:
        """A new operator: log-normal capital with mean ``capital_mean``, Beta-distributed risk tolerance."""
        o = self.params.operators
        mu = math.log(max(capital_mean, MIN_CAPITAL_MEAN)) - CAPITAL_SIGMA**2 / 2
        capital = float(self.rng.lognormal(mu, CAPITAL_SIGMA)) if capital_mean > 0 else 0.0
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
        phases.decay(self)
        self._prepare_week()
        phases.hire(self)
        phases.overseas(self)
        phases.accounts(self)
        phases.count_down_moves(self)
        phases.enforce(self)
        phases.move_at_risk(self)
        phases.exit_and_expand(self)
        phases.entry(self)
        phases.age(self)
        self._learn_risk()
        self.policy.end_of_week(self.week)
        self.premises.end_week(self.week)
        phases.record(self)
        if self.hooks.wants(hooks.WeekEnded):
            self.hooks.announce(hooks.WeekEnded(self.week))

    def _prepare_week(self, expected: np.ndarray | None = None) -> None:
        """Refresh the effective ground (after policy levers), the raid climate and site-choice layers."""
        lv, week = self.levers, self.week
        self.prices = market.prices(self.params.market, lv.demand_reduction, lv.aml_share)
        campaign_raids = self.campaigns.advance(self)
        self.protectors.respond(self)
        self.protection_eff, self.concession_eff = self.policy.adjust_ground(
            week, self.region.protection, self.region.concession, self.region.home_protection)
        self.protection_eff = self.protectors.ground(self, self.protection_eff)
        self.infra_eff = self.region.infrastructure
        cut = self.policy.cut_mask(week)
        if cut is not None:
            # Site choice anticipates substitution: a cut bites for substitution_weeks of the horizon,
            # or for good when the substitutes are cut too.
            horizon = self.params.relocation.horizon_weeks
            lasting = 1.0 if lv.cut_substitutes else min(1.0, lv.substitution_weeks / horizon)
            share = lv.cut_share if self.borders.relief is None else self.borders.cut_share(self, cut, lv.cut_share)
            self.infra_eff = np.where(cut, self.infra_eff * (1.0 - share * lasting), self.infra_eff)
        n = self.region.n_jurisdictions
        t = self.compound_table
        slots = t.slots
        jur = self.region.flat_jurisdiction[t.site[slots]].astype(np.int64)
        by_j = np.bincount(jur, minlength=n).astype(float) if expected is None else expected
        known_j = np.bincount(jur[t.known[slots] & (t.relocating[slots] == 0)], minlength=n).astype(float)
        gov, e = self.region.jurisdiction_governance, self.params.enforcement
        self.weekly_raids = enforcement.raid_budget(self.policy.raid_frequency(week), known_j, gov, e)
        self.belief = beliefs.hear_announcement(
            self.belief, self.policy.announcement(week), by_j, gov, e.announcement_credibility, e)
        self._belief_compounds = by_j
        self._belief_raids_from = len(self.raid_log)
        if e.risk_belief == "learned":
            # Operators learn of a programme or a campaign from the raids it makes (``_learn_risk``).
            self.climate = np.minimum(1.0, self.belief)
        else:
            # Operators plan as if agencies will know of every compound (they eventually do), so the
            # climate they read is the budget they would face, shared among the compounds present; an
            # announced (or leaked) operation counts from the announcement, before any raid is made.
            expected = self.policy.expected_raid_frequency(week)
            budget = enforcement.raid_budget(expected, by_j, gov, e)
            if campaign_raids is not None:  # operators hear of a campaign as of any raid programme
                budget = budget + campaign_raids
            self.climate = enforcement.raid_climate(budget, by_j)
        self._layers: SiteLayers | None = None
        self._site_counts: np.ndarray | None = None  # compounds per cell, kept current with the layers

    def _init_beliefs(self, expected: np.ndarray) -> None:
        """Beliefs about each jurisdiction's raid hazard before week one of the burn-in (``sim.rules.beliefs``).

        They are kept under either ``enforcement.risk_belief``, so a run under the old rule still shows
        what operators would have learned; only under ``learned`` do they set the climate operators read.
        """
        self.belief = beliefs.prior_belief(expected, self.region.jurisdiction_governance, self.params.enforcement)
        self.belief_seen = np.zeros(self.region.n_jurisdictions, dtype=bool)  # a raid was seen there
        self.belief_log: list[beliefs.BeliefRow] = []  # one row a week, burn-in weeks (week <= 0) included

    def _learn_risk(self) -> None:
        """The week's news: raids made in each jurisdiction, per compound it held when the week began."""
        n = self.region.n_jurisdictions
        cells = [cell for _w, cell, _ok in self.raid_log[self._belief_raids_from:]]
        raids = beliefs.raids_by_jurisdiction(cells, self.region.flat_jurisdiction, n)
        held = self.belief
        rate = beliefs.learning_rate(self.params.enforcement.belief_half_life)
        self.belief, self.belief_seen = beliefs.learn(held, self.belief_seen, raids, self._belief_compounds, rate)
        self.belief_log.append(beliefs.BeliefRow(self.week, held, raids, self._belief_compounds))
        if self.params.overseas.enabled and self.params.overseas.risk_belief == "learned":
            # The same rule abroad: operations closed overseas this week, per operation there when it began.
            closed, operations = self.overseas_news
            self.overseas_belief, self.overseas_belief_seen = beliefs.learn(
                self.overseas_belief, self.overseas_belief_seen, np.array([float(closed)]), np.array([float(operations)]), rate)

    @property
    def layers(self) -> SiteLayers:
        """Site-choice inputs, built lazily once a week (a week with no mover never pays for them).

        They are a cache of this week's ground and of where compounds stand; ``moves.count_site``
        keeps the counts and open cells current as compounds open, move and close.
        """
        if self._layers is None:
            self._site_counts = self.compound_counts()
            b = self.params.borders
            self._layers = site_layers(
                self.region, self.prices, self.infra_eff, self.protection_eff, self.concession_eff,
                self.heat, self.climate, self._site_counts, self.params.compounds.cell_capacity, self.params.relocation,
                self.params.enforcement,
                loss_factor=escape_loss_layer(self.borders.escape, b.escape_loss_factor, b.escape_valued),
            )
        return self._layers

    @property
    def outside(self) -> OutsideOption | None:
        """The overseas destination movers may choose this week (None when overseas is off).

        Built once per prices (they change when the victims' yield is set, phase 3), not once per mover;
        keyed on the stream too, so a branch never scores with its parent's.
        """
        o = self.params.overseas
        if not o.enabled:
            return None
        hazard = float(self.overseas_belief[0]) if o.risk_belief == "learned" else o.raid_hazard
        hit = self._outside
        if hit is None or hit[0] is not self.prices or hit[1] is not self.overseas_rng or hit[2] != hazard:
            hit = self._outside = (self.prices, self.overseas_rng, hazard, outside_option(o, self.prices, self.overseas_rng, hazard))
        return hit[3]

    def compound_counts(self) -> np.ndarray:
        """Compounds on each cell, ``[x, y]``."""
        t = self.compound_table
        sites = t.site[t.slots]
        return np.bincount(sites, minlength=self.region.n_cells).reshape(self.region.width, self.region.height)

    # ---- observation ------------------------------------------------------------------------------
    def workers_held(self) -> int:
        """People held in compounds now."""
        t = self.compound_table
        return int(t.workers[t.slots].sum())

    @property
    def people(self) -> dict[str, int]:
        """The person ledger: every person's place now and the cumulative flows (``sim.rules.recruitment.ledger``)."""
        t = self.totals
        pending = self.repatriated_total() - self.recruitment.seen_repatriated
        return recruitment.ledger(self.recruitment, self.pool, self.workers_held() + self.overseas.held(), pending,
                                  t["attrition"] + t["overseas_attrition"], t["drifted"])

    def repatriated_total(self) -> int:
        """People freed and sent home so far, on the map and overseas."""
        return self.totals["repatriated"] + self.totals["overseas_repatriated"]

    def branch(self, params: Params) -> ScamModel:
        """A copy of this model that goes on under another policy, everything else the same.

        Only at week 0 (after the burn-in, before any policy has acted) is this the same as building
        the model with ``params`` from scratch: sweeps use it to share one burn-in among every policy
        of a replication.
        """
        if self.week != 0:
            raise ValueError(f"a model can only branch at week 0, not week {self.week}")
        if dataclasses.replace(params, policy=self.params.policy, timeline=self.params.timeline) != self.params:
            raise ValueError("a branch may change only the policy")
        clone = copy.deepcopy(self, memo={id(self.hooks): hooks.Hooks()})  # observers stay with the original
        clone.params = params
        clone.policy = build_policy(params, clone.region, clone.policy_seed)
        clone.protectors.set_policy(clone.policy)
        clone.syndicate_book.set_policy(clone.policy)
        return clone

    def run(self, weeks: int | None = None, progress=None) -> ScamModel:
        """Run ``weeks`` weeks (default: the scenario's), calling ``progress(week)`` after each."""
        for _ in range(self.params.run.weeks if weeks is None else weeks):
            self.step()
            if progress is not None:
                progress(self.week)
        return self
