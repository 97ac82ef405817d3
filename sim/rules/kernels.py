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
        from sim.rules import kernels_numba
    except ImportError:  # the optional extra is not installed: the numpy path
        return None
    return kernels_numba.hazard_argument, kernels_numba.score_cells
