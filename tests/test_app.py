"""The browser app without a browser: SolaraViz rendered with ``solara.render``, its widgets clicked.

Also the pieces the app is made of: ``AppModel`` (controls to parameters), ``sim.viz.drawing`` (pictures and
measures) and ``sim.cli.app`` (the ``scamsim viz`` wrapper).
"""

from __future__ import annotations

import argparse
import socket

import ipyvuetify as v
import numpy as np
import pytest
import solara

from sim.cli import app as appcli
from sim.params.declarations import POLICY_TYPES
from sim.viz import app
from sim.viz import drawing as viz

CLICKS = 3


@pytest.fixture(scope="module")
def base_model() -> app.AppModel:
    return app.AppModel(policy_type="case_by_case")


def render(model: app.AppModel):
    """Render the page around a reactive model (AppLayout collects SolaraViz's sidebar controls)."""
    reactive = solara.reactive(model)

    @solara.component
    def Wrapped():
        with solara.AppLayout():
            app.make_page(reactive)

    _box, rc = solara.render(Wrapped(), handle_error=False)
    return reactive, rc


def click(rc, label: str) -> None:
    button = rc.find(v.Btn, children=[label])
    button.assert_single()
    button.widget.click()


def images(rc) -> list[bytes]:
    import ipywidgets

    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def measures_html(rc) -> str:
    tables = [w for w in rc.find(solara.widgets.HTML).widgets if "scamsim-measures" in str(w.attributes.get("class", ""))]
    assert len(tables) == 1
    return tables[0].unsafe_innerHTML


# ---- the page ------------------------------------------------------------------------------------

def test_controls_exist():
    model, rc = render(app.AppModel())
    for label in ("Reset", "▶", "Step"):
        rc.find(v.Btn, children=[label]).assert_single()
    scenario = rc.find(v.Select, label="Scenario").widget
    assert "baseline.toml" in scenario.items
    policy = rc.find(v.Select, label="Policy type").widget
    assert list(policy.items) == list(POLICY_TYPES)
    sliders = {w.label for w in rc.find(v.Slider).widgets}
    for label in ("Render Interval (steps)", "Raid frequency (raids/agency/year)", "Seed", *(lab for _k, lab in app.LEVERS)):
        assert label in sliders
    rc.find(v.Checkbox, label="Compare with the no-policy run").assert_single()
    assert len(images(rc)) == 2  # map and charts
    assert f"0 of {model.value.params.run.weeks}" in measures_html(rc)


def test_step_advances_the_model_and_the_pictures():
    model, rc = render(app.AppModel())
    weeks = model.value.params.run.weeks
    before = images(rc)
    for _ in range(CLICKS):
        click(rc, "Step")
    assert model.value.week == CLICKS * app.RENDER_INTERVAL  # Step advances the render interval's worth of weeks
    after = images(rc)
    assert all(a != b for a, b in zip(before, after, strict=True)), "map and charts must be redrawn after a step"
    assert f"{CLICKS * app.RENDER_INTERVAL} of {weeks}" in measures_html(rc)


def test_policy_control_changes_the_models_policy():
    model, rc = render(app.AppModel(policy_type="case_by_case"))
    assert model.value.policy.name == "case_by_case"
    select = rc.find(v.Select, label="Policy type").widget
    for kind in ("none", "case_by_case"):
        select.v_model = kind
        click(rc, "Reset")
        assert model.value.params.policy.type == kind
        assert model.value.policy.name == kind
        assert f"{kind}, from week" in measures_html(rc)


def test_slider_controls_reach_the_parameters():
    model, rc = render(app.AppModel())
    rc.find(v.Slider, label="Raid frequency (raids/agency/year)").widget.v_model = 52.0
    rc.find(v.Slider, label="Anti-money-laundering: share lost").widget.v_model = 0.25
    rc.find(v.Slider, label="Seed").widget.v_model = 7
    click(rc, "Reset")
    p = model.value.params.policy
    assert p.raid_frequency == 52.0
    assert p.aml_share == 0.25
    assert model.value.seed == 7


def test_compare_runs_the_counterfactual_in_lockstep():
    model, rc = render(app.AppModel())
    rc.find(v.Checkbox, label="Compare with the no-policy run").widget.v_model = True
    click(rc, "Reset")
    cf = model.value.counterfactual
    assert cf is not None and cf.params.policy.type == "none"
    click(rc, "Step")
    click(rc, "Step")
    assert cf.week == model.value.week == 2 * app.RENDER_INTERVAL
    assert "persistence vs no-policy run" in measures_html(rc)


def test_every_listed_scenario_builds():
    for name in app.valid_scenario_names():
        assert app.scenario_params(name).run.weeks > 0


# ---- AppModel ------------------------------------------------------------------------------------

def test_app_model_takes_overrides_and_a_text_seed():
    m = app.AppModel(policy_type="none", raid_frequency=10.0, inflow_reduction=0.3, seed="11")
    assert m.seed == 11
    assert m.params.policy.type == "none"
    assert m.params.policy.raid_frequency == 10.0
    assert m.params.policy.inflow_reduction == 0.3


def test_repatriation_slider_at_the_scenario_value_leaves_the_policy_unchanged(base_model):
    unchanged = base_model.params.enforcement.repatriation_share
    assert app.AppModel(repatriation_share=unchanged).params.policy.repatriation_share == -1.0
    assert app.AppModel(repatriation_share=0.9).params.policy.repatriation_share == 0.9


def test_unknown_policy_type_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        app.AppModel(policy_type="carpet_bombing")


def test_app_model_stops_at_the_scenarios_length():
    m = app.AppModel(policy_type="none")
    weeks = m.params.run.weeks
    for _ in range(weeks):
        m.step()
    assert m.week == weeks and not m.running


# ---- viz -----------------------------------------------------------------------------------------

def test_pictures_are_png_and_plain_figures_save(base_model, tmp_path):
    png = viz.MapPainter(base_model).png()
    assert png.startswith(b"\x89PNG")
    assert viz.ChartsPainter(base_model).png().startswith(b"\x89PNG")
    viz.map_figure(base_model).savefig(tmp_path / "map.png")
    viz.charts_figure(base_model).savefig(tmp_path / "charts.png")
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_headline_says_undefined_before_anything_is_logged(base_model):
    rows = dict(viz.headline(base_model))
    assert rows["persistence"] == "undefined"
    assert rows["buffer WDQ"] == "undefined"
    assert rows["week"].startswith("0 of")


def test_edges_outline_label_changes():
    labels = np.array([[0, 0], [1, 1]])  # x = 0 is label 0, x = 1 is label 1: one vertical border, 2 cells long
    segs = viz.edges(labels)
    assert segs.shape == (2, 2, 2)
    assert np.all(segs[:, :, 0] == 0.5)
    zones = np.array([[-1, -1], [-1, 3]])
    assert len(viz.edges(zones, outline_only=True)) == 2  # the zone cell's two inner edges


def test_nice_ceiling():
    assert viz.nice_ceiling(117) == 150
    assert viz.nice_ceiling(0.0) == 1.0
    assert viz.nice_ceiling(8) == 8
    assert viz.fmt(None) == "undefined"


# ---- appcli --------------------------------------------------------------------------------------

def viz_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scamsim")
    appcli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_viz_subcommand_parses():
    args = viz_parser().parse_args(["viz", "baseline.toml", "--port", "0"])
    assert args.func is appcli.cmd_viz and args.port == 0 and args.scenario == "baseline.toml"
    assert viz_parser().parse_args(["viz"]).port == appcli.DEFAULT_PORT


def test_viz_refuses_a_missing_scenario(capsys):
    args = viz_parser().parse_args(["viz", "no-such-scenario.toml"])
    assert appcli.cmd_viz(args) == appcli.EXIT_BAD_INPUT
    assert "not found" in capsys.readouterr().err


def test_viz_refuses_a_busy_port(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        args = viz_parser().parse_args(["viz", "--port", str(port)])
        assert appcli.cmd_viz(args) == appcli.EXIT_BAD_INPUT
    assert "in use" in capsys.readouterr().err


def test_server_command_and_environment():
    path = appcli.resolve_scenario("baseline")
    assert path is not None and path.name == "baseline.toml"
    assert appcli.picker_name(path) == "baseline.toml"
    cmd = appcli.server_command(8765, "localhost")
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("app.py")
    env = appcli.server_env(path)
    assert env[appcli.SCENARIO_ENV] == str(path)
