"""The phases of a week, as functions over the model's data (``m`` is the ``ScamModel``).

``ScamModel.step`` calls them in the order documented in docs/ODD.md ("Process overview and
scheduling"). Each runs a rule from ``sim.rules`` over whole columns of agent state, or asks the policy
for a decision, and applies the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.common.constants import WEEKS_PER_YEAR
from sim.core import hooks, moves, recruiting
from sim.core.record import building_counts, markets_outside_the_map
from sim.policies.types import Compounds
from sim.rules import enforcement, labour, market
from sim.rules import overseas as ledger
from sim.world.space import stamp

if TYPE_CHECKING:
    from sim.core.model import ScamModel

#: Notoriety an operator gains with the raiding agency from a successful raid, and from one that
#: failed or was tipped off (it was still found and targeted): assumptions, in units of heat.
NOTORIETY_RAID_SUCCEEDED = 1.0
NOTORIETY_RAID_FAILED = 0.5
#: Raids an agency may carry into the next week beyond that week's budget (unused credit is capped).
RAID_CREDIT_CARRY = 1.0


def decay(m: ScamModel) -> None:
    """A week of forgetting: heat and the notoriety operators carry both decay."""
    e, heat, fast, residual = m.params.enforcement, m.heat, m.heat_fast, m.heat_residual
    enforcement.decay_heat(fast, residual, e)
    m.operator_table.notoriety[:] *= enforcement.decay_factor(e.heat_half_life)
    heat[:] = fast + residual


def compound_infrastructure(m: ScamModel, slots: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Infrastructure each compound works with: a cut bites until the compound has substituted.

    A compound under a cut restores power and internet (generators, cross-border lines, satellite)
    after ``substitution_weeks`` of it, unless the substitutes are cut too.
    """
    base = m.region.infrastructure.ravel()[sites]
    cut = m.policy.cut_mask(m.week)
    if cut is None:
        return base
    lv = m.levers
    biting = cut.ravel()[sites] & (lv.cut_substitutes | (m.compound_table.cut_weeks[slots] < lv.substitution_weeks))
    share = lv.cut_share if m.borders.relief is None else m.borders.cut_share(m, cut, lv.cut_share).ravel()[sites]
    return np.where(biting, base * (1.0 - share), base)


def hire(m: ScamModel) -> None:
    """Victims' yield and recruitment (``sim.core.recruiting``), drift out of the pool, attrition, then hiring."""
    lab, ev, t = m.params.labour, m.events, m.compound_table
    recruiting.victims_week(m)
    inflow = recruiting.recruit(m)
    drift = int(m.rng.binomial(m.pool, lab.pool_exit)) if m.pool and lab.pool_exit > 0 else 0
    m.pool += inflow - drift
    m.totals["inflow"] += inflow
    m.totals["drifted"] += drift
    slots = t.slots
    if len(slots) == 0:
        return
    workers = t.workers[slots]
    if lab.attrition > 0:
        left = m.rng.binomial(workers, lab.attrition)
        workers = workers - left
        ev.attrition = int(left.sum())
        m.totals["attrition"] += ev.attrition
    access = m.region.labour_access.ravel()[t.site[slots]]
    demand = labour.vacancies(t.capacity[slots], workers, access, lab.hiring_rate)
    demand[t.relocating[slots] > 0] = 0.0
    recruiting.note_vacancies(m, float(demand.sum()), m.pool)
    hires = labour.allocate_hires(demand, m.pool)
    t.workers[slots] = workers + hires
    ev.hired = int(hires.sum())
    m.pool -= ev.hired
    cap_total = float(t.capacity[slots].sum())
    m.occupancy = float(t.workers[slots].sum()) / cap_total if cap_total > 0 else 1.0


def overseas(m: ScamModel) -> None:
    """A week of the operations overseas: closures free their people, attrition, hiring from the pool, proceeds.

    Hosts first take in how many operations are there (``host_attention``), which sets the week's closure
    hazard (``host_closure_hazard``; fixed unless ``overseas.host_saturation`` > 0).

    Runs after the map's hiring, so overseas operations recruit from what the map's compounds left in
    the pool. Draws only from the ledger's own stream, and nothing at all while the ledger is empty.
    """
    led, o = m.overseas, m.params.overseas
    m.overseas_news = (0, len(led))  # closures seen this week, among the operations abroad when it began
    led.attention = ledger.host_attention(led.attention, len(led), o)  # hosts see the operations there as the week begins
    hazard = ledger.host_closure_hazard(led.attention, o)
    if len(led) == 0:
        if o.enabled:
            led.row(m.week).update(host_attention=led.attention, closure_hazard=hazard)
            led.close_row(m.week)
        return
    lab = m.params.labour
    week = ledger.ledger_week(led.workers, led.capacity, led.setup, m.pool, o, lab.attrition, lab.hiring_rate, m.prices,
                              m.overseas_rng, hazard)
    row = led.row(m.week)
    row.update(host_attention=led.attention, closure_hazard=hazard)
    home, back = moves.free_overseas(m, week.freed)
    m.overseas_news = (int(week.closed.sum()), len(led))
    row.update(closed=int(week.closed.sum()), freed=week.freed, repatriated=home, retrafficked=back,
               attrition=int(week.attrition.sum()), hired=int(week.hires.sum()), proceeds=float(week.proceeds.sum()))
    m.pool -= row["hired"]
    m.totals["overseas_hired"] += row["hired"]
    m.totals["overseas_attrition"] += row["attrition"]
    led.workers = led.workers - week.attrition + week.hires
    led.workers[week.closed] = 0
    led.setup = np.maximum(led.setup - 1, 0)
    led.keep(~week.closed)
    led.close_row(m.week)


def accounts(m: ScamModel) -> None:
    """Book each compound's revenue and profit to its operator; owners take their payout."""
    t, ot = m.compound_table, m.operator_table
    slots = t.slots
    sites = t.site[slots]
    charged = m.protectors.fee_protection(m, sites, m.protection_eff.ravel()[sites])
    revenue, profit = market.weekly_accounts(
        t.workers[slots], t.relocating[slots] == 0, compound_infrastructure(m, slots, sites),
        charged, m.concession_eff.ravel()[sites], m.prices,
    )
    m.protectors.collect(m, sites, revenue, charged)
    t.revenue[slots] = revenue
    m.events.revenue_by_j = np.bincount(m.region.flat_jurisdiction[sites].astype(np.int64), weights=revenue,
                                        minlength=m.region.n_jurisdictions)
    by_op = np.bincount(t.operator[slots], weights=profit, minlength=ot.size)
    cap = ot.capital[: ot.size]
    cap += by_op[: ot.size]
    m.syndicate_book.settle(m, by_op)
    alive = ot.alive[: ot.size]
    payout = np.where(alive & (cap > 0), cap * m.params.market.payout_share, 0.0)
    cap -= payout
    if m.levers.aml_share > 0:  # frozen accounts: anti-money-laundering takes a share of capital too
        cap -= np.where(alive & (cap > 0), cap * m.levers.aml_share / WEEKS_PER_YEAR, 0.0)


def count_down_moves(m: ScamModel) -> None:
    """A week of a move has passed (counted after the books, so every move costs its full weeks)."""
    t = m.compound_table
    slots = t.slots
    moving = slots[t.relocating[slots] > 0]
    t.relocating[moving] -= 1


def enforce(m: ScamModel) -> None:
    """Agencies find compounds, then spend their raid budgets on them in the policy's order."""
    e, t = m.params.enforcement, m.compound_table
    m.protectors.act(m)
    m.syndicate_book.strike(m)
    slots = t.slots
    if len(slots) == 0:
        return
    sites = t.site[slots]
    jur = m.region.flat_jurisdiction[sites].astype(np.int64)
    vis = enforcement.visibility(t.workers[slots], t.age[slots], e)
    notoriety = m.operator_table.notoriety
    carried = m.policy.carried_notoriety(notoriety[t.operator[slots]], jur, m.week)
    exposure = m.heat.ravel()[sites] + carried
    p_find = enforcement.detection_probability(
        vis, m.region.governance.ravel()[sites], exposure, m.protection_eff.ravel()[sites],
        m.concession_eff.ravel()[sites], m.policy.detection_multiplier(sites, m.week), e,
    )
    draws = m.enforcement_rng.random(len(slots))
    producing = t.relocating[slots] == 0
    found = producing & ~t.known[slots] & (draws < p_find)
    t.known[slots[found]] = True
    known = producing & t.known[slots]

    for agency in m.agencies:
        j = agency.jurisdiction
        weekly = m.weekly_raids[j]
        agency.credit = min(agency.credit + weekly, weekly + RAID_CREDIT_CARRY)
        n = int(agency.credit)
        if n <= 0:
            continue
        mine = known & (jur == j)
        if not mine.any():
            continue
        targets = slots[mine]
        order = m.policy.order_targets(m.week, j, targets, vis[mine], sites[mine], t.operator[targets], notoriety)[:n]
        for slot in order:
            if t.alive[slot] and t.known[slot] and t.relocating[slot] == 0:
                agency.credit -= 1
                raid(m, int(slot))
    m.campaigns.spend(m, raid)


def raid(m: ScamModel, slot: int) -> None:
    """Resolve one raid and apply what it did: freed workers, seizure, arrest, heat, the move."""
    e, t, ev = m.params.enforcement, m.compound_table, m.events
    comp = m.compound_by_slot[slot]
    op = comp.operator
    site = comp.site
    workers_before = comp.workers
    building = m.premises.building_of(slot)
    j = int(m.region.flat_jurisdiction[site])
    prot = float(m.protection_eff.ravel()[site])
    escape = m.borders.escape_route(site)
    out = enforcement.resolve_raid(comp.workers, prot, e, m.policy.arrest_probability(m.week, j), m.enforcement_rng,
                                   tipoff=m.protectors.tipoff(m, site, prot),
                                   evacuation_loss=e.evacuation_loss * m.params.borders.escape_loss_factor if escape else None)
    ev.raids += 1
    (x, y), heat, fast, residual = m.region.xy(site), m.heat, m.heat_fast, m.heat_residual
    stamp(fast, x, y, m.heat_kernel, e.heat_per_raid * (1 - e.residual_share))
    stamp(residual, x, y, m.heat_kernel, e.heat_per_raid * e.residual_share)
    stamp(heat, x, y, m.heat_kernel, e.heat_per_raid)  # seen by moves later this week
    moves.heat_changed(m)
    m.raid_log.append((m.week, site, out.succeeded))
    m.operator_table.notoriety[op.slot, j] += NOTORIETY_RAID_SUCCEEDED if out.succeeded else NOTORIETY_RAID_FAILED
    if out.tipped_off:
        ev.raids_tipped_off += 1
        moves.free(m, out.escaped)
        t.workers[slot] -= out.escaped
        comp.known = False
        before = op.capital
        moves.relocate(m, comp, forced=True)
        if escape:  # across the border the move costs less
            op.capital += max(before - op.capital, 0.0) * (1.0 - m.params.borders.escape_cost_factor)
    elif out.succeeded:
        ev.raids_succeeded += 1
        ev.rescued += out.rescued
        m.totals["rescued"] += out.rescued
        m.campaigns.publicised(m, j, out.rescued)
        moves.free(m, out.rescued)
        t.workers[slot] -= out.rescued
        seized = max(op.capital, 0.0) * m.policy.seizure_share(m.week, j)
        op.capital -= seized
        ev.seized += seized
        if out.boss_arrested:
            ev.arrests += 1
            m.syndicate_book.arrested(m, op)
            moves.end_operator(m, op, "arrest")
        elif comp.workers > 0:
            moves.relocate(m, comp, forced=True)
        else:
            moves.dissolve(m, comp)
    m.premises.after_raid(building, m.week, m.policy.demolish_share(m.week, j))
    # The policy sees every raid (hotspot pressure builds whatever became of the operator); a follow-up
    # along the operator needs an operator still in the market.
    if m.policy.after_raid(m.week, j, site) and op.slot in m.operator_by_slot:
        live = t.slots
        view = Compounds(live, t.operator[live], t.site[live], t.known[live], t.relocating[live])
        t.known[m.policy.follow_up(op.slot, j, view, m.policy_rng)] = True
    if m.hooks.wants(hooks.RaidResolved):
        m.hooks.announce(hooks.RaidResolved(
            m.week, comp.unique_id, op.unique_id, site, j, workers_before, out.tipped_off, out.succeeded,
            out.boss_arrested, m.compound_by_slot.get(slot) is not comp))


def move_at_risk(m: ScamModel) -> None:
    """Compounds whose perceived raid hazard exceeds their operator's tolerance may move."""
    t, e = m.compound_table, m.params.enforcement
    slots = t.slots
    if not m.params.relocation.enabled:
        return
    slots = slots[(t.relocating[slots] == 0) & (t.age[slots] > 0) & (t.review_week[slots] <= m.week)]
    if len(slots) == 0:
        return
    sites = t.site[slots]
    jur = m.region.flat_jurisdiction[sites].astype(np.int64)
    carried = m.policy.carried_notoriety(m.operator_table.notoriety[t.operator[slots]], jur, m.week)
    hazard = enforcement.perceived_hazard(
        m.climate[jur], m.heat.ravel()[sites] + carried, m.protection_eff.ravel()[sites], e)
    tolerance = m.operator_table.risk_tolerance[t.operator[slots]]
    for slot in slots[hazard > tolerance]:
        comp = m.compound_by_slot.get(int(slot))
        if comp is not None:
            moves.relocate(m, comp, forced=False)


def exit_and_expand(m: ScamModel) -> None:
    """Bankruptcy and idle exits, then expansion by operators that can afford a paying site."""
    o, ot, ev = m.params.operators, m.operator_table, m.events
    slots = ot.slots
    cap = ot.capital[slots]
    ot.negative_weeks[slots] = np.where(cap < 0, ot.negative_weeks[slots] + 1, 0)
    if o.bankruptcy:
        for s in slots[ot.negative_weeks[slots] >= o.bankruptcy_weeks]:
            ev.bankruptcies += 1
            moves.end_operator(m, m.operator_by_slot[int(s)], "bankruptcy")
    open_cost = m.params.compounds.open_cost
    slots = ot.slots
    idle = slots[(ot.n_compounds[slots] == 0) & (ot.capital[slots] < open_cost)]
    for s in idle:
        ev.exits_other += 1
        moves.leave(m, m.operator_by_slot[int(s)], "idle")
    if moves.best_return(m) < m.params.entry.return_threshold:
        return
    if o.expansion_rate <= 0:
        return
    slots = ot.slots
    rich = (ot.capital[slots] >= open_cost * o.expansion_reserve) & (ot.n_compounds[slots] < o.max_compounds)
    candidates = slots[rich]
    if len(candidates) == 0:
        return
    draws = m.rng.random(len(candidates))
    for s in candidates[draws < o.expansion_rate]:
        op = m.operator_by_slot[int(s)]
        if moves.open_compound(m, op) is None and op.n_compounds == 0:
            ev.exits_other += 1
            moves.leave(m, op, "no_site")


def entry(m: ScamModel) -> None:
    """New operators arrive in proportion to how far the best site's return beats the threshold."""
    en = m.params.entry
    ret = moves.best_return(m)
    mean = min(en.max_rate, en.rate * max(0.0, ret - en.return_threshold))
    n = int(m.rng.poisson(mean)) if mean > 0 else 0
    for _ in range(n):
        op = m.new_operator(en.capital_mean)
        m.events.entrants += 1
        if moves.open_compound(m, op) is None:
            op.leave()  # never ran a compound: not an entrant
            m.events.entrants -= 1
        elif m.hooks.wants(hooks.OperatorEntered):
            m.hooks.announce(hooks.OperatorEntered(m.week, op.unique_id))


def age(m: ScamModel) -> None:
    """A week at the site: visibility grows with it, and so does the clock of substitution under a cut."""
    t = m.compound_table
    slots = t.slots
    t.age[slots] += 1
    cut = m.policy.cut_mask(m.week)
    if cut is not None:
        t.cut_weeks[slots] += cut.ravel()[t.site[slots]]
def record(m: ScamModel) -> None:
    """The week's row of the weekly log: stocks at the end of the week and the week's events."""
    t, ev, r = m.compound_table, m.events, m.region
    slots = t.slots
    sites = t.site[slots]
    jur = r.flat_jurisdiction[sites].astype(np.int64)
    workers = t.workers[slots]
    n = r.n_jurisdictions
    values = {
        "week": m.week,
        "compounds": len(slots),
        "relocating": int((t.relocating[slots] > 0).sum()),
        "workers_held": int(workers.sum()),
        "pool": m.pool,
        "revenue": float(ev.revenue_by_j.sum()),
        "operators": m.operator_table.count(),
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
        "operator_capital": float(m.operator_table.capital[m.operator_table.slots].sum()),
        **markets_outside_the_map(m, int(workers.sum()), float(ev.revenue_by_j.sum())),
        **building_counts(m),
    }
    m.log.append(
        values,
        np.bincount(jur, weights=workers, minlength=n).astype(np.int64),
        np.bincount(jur, minlength=n),
        ev.revenue_by_j,
        m.climate.copy(),
    )
