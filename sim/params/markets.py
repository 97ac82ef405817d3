"""The markets around the map: recruitment of trafficked people, the victims' side, and operations overseas."""

from __future__ import annotations

from dataclasses import dataclass

from sim.params.base import OVERSEAS_BELIEFS, param


@dataclass(frozen=True, slots=True)
class RecruitmentParams:
    """The recruitment market: brokers answering the margin and vacancies, in origin pools that learn and run dry.

    Weekly recruits are a Poisson draw with mean ``labour.inflow_per_week`` x the policy's inflow factor x
    the responses below; every response is 1 at its neutral value, so the defaults give today's inflow.
    The four origins are fixed (``sim.rules.recruitment.ORIGINS``); each has a share of reference
    recruitment and a base awareness.
    """

    share_chinese: float = param(0.4, "share", "share of reference recruitment from China and Chinese-speaking communities", 0, 1,
                                 source="INTERPOL 2023-25: early victims mostly Chinese speakers (assumption for the share)")
    share_southeast_asia: float = param(0.3, "share", "share of reference recruitment from Southeast Asia", 0, 1)
    share_south_asia: float = param(0.2, "share", "share of reference recruitment from South Asia", 0, 1)
    share_elsewhere: float = param(0.1, "share", "share of reference recruitment from Africa, Latin America and elsewhere", 0, 1,
                                   source="INTERPOL 2025: victims from 66 countries (assumption for the share)")
    awareness_chinese: float = param(0.3, "share", "base share of job-seekers in the Chinese-speaking origin who recognise a fake advert",
                                     0, 0.99)
    awareness_southeast_asia: float = param(0.2, "share", "base awareness in the Southeast Asian origin", 0, 0.99)
    awareness_south_asia: float = param(0.1, "share", "base awareness in the South Asian origin", 0, 0.99)
    awareness_elsewhere: float = param(0.05, "share", "base awareness in Africa, Latin America and elsewhere", 0, 0.99)
    price_elasticity: float = param(0.5, "-", "elasticity of recruitment with the margin per worker-week (0: recruitment ignores it)",
                                    0, 10)
    margin_reference: float = param(1907.5, "US$/worker-week", "margin per worker-week at which recruitment is its reference",
                                    1, 1e7, source="the default market: 7 x 350 x (1 - 0.15) - 7 x 25")
    demand_elasticity: float = param(0.5, "-", "elasticity of recruitment with the vacancy signal (0: brokers ignore vacancies)", 0, 10)
    demand_reference: float = param(0.65, "share", "vacancy signal (vacancies / (vacancies + pool)) at which recruitment is its reference",
                                    0.001, 1, source="the default baseline's mean signal after its burn-in (0.645)")
    stock_weeks: float = param(520.0, "weeks", "reachable job-seekers of an origin at reference recruitment, in weeks of it "
                               "(0: unlimited, never depleted)", 0, 1e5)
    stock_renewal: float = param(0.01, "1/week", "share of an origin's shortfall from its base size renewed each week (the base "
                                 "exceeds the reference stock by reference recruitment / this rate)", 0, 1)
    awareness_per_1000_returnees: float = param(
        0.01, "share per 1000 people", "share of an origin's unaware job-seekers warned by each 1000 people repatriated there", 0, 1)
    awareness_half_life: float = param(104.0, "weeks", "half-life of awareness above its base (memory fades)", 0.1, 1e5)
    cost_per_recruit: float = param(3000.0, "US$/person", "median cost to a broker of deceiving and moving one recruit (0: off)", 0, 1e7)
    cost_spread: float = param(1.0, "-", "log-normal sigma of the cost per recruit across job-seekers and brokers", 0.01, 10)
    broker_fee_share: float = param(0.05, "share", "share of a worker's expected margin over the stay paid to the broker", 0, 1)
    transit_weeks: int = param(2, "weeks", "weeks a recruit spends in the pipeline before reaching the regional pool", 0, 104)


@dataclass(frozen=True, slots=True)
class VictimParams:
    """The victims' side: a stock of reachable, not-yet-wary victims that the industry depletes."""

    saturation_workers: float = param(
        200000.0, "workers", "industry size at which the steady-state yield per worker halves (0: no saturation, yield fixed)", 0, 1e9)
    renewal_rate: float = param(0.02, "1/week", "share of the victims' shortfall renewed each week (new users, fading wariness)",
                                1e-4, 1)
    reference_workers: float = param(
        110000.0, "workers", "industry size at which revenue per worker is market.revenue_per_worker_day", 0, 1e9,
        source="people held in the default baseline (~1.1e5; OHCHR 2023 orders of magnitude)")


@dataclass(frozen=True, slots=True)
class OverseasParams:
    """The world outside the map: an outside option in site choice, and the ledger of operations gone overseas."""

    enabled: bool = param(True, "-", "a moving compound may go overseas (Africa, the Pacific, the Middle East) and leave the map")
    move_cost: float = param(7.0e6, "US$", "cost of moving a compound overseas: transport of people, new premises, "
                             "fixers abroad, and what it leaves behind", 0, 1e12)
    revenue_factor: float = param(0.8, "x", "revenue per worker overseas relative to a map cell at infrastructure 1", 0, 10)
    running_cost_week: float = param(75000.0, "US$/week", "fixed running cost of an operation overseas (rent, guards, "
                                     "local protection)", 0, 1e9)
    raid_hazard: float = param(0.02, "1/week", "weekly raid hazard operators expect overseas (enters site choice); under "
                               "risk_belief = learned, their belief before they have seen any operation abroad closed", 0, 1)
    risk_belief: str = param(
        "learned", "-", "what operators read as the hazard overseas: raid_hazard, known and fixed (fixed), or a belief learned "
        "from the closures of operations abroad they hear of, by the rule of the region's learned beliefs with "
        "enforcement.belief_half_life (learned)", choices=OVERSEAS_BELIEFS,
        source="assumption, by analogy with the region's beliefs learned from raids (enforcement.risk_belief); operations "
        "abroad are found and closed (INTERPOL, June 2025: docs/references.md, fact 3)")
    closure_hazard: float = param(0.01, "1/week", "weekly chance an operation overseas is closed (enforcement abroad, "
                                  "failure); its people are freed", 0, 1)
    host_saturation: float = param(
        100.0, "operations", "hosts' response: operations abroad (as hosts perceive them, host_half_life) at which the weekly "
        "closure hazard abroad has doubled; hosts turn to scam centres as more of them arrive (0: hosts do not respond, the "
        "closure hazard is closure_hazard whatever the number)", 0, 1e6,
        source="assumption; hosts raided scam centres once they had grown: Zambia, Apr 2024 (77 arrested), Lagos, Dec 2024 "
        "(792 arrested) (docs/references.md, Figures). Nothing measures the strength; the default is the geometric middle "
        "of the range 25-400 explored in docs/headline_posterior.md, not the value closest to the share of moves "
        "overseas (P3b, a validation pattern, which 25 approaches better)")
    host_half_life: float = param(
        26.0, "weeks", "hosts' response: half-life of the number of operations hosts perceive abroad (how long they take to "
        "notice a rise, and to forget a fall); used only when host_saturation > 0", 0.1, 1e5,
        source="assumption, of the order of the region's heat and belief half-lives (enforcement.heat_half_life)")
    hiring_share: float = param(0.2, "share", "hiring rate overseas from the regional pool, as a share of labour.hiring_rate", 0, 1)
    weeks: int = param(8, "weeks", "weeks an operation that moved overseas produces nothing", 0, 520)
    distance_km: float = param(6000.0, "km", "distance recorded for a move overseas (for relocation statistics only)", 0, 40000)
