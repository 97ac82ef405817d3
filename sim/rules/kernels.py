"""Optional compiled kernels for site choice (numba), fused loops that give the numpy code's exact bits.

Site choice scores every cell of the region for every mover: about twenty numpy passes over a thousand cells
per call, each pass costing more in call overhead than in arithmetic. With numba installed (the ``fast``
extra) the passes are fused into a few compiled loops per call. Nothing changes in the results, by construction:

- each value is computed with the same IEEE operations (+, -, *, /) in the same order as the numpy code,
  with no ``fastmath`` (LLVM then neither reassociates nor contracts a multiply and an add into an FMA);
- the transcendental functions stay numpy's (``np.log`` of the Gumbel draws, ``np.expm1`` of a notorious
  operator's hazard): numpy may use its own SIMD routines, which can differ from the C library's by an
  ulp, so they run in numpy between the kernels;
- the random draws are numpy's, from the same stream, in the same number and order.

tests/test_kernels.py checks both paths give the same choices, so a process may switch from one to the
other at any time. numba costs about 0.45 s of CPU to import and load, which a single default run does not
earn back (docs/benchmarks.md), so a process makes its first ``SCAMSIM_NUMBA_AFTER`` site choices with numpy
and only then loads numba (default ``SUGGESTED_AFTER`` = 50,000: a single run never gets there, a sweep or
calibration worker does after a few runs; 0 loads it at the first choice). ``SCAMSIM_NO_NUMBA=1`` forces
the numpy path; so does numba being absent.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Environment variable that, set to anything but "" or "0", forces the pure-numpy path.
DISABLE_ENV = "SCAMSIM_NO_NUMBA"
#: Environment variable: how many site choices a process makes with numpy before it loads numba (0: from the
#: first). Unset, ``SUGGESTED_AFTER``.
AFTER_ENV = "SCAMSIM_NUMBA_AFTER"
#: A choice that pays back numba's start-up in a batch: importing numba and loading the cached kernels costs about
#: 0.45 s of CPU and the kernels save about 10 us a choice, so a single default run (7,700 choices) loses by it
#: and a batch (a sweep or calibration worker) wins once it has made this many (docs/benchmarks.md).
SUGGESTED_AFTER = 50_000

Kernels = tuple[Callable[..., Any], Callable[..., Any]]
_SETTLED = -1
_STATE: list[Any] = [None, None]  # [the kernels or None (numpy), choices left before loading (None: not yet read; -1: settled)]


def numba_kernels() -> Kernels | None:
    """The compiled ``(hazard_argument, score_cells)`` kernels, or None for the numpy path this time.

    None unless ``SCAMSIM_NUMBA_AFTER`` is set, while the process has made fewer choices than it says,
    and for good when numba is absent or ``SCAMSIM_NO_NUMBA`` is set. Called once per site choice, so
    the settled case comes first.
    """
    left = _STATE[1]
    if left == _SETTLED:
        return _STATE[0]
    if left is None:
        left = _choices_before_loading()
    if left is None:
        _STATE[0], _STATE[1] = None, _SETTLED
    elif left > 0:
        _STATE[1] = left - 1
    else:
        _STATE[0], _STATE[1] = _load(), _SETTLED
    return _STATE[0]


def _choices_before_loading() -> int | None:
    """``SCAMSIM_NUMBA_AFTER`` as a count (unset: ``SUGGESTED_AFTER``), or None for the numpy path for good (disabled)."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return None
    raw = os.environ.get(AFTER_ENV, "")
    if not raw:
        return SUGGESTED_AFTER
    try:
        return max(int(raw), 0)
    except ValueError:  # a warning, not an error: the path never changes a result
        warnings.warn(f"environment variable {AFTER_ENV}={raw!r} is not a whole number of site choices (0 or more, "
                      f"e.g. {SUGGESTED_AFTER}); the numba kernels stay off", stacklevel=3)
        return None


def _load() -> Kernels | None:
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return None
    try:
        from sim.rules import kernels_numba
    except ImportError:  # the optional extra is not installed: the numpy path
        return None
    return kernels_numba.hazard_argument, kernels_numba.score_cells


def available() -> bool:
    """Whether the compiled kernels can be loaded (numba installed and not disabled)."""
    return _load() is not None


@contextmanager
def forced(compiled: bool) -> Iterator[None]:
    """For tests and benchmarks: within the block, site choice takes the compiled path (True) or the numpy path (False)."""
    saved = list(_STATE)
    kernels = _load() if compiled else None
    if compiled and kernels is None:
        raise RuntimeError(f"the compiled site-choice kernels need numba (pip install 'scamsim[fast]') and {DISABLE_ENV} unset")
    _STATE[0], _STATE[1] = kernels, _SETTLED
    try:
        yield
    finally:
        _STATE[:] = saved
