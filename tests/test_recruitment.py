"""The recruitment market and the victims' side (sim/rules/recruitment.py, sim/rules/victims.py, sim/core/recruiting.py).

Every test runs the shipped baseline with a short burn-in, so a run takes a second or two, and with
every issue-12 mechanism at its neutral value (``CLOSED_MODEL``) unless the test switches one on: each
mechanism is measured against the earlier model, not against the others. The people ledger is checked
on the shipped defaults too, where people also leave the map for overseas compounds. Where two
runs are compared they share the seed (common random numbers): until the mechanism acts they are
identical, so differences are its effect, and the margins asserted are many times the week-to-week
Poisson noise of recruitment (sd ~ 35 people around a mean of 1,200 a week).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import BASELINE, CLOSED_OVERRIDES, burn_in_override

from sim.core.model import ScamModel
from sim.rules import market, recruitment, victims
from sim.scenario.loader import load_scenario

BURN_IN = burn_in_override(20)
ROOT_CAUSES = ["policy.type=root_causes", "policy.start_week=10"]


def model(*sets: str, seed: int = 3, closed: bool = True) -> ScamModel:
    """The baseline after the burn-in; ``closed``: every issue-12 mechanism neutral unless ``sets`` switch it on."""
    neutral = CLOSED_OVERRIDES if closed else []
    return ScamModel(load_scenario(BASELINE, [*neutral, *BURN_IN, *sets]).params, rng=seed)


def run(weeks: int, *sets: str, seed: int = 3) -> ScamModel:
    return model(*sets, seed=seed).run(weeks)


def recorded(m: ScamModel, key: str) -> np.ndarray:
    """A recruitment series over the recorded weeks only (the state keeps the burn-in too)."""
    s = m.recruitment.series
    weeks = np.array(s["week"])
    return np.array(s[key], dtype=float)[weeks >= 1]


# ---- neutral: the old model is the special case -------------------------------------------------

def test_neutral_mean_is_todays_inflow_to_the_bit():
    m = run(30, "policy.type=root_causes", "policy.start_week=5", "policy.inflow_reduction=0.3")
    lab = m.params.labour
    expected = recorded(m, "expected")
    np.testing.assert_array_equal(expected[:4], lab.inflow_per_week)  # before the policy
    np.testing.assert_array_equal(expected[4:], lab.inflow_per_week * (1.0 - 0.3))  # the same float as today's product
    assert set(m.victims.series["yield"]) == {1.0}
    assert m.prices == market.prices(m.params.market, m.levers.demand_reduction, m.levers.aml_share)


INERT = [  # parameters that matter only when a neutral one is switched on: at neutral they must change nothing
    "recruitment.share_chinese=0.9", "recruitment.awareness_south_asia=0.7", "recruitment.margin_reference=500",
    "recruitment.demand_reference=0.2", "recruitment.broker_fee_share=0.5", "recruitment.cost_spread=0.2",
    "recruitment.stock_renewal=0.5", "recruitment.awareness_half_life=3", "policy.screening_cost=4",
    "victims.renewal_rate=0.5", "victims.reference_workers=5000",
]


def test_inert_parameters_leave_the_run_unchanged_byte_for_byte():
    base = run(40, *ROOT_CAUSES, "policy.repatriation_share=1")
    other = run(40, *ROOT_CAUSES, "policy.repatriation_share=1", *INERT)
    # recruit_awareness reports the origins' awareness, whose starting level and weights are two of these
    # parameters; at neutral nothing moves it, so it stays at that level and nothing else feels it.
    for m in (base, other):
        p = m.params.recruitment
        shares, aware = recruitment.origin_shares(p), recruitment.origin_awareness(p)
        assert set(m.log.frame()["recruit_awareness"]) == {float(np.dot(shares, aware) / shares.sum())}
    assert base.log.frame().drop(columns="recruit_awareness").equals(other.log.frame().drop(columns="recruit_awareness"))
    assert base.moves == other.moves


# ---- the price response -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def price_response():
    """People held after 80 weeks at the calibrated revenue and at double it, for three elasticities."""
    out = {}
    for eps in (0.0, 0.5, 1.0):
        for revenue in (350, 700):
            m = run(80, f"recruitment.price_elasticity={eps}", f"market.revenue_per_worker_day={revenue}")
            out[eps, revenue] = (m.workers_held(), recorded(m, "recruited").sum(), recorded(m, "expected")[-1])
    return out


def test_doubling_revenue_raises_recruitment_and_people_held_more_with_a_higher_elasticity(price_response):
    r = price_response
    # At elasticity 0 recruitment ignores the margin: the same mean every week (the old model).
    assert r[0.0, 700][2] == r[0.0, 350][2] == 1200.0
    gain_recruits = {eps: r[eps, 700][1] - r[eps, 350][1] for eps in (0.0, 0.5, 1.0)}
    gain_held = {eps: r[eps, 700][0] - r[eps, 350][0] for eps in (0.0, 0.5, 1.0)}
    # 80 weeks x 1,200: a 1% difference in recruits is ~1,000 people, ~3 sd of the sum's Poisson noise.
    assert abs(gain_recruits[0.0]) < 0.01 * r[0.0, 350][1]
    assert gain_recruits[0.5] > 0.25 * r[0.5, 350][1]  # margin x 2.09: mean x 1.45 at 0.5
    assert gain_recruits[1.0] > gain_recruits[0.5] + 0.25 * r[1.0, 350][1]  # and x 2.09 at 1
    assert gain_held[1.0] > gain_held[0.5] > gain_held[0.0] + 10000


def test_vacancies_draw_recruits_when_brokers_read_them():
    off = run(40, "market.revenue_per_worker_day=700")
    on = run(40, "market.revenue_per_worker_day=700", "recruitment.demand_elasticity=1")
    assert recorded(on, "signal").mean() > on.params.recruitment.demand_reference  # more paying places than people
    assert recorded(on, "recruited").sum() > 1.1 * recorded(off, "recruited").sum()


# ---- awareness, screening, depletion -------------------------------------------------------------

def test_an_awareness_campaign_lowers_recruitment_and_fades_after_it_ends():
    sets = [*ROOT_CAUSES, "policy.end_week=40"]
    base = run(80, *sets)
    campaign = run(80, *sets, "policy.awareness_campaign=0.01", "recruitment.awareness_half_life=26")
    a, b = recorded(campaign, "awareness"), recorded(base, "awareness")
    np.testing.assert_array_equal(a[:9], b[:9])  # nothing before the start
    assert a[39] > b[39] + 0.1  # 31 weeks of a 1%/week campaign
    assert a[79] < a[39] - 0.02  # memory fades once it stops
    before, during = slice(0, 9), slice(20, 40)
    np.testing.assert_array_equal(recorded(campaign, "expected")[before], recorded(base, "expected")[before])
    # ~15% of the unaware warned by week 20-40: the 20-week sums differ by far more than their noise (sd ~ 0.6%).
    assert recorded(campaign, "recruited")[during].sum() < 0.92 * recorded(base, "recruited")[during].sum()


def test_returnees_warn_their_origins():
    raids = ["policy.type=case_by_case", "policy.start_week=5", "policy.raid_frequency=150", "enforcement.repatriation_share=1"]
    quiet = run(40, *raids)
    told = run(40, *raids, "recruitment.awareness_per_1000_returnees=0.05")
    assert quiet.totals["repatriated"] > 1000
    assert recorded(told, "awareness")[-1] > recorded(quiet, "awareness")[-1] + 0.01
    assert recorded(told, "expected")[-1] < recorded(quiet, "expected")[-1]


def test_viable_share_falls_with_cost_and_rises_with_the_fee():
    assert recruitment.viable_share(1e4, 0.0, 1.0) == 1.0
    shares = [recruitment.viable_share(1e4, c, 1.0) for c in (1e3, 3e3, 1e4, 3e4)]
    assert shares == sorted(shares, reverse=True) and len(set(shares)) == 4
    assert shares[2] == pytest.approx(0.5)  # fee equals the median cost
    assert recruitment.viable_share(2e4, 3e3, 1.0) > recruitment.viable_share(1e4, 3e3, 1.0)


def test_screening_raises_the_cost_per_recruit_and_lowers_recruitment():
    sets = [*ROOT_CAUSES, "recruitment.cost_per_recruit=5000"]
    base = run(40, *sets)
    screened = run(40, *sets, "policy.screening_cost=1")
    v_base, v_screened = recorded(base, "viable"), recorded(screened, "viable")
    assert v_base[-1] == pytest.approx(1.0, abs=0.02)  # the reference market, near the reference margin
    assert v_screened[-1] < 0.85 * v_base[-1]
    assert recorded(screened, "recruited")[15:].sum() < 0.85 * recorded(base, "recruited")[15:].sum()


def test_a_finite_origin_holds_at_reference_and_runs_dry_when_brokers_push():
    boom = ["recruitment.price_elasticity=1", "market.revenue_per_worker_day=700"]
    steady = run(40, "recruitment.stock_weeks=30")
    # Recruited at its reference rate an origin stays near its reference stock; returnees rejoining it add
    # ~100 people a week here, a few per cent of this small stock over 40 weeks.
    assert np.abs(recorded(steady, "stock") / steady.recruitment.reference_stock.sum() - 1).max() < 0.15
    unlimited, finite = run(40, *boom), run(40, *boom, "recruitment.stock_weeks=30")
    assert recorded(finite, "stock")[-1] < 0.8 * finite.recruitment.reference_stock.sum()
    assert recorded(finite, "recruited")[20:].sum() < 0.85 * recorded(unlimited, "recruited")[20:].sum()


# ---- the victims' side ---------------------------------------------------------------------------

def test_victim_stock_falls_as_the_industry_grows():
    p = dataclasses.replace(load_scenario(BASELINE, BURN_IN).params.victims, saturation_workers=110000.0)
    sizes = [0, 50000, 110000, 220000]
    steady = [victims.steady_state(w, p) for w in sizes]
    assert steady == sorted(steady, reverse=True) and steady[0] == 1.0
    assert victims.steady_state(p.saturation_workers, p) == pytest.approx(0.5)
    assert victims.yield_factor(victims.reference_stock(p), p) == 1.0  # the calibrated revenue at the reference size
    v = 1.0
    for _ in range(500):
        v = victims.update(v, 220000, p)
        assert 0 < v <= 1
    assert v == pytest.approx(victims.steady_state(220000, p), rel=1e-3)


def test_revenue_per_worker_falls_when_the_industry_grows():
    on = ["victims.saturation_workers=110000", "victims.renewal_rate=0.05"]
    small = run(60, *on)
    large = run(60, *on, "labour.inflow_per_week=4000")
    # Capacity, not labour, now limits the larger industry, and thinner yields slow its expansion: ~+23%.
    assert large.workers_held() > 1.15 * small.workers_held()
    assert large.victims.stock < small.victims.stock - 0.03
    ratio = large.prices.revenue_per_worker_week / small.prices.revenue_per_worker_week
    assert ratio == pytest.approx(large.victims.stock / small.victims.stock) and ratio < 0.95
    f_small, f_large = small.log.frame().iloc[-10:], large.log.frame().iloc[-10:]
    per_worker = (f_large["revenue"] / f_large["workers_held"]).mean(), (f_small["revenue"] / f_small["workers_held"]).mean()
    assert per_worker[0] < 0.95 * per_worker[1]


# ---- the person ledger ---------------------------------------------------------------------------

BUSY = ["policy.type=combined", "policy.mix=[\"network\"]", "policy.start_week=5", "policy.raid_frequency=150",
        "policy.repatriation_share=0.8", "enforcement.arrest_probability=0.3", "recruitment.transit_weeks=3",
        "recruitment.price_elasticity=0.5", "recruitment.demand_elasticity=0.5", "policy.awareness_campaign=0.002",
        "recruitment.awareness_per_1000_returnees=0.02", "victims.saturation_workers=110000"]


@pytest.mark.parametrize(("stock_weeks", "closed"), [(0, True), (80, True), (0, False), (80, False)])
def test_the_people_ledger_balances_every_week(stock_weeks, closed):
    m = model(*BUSY, f"recruitment.stock_weeks={stock_weeks}", closed=closed)
    book, inflow = m.people, m.totals["inflow"]
    assert book["returning"] > 0  # people freed in the last week of the burn-in are still on their way home
    assert book["opening"] == recruitment.ledger_total(book) and book["entered"] == 0
    for _ in range(60):
        m.step()
        now = m.people
        assert all(v >= 0 for v in now.values()), now
        assert recruitment.ledger_total(now) == now["opening"] + now["entered"], (m.week, now)
        assert recruitment.ledger_total(now) - recruitment.ledger_total(book) == now["entered"] - book["entered"], (m.week, now)
        assert now["arrived"] - book["arrived"] == m.totals["inflow"] - inflow  # the pipeline delivers the pool's inflow
        assert now["pipeline"] - book["pipeline"] == (now["recruited"] - book["recruited"]) - (now["arrived"] - book["arrived"])
        book, inflow = now, m.totals["inflow"]
    assert m.totals["repatriated"] > 1000 and m.people["returned"] > 1000
    if stock_weeks:
        assert m.people["home"] == 0 and m.people["origins"] > 0  # returnees rejoined their origins
    else:
        assert m.people["home"] == m.people["returned"]


def test_split_is_whole_deterministic_and_capped():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    out = recruitment.split(1001, w)
    assert out.sum() == 1001 and out.dtype == np.int64
    np.testing.assert_array_equal(out, recruitment.split(1001, w))
    np.testing.assert_array_equal(recruitment.split(1001, w, np.array([10, 1000, 1000, 1000])), [10, 300, 200, 100])
    lam, by = recruitment.expected_recruits(1200.0, w, 1.0, np.ones(4))
    assert lam == 1200.0 and by.sum() == pytest.approx(1200.0)
