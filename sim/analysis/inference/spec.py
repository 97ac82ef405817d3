"""The calibration spec file: what to calibrate, against which observations, with what budget.

One TOML file (``experiments/calibration.toml``) so the scenario and the statistics can be switched without
touching code (for instance to the dated history scenario once it exists)::

    [calibration]
    scenario = "../scenarios/shocks/cambodia_2022.toml"   # paths are relative to the spec file
    ranges = "../scenarios/calibration/mekong_ranges.toml"
    parameters = ["labour.inflow_per_week", "labour.attrition"]   # keys of the ranges file
    last_week = 104          # the model is run to this week and no further (end of 2022)
    population = 200         # particles per ABC-SMC generation
    generations = 5
    seed = 1
    workers = 2
    sampler = "processes"    # or "dask" (a local Dask cluster of `workers` processes)
    transition = "kde"       # or "local": the proposal between generations (TRANSITIONS below)
    space = "unit"           # or "logit": where pyabc's proposal works (SPACES below)
    min_effective_share = 0.1  # the posterior is the last generation whose effective sample size is at least this
                             # share of its particles (0, the default: the last generation, whatever its weights)
    overrides = []           # scenario --set strings applied to every simulation
    marginalised = []        # keys of the ranges file drawn from their prior in every simulation, not proposed by
                             # ABC-SMC (parameters the statistics barely inform; docs/calibration.md, screening)

    [screening]              # `scamsim calibrate SPEC --screen`: which parameters can the statistics inform?
    trajectories = 24        # Morris trajectories over parameters + marginalised (and the seed as a null factor)
    threshold = 0.5          # calibrate a parameter whose mean absolute elementary effect on some statistic is at
    noise_factor = 2.0       # least this many observation scales and this many times the seed's (the noise floor)

    [small]                  # what --small changes: any [calibration] key but scenario and ranges
    population = 16

    [statistics.held_cambodia_2022]
    measure = "held"         # held | proceeds | compounds | held_ratio
    jurisdictions = ["Cambodia"]
    weeks = [53, 87]
    observed = 100000.0
    scale = 25000.0          # the observation's uncertainty: the distance divides by it
    source = "OHCHR, Aug 2023"
    date = "2023-08"

Every problem is reported with the file and the key (``SpecError``), never as a traceback.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.loader import ScenarioError, read_toml

MEASURES = ("held", "proceeds", "compounds", "held_ratio")
SAMPLERS = ("processes", "dask")
#: pyabc's proposal between generations, by the name a spec gives it -> pyabc's class: "kde" a Gaussian kernel density
#: over the whole previous generation (pyabc's default), "local" one with each particle's own covariance from its
#: nearest neighbours, meant for posteriors a single global kernel fits badly (docs/calibration.md).
TRANSITIONS = {"kde": "MultivariateNormalTransition", "local": "LocalTransition"}
#: Where pyabc sees the parameters: "unit", the unit cube with uniform priors (a box, which a Gaussian proposal fits
#: badly in many dimensions: its corners get little proposal density and large weights), or "logit", the logit of the
#: unit cube with standard logistic priors (the same prior on the parameters, with no edges; docs/calibration.md).
SPACES = ("unit", "logit")
KINDS = ("level", "response")
RUN_KEYS = ("parameters", "last_week", "population", "generations", "seed", "workers", "sampler", "overrides", "max_simulations",
            "transition", "min_effective_share", "space", "marginalised")


class SpecError(ScenarioError):
    """A bad calibration spec: ``problems`` lists every one, each naming the file and the key."""


@dataclass(frozen=True)
class Statistic:
    name: str
    measure: str
    weeks: tuple[int, int]
    observed: float
    scale: float
    source: str
    date: str
    kind: str = "level"
    jurisdictions: tuple[str, ...] = ()  # empty: the whole map
    base_weeks: tuple[int, int] | None = None  # held_ratio only: the denominator's window


@dataclass(frozen=True)
class Budget:
    parameters: tuple[str, ...]
    last_week: int
    population: int
    generations: int
    seed: int = 1
    workers: int = 1
    sampler: str = "processes"
    overrides: tuple[str, ...] = ()
    max_simulations: int = 0  # stop once this many simulations are spent (0: no limit); the last full generation is the posterior
    transition: str = "kde"  # the proposal between generations (TRANSITIONS)
    #: the posterior is the last generation whose effective sample size is at least this share of its particles
    #: (0: the last generation); declared before a run, so degenerate weights cannot be chosen after seeing them
    min_effective_share: float = 0.0
    space: str = "unit"  # where pyabc's proposal works (SPACES)
    #: drawn from their prior in every simulation and recorded with each particle, not proposed by ABC-SMC: the
    #: posterior integrates over them (exact ABC, since their proposal is their prior), while the proposal works in
    #: the dimension of ``parameters`` only
    marginalised: tuple[str, ...] = ()


@dataclass(frozen=True)
class Screening:
    """Morris elementary-effects screening of the candidate parameters (``parameters`` + ``marginalised``)."""

    trajectories: int = 24
    levels: int = 4
    seed: int = 1
    #: the declared rule (``sim.analysis.inference.screening.selected``): calibrate a parameter whose mean absolute
    #: elementary effect (mu*) on at least one statistic is at least ``threshold`` observation scales and at least
    #: ``noise_factor`` times the seed's mu* on that statistic
    threshold: float = 0.5
    noise_factor: float = 2.0


@dataclass(frozen=True)
class Spec:
    path: Path
    scenario: Path
    ranges: Path
    budget: Budget
    small: Budget
    statistics: tuple[Statistic, ...]
    screening: Screening = Screening()

    def budget_for(self, small: bool) -> Budget:
        return self.small if small else self.budget


def _int(where: str, key: str, value: Any, lo: int, problems: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        problems.append(f"{where}: {key} = {value!r} must be a whole number of at least {lo}")
        return lo
    return value


def _window(where: str, key: str, value: Any, problems: list[str]) -> tuple[int, int]:
    ok = (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
          and 1 <= value[0] <= value[1])
    if not ok:
        problems.append(f"{where}: {key} = {value!r} must be two week numbers [first, last] with 1 <= first <= last")
        return (1, 1)
    return (value[0], value[1])


def _strings(where: str, key: str, value: Any, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: {key} must be a list of strings")
        return ()
    return tuple(value)


def _budget(where: str, table: dict[str, Any], base: Budget | None, problems: list[str]) -> Budget:
    known = set(RUN_KEYS) | ({"scenario", "ranges"} if base is None else set())
    for key in table:
        if key not in known:
            problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(known))})")
    values: dict[str, Any] = {} if base is None else dataclasses.asdict(base)
    for key in ("parameters", "overrides", "marginalised"):
        if key in table:
            values[key] = _strings(where, key, table[key], problems)
    for key, lo in (("last_week", 1), ("population", 2), ("generations", 1), ("seed", 0), ("workers", 1), ("max_simulations", 0)):
        if key in table:
            values[key] = _int(where, key, table[key], lo, problems)
    if "min_effective_share" in table:
        share = table["min_effective_share"]
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share < 1:
            problems.append(f"{where}: min_effective_share = {share!r} must be a number at least 0 and below 1 (a share of "
                            "the particles)")
        else:
            values["min_effective_share"] = float(share)
    for key, allowed in (("sampler", SAMPLERS), ("transition", TRANSITIONS), ("space", SPACES)):
        if key in table:
            if table[key] not in allowed:
                problems.append(f"{where}: {key} = {table[key]!r} is not one of {', '.join(allowed)}")
            else:
                values[key] = table[key]
    for key in ("parameters", "last_week", "population", "generations"):
        if key not in values:
            problems.append(f"{where}: missing {key}")
    if any(k not in values for k in ("parameters", "last_week", "population", "generations")):
        return Budget((), 1, 2, 1)
    if not values["parameters"]:
        problems.append(f"{where}: parameters is empty; name at least one key of the ranges file")
    marginalised = tuple(values.get("marginalised", ()))
    both = sorted(set(marginalised) & set(values["parameters"]))
    if both:
        problems.append(f"{where}: {', '.join(both)} both in parameters and in marginalised; a parameter is either proposed "
                        "by ABC-SMC or drawn from its prior, not both")
    return Budget(**{**values, "parameters": tuple(values["parameters"]), "overrides": tuple(values.get("overrides", ())),
                     "marginalised": marginalised})


def _screening(where: str, table: Any, problems: list[str]) -> Screening:
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table")
        return Screening()
    allowed = {f.name for f in dataclasses.fields(Screening)}
    for key in table:
        if key not in allowed:
            problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
    values: dict[str, Any] = {}
    for key, lo in (("trajectories", 2), ("levels", 2), ("seed", 0)):
        if key in table:
            values[key] = _int(where, key, table[key], lo, problems)
    if values.get("levels", 4) % 2:
        problems.append(f"{where}: levels = {values['levels']} must be even (Morris's step of levels / (2 (levels - 1)))")
    for key in ("threshold", "noise_factor"):
        if key in table:
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
                problems.append(f"{where}: {key} = {v!r} must be a number at least 0")
            else:
                values[key] = float(v)
    return Screening(**values)


def _statistic(where: str, name: str, t: Any, problems: list[str]) -> Statistic | None:
    if not isinstance(t, dict):
        problems.append(f"{where}: must be a table")
        return None
    allowed = {"measure", "jurisdictions", "weeks", "base_weeks", "observed", "scale", "source", "date", "kind"}
    for key in t:
        if key not in allowed:
            problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
    n = len(problems)
    for key in ("measure", "weeks", "observed", "scale", "source", "date"):
        if key not in t:
            problems.append(f"{where}: missing {key}")
    if len(problems) > n:
        return None
    if t["measure"] not in MEASURES:
        problems.append(f"{where}: measure = {t['measure']!r} is not one of {', '.join(MEASURES)}")
    kind = t.get("kind", "level")
    if kind not in KINDS:
        problems.append(f"{where}: kind = {kind!r} is not one of {', '.join(KINDS)}")
    weeks = _window(where, "weeks", t["weeks"], problems)
    base = None
    if t["measure"] == "held_ratio":
        if "base_weeks" not in t:
            problems.append(f"{where}: measure held_ratio needs base_weeks, the window of the denominator")
        else:
            base = _window(where, "base_weeks", t["base_weeks"], problems)
    elif "base_weeks" in t:
        problems.append(f"{where}: base_weeks is only for measure held_ratio")
    for key in ("observed", "scale"):
        if isinstance(t[key], bool) or not isinstance(t[key], (int, float)):
            problems.append(f"{where}: {key} = {t[key]!r} must be a number")
    if isinstance(t["scale"], (int, float)) and not isinstance(t["scale"], bool) and not t["scale"] > 0:
        problems.append(f"{where}: scale = {t['scale']!r} must be above 0 (the observation's uncertainty)")
    for key in ("source", "date"):
        if not isinstance(t[key], str) or not t[key].strip():
            problems.append(f"{where}: {key} must say where and when the observation comes from")
    jurisdictions = _strings(where, "jurisdictions", t.get("jurisdictions", []), problems)
    try:
        return Statistic(name, t["measure"], weeks, float(t["observed"]), float(t["scale"]), str(t["source"]), str(t["date"]),
                         kind, jurisdictions, base)
    except (TypeError, ValueError):
        return None


def load_spec(path: str | Path) -> Spec:
    """Read and check a calibration spec; a ``SpecError`` lists every problem (file, key, what is allowed)."""
    from sim.analysis.calibration import load_ranges

    path = Path(path)
    _, data = read_toml(path, "calibration spec")
    problems: list[str] = []
    for key in data:
        if key not in ("calibration", "small", "statistics", "screening"):
            problems.append(f"{path}: unknown table [{key}] (allowed: calibration, screening, small, statistics)")
    main = data.get("calibration")
    if not isinstance(main, dict):
        raise SpecError([*problems, f"{path}: missing the [calibration] table (scenario, ranges, parameters, ...)"])
    budget = _budget(f"{path} [calibration]", main, None, problems)
    small_table = data.get("small", {})
    if not isinstance(small_table, dict):
        problems.append(f"{path}: [small] must be a table")
        small_table = {}
    small = _budget(f"{path} [small]", small_table, budget, problems)
    screening = _screening(f"{path} [screening]", data.get("screening", {}), problems)
    files = {}
    for key in ("scenario", "ranges"):
        value = main.get(key)
        if not isinstance(value, str):
            problems.append(f"{path} [calibration]: {key} must be the path of a file (relative to the spec)")
            continue
        files[key] = (path.parent / value).resolve()
        if not files[key].is_file():
            problems.append(f"{path} [calibration]: {key} = {value!r}: no such file ({files[key]})")
    stats_table = data.get("statistics")
    if not isinstance(stats_table, dict) or not stats_table:
        problems.append(f"{path}: no [statistics.NAME] tables; the calibration needs at least one observed statistic")
        stats_table = {}
    stats = [s for name, t in stats_table.items() if (s := _statistic(f"{path} [statistics.{name}]", name, t, problems))]
    for label, b in (("calibration", budget), ("small", small)):
        for s in stats:
            last = max(s.weeks[1], s.base_weeks[1] if s.base_weeks else 0)
            if last > b.last_week:
                problems.append(f"{path} [statistics.{s.name}]: reads week {last}, after [{label}] last_week = {b.last_week} "
                                "(the model is not run past it, so no later observation can leak in)")
    if "ranges" in files and files["ranges"].is_file():
        try:
            keys = {r.key for r in load_ranges(files["ranges"])}
        except (ValueError, OSError) as exc:
            problems.append(f"{files['ranges']}: {exc}")
            keys = set()
        for label, b in (("calibration", budget), ("small", small)):
            for p in (*b.parameters, *b.marginalised):
                if keys and p not in keys:
                    problems.append(f"{path} [{label}]: parameter {p!r} has no range in {files['ranges'].name} "
                                    f"(ranged: {', '.join(sorted(keys))})")
    if problems:
        raise SpecError(problems)
    return Spec(path, files["scenario"], files["ranges"], budget, small, tuple(stats), screening)
