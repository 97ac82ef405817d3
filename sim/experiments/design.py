"""Experiment files: TOML in, a validated list of design points out.

An experiment names a base scenario and what to vary::

    [experiment]
    name = "quick"
    scenario = "scenarios/baseline.toml"   # relative to this file, else to the repository root
    replications = 2
    weeks = 40
    counterfactual = true                  # pair every run with its no-policy counterfactual

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
suggest close matches. Problems raise ``sim.scenario.loader.ScenarioError``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.params.declarations import SECTIONS, Params
from sim.scenario.loader import ScenarioError, check_value, load_scenario, params_hash, read_toml, unknown_parameter
from sim.scenario.loader import suggest as _suggest

EXPERIMENT_KEYS = ("name", "description", "scenario", "replications", "weeks", "seed", "counterfactual", "measures",
                   "series", "moves")
TOP_LEVEL = ("experiment", "set", "factors", "points", "sample")
SAMPLE_KEYS = ("method", "count", "seed", "bounds")
SAMPLE_METHODS = ("latin_hypercube",)
RANGE_KEYS = ("start", "step", "end")
#: Keys an experiment may not vary: seeds come from the experiment's base seed and the replication.
FIXED_KEYS = ("run.seed",)

#: Measures kept when the experiment does not list its own (dotted keys of ``sim.measures.run.summarise``).
DEFAULT_MEASURES = (
    "persistence.persistence_workers",
    "persistence.persistence_revenue",
    "counterfactual.persistence_vs_counterfactual_workers",
    "counterfactual.persistence_vs_counterfactual_revenue",
    "counterfactual.victim_weeks_averted",
    "counterfactual.revenue_averted_usd",
    "displacement.displacement_share",
    "displacement.wdq_buffer",
    "displacement.tne",
    "displacement.herfindahl_last_year",
    "displacement.spread_jurisdictions_last_year",
    "relocation_since_policy.moves",
    "relocation_since_policy.mean_km",
    "relocation_since_policy.median_km",
    "relocation_since_policy.share_cross_border",
    "victims.victim_weeks",
    "victims.victim_weeks_since_policy",
    "end.workers_held",
    "end.compounds",
    "end.operators",
    "enforcement_since_policy.raids",
    "enforcement_since_policy.bosses_arrested",
    "enforcement_since_policy.compounds_dissolved",
    "enforcement_since_policy.capital_seized_usd",
    "enforcement_since_policy.recovery_weeks_region",
)
#: Weekly columns kept per run when the experiment does not list its own.
DEFAULT_SERIES = ("workers_held", "revenue", "compounds", "raids", "relocations")


@dataclass(frozen=True)
class DesignPoint:
    """One combination of parameter values; ``group`` indexes the shared no-policy counterfactual."""

    id: int
    values: tuple[tuple[str, Any], ...]
    group: int

    @property
    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: base parameters, design points and what to keep."""

    path: str
    text: str
    sha256: str
    name: str
    description: str
    scenario_path: str
    scenario_sha256: str
    base: Params
    replications: int
    seed: int
    counterfactual: bool
    measures: tuple[str, ...]
    series: tuple[str, ...]
    moves: bool
    parameters: tuple[str, ...]
    points: tuple[DesignPoint, ...]
    groups: tuple[tuple[tuple[str, Any], ...], ...]

    @property
    def weeks(self) -> int:
        return self.base.run.weeks

    def params_for(self, point: DesignPoint) -> Params:
        return self.base.with_values(point.as_dict)

    def counterfactual_for(self, group: int) -> Params:
        """The shared no-policy run of a group: the group's non-policy values, the base policy switched off."""
        p = self.base.with_values(dict(self.groups[group]))
        return p.replace(policy=dataclasses.replace(p.policy, type="none"))

    @property
    def design_sha256(self) -> str:
        """Hash of everything that fixes a run's result except the number of replications.

        A results folder can be resumed, or extended with more replications, only by an experiment
        with the same design hash.
        """
        spec = {
            "base": params_hash(self.base),
            "seed": self.seed,
            "counterfactual": self.counterfactual,
            "measures": list(self.measures),
            "series": list(self.series),
            "moves": self.moves,
            "parameters": list(self.parameters),
            "points": [[[k, _jsonable(v)] for k, v in p.values] for p in self.points],
        }
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _jsonable(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def column_value(v: Any) -> Any:
    """A parameter value as stored in a results column (name lists joined by commas)."""
    return ",".join(v) if isinstance(v, tuple) else v


# ---- known names -------------------------------------------------------------------------------------



def _fields() -> dict[str, dataclasses.Field]:
    return {f"{s}.{f.name}": f for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}


def _kind(f: dataclasses.Field) -> type:
    d = f.default
    return bool if isinstance(d, bool) else type(d)


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dict to dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


@functools.cache
def known_measures() -> tuple[str, ...]:
    """Every numeric measure ``sim.measures.run.summarise`` reports, as dotted keys.

    Found by summarising a small constructed run, so the list follows ``summarise`` as it changes.
    """
    import pandas as pd

    from sim.measures import metrics
    from sim.measures.run import MOVE_COLUMNS, RunResult, summarise

    n = 120
    frame = pd.DataFrame({c: np.zeros(n) for c in metrics.COLUMNS})
    frame["week"] = np.arange(1, n + 1)
    fake = RunResult(params=Params(), seed=0, frame=frame, workers=np.zeros((n, 2)), revenue=np.zeros((n, 2)),
                     moves=pd.DataFrame(columns=MOVE_COLUMNS), jurisdictions=("a", "b"),
                     areas=metrics.Areas(treated=np.array([0]), buffer=np.array([1]), control=np.array([], dtype=int)), totals={})
    flat = flatten(summarise(fake, fake))
    return tuple(k for k, v in flat.items()
                 if not k.startswith("provenance.") and (v is None or isinstance(v, (bool, int, float, np.number))))


def _series_columns(params: Params) -> list[str]:
    from sim.measures import metrics

    names = [j.name for j in params.map.jurisdictions] if params.map is not None else []
    return [*metrics.COLUMNS, *(f"workers_{n}" for n in names)]


# ---- reading a file ----------------------------------------------------------------------------------

def _resolve_scenario(where: str, exp_path: Path, name: Any, problems: list[str]) -> Path | None:
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: experiment.scenario = {name!r} must be the path of a scenario file, "
                        f"e.g. \"scenarios/baseline.toml\"")
        return None
    p = Path(name)
    if p.is_absolute():
        candidates = [p]
    else:
        import sim

        repo = Path(sim.__file__).resolve().parent.parent
        candidates = [exp_path.parent / p, Path.cwd() / p, repo / p]
    for c in candidates:
        if c.is_file():
            return c
    tried = ", ".join(dict.fromkeys(str(c) for c in candidates))
    problems.append(f"{where}: experiment.scenario = {name!r} not found (looked relative to the experiment file, the current "
                    f"folder and the repository root: {tried})")
    return None


def _check_key(where: str, table: str, key: str, fields: dict[str, dataclasses.Field], problems: list[str]) -> bool:
    if key in fields and key not in FIXED_KEYS:
        return True
    if key in FIXED_KEYS:
        problems.append(f"{where}: {table}.{key} cannot be set by an experiment; seeds come from experiment.seed "
                        f"and the replication number")
        return False
    problems.append(unknown_parameter(where, table, key))
    return False


def _table(where: str, data: dict[str, Any], name: str, problems: list[str]) -> dict[str, Any]:
    t = data.get(name, {})
    if not isinstance(t, dict):
        problems.append(f"{where}: [{name}] must be a table, got {t!r}")
        return {}
    return t


def _flatten_params(t: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys, accepting both ``"policy.type" = ...`` and ``policy.type = ...`` / ``[factors.policy]``.

    An inline table of only start/step/end (a range) is a value, not a nested section.
    """
    out: dict[str, Any] = {}
    for k, v in t.items():
        if isinstance(v, dict) and k in SECTIONS and not set(v) <= set(RANGE_KEYS):
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def _range_values(where: str, key: str, spec: dict[str, Any], f: dataclasses.Field, problems: list[str]) -> list[Any]:
    missing = [k for k in RANGE_KEYS if k not in spec]
    extra = [k for k in spec if k not in RANGE_KEYS]
    for k in extra:
        problems.append(f"{where}: factors.{key}.{k} is not a key of a range{_suggest(k, RANGE_KEYS)}; allowed: start, step, end")
    if missing or extra:
        if missing:
            problems.append(f"{where}: factors.{key} range lacks {', '.join(missing)}; give {{start = ..., step = ..., end = ...}}")
        return []
    start, step, end = (spec[k] for k in RANGE_KEYS)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (start, step, end)):
        problems.append(f"{where}: factors.{key} = {spec!r}: start, step and end must be numbers")
        return []
    if _kind(f) not in (int, float):
        problems.append(f"{where}: factors.{key} is not numeric, so it cannot take a range; list its values instead")
        return []
    if step == 0 or (end - start) * step < 0:
        problems.append(f"{where}: factors.{key}.step = {step!r} never gets from start = {start!r} to end = {end!r}; "
                        f"use a step of the sign of end - start, not 0")
        return []
    n = math.floor((end - start) / step + 1e-9) + 1
    if n > 10000:
        problems.append(f"{where}: factors.{key} range gives {n} values; at most 10000 allowed")
        return []
    if _kind(f) is int:
        if not all(isinstance(x, int) for x in (start, step, end)):
            problems.append(f"{where}: factors.{key} is a whole number, so start, step and end must be whole numbers")
            return []
        return [start + i * step for i in range(n)]
    # Round away float fuzz (0.1 + 2 * 0.1 = 0.30000000000000004).
    return [float(round(start + i * step, 10)) for i in range(n)]


def _factor_values(where: str, key: str, value: Any, f: dataclasses.Field, problems: list[str]) -> list[Any]:
    start = len(problems)
    if isinstance(value, dict):
        raw = _range_values(where, key, value, f, problems)
    elif isinstance(value, list) and _kind(f) is not tuple:
        raw = value
        if not raw:
            problems.append(f"{where}: factors.{key} is an empty list; give at least one value")
    elif isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        raw = value  # a list of name lists for a name-list parameter
    else:
        raw = [value]  # one value: a fixed setting that still appears as a column
    out = []
    for i, v in enumerate(raw):
        label = f"factors.{key}" + (f"[{i}]" if len(raw) > 1 or isinstance(value, list) else "")
        v, problem = check_value(where, label, v, f)
        if problem:
            problems.append(problem)
        else:
            out.append(v)
    seen = set()
    for v in out:
        if v in seen:
            problems.append(f"{where}: factors.{key} lists {v!r} more than once")
        seen.add(v)
    return out if len(problems) == start else []


def _latin_hypercube(n: int, d: int, seed: int) -> np.ndarray:
    """n x d points in [0, 1): one in each of n equal strata of every dimension, jittered within it."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x4C4853,)))
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def _sample(where: str, t: dict[str, Any], fields: dict[str, dataclasses.Field], default_seed: int,
            problems: list[str]) -> list[dict[str, Any]]:
    for k in t:
        if k not in SAMPLE_KEYS:
            problems.append(f"{where}: sample.{k} is not a known key of [sample]{_suggest(k, SAMPLE_KEYS)}; "
                            f"allowed: {', '.join(SAMPLE_KEYS)}")
    method = t.get("method", "latin_hypercube")
    if method not in SAMPLE_METHODS:
        problems.append(f"{where}: sample.method = {method!r} is not allowed; allowed: {', '.join(SAMPLE_METHODS)}"
                        f"{_suggest(str(method), SAMPLE_METHODS)}")
    count, seed = t.get("count"), t.get("seed", default_seed)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        problems.append(f"{where}: sample.count = {count!r} must be a whole number of samples from 1 up")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(f"{where}: sample.seed = {seed!r} must be a whole number from 0 up")
    bounds = _flatten_params(t.get("bounds", {})) if isinstance(t.get("bounds", {}), dict) else None
    if not bounds:
        problems.append(f"{where}: sample.bounds must be a table of parameter = [low, high], "
                        f"e.g. bounds = {{ \"relocation.base_cost\" = [1e5, 5e6] }}")
        return []
    good: dict[str, tuple[float, float]] = {}
    for key, b in bounds.items():
        if not _check_key(where, "sample.bounds", key, fields, problems):
            continue
        f = fields[key]
        if _kind(f) not in (int, float):
            problems.append(f"{where}: sample.bounds.{key} is not numeric, so it cannot be sampled; vary it in [factors]")
            continue
        if not (isinstance(b, list) and len(b) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b)
                and b[0] <= b[1]):
            problems.append(f"{where}: sample.bounds.{key} = {b!r} must be [low, high] with low <= high")
            continue
        ok = True
        for x in b:
            x = int(x) if _kind(f) is int and float(x).is_integer() else x
            _, problem = check_value(where, f"sample.bounds.{key}", x, f)
            if problem:
                problems.append(problem)
                ok = False
        if ok:
            good[key] = (float(b[0]), float(b[1]))
    if problems or not isinstance(count, int):
        return []
    u = _latin_hypercube(count, len(good), seed)
    out = []
    for row in u:
        point = {}
        for j, (key, (lo, hi)) in enumerate(good.items()):
            x = lo + row[j] * (hi - lo)
            point[key] = round(x) if _kind(fields[key]) is int else float(f"{x:.6g}")
        out.append(point)
    return out


def _points(where: str, raw: Any, fields: dict[str, dataclasses.Field], problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        problems.append(f"{where}: [[points]] must be an array of tables, one per point, e.g. "
                        f"[[points]] then \"policy.raid_frequency\" = 24")
        return []
    out: list[dict[str, Any]] = []
    for i, p in enumerate(raw):
        point = {}
        for key, v in _flatten_params(p).items():
            if not _check_key(where, f"points[{i}]", key, fields, problems):
                continue
            v, problem = check_value(where, f"points[{i}].{key}", v, fields[key])
            if problem:
                problems.append(problem)
            else:
                point[key] = v
        if not p:
            problems.append(f"{where}: points[{i}] is empty; give at least one parameter")
        if point in out:
            problems.append(f"{where}: points[{i}] repeats points[{out.index(point)}]")
        out.append(point)
    return out


def _check_names(where: str, params: Params, problems: list[str]) -> None:
    from sim.scenario import loader as scenario

    scenario.check_names(where, params, problems)


def experiment_from_dict(data: dict[str, Any], path: Path, text: str) -> Experiment:
    """Validate a parsed experiment file; raises ScenarioError listing every problem."""
    where = str(path)
    problems: list[str] = []
    fields = _fields()
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

    # The base scenario, with fixed changes.
    scenario_file = _resolve_scenario(where, path, exp.get("scenario"), problems) if "experiment" in data else None
    base = None
    scenario_sha = ""
    if scenario_file is not None:
        try:
            sc = load_scenario(scenario_file)
        except ScenarioError as exc:
            problems += [f"{where}: experiment.scenario: {p}" for p in exc.problems]
        else:
            base, scenario_sha = sc.params, sc.file_sha256
    fixed: dict[str, Any] = {}
    for key, v in _flatten_params(_table(where, data, "set", problems)).items():
        if _check_key(where, "set", key, fields, problems):
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
    seed = exp.get("seed", base.run.seed if base is not None else 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(f"{where}: experiment.seed = {seed!r} must be a whole number from 0 up")
        seed = 0

    # The design: factorial factors crossed with explicit points and/or samples.
    factors: dict[str, list[Any]] = {}
    for key, v in _flatten_params(_table(where, data, "factors", problems)).items():
        if _check_key(where, "factors", key, fields, problems):
            factors[key] = _factor_values(where, key, v, fields[key], problems)
    extra: list[dict[str, Any]] = []
    if "points" in data:
        extra += _points(where, data["points"], fields, problems)
    if "sample" in data:
        extra += _sample(where, _table(where, data, "sample", problems), fields, seed, problems)
    extra_keys = list(dict.fromkeys(k for p in extra for k in p))
    for key in extra_keys:
        if key in factors:
            problems.append(f"{where}: {key} is both in [factors] and in [[points]]/[sample]; vary it in one place")
    for key in [*factors, *extra_keys]:
        if key in fixed:
            problems.append(f"{where}: {key} is both fixed (in [set] or experiment.weeks) and varied; remove one")

    # Measures and series.
    measures = exp.get("measures")
    if measures is None:
        measures = [m for m in DEFAULT_MEASURES if cf or not m.startswith("counterfactual.")]
    elif measures == "all":
        measures = [m for m in known_measures() if cf or not m.startswith("counterfactual.")]
    elif not (isinstance(measures, list) and measures and all(isinstance(m, str) for m in measures)):
        problems.append(f"{where}: experiment.measures must be a non-empty list of measure names or \"all\"")
        measures = []
    else:
        known = known_measures()
        for m in measures:
            if m not in known:
                problems.append(f"{where}: experiment.measures names '{m}', which is not a measure{_suggest(m, known)}; "
                                f"allowed: {', '.join(known)}")
            elif m.startswith("counterfactual.") and not cf:
                problems.append(f"{where}: experiment.measures names '{m}', which needs experiment.counterfactual = true")
        if len(set(measures)) != len(measures):
            problems.append(f"{where}: experiment.measures lists a measure more than once")
    series = exp.get("series", list(DEFAULT_SERIES))
    if not (isinstance(series, list) and all(isinstance(s, str) for s in series)):
        problems.append(f"{where}: experiment.series must be a list of weekly column names ([] for none)")
        series = []
    elif base is not None:
        cols = _series_columns(base)
        for s in series:
            if s not in cols:
                problems.append(f"{where}: experiment.series names '{s}', which is not a weekly column{_suggest(s, cols)}; "
                                f"allowed: {', '.join(cols)}")
        series = [s for s in series if s != "week"]

    if problems:
        raise ScenarioError(problems)
    assert base is not None
    base = base.with_values(fixed)
    _check_names(f"{where}: [set]", base, problems)
    combos = list(itertools.product(*factors.values())) if factors else [()]
    values_list = [{**dict(zip(factors, combo, strict=True)), **point} for combo in combos for point in (extra or [{}])]
    parameters = (*factors, *extra_keys)
    if len(values_list) > 1_000_000:
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
    if problems:
        raise ScenarioError(problems)
    return Experiment(
        path=str(path), text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), name=name, description=description,
        scenario_path=str(scenario_file), scenario_sha256=scenario_sha, base=base, replications=reps, seed=seed,
        counterfactual=cf, measures=tuple(measures), series=tuple(series), moves=moves, parameters=parameters,
        points=tuple(points), groups=tuple(group_of),
    )


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items()) or "base scenario"


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
