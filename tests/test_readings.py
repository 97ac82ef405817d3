"""The two rules that keep the app and the briefs from misleading: which policy types cannot differ under a
scenario (sim.viz.equivalence), and whether a measure's values can be quoted (sim.viz.readings)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.briefs import briefing
from sim.measures.run import simulate
from sim.scenario.loader import load_scenario
from sim.viz import equivalence, readings

SCENARIOS = briefing.SHIPPED_ROOT / "scenarios"


def _params(name: str, *over: str):
    return load_scenario(SCENARIOS / name, list(over)).params


# ---- equivalence ----------------------------------------------------------------------------------

def test_coordination_with_one_applying_jurisdiction_is_case_by_case() -> None:
    laos = _params("case_by_case.toml")
    assert equivalence.applying_jurisdictions(laos) == ("Laos",)
    groups = equivalence.equivalent_policies(laos, ["case_by_case", "hotspot", "network", "coordinated"])
    assert groups == [("case_by_case", "coordinated")]
    [warning] = equivalence.equivalence_warnings(laos, ["case_by_case", "coordinated"])
    assert "only one jurisdiction" in warning and "Laos" in warning
    region = _params("case_by_case.toml", 'policy.jurisdictions=["Laos", "Shan"]')
    assert equivalence.equivalent_policies(region, ["case_by_case", "coordinated"]) == []


def test_the_rule_matches_the_model() -> None:
    """Types the rule calls equivalent run identically; the ones it does not call equivalent differ."""
    base = ["run.weeks=70", "policy.start_week=20", "run.seed=3"]

    def run(kind: str, *over: str) -> np.ndarray:
        return simulate(_params("case_by_case.toml", *base, f'policy.type="{kind}"', *over)).workers

    assert np.array_equal(run("coordinated"), run("case_by_case"))
    assert np.array_equal(run("hotspot", "policy.hotspot_weeks=0"), run("case_by_case"))
    assert not np.array_equal(run("hotspot"), run("case_by_case"))
    two = 'policy.jurisdictions=["Laos", "Shan"]'
    assert not np.array_equal(run("coordinated", two), run("case_by_case", two))


def test_other_equivalences() -> None:
    p = _params("baseline.toml", "policy.hotspot_weeks=0")
    assert ("case_by_case", "hotspot") in equivalence.equivalent_policies(p, ["case_by_case", "hotspot", "network"])
    bg = _params("baseline.toml").enforcement.background_raid_frequency
    same = _params("baseline.toml", f"policy.raid_frequency={bg}")
    assert ("none", "case_by_case", "root_causes") in equivalence.equivalent_policies(same, ["none", "case_by_case", "root_causes"])
    late = _params("baseline.toml", "run.weeks=60", "policy.start_week=100")
    assert equivalence.equivalent_policies(late) == [tuple(equivalence.POLICY_TYPES)]
    assert "never starts" in equivalence.equivalence_warnings(late)[0]
    levers = _params("baseline.toml", "policy.aml_share=0.1")
    assert equivalence.signature(levers, "root_causes").levers == {"aml_share"}
    with pytest.raises(ValueError, match="not one of"):
        equivalence.signature(levers, "carpet_bombing")


# ---- readings ---------------------------------------------------------------------------------------

def test_one_run_has_no_interval() -> None:
    r = readings.assess([0.76], "persistence_vs_counterfactual_workers")
    assert r.status == readings.TOO_FEW and not r.quotable
    assert "interval" not in r.text().replace("no interval", "")
    assert r.text() == "0.76 (one run: no interval)"


def test_undefined_and_partly_undefined() -> None:
    assert readings.assess([None, math.nan]).status == readings.UNDEFINED
    assert readings.assess([]).status == readings.UNDEFINED
    partly = readings.assess([0.5, None, 0.4])
    assert partly.status == readings.UNSTABLE and "undefined in 1 of 3" in partly.reason


def test_wide_intervals_and_near_zero_denominators_are_unstable() -> None:
    wide = readings.assess([-3.0, 2.5, 0.2], "displacement.wdq_buffer")
    assert wide.status == readings.UNSTABLE and "wider than the plausible range" in wide.reason
    tight = readings.assess([0.81, 0.79, 0.80], "counterfactual.persistence_vs_counterfactual_workers")
    # mean 0.80, sd 0.01 over 3 runs: 0.80 +- t(0.975, 2) 0.01 / sqrt(3) = 0.80 +- 0.0248
    assert tight.status == readings.STABLE and tight.text() == "0.80 (95% interval 0.78 to 0.82)"
    near = readings.assess([4.0, 0.3], "displacement_share", denominators=[10.0, 900.0], scale=1000.0)
    assert near.status == readings.UNSTABLE and "near zero in 1 of 2" in near.reason
    fine = readings.assess([0.4, 0.3, 0.35], "displacement_share", denominators=[300.0, 400.0, 350.0], scale=1000.0)
    assert fine.status == readings.STABLE
    two = readings.assess([0.4, 0.3], "displacement_share")  # t with one degree of freedom: wider than 0 to 1
    assert two.status == readings.UNSTABLE
