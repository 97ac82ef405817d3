"""The recruitment market and the victims' side, applied to the model at the start of the labour phase.

``phases.hire`` calls ``victims_week`` (this week's yield per worker enters the prices) and then
``recruit`` (people repatriated last week reach home, origins renew, brokers recruit, the pipeline
delivers). The rules live in ``sim.rules.recruitment`` and ``sim.rules.victims``; this module only
reads the model's state, calls them and applies the results. At the neutral parameters it draws exactly
the one Poisson number the model always drew and changes nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.common.errors import SimulationError
from sim.rules import market, recruitment, victims

if TYPE_CHECKING:
    from sim.core.model import ScamModel


def victims_week(m: ScamModel) -> None:
    """The victims' stock answers the industry's size; revenue per worker follows it."""
    p, s = m.params.victims, m.victims
    held = m.workers_held() + m.overseas.held()  # the industry the victims face: on the map and overseas
    s.stock = victims.update(s.stock, held, p)
    y = victims.yield_factor(s.stock, p)
    if y != 1.0:
        m.prices = market.with_victim_yield(m.prices, y)
    for key, value in (("week", m.week), ("stock", s.stock), ("yield", y), ("workers", held)):
        s.series[key].append(value)


def _send_home(m: ScamModel, s: recruitment.RecruitmentState) -> np.ndarray:
    """People repatriated since the last call reach their origins (in proportion to where recruits came from)."""
    total = m.repatriated_total()
    returned = total - s.seen_repatriated
    s.seen_repatriated = total
    weights = s.recruited_by_origin if s.recruited_by_origin.sum() > 0 else recruitment.origin_shares(m.params.recruitment)
    by_origin = recruitment.split(returned, weights)
    s.flows["returned"] += returned
    if s.stock is not None:
        s.stock += by_origin
    return by_origin


def recruit(m: ScamModel) -> int:
    """This week's recruitment; returns the people arriving in the regional pool."""
    p, s, lab = m.params.recruitment, m.recruitment, m.params.labour
    returned = _send_home(m, s)
    s.awareness = recruitment.update_awareness(s.awareness, s.base_awareness, returned, p, m.levers.awareness_campaign)
    if s.stock is not None:
        renewed = recruitment.renewal(s.stock, s.base_stock, p.stock_renewal)
        s.stock += renewed
        s.flows["entered"] += int(renewed.sum())
    pr = m.prices
    margin = recruitment.margin_per_worker_week(pr.revenue_per_worker_week, pr.keep_share, pr.worker_cost_week)
    screening = m.levers.screening_cost
    common, viable = recruitment.market_response(margin, s.signal, screening, p, lab.attrition)
    shares = recruitment.origin_shares(p)
    base = lab.inflow_per_week * m.levers.inflow_factor
    lam, by_origin = recruitment.expected_recruits(base, shares, common, recruitment.origin_factors(s))
    problem = recruitment.runaway(lam, base, margin, s.signal, viable, p)
    if problem:
        raise SimulationError(f"week {m.week}{' (burn-in)' if m.week < 0 else ''}: {problem}")
    drawn = int(m.rng.poisson(lam))
    recruits = recruitment.split(drawn, by_origin, s.stock)
    n = int(recruits.sum())
    s.flows["not_found"] += drawn - n
    s.flows["recruited"] += n
    s.recruited_by_origin += recruits
    if s.stock is not None:
        s.stock -= recruits
    else:
        s.flows["entered"] += n  # an unlimited origin: each recruit comes from outside the books
    s.pipeline.append(n)
    arrived = s.pipeline.popleft()
    s.flows["arrived"] += arrived
    for key, value in (("week", m.week), ("expected", lam), ("recruited", n), ("arrived", arrived), ("margin", margin),
                       ("signal", s.signal), ("viable", viable), ("awareness", float(np.dot(shares, s.awareness) / shares.sum())),
                       ("stock", -1 if s.stock is None else int(s.stock.sum()))):
        s.series[key].append(value)
    return arrived


def note_vacancies(m: ScamModel, vacancies: float, pool: int) -> None:
    """Brokers read this week's unfilled demand for next week's recruitment."""
    m.recruitment.signal = recruitment.vacancy_signal(vacancies, pool)

