"""The world outside the map: the overseas option in site choice and the ledger of operations gone overseas."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, REPO, TWO_JURISDICTIONS, burn_in_override, make_params

from sim.cli.main import main
from sim.core import hooks
from sim.core.model import ScamModel
from sim.params.declarations import EnforcementParams, OverseasParams, RelocationParams
from sim.rules import overseas as ledger
from sim.rules.market import prices
from sim.rules.sitechoice import MILLION, NO_SITE, OutsideOption, choose_site
from sim.rules.sitelayers import SiteLayers
from sim.scenario.loader import load_scenario
from sim.world.space import Region, build_region

#: A cheap, safe outside option: affordable to most operators, a raid hazard of 2% a week expected
#: there (a fixed belief, below most operators' tolerance of ~8%), hosts that do not respond, and
#: (unless a test says otherwise) no closures.
CHEAP = ["overseas.enabled=true", "overseas.move_cost=1e6", "overseas.raid_hazard=0.02", "overseas.revenue_factor=0.7",
         "overseas.risk_belief=fixed", "overseas.host_saturation=0", "overseas.closure_hazard=0.0"]
#: Frequent raids everywhere from week 5, so there are many forced moves in a short run.
RAIDS = ["policy.type=case_by_case", "policy.start_week=5", "policy.raid_frequency=150", "policy.jurisdictions=[]"]
WEEKS = 40


def baseline(*sets: str) -> ScamModel:
    return ScamModel(load_scenario(BASELINE, [*RAIDS, *burn_in_override(20), *sets]).params, rng=5)


# ---- neutral: an option nobody can take changes nothing ------------------------------------------

def test_an_option_priced_out_of_reach_writes_the_same_bytes_as_no_option(tmp_path):
    files = {}
    for name, sets in (("off", ["overseas.enabled=false"]), ("priced_out", ["overseas.enabled=true", "overseas.move_cost=1e12"])):
        out = tmp_path / name
        args = ["run", str(REPO / "scenarios" / "case_by_case.toml"), "--seed", "2", "--weeks", "80", "--compare", "--out", str(out)]
        for s in sets:
            args += ["--set", s]
        assert main(args) == 0
        files[name] = {f: (out / f).read_bytes() for f in ("timeseries.csv", "relocations.csv")}
    assert files["off"] == files["priced_out"]
    assert files["off"]["relocations.csv"].count(b"\n") > 10  # moves happened: the option was offered and refused


def test_a_priced_out_option_consumes_no_number_of_the_main_stream():
    p = make_params({}, TWO_JURISDICTIONS)
    region = build_region(p.map, p.run.km_per_cell)
    lay = flat_layers(region, 1000.0)
    far = OutsideOption(5000.0, 0.0, 0.0, 1e12, np.random.default_rng(0))
    for seed in range(30):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        assert pick(region, lay, a) == pick(region, lay, b, outside=far)
        assert a.random() == b.random()


# ---- the choice: one logit over the cells and the outside option ---------------------------------

R = RelocationParams(cost_per_km=0.0, border_cost=0.0, logit_beta=1.5, horizon_weeks=26.0, agglomeration=0.0)
E = EnforcementParams()
WORKERS = 10.0


def flat_layers(region: Region, net_per_worker: float) -> SiteLayers:
    """Every land cell the same and safe, no running cost, no agglomeration: a cell's utility is 26 * 10 * net / 1e6."""
    n = region.n_cells
    zero = np.zeros(n)
    return SiteLayers(np.full(n, net_per_worker), zero, zero, zero, zero, np.ones(n), region.flat_jurisdiction.astype(np.int64),
                      region.land.ravel().copy(), zero, zero)


def pick(region: Region, lay: SiteLayers, rng: np.random.Generator, outside: OutsideOption | None = None, value_at_risk: float = 0.0,
         capital: float = 1e9):
    return choose_site(lay, region, rng, workers=WORKERS, notoriety=np.zeros(region.n_jurisdictions), capital=capital,
                       value_at_risk=value_at_risk, origin=-1, stay_allowed=False, fixed_move_cost=0.0, r=R, e=E, outside=outside)


@pytest.mark.parametrize("odds", [1.0, 1.0 / 3.0])
def test_the_share_going_overseas_is_the_logit_probability(odds):
    p = make_params({}, TWO_JURISDICTIONS)
    region = build_region(p.map, p.run.km_per_cell)
    cells = int(region.land.sum())
    cell_net = 1000.0
    lay = flat_layers(region, cell_net)
    # The outside option costs US$0.2M to reach, runs at US$3,000/week and expects a 1% weekly raid on
    # US$1M at risk; its net per worker is set so beta * (U_out - U_cell) = log(odds * cells), i.e.
    # its weight is odds * cells against the cells' total of cells: p = odds / (1 + odds).
    move, fixed, hazard, at_risk = 2.0e5, 3000.0, 0.01, 1.0e6
    gap = math.log(odds * cells) / R.logit_beta * MILLION  # US$ of horizon net needed above a cell's
    horizon_net = R.horizon_weeks * WORKERS * cell_net + gap + move + R.horizon_weeks * (fixed + hazard * at_risk)
    per_worker = horizon_net / (R.horizon_weeks * WORKERS)
    # The cells read no hazard (base_hazard 0) while the outside option reads 1%: value_at_risk enters only there.
    outside_rng, rng = np.random.default_rng(1), np.random.default_rng(2)
    option = OutsideOption(per_worker, fixed, hazard, move, outside_rng)
    n = 4000
    chosen = [pick(region, lay, rng, option, value_at_risk=at_risk) for _ in range(n)]
    share = np.mean([c.overseas for c in chosen])
    expected = odds / (1.0 + odds)
    # n = 4000 independent choices: the share's standard error is sqrt(p(1-p)/n) <= 0.0079; four of them
    # fail a correct rule with probability 6e-5, and reject a rule that forgot the move cost (p shifts by
    # exp(1.5 * 0.2) - 1 = 35% in odds), the hazard (26 * 1e4 = US$0.26M), or the horizon.
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(share - expected) <= 4 * se, (share, expected)
    away = [c for c in chosen if c.overseas]
    assert all(c.cell == -1 and c.move_cost == move for c in away)
    assert away[0].expected_net == pytest.approx(WORKERS * per_worker - fixed - hazard * at_risk)
    assert len({c.cell for c in chosen if not c.overseas}) > 20  # the rest spread over the equal cells


def test_the_outside_option_is_taken_when_no_cell_is_feasible_and_never_when_unaffordable_or_unprofitable():
    p = make_params({}, TWO_JURISDICTIONS)
    region = build_region(p.map, p.run.km_per_cell)
    nowhere = flat_layers(region, -10.0)  # every cell loses money
    rng = np.random.default_rng(3)
    good = OutsideOption(1000.0, 0.0, 0.0, 1e6, np.random.default_rng(4))
    assert pick(region, nowhere, rng, good).overseas
    assert pick(region, nowhere, rng, good, capital=5e5) == NO_SITE  # cannot afford it
    losing = OutsideOption(1000.0, 20000.0, 0.0, 0.0, np.random.default_rng(4))  # 10 workers net 10,000 < running cost
    assert pick(region, nowhere, rng, losing) == NO_SITE


# ---- the ledger: moves overseas leave the map and go on there ------------------------------------

@pytest.fixture(scope="module")
def cheap_run():
    """Raids everywhere and a cheap, safe outside option with closures: every overseas channel is used."""
    m = baseline(*CHEAP, "overseas.closure_hazard=0.03")
    seen: dict[type, list] = {kind: [] for kind in hooks.EVENT_TYPES}
    for kind in hooks.EVENT_TYPES:
        m.hooks.subscribe(kind, seen[kind].append)
    held0, pool0, away0 = m.workers_held(), m.pool, m.overseas.held()
    weeks = []
    for _ in range(WEEKS):
        m.step()
        weeks.append(dict(m.totals, held=m.workers_held(), pool=m.pool, away=m.overseas.held()))
    return m, seen, (held0, pool0, away0), pd.DataFrame(weeks)


def test_cheap_safe_option_draws_moves_overseas_into_the_ledger(cheap_run):
    m, seen, _, _ = cheap_run
    rows = pd.DataFrame(m.overseas.rows)
    f = m.log.frame()
    assert list(rows["week"]) == list(range(1, WEEKS + 1))
    away = [mv for mv in m.moves if mv[2] == -1]
    assert len(away) >= 10 and rows["departures"].sum() == len(away)
    assert len(away) < len(m.moves)  # the option competes with the cells, it does not replace them
    # announced as moves to -1, counted as relocations (the hooks' counts stay consistent)
    moved = seen[hooks.CompoundMoved]
    assert len(moved) == f["relocations"].sum() == len(m.moves)
    gone = {e.compound for e in moved if e.destination == -1}
    assert len(gone) == len(away) and all(e.cross_border for e in moved if e.destination == -1)
    # gone from the map's table, kept (or closed) in the ledger
    on_map = {c.unique_id for c in m.compound_by_slot.values()}
    assert not gone & on_map
    arrived = m.overseas.arrived >= 1
    assert arrived.any() and set(m.overseas.compound[arrived].tolist()) <= gone  # the ledger keeps their ids
    assert rows["closed"].sum() > 0 and rows["hired"].sum() > 0 and rows["proceeds"].sum() > 0
    assert rows["operations"].iloc[-1] == len(m.overseas) and rows["workers_held"].iloc[-1] == m.overseas.held()
    left = Counter(e.reason for e in seen[hooks.OperatorLeft])
    assert left["overseas"] == rows["operators_left"].sum() > 0


def test_people_are_conserved_with_the_overseas_stock(cheap_run):
    m, _, (held0, pool0, away0), w = cheap_run
    rows = pd.DataFrame(m.overseas.rows)
    cum = w[["inflow", "drifted", "attrition", "repatriated"]]  # cumulative since week 0
    out_cum = rows[["repatriated", "attrition"]].cumsum()
    lhs = held0 + pool0 + away0 + cum["inflow"]
    rhs = w["held"] + w["pool"] + w["away"] + cum["repatriated"] + cum["attrition"] + cum["drifted"] + out_cum["repatriated"] \
        + out_cum["attrition"]
    assert (lhs == rhs).all(), (lhs - rhs)[lhs != rhs]
    # week by week, the overseas stock moves by its own flows
    d_away = w["away"].diff().fillna(w["away"].iloc[0] - away0)
    np.testing.assert_array_equal(d_away, rows["workers_departed"] + rows["hired"] - rows["attrition"] - rows["freed"])
    np.testing.assert_array_equal(rows["freed"], rows["repatriated"] + rows["retrafficked"])
    assert (rows["workers_held"] == w["away"]).all()


def test_an_operation_with_closure_hazard_one_closes_the_next_week_and_frees_its_people():
    m = baseline(*CHEAP[:-1], "overseas.closure_hazard=1.0")
    before = (len(m.overseas), m.overseas.held())
    departures = 0
    for _ in range(WEEKS):
        m.step()
        row = m.overseas.rows[-1]
        assert row["closed"] == before[0] and row["freed"] == before[1]  # everything there last week closed
        assert row["operations"] == row["departures"] and row["workers_held"] == row["workers_departed"]  # only the new arrivals
        assert row["hired"] == 0 and row["proceeds"] == 0.0
        assert row["repatriated"] + row["retrafficked"] == row["freed"]
        departures += row["departures"]
        before = (row["operations"], row["workers_held"])
    assert departures >= 5


def test_the_ledger_week_rule():
    o = OverseasParams(enabled=True, closure_hazard=0.0, hiring_share=0.5, revenue_factor=0.5)
    p = prices(make_params({}, TWO_JURISDICTIONS).market)
    rng = np.random.default_rng(1)
    workers, capacity, setup = np.array([10, 50, 0]), np.array([100, 100, 100]), np.array([0, 2, 0])
    week = ledger.ledger_week(workers, capacity, setup, 1000, o, 0.0, 0.2, p, rng)
    assert not week.closed.any() and week.freed == 0
    # vacancies x hiring rate x share: 90 x 0.1 = 9, none while setting up, 100 x 0.1 = 10
    np.testing.assert_array_equal(week.hires, [9, 0, 10])
    np.testing.assert_allclose(week.proceeds, [19 * p.revenue_per_worker_week * 0.5, 0.0, 10 * p.revenue_per_worker_week * 0.5])
    short = ledger.ledger_week(workers, capacity, setup, 5, o, 0.0, 0.2, p, rng)
    assert short.hires.sum() == 5  # the pool left by the map's compounds is all there is
    shut = ledger.ledger_week(workers, capacity, setup, 1000, OverseasParams(closure_hazard=1.0), 0.0, 0.2, p, rng)
    assert shut.closed.all() and shut.freed == 60 and shut.hires.sum() == 0 and shut.proceeds.sum() == 0
    empty = np.random.default_rng(7)
    ledger.ledger_week(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), 10, o, 0.5, 0.2, p, empty)
    assert empty.random() == np.random.default_rng(7).random()  # an empty ledger draws nothing


def test_the_overseas_section_is_read_from_a_scenario():
    p = make_params({"overseas.enabled": True, "overseas.move_cost": 3e6}, TWO_JURISDICTIONS)
    assert p.overseas.enabled and p.overseas.move_cost == 3e6
    assert make_params({}, TWO_JURISDICTIONS).overseas.enabled  # on by default (issue 12)
    assert not make_params({"overseas.enabled": False}, TWO_JURISDICTIONS).overseas.enabled  # a closed map when asked for


# ---- the hazard overseas, learned from closures (overseas.risk_belief = "learned") ------------------

def test_a_learned_belief_abroad_follows_the_regions_rule_on_the_ledgers_news_and_prices_the_option():
    """Each week: closures abroad among the operations there when it began, through ``beliefs.learn`` with the
    region's half-life; the outside option is scored at the belief. Under "fixed" the belief is never used."""
    from sim.rules import beliefs

    m = baseline(*CHEAP, "overseas.closure_hazard=0.05", "overseas.risk_belief=learned")
    rate = beliefs.learning_rate(m.params.enforcement.belief_half_life)
    b, seen, closures = m.overseas_belief.copy(), m.overseas_belief_seen.copy(), 0
    for _ in range(WEEKS):
        m.step()
        closed, operations = m.overseas_news
        closures += closed
        b, seen = beliefs.learn(b, seen, np.array([float(closed)]), np.array([float(operations)]), rate)
        assert m.overseas_belief[0] == b[0] and m.overseas_belief_seen[0] == seen[0]
        assert m.outside.hazard == b[0]
    assert closures > 0 and len(m.overseas) > 0  # the rule was exercised with news of both kinds
    fixed = baseline(*CHEAP, "overseas.closure_hazard=0.05")
    for _ in range(3):
        fixed.step()
    assert fixed.outside.hazard == fixed.params.overseas.raid_hazard


def test_with_nobody_abroad_the_belief_only_decays_as_an_empty_jurisdictions_does():
    """No operation overseas, no closure seen: no news of danger, so the prior decays at the learning rate
    (the region's rule for an empty jurisdiction): after k weeks it is prior * (1 - rate)^k."""
    from sim.rules import beliefs

    m = baseline("overseas.enabled=true", "overseas.move_cost=1e12", "overseas.risk_belief=learned")  # nobody can go
    prior, rate = m.overseas_belief[0], beliefs.learning_rate(m.params.enforcement.belief_half_life)
    start = m.week
    for _ in range(10):
        m.step()
    assert len(m.overseas) == 0
    assert m.overseas_belief[0] == pytest.approx(prior * (1 - rate) ** (m.week - start), rel=1e-12)


# ---- hosts' response: the closure hazard abroad rises with the operations hosts perceive -------------

def test_hosts_attention_is_the_operations_there_smoothed_with_its_half_life():
    """Analytic limits: from nothing, a constant N operations is perceived as N (1 - 2^(-k / half_life)) after k weeks
    (half of N after one half-life), and a perceived number with nobody left halves every half-life."""
    o = OverseasParams(host_saturation=50.0, host_half_life=10.0)
    attention = 0.0
    for week in range(1, 41):
        attention = ledger.host_attention(attention, 80, o)
        assert attention == pytest.approx(80 * (1 - 0.5 ** (week / 10.0)), rel=1e-12)
    # one week at half-life 1: half of them
    assert ledger.host_attention(0.0, 80, OverseasParams(host_half_life=1.0)) == pytest.approx(40.0, rel=1e-12)
    for _ in range(10):
        attention_before, attention = attention, ledger.host_attention(attention, 0, o)
        assert attention == pytest.approx(attention_before * 0.5 ** 0.1, rel=1e-12)


def test_hosts_closure_hazard_doubles_at_saturation_is_fixed_without_a_response_and_never_exceeds_one():
    assert OverseasParams().host_saturation == 100.0  # the default: hosts respond (ODD 7.13)
    off = OverseasParams(closure_hazard=0.01, host_saturation=0.0)  # no response: the rule before hosts responded
    assert all(ledger.host_closure_hazard(a, off) == 0.01 for a in (0.0, 10.0, 1e9))
    on = OverseasParams(closure_hazard=0.01, host_saturation=40.0)
    assert ledger.host_closure_hazard(0.0, on) == 0.01
    assert ledger.host_closure_hazard(40.0, on) == pytest.approx(0.02, rel=1e-12)
    assert ledger.host_closure_hazard(120.0, on) == pytest.approx(0.04, rel=1e-12)
    assert ledger.host_closure_hazard(1e9, on) == 1.0


@pytest.fixture(scope="module")
def hosts_run():
    """Raids everywhere, a cheap option abroad and hosts that respond strongly: the ledger's weekly rows."""
    m = baseline(*CHEAP[:-1], "overseas.closure_hazard=0.01", "overseas.host_saturation=5", "overseas.host_half_life=4")
    attention0, operations0 = m.overseas.attention, len(m.overseas)
    for _ in range(WEEKS):
        m.step()
    return m, attention0, operations0, pd.DataFrame(m.overseas.rows)


def test_each_weeks_closure_hazard_abroad_follows_the_hosts_rule_on_the_ledgers_own_numbers(hosts_run):
    """Week by week: hosts take in the operations there when the week began (last week's closing stock), and the
    week's hazard is the rule's on that; the closures drawn match the hazards within Poisson noise."""
    m, attention, operations, rows = hosts_run
    o = m.params.overseas
    for row in rows.itertuples():
        attention = ledger.host_attention(attention, operations, o)
        assert row.host_attention == attention
        assert row.closure_hazard == ledger.host_closure_hazard(attention, o)
        operations = row.operations
    expected = float((rows["closure_hazard"].to_numpy() * rows["operations"].shift(1).fillna(0).to_numpy()).sum())
    assert rows["closure_hazard"].max() > 2 * o.closure_hazard  # the response was exercised, not only its floor
    closed = int(rows["closed"].sum())
    assert expected > 10 and abs(closed - expected) < 4 * math.sqrt(expected), (closed, expected)


def test_hosts_that_respond_close_more_operations_per_operation_week_than_hosts_that_do_not():
    """Same seeds, raids and option: without a response closures run at closure_hazard (0.01 per operation-week);
    with hosts that double it at 5 operations they run several times faster once tens of operations are there. Pooled
    over three seeds (a few hundred operation-weeks each), the response's rate must be at least twice the other, and
    the rate without it within 4 Poisson standard errors of 0.01."""
    def closures(*sets: str) -> tuple[int, float]:
        closed, exposure = 0, 0.0
        for seed in (1, 2, 3):
            m = ScamModel(load_scenario(BASELINE, [*RAIDS, *burn_in_override(20), *CHEAP[:-1], "overseas.closure_hazard=0.01",
                                                   *sets]).params, rng=seed)
            for _ in range(WEEKS):
                at_start = len(m.overseas)
                m.step()
                closed += m.overseas.rows[-1]["closed"]
                exposure += at_start
        return closed, exposure

    closed_off, weeks_off = closures()
    closed_on, weeks_on = closures("overseas.host_saturation=5", "overseas.host_half_life=4")
    assert weeks_off > 1000 and weeks_on > 1000
    assert abs(closed_off - 0.01 * weeks_off) < 4 * math.sqrt(0.01 * weeks_off)
    assert closed_on / weeks_on > 2 * closed_off / weeks_off, (closed_on, weeks_on, closed_off, weeks_off)
