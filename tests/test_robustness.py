"""Every parameter anywhere in its declared range gives a run that is whole, or a named stop.

A user may set any parameter to any value its declaration allows (``sim.params``: ``lo``, ``hi``,
``choices``). Each such run must either finish with its people accounted for (the stock identity of
tests/test_conservation.py, exactly), nothing negative that counts things, and no undefined number other
than the ones the log documents as blank; or stop with a ``SimulationError`` whose message names the
parameters behind it (what ``scamsim`` reports as bad input, exit 2). Any other exception is a bug.

Two designs: each parameter alone at each end of its range (and each choice), and random combinations of
a dozen parameters at once (Hypothesis), drawn log-uniformly over ranges that span more than two orders
of magnitude so the middle of a wide range is tried too. The combinations found the runaway recruitment
market that ``recruitment.runaway`` now names.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
from conftest import SCENARIOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.common.errors import SimulationError
from sim.core.model import ScamModel
from sim.params.declarations import param_fields
from sim.scenario.loader import ScenarioError, load_scenario

#: The scenario with the most mechanisms on (protectors, syndicates, campaigns, borders, premises, overseas).
SCENARIO = SCENARIOS / "baseline_actors.toml"
SHORT = ["run.burn_in_weeks=10", "run.weeks=30"]
#: Blank by design: the mean distance of a week's moves when nobody moved (sim/core/record.py).
MAY_BE_BLANK = {"mean_relocation_km"}
#: Signed by design: operators' capital goes negative before bankruptcy (ODD 7.10).
MAY_BE_NEGATIVE = {"operator_capital"}
#: Every declaration with one value (a number, a truth value or a choice); the lists of names (targets,
#: territories, scheduled campaigns) are checked by name against the map and the actors (tests/test_input_errors.py).
FIELDS = {k: f for k, f in param_fields().items()
          if not k.startswith("run.") and (f.metadata.get("choices") or isinstance(f.default, (bool, int, float)))}


def _text(value: float | int | bool | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _ends(key: str) -> list[str]:
    """The values a parameter is tried at alone: both ends of its range, every choice, the other truth value."""
    f = FIELDS[key]
    md, default = f.metadata, f.default
    if md.get("choices"):
        return [_text(c) for c in md["choices"]]
    if isinstance(default, bool):
        return [_text(not default)]
    ends = []
    for bound in (md.get("lo"), md.get("hi")):
        if bound is None or math.isinf(bound):
            continue
        ends.append(_text(int(bound) if isinstance(default, int) else float(bound)))
    return ends


CASES = [(k, v) for k in FIELDS for v in _ends(k)]


def check_run(overrides: list[str]) -> str:
    """Run ``SCENARIO`` with ``overrides`` and check it (``run_whole``); 'refused' for a combination the scenario
    checks refuse (a timeline event needing what the values switched off)."""
    try:
        params = load_scenario(SCENARIO, [*SHORT, *overrides]).params
    except ScenarioError as exc:
        assert all(p.strip() for p in exc.problems)
        return "refused"
    return run_whole(params, 3, overrides)


def run_whole(params, seed: int, label: object) -> str:
    """Run ``params`` from construction (the burn-in included) and check it is whole: 'ran', or 'stopped' for a
    ``SimulationError`` that names a parameter. ``label`` says which case failed."""
    try:
        m = ScamModel(params, rng=seed)  # the burn-in runs here
        held0, abroad0, pool0 = m.workers_held(), m.overseas.held(), m.pool
        start = dict(m.totals)
        m.run()
    except SimulationError as exc:
        assert re.search(r"\b[a-z_]+\.[a-z_]+\b", str(exc)), f"a stop that names no parameter: {exc}"
        return "stopped"
    t = {k: m.totals[k] - start.get(k, 0) for k in m.totals}
    assert held0 + abroad0 + pool0 + t["inflow"] == (
        m.workers_held() + m.overseas.held() + m.pool + t["drifted"] + t["attrition"] + t["repatriated"]
        + t["overseas_attrition"] + t["overseas_repatriated"]), label
    frame = m.log.frame().select_dtypes("number")
    blank = [c for c in frame if c not in MAY_BE_BLANK and frame[c].isna().any()]
    assert not blank, (blank, label)
    values = frame.to_numpy(dtype=float)
    assert not np.isinf(values).any(), label
    negative = [c for c in frame if c not in MAY_BE_NEGATIVE and (frame[c] < 0).any()]
    assert not negative, (negative, label)
    tab = m.compound_table
    s = tab.slots
    assert (tab.workers[s] >= 0).all() and (tab.workers[s] <= tab.capacity[s]).all(), label
    return "ran"


@pytest.mark.slow
@pytest.mark.parametrize(("key", "value"), CASES, ids=[f"{k}={v}" for k, v in CASES])
def test_each_parameter_at_each_end_of_its_range(key, value):
    assert check_run([f"{key}={value}"]) in {"ran", "stopped", "refused"}


def test_the_ends_cover_every_declared_parameter():
    """No one-valued declaration is skipped by the design above (a numeric one without finite bounds would be)."""
    tried = {k for k, _ in CASES}
    assert tried == set(FIELDS), sorted(set(FIELDS) - tried)


def _value(key: str) -> st.SearchStrategy[str]:
    f = FIELDS[key]
    md, default = f.metadata, f.default
    if md.get("choices"):
        return st.sampled_from(md["choices"]).map(_text)
    if isinstance(default, bool):
        return st.booleans().map(_text)
    lo, hi = md["lo"], md["hi"]
    wide = lo > 0 and hi / lo > 100
    inside = st.floats(math.log(lo), math.log(hi)).map(math.exp) if wide else st.floats(lo, hi)
    number = st.one_of(st.sampled_from([lo, hi]), inside).map(lambda x: min(max(x, lo), hi))
    return number.map(lambda x: _text(round(x) if isinstance(default, int) else float(x)))


RANDOM_KEYS = sorted(k for k in FIELDS if _ends(k) and not k.startswith("policy."))


@st.composite
def combinations(draw) -> list[str]:
    keys = draw(st.lists(st.sampled_from(RANDOM_KEYS), min_size=6, max_size=12, unique=True))
    return [f"{k}={draw(_value(k))}" for k in keys]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(combinations())
def test_random_combinations_run_whole_or_stop_with_a_name(overrides):
    assert check_run(overrides) in {"ran", "stopped", "refused"}


# ---- timelines: the history's events anywhere, overlapping, announced or not ---------------------------------

HISTORY = load_scenario(SCENARIOS / "mekong_history.toml", ["run.burn_in_weeks=10", "run.weeks=120"]).params


@st.composite
def timelines(draw) -> tuple:
    """The history's own events, each kept or dropped, moved to any week, given any end, announced or not, some twice."""
    out = []
    for k, ev in enumerate(HISTORY.timeline):
        if not draw(st.booleans()):
            continue
        start = draw(st.integers(1, 120))
        end = draw(st.one_of(st.just(-1), st.integers(start, start + 60)))
        copies = draw(st.integers(1, 2))
        for c in range(copies):
            out.append(dataclasses.replace(ev, start_week=start + 7 * c, end_week=end if end < 0 else end + 7 * c,
                                           announce_weeks=draw(st.sampled_from([0, 4, 26])), name=f"e{k}_{c}"))
    return tuple(out)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(timelines())
def test_random_timelines_of_the_history_s_events_keep_people_whole(timeline):
    """Events of every kind, overlapping in any order (sanctions during a ban, a cut inside a campaign, the same raid
    twice), leave every person accounted for, and nothing negative or blank that the log does not document; the
    history's parameters cannot run away, so every timeline runs to its end."""
    assert run_whole(dataclasses.replace(HISTORY, timeline=timeline), 11, [ev.name for ev in timeline]) == "ran"
