"""Sensitivity files: reading and validating ``[uncertain]`` and ``[sensitivity]`` (format in ``sim.analysis.sensitivity``).

A sensitivity file is an experiment file with two more tables; this module turns one into a
``SensitivitySpec`` (the experiment, the parameters to sample with their bounds, the SALib settings)
or raises ``ScenarioError`` listing every problem, each naming the file, the key, what was wrong and
what is allowed. Only the standard library is imported at module level, so building ``scamsim``'s
parser (which imports this through ``sim.cli.sensitivity``) stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.params.declarations import param_fields, value_kind

if TYPE_CHECKING:
    import numpy as np

    from sim.experiments.design import Experiment

METHODS = ("morris", "sobol")
OWN_TABLES = ("uncertain", "sensitivity")
SETTINGS_KEYS = ("outcomes", "outcome", "trajectories", "levels", "base_samples", "seed", "conf_level", "resamples")

# ---- the uncertain parameters and the settings ------------------------------------------------------

@dataclass(frozen=True)
class Uncertain:
    """Parameters sampled, with their bounds; ``integer`` marks whole-number parameters (rounded)."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...]

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    def values(self, row: np.ndarray) -> dict[str, Any]:
        """One sample row as parameter values: whole numbers rounded, floats as floats."""
        return {n: (round(float(x)) if i else float(x)) for n, x, i in zip(self.names, row, self.integer, strict=True)}


@dataclass(frozen=True)
class Settings:
    outcomes: tuple[str, ...] = ()
    trajectories: int = 10
    levels: int = 4
    base_samples: int = 32
    seed: int = 0
    conf_level: float = 0.95
    resamples: int = 1000

    def runs(self, method: str, d: int) -> int:
        """Design points a method needs for ``d`` parameters."""
        return self.trajectories * (d + 1) if method == "morris" else self.base_samples * (d + 2)


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated sensitivity file: the experiment it runs (base scenario, one point), what to sample and how."""

    path: str
    experiment: Experiment
    uncertain: Uncertain
    settings: Settings


parameter_fields = param_fields
_kind = value_kind


def dotted_keys(t: dict[str, Any]) -> dict[str, Any]:
    """A table of parameters by dotted key: accepts ``"a.b" = ...`` as well as ``a.b = ...`` / ``[uncertain.a]``.

    Used for [uncertain] and [set] here and by ``sim.analysis.discovery.ema_model``.
    """
    from sim.params.declarations import SECTIONS

    out: dict[str, Any] = {}
    for k, v in t.items():
        if isinstance(v, dict) and k in SECTIONS:
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_uncertain(where: str, table: Any, fixed: dict[str, Any], problems: list[str]) -> Uncertain | None:
    """Validate an [uncertain] table (dotted key -> [low, high]); appends problems naming file and key."""
    from sim.scenario.loader import check_value, unknown_parameter

    if not isinstance(table, dict) or not table:
        problems.append(f"{where}: [uncertain] must be a table of parameter = [low, high], e.g. "
                        f"\"relocation.base_cost\" = [1e5, 4e6]")
        return None
    fields = parameter_fields()
    names, bounds, integer = [], [], []
    start = len(problems)
    for key, b in dotted_keys(table).items():
        if key not in fields:
            problems.append(unknown_parameter(where, "uncertain", key))
            continue
        if key == "run.seed":
            problems.append(f"{where}: uncertain.run.seed cannot be sampled; seeds come from experiment.seed and the "
                            f"replication number")
            continue
        f = fields[key]
        kind = _kind(f)
        if kind not in (int, float):
            what = {bool: "true or false", str: "a name", tuple: "a list of names"}.get(kind, kind.__name__)
            problems.append(f"{where}: uncertain.{key} is {what}, not a number, so it cannot be sampled; "
                            f"fix it in [set] or compare its values in separate experiments")
            continue
        if not (isinstance(b, list) and len(b) == 2 and all(_is_number(x) for x in b)):
            problems.append(f"{where}: uncertain.{key} = {b!r} must be [low, high], two finite numbers")
            continue
        lo, hi = b
        if not lo < hi:
            problems.append(f"{where}: uncertain.{key} = {b!r}: low must be below high (a fixed value belongs in [set])")
            continue
        if kind is int and not all(float(x).is_integer() for x in b):
            problems.append(f"{where}: uncertain.{key} = {b!r}: {key} is a whole number, so its bounds must be whole numbers")
            continue
        ok = True
        for x in b:
            _, problem = check_value(where, f"uncertain.{key}", int(x) if kind is int else float(x), f)
            if problem:
                problems.append(problem)
                ok = False
        if key in fixed:
            problems.append(f"{where}: {key} is both fixed (in [set] or experiment.weeks) and in [uncertain]; remove one")
            ok = False
        if ok:
            names.append(key)
            bounds.append((float(lo), float(hi)))
            integer.append(kind is int)
    if len(problems) > start:
        return None
    return Uncertain(tuple(names), tuple(bounds), tuple(integer))


def _whole(where: str, key: str, value: Any, lo: int, problems: list[str], what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        problems.append(f"{where}: sensitivity.{key} = {value!r} must be a whole number from {lo} up ({what})")
        return lo
    return value


def check_settings(where: str, table: Any, measures: tuple[str, ...], default_seed: int, problems: list[str]) -> Settings:
    """Validate a [sensitivity] table against the experiment's measures."""
    from sim.scenario.loader import suggest

    if not isinstance(table, dict):
        problems.append(f"{where}: [sensitivity] must be a table, got {table!r}")
        table = {}
    for k in table:
        if k not in SETTINGS_KEYS:
            problems.append(f"{where}: sensitivity.{k} is not a known key of [sensitivity]{suggest(k, SETTINGS_KEYS)}; "
                            f"allowed: {', '.join(SETTINGS_KEYS)}")
    if "outcome" in table and "outcomes" in table:
        problems.append(f"{where}: give sensitivity.outcome or sensitivity.outcomes, not both")
    raw = table.get("outcomes", table.get("outcome", list(measures[:1])))
    outcomes = [raw] if isinstance(raw, str) else raw
    if not (isinstance(outcomes, list) and outcomes and all(isinstance(m, str) for m in outcomes)):
        problems.append(f"{where}: sensitivity.outcomes = {raw!r} must be a measure name or a non-empty list of them")
        outcomes = []
    for m in outcomes:
        if m not in measures:
            problems.append(f"{where}: sensitivity.outcomes names '{m}', which is not among experiment.measures"
                            f"{suggest(m, measures)}; allowed: {', '.join(measures)}")
    r = _whole(where, "trajectories", table.get("trajectories", 10), 2, problems, "Morris trajectories")
    levels = _whole(where, "levels", table.get("levels", 4), 2, problems, "Morris grid levels")
    if levels % 2:
        problems.append(f"{where}: sensitivity.levels = {levels} must be even (Morris grid levels; 4 is usual)")
    n = _whole(where, "base_samples", table.get("base_samples", 32), 2, problems, "Sobol base samples N")
    if n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        problems.append(f"{where}: sensitivity.base_samples = {n} must be a power of 2 for Sobol sequences "
                        f"(try {lower} or {lower * 2})")
    seed = _whole(where, "seed", table.get("seed", default_seed), 0, problems, "sampling seed")
    conf = table.get("conf_level", 0.95)
    if not (_is_number(conf) and 0 < conf < 1):
        problems.append(f"{where}: sensitivity.conf_level = {conf!r} must be a number between 0 and 1, e.g. 0.95")
        conf = 0.95
    resamples = _whole(where, "resamples", table.get("resamples", 1000), 10, problems, "bootstrap resamples")
    return Settings(tuple(outcomes), r, levels, n, seed, float(conf), resamples)


MAX_RESAMPLES = 100_000


def check_size(where: str, settings: Settings, d: int, problems: list[str]) -> None:
    """Each method's design is capped like an experiment's (``sim.experiments.reading.MAX_POINTS`` points), so a
    typo such as ``trajectories = 1000000000`` is refused at once instead of hanging or running out of memory."""
    from sim.experiments.reading import MAX_POINTS

    for key, method, per in (("trajectories", "morris", d + 1), ("base_samples", "sobol", d + 2)):
        n = settings.runs(method, d)
        if n > MAX_POINTS:
            problems.append(f"{where}: sensitivity.{key} = {getattr(settings, key)} gives {n:,} {method} design points "
                            f"({key} x {per} for {d} uncertain parameters); at most {MAX_POINTS:,} allowed, so "
                            f"sensitivity.{key} can be at most {MAX_POINTS // per:,}")
    if settings.resamples > MAX_RESAMPLES:
        problems.append(f"{where}: sensitivity.resamples = {settings.resamples} bootstrap resamples; at most {MAX_RESAMPLES:,} "
                        f"allowed (1000 is usual)")


def spec_from_dict(data: dict[str, Any], path: Path, text: str) -> SensitivitySpec:
    """Validate a parsed sensitivity file; raises ScenarioError listing every problem."""
    from sim.experiments.design import experiment_from_dict
    from sim.scenario.loader import ScenarioError

    where = str(path)
    problems: list[str] = []
    for table in ("factors", "points", "sample"):
        if table in data:
            problems.append(f"{where}: [{table}] cannot be used in a sensitivity file: the design is the SALib sample of "
                            f"[uncertain]; fix other parameters in [set]")
    if "uncertain" not in data:
        problems.append(f"{where}: no [uncertain] table; a sensitivity file needs [uncertain] with parameter = [low, high]")
    rest = {k: v for k, v in data.items() if k not in (*OWN_TABLES, "factors", "points", "sample")}
    exp = None
    try:
        exp = experiment_from_dict(rest, path, text)
    except ScenarioError as exc:
        problems += exc.problems
    fixed: dict[str, Any] = {}
    set_table = data.get("set", {})
    if isinstance(set_table, dict):
        fixed = dotted_keys(set_table)
    if isinstance(data.get("experiment"), dict) and "weeks" in data["experiment"]:
        fixed["run.weeks"] = data["experiment"]["weeks"]
    uncertain = check_uncertain(where, data.get("uncertain"), fixed, problems) if "uncertain" in data else None
    settings = None
    if exp is not None:
        settings = check_settings(where, data.get("sensitivity", {}), exp.measures, exp.seed, problems)
    if uncertain is not None and settings is not None:
        check_size(where, settings, len(uncertain.names), problems)
    if problems:
        raise ScenarioError(problems)
    assert exp is not None and uncertain is not None and settings is not None
    return SensitivitySpec(str(path), exp, uncertain, settings)


def load_sensitivity(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity file; raises ScenarioError naming the file and each bad key."""
    from sim.scenario.loader import read_toml

    path = Path(path)
    text, data = read_toml(path, "sensitivity")
    return spec_from_dict(data, path, text)
