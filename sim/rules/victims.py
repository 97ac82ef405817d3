"""The victims' side: revenue per worker depends on a stock of reachable, not-yet-wary victims.

``v`` in (0, 1] is the share of potential victims still reachable and unwary. Scam work depletes it in
proportion to the industry's size W (victims lost, warned or already drained); new internet users,
fading wariness and new scripts renew it:

    dv/dt = r (1 - v) - r (W / W_half) v,    steady state v* = 1 / (1 + W / W_half)

so W_half (``victims.saturation_workers``) is the size at which the steady-state yield halves, and r
(``victims.renewal_rate``) sets how fast the stock follows the industry. Revenue per worker is the
calibrated base times ``v / v_ref``, with v_ref the steady state at the reference size, so the
calibrated US$350/day holds at that size. A market size emerges that raids and moves do not create:
more compounds share the same victims. ``W_half = 0`` switches the side off (yield exactly 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.params.declarations import VictimParams


def steady_state(workers: float, p: VictimParams) -> float:
    """v*: the reachable share at which renewal balances depletion by ``workers`` held (1 when off)."""
    if p.saturation_workers <= 0:
        return 1.0
    return 1.0 / (1.0 + max(0.0, workers) / p.saturation_workers)


def reference_stock(p: VictimParams) -> float:
    """v_ref: the steady state at the reference industry size, where revenue per worker is the calibrated base."""
    return steady_state(p.reference_workers, p)


def update(v: float, workers: float, p: VictimParams) -> float:
    """A week of depletion and renewal, solved exactly (so v stays in (0, 1] at any rate or size)."""
    if p.saturation_workers <= 0:
        return v
    target = steady_state(workers, p)
    speed = p.renewal_rate * (1.0 + max(0.0, workers) / p.saturation_workers)
    return target + (v - target) * math.exp(-speed)


def yield_factor(v: float, p: VictimParams) -> float:
    """Revenue per worker relative to the calibrated base: v / v_ref (exactly 1.0 when the side is off)."""
    if p.saturation_workers <= 0:
        return 1.0
    return v / reference_stock(p)


@dataclass
class VictimState:
    """The victims' stock and its weekly series (burn-in included)."""

    stock: float
    series: dict[str, list] = field(default_factory=lambda: {"week": [], "stock": [], "yield": [], "workers": []})


def initial_state(p: VictimParams) -> VictimState:
    """The stock starts at its reference steady state, so week 0's revenue per worker is the calibrated one."""
    return VictimState(reference_stock(p))
