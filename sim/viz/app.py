"""The interactive browser app: ``solara run sim/viz/app.py`` (or ``scamsim viz [SCENARIO]``).

Mesa's SolaraViz page with three panels: the map (compounds, raids, relocation trails), the charts
(workers by jurisdiction with the optional no-policy counterfactual, moves per week, freed people)
and the headline measures. The drawing lives in ``sim.viz.drawing``; this file only wires it to Solara.
Controls take effect on Reset, as everywhere in SolaraViz.
"""

from __future__ import annotations

import html
import os
import re
import sys

import reacton.ipywidgets as rw
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization import solara_viz as _solara_viz

from sim.cli.app import initial_scenario, resolve_scenario, scenario_names
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params
from sim.params.declarations import POLICY_TYPES
from sim.scenario.loader import ScenarioError, default_params, load_scenario
from sim.viz import drawing as viz

#: Root-cause levers offered as sliders: (PolicyParams field, label).
LEVERS = (
    ("aml_share", "Anti-money-laundering: share lost"),
    ("inflow_reduction", "Trafficking inflow stopped (share)"),
    ("protection_sanctions", "Sanctions: protection removed (share)"),
    ("demand_reduction", "Demand: revenue removed (share)"),
    ("repatriation_share", "Freed people sent home (share)"),
)
# Pause between frames while playing. SolaraViz's play loop runs in a thread and asks for a redraw after
# each frame; if it asks again before the last redraw is done, the request is served by whichever
# thread holds the render lock, and when that is the thread answering the browser it can keep
# redrawing without ever sending the result (the page freezes while the model runs on). A pause
# longer than one redraw (~60 ms here) avoids that, so keep this above the redraw time.
PLAY_INTERVAL_MS = int(os.environ.get("SCAMSIM_PLAY_INTERVAL_MS", "100"))
# Weeks per frame (and per click on Step). At 3 the default scenario plays at 10+ weeks a second even on
# a loaded 2-core machine; at 1 it shows every week at 4-7 weeks a second (docs/app.md, "Speed").
RENDER_INTERVAL = int(os.environ.get("SCAMSIM_RENDER_INTERVAL", "3"))


def scenario_params(name: str):
    """Validated parameters of a picker entry (a file in scenarios/, a path, or the built-in defaults)."""
    path = resolve_scenario(name)
    return default_params() if path is None else load_scenario(path).params


def valid_scenario_names() -> list[str]:
    """The files in scenarios/ that validate (the picker lists only these; problems go to the server log)."""
    names = []
    for name in scenario_names():
        try:
            scenario_params(name)
        except (ScenarioError, OSError) as exc:
            print(f"scamsim app: leaving {name} out of the scenario picker: {exc}", file=sys.stderr)
        else:
            names.append(name)
    return names


def _unchanged_repatriation(params) -> float:
    p = params.policy.repatriation_share
    return p if p >= 0 else params.enforcement.repatriation_share


class AppModel(ScamModel):
    """ScamModel built from the app's controls: a scenario file plus overrides of its policy.

    Args:
        scenario_file: picker entry (a name in scenarios/, a path, or the built-in defaults).
        policy_type: one of ``sim.params.declarations.POLICY_TYPES``.
        raid_frequency: ``policy.raid_frequency``, raids per agency per year at governance 1.
        aml_share, inflow_reduction, protection_sanctions, demand_reduction: root-cause levers (policy.*).
        repatriation_share: share of freed people sent home under the policy; the scenario's value
            leaves ``policy.repatriation_share`` as the file has it.
        compare: also run the no-policy counterfactual (same seed), stepped in lockstep.
        seed: random seed; a string of digits is accepted (mesa issue 3516).

    The model stops (``running`` false) at the scenario's ``run.weeks``.
    """

    def __init__(self, scenario_file: str | None = None, policy_type: str | None = None, raid_frequency: float | None = None,
                 aml_share: float | None = None, inflow_reduction: float | None = None, protection_sanctions: float | None = None,
                 demand_reduction: float | None = None, repatriation_share: float | None = None, compare: bool = False,
                 seed: int | str | None = None) -> None:
        scenario_file = scenario_file or initial_scenario()
        params = scenario_params(scenario_file)
        values: dict[str, object] = {}
        if policy_type is not None:
            if policy_type not in POLICY_TYPES:
                raise ValueError(f"policy_type {policy_type!r} is not one of {', '.join(POLICY_TYPES)}")
            values["policy.type"] = policy_type
        if raid_frequency is not None:
            values["policy.raid_frequency"] = float(raid_frequency)
        levers = {"aml_share": aml_share, "inflow_reduction": inflow_reduction, "protection_sanctions": protection_sanctions,
                  "demand_reduction": demand_reduction}
        for key, value in levers.items():
            if value is not None:
                values[f"policy.{key}"] = round(float(value), 6)
        if repatriation_share is not None and abs(float(repatriation_share) - _unchanged_repatriation(params)) > 1e-9:
            values["policy.repatriation_share"] = round(float(repatriation_share), 6)
        params = params.with_values(values) if values else params
        seed = params.run.seed if seed is None or str(seed).strip() == "" else int(str(seed).strip())
        super().__init__(params, rng=seed)
        self.scenario_file = scenario_file
        self.counterfactual = ScamModel(counterfactual_params(params), rng=seed) if compare else None

    def step(self) -> None:
        super().step()
        counterfactual = getattr(self, "counterfactual", None)  # absent during ScamModel's burn-in
        if counterfactual is not None:
            counterfactual.step()
        if self.week >= self.params.run.weeks:
            self.running = False


def model_params(scenario_file: str | None = None) -> dict:
    """SolaraViz controls, starting at the values of the scenario the app opens with."""
    scenario_file = scenario_file or initial_scenario()
    params = scenario_params(scenario_file)
    names = valid_scenario_names()
    if scenario_file not in names:
        names = [scenario_file, *names]
    p = params.policy
    controls: dict = {
        "scenario_file": {"type": "Select", "value": scenario_file, "values": names, "label": "Scenario"},
        "policy_type": {"type": "Select", "value": p.type, "values": list(POLICY_TYPES), "label": "Policy type"},
        "raid_frequency": Slider("Raid frequency (raids/agency/year)", float(p.raid_frequency), 0.0, 104.0, 1.0),
    }
    for key, label in LEVERS:
        value = _unchanged_repatriation(params) if key == "repatriation_share" else float(getattr(p, key))
        controls[key] = Slider(label, value, 0.0, 1.0, 0.05)
    controls["compare"] = {"type": "Checkbox", "value": False, "label": "Compare with the no-policy run"}
    controls["seed"] = {"type": "SliderInt", "value": int(params.run.seed), "min": 0, "max": 999, "step": 1, "label": "Seed"}
    return controls


# ---- panels -----------------------------------------------------------------------------------------

def _image(png: bytes):
    """A PNG shown at its own size, shrunk to fit a narrower panel."""
    return rw.Image(value=png, format="png", layout={"max_width": "100%", "height": "auto"})


@solara.component
def MapView(model: AppModel, week: int):
    painter = solara.use_memo(lambda: viz.MapPainter(model), [model])
    png = solara.use_memo(lambda: painter.update(model).png(), [painter, week])
    return _image(png)


@solara.component
def ChartsView(model: AppModel, week: int):
    painter = solara.use_memo(lambda: viz.ChartsPainter(model, model.counterfactual), [model])
    png = solara.use_memo(lambda: painter.update(model).png(), [painter, week])
    return _image(png)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


@solara.component
def MeasuresView(model: AppModel, week: int):
    rows = viz.headline(model, model.counterfactual)
    body = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="scamsim-{_slug(label)}" style="text-align:right; padding-left:8px">'
        f"<b>{html.escape(value)}</b></td></tr>"
        for label, value in rows
    )
    with solara.Column(gap="4px", style={"padding": "4px 8px"}) as main:
        solara.HTML(tag="table", unsafe_innerHTML=body, style={"width": "100%", "font-size": "12.5px"}, classes=["scamsim-measures"])
        solara.Text("Controls take effect on Reset. Persistence: workers held in the last 52 weeks over the 52 before the "
                    "policy; spread over the last 52 weeks. 'undefined': no meaning yet (e.g. nothing removed from the "
                    "treated area).", style={"font-size": "11px", "color": "#666", "line-height": "1.3"})
    return main


def map_panel(model: AppModel):
    return MapView(model, model.steps)


def measures_panel(model: AppModel):
    return MeasuresView(model, model.steps)


def charts_panel(model: AppModel):
    return ChartsView(model, model.steps)


COMPONENTS = [map_panel, measures_panel, charts_panel]

# SolaraViz gives every panel half the width (6 of 12 grid columns). Our three panels get the map
# and the measures side by side and the charts across the full width below. Panels stay draggable
# and resizable; any other number of panels falls back to Mesa's layout.
_mesa_grid_layout = _solara_viz.make_initial_grid_layout


def _grid_layout(num_components: int) -> list[dict]:
    if num_components != len(COMPONENTS):
        return _mesa_grid_layout(num_components)
    return [
        {"i": 0, "x": 0, "y": 0, "w": 8, "h": 10, "moved": False},  # map
        {"i": 1, "x": 8, "y": 0, "w": 4, "h": 10, "moved": False},  # measures
        {"i": 2, "x": 0, "y": 10, "w": 12, "h": 8, "moved": False},  # charts
    ]


_solara_viz.make_initial_grid_layout = _grid_layout


def make_page(model: AppModel | solara.Reactive | None = None):
    """The SolaraViz element for ``model`` (tests pass a ``solara.reactive`` to watch Reset replace it)."""
    if model is None:
        model = AppModel()
    return SolaraViz(model, components=list(COMPONENTS), model_params=model_params(), name="scamsim: scam compounds under enforcement",
                     play_interval=PLAY_INTERVAL_MS, render_interval=RENDER_INTERVAL)


@solara.component
def Page():
    """One model per browser session (a module-level model would be shared by every visitor)."""
    model = solara.use_memo(AppModel, [])
    return make_page(model)


page = Page()
