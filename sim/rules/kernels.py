"""Optional compiled kernels for site choice (numba), fused loops that give the numpy code's exact bits.

Site choice scores every cell of the region for every mover: about twenty numpy passes over a thousand cells
per call, each pass costing more in call overhead than in arithmetic. With numba installed (the ``fast``
extra) the passes are fused into one loop per call. Nothing changes in the results, by construction:

- each value is computed with the same IEEE operations (+, -, *, /) in the same order as the numpy code,
  with no ``fastmath`` (LLVM then neither reassociates nor contracts a multiply and an add into an FMA);
- the transcendental functions stay numpy's (``np.log`` of the Gumbel draws, ``np.expm1`` of a notorious
  operator's hazard): numpy may use its own SIMD routines, which can differ from the C library's by an
  ulp, so they run in numpy between the kernels;
- the random draws are numpy's, from the same stream, in the same number and order.

tests/test_kernels.py checks both paths give the same choices. ``SCAMSIM_NO_NUMBA=1`` in the environment
forces the numpy path; so does numba being absent. numba is imported on the first site choice, not when
this module is, so commands that never run the model do not pay its import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

#: Environment variable that, set to anything but "" or "0", forces the pure-numpy path.
DISABLE_ENV = "SCAMSIM_NO_NUMBA"

_KERNELS: list[Any] = []  # [] until first asked; then [None] (numpy path) or [(hazard_argument, score_cells)]


def numba_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """The compiled ``(hazard_argument, score_cells)`` kernels, or None for the numpy path (numba absent or disabled)."""
    if not _KERNELS:
        _KERNELS.append(None if os.environ.get(DISABLE_ENV, "") not in ("", "0") else _compile())
    return _KERNELS[0]


def _compile() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    try:
        from numba import njit
    except ImportError:  # the optional extra is not installed: the numpy path
        return None
    # cache=True: compiled once per machine and Python, then loaded from __pycache__.
    # error_model="numpy": no ZeroDivisionError check on the division (the divisor is a constant 1e6).
    jit = njit(cache=True, nogil=True, error_model="numpy")
    return jit(_hazard_argument), jit(_score_cells)


def _hazard_argument(exposure, notoriety, jurisdiction, risk_perception, climate, neg_shield, out):  # pragma: no cover - compiled
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


def _score_cells(net_per_worker, workers, worker_scalar, fixed_cost, loss_base, loss_scale, loss_factor,
                 move, move_fixed, distance, abroad, move_const, move_mode, cost_per_km, border_cost,
                 origin, stay_allowed, free_origin, leave_origin, capital, open_cell, agglomeration, minus_gumbel,
                 horizon, million, beta):  # pragma: no cover - compiled
    """One pass of ``sitechoice.choose_site`` over the cells: expected net, move cost, feasibility, score, argmax.

    ``workers`` is per cell, or empty for ``worker_scalar``; ``loss_factor`` is empty for 1 (no
    multiplication). ``move_mode``: 0 reads ``move``, 1 computes ``move_fixed + cost_per_km * distance +
    border_cost * abroad`` (0 at the origin when staying is allowed), 2 is ``move_const`` everywhere.
    Returns ``(cell, best score, expected net there, move cost there, any feasible cell)``, with numpy's
    argmax rule: the first maximum, or the first NaN.
    """
    n = net_per_worker.shape[0]
    per_cell_workers = workers.shape[0] > 0
    has_factor = loss_factor.shape[0] > 0
    best_cell = 0
    best = 0.0
    best_net = 0.0
    best_move = 0.0
    any_feasible = False
    for i in range(n):
        loss = loss_base[i] * loss_scale
        if has_factor:
            loss = loss * loss_factor[i]
        w = workers[i] if per_cell_workers else worker_scalar
        net = w * net_per_worker[i]
        net = net - fixed_cost[i]
        net = net - loss
        if move_mode == 0:
            m = move[i]
        elif move_mode == 1:
            m = move_fixed[i] + cost_per_km * distance[i]
            m = m + border_cost * abroad[i]
            if stay_allowed and i == origin:
                m = 0.0
        else:
            m = move_const
        if free_origin and i == origin:
            feasible = net > 0
        elif leave_origin and i == origin:
            feasible = False
        else:
            feasible = m <= capital and net > 0 and open_cell[i]
        if feasible:
            any_feasible = True
            s = horizon * net
            s = s - m
            s = s / million
            s = s + agglomeration[i]
            s = s * beta
            s = s - minus_gumbel[i]
        else:
            s = -np.inf
        if i == 0 or s > best or (s != s and best == best):  # numpy's argmax: first maximum, NaN beats all
            best_cell, best, best_net, best_move = i, s, net, m
    return best_cell, best, best_net, best_move, any_feasible
