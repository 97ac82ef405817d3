"""Scenario validation: every kind of bad input is refused with a message naming the file and the key.

Bad inputs are built two ways: as parsed dicts through ``params_from_dict`` (with a file label), and as
real TOML files in ``tmp_path`` through ``load_scenario``, which must name the file's path.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from conftest import BASELINE, SCENARIOS, TWO_JURISDICTIONS, scenario_dict

from sim.core.model import ScamModel
from sim.params.declarations import POLICY_TYPES, SECTIONS
from sim.scenario.loader import GENERATED_MAP, ScenarioError, default_params, load_scenario, params_from_dict

WHERE = "bad.toml"


def problems_of(data: dict, overrides: tuple[str, ...] = ()) -> list[str]:
    """The problems a scenario dict is refused with (fails the test if it is accepted)."""
    with pytest.raises(ScenarioError) as info:
        params_from_dict(data, WHERE, overrides)
    assert info.value.problems, "a ScenarioError must list at least one problem"
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def only_problem(data: dict, overrides: tuple[str, ...] = ()) -> str:
    found = problems_of(data, overrides)
    assert len(found) == 1, found
    return found[0]


def small(**tables) -> dict:
    """A valid small-map scenario with extra tables merged in."""
    data = scenario_dict()
    for name, table in tables.items():
        if isinstance(table, dict):
            data.setdefault(name, {}).update(table)
        else:
            data[name] = table
    return data


def test_the_small_map_and_the_shipped_scenarios_are_valid():
    params_from_dict(small(), WHERE)  # the base every bad case below changes in one place
    shipped = sorted(SCENARIOS.glob("*.toml"))
    assert BASELINE in shipped
    for path in shipped:
        load_scenario(path)


def toml_value(value) -> str:
    """A parameter value as TOML (the loader only reads TOML, so the test writes it by hand)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def test_every_declared_default_passes_the_validation_a_file_gets(tmp_path):
    # Every default written out explicitly, as a user would, must be accepted: a default outside its
    # own declared range or of the wrong type would be refused here (defaults never pass through
    # validation when a key is left out). The file must then give exactly the built-in parameters.
    defaults = default_params()
    lines = ["[map]", *(f"{k} = {toml_value(v)}" for k, v in GENERATED_MAP.items())]
    for section in SECTIONS:
        lines.append(f"\n[{section}]")
        for f in dataclasses.fields(SECTIONS[section]):
            lines.append(f"{f.name} = {toml_value(getattr(getattr(defaults, section), f.name))}")
    path = tmp_path / "all_defaults.toml"
    path.write_text("\n".join(lines) + "\n")
    assert load_scenario(path).params == defaults
    # ... and an empty file, which leaves every key out, gives the same parameters.
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing set: every parameter takes its default\n")
    assert load_scenario(empty).params == defaults


def test_a_run_on_the_defaults_accounts_for_every_person():
    # What ``ScamModel()`` runs with no scenario must be a working model, not only a valid one:
    # people are conserved (see tests/test_conservation.py), on the map and overseas, and the market does something.
    m = ScamModel(default_params(), rng=2)
    held0, abroad0, pool0 = m.workers_held(), m.overseas.held(), m.pool
    assert held0 > 0 and m.compound_table.count() > 0
    m.run(26)
    t = m.totals
    assert t["inflow"] > 0 and t["attrition"] > 0 and t["departed_overseas"] > 0
    abroad = m.overseas.held()
    assert abroad - abroad0 == (t["departed_overseas"] + t["overseas_hired"] - t["overseas_attrition"]
                                - t["overseas_repatriated"] - t["overseas_retrafficked"])
    assert held0 + abroad0 + pool0 + t["inflow"] == (m.workers_held() + abroad + m.pool + t["repatriated"] + t["attrition"]
                                                     + t["drifted"] + t["overseas_repatriated"] + t["overseas_attrition"])
    f = m.log.frame()
    assert len(f) == 26 and f["raids"].sum() > 0


# ---- keys and tables ---------------------------------------------------------------------------

def test_unknown_key_with_close_match_suggestion():
    msg = only_problem(small(policy={"type": "case_by_case", "raid_frequncy": 12.0}))
    assert msg.startswith(f"{WHERE}:")
    assert "policy.raid_frequncy" in msg
    assert "did you mean 'raid_frequency'?" in msg


def test_unknown_key_without_a_close_match_lists_the_allowed_keys():
    msg = only_problem(small(labour={"zzzz": 1}))
    assert WHERE in msg and "labour.zzzz" in msg
    assert "did you mean" not in msg
    assert "allowed:" in msg and "inflow_per_week" in msg and "attrition" in msg


def test_unknown_table_with_suggestion():
    msg = only_problem(small(polcy={"type": "case_by_case"}))
    assert WHERE in msg and "[polcy]" in msg
    assert "did you mean 'policy'?" in msg


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("run", "weeks", "ten", "a whole number"),
        ("run", "weeks", 10.0, "a whole number"),  # a float where a whole number is needed
        ("run", "weeks", True, "a whole number"),  # TOML booleans are not numbers
        ("market", "demand_factor", "high", "a number"),
        ("market", "demand_factor", False, "a number"),
        ("operators", "bankruptcy", 1, "true or false"),
        ("policy", "type", 3, "a string"),
        ("policy", "jurisdictions", "A", "a list of names"),
        ("policy", "jurisdictions", ["A", 2], "a list of names"),
    ],
)
def test_wrong_type(section, key, value, expected):
    msg = only_problem(small(**{section: {key: value}}))
    assert WHERE in msg and f"{section}.{key}" in msg
    assert "wrong type" in msg and expected in msg


def test_a_table_given_as_a_value():
    msg = only_problem(small(run=5))
    assert WHERE in msg and "[run]" in msg


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("labour", "attrition", 1.5),
        ("labour", "attrition", -0.01),
        ("run", "weeks", 0),
        ("run", "seed", -1),
        ("enforcement", "detection_rate", -0.1),
        ("compounds", "capacity_mean", 0.5),
        ("policy", "end_week", -2),
        ("enforcement", "raid_failure", math.inf),
    ],
)
def test_out_of_range(section, key, value):
    msg = only_problem(small(**{section: {key: value}}))
    assert WHERE in msg and f"{section}.{key}" in msg
    assert "out of range" in msg and "allowed: from" in msg


def test_nan_is_refused():
    # TOML has `nan`; a NaN parameter poisons every sum it enters and must be refused like any out-of-range value.
    msg = only_problem(small(market={"demand_factor": math.nan}))
    assert WHERE in msg and "market.demand_factor = nan is out of range" in msg and "a finite number" in msg


def test_every_problem_is_reported_at_once():
    found = problems_of(small(run={"weeks": "x"}, labour={"attrition": 2.0, "atrition": 0.1}, polcy={}))
    assert len(found) == 4, found
    assert all(p.startswith(f"{WHERE}:") for p in found)
    for key in ("run.weeks", "labour.attrition", "labour.atrition", "[polcy]"):
        assert any(key in p for p in found), key


# ---- policy ------------------------------------------------------------------------------------

def test_unknown_policy_type_with_suggestion():
    msg = only_problem(small(policy={"type": "case-by-case"}))
    assert WHERE in msg and "policy.type" in msg
    assert "did you mean 'case_by_case'?" in msg
    for allowed in POLICY_TYPES:
        assert allowed in msg


@pytest.mark.parametrize("key", ["jurisdictions", "buffer", "control"])
def test_unknown_jurisdiction_in_policy(key):
    region = {"layout": ["LLTT", "LLTT"],
              "jurisdictions": {"Laos": {"symbol": "L"}, "Thailand": {"symbol": "T"}}}
    data = scenario_dict({"policy.type": "case_by_case", f"policy.{key}": ["Loas"]}, region)
    msg = only_problem(data)
    assert WHERE in msg and "'Loas'" in msg
    assert "did you mean 'Laos'?" in msg
    assert "Laos" in msg and "Thailand" in msg


def test_policy_end_before_start():
    msg = only_problem(small(policy={"type": "case_by_case", "start_week": 20, "end_week": 10}))
    assert WHERE in msg and "policy.end_week" in msg and "policy.start_week" in msg


# ---- the map -----------------------------------------------------------------------------------

def test_layout_symbol_without_a_jurisdiction():
    data = small()
    data["map"]["layout"] = ["AAAXBBBB", *TWO_JURISDICTIONS["layout"][1:]]
    msg = only_problem(data)
    assert WHERE in msg and "map.layout" in msg and "'X'" in msg
    assert "known symbols: A, B" in msg


def test_ragged_layout():
    data = small()
    data["map"]["layout"] = ["AAAABBBB", "AAAABBB", "AAAABBBB"]
    found = problems_of(data)
    assert any(WHERE in p and "map.layout" in p and "differ in length" in p for p in found), found


def test_ragged_layout_blames_only_the_layout():
    data = small()
    data["map"]["layout"] = ["AAAABBBB", "AAAABBB", "AAAABBBB"]
    assert len(problems_of(data)) == 1


def test_zones_layout_of_the_wrong_size_and_unknown_zone_symbol():
    data = small()
    data["map"]["zones"] = ["........", "........"]
    msg = only_problem(data)
    assert WHERE in msg and "map.zones" in msg
    data["map"]["zones"] = ["..z.....", "........", "........", "........"]
    msg = only_problem(data)
    assert WHERE in msg and "map.zones" in msg and "'z'" in msg


@pytest.mark.parametrize(("symbol", "fragment"), [("AB", "symbol"), (".", "symbol"), (7, "must be a string")])
def test_bad_jurisdiction_symbol(symbol, fragment):
    data = small()
    data["jurisdictions"]["A"]["symbol"] = symbol
    found = problems_of(data)
    assert any(WHERE in p and "jurisdictions.A.symbol" in p and fragment in p for p in found), found


def test_duplicate_symbols_and_missing_symbol():
    data = small()
    data["jurisdictions"]["B"]["symbol"] = "A"
    found = problems_of(data)
    assert any(WHERE in p and "share the symbol" in p and "'A'" in p for p in found), found
    data = small()
    del data["jurisdictions"]["B"]["symbol"]
    found = problems_of(data)
    assert any(WHERE in p and "jurisdictions.B has no symbol" in p for p in found), found


def test_jurisdiction_attribute_out_of_range_and_unknown():
    data = small()
    data["jurisdictions"]["A"]["governance"] = 1.5
    data["jurisdictions"]["B"]["goverance"] = 0.5
    found = problems_of(data)
    assert any(WHERE in p and "jurisdictions.A.governance" in p and "out of range" in p for p in found), found
    assert any(WHERE in p and "jurisdictions.B.goverance" in p and "did you mean 'governance'?" in p for p in found), found


def test_jurisdiction_without_a_cell():
    data = small()
    data["jurisdictions"]["C"] = {"symbol": "C"}
    msg = only_problem(data)
    assert WHERE in msg and "jurisdictions.C" in msg and "no cell" in msg


def test_unknown_map_key_and_generator():
    msg = only_problem(small(map={"layuot": ["A"]}))
    assert WHERE in msg and "map.layuot" in msg and "did you mean 'layout'?" in msg
    msg = only_problem({"map": {"generator": "hexes"}})
    assert WHERE in msg and "map.generator" in msg


def test_generated_map_refuses_a_table_for_an_unknown_jurisdiction():
    # The generated map names its jurisdictions JA, JB, ...; a table for "Nowhere" changes nothing and must be refused.
    msg = only_problem({"jurisdictions": {"Nowhere": {"governance": 0.3}}})
    assert WHERE in msg and "[jurisdictions.Nowhere]" in msg and "JA" in msg


# ---- files and --set ---------------------------------------------------------------------------

def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_file_messages_name_the_path(tmp_path):
    path = write(tmp_path, '[run]\nweeks = "many"\n[policy]\nraid_frequncy = 3.0\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    found = info.value.problems
    assert len(found) == 2, found
    assert all(p.startswith(f"{path}:") for p in found)
    assert any("run.weeks" in p for p in found)
    assert any("policy.raid_frequncy" in p and "raid_frequency" in p for p in found)


def test_invalid_toml_and_missing_file(tmp_path):
    path = write(tmp_path, "[run\nweeks = 3\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].startswith(f"{path}:") and "not valid TOML" in info.value.problems[0]
    missing = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    assert info.value.problems[0].startswith(f"{missing}:")


def test_overrides_are_validated_and_applied():
    p = load_scenario(BASELINE, ["run.weeks=7", "policy.raid_frequency=3"]).params
    assert p.run.weeks == 7
    assert p.policy.raid_frequency == 3.0
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, ["policy.raid_frequncy=3", "labour.attrition=7", "nodot=1", "polcy.type=none"])
    found = info.value.problems
    assert len(found) == 4, found
    assert any("--set" in p and "policy.raid_frequncy" in p and "did you mean 'raid_frequency'?" in p for p in found)
    assert any("--set" in p and "labour.attrition" in p and "out of range" in p for p in found)
    assert any("'nodot=1'" in p and "section.key=value" in p for p in found)
    assert any("--set" in p and "[polcy]" in p and "did you mean 'policy'?" in p for p in found)
