"""Money: what each compound earns and costs in a week, and what a candidate site would net.

One formula (``weekly_net``) serves both the books (``weekly_accounts``) and the operators'
expectations (``sim.rules.sitechoice``), so operators choose sites by the economics that later pays them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.common.constants import DAYS_PER_WEEK
from sim.params.declarations import MarketParams


@dataclass(frozen=True, slots=True)
class Prices:
    """This week's effective prices after policy levers (demand reduction, anti-money-laundering)."""

    revenue_per_worker_week: float  # US$, at infrastructure 1
    keep_share: float  # share of revenue left after laundering and AML losses
    worker_cost_week: float
    site_cost_week: float
    protection_fee_share: float
    concession_discount: float


def prices(m: MarketParams, demand_reduction: float = 0.0, aml_share: float = 0.0) -> Prices:
    return Prices(
        revenue_per_worker_week=DAYS_PER_WEEK * m.revenue_per_worker_day * m.demand_factor * (1.0 - demand_reduction),
        keep_share=max(0.0, 1.0 - m.laundering_share - aml_share),
        worker_cost_week=DAYS_PER_WEEK * m.worker_cost_day,
        site_cost_week=m.site_cost_week,
        protection_fee_share=m.protection_fee_share,
        concession_discount=m.concession_discount,
    )


def gross_revenue(workers: np.ndarray | float, infrastructure: np.ndarray, p: Prices) -> np.ndarray:
    """Proceeds stolen from victims (what reaches the operator before laundering losses)."""
    return workers * p.revenue_per_worker_week * infrastructure


def operating_margin(revenue: np.ndarray, workers: np.ndarray | float, protection: np.ndarray, p: Prices) -> np.ndarray:
    """Revenue kept after laundering and protection rent, less the workers' upkeep."""
    return revenue * (p.keep_share - p.protection_fee_share * protection) - workers * p.worker_cost_week


def running_cost(concession: np.ndarray, p: Prices) -> np.ndarray:
    """Fixed weekly cost of a compound, cut inside a concession."""
    return p.site_cost_week * (1.0 - p.concession_discount * concession)


def weekly_net(revenue: np.ndarray, workers: np.ndarray | float, protection: np.ndarray, concession: np.ndarray,
               p: Prices) -> np.ndarray:
    """An operator's weekly income from a compound: the operating margin less the running cost.

    The one income formula. The books apply it to each compound's revenue; site choice applies its two
    parts per cell (``operating_margin`` of one worker, scaled by the workers expected, and
    ``running_cost``), so operators choose sites by the economics that later pays them.
    """
    return operating_margin(revenue, workers, protection, p) - running_cost(concession, p)


def weekly_accounts(
    workers: np.ndarray,
    producing: np.ndarray,
    infrastructure: np.ndarray,
    protection: np.ndarray,
    concession: np.ndarray,
    p: Prices,
) -> tuple[np.ndarray, np.ndarray]:
    """Gross revenue and profit of each compound; a moving compound earns nothing but still pays."""
    revenue = np.where(producing, gross_revenue(workers, infrastructure, p), 0.0)
    return revenue, weekly_net(revenue, workers, protection, concession, p)


def with_victim_yield(p: Prices, factor: float) -> Prices:
    """Prices with revenue per worker scaled by the victims' yield (``sim.rules.victims.yield_factor``)."""
    return dataclasses.replace(p, revenue_per_worker_week=p.revenue_per_worker_week * factor)
