"""Shared helpers for the model-core tests: small validated scenarios, the shipped baseline, the CLI.

Every scenario a test builds goes through ``params_from_dict``, the same validation a scenario file
gets, so a test can never run on parameters a user could not write.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sim.params.declarations import SECTIONS, Params
from sim.scenario.loader import params_from_dict

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
BASELINE_CLOSED = SCENARIOS / "baseline_closed.toml"

#: One jurisdiction, 5 x 4 cells: every cell has the same governance, so detection is one number.
ONE_JURISDICTION = {
    "layout": ["AAAAA", "AAAAA", "AAAAA", "AAAAA"],
    "jurisdictions": {"A": {"symbol": "A", "governance": 0.4, "protection": 0.0}},
}

#: Two jurisdictions side by side, 8 x 4 cells, so moves can cross a border.
TWO_JURISDICTIONS = {
    "layout": ["AAAABBBB", "AAAABBBB", "AAAABBBB", "AAAABBBB"],
    "jurisdictions": {
        "A": {"symbol": "A", "governance": 0.6, "protection": 0.0},
        "B": {"symbol": "B", "governance": 0.3, "protection": 0.5},
    },
}

def _closed_model() -> dict[str, Any]:
    """The neutral values of issue 12's mechanisms, read from the parameter tables of baseline_closed.toml
    (its [run] table names the scenario and is not a mechanism), so the file stays the one source."""
    data = tomllib.loads(BASELINE_CLOSED.read_text(encoding="utf-8"))
    return {f"{section}.{name}": value for section, table in data.items()
            if isinstance(table, dict) and section != "run" for name, value in table.items()}


#: The earlier model (fixed inflow, linear revenue, closed map, raid programme known in advance) as dotted
#: overrides: for tests whose subject is that model's analytic limit, or a mechanism measured against the
#: neutral baseline. Later values (a test's own) override these.
CLOSED_MODEL: dict[str, Any] = _closed_model()

#: The same as ``--set`` strings for ``load_scenario`` (values written as TOML).
CLOSED_OVERRIDES: list[str] = [f"{k}={json.dumps(v)}" for k, v in CLOSED_MODEL.items()]


def optional(key: str, value: Any) -> dict[str, Any]:
    """``{key: value}`` if the parameter exists in this version of the model, else ``{}``.

    Only for parameters a test must neutralise when they exist (e.g. a burn-in, a responsive raid
    budget); every other key goes through validation, so a typo still fails loudly.
    """
    section, name = key.split(".", 1)
    return {key: value} if name in {f.name for f in dataclasses.fields(SECTIONS[section])} else {}


def burn_in(weeks: int) -> dict[str, int]:
    """``run.burn_in_weeks`` set to ``weeks`` where the model has a burn-in (it resets the log and totals
    after simulating unrecorded weeks); nothing where it has none. Tests that reason from the state at
    week 0 use ``burn_in(0)``."""
    return optional("run.burn_in_weeks", weeks)


def burn_in_override(weeks: int) -> list[str]:
    """The same as ``--set`` strings for ``load_scenario``."""
    return [f"{k}={v}" for k, v in burn_in(weeks).items()]


#: Settings that make every site affordable and profitable and put nothing at risk in site choice:
#: no running cost, free moves, nothing seized, so ``value_at_risk`` is 0 and a compound with at
#: least one worker nets a positive amount on every land cell (revenue > upkeep at these defaults).
FREE_SITES: dict[str, Any] = {
    "market.site_cost_week": 0.0,
    "relocation.base_cost": 0.0,
    "relocation.sunk_share": 0.0,
    "relocation.cost_per_km": 0.0,
    "relocation.border_cost": 0.0,
    "enforcement.seizure_share": 0.0,
}


def nest(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"labour.attrition": 0.1}`` -> ``{"labour": {"attrition": 0.1}}`` (scenario-file shape)."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        section, name = key.split(".", 1)
        out.setdefault(section, {})[name] = value
    return out


def scenario_dict(values: dict[str, Any] | None = None, region: dict[str, Any] | None = None) -> dict[str, Any]:
    """A scenario as a parsed TOML dict: dotted parameter values on a small map (default: two jurisdictions).

    There is no burn-in unless ``values`` asks for one, so week 0 is the state ``_populate`` built.
    """
    region = TWO_JURISDICTIONS if region is None else region
    data: dict[str, Any] = nest({**burn_in(0), **(values or {})})
    data["map"] = {"layout": list(region["layout"])}
    data["jurisdictions"] = {k: dict(v) for k, v in region["jurisdictions"].items()}
    return data


def make_params(values: dict[str, Any] | None = None, region: dict[str, Any] | None = None) -> Params:
    """Validated parameters for a small-map scenario (raises ScenarioError like a bad file would)."""
    return params_from_dict(scenario_dict(values, region), "<test>")


def scamsim_command() -> list[str]:
    """The installed ``scamsim`` console script of this interpreter (or ``python -m sim.cli.main``)."""
    script = Path(sys.executable).with_name("scamsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("scamsim")
    return [found] if found else [sys.executable, "-m", "sim.cli.main"]


@pytest.fixture(scope="session")
def scamsim() -> list[str]:
    return scamsim_command()


#: A two-point experiment small enough for tests: no policy and case-by-case raids, two replications of 30
#: weeks after a 20-week burn-in, with counterfactuals (used by the experiment and reliability tests).
TINY = f"""
[experiment]
name = "tiny"
scenario = "{BASELINE}"
replications = 2
weeks = 30
seed = 7
counterfactual = true

[set]
"policy.start_week" = 10
"run.burn_in_weeks" = 20

[factors]
"policy.type" = ["none", "case_by_case"]
"policy.raid_frequency" = 96.0   # one value: the "none" point differs from its counterfactual here
"""
