"""Moves, openings, closures and exits: how compounds and operators change place or leave.

Functions over the model's data (``m`` is the ``ScamModel``), called by the weekly phases in
``sim.core.phases``. Each applies a rule's result to the tables, counts it in the week's events and
announces it to observers (``sim.core.hooks``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.common.constants import WEEKS_PER_YEAR
from sim.core import hooks
from sim.core.agents import Compound, Operator
from sim.rules import labour
from sim.rules.sitechoice import Choice, choose_site, expected_net
from sim.rules.sitelayers import SiteLayers

if TYPE_CHECKING:
    from sim.core.model import ScamModel

#: Floor (US$) on the set-up cost that returns are measured against, so a free compound has a finite return.
MIN_OPEN_COST = 1.0


def annual_return(net_per_week: float, open_cost: float) -> float:
    """Yearly net income of a compound as a share of what it costs to set up (the entry signal)."""
    return net_per_week * WEEKS_PER_YEAR / max(open_cost, MIN_OPEN_COST)


def count_site(m: ScamModel, cell: int, delta: int) -> None:
    """Keep this week's site-choice counts and open-cell mask current as compounds come and go.

    Both belong to the week's site-choice layers; before they are built (a week with no mover so
    far) there is nothing to keep current: they are built from the compound table when first needed.
    """
    if m._layers is None:
        return
    m._site_changes += 1  # what best_return keeps depends on the counts
    counts = m._site_counts.reshape(-1)  # a flat view: cell i is [i // height, i % height]
    counts[cell] += delta
    m._layers.set_open(cell, counts[cell] < m.params.compounds.cell_capacity)


def heat_changed(m: ScamModel) -> None:
    """A raid stamped heat: the week's site-choice layers see it (their land view holds a copy of it)."""
    if m._layers is not None:
        m._layers.refresh_exposure()


def value_at_risk(m: ScamModel, op: Operator) -> float:
    """What a raid would cost the operator: rebuilding elsewhere and the capital a raid seizes."""
    r, e = m.params.relocation, m.params.enforcement
    return r.base_cost + r.sunk_share * m.params.compounds.open_cost + e.seizure_share * max(op.capital, 0.0)


def relocate(m: ScamModel, comp: Compound, forced: bool) -> None:
    """Move a compound by site choice; a forced move with nowhere to go ends the compound."""
    r = m.params.relocation
    if not r.enabled:
        if forced:
            dissolve(m, comp)
        return
    op = comp.operator
    origin = comp.site
    rebuild = r.sunk_share * m.params.compounds.open_cost  # what a move leaves behind: saved where an empty building stands
    choice = choose_site(
        m.layers, m.region, m.rng,
        workers=comp.workers, notoriety=m.policy.notoriety_map(m.operator_table.notoriety[op.slot], m.week),
        capital=op.capital, value_at_risk=value_at_risk(m, op), origin=origin, stay_allowed=not forced,
        fixed_move_cost=m.premises.cost_layer(r.base_cost + rebuild, rebuild), r=r, e=m.params.enforcement,
        leave_origin=forced, outside=m.outside,
    )
    if choice.overseas:
        go_overseas(m, comp, choice, forced)
        return
    if choice.cell < 0:  # no affordable, profitable site: not even staying pays
        dissolve(m, comp)
        return
    if choice.cell == origin and not forced:
        comp.table.review_week[comp.slot] = m.week + r.review_weeks  # decided to stay: not again for a while
        return
    move_to(m, comp, choice.cell, choice.move_cost, forced)


def move_to(m: ScamModel, comp: Compound, cell: int, cost: float, forced: bool) -> None:
    """Move a compound to ``cell`` at ``cost`` to its operator (chosen by site choice, or by its protector)."""
    r, op, origin = m.params.relocation, comp.operator, comp.site
    op.capital -= cost
    km = m.region.distance_between(origin, cell)
    cross = m.region.crosses_border(origin, cell)
    ev = m.events
    ev.relocations += 1
    ev.forced_relocations += int(forced)
    ev.distances_km.append(km)
    ev.cross_border += int(cross)
    m.moves.append((m.week, origin, cell, km, cross, forced))
    count_site(m, origin, -1)
    count_site(m, cell, +1)
    comp.place(cell)
    comp.relocating = r.weeks
    m.premises.move(comp.slot, cell, comp.capacity, op.unique_id, m.week)
    if m.hooks.wants(hooks.CompoundMoved):
        m.hooks.announce(hooks.CompoundMoved(m.week, comp.unique_id, op.unique_id, origin, cell, km, cross, forced))


def go_overseas(m: ScamModel, comp: Compound, choice: Choice, forced: bool) -> None:
    """The compound leaves the map for overseas with its people: a move (destination -1), not a closure.

    It is counted and announced as a relocation (``CompoundMoved`` with destination -1, crossing a
    border, ``overseas.distance_km`` away), leaves the compound table, and goes on in the overseas
    ledger. An operator left with no compound on the map leaves the regional market (reason ``overseas``).
    """
    o = m.params.overseas
    op, origin, workers = comp.operator, comp.site, comp.workers
    op.capital -= choice.move_cost
    ev = m.events
    ev.relocations += 1
    ev.forced_relocations += int(forced)
    ev.distances_km.append(o.distance_km)
    ev.cross_border += 1
    m.moves.append((m.week, origin, -1, o.distance_km, True, forced))
    m.overseas.add(m.week, comp.unique_id, op.unique_id, workers, comp.capacity, o.weeks)
    m.totals["departed_overseas"] += workers
    row = m.overseas.row(m.week)
    row["departures"] += 1
    row["workers_departed"] += workers
    count_site(m, origin, -1)
    m.premises.vacate(comp.slot, m.week)  # the building stays behind, empty
    comp.close()
    m.overseas.close_row(m.week)
    if m.hooks.wants(hooks.CompoundMoved):
        m.hooks.announce(hooks.CompoundMoved(m.week, comp.unique_id, op.unique_id, origin, -1, o.distance_km, True, forced))
    if op.n_compounds == 0:
        row["operators_left"] += 1
        leave(m, op, "overseas")


def new_compound_workers(m: ScamModel) -> np.ndarray:
    """Workers a new compound expects at each cell: an average compound at this week's occupancy, by labour access.

    Kept while the occupancy and mean capacity stay the same (a week's expansions and entries share one
    vector, which no caller writes to): the same product of the same numbers.
    """
    mean, occupancy = m.params.compounds.capacity_mean, m.occupancy
    kept = m._new_compound_workers
    if kept is not None and kept[0] == mean and kept[1] == occupancy and kept[2] is m.region:
        return kept[3]
    workers = mean * occupancy * m.region.labour_access.ravel()
    m._new_compound_workers = (mean, occupancy, m.region, workers)
    return workers


def choose_new_site(m: ScamModel, op: Operator, workers: float | np.ndarray | None = None, fixed_cost: float | None = None,
                    capital: float | None = None, worth: Callable[[float], bool] | None = None) -> Choice:
    """Where the operator would open a compound: from its largest compound's cell, or from nowhere.

    ``worth``: the caller's test of the chosen cell's expected net (``sitechoice.choose_site``).
    """
    c, r = m.params.compounds, m.params.relocation
    origin = -1
    if op.n_compounds > 0:
        t = m.compound_table
        slots = t.slots
        mine = slots[t.operator[slots] == op.slot]
        origin = t.site.item(mine[t.workers[mine].argmax()])
    if workers is None:
        workers = new_compound_workers(m)
    fixed = c.open_cost if fixed_cost is None else fixed_cost
    return choose_site(
        m.layers, m.region, m.rng,
        workers=workers, notoriety=m.policy.notoriety_map(m.operator_table.notoriety[op.slot], m.week),
        capital=op.capital if capital is None else capital, value_at_risk=value_at_risk(m, op), origin=origin,
        stay_allowed=False, fixed_move_cost=m.premises.cost_layer(fixed, fixed), r=r, e=m.params.enforcement, worth=worth,
    )


def open_compound(m: ScamModel, op: Operator) -> Compound | None:
    """Open a compound at a chosen site if its expected return clears the threshold."""
    open_cost, threshold = m.params.compounds.open_cost, m.params.entry.return_threshold
    choice = choose_new_site(m, op, worth=lambda net: not annual_return(net, open_cost) < threshold)
    if choice.cell < 0:
        return None
    if annual_return(choice.expected_net, open_cost) < threshold:
        return None
    op.capital -= choice.move_cost
    comp = Compound(m, op, choice.cell, m.draw_capacity(), 0)
    m.premises.occupy(comp.slot, choice.cell, comp.capacity, op.unique_id, m.week)
    count_site(m, choice.cell, +1)
    m.events.opened += 1
    if m.hooks.wants(hooks.CompoundOpened):
        m.hooks.announce(hooks.CompoundOpened(m.week, comp.unique_id, op.unique_id, choice.cell))
    return comp


def best_return(m: ScamModel) -> float:
    """Annual return on set-up cost of a new compound at the best cell (the entry signal).

    Asked twice a week (expansion, then entry); the second time gives the first answer again when nothing
    it reads has changed: the same week's layers, no compound counted on or off a cell since
    (``count_site``), the same occupancy.
    """
    layers = m.layers
    key = (layers, m._site_changes, m.occupancy)
    kept = m._best_return
    if kept is not None and kept[0] is key[0] and kept[1] == key[1] and kept[2] == key[2]:
        return kept[3]
    value = _best_return(m, layers)
    m._best_return = (*key, value)
    return value


def _best_return(m: ScamModel, layers: SiteLayers) -> float:
    c, r = m.params.compounds, m.params.relocation
    net = expected_net(layers, new_compound_workers(m), np.zeros(m.region.n_jurisdictions), r.base_cost + r.sunk_share * c.open_cost,
                       m.params.enforcement)
    net = np.where(layers.open_cell, net, -np.inf)
    best = float(net.max()) if net.size else -math.inf
    return annual_return(best, c.open_cost) if math.isfinite(best) else 0.0


def free(m: ScamModel, n: int) -> None:
    """Freed people (rescued, escaped, released) go home or back into the pool."""
    share = m.levers.repatriation_share
    if share is None:
        share = m.params.enforcement.repatriation_share
    home, back = labour.split_freed(n, share, m.rng)
    m.events.repatriated += home
    m.events.retrafficked += back
    m.totals["repatriated"] += home
    m.totals["retrafficked"] += back
    m.pool += back


def free_overseas(m: ScamModel, n: int) -> tuple[int, int]:
    """People freed overseas: repatriated or re-trafficked by the map's split, drawn from the overseas stream.

    The re-trafficked go back into the regional pool (the recruiters who supply both). They are counted
    in the totals ``overseas_repatriated`` and ``overseas_retrafficked``, apart from the map's own, so
    the regional flows stay regional; the repatriated reach their origins like those freed on the map.
    """
    share = m.levers.repatriation_share
    if share is None:
        share = m.params.enforcement.repatriation_share
    home, back = labour.split_freed(n, share, m.overseas_rng)
    m.pool += back
    m.totals["overseas_repatriated"] += home
    m.totals["overseas_retrafficked"] += back
    return home, back


def dissolve(m: ScamModel, comp: Compound) -> None:
    """Close a compound for good; its workers are released."""
    released, cell = comp.workers, comp.site
    free(m, released)
    count_site(m, cell, -1)
    operator = comp.operator.unique_id
    m.premises.vacate(comp.slot, m.week)
    comp.close()
    m.events.dissolved += 1
    if m.hooks.wants(hooks.CompoundClosed):
        m.hooks.announce(hooks.CompoundClosed(m.week, comp.unique_id, operator, cell, released))


def end_operator(m: ScamModel, op: Operator, reason: str) -> None:
    """The operator is gone (its boss arrested, or bankrupt): its compounds close with it."""
    compounds = op.n_compounds
    for comp in op.compounds:
        dissolve(m, comp)
    leave(m, op, reason, compounds)


def leave(m: ScamModel, op: Operator, reason: str, compounds: int = 0) -> None:
    """The operator leaves the market (its compounds already closed)."""
    op.leave()
    if m.hooks.wants(hooks.OperatorLeft):
        m.hooks.announce(hooks.OperatorLeft(m.week, op.unique_id, reason, compounds))
