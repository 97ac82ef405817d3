"""The browser app without a browser: the page rendered with ``solara.render``, its widgets clicked.

Also the pieces the app is made of: ``sim.viz.controls`` (controls to parameters), ``sim.viz.drawing`` and
``sim.viz.charts`` (pictures and measures), ``sim.viz.scenarios`` and ``sim.cli.app`` (the ``scamsim viz`` wrapper).
"""

from __future__ import annotations

import argparse
import socket

import ipyvuetify as v
import numpy as np
import pytest
import solara

from sim.cli import app as appcli
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params, result_of, summarise
from sim.params.declarations import POLICY_TYPES
from sim.scenario.loader import load_scenario
from sim.viz import app, charts, controls, scenarios
from sim.viz import drawing as viz

CLICKS = 3
RAID_LABEL = "Raid frequency (raids/agency/year)"
SHIPPED = scenarios.scenario_dir()


@pytest.fixture(scope="module")
def base_model() -> controls.AppModel:
    return controls.AppModel(policy_type="case_by_case")


def render(model: controls.AppModel):
    """Render the page around a reactive model (AppLayout collects the sidebar and the app bar)."""
    reactive = solara.reactive(model)

    @solara.component
    def Wrapped():
        with solara.AppLayout():
            app.AppPage(reactive)

    _box, rc = solara.render(Wrapped(), handle_error=False)
    return reactive, rc


def click(rc, label: str) -> None:
    button = rc.find(v.Btn, children=[label])
    button.assert_single()
    button.widget.click()


def slider(rc, label: str):
    found = rc.find(v.Slider, label=label)
    found.assert_single()
    return found.widget


def images(rc) -> list[bytes]:
    import ipywidgets

    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def measures_html(rc) -> str:
    tables = [w for w in rc.find(solara.widgets.HTML).widgets if "scamsim-measures" in str(w.attributes.get("class", ""))]
    assert len(tables) == 1
    return tables[0].unsafe_innerHTML


def file_policy(name: str):
    return load_scenario(SHIPPED / name).params.policy


# ---- the page ------------------------------------------------------------------------------------

def test_controls_exist():
    model, rc = render(controls.AppModel())
    for label in ("Reset", "▶", "Step"):
        rc.find(v.Btn, children=[label]).assert_single()
    scenario = rc.find(v.Select, label="Scenario").widget
    assert "baseline.toml" in scenario.items
    policy = rc.find(v.Select, label="Policy type").widget
    assert list(policy.items) == list(POLICY_TYPES)
    labels = {w.label for w in rc.find(v.Slider).widgets}
    expected = {spec["label"] for spec in controls.model_params("baseline.toml").values() if isinstance(spec, dict) and "min" in spec}
    assert expected <= labels and RAID_LABEL in labels and "Render Interval (steps)" in labels
    rc.find(v.Checkbox, label="Compare with the no-policy run").assert_single()
    assert len(images(rc)) == 2  # map and charts
    assert f"0 of {model.value.params.run.weeks}" in measures_html(rc)


def test_step_advances_the_model_and_the_pictures():
    model, rc = render(controls.AppModel())
    weeks = model.value.params.run.weeks
    before = images(rc)
    for _ in range(CLICKS):
        click(rc, "Step")
    assert model.value.simulation.week == CLICKS * app.RENDER_INTERVAL  # Step advances the render interval's worth of weeks
    after = images(rc)
    assert all(a != b for a, b in zip(before, after, strict=True)), "map and charts must be redrawn after a step"
    assert f"{CLICKS * app.RENDER_INTERVAL} of {weeks}" in measures_html(rc)


def test_reset_without_touching_keeps_the_files_values():
    """case_by_case.toml raids at 300 a year: the slider shows 300 and Reset builds exactly the file's run."""
    model, rc = render(controls.AppModel(scenario_file="case_by_case.toml"))
    raid = slider(rc, RAID_LABEL)
    assert raid.v_model == 300.0 and raid.min <= 300.0 <= raid.max
    click(rc, "Step")
    click(rc, "Reset")
    assert model.value.simulation.week == 0
    assert model.value.params == load_scenario(SHIPPED / "case_by_case.toml").params
    assert "300 per agency-year" in measures_html(rc)


def test_picking_a_scenario_opens_it_with_its_values():
    model, rc = render(controls.AppModel(scenario_file="case_by_case.toml"))
    rc.find(v.Select, label="Scenario").widget.v_model = "mekong.toml"
    mekong = load_scenario(SHIPPED / "mekong.toml").params
    assert model.value.scenario_file == "mekong.toml" and model.value.params == mekong
    assert slider(rc, RAID_LABEL).v_model == mekong.policy.raid_frequency == 48.0
    assert rc.find(v.Select, label="Policy type").widget.v_model == mekong.policy.type
    assert slider(rc, "Seed").v_model == mekong.run.seed
    click(rc, "Reset")  # untouched: the file's values again
    assert model.value.params == mekong
    slider(rc, RAID_LABEL).v_model = 60.0  # a value the user does touch survives Reset
    click(rc, "Reset")
    assert model.value.scenario_file == "mekong.toml" and model.value.params.policy.raid_frequency == 60.0
    assert model.value.params.policy.start_week == mekong.policy.start_week
    assert "60 per agency-year" in measures_html(rc)


def test_picking_a_timeline_scenario_while_comparing_a_policy_opens_it_without_the_compared_policy():
    """A timeline takes no compared policy (refuse_policy_controls): the pick opened nothing before; now it opens the
    file, keeps the counterfactual, and drops the compared policy."""
    model, rc = render(controls.AppModel(scenario_file="case_by_case.toml", compare=True, compare_policy="hotspot"))
    rc.find(v.Select, label="Scenario").widget.v_model = "mekong_history.toml"
    assert model.value.scenario_file == "mekong_history.toml" and model.value.compare_policy in (None, "none")
    assert model.value.params == load_scenario(SHIPPED / "mekong_history.toml").params


def test_policy_control_changes_the_models_policy():
    model, rc = render(controls.AppModel(policy_type="case_by_case"))
    assert model.value.simulation.policy.name == "case_by_case"
    select = rc.find(v.Select, label="Policy type").widget
    for kind in ("none", "case_by_case"):
        select.v_model = kind
        click(rc, "Reset")
        assert model.value.params.policy.type == kind
        assert model.value.simulation.policy.name == kind
        assert f"{kind}, from week" in measures_html(rc)


def test_slider_controls_reach_the_parameters():
    model, rc = render(controls.AppModel())
    slider(rc, RAID_LABEL).v_model = 52.0
    slider(rc, "Anti-money-laundering: revenue lost (share)").v_model = 0.25
    slider(rc, "Seed").v_model = 7
    click(rc, "Reset")
    p = model.value.params.policy
    assert p.raid_frequency == 52.0
    assert p.aml_share == 0.25
    assert model.value.simulation.seed == 7


def test_compare_runs_the_counterfactual_in_lockstep():
    model, rc = render(controls.AppModel())
    rc.find(v.Checkbox, label="Compare with the no-policy run").widget.v_model = True
    click(rc, "Reset")
    cf = model.value.counterfactual
    assert cf is not None and cf.params.policy.type == "none"
    click(rc, "Step")
    click(rc, "Step")
    assert cf.week == model.value.simulation.week == 2 * app.RENDER_INTERVAL
    assert "persistence vs no-policy run" in measures_html(rc)


def test_a_scenario_file_that_does_not_validate_is_left_out_of_the_menu(monkeypatch, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[policy]\ntype = "carpet_bombing"\n')
    monkeypatch.setattr(controls, "scenario_names", lambda: ["baseline.toml", str(bad)])
    assert controls.valid_scenario_names() == ["baseline.toml"]
    err = capsys.readouterr().err
    assert "bad.toml" in err and "policy.type" in err


def runaway_scenario(tmp_path, burn_in: int):
    """The baseline with a reference margin of 1: the week's expected recruits run away (ODD 7.15) in the first
    week simulated, a burn-in week if there is one."""
    path = tmp_path / "runaway.toml"
    path.write_text(f'extends = "{SHIPPED / "baseline.toml"}"\n[run]\nburn_in_weeks = {burn_in}\n'
                    "[recruitment]\nmargin_reference = 1.0\n")
    return path


def test_a_run_that_runs_away_stops_the_app_and_the_page_says_why(tmp_path):
    model, rc = render(controls.AppModel(scenario_file=str(runaway_scenario(tmp_path, 0))))
    click(rc, "Step")
    assert model.value.simulation.week == 1 and not model.value.running  # it ran away in week 1
    assert "recruitment ran away" in model.value.stopped
    shown = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "The run stopped at week 1" in shown and "recruitment.margin_reference" in shown
    click(rc, "Step")  # stepping a stopped run does nothing more
    assert model.value.simulation.week == 1


def test_a_scenario_whose_burn_in_runs_away_opens_as_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv(scenarios.SCENARIO_ENV, str(runaway_scenario(tmp_path, 10)))
    first = app.first_model()
    assert isinstance(first, str) and "cannot be opened" in first and "recruitment.price_elasticity" in first
    _box, rc = solara.render(app.Page(), handle_error=False)
    assert any("recruitment ran away" in str(w.children) for w in rc.find(v.Alert).widgets)


# ---- controls and AppModel -----------------------------------------------------------------------

@pytest.mark.parametrize("name", controls.valid_scenario_names())
def test_every_scenario_opens_with_its_own_values_on_the_controls(name):
    """For every shipped scenario each control starts at the file's value, inside its range and on its step,
    so the browser's slider cannot move it; applied untouched, the controls change nothing."""
    params = controls.scenario_params(name)
    spec = controls.model_params(name)
    assert spec["seed"]["min"] <= spec["seed"]["value"] == params.run.seed <= spec["seed"]["max"]
    if params.timeline:  # no policy controls at all (test_a_timeline_scenario_shows_its_events_and_no_policy_controls)
        assert not set(spec) & {"policy_type", "start_week", "jurisdictions", "compare_policy", *(a for a, _, _ in controls.SLIDERS)}
        return
    for arg, key, _title in controls.SLIDERS:
        s = spec[arg]
        assert s["value"] == controls.value_of(params, key)
        assert s["min"] <= s["value"] <= s["max"]
        k = (s["value"] - s["min"]) / s["step"]
        assert abs(k - round(k)) < 1e-6, (arg, s)
    assert spec["seed"]["min"] <= spec["seed"]["value"] == params.run.seed <= spec["seed"]["max"]
    values = controls.control_values(spec)
    keys = {"policy_type": "policy.type", **{arg: key for arg, key, _ in controls.SLIDERS}}
    assert controls.apply_controls(params, {keys[a]: values[a] for a in keys}) == params


def test_slider_ranges_come_from_the_declarations():
    assert controls.slider_range("policy.aml_share", 0.1) == (0.0, 1.0, 0.01)  # declared 0-1: used as is
    lo, hi, step = controls.slider_range("policy.raid_frequency", 24.0)  # declared up to 1e9: a round top instead
    assert lo == 0.0 and 24.0 < hi <= 1000 and step == 1.0
    lo, hi, step = controls.slider_range("policy.raid_frequency", 10000.0)
    assert hi >= 10000.0
    _lo, _hi, step = controls.slider_range("policy.raid_frequency", 35.2222)
    assert step == pytest.approx(1e-4)
    assert controls.slider_range("policy.repatriation_share", 0.5)[:2] == (0.0, 1.0)  # ranged as the share in effect


def test_untouched_controls_change_nothing_and_bad_values_are_refused():
    params = controls.scenario_params("root_causes.toml")
    assert params.policy.repatriation_share == 0.9
    same = controls.apply_controls(params, {"policy.repatriation_share": 0.9, "policy.aml_share": 0.1, "policy.raid_frequency": None})
    assert same is params
    base = controls.scenario_params("baseline.toml")
    assert base.policy.repatriation_share == -1.0  # -1: as enforcement.repatriation_share
    kept = controls.apply_controls(base, {"policy.repatriation_share": base.enforcement.repatriation_share})
    assert kept.policy.repatriation_share == -1.0
    assert controls.apply_controls(base, {"policy.repatriation_share": 0.9}).policy.repatriation_share == 0.9
    with pytest.raises(ValueError, match="outside its declared range"):
        controls.apply_controls(base, {"policy.aml_share": 1.5})
    with pytest.raises(ValueError, match="not one of"):
        controls.AppModel(policy_type="carpet_bombing")


def test_app_model_takes_overrides_and_a_text_seed():
    m = controls.AppModel(policy_type="none", raid_frequency=10.0, inflow_reduction=0.3, seed="11")
    assert m.simulation.seed == 11
    assert m.params.policy.type == "none"
    assert m.params.policy.raid_frequency == 10.0
    assert m.params.policy.inflow_reduction == 0.3


def test_the_counterfactual_is_the_no_policy_run_of_the_same_seed():
    m = controls.AppModel(scenario_file="case_by_case.toml", compare=True, seed=4)
    alone = ScamModel(counterfactual_params(m.params), rng=4)
    for _ in range(6):
        m.step()
        alone.step()
    assert m.counterfactual.week == m.simulation.week == 6
    assert np.array_equal(m.counterfactual.log.workers_matrix(), alone.log.workers_matrix())


def test_app_model_stops_at_the_scenarios_length():
    m = controls.AppModel(policy_type="none")
    weeks = m.params.run.weeks
    for _ in range(weeks):
        assert m.running
        m.step()
    assert m.simulation.week == weeks and not m.running


def test_scenarios_are_found_in_the_shipped_folder(tmp_path, monkeypatch):
    names = scenarios.scenario_names()
    assert "baseline.toml" in names and "shocks/kk_park_2025.toml" in names
    assert (SHIPPED / "calibration" / "mekong_ranges.toml").is_file() and not any(n.startswith("calibration/") for n in names)
    path = scenarios.resolve_scenario("mekong")
    assert path == (SHIPPED / "mekong.toml").resolve()
    assert scenarios.picker_name(path) == "mekong.toml"
    outside = tmp_path / "mine.toml"
    outside.write_text("")
    assert scenarios.picker_name(outside) == str(outside.resolve())
    assert scenarios.resolve_scenario(scenarios.DEFAULTS_NAME) is None
    with pytest.raises(FileNotFoundError, match="not found"):
        scenarios.resolve_scenario("no-such-scenario")
    # a checkout's path works from any folder: "scenarios/" is the shipped folder itself
    monkeypatch.chdir(tmp_path)
    assert scenarios.resolve_scenario("scenarios/shocks/kk_park_2025.toml") == (SHIPPED / "shocks" / "kk_park_2025.toml").resolve()
    with pytest.raises(FileNotFoundError) as err:
        scenarios.resolve_scenario("scenarios/nothere.toml")
    assert "scenarios/scenarios" not in str(err.value)


# ---- drawing and measures ------------------------------------------------------------------------

def test_pictures_are_png_and_plain_figures_save(base_model, tmp_path):
    png = viz.MapPainter(base_model.simulation).png()
    assert png.startswith(b"\x89PNG")
    assert charts.ChartsPainter(base_model.simulation).png().startswith(b"\x89PNG")
    viz.map_figure(base_model.simulation).savefig(tmp_path / "map.png")
    charts.charts_figure(base_model.simulation).savefig(tmp_path / "charts.png")
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_headline_says_undefined_before_anything_is_logged(base_model):
    rows = dict(viz.headline(base_model.simulation))
    assert rows["persistence"] == "undefined"
    assert rows["buffer WDQ"] == "undefined"
    assert rows["week"].startswith("0 of")


def test_headline_shows_the_runs_summary():
    """The measures panel shows what ``scamsim run`` would summarise for the weeks so far."""
    m = controls.AppModel(scenario_file="case_by_case.toml", compare=True)
    for _ in range(m.params.policy.start_week + 60):
        m.step()
    rows = dict(viz.headline(m.simulation, m.counterfactual))
    s = summarise(result_of(m.simulation), result_of(m.counterfactual))
    assert rows["persistence"] == viz.fmt(s["persistence"]["persistence_workers"]) != "undefined"
    assert rows["persistence vs no-policy run"] == viz.fmt(s["counterfactual"]["persistence_vs_counterfactual_workers"])
    assert rows["displacement share (vs no-policy run)"] == viz.fmt(s["displacement"]["displacement_share"])
    assert rows["Herfindahl"] == viz.fmt(s["displacement"]["herfindahl_last_year"])
    assert rows["jurisdictions hosting"] == str(s["displacement"]["spread_jurisdictions_last_year"])


def test_edges_outline_label_changes():
    labels = np.array([[0, 0], [1, 1]])  # x = 0 is label 0, x = 1 is label 1: one vertical border, 2 cells long
    segs = viz.edges(labels)
    assert segs.shape == (2, 2, 2)
    assert np.all(segs[:, :, 0] == 0.5)
    zones = np.array([[-1, -1], [-1, 3]])
    assert len(viz.edges(zones, outline_only=True)) == 2  # the zone cell's two inner edges


def test_nice_ceiling():
    assert charts.nice_ceiling(117) == 150
    assert charts.nice_ceiling(0.0) == 1.0
    assert charts.nice_ceiling(8) == 8
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
    path = scenarios.resolve_scenario("baseline")
    assert path is not None and path.name == "baseline.toml"
    cmd = appcli.server_command(8765, "localhost")
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("app.py")
    env = appcli.server_env(path)
    assert env[scenarios.SCENARIO_ENV] == str(path)


# ---- issue 16: an app that never misleads ------------------------------------------------------------

def test_the_week_never_passes_the_last_and_the_end_is_said():
    from sim.viz import headline
    weeks = 6
    m = controls.AppModel("baseline.toml")
    m.simulation.params = m.simulation.params.with_values({"run.weeks": weeks})
    for _ in range(weeks + 4):
        m.step()
    assert m.simulation.week == weeks and not m.running
    assert dict(viz.headline(m.simulation))["week"] == f"{weeks} of {weeks} (end of run)"
    assert any("The run has ended" in n for n in headline.notes(m.simulation))


def test_headline_flags_equivalent_policy_types_and_leads_with_the_comparison():
    from sim.viz import headline
    m = controls.AppModel("case_by_case.toml", policy_type="coordinated", compare=True)
    assert any("runs exactly as case_by_case" in n for n in headline.notes(m.simulation))
    for _ in range(3):
        m.step()
    labels = [label for label, _ in viz.headline(m.simulation, m.counterfactual)]
    assert labels.index("persistence vs no-policy run") < labels.index("persistence")
    two = headline.notes(controls.AppModel("case_by_case.toml", jurisdictions=["Laos", "Shan"]).simulation)
    assert not any("coordinated" in n for n in two)  # two raiding jurisdictions: coordination can act


def test_raiding_jurisdictions_and_start_week_controls():
    m = controls.AppModel("case_by_case.toml", jurisdictions=["Shan", "Laos"], start_week=30)
    p = m.simulation.params.policy
    assert p.jurisdictions == ("Shan", "Laos") or p.jurisdictions == ("Laos", "Shan")
    assert set(p.jurisdictions) == {"Laos", "Shan"} and p.start_week == 30 and p.buffer == () and p.control == ()
    untouched = controls.AppModel("case_by_case.toml", jurisdictions=["Laos"], start_week=52).simulation.params
    assert untouched == controls.scenario_params("case_by_case.toml")  # the file's own values change nothing
    with pytest.raises(ValueError, match="Atlantis"):
        controls.AppModel("case_by_case.toml", jurisdictions=["Atlantis"])


def test_map_colours_compounds_by_where_they_opened_and_exports_png():
    m = controls.AppModel("case_by_case.toml")
    painter = viz.MapPainter(m.simulation)
    for _ in range(30):
        m.step()
    _xy, _sizes, colours = viz.compound_points(m.simulation, painter.cell_points, painter.origins)
    palette = {tuple(np.round(viz.to_rgb(viz.jurisdiction_colour(k)), 6)) for k in range(m.simulation.region.n_jurisdictions)}
    assert {tuple(np.round(c[:3], 6)) for c in colours} <= palette  # one colour per jurisdiction, not per operator
    png = painter.export_png(dpi=80)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


# ---- comparing two policies ---------------------------------------------------------------------

def test_compare_with_policy_builds_a_second_branch_on_the_same_seed_and_burn_in():
    """The compared policy is a branch of the run: same seed, same burn-in, identical until the policy starts."""
    m = controls.AppModel(scenario_file="mekong.toml", compare_policy="hotspot", seed=3)
    alt, run = m.alternative, m.simulation
    assert alt is not None and alt is not run and m.counterfactual is None
    assert alt.seed == run.seed == 3
    assert alt.params.policy.type == "hotspot" and run.params.policy.type == "case_by_case"
    assert alt.params.replace(policy=run.params.policy) == run.params  # only the policy's type differs
    assert alt.params.policy.start_week == run.params.policy.start_week
    start = run.params.policy.start_week
    for _ in range(start + 10):
        m.step()
    assert alt.week == run.week == start + 10
    before = start - 1  # weeks 1 .. start-1 are logged before the policy acts
    assert np.array_equal(alt.log.workers_matrix()[:before], run.log.workers_matrix()[:before])
    assert not np.array_equal(alt.log.workers_matrix(), run.log.workers_matrix()), "the two policies must part after the start"
    with pytest.raises(ValueError, match="compare_policy"):
        controls.AppModel(compare_policy="no-such-policy")


def test_the_compare_with_policy_control_draws_both_curves_and_headlines():
    model, rc = render(controls.AppModel(scenario_file="mekong.toml"))
    select = rc.find(v.Select, label="Compare with policy (none: off)").widget
    assert select.v_model == "none" and "hotspot" in select.items
    assert model.value.alternative is None
    select.v_model = "hotspot"
    rc.find(v.Checkbox, label="Compare with the no-policy run").widget.v_model = True
    click(rc, "Reset")
    m = model.value
    assert m.alternative is not None and m.alternative.params.policy.type == "hotspot" and m.counterfactual is not None
    click(rc, "Step")
    assert m.alternative.week == m.counterfactual.week == m.simulation.week == app.RENDER_INTERVAL
    painter = m.painters["charts"]
    labels = [t.get_text() for t in painter.totals_legend.get_texts()]
    assert labels == ["case_by_case (this run, total)", "hotspot (compared, total)", "no-policy run (total)"]
    for line in (painter.own_line, painter.alt_line, painter.cf_line):  # each total is drawn, one point a week
        assert line.get_visible() and len(line.get_xdata()) == app.RENDER_INTERVAL
    assert np.allclose(painter.alt_line.get_ydata(), m.alternative.log.workers_matrix().sum(axis=1) / 1000.0)
    table = measures_html(rc)
    assert "persistence vs no-policy run</td>" in table and "persistence vs no-policy run, hotspot" in table
    assert "people held, hotspot" in table


def test_headline_gives_the_compared_policys_persistence_against_the_no_policy_run():
    m = controls.AppModel(scenario_file="mekong.toml", compare=True, compare_policy="hotspot")
    for _ in range(m.params.policy.start_week + 60):
        m.step()
    rows = dict(viz.headline(m.simulation, m.counterfactual, m.alternative))
    s = summarise(result_of(m.alternative), result_of(m.counterfactual))
    assert rows["persistence vs no-policy run, hotspot"] == viz.fmt(s["counterfactual"]["persistence_vs_counterfactual_workers"])
    assert rows["persistence, hotspot"] == viz.fmt(s["persistence"]["persistence_workers"]) != "undefined"
    assert rows["persistence vs no-policy run, hotspot"] != rows["persistence vs no-policy run"]
    assert rows["people held, hotspot"] == f"{m.alternative.workers_held():,}"


# ---- the Inspect panel ----------------------------------------------------------------------------

def inspect_values(rc) -> dict[str, str]:
    import re

    tables = [w for w in rc.find(solara.widgets.HTML).widgets if "scamsim-inspect" in str(w.attributes.get("class", ""))]
    assert len(tables) == 1
    return dict(re.findall(r"<tr><td>(.*?)</td><td[^>]*><b>(.*?)</b></td></tr>", tables[0].unsafe_innerHTML))


def test_inspector_figures_add_up_to_the_models():
    from sim.viz import inspector

    m = controls.AppModel(scenario_file="mekong.toml")
    for _ in range(m.params.policy.start_week + 5):
        m.step()
    sim = m.simulation
    names = sim.region.jurisdiction_names
    by_j = [dict(inspector.jurisdiction_rows(sim, n)) for n in names]
    assert sum(int(r["people held"].replace(",", "")) for r in by_j) == sim.workers_held()
    assert sum(int(r["compounds (known to the agency)"].split()[0]) for r in by_j) == len(sim.compound_table.slots)
    assert sum(int(r["raids this week (succeeded)"].split()[0]) for r in by_j) == sum(1 for w, _c, _ok in sim.raid_log if w == sim.week)
    k = names.index("Laos")
    assert by_j[k]["perceived raid risk (per compound-week)"] == f"{sim.climate[k]:.3g}"
    assert by_j[k]["governance"] == f"{sim.region.jurisdiction_governance[k]:.3f}"
    largest = inspector.largest_compounds(sim)
    assert len(largest) == inspector.LARGEST and [c.workers for c in largest] == sorted((c.workers for c in largest), reverse=True)
    assert max(int(c.workers) for c in sim.compound_by_slot.values()) == largest[0].workers
    top = dict(inspector.rows(sim, inspector.compound_choice(largest[0])))
    assert top["people held"] == f"{int(largest[0].workers):,}" and top["operator"].startswith(f"{largest[0].operator.unique_id} (")
    assert top["site jurisdiction"] == names[sim.region.flat_jurisdiction[largest[0].site]]
    assert "closed" in dict(inspector.rows(sim, "compound 987654321"))["compound"]


def test_inspect_panel_follows_the_picked_item_every_step():
    model, rc = render(controls.AppModel(scenario_file="mekong.toml"))
    select = rc.find(v.Select, label="Inspect").widget
    names = list(model.value.simulation.region.jurisdiction_names)
    assert list(select.items)[: len(names)] == names and sum(i.startswith("compound ") for i in select.items) == 10
    select.v_model = "Cambodia"
    shown = inspect_values(rc)
    assert shown["jurisdiction"].startswith("Cambodia") and "governance" in shown
    held = shown["people held"]
    for _ in range(3):
        click(rc, "Step")
    sim = model.value.simulation
    shown = inspect_values(rc)
    k = names.index("Cambodia")
    t = sim.compound_table
    now = int(t.workers[t.slots][sim.region.flat_jurisdiction[t.site[t.slots]] == k].sum())
    assert shown["people held"] == f"{now:,}" != held, "the panel must show this week's figures"
    choice = next(i for i in rc.find(v.Select, label="Inspect").widget.items if i.startswith("compound "))
    rc.find(v.Select, label="Inspect").widget.v_model = choice
    shown = inspect_values(rc)
    assert shown["compound"] == choice.split()[1]
    for key in ("operator", "people held", "capacity", "age (weeks at this site)", "known to the agency", "site jurisdiction"):
        assert shown[key] != "", key


# ---- a scenario whose [[timeline]] replaces the single policy ---------------------------------------

def test_a_timeline_scenario_shows_its_events_and_no_policy_controls():
    """The history runs 14 dated events; controls of ``policy.*`` would edit a policy it never uses, so none are offered."""
    model, rc = render(controls.AppModel(scenario_file="case_by_case.toml"))
    rc.find(v.Select, label="Scenario").widget.v_model = "mekong_history.toml"
    history = load_scenario(SHIPPED / "mekong_history.toml").params
    assert model.value.params == history and len(history.timeline) == 14
    assert set(controls.model_params("mekong_history.toml")) == {"scenario_file", "compare", "seed"}
    assert not rc.find(v.Select, label="Policy type").widgets and not rc.find(v.Slider, label=RAID_LABEL).widgets
    assert not rc.find(v.Select, label="Raiding jurisdictions (none picked: all)").widgets
    cards = [w for w in rc.find(v.Card).widgets if w.children[0].children == ["Policy timeline (from the file)"]]
    assert len(cards) == 1
    box = [w for w in cards[0].children[1].children if "scamsim-timeline" in (getattr(w, "class_", None) or "").split()]
    shown = [span.children[0] for span in box[0].children]
    assert len(shown) == len(history.timeline)
    for event in history.timeline:  # every event, by name, with its first week and where it acts
        assert any(line.startswith(f"{event.name}: {event.type}, from week {event.start_week} ") for line in shown)
    assert "timeline of 14 events" in measures_html(rc) and "none, from week" not in measures_html(rc)
    click(rc, "Reset")  # untouched: the file's own run
    assert model.value.params == history


def test_policy_controls_on_a_timeline_scenario_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"mekong_history.toml runs a \[\[timeline\]\] of 14 events.*policy.type, policy.raid_frequency"):
        controls.AppModel("mekong_history.toml", policy_type="case_by_case", raid_frequency=50.0)
    with pytest.raises(ValueError, match="compare_policy 'hotspot' would change nothing"):
        controls.AppModel("mekong_history.toml", compare_policy="hotspot")
    same = controls.AppModel("mekong_history.toml", policy_type="none", compare=True)  # the file's own values: accepted
    assert same.counterfactual is not None and not same.counterfactual.params.timeline


def test_the_charts_mark_every_event_start_and_name_the_timeline():
    params = load_scenario(SHIPPED / "mekong_history.toml").params
    starts = charts.policy_starts(params)
    assert starts == sorted({e.start_week for e in params.timeline}) and len(starts) == 12  # two pairs of events share a week
    assert charts.policy_starts(load_scenario(SHIPPED / "none.toml").params) == []
    single = load_scenario(SHIPPED / "case_by_case.toml").params
    assert charts.policy_starts(single) == [single.policy.start_week]


def test_the_measures_name_the_timeline_events_in_force_each_week():
    from sim.viz import headline

    params = load_scenario(SHIPPED / "mekong_history.toml").params
    sihanoukville = next(e for e in params.timeline if e.name == "sihanoukville_raids")
    status_quo = next(e for e in params.timeline if e.name == "status_quo_raids")
    at_start = headline.active_events(params, sihanoukville.start_week)
    assert "sihanoukville_raids" in at_start and "status_quo_raids" in at_start  # both start that week
    after = headline.active_events(params, sihanoukville.end_week + 1)
    assert "sihanoukville_raids" not in after and "status_quo_raids" in after  # one ended, the other has no end
    assert min(e.start_week for e in params.timeline) > 1 and headline.active_events(params, 1) == "none"
    assert status_quo.end_week < 0
    m = controls.AppModel("mekong_history.toml")
    rows = dict(headline.headline(m.simulation))
    assert rows["events this week"] == headline.active_events(params, m.simulation.week)
