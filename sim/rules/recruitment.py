"""The recruitment market: how many people brokers deceive into the pipeline each week, and from where.

Recruits are a Poisson draw whose mean is the reference inflow times a response to the market:

    lambda = inflow x (m+ / m_ref)^eps x (D / D_ref)^delta x viable(fee, cost) x sum_o w_o g_o / sum_o w_o
    g_o    = (1 - a_o) / (1 - a_o,0) x s_o / s_o,ref

m+ is this week's margin per worker-week (brokers are paid out of it), D the vacancy signal (vacancies
/ (vacancies + people already waiting in the pool)), ``viable`` the share of recruits whose cost the
broker's fee still covers (relative to the reference market), a_o the origin's awareness and s_o its
stock of reachable job-seekers. Every factor is exactly 1.0 at its neutral value, and the weighted mean
is computed so that all-ones weights give exactly 1.0, so the neutral mean is today's inflow to the bit.
Splitting recruits among origins and renewing stocks is deterministic (largest remainders, rounding):
the mechanism draws no random number beyond the one Poisson draw the model always made.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from sim.params.declarations import RecruitmentParams

#: The origin pools, in a fixed order (the fields ``share_<name>`` and ``awareness_<name>`` of [recruitment]).
ORIGINS = ("chinese", "southeast_asia", "south_asia", "elsewhere")
#: Longest stay (weeks) a broker's fee is priced over when attrition is near zero.
MAX_STAY_WEEKS = 520.0


def origin_shares(p: RecruitmentParams) -> np.ndarray:
    """Each origin's share of reference recruitment (equal shares if every one is set to 0); read-only."""
    shares = np.array([getattr(p, f"share_{o}") for o in ORIGINS], dtype=float)
    shares = shares if shares.sum() > 0 else np.ones(len(ORIGINS))
    shares.flags.writeable = False
    return shares


def origin_awareness(p: RecruitmentParams) -> np.ndarray:
    return np.array([getattr(p, f"awareness_{o}") for o in ORIGINS], dtype=float)


def origin_sizes(p: RecruitmentParams, inflow: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Reference and base stock of reachable job-seekers per origin (whole people); None when unlimited.

    The reference stock is ``stock_weeks`` of the origin's reference recruitment; the base size (what the
    stock renews toward) exceeds it by the shortfall at which renewal replaces reference recruitment, so an
    origin recruited at its reference rate stays at its reference stock and the calibrated inflow holds.
    """
    if p.stock_weeks <= 0:
        return None
    shares = origin_shares(p)
    weekly = inflow * shares / shares.sum()
    reference = np.rint(p.stock_weeks * weekly).astype(np.int64)
    extra = np.rint(weekly / p.stock_renewal).astype(np.int64) if p.stock_renewal > 0 else np.zeros(len(ORIGINS), dtype=np.int64)
    return reference, reference + extra


@dataclass
class RecruitmentState:
    """What the recruitment market remembers from week to week (whole people except awareness)."""

    awareness: np.ndarray  # share of each origin's job-seekers who recognise a fake advert
    base_awareness: np.ndarray
    stock: np.ndarray | None  # reachable job-seekers per origin (None: unlimited)
    reference_stock: np.ndarray | None  # the stock at which the origin yields its reference recruitment
    base_stock: np.ndarray | None  # the size the stock renews toward
    pipeline: deque  # recruits in transit, oldest first; arrivals leave from the left
    signal: float  # last week's vacancy signal D
    seen_repatriated: int = 0  # the model's repatriation total already sent home
    opening: int = 0  # people in the ledger when the books were opened (``rebase``)
    recruited_by_origin: np.ndarray = field(default_factory=lambda: np.zeros(len(ORIGINS), dtype=np.int64))
    flows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLOWS, 0))
    series: dict[str, list] = field(default_factory=lambda: {k: [] for k in SERIES})


#: Cumulative flows of people the recruitment market books (see ``ledger``).
FLOWS = ("entered", "recruited", "arrived", "returned", "not_found")
#: Weekly series kept on the state (one value per week, burn-in included).
SERIES = ("week", "expected", "recruited", "arrived", "margin", "signal", "viable", "awareness", "stock")


def initial_state(p: RecruitmentParams, inflow: float) -> RecruitmentState:
    """Origins at their base size and awareness; the pipeline full of a reference week's recruits."""
    a0 = origin_awareness(p)
    sizes = origin_sizes(p, inflow)
    pipeline = deque([round(inflow)] * p.transit_weeks)
    if sizes is None:
        return RecruitmentState(a0.copy(), a0, None, None, None, pipeline, p.demand_reference)
    return RecruitmentState(a0.copy(), a0, sizes[0].copy(), sizes[0], sizes[1], pipeline, p.demand_reference)


def margin_per_worker_week(revenue_per_worker_week: float, keep_share: float, worker_cost_week: float) -> float:
    """m+: what an extra worker nets an operator in a week at infrastructure 1 and no protection, floored at 0."""
    return max(0.0, revenue_per_worker_week * keep_share - worker_cost_week)


def vacancy_signal(vacancies: float, pool: float) -> float:
    """D: the share of open places not already matched by people waiting in the pool."""
    total = vacancies + pool
    return vacancies / total if total > 0 else 0.0


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def viable_share(fee: float, cost: float, spread: float) -> float:
    """Share of would-be recruits whose (log-normal) cost the broker's fee covers."""
    if cost <= 0:
        return 1.0
    if fee <= 0:
        return 0.0
    return _phi((math.log(fee) - math.log(cost)) / spread)


def broker_fee(margin: float, p: RecruitmentParams, attrition: float) -> float:
    """US$ an operator pays a broker per recruit: a share of the margin over the expected stay."""
    stay = MAX_STAY_WEEKS if attrition <= 0 else min(MAX_STAY_WEEKS, 1.0 / attrition)
    return p.broker_fee_share * margin * stay


def market_response(margin: float, signal: float, screening: float, p: RecruitmentParams, attrition: float) -> tuple[float, float]:
    """Common factor on every origin's recruitment: margin, vacancies and the cost of deception.

    Returns (factor, viable share relative to the reference market). Each part is exactly 1.0 at its
    neutral value (elasticity 0; cost per recruit 0).
    """
    factor = (margin / p.margin_reference) ** p.price_elasticity * (signal / p.demand_reference) ** p.demand_elasticity
    viable = 1.0
    if p.cost_per_recruit > 0:
        cost = p.cost_per_recruit * (1.0 + screening)
        ref = viable_share(broker_fee(p.margin_reference, p, attrition), p.cost_per_recruit, p.cost_spread)
        now = viable_share(broker_fee(margin, p, attrition), cost, p.cost_spread)
        viable = now / ref if ref > 0 else 0.0
    return factor * viable, viable


# The rules below work on a handful of origins, one Python number at a time: each value is the same IEEE
# operation numpy would make element by element (so the same bits), without the cost of a dozen array calls
# on four numbers. Sums go left to right (``total``), numpy's own order below eight values.


def total(values: list[float]) -> float:
    """``np.sum(values)`` with the same bits: left to right, as numpy adds fewer than eight values (pairwise above)."""
    if len(values) >= 8:
        return float(np.sum(values))
    out = 0.0  # numpy's too: the sum of [-0.0] is 0.0
    for v in values:
        out += v
    return out


def origin_factors(s: RecruitmentState) -> np.ndarray:
    """g_o: how much of its reference recruitment each origin yields now (awareness and depletion)."""
    g = [(1.0 - a) / (1.0 - a0) for a, a0 in zip(s.awareness.tolist(), s.base_awareness.tolist(), strict=True)]
    if s.stock is not None:
        # stock / max(reference, 1) where the reference is positive, else 0 (whole numbers: exact as floats)
        g = [x * (n / max(ref, 1) if ref > 0 else 0.0) for x, n, ref in zip(g, s.stock.tolist(), s.reference_stock.tolist(), strict=True)]
    return np.array(g)


def expected_recruits(base: float, shares: np.ndarray, common: float, g: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean recruits this week, total and by origin.

    ``base x common x sum(w g) / sum(w)``: with every g exactly 1.0 the ratio is exactly 1.0 (the same
    sums in the same order), so the neutral mean is ``base`` to the bit.
    """
    w = shares.tolist()
    whole = total(w)
    if whole <= 0:
        return 0.0, np.zeros_like(g)
    weighted = [x * y for x, y in zip(w, g.tolist(), strict=True)]
    scale = base * common
    lam = scale * (total(weighted) / whole)
    return lam, np.array([scale * x / whole for x in weighted])


#: Most recruits the model will draw in one week: an eighth of the world's population. An expectation above it
#: is not a market but a runaway factor (elasticities well above 1 compounding a margin or a vacancy signal far
#: from its reference), and numpy's Poisson draw itself fails near 9e18.
MAX_EXPECTED_RECRUITS = 1e9


def runaway(lam: float, base: float, margin: float, signal: float, viable: float, p: RecruitmentParams) -> str | None:
    """Why this week's expected recruits cannot be drawn, or None when they can (NaN cannot either).

    The message names the parameters that make the expectation and the values they took, so a user can
    see which way to move them.
    """
    if lam <= MAX_EXPECTED_RECRUITS:
        return None
    return (f"recruitment ran away: {lam:.3g} recruits expected in one week, above the {MAX_EXPECTED_RECRUITS:.0e} the model "
            "draws (an eighth of the world's population). The expectation is labour.inflow_per_week (with its levers) x "
            "(margin / recruitment.margin_reference) ** recruitment.price_elasticity x (vacancy signal / "
            "recruitment.demand_reference) ** recruitment.demand_elasticity x the share of would-be recruits whose cost the "
            "broker's fee covers, relative to that share at the reference margin (recruitment.cost_per_recruit, "
            f"recruitment.cost_spread, recruitment.broker_fee_share), here {base:g} x ({margin:.4g} / "
            f"{p.margin_reference:g}) ** {p.price_elasticity:g} x ({signal:.4g} / {p.demand_reference:g}) ** "
            f"{p.demand_elasticity:g} x {viable:.4g}; lower the elasticities or bring the references closer to what the "
            "market makes")


def split(n: int, weights: np.ndarray, caps: np.ndarray | None = None) -> np.ndarray:
    """``n`` whole people shared in proportion to ``weights`` (largest remainders, ties to the first), within ``caps``."""
    w = [max(x, 0.0) for x in np.asarray(weights, dtype=float).tolist()]  # max(nan, 0.0) is nan, as np.maximum's
    whole = total(w)
    if n <= 0 or whole <= 0:
        return np.zeros(len(w), dtype=np.int64)
    share = [n * x / whole for x in w]
    if not all(map(math.isfinite, share)):
        raise ValueError(f"cannot split {n} people by the weights {list(weights)}")
    out = [math.floor(x) for x in share]
    left = n - sum(out)
    if left > 0:
        # largest remainders first, ties to the first origin (a stable sort, as numpy's argsort(kind="stable"))
        remainder = [x - k for x, k in zip(share, out, strict=True)]
        for i in sorted(range(len(out)), key=lambda i: -remainder[i])[:left]:
            out[i] += 1
    if caps is not None:
        out = [min(k, c) for k, c in zip(out, caps.tolist(), strict=True)]
    return np.array(out, dtype=np.int64)


def renewal(stock: np.ndarray, base: np.ndarray, rate: float) -> np.ndarray:
    """Net people entering (or leaving) each origin's reachable stock this week, toward its base size."""
    # round is np.rint's rounding (half to even) on finite numbers
    return np.array([round((b - k) * rate) for k, b in zip(stock.tolist(), base.tolist(), strict=True)], dtype=np.int64)


def update_awareness(a: np.ndarray, a0: np.ndarray, returned: np.ndarray, p: RecruitmentParams, campaign: float) -> np.ndarray:
    """Awareness fades toward its base; returnees' stories and a campaign (``campaign`` of the unaware a week) warn part of the unaware."""
    fade = 0.5 ** (1.0 / p.awareness_half_life)
    per = p.awareness_per_1000_returnees
    out = []
    for x, x0, r in zip(a.tolist(), a0.tolist(), returned.tolist(), strict=True):
        x = x0 + (x - x0) * fade
        warned = r / 1000.0 * per + campaign
        warned = 1.0 if warned >= 1.0 else warned  # np.minimum(1.0, warned), nan included
        out.append(x + (1.0 - x) * warned)
    return np.array(out)


def ledger(s: RecruitmentState, pool: int, held: int, pending_home: int, attrition: int, drifted: int) -> dict[str, int]:
    """Every person in exactly one place, and the cumulative flows in and out of the whole system.

    Places: origin stocks (finite origins; returnees rejoin them), the pipeline, the regional pool, the
    compounds, home (with unlimited origins: returnees counted out of the market), people repatriated
    this week and not yet home (``pending_home``), and the counted exits (attrition, drift). With
    ``entered`` the net people entering from outside (origin renewal; with unlimited origins, each
    recruit), ``opening + entered == sum of places + exits`` every week.
    """
    origins = int(s.stock.sum()) if s.stock is not None else 0
    home = s.flows["returned"] if s.stock is None else 0
    return {"opening": s.opening, "origins": origins, "pipeline": int(sum(s.pipeline)), "pool": int(pool), "held": int(held), "home": home,
            "returning": int(pending_home), "attrition": int(attrition), "drifted": int(drifted), **s.flows}


def ledger_total(book: dict[str, int]) -> int:
    """People in every place of ``ledger`` plus those who left through a counted exit."""
    return sum(book[k] for k in ("origins", "pipeline", "pool", "held", "home", "returning", "attrition", "drifted"))


def rebase(s: RecruitmentState, total_repatriated: int) -> None:
    """Open the books afresh (the model does at the end of its burn-in, when it zeroes its totals).

    ``total_repatriated`` is the model's repatriation total just before it is zeroed: people repatriated
    but not yet home stay pending. Cumulative flows restart at zero; ``opening`` is set by the caller
    from ``ledger_total`` once the model's totals are zeroed.
    """
    s.seen_repatriated -= total_repatriated
    s.flows = dict.fromkeys(FLOWS, 0)
