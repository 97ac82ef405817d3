"""The interactive browser app: ``solara run sim/viz/app.py`` (or ``scamsim viz [SCENARIO]``).

Built from Mesa's SolaraViz components, composed rather than patched: ``ModelController`` (Reset, Play,
Step) and ``UserInputs`` (the parameter controls) in the sidebar under a scenario menu, and the app's
own grid of four panels, redrawn whenever Mesa's ``update_counter`` moves: the map (compounds,
raids, relocation trails), the headline measures, the charts (workers by jurisdiction with the
optional no-policy counterfactual and a compared policy, moves per week, freed people), and the
Inspect panel (one jurisdiction's or compound's figures, ``sim.viz.inspector``). SolaraViz itself is not used: it
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
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from solara.server import settings as server_settings

from sim.common.errors import SimulationError
from sim.measures.run import result_of
from sim.viz import charts, drawing, headline
from sim.viz.controls import AppModel, control_values, model_params, scenario_params, valid_scenario_names
from sim.viz.headline import timeline_lines
from sim.viz.inspector import InspectView
from sim.viz.scenarios import initial_scenario

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
# Solara's "This website runs on Solara" banner sat over the charts at 1366x768 (the same setting as the
# environment variable SOLARA_THEME_SHOW_BANNER=False); the light theme is Solara's default and is kept.
server_settings.theme.show_banner = False
#: Page styling: a fixed light theme, and Solara's footer hidden (at 1366x768 it covered the charts).
PAGE_CSS = """
.v-footer, footer.v-footer { display: none !important; }
.scamsim-note { background: #fff4d6; border-left: 3px solid #d49b00; padding: 3px 6px; font-size: 11.5px; margin: 2px 0; }
.scamsim-value { font-size: 12px; color: #1a1a1a; font-weight: 600; margin: -6px 0 8px 0; }
"""

#: The panels on a 12-column grid (as SolaraViz's): map and measures side by side, the charts across the full
#: width below. Panels stay draggable and resizable.
GRID_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 8, "h": 10, "moved": False},  # map
    {"i": 1, "x": 8, "y": 0, "w": 4, "h": 10, "moved": False},  # measures
    {"i": 2, "x": 0, "y": 10, "w": 12, "h": 8, "moved": False},  # charts
    {"i": 3, "x": 0, "y": 18, "w": 6, "h": 7, "moved": False},  # inspect a jurisdiction or a compound
]


# ---- panels -----------------------------------------------------------------------------------------

def _image(png: bytes):
    """A PNG shown at its own size, shrunk to fit a narrower panel."""
    return rw.Image(value=png, format="png", layout={"max_width": "100%", "height": "auto"})


def _paint(app: AppModel, painter) -> bytes:
    with app.lock:  # never draw a week half-way through (the play loop steps in another thread)
        return painter.update(app.simulation).png()


def _headline(app: AppModel) -> tuple[list[tuple[str, str]], list[str]]:
    with app.lock:
        return headline.headline(app.simulation, app.counterfactual, app.alternative), headline.notes(app.simulation)


def _figure_png(app: AppModel, which: str) -> bytes:
    """The map or the charts as shown now, as PNG at print resolution (the Export buttons)."""
    with app.lock:
        if which not in app.painters:  # not drawn yet
            app.painters[which] = drawing.MapPainter(app.simulation) if which == "map" else \
                charts.ChartsPainter(app.simulation, app.counterfactual, app.alternative)
        return app.painters[which].update(app.simulation).export_png()


def _table_csv(app: AppModel) -> bytes:
    """The run's weekly table (as ``scamsim run`` writes it) as CSV."""
    with app.lock:
        return result_of(app.simulation).frame.to_csv(index=False).encode("utf-8")


@solara.component
def MapView(app: AppModel, week: int):
    painter = solara.use_memo(lambda: app.painters.setdefault("map", drawing.MapPainter(app.simulation)), [app])
    png = solara.use_memo(lambda: _paint(app, painter), [painter, week])
    return _image(png)


@solara.component
def ChartsView(app: AppModel, week: int):
    painter = solara.use_memo(
        lambda: app.painters.setdefault("charts", charts.ChartsPainter(app.simulation, app.counterfactual, app.alternative)), [app])
    png = solara.use_memo(lambda: _paint(app, painter), [painter, week])
    return _image(png)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


@solara.component
def MeasuresView(app: AppModel, week: int):
    rows, notes = solara.use_memo(lambda: _headline(app), [app, week])
    body = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="scamsim-{_slug(label)}" style="text-align:right; padding-left:8px">'
        f"<b>{html.escape(value)}</b></td></tr>"
        for label, value in rows
    )
    with solara.Column(gap="4px", style={"padding": "4px 8px", "height": "100%", "overflow-y": "auto"}) as main:
        for note in notes:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(note), classes=["scamsim-note"])
        solara.HTML(tag="table", unsafe_innerHTML=body, style={"width": "100%", "font-size": "12.5px"}, classes=["scamsim-measures"])
        solara.Text("Controls take effect on Reset. Persistence: workers held in the last 52 weeks over the 52 before the "
                    "policy; spread over the last 52 weeks. 'undefined': no meaning yet (e.g. nothing removed from the "
                    "treated area); 'unstable': its denominator is near zero, so small changes swing it.",
                    style={"font-size": "11px", "color": "#666", "line-height": "1.3"})
    return main


@solara.component
def Panels(model: solara.Reactive[AppModel]):
    """The four panels of the current model (map, measures, charts, inspect), redrawn whenever SolaraViz has stepped it."""
    update_counter.get()  # SolaraViz bumps this after every Step and every frame of Play
    app = model.value
    layout, set_layout = solara.use_state(GRID_LAYOUT)
    items = [MapView(app, app.steps), MeasuresView(app, app.steps), ChartsView(app, app.steps), InspectView(app, app.simulation.week)]
    with solara.Column(gap="0px") as main:
        if app.stopped:
            solara.Error(f"The run stopped at week {app.simulation.week}: {app.stopped}")
        solara.GridDraggable(items=items, grid_layout=layout, resizable=True, draggable=True, on_grid_layout=set_layout)
    return main


# ---- the page ---------------------------------------------------------------------------------------

@solara.component
def Exports(app: AppModel):
    """Buttons that download the map and the charts as shown (PNG) and the run's weekly table (CSV)."""
    update_counter.get()  # re-rendered with every frame, so the file names carry the week shown
    week = app.simulation.week
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        stem = app.scenario_file.rsplit("/", 1)[-1].removesuffix(".toml")
        solara.FileDownload(lambda: _figure_png(app, "map"), filename=f"{stem}-map-week{week}.png", label="Map (PNG)")
        solara.FileDownload(lambda: _figure_png(app, "charts"), filename=f"{stem}-charts-week{week}.png", label="Charts (PNG)")
        solara.FileDownload(lambda: _table_csv(app), filename=f"{stem}-weeks-1-{week}.csv", label="Table (CSV)")


def _value_text(options: dict) -> str:
    value = options["value"]
    if options["type"] == "SliderInt":
        return f"{int(value):,}"
    return f"{value:,.6g}"


@solara.component
def Inputs(spec: dict, values: dict, on_change):
    """The parameter controls of ``spec`` (``model_params``), each slider with its current value written under it."""
    for name, options in spec.items():
        if not isinstance(options, dict):
            continue
        value = values.get(name, options["value"])
        kind, label = options["type"], options["label"]
        if kind in ("SliderInt", "SliderFloat"):
            slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            slider(label, value=value, on_value=lambda v, n=name: on_change(n, v), min=options["min"], max=options["max"],
                   step=options["step"])
            solara.Div(children=[_value_text({**options, "value": value})], classes=["scamsim-value", f"scamsim-value-{name}"])
        elif kind == "Select":
            solara.Select(label, value=value, values=options["values"], on_value=lambda v, n=name: on_change(n, v))
        elif kind == "Checkbox":
            solara.Checkbox(label=label, value=value, on_value=lambda v, n=name: on_change(n, v))


@solara.component
def Sidebar(model: solara.Reactive[AppModel], names: list[str]):
    """Scenario menu, Mesa's run controls (Reset, Play, Step) and the parameter controls.

    The values Reset builds the next model from are ``settings``: the file's values to start with, then
    whatever the user changes. Picking a scenario opens it: a new model from the file alone, and the
    controls (remounted, through their key) start again at that file's values.
    """
    scenario = model.value.scenario_file
    spec = solara.use_memo(lambda: model_params(scenario, compare=model.value.compare, compare_policy=model.value.compare_policy),
                           [scenario])
    settings = solara.use_reactive(control_values(spec))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(RENDER_INTERVAL)
    use_threads = solara.use_reactive(False)

    def pick(name: str) -> None:
        if name != model.value.scenario_file:
            compare, other = model.value.compare, model.value.compare_policy
            try:
                picked = AppModel(scenario_file=name, compare=compare, compare_policy=other)
            except ValueError:  # a timeline file takes no compared policy (refuse_policy_controls): open it without one
                other = "none"
                picked = AppModel(scenario_file=name, compare=compare, compare_policy=other)
            settings.set(control_values(model_params(name, compare=compare, compare_policy=other)))
            model.set(picked)

    def change(name: str, value) -> None:
        settings.set({**settings.value, name: value})

    jurisdiction_names = solara.use_memo(lambda: [j.name for j in scenario_params(scenario).map.jurisdictions], [scenario])
    events = solara.use_memo(lambda: timeline_lines(scenario_params(scenario)), [scenario])

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
        with solara.Card("Export what is shown"):
            Exports(model.value)
        if events:
            with solara.Card("Policy timeline (from the file)"):
                solara.Text(f"This scenario runs {len(events)} dated events instead of one policy; each sets its own type, "
                            "weeks, jurisdictions and levers. Edit them in the scenario file.",
                            style={"font-size": "11px", "color": "#666"})
                with solara.Column(gap="2px", classes=["scamsim-timeline"]):
                    for line in events:
                        solara.Text(line, style={"font-size": "11.5px"})
        with solara.Card("Model Parameters"):
            Inputs(spec, settings.value, on_change=change).key(f"inputs:{scenario}")
            if not events:
                solara.SelectMultiple("Raiding jurisdictions (none picked: all)", values=list(settings.value.get("jurisdictions") or []),
                                      all_values=jurisdiction_names, on_value=lambda v: change("jurisdictions", list(v))
                                      ).key(f"jur:{scenario}")


@solara.component
def AppPage(model: solara.Reactive[AppModel]):
    """The whole page around a reactive model (Reset and the scenario menu replace its value)."""
    names = solara.use_memo(valid_scenario_names, [])
    with solara.Column(style={"padding": "0"}) as main:
        solara.Title(TITLE)
        solara.Style(PAGE_CSS)
        with solara.AppBar():
            solara.AppBarTitle(TITLE)
        Sidebar(model, names)
        Panels(model)
    return main


def first_model() -> AppModel | str:
    """The page's first model, or why it cannot be built: the scenario's burn-in ran past what the model can
    represent (a ``SimulationError``, whose message names the parameters)."""
    try:
        return AppModel()
    except SimulationError as exc:
        return f"{initial_scenario()} cannot be opened: {exc}"


@solara.component
def Page():
    """One model per browser session (a module-level model would be shared by every visitor)."""
    first = solara.use_memo(first_model, [])
    model = solara.use_reactive(first)  # (hooks before any return: Solara's rules of hooks)
    if isinstance(first, str):
        return solara.Error(first)
    return AppPage(model)


page = Page()
