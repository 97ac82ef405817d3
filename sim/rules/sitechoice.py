"""Where operators put a compound: a logit choice over every cell of the region at once.

This is the heart of displacement. An operator scores each cell by the weekly net income it expects
there over its planning horizon (revenue at the cell's infrastructure, minus protection rent, upkeep,
running cost, and the expected loss from raids it reads into heat and its own notoriety), minus the
cost of getting there (distance, crossing a border, rebuilding what it leaves behind), plus the value
of neighbouring compounds (agglomeration). It picks a cell with logit probabilities
``p ~ exp(beta * utility)``, drawn exactly by the Gumbel-max trick so one choice costs one vector of
draws. Cells it cannot afford, full cells and cells that would lose money are never chosen. A
moving compound may also be offered a destination off the map (``OutsideOption``, priced by
``sim.rules.overseas``): scored the same way, with its Gumbel noise from a stream of its own.

The per-cell terms every mover shares are the week's layers (``sim.rules.sitelayers``). On a map that is
mostly sea they come with a land view, and a choice scores the land cells only: the same arithmetic on each
of them and the same draws, so the same cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.params.declarations import EnforcementParams, RelocationParams
from sim.rules.enforcement import shield_factor
from sim.rules.kernels import numba_kernels
from sim.rules.sitelayers import SiteLayers
from sim.world.space import Region, outside_last

#: Utilities are in US$ millions, so ``logit_beta`` and ``agglomeration`` have readable magnitudes.
MILLION = 1.0e6


@dataclass(slots=True)
class Choice:
    """The chosen cell (or -1 when no cell is feasible), its move cost and expected weekly net.

    ``overseas`` marks the outside option: the compound leaves the map (``cell`` is then -1 too).
    Read-only by convention: not ``frozen``, because a frozen dataclass costs several times more to
    build, and one is built for every choice.
    """

    cell: int
    move_cost: float
    expected_net: float
    overseas: bool = False


NO_SITE = Choice(-1, 0.0, 0.0)


@dataclass(slots=True)
class OutsideOption:
    """A destination off the map, scored like one more cell (built by ``sim.rules.overseas.outside_option``).

    Read-only by convention (not ``frozen``, which would cost more to build than to use).

    ``rng`` is a stream of its own: its Gumbel draw never comes from the stream the cells use, so a
    model consumes exactly the same numbers from its main stream whether or not the option exists.
    """

    net_per_worker: float  # US$/week a worker nets the operator there
    fixed_cost: float  # US$/week running cost there
    hazard: float  # perceived weekly raid hazard there
    move_cost: float  # US$ to get there
    rng: np.random.Generator


def expected_net(
    layers: SiteLayers,
    workers: float | np.ndarray,
    notoriety: np.ndarray,
    value_at_risk: float,
    e: EnforcementParams,
) -> np.ndarray:
    """Weekly net income an operator expects at each cell, after its expected raid losses.

    Written with ``out=`` buffers for speed, but each value is the same operations in the same order as
    ``workers * net_per_worker - fixed_cost - hazard * value_at_risk [* loss_factor]``, so bit-identical.
    """
    if any(notoriety.tolist()):  # a handful of jurisdictions: Python's any is several times cheaper than ndarray.any here
        n = len(notoriety)
        padded = np.empty(n + 1)
        padded[:n] = notoriety
        padded[n] = 0.0
        index = layers.jurisdiction_or_last
        if index is None:
            index = outside_last(layers.jurisdiction, n)
        hazard = padded.take(index, mode="clip")  # cells outside the region pick the 0
        np.add(layers.exposure, hazard, out=hazard)
        neg_shield = _neg_shield(layers, e)
        # perceived_hazard_into then * value_at_risk, with its two negations moved onto the factors:
        # -(x) * s == x * (-s) and -(y) * v == y * (-v) exactly in IEEE arithmetic (the sign of a product
        # is the sign rule alone), so each cell's loss has the same bits with two fewer passes over the grid.
        loss = hazard
        np.multiply(loss, e.risk_perception, out=loss)
        np.add(loss, layers.climate, out=loss)
        np.multiply(loss, neg_shield, out=loss)
        np.expm1(loss, out=loss)
        np.multiply(loss, -value_at_risk, out=loss)
    else:  # the common case: an operator no agency has noticed yet
        loss = layers.base_hazard * value_at_risk
    if layers.loss_factor is not None:  # an escape route: a raid is expected to cost less (borders.escape_valued)
        np.multiply(loss, layers.loss_factor, out=loss)
    net = workers * layers.net_per_worker
    np.subtract(net, layers.fixed_cost, out=net)
    return np.subtract(net, loss, out=net)


def _neg_shield(layers: SiteLayers, e: EnforcementParams) -> np.ndarray:
    """``-shield`` of every cell: the layers' own (site_layers sets it), else derived from what they hold."""
    if layers.neg_shield is not None:
        return layers.neg_shield
    return np.negative(layers.shield if layers.shield is not None else shield_factor(layers.protection, e))


def choose_site(
    layers: SiteLayers,
    region: Region,
    rng: np.random.Generator,
    *,
    workers: float | np.ndarray,
    notoriety: np.ndarray,
    capital: float,
    value_at_risk: float,
    origin: int,
    stay_allowed: bool,
    fixed_move_cost: float | np.ndarray,
    leave_origin: bool = False,
    r: RelocationParams,
    e: EnforcementParams,
    outside: OutsideOption | None = None,
    worth: Callable[[float], bool] | None = None,
) -> Choice:
    """Pick a cell for one compound.

    ``origin`` is the current cell of a moving compound (or an operator's base for a new one; -1 for
    an entrant with no base). ``fixed_move_cost`` is what any destination costs (rebuilding, or a new
    compound's set-up). ``workers`` may be a per-cell array (a new compound expects to hire more where
    labour access is better). ``leave_origin`` rules out the origin itself (a raided site cannot
    simply be reoccupied). ``outside`` adds a destination off the map to the same logit: its score
    (the same utility, plus Gumbel noise drawn from its own stream) competes with the best cell's.

    ``worth`` (optional) is the caller's test of the chosen cell's expected net, a test that any larger
    net passes too (``moves.open_compound``: the return clears the entry threshold). When not even the
    largest expected net of a feasible cell passes it, whichever cell would be chosen fails it as well,
    so the scoring is skipped and ``NO_SITE`` returned, after the same random draws as a full choice.

    Switched on (``sim.rules.kernels``: the ``fast`` extra and ``SCAMSIM_NUMBA_AFTER``), the work below
    runs as a few compiled loops, ``_choose_compiled``, with the same bits.
    """
    kernels = numba_kernels()
    if kernels is not None:
        return _choose_compiled(kernels, layers, region, rng, workers, notoriety, capital, value_at_risk, origin, stay_allowed,
                                fixed_move_cost, leave_origin, r, e, outside)
    n = layers.net_per_worker.shape[0]
    view, terms, cells, at, workers, fixed_move_cost = _on_view(layers, region, origin, workers, fixed_move_cost)
    net = expected_net(view, workers, notoriety, value_at_risk, e)
    free_origin = stay_allowed and origin >= 0
    if origin >= 0 and isinstance(fixed_move_cost, float):  # the usual case: one cached vector per origin and price
        move, move_max = terms.move_cost_and_max(origin, fixed_move_cost, r.cost_per_km, r.border_cost, free_origin)  # (read-only)
    else:
        if origin >= 0:
            move = fixed_move_cost + r.cost_per_km * terms.distance_km(origin) + r.border_cost * terms.abroad(origin)
            if stay_allowed:
                move[at] = 0.0
        else:
            move = np.full(net.shape, fixed_move_cost)
        move_max = float(move.max()) if move.size else 0.0
    if capital >= move_max:  # the usual case: every destination is affordable (skips one comparison)
        feasible = net > 0
    else:
        feasible = move <= capital
        feasible &= net > 0
    feasible &= view.open_cell
    if free_origin:
        feasible[at] = net[at] > 0
    elif leave_origin:
        feasible[at] = False
    # Gumbel(0, 1) noise as -log of a standard exponential (about twice as fast as rng.gumbel); drawn
    # whatever the outcome, so every choice costs the same random numbers, one per cell of the whole grid
    # (land view or not).
    # (kept as log(exponential) = -gumbel and subtracted below: a - b is a + (-b) exactly in IEEE arithmetic)
    minus_gumbel = rng.standard_exponential(size=n)
    if cells is not None:
        minus_gumbel = minus_gumbel.take(cells)
    if worth is not None and outside is None:
        # net * feasible is net on feasible cells and 0 elsewhere, so its max bounds every feasible net (it is
        # NaN when an infeasible net is not finite: then the full choice decides)
        bound = float((net * feasible).max(initial=0.0))
        if bound == bound and not worth(bound):
            return NO_SITE
    np.log(minus_gumbel, out=minus_gumbel)
    away = outside_score(outside, workers, capital, value_at_risk, r)
    # score = beta * ((horizon * net - move) / MILLION + agglomeration) + gumbel, in place, same order
    score = r.horizon_weeks * net
    np.subtract(score, move, out=score)
    np.divide(score, MILLION, out=score)
    np.add(score, view.agglomeration, out=score)
    np.multiply(score, r.logit_beta, out=score)
    np.subtract(score, minus_gumbel, out=score)
    np.logical_not(feasible, out=feasible)
    np.putmask(score, feasible, -np.inf)  # the infeasible cells can never win
    k = int(score.argmax()) if score.size else 0
    best = score[k] if score.size else -np.inf
    if best == -np.inf and feasible.all():  # no feasible cell (``feasible`` now marks the infeasible ones)
        return NO_SITE if away is None else away[1]
    if away is not None and away[0] > best:
        return away[1]
    return Choice(k if cells is None else int(cells[k]), float(move[k]), float(net[k]))


def _choose_compiled(kernels: tuple, layers: SiteLayers, region: Region, rng: np.random.Generator, workers: float | np.ndarray,
                     notoriety: np.ndarray, capital: float, value_at_risk: float, origin: int, stay_allowed: bool,
                     fixed_move_cost: float | np.ndarray, leave_origin: bool, r: RelocationParams, e: EnforcementParams,
                     outside: OutsideOption | None) -> Choice:
    """``choose_site`` through the numba kernels: numpy's draws, logarithm and expm1, the rest fused (same bits)."""
    hazard_argument, score_cells = kernels
    minus_gumbel = rng.standard_exponential(size=layers.net_per_worker.shape[0])  # the numpy path's draws, in its order
    view, terms, cells, at, workers, fixed_move_cost = _on_view(layers, region, origin, workers, fixed_move_cost)
    if cells is not None:
        minus_gumbel = minus_gumbel.take(cells)
    np.log(minus_gumbel, out=minus_gumbel)
    n = view.net_per_worker.shape[0]
    if any(notoriety.tolist()):
        neg_shield = _neg_shield(view, e)
        loss_base = np.empty(n)
        hazard_argument(view.exposure, np.asarray(notoriety, dtype=float), view.jurisdiction, float(e.risk_perception),
                        view.climate, neg_shield, loss_base)
        np.expm1(loss_base, out=loss_base)
        loss_scale = -value_at_risk
    else:
        loss_base, loss_scale = view.base_hazard, value_at_risk
    per_cell = isinstance(workers, np.ndarray) and workers.ndim != 0
    free_origin = stay_allowed and origin >= 0
    move, move_fixed, distance, abroad, move_const = _EMPTY, _EMPTY, _EMPTY, _EMPTY, 0.0
    if origin >= 0 and isinstance(fixed_move_cost, float):
        mode, move = 0, terms.move_cost_and_max(origin, fixed_move_cost, r.cost_per_km, r.border_cost, free_origin)[0]
    elif origin >= 0:
        mode, move_fixed, distance, abroad = 1, _per_cell(fixed_move_cost, n), terms.distance_km(origin), terms.abroad(origin)
    elif isinstance(fixed_move_cost, np.ndarray) and fixed_move_cost.ndim != 0:
        mode, move = 0, _per_cell(fixed_move_cost, n)
    else:
        mode, move_const = 2, float(fixed_move_cost)
    cell, best, net, move_cost, any_feasible = score_cells(
        view.net_per_worker, workers if per_cell else _EMPTY, 0.0 if per_cell else float(workers), view.fixed_cost,
        loss_base, float(loss_scale), _EMPTY if view.loss_factor is None else view.loss_factor,
        move, move_fixed, distance, abroad, move_const, mode, float(r.cost_per_km), float(r.border_cost),
        at, stay_allowed, free_origin, leave_origin, float(capital), view.open_cell, view.agglomeration, minus_gumbel,
        float(r.horizon_weeks), MILLION, float(r.logit_beta),
    )
    away = outside_score(outside, workers, capital, value_at_risk, r)
    if best == -np.inf and not any_feasible:
        return NO_SITE if away is None else away[1]
    if away is not None and away[0] > best:
        return away[1]
    return Choice(int(cell) if cells is None else int(cells[cell]), float(move_cost), float(net))


def _on_view(layers: SiteLayers, region: Region, origin: int, workers: float | np.ndarray,
             fixed_move_cost: float | np.ndarray) -> tuple:
    """What a choice scores: ``(layers, region, None, origin, workers, fixed_move_cost)`` over every cell, or, when the
    layers have a land view and the origin (if any) is on land, the view's layers, the region's land index (whose
    move costs, distances and border terms are the region's at the land cells), the view's cells, the origin's
    position among them, and per-cell ``workers`` and ``fixed_move_cost`` taken at its cells."""
    land = layers.land
    if land is None or (origin >= 0 and land.position[origin] < 0):
        return layers, region, None, origin, workers, fixed_move_cost
    cells = land.cells
    if isinstance(workers, np.ndarray) and workers.ndim != 0:
        workers = workers.take(cells)
    if isinstance(fixed_move_cost, np.ndarray) and fixed_move_cost.ndim != 0:
        fixed_move_cost = fixed_move_cost.take(cells)
    return land.layers, region.land_index, cells, int(land.position[origin]) if origin >= 0 else -1, workers, fixed_move_cost


_EMPTY = np.empty(0)


def _per_cell(values: float | np.ndarray, n: int) -> np.ndarray:
    """``values`` as a writable contiguous float vector of ``n`` cells (as is when it already is one: one kernel signature)."""
    a = np.asarray(values, dtype=float)
    if a.shape == (n,) and a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.full(n, a)


def outside_score(
    outside: OutsideOption | None, workers: float | np.ndarray, capital: float, value_at_risk: float, r: RelocationParams,
) -> tuple[float, Choice] | None:
    """The outside option's Gumbel-max score and its choice, or None when there is none or it is not feasible.

    Its utility is a cell's: ``horizon`` weeks of expected net (after the raid hazard it reads there,
    on the same value at risk) less the move cost, in US$ millions, with no agglomeration. Its one
    Gumbel draw is made whenever the option exists, feasible or not, so its stream advances one
    number per choice whatever happens.
    """
    if outside is None:
        return None
    draw = outside.rng.standard_exponential()
    if isinstance(workers, np.ndarray) and workers.ndim != 0:  # np.ndim without its overhead (called once per choice)
        raise ValueError("the outside option is for one compound with a known number of workers, not a per-cell array")
    net = float(workers) * outside.net_per_worker - outside.fixed_cost - outside.hazard * value_at_risk
    if outside.move_cost > capital or net <= 0:
        return None  # drawn all the same; its logarithm is needed only when the option is feasible
    gumbel = -float(np.log(draw))
    utility = (r.horizon_weeks * net - outside.move_cost) / MILLION
    return r.logit_beta * utility + gumbel, Choice(-1, outside.move_cost, net, overseas=True)
