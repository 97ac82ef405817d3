"""Reading experiment files: TOML in, a validated ``Experiment`` out.

An experiment names a base scenario and what to vary::

    [experiment]
    name = "quick"
    scenario = "scenarios/baseline.toml"   # relative to this file, else to the current folder or the shipped scenarios
    replications = 2
    weeks = 40
    counterfactual = true                  # pair every run with its no-policy counterfactual
    posterior = "posteriors/mekong_2022"   # optional: replication r runs parameter set r drawn from this calibrated posterior

    [set]                                  # fixed changes to the scenario (not varied)
    "policy.start_week" = 20

    [factors]                              # full factorial: lists, or {start, step, end} ranges
    "policy.type" = ["none", "case_by_case"]
    "policy.raid_frequency" = { start = 24, step = 72, end = 96 }

    [[points]]                             # explicit points (crossed with [factors])
    "relocation.base_cost" = 1e6

    [sample]                               # Latin hypercube samples (crossed with [factors])
    count = 20
    bounds = { "relocation.cost_per_km" = [1000, 8000] }

Every key is a dotted scenario key (``section.name``) and every value is checked against the
``Params`` field metadata exactly as a scenario file is, so errors name the file and the key and
suggest close matches. Every problem in a file is reported at once: each check below appends to a
list of problems, and ``ScenarioError`` (``sim.scenario.loader``) is raised with all of them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from sim.common.resources import shipped
from sim.experiments.factors import check_key, explicit_points, factor_values
from sim.experiments.fields import flatten_params, param_fields
from sim.experiments.posterior import experiment_posterior, posterior_overlaps
from sim.experiments.sampling import sampled_points
from sim.experiments.spec import DEFAULT_MEASURES, DEFAULT_SERIES, DesignPoint, Experiment
from sim.measures.names import COUNTERFACTUAL_PREFIX, MEASURES
from sim.params.declarations import Params
from sim.scenario.loader import ScenarioError, check_value, load_scenario, read_toml
from sim.scenario.loader import suggest as _suggest

EXPERIMENT_KEYS = ("name", "description", "scenario", "posterior", "replications", "weeks", "seed", "counterfactual",
                   "measures", "series", "moves")
TOP_LEVEL = ("experiment", "set", "factors", "points", "sample")
MAX_POINTS = 1_000_000

Fields = dict[str, dataclasses.Field]


class _Settings(NamedTuple):
    name: str
    description: str
    replications: int
    counterfactual: bool
    moves: bool


# ---- the [experiment] table -----------------------------------------------------------------------------

def _table(where: str, data: dict[str, Any], name: str, problems: list[str]) -> dict[str, Any]:
    t = data.get(name, {})
    if not isinstance(t, dict):
        problems.append(f"{where}: [{name}] must be a table, got {t!r}")
        return {}
    return t


def _experiment_table(where: str, data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """The [experiment] table, after checking the file's tables and the table's keys."""
    for key in data:
        if key not in TOP_LEVEL:
            problems.append(f"{where}: [{key}] is not a known table{_suggest(key, TOP_LEVEL)}; allowed: {', '.join(TOP_LEVEL)}")
    exp = _table(where, data, "experiment", problems)
    if "experiment" not in data:
        problems.append(f"{where}: no [experiment] table; an experiment file needs at least [experiment] with scenario = \"...\"")
    for key in exp:
        if key not in EXPERIMENT_KEYS:
            problems.append(f"{where}: experiment.{key} is not a known key of [experiment]{_suggest(key, EXPERIMENT_KEYS)}; "
                            f"allowed: {', '.join(EXPERIMENT_KEYS)}")
    return exp


def _settings(where: str, path: Path, exp: dict[str, Any], problems: list[str]) -> _Settings:
    name = exp.get("name", path.stem)
    if not isinstance(name, str) or not name or any(c in name for c in "/\\") or name.startswith("."):
        problems.append(f"{where}: experiment.name = {name!r} must be a non-empty name usable as a folder name")
    description = exp.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}: experiment.description must be a string")
    reps = exp.get("replications", 1)
    if not isinstance(reps, int) or isinstance(reps, bool) or not 1 <= reps <= 100000:
        problems.append(f"{where}: experiment.replications = {reps!r} is not allowed; allowed: a whole number from 1 to 100000")
    cf = exp.get("counterfactual", False)
    if not isinstance(cf, bool):
        problems.append(f"{where}: experiment.counterfactual = {cf!r} has the wrong type; expected true or false")
        cf = False
    moves = exp.get("moves", True)
    if not isinstance(moves, bool):
        problems.append(f"{where}: experiment.moves = {moves!r} has the wrong type; expected true or false")
    return _Settings(name, description, reps, cf, moves)


def _seed(where: str, exp: dict[str, Any], base: Params | None, problems: list[str]) -> int:
    seed = exp.get("seed", base.run.seed if base is not None else 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(f"{where}: experiment.seed = {seed!r} must be a whole number from 0 up")
        seed = 0
    return seed


# ---- the base scenario and its fixed changes ------------------------------------------------------------

def resolve_scenario(where: str, exp_path: Path, name: Any, problems: list[str]) -> Path | None:
    """The scenario file an experiment names: relative to the experiment file or the current folder, or a shipped scenario."""
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: experiment.scenario = {name!r} must be the path of a scenario file, "
                        f"e.g. \"scenarios/baseline.toml\"")
        return None
    p = Path(name)
    if p.is_absolute():
        candidates = [p]
    else:
        candidates = [exp_path.parent / p, Path.cwd() / p]
        if p.parts[0] == "scenarios" and len(p.parts) > 1:  # "scenarios/x.toml": a shipped scenario (in a checkout, the repository's)
            candidates.append(shipped("scenarios").joinpath(*p.parts[1:]))
    for c in candidates:
        if c.is_file():
            return c
    tried = ", ".join(dict.fromkeys(str(c) for c in candidates))
    problems.append(f"{where}: experiment.scenario = {name!r} not found (looked relative to the experiment file, the current "
                    f"folder and the repository root: {tried})")
    return None


def _base_scenario(where: str, path: Path, data: dict[str, Any], exp: dict[str, Any],
                   problems: list[str]) -> tuple[Params | None, Path | None, str]:
    """The base scenario's parameters, file and file hash (None, None, "" when it cannot be read)."""
    scenario_file = resolve_scenario(where, path, exp.get("scenario"), problems) if "experiment" in data else None
    if scenario_file is None:
        return None, None, ""
    try:
        sc = load_scenario(scenario_file)
    except ScenarioError as exc:
        problems += [f"{where}: experiment.scenario: {p}" for p in exc.problems]
        return None, scenario_file, ""
    return sc.params, scenario_file, sc.file_sha256


def _fixed_values(where: str, data: dict[str, Any], exp: dict[str, Any], fields: Fields, problems: list[str]) -> dict[str, Any]:
    """[set] and experiment.weeks: changes to the base scenario that every run shares."""
    fixed: dict[str, Any] = {}
    for key, v in flatten_params(_table(where, data, "set", problems)).items():
        if check_key(where, "set", key, fields, problems):
            v, problem = check_value(where, f"set.{key}", v, fields[key])
            if problem:
                problems.append(problem)
            else:
                fixed[key] = v
    if "weeks" in exp:
        weeks, problem = check_value(where, "experiment.weeks", exp["weeks"], fields["run.weeks"])
        if problem:
            problems.append(problem)
        else:
            fixed["run.weeks"] = weeks
    return fixed


# ---- what varies -------------------------------------------------------------------------------------------

def _factors(where: str, data: dict[str, Any], fields: Fields, problems: list[str]) -> dict[str, list[Any]]:
    factors: dict[str, list[Any]] = {}
    for key, v in flatten_params(_table(where, data, "factors", problems)).items():
        if check_key(where, "factors", key, fields, problems):
            factors[key] = factor_values(where, key, v, fields[key], problems)
    return factors


def _extra_points(where: str, data: dict[str, Any], fields: Fields, seed: int, problems: list[str]) -> list[dict[str, Any]]:
    """[[points]] then [sample]: the points crossed with the factorial design."""
    points = explicit_points(where, data["points"], fields, problems) if "points" in data else []
    samples = sampled_points(where, _table(where, data, "sample", problems), fields, seed, problems) if "sample" in data else []
    for key in sorted({k for p in points for k in p} & {k for p in samples for k in p}):
        problems.append(f"{where}: {key} is both in [[points]] and in [sample]; vary it in one place")
    return [*points, *samples]


def _check_overlaps(where: str, factors: dict[str, Any], extra_keys: list[str], fixed: dict[str, Any], problems: list[str]) -> None:
    """A parameter is varied in one place only, and never both fixed and varied."""
    for key in extra_keys:
        if key in factors:
            problems.append(f"{where}: {key} is both in [factors] and in [[points]]/[sample]; vary it in one place")
    for key in [*factors, *extra_keys]:
        if key in fixed:
            problems.append(f"{where}: {key} is both fixed (in [set] or experiment.weeks) and varied; remove one")


def _check_timeline_policy(where: str, base: Params | None, scenario: Path | None, varied: dict[str, str],
                           problems: list[str]) -> None:
    """On a scenario with a [[timeline]] (which replaces [policy]) a ``policy.*`` key would silently do nothing."""
    if base is None or not base.timeline:
        return
    for key, table in varied.items():
        if key.startswith("policy."):
            problems.append(f"{where}: {table}.{key} would have no effect: the scenario {scenario} has a [[timeline]], which "
                            f"replaces [policy]; allowed: non-policy parameters, or a scenario with a single [policy] "
                            f"(e.g. scenarios/mekong_actors.toml rather than scenarios/mekong_history.toml)")


# ---- what each run keeps -----------------------------------------------------------------------------------

def _measures(where: str, measures: Any, cf: bool, problems: list[str]) -> list[str]:
    """experiment.measures: the defaults, "all", or a list of names from ``sim.measures.names.MEASURES``."""
    if measures is None:
        return [m for m in DEFAULT_MEASURES if cf or not m.startswith(COUNTERFACTUAL_PREFIX)]
    if measures == "all":
        return [m for m in MEASURES if cf or not m.startswith(COUNTERFACTUAL_PREFIX)]
    if not (isinstance(measures, list) and measures and all(isinstance(m, str) for m in measures)):
        problems.append(f"{where}: experiment.measures must be a non-empty list of measure names or \"all\"")
        return []
    for m in measures:
        if m not in MEASURES:
            problems.append(f"{where}: experiment.measures names '{m}', which is not a measure{_suggest(m, MEASURES)}; "
                            f"allowed: {', '.join(MEASURES)}")
        elif m.startswith(COUNTERFACTUAL_PREFIX) and not cf:
            problems.append(f"{where}: experiment.measures names '{m}', which needs experiment.counterfactual = true")
    if len(set(measures)) != len(measures):
        problems.append(f"{where}: experiment.measures lists a measure more than once")
    return measures


def _series_columns(params: Params) -> list[str]:
    from sim.measures import metrics

    names = [j.name for j in params.map.jurisdictions] if params.map is not None else []
    return [*metrics.COLUMNS, *(f"workers_{n}" for n in names)]


def _series(where: str, series: Any, base: Params | None, problems: list[str]) -> list[str]:
    """experiment.series: weekly columns of the base scenario's runs (the week is always kept)."""
    if not (isinstance(series, list) and all(isinstance(s, str) for s in series)):
        problems.append(f"{where}: experiment.series must be a list of weekly column names ([] for none)")
        return []
    if base is None:
        return series
    cols = _series_columns(base)
    for s in series:
        if s not in cols:
            problems.append(f"{where}: experiment.series names '{s}', which is not a weekly column{_suggest(s, cols)}; "
                            f"allowed: {', '.join(cols)}")
    return [s for s in series if s != "week"]


# ---- the design points -------------------------------------------------------------------------------------

def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items()) or "base scenario"


def _check_names(where: str, params: Params, problems: list[str]) -> None:
    from sim.scenario import loader as scenario

    scenario.check_names(where, params, problems)


def _design_points(where: str, base: Params, factors: dict[str, list[Any]], extra: list[dict[str, Any]],
                   problems: list[str]) -> tuple[list[DesignPoint], tuple[tuple[tuple[str, Any], ...], ...]]:
    """Every point of the factorial crossed with the extra points, each checked; and the counterfactual groups.

    Points with the same non-policy values share a group (and so one no-policy counterfactual).
    """
    combos = list(itertools.product(*factors.values())) if factors else [()]
    values_list = [{**dict(zip(factors, combo, strict=True)), **point} for combo in combos for point in (extra or [{}])]
    if len(values_list) > MAX_POINTS:
        raise ScenarioError([f"{where}: the design has {len(values_list)} points; at most 1,000,000 allowed"])
    group_of: dict[tuple, int] = {}
    points = []
    for i, values in enumerate(values_list):
        params = base.with_values(values)
        start = len(problems)
        _check_names(f"{where}: point {i} ({_describe(values)})", params, problems)
        if len(problems) - start and len(problems) > 20:
            problems.append(f"{where}: ... stopping after 20 problems")
            break
        nonpolicy = tuple((k, v) for k, v in values.items() if not k.startswith("policy."))
        group = group_of.setdefault(nonpolicy, len(group_of))
        points.append(DesignPoint(id=i, values=tuple(values.items()), group=group))
    return points, tuple(group_of)


# ---- the whole file ----------------------------------------------------------------------------------------

def experiment_from_dict(data: dict[str, Any], path: Path, text: str) -> Experiment:
    """Validate a parsed experiment file; raises ScenarioError listing every problem."""
    where = str(path)
    problems: list[str] = []
    fields = param_fields()
    exp = _experiment_table(where, data, problems)
    settings = _settings(where, path, exp, problems)
    base, scenario_file, scenario_sha = _base_scenario(where, path, data, exp, problems)
    fixed = _fixed_values(where, data, exp, fields, problems)
    seed = _seed(where, exp, base, problems)
    factors = _factors(where, data, fields, problems)
    extra = _extra_points(where, data, fields, seed, problems)
    extra_keys = list(dict.fromkeys(k for p in extra for k in p))
    _check_overlaps(where, factors, extra_keys, fixed, problems)
    varied = {**{k: "set" for k in fixed}, **{k: "factors" for k in factors},
              **{k: "points/sample" for k in extra_keys}}
    _check_timeline_policy(where, base, scenario_file, varied, problems)
    post, post_path = experiment_posterior(where, path, exp["posterior"], base, problems) if "posterior" in exp else (None, "")
    if post is not None:
        posterior_overlaps(where, post, varied, problems)
    measures = _measures(where, exp.get("measures"), settings.counterfactual, problems)
    series = _series(where, exp.get("series", list(DEFAULT_SERIES)), base, problems)
    if problems:
        raise ScenarioError(problems)
    assert base is not None
    base = base.with_values(fixed)
    _check_names(f"{where}: [set]", base, problems)
    points, groups = _design_points(where, base, factors, extra, problems)
    if problems:
        raise ScenarioError(problems)
    return Experiment(
        path=str(path), text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), name=settings.name,
        description=settings.description, scenario_path=str(scenario_file), scenario_sha256=scenario_sha, base=base,
        replications=settings.replications, seed=seed, counterfactual=settings.counterfactual, measures=tuple(measures),
        series=tuple(series), moves=settings.moves, parameters=(*factors, *extra_keys), points=tuple(points), groups=groups,
        posterior=post, posterior_path=post_path,
    )


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raises ScenarioError naming the file and each bad key."""
    path = Path(path)
    text, data = read_toml(path, "experiment")
    return experiment_from_dict(data, path, text)


def validate_experiment(path: str | Path) -> Experiment:
    """``scamsim validate`` for experiment files: the validated experiment, or ScenarioError."""
    return load_experiment(path)


def is_experiment_file(path: str | Path) -> bool:
    """True when a TOML file has an [experiment] table (so ``scamsim validate`` can tell the two kinds apart)."""
    try:
        return "experiment" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
