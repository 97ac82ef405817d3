"""The numba kernels behind ``sim.rules.kernels`` (imported only when numba is installed and not disabled).

Every value is computed with the numpy code's operations in the numpy code's order (``sitechoice.expected_net``
and ``choose_site``), with no fastmath: LLVM then neither reassociates nor fuses a multiply and an add.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# cache=True: compiled once per machine and Python, then loaded from __pycache__.
# error_model="numpy": no ZeroDivisionError check on the division (the divisor is the constant 1e6).
_jit = njit(cache=True, nogil=True, error_model="numpy")


@_jit
def hazard_argument(exposure, notoriety, jurisdiction, risk_perception, climate, neg_shield, out):
    """``((exposure + notoriety[jurisdiction]) * risk_perception + climate) * neg_shield`` into ``out``.

    The argument of ``expm1`` in ``sitechoice.expected_net``'s notoriety path (a cell outside every
    jurisdiction reads a notoriety of 0.0, added all the same, as the numpy code does).
    """
    n = notoriety.shape[0]
    for i in range(out.shape[0]):
        j = jurisdiction[i]
        x = exposure[i] + (notoriety[j] if 0 <= j < n else 0.0)
        x = x * risk_perception
        x = x + climate[i]
        out[i] = x * neg_shield[i]


@_jit
def score_cells(net_per_worker, workers, worker_scalar, fixed_cost, loss_base, loss_scale, loss_factor,
                move, move_fixed, distance, abroad, move_const, move_mode, cost_per_km, border_cost,
                origin, stay_allowed, free_origin, leave_origin, capital, open_cell, agglomeration, score,
                horizon, million, beta):
    """``sitechoice.choose_site`` over the cells: expected net, move cost, feasibility, score, argmax.

    ``score`` holds log(exponential draws) (minus the Gumbel noise) on entry and each cell's score
    (-inf where infeasible) on return. ``workers`` is per cell, or empty for ``worker_scalar``;
    ``loss_factor`` is empty for 1 (no multiplication). ``move_mode``: 0 reads ``move``, 1 computes
    ``move_fixed + cost_per_km * distance + border_cost * abroad`` (0 at the origin when staying is
    allowed), 2 is ``move_const`` everywhere. Returns ``(cell, best score, expected net there, move cost
    there, any feasible cell)``, with numpy's argmax rule: the first maximum, or the first NaN.
    The origin is rescored after the loop with its own rule (free when staying is allowed: feasible if
    it pays, whether or not the cell is full; excluded when the compound must leave).
    """
    n = net_per_worker.shape[0]
    # Simple loops, one job each, so that LLVM can vectorise them (each is exact: no reassociation, no FMA).
    net = np.empty(n)
    for i in range(n):  # the expected raid loss
        net[i] = loss_base[i] * loss_scale
    if loss_factor.shape[0] > 0:
        for i in range(n):
            net[i] = net[i] * loss_factor[i]
    if workers.shape[0] > 0:  # the expected net
        for i in range(n):
            net[i] = ((workers[i] * net_per_worker[i]) - fixed_cost[i]) - net[i]
    else:
        for i in range(n):
            net[i] = ((worker_scalar * net_per_worker[i]) - fixed_cost[i]) - net[i]
    cost = np.empty(n)  # the move cost (a copy in mode 0: the input may be read-only, and one type serves all modes)
    if move_mode == 0:
        cost[:] = move
    elif move_mode == 1:
        for i in range(n):
            cost[i] = (move_fixed[i] + cost_per_km * distance[i]) + border_cost * abroad[i]
        if stay_allowed and origin >= 0:
            cost[origin] = 0.0
    else:
        cost[:] = move_const
    origin_draw = score[origin] if origin >= 0 else 0.0
    origin_feasible = False
    if free_origin:  # the origin's own rule: free to stay if it pays, or ruled out
        origin_feasible = net[origin] > 0
    elif leave_origin and origin >= 0:
        origin_feasible = False
    feasible_cells = 0
    for i in range(n):  # the score, -inf where infeasible
        feasible = (cost[i] <= capital) & (net[i] > 0) & open_cell[i]
        feasible_cells += feasible
        s = ((((horizon * net[i]) - cost[i]) / million + agglomeration[i]) * beta) - score[i]
        score[i] = s if feasible else -np.inf
    if origin >= 0 and (free_origin or leave_origin):
        was = (cost[origin] <= capital) & (net[origin] > 0) & open_cell[origin]
        s = ((((horizon * net[origin]) - cost[origin]) / million + agglomeration[origin]) * beta) - origin_draw
        score[origin] = s if origin_feasible else -np.inf
        feasible_cells += int(origin_feasible) - int(was)
    best_cell = _argmax(score)
    best = score[best_cell]
    return best_cell, best, net[best_cell], cost[best_cell], feasible_cells > 0


@_jit
def _argmax(values):
    """``np.argmax``: the first maximum, or the first NaN (the maximum kept in 8 lanes, which LLVM can vectorise)."""
    n = values.shape[0]
    lanes = np.full(8, -np.inf)
    nans = 0
    whole = n - n % 8
    for block in range(0, whole, 8):
        for j in range(8):
            v = values[block + j]
            lanes[j] = v if v > lanes[j] else lanes[j]
            nans += v != v
    top = -np.inf
    for i in range(whole, n):
        v = values[i]
        top = v if v > top else top
        nans += v != v
    for j in range(8):
        top = lanes[j] if lanes[j] > top else top
    for i in range(n):  # the first cell at the maximum (0 when all are -inf), or the first NaN
        v = values[i]
        if (v != v) if nans else (v == top):
            return i
    return 0
