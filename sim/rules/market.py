"""Money: what each compound earns and costs in a week, and what a candidate site would net.

One formula serves both the books (``weekly_accounts``) and the operators' expectations
(``net_per_week``), so operators choose sites by the same economics that later pays them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
        revenue_per_worker_week=7.0 * m.revenue_per_worker_day * m.demand_factor * (1.0 - demand_reduction),
        keep_share=max(0.0, 1.0 - m.laundering_share - aml_share),
        worker_cost_week=7.0 * m.worker_cost_day,
        site_cost_week=m.site_cost_week,
        protection_fee_share=m.protection_fee_share,
        concession_discount=m.concession_discount,
    )


def gross_revenue(workers: np.ndarray, infrastructure: np.ndarray, p: Prices) -> np.ndarray:
    """Proceeds stolen from victims (what reaches the operator before laundering losses)."""
    return workers * p.revenue_per_worker_week * infrastructure


def net_per_week(
    workers: np.ndarray | float,
    infrastructure: np.ndarray,
    protection: np.ndarray,
    concession: np.ndarray,
    p: Prices,
) -> np.ndarray:
    """Operator's weekly income after laundering, protection rent, upkeep and site cost."""
    revenue = workers * p.revenue_per_worker_week * infrastructure
    kept = revenue * (p.keep_share - p.protection_fee_share * protection)
    return kept - workers * p.worker_cost_week - p.site_cost_week * (1.0 - p.concession_discount * concession)


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
    kept = revenue * (p.keep_share - p.protection_fee_share * protection)
    profit = kept - workers * p.worker_cost_week - p.site_cost_week * (1.0 - p.concession_discount * concession)
    return revenue, profit
