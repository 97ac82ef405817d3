"""The interactive browser app: ``solara run sim/viz/app.py`` (or ``scamsim viz [SCENARIO]``).

Built from Mesa's SolaraViz components, composed rather than patched: ``ModelController`` (Reset, Play,
Step) and ``UserInputs`` (the parameter controls) in the sidebar under a scenario menu, and the app's
own grid of three panels, redrawn whenever Mesa's ``update_counter`` moves: the map (compounds,
raids, relocation trails), the headline measures, and the charts (workers by jurisdiction with the
optional no-policy counterfactual, moves per week, freed people). SolaraViz itself is not used: it
gives every panel half the width with no layout parameter, and its controls fill in their Reset
values once per page, so they could not take a newly picked file's values.

Picking a scenario opens it: the model is rebuilt from the file and every control shows the file's
value. The other controls take effect on Reset. The drawing lives in ``sim.viz.drawing`` and
``sim.viz.charts``, the controls in ``sim.viz.controls``; this file only wires them to Solara.
"""

from __future__ import annotations

import html
import os
import re

import reacton.ipywidgets as rw
import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController, UserInputs
from mesa.visualization.utils import update_counter

from sim.viz import charts, drawing
from sim.viz.controls import AppModel, control_values, model_params, valid_scenario_names

# Pause between frames while playing. SolaraViz's play loop runs in a thread and asks for a redraw after
# each frame; if it asks again before the last redraw is done, the request is served by whichever
# thread holds the render lock, and when that is the thread answering the browser it can keep
# redrawing without ever sending the result (the page freezes while the model runs on). A pause
# longer than one redraw (~60 ms here) avoids that, so keep this above the redraw time.
PLAY_INTERVAL_MS = int(os.environ.get("SCAMSIM_PLAY_INTERVAL_MS", "100"))
# Weeks per frame (and per click on Step). At 3 the default scenario plays at 10+ weeks a second even on
# a loaded 2-core machine; at 1 it shows every week at 4-7 weeks a second (docs/app.md, "Speed").
RENDER_INTERVAL = int(os.environ.get("SCAMSIM_RENDER_INTERVAL", "3"))
TITLE = "scamsim: scam compounds under enforcement"

#: The panels on a 12-column grid (as SolaraViz's): map and measures side by side, the charts across the full
#: width below. Panels stay draggable and resizable.
GRID_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 8, "h": 10, "moved": False},  # map
    {"i": 1, "x": 8, "y": 0, "w": 4, "h": 10, "moved": False},  # measures
    {"i": 2, "x": 0, "y": 10, "w": 12, "h": 8, "moved": False},  # charts
]


# ---- panels -----------------------------------------------------------------------------------------

def _image(png: bytes):
    """A PNG shown at its own size, shrunk to fit a narrower panel."""
    return rw.Image(value=png, format="png", layout={"max_width": "100%", "height": "auto"})


def _paint(app: AppModel, painter) -> bytes:
    with app.lock:  # never draw a week half-way through (the play loop steps in another thread)
        return painter.update(app.simulation).png()


def _headline(app: AppModel) -> list[tuple[str, str]]:
    with app.lock:
        return drawing.headline(app.simulation, app.counterfactual)


@solara.component
def MapView(app: AppModel, week: int):
    painter = solara.use_memo(lambda: drawing.MapPainter(app.simulation), [app])
    png = solara.use_memo(lambda: _paint(app, painter), [painter, week])
    return _image(png)


@solara.component
def ChartsView(app: AppModel, week: int):
    painter = solara.use_memo(lambda: charts.ChartsPainter(app.simulation, app.counterfactual), [app])
    png = solara.use_memo(lambda: _paint(app, painter), [painter, week])
    return _image(png)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


@solara.component
def MeasuresView(app: AppModel, week: int):
    rows = solara.use_memo(lambda: _headline(app), [app, week])
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


@solara.component
def Panels(model: solara.Reactive[AppModel]):
    """The three panels of the current model, redrawn whenever SolaraViz has stepped it."""
    update_counter.get()  # SolaraViz bumps this after every Step and every frame of Play
    app = model.value
    layout, set_layout = solara.use_state(GRID_LAYOUT)
    return solara.GridDraggable(items=[MapView(app, app.steps), MeasuresView(app, app.steps), ChartsView(app, app.steps)],
                                grid_layout=layout, resizable=True, draggable=True, on_grid_layout=set_layout)


# ---- the page ---------------------------------------------------------------------------------------

@solara.component
def Sidebar(model: solara.Reactive[AppModel], names: list[str]):
    """Scenario menu, Mesa's run controls (Reset, Play, Step) and the parameter controls.

    The values Reset builds the next model from are ``settings``: the file's values to start with, then
    whatever the user changes. Picking a scenario opens it: a new model from the file alone, and the
    controls (remounted, through their key) start again at that file's values.
    """
    scenario = model.value.scenario_file
    spec = solara.use_memo(lambda: model_params(scenario, compare=model.value.compare), [scenario])
    settings = solara.use_reactive(control_values(spec))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(RENDER_INTERVAL)
    use_threads = solara.use_reactive(False)

    def pick(name: str) -> None:
        if name != model.value.scenario_file:
            compare = model.value.compare
            settings.set(control_values(model_params(name, compare=compare)))
            model.set(AppModel(scenario_file=name, compare=compare))

    def change(name: str, value) -> None:
        settings.set({**settings.value, name: value})

    with solara.Sidebar(), solara.Column():
        with solara.Card("Scenario"):
            solara.Select("Scenario", value=scenario, values=names if scenario in names else [scenario, *names], on_value=pick)
            solara.Text("Picking a file opens it: the model restarts and the controls show the file's values.",
                        style={"font-size": "11px", "color": "#666"})
        with solara.Card("Controls"):
            solara.SliderInt("Play Interval (ms)", value=play_interval, min=1, max=500, step=10)
            solara.SliderInt("Render Interval (steps)", value=render_interval, min=1, max=100, step=1)
            ModelController(model, model_parameters=settings, play_interval=play_interval, render_interval=render_interval,
                            use_threads=use_threads).key(f"run:{scenario}")
        with solara.Card("Model Parameters"):
            UserInputs({k: v for k, v in spec.items() if isinstance(v, dict)}, on_change=change).key(f"inputs:{scenario}")


@solara.component
def AppPage(model: solara.Reactive[AppModel]):
    """The whole page around a reactive model (Reset and the scenario menu replace its value)."""
    names = solara.use_memo(valid_scenario_names, [])
    with solara.Column(style={"padding": "0"}) as main:
        with solara.AppBar():
            solara.AppBarTitle(TITLE)
            solara.lab.ThemeToggle()
        Sidebar(model, names)
        Panels(model)
    return main


@solara.component
def Page():
    """One model per browser session (a module-level model would be shared by every visitor)."""
    first = solara.use_memo(AppModel, [])
    model = solara.use_reactive(first)
    return AppPage(model)


page = Page()
