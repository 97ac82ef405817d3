"""The browser app's controls and the model they build, declared once (no Solara here).

Every control is a parameter of ``sim.params.declarations``: its range, type and unit come from the
declaration, its starting value from the chosen scenario file. A control the user leaves alone changes
nothing: ``AppModel`` applies only the values that differ from the file's, so a scenario opened and
reset untouched runs exactly as ``scamsim run`` runs that file.

``AppModel`` is the model SolaraViz drives: it holds the scenario's ``ScamModel`` and, with *Compare*,
its no-policy counterfactual (a branch of it after the shared burn-in), and, with *Compare with policy*,
a second branch under another policy type (the same levers otherwise), and steps them together.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import threading

import mesa

from sim.common.errors import SimulationError
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params
from sim.params.declarations import SECTIONS, Params
from sim.scenario.loader import ScenarioError, default_params, load_scenario
from sim.viz.scenarios import initial_scenario, resolve_scenario, scenario_names

#: Sliders: AppModel argument, the parameter it sets, and its title (the unit is the declaration's).
SLIDERS = (
    ("raid_frequency", "policy.raid_frequency", "Raid frequency"),
    ("aml_share", "policy.aml_share", "Anti-money-laundering: revenue lost"),
    ("inflow_reduction", "policy.inflow_reduction", "Trafficking inflow stopped"),
    ("protection_sanctions", "policy.protection_sanctions", "Sanctions: protection removed"),
    ("demand_reduction", "policy.demand_reduction", "Demand: revenue removed"),
    ("repatriation_share", "policy.repatriation_share", "Freed people sent home"),
)
#: A slider shows the value a parameter has in effect; these parameters take a sentinel for "as
#: another parameter has it" (-1: unchanged), so they show, and are ranged like, that other parameter.
EFFECTIVE = {"policy.repatriation_share": "enforcement.repatriation_share"}
#: A declared range wider than this is no use on a slider: the top is derived from the value instead.
MAX_SLIDER_SPAN = 1000.0
#: Seeds offered on the seed slider (from the declared lower bound); a file's larger seed extends it.
SEED_CHOICES = 1000


def declaration(key: str) -> dataclasses.Field:
    """The declared field of a dotted parameter key such as ``policy.raid_frequency``."""
    section, name = key.split(".", 1)
    return {f.name: f for f in dataclasses.fields(SECTIONS[section])}[name]


def value_of(params: Params, key: str):
    """The value ``key`` has in effect in ``params`` (a sentinel replaced by what it stands for)."""
    section, name = key.split(".", 1)
    value = getattr(getattr(params, section), name)
    if key in EFFECTIVE and value < declaration(EFFECTIVE[key]).metadata["lo"]:
        return value_of(params, EFFECTIVE[key])
    return value


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``value`` (a slider's round top)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    base = 10.0 ** math.floor(math.log10(value))
    return next(m * base for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * base >= value * (1 - 1e-12))


def _on_grid(value: float, lo: float, step: float) -> bool:
    return abs(round((value - lo) / step) * step - (value - lo)) <= 1e-9 * max(1.0, abs(value))


def slider_range(key: str, value: float) -> tuple[float, float, float]:
    """(min, max, step) of the slider for ``key`` when it shows ``value``.

    The declared bounds, when they span a usable range; otherwise the declared lower bound and a round
    top well above both the declared default and ``value``, never beyond the declared upper bound. The
    step is a round fraction of the span, made finer until ``value`` lies on it: the browser's slider
    snaps its value to the range and the step, and must never move a value the user did not touch.
    """
    f = declaration(EFFECTIVE.get(key, key))
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    lo = float(min(0.0 if lo is None else lo, value))
    if hi is None or hi - lo > MAX_SLIDER_SPAN:
        top = nice_ceiling(max(4.0 * abs(float(f.default)), 2.0 * abs(value), 1.0))
        hi = top if hi is None else min(hi, top)
    hi = float(max(hi, value))
    k = math.floor(math.log10((hi - lo) / 100.0)) if hi > lo else 0
    while k > -6 and not _on_grid(value, lo, 10.0**k):
        k -= 1
    return lo, hi, 10.0**k


def scenario_params(name: str) -> Params:
    """Validated parameters of a menu entry (a shipped scenario, a path, or the built-in defaults)."""
    path = resolve_scenario(name)
    return default_params() if path is None else load_scenario(path).params


def valid_scenario_names() -> list[str]:
    """The shipped scenarios that validate (the menu lists only these; problems go to the server log)."""
    names = []
    for name in scenario_names():
        try:
            scenario_params(name)
        except (ScenarioError, OSError) as exc:
            print(f"scamsim app: leaving {name} out of the scenario menu: {exc}", file=sys.stderr)
        else:
            names.append(name)
    return names


def model_params(scenario_file: str | None = None, compare: bool = False, compare_policy: str = "none") -> dict:
    """SolaraViz's controls for ``scenario_file``: ranges from the declarations, values from the file."""
    scenario_file = scenario_file or initial_scenario()
    params = scenario_params(scenario_file)
    if params.timeline:
        return timeline_params(scenario_file, params, compare)
    policy_type = declaration("policy.type")
    controls: dict = {
        "scenario_file": scenario_file,  # fixed: the scenario menu above SolaraViz picks it
        "policy_type": {"type": "Select", "value": params.policy.type, "values": list(policy_type.metadata["choices"]),
                        "label": "Policy type"},
    }
    for arg, key, title in SLIDERS:
        value = float(value_of(params, key))
        lo, hi, step = slider_range(key, value)
        unit = declaration(key).metadata["unit"]
        controls[arg] = {"type": "SliderFloat", "value": value, "min": lo, "max": hi, "step": step, "label": f"{title} ({unit})"}
    start = declaration("policy.start_week")
    controls["start_week"] = {"type": "SliderInt", "value": int(params.policy.start_week), "min": int(start.metadata["lo"] or 1),
                              "max": max(int(params.run.weeks), int(params.policy.start_week)), "step": 1,
                              "label": "Policy starts in week"}
    controls["jurisdictions"] = list(params.policy.jurisdictions)  # the sidebar's own multi-select sets it
    controls["compare"] = {"type": "Checkbox", "value": bool(compare), "label": "Compare with the no-policy run"}
    controls["compare_policy"] = {"type": "Select", "value": compare_policy, "values": list(policy_type.metadata["choices"]),
                                  "label": "Compare with policy (none: off)"}
    controls["seed"] = seed_control(params)
    return controls


def seed_control(params: Params) -> dict:
    """The seed slider: the file's seed, among the first ``SEED_CHOICES`` allowed (extended to reach the file's)."""
    seed, seed_lo = int(params.run.seed), int(declaration("run.seed").metadata["lo"] or 0)
    return {"type": "SliderInt", "value": seed, "min": min(seed_lo, seed), "max": max(seed_lo + SEED_CHOICES - 1, seed),
            "step": 1, "label": "Seed"}


def timeline_params(scenario_file: str, params: Params, compare: bool) -> dict:
    """The controls of a scenario whose ``[[timeline]]`` replaces its policy: none of the policy's.

    Each event sets its own type, weeks, jurisdictions and levers in the file; a control that edited
    ``policy.*`` would change a policy the run never uses, so only what applies is offered: the seed and
    the no-policy comparison (every event switched off, ``counterfactual_params``).
    """
    return {"scenario_file": scenario_file,
            "compare": {"type": "Checkbox", "value": bool(compare), "label": "Compare with the no-policy run"},
            "seed": seed_control(params)}


def control_values(spec: dict) -> dict:
    """The values a control spec (``model_params``) starts at: what Reset builds from until the user changes one."""
    return {name: options["value"] if isinstance(options, dict) else options for name, options in spec.items()}


def apply_controls(params: Params, controls: dict[str, object]) -> Params:
    """``params`` with the controls (dotted key: value; None: untouched) that differ from its values.

    A value equal to the file's, within a slider's rounding, is left as the file has it (so a sentinel
    such as ``policy.repatriation_share = -1`` stays). Raises ValueError for a value outside the declaration.
    """
    values: dict[str, object] = {}
    for key, value in controls.items():
        if value is None:
            continue
        meta = declaration(key).metadata
        if meta["choices"] is not None:
            if value not in meta["choices"]:
                raise ValueError(f"{key} {value!r} is not one of {', '.join(meta['choices'])}")
            if value != value_of(params, key):
                values[key] = value
            continue
        number = float(value)
        if not math.isclose(number, float(value_of(params, key)), rel_tol=1e-9, abs_tol=1e-6):
            lo, hi = meta["lo"], meta["hi"]
            if (lo is not None and number < lo) or (hi is not None and number > hi):
                raise ValueError(f"{key} {number:g} is outside its declared range [{lo}, {hi}]")
            values[key] = round(number, 6)
    return params.with_values(values) if values else params


def refuse_policy_controls(scenario_file: str, file_params: Params, params: Params, compare_policy: str | None) -> None:
    """Raise ValueError when controls changed ``policy.*`` (or ask for a compared policy) in a timeline scenario.

    Its ``[[timeline]]`` replaces the single policy, so such a change would run exactly what the file runs
    while the controls said otherwise.
    """
    changed = [f"policy.{f.name}" for f in dataclasses.fields(params.policy)
               if getattr(params.policy, f.name) != getattr(file_params.policy, f.name)]
    if compare_policy not in (None, "none"):
        changed.append(f"compare_policy {compare_policy!r}")
    if changed:
        raise ValueError(f"{scenario_file} runs a [[timeline]] of {len(file_params.timeline)} events, which replaces [policy]: "
                         f"{', '.join(changed)} would change nothing that runs; edit the events in the scenario file instead")


class AppModel(mesa.Model):
    """A scenario's run (and with ``compare`` its no-policy run) built from the app's controls.

    Args:
        scenario_file: menu entry (a shipped scenario, a path, or the built-in defaults).
        policy_type: ``policy.type``.
        raid_frequency, aml_share, inflow_reduction, protection_sanctions, demand_reduction,
            repatriation_share: ``policy.*``; repatriation_share is the share in effect.
        compare: also run the no-policy counterfactual (same seed), stepped together with the run.
        compare_policy: also run this policy type ("none": no second policy), a branch of the run after the
            shared burn-in with only ``policy.type`` changed (the levers, start week and raiders as set).
        seed: random seed; a string of digits is accepted (mesa issue 3516).
        start_week: ``policy.start_week``.
        jurisdictions: ``policy.jurisdictions``, the jurisdictions that raid (and apply sanctions and cuts).

    None (or the file's own value) leaves a parameter as the file has it. ``simulation`` is the
    scenario's ``ScamModel``; ``counterfactual`` its no-policy branch or None; ``alternative`` its branch
    under ``compare_policy`` or None. Stepping steps them all under
    ``lock`` (panels read under it too); the app stops (``running`` false) at the scenario's ``run.weeks``.
    """

    def __init__(self, scenario_file: str | None = None, policy_type: str | None = None, raid_frequency: float | None = None,
                 aml_share: float | None = None, inflow_reduction: float | None = None, protection_sanctions: float | None = None,
                 demand_reduction: float | None = None, repatriation_share: float | None = None, compare: bool = False,
                 seed: int | str | None = None, start_week: int | None = None, jurisdictions: list[str] | None = None,
                 compare_policy: str | None = None) -> None:
        scenario_file = scenario_file or initial_scenario()
        file_params = scenario_params(scenario_file)
        given = {"policy_type": policy_type, "raid_frequency": raid_frequency, "aml_share": aml_share, "inflow_reduction": inflow_reduction,
                 "protection_sanctions": protection_sanctions, "demand_reduction": demand_reduction,
                 "repatriation_share": repatriation_share}
        keys = {"policy_type": "policy.type", **{arg: key for arg, key, _ in SLIDERS}}
        params = apply_controls(file_params, {keys[arg]: value for arg, value in given.items()})
        extra: dict = {}
        if start_week is not None and int(start_week) != params.policy.start_week:
            extra["policy.start_week"] = int(start_week)
        if jurisdictions is not None and tuple(jurisdictions) != tuple(params.policy.jurisdictions):
            names = [j.name for j in params.map.jurisdictions]
            unknown = [j for j in jurisdictions if j not in names]
            if unknown:
                raise ValueError(f"policy.jurisdictions: {', '.join(unknown)} not in the map; jurisdictions: {', '.join(names)}")
            # in the map's order; none picked (or all) means all, as in a scenario file
            chosen = tuple(n for n in names if n in jurisdictions)
            chosen = () if len(chosen) == len(names) else chosen
            if chosen != tuple(params.policy.jurisdictions):
                # the file's buffer and control areas were chosen around its own raiders: take the defaults again
                extra.update({"policy.jurisdictions": chosen, "policy.buffer": (), "policy.control": ()})
        if extra:
            params = params.with_values(extra)
        if file_params.timeline:
            refuse_policy_controls(scenario_file, file_params, params, compare_policy)
        seed = file_params.run.seed if seed is None or str(seed).strip() == "" else int(str(seed).strip())
        super().__init__(rng=seed)
        self.scenario_file = scenario_file
        self.compare = bool(compare)
        self.compare_policy = compare_policy or "none"
        self.lock = threading.Lock()
        self.simulation = ScamModel(params, rng=seed)
        self.counterfactual = self.simulation.branch(counterfactual_params(params)) if compare else None
        self.alternative = self._alternative(params, compare_policy or "none")
        self.painters: dict = {}  # the app's live map and charts painters (sim.viz.app), reused by its Export buttons
        self.stopped = ""  # why stepping stopped before the last week (a SimulationError's message), or ""

    def _alternative(self, params: Params, policy_type: str) -> ScamModel | None:
        """The run's branch under ``policy_type`` (None for "none": the no-policy run is *Compare*'s)."""
        choices = declaration("policy.type").metadata["choices"]
        if policy_type not in choices:
            raise ValueError(f"compare_policy {policy_type!r} is not one of {', '.join(choices)}")
        if policy_type == "none":
            return None
        return self.simulation.branch(params.replace(policy=dataclasses.replace(params.policy, type=policy_type)))

    def models(self) -> list[ScamModel]:
        """The run and whichever comparison runs are on, in the order they are stepped."""
        return [m for m in (self.simulation, self.counterfactual, self.alternative) if m is not None]

    @property
    def params(self) -> Params:
        return self.simulation.params

    def step(self) -> None:
        """One week of the run (and of the no-policy run); nothing once the last week is reached, or once a run stopped.

        A run whose parameters drive it past what the model can represent (``SimulationError``) stops the app: the
        message is kept in ``stopped`` for the page to show, and stepping does nothing more.
        """
        if self.stopped or self.simulation.week >= self.simulation.params.run.weeks:
            self.running = False
            return
        with self.lock:
            try:
                for model in self.models():
                    model.step()
            except SimulationError as exc:
                self.stopped = str(exc)
                self.running = False
                return
            self.running = self.simulation.week < self.simulation.params.run.weeks
