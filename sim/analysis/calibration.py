"""Pattern filtering (pattern-oriented calibration): which parameter sets reproduce the patterns together?

The uncertain parameters of a scenario and their plausible ranges are declared in a ranges file
(``scenarios/calibration/mekong_ranges.toml``: one ``[calibration."KEY"]`` table per parameter with ``lo``,
``hi``, optional ``scale = "log"`` and the ``source`` of the range). Keys are dotted parameter names
(``labour.inflow_per_week``) or jurisdiction and zone attributes (``jurisdictions.Cambodia.governance``,
``zones.Myawaddy.protection``).

``calibrate`` draws a seeded Latin hypercube (``sim.common.stats.latin_hypercube``) over those ranges, runs every
variant the patterns of ``sim.analysis.validation.mekong`` need for each set and a few seeds, and keeps the sets that
reproduce every testable pattern together, judged on the mean over the replications (too few for
intervals). When no set does, it keeps the ``k`` sets that meet the most criteria and says so. For
every set it also reports the headline answer: persistence of workers held under the scenario's
case-by-case raids against the no-policy counterfactual
(``summarise(run, cf)["counterfactual"]["persistence_vs_counterfactual_workers"]``), so the spread of
the headline over the kept sets is the answer's uncertainty given the patterns.

    python -m sim.analysis.calibration --samples 32 --replications 2 --workers 2

writes docs/mekong_calibration.csv (every set, its pattern verdicts and headline),
scenarios/calibration/mekong_calibrated_ranges.toml (the ranges spanned by the kept sets) and
scenarios/mekong_calibrated.toml (mekong.toml with the values of the best kept set). The ranges files
live in docs/, not scenarios/, because everything in scenarios/ must be a runnable scenario.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.validation.catalogue import SCENARIOS, VariantUnavailable, variant_params
from sim.analysis.validation.criteria import pattern_metrics
from sim.analysis.validation.geography import Geo
from sim.analysis.validation.mekong import CATALOGUE, DEFAULT_SCENARIO
from sim.analysis.validation.observe import observe
from sim.analysis.validation.runner import map_runs
from sim.common.stats import latin_hypercube, t_interval
from sim.measures.run import summarise
from sim.params.declarations import Params
from sim.scenario.values import apply_values

DEFAULT_RANGES = SCENARIOS / "calibration" / "mekong_ranges.toml"


@dataclass(frozen=True)
class Range:
    key: str
    lo: float
    hi: float
    scale: str = "linear"  # or "log"
    integer: bool = False
    source: str = ""

    def value(self, u: float) -> float | int:
        """The value at quantile ``u`` in [0, 1) of the range."""
        if self.scale == "log":
            v = math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        else:
            v = self.lo + u * (self.hi - self.lo)
        return round(v) if self.integer else float(v)


def load_ranges(path: str | Path = DEFAULT_RANGES) -> list[Range]:
    """The ``[calibration]`` tables of a ranges file."""
    return _ranges(path, tomllib.loads(Path(path).read_text(encoding="utf-8")).get("calibration", {}))


def _ranges(path: str | Path, table: dict[str, Any]) -> list[Range]:
    out = []
    for key, t in table.items():
        if not isinstance(t, dict) or "lo" not in t or "hi" not in t:
            raise ValueError(f"{path}: calibration.{key} needs lo and hi")
        out.append(Range(key, float(t["lo"]), float(t["hi"]), t.get("scale", "linear"), bool(t.get("integer", False)),
                         t.get("source", "")))
    return out


def check_ranges(path: str | Path) -> list[Range]:
    """A ranges file read and checked: every ``[calibration."KEY"]`` names a declared parameter and gives finite ``lo`` <=
    ``hi`` inside the parameter's declared range (positive on a log scale), with ``scale`` linear or log. A
    ``ScenarioError`` lists every problem with the file and the key (``scamsim validate`` reports them)."""
    from sim.params.declarations import param_fields
    from sim.params.maps import JURISDICTION_FIELDS, ZONE_FIELDS
    from sim.scenario.checks import ScenarioError
    from sim.scenario.loader import read_toml

    entity_fields = {"jurisdictions": JURISDICTION_FIELDS, "zones": ZONE_FIELDS}
    path = Path(path)
    _, data = read_toml(path, "ranges")
    fields, problems = param_fields(), []
    other = sorted(set(data) - {"calibration"})
    if other:
        problems.append(f"{path}: unknown table [{', '.join(other)}]; allowed: calibration")
    table = data.get("calibration")
    if not isinstance(table, dict) or not table:
        raise ScenarioError([*problems, f'{path}: no [calibration."KEY"] tables; a ranges file gives at least one'])
    for key, t in table.items():
        where = f'{path}: calibration."{key}"'
        head, _, rest = key.partition(".")
        name, _, attr = rest.rpartition(".")
        if head in entity_fields and name:  # a jurisdiction's or zone's attribute: its name is checked against the map later
            if entity_fields[head].get(attr, ("",))[0] != "0-1":
                allowed = ", ".join(a for a, (unit, _) in entity_fields[head].items() if unit == "0-1")
                problems.append(f"{where}: a {head[:-1]} has no numeric attribute {attr!r}; allowed: {allowed}")
                continue
        elif key not in fields:
            problems.append(f"{where}: not a parameter; allowed: a declared key (docs/parameters.md), e.g. labour.attrition, "
                            f"or jurisdictions.NAME.governance")
            continue
        if not isinstance(t, dict):
            problems.append(f"{where}: must be a table with lo and hi")
            continue
        lo, hi = t.get("lo"), t.get("hi")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lo, hi)):
            problems.append(f"{where}: lo = {lo!r}, hi = {hi!r}; allowed: two finite numbers")
            continue
        md = fields[key].metadata if key in fields else {"lo": 0.0, "hi": 1.0}
        floor, ceiling = md.get("lo", -math.inf), md.get("hi", math.inf)
        if lo > hi:
            problems.append(f"{where}: lo = {lo} is above hi = {hi}; allowed: lo <= hi")
        elif lo < floor or hi > ceiling:
            problems.append(f"{where}: {lo} to {hi} leaves the parameter's declared range; allowed: {floor} to {ceiling}")
        scale = t.get("scale", "linear")
        if scale not in ("linear", "log"):
            problems.append(f"{where}: scale = {scale!r}; allowed: linear, log")
        elif scale == "log" and lo <= 0:
            problems.append(f"{where}: a log scale needs lo > 0, got {lo}")
    if problems:
        raise ScenarioError(problems)
    return _ranges(path, table)  # the table already read (the bounds are checked as numbers; a ranges file may write 6.0 for 6)


def sample(ranges: list[Range], n: int, seed: int = 7) -> list[dict[str, float]]:
    """``n`` parameter sets from a seeded Latin hypercube over the ranges."""
    u = latin_hypercube(n, len(ranges), seed)
    return [{r.key: r.value(float(u[i, k])) for k, r in enumerate(ranges)} for i in range(n)]


def _evaluate_set(args: tuple[Params, int]) -> dict[str, Any]:
    """Run every variant the patterns need for one parameter set and one seed; return measures only."""
    params, seed = args
    names = [v for p in CATALOGUE.patterns for v in p.variants]
    obs = {}
    for name in dict.fromkeys(names):
        try:
            obs[name] = observe(variant_params(params, CATALOGUE.variants[name]), seed)
        except VariantUnavailable:
            continue
    geo = Geo.of(params)
    measures = {}
    for p in CATALOGUE.patterns:
        if p.not_testable or any(v not in obs for v in p.variants):
            continue
        measures[p.id] = pattern_metrics(p, obs, geo)
    vs_cf = summarise(obs[CATALOGUE.scenario_variant].run, obs[CATALOGUE.counterfactual_variant].run)["counterfactual"]
    headline = vs_cf["persistence_vs_counterfactual_workers"]
    return {"measures": measures, "headline": math.nan if headline is None else float(headline)}


@dataclass
class CalibrationResult:
    table: pd.DataFrame  # one row per set: values, criteria met, patterns met, headline, kept
    ranges: list[Range]
    kept: list[int]
    all_reproduced: bool  # True if the kept sets reproduce every testable pattern; False: best k
    criteria_total: int
    patterns_total: int
    seconds: float

    def headline_summary(self) -> dict[str, float]:
        h = self.table.loc[self.kept, "headline"].to_numpy(dtype=float)
        every = self.table["headline"].to_numpy(dtype=float)
        return {"kept_min": float(np.nanmin(h)), "kept_median": float(np.nanmedian(h)), "kept_max": float(np.nanmax(h)),
                "all_min": float(np.nanmin(every)), "all_median": float(np.nanmedian(every)), "all_max": float(np.nanmax(every))}


def calibrate(params: Params, ranges: list[Range], n: int = 32, replications: int = 2, workers: int = 2, seed: int = 7,
              k: int = 5, first_seed: int = 1) -> CalibrationResult:
    """Latin-hypercube pattern filtering: keep the sets that reproduce every testable pattern (or the best k)."""
    t0 = time.time()
    sets = sample(ranges, n, seed)
    built = [apply_values(params, s) for s in sets]
    seeds = list(range(first_seed, first_seed + replications))
    jobs = [(i, s) for i in range(n) for s in seeds]
    args = [(built[i], s) for i, s in jobs]
    results = map_runs(_evaluate_set, args, workers)
    by_set: dict[int, list[dict[str, Any]]] = {i: [] for i in range(n)}
    for (i, _s), res in zip(jobs, results, strict=True):
        by_set[i].append(res)
    testable = [p for p in CATALOGUE.patterns if not p.not_testable]
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"set": i, **sets[i]}
        met_c = met_p = 0
        for p in testable:
            per_seed = [r["measures"].get(p.id, {}) for r in by_set[i]]
            ok_p = True
            for c in p.criteria:
                mean, _lo, _hi, m = t_interval([x.get(c.metric, math.nan) for x in per_seed])
                ok = m > 0 and c.passes(mean)
                row[f"{p.id}:{c.metric}"] = mean
                met_c += ok
                ok_p &= ok
            row[f"{p.id}"] = ok_p
            met_p += ok_p
        row["criteria_met"] = met_c
        row["patterns_met"] = met_p
        row["headline"] = float(np.nanmean([r["headline"] for r in by_set[i]]))
        rows.append(row)
    table = pd.DataFrame(rows)
    all_ok = table.index[table["patterns_met"] == len(testable)].tolist()
    if all_ok:
        kept, reproduced = all_ok, True
    else:
        order = table.sort_values(["patterns_met", "criteria_met"], ascending=False, kind="stable")
        kept, reproduced = order.index[:k].tolist(), False
    table["kept"] = table.index.isin(kept)
    total_c = sum(len(p.criteria) for p in testable)
    return CalibrationResult(table, ranges, kept, reproduced, total_c, len(testable), time.time() - t0)


def kept_ranges_toml(result: CalibrationResult, scenario: str) -> str:
    """The ranges spanned by the kept sets, in the format of the ranges file."""
    t = result.table.loc[result.kept]
    how = ("reproduce every testable pattern together" if result.all_reproduced else
           f"meet the most criteria (no set reproduced every testable pattern; best {len(result.kept)} kept)")
    lines = [f"# Ranges spanned by the parameter sets of {scenario} that {how}.",
             "# Written by sim/analysis/calibration.py (python -m sim.analysis.calibration); see docs/validation.md.",
             f"# {len(result.table)} Latin-hypercube sets; headline (persistence vs counterfactual, workers) over the kept sets: "
             + ", ".join(f"{k} {v:.3f}" for k, v in result.headline_summary().items()), ""]
    for r in result.ranges:
        lo, hi = float(t[r.key].min()), float(t[r.key].max())
        lines += [f'[calibration."{r.key}"]', f"lo = {lo:.6g}", f"hi = {hi:.6g}"]
        if r.scale != "linear":
            lines.append(f'scale = "{r.scale}"')
        if r.integer:
            lines.append("integer = true")
        lines += [f"prior = [{r.lo:.6g}, {r.hi:.6g}]", ""]
    return "\n".join(lines)


def best_scenario_toml(result: CalibrationResult, extends: str = "mekong.toml") -> str:
    """A scenario file extending ``extends`` with the values of the best kept set (most patterns, then criteria)."""
    t = result.table.loc[result.kept].sort_values(["patterns_met", "criteria_met"], ascending=False, kind="stable")
    best = t.iloc[0]
    how = ("reproduces every testable pattern" if result.all_reproduced else
           f"meets the most patterns ({int(best['patterns_met'])} of {result.patterns_total}) and criteria "
           f"({int(best['criteria_met'])} of {result.criteria_total}); no set reproduced them all")
    lines = [f"# {extends} with the values of calibration set {int(best['set'])}, the one of {len(result.table)} "
             f"Latin-hypercube sets that {how}",
             "# (python -m sim.analysis.calibration, 2 replications a set; see docs/validation.md). Chosen on a few replications: a",
             "# plausible point, not a fitted optimum; the kept ranges are in scenarios/calibration/mekong_calibrated_ranges.toml.",
             f"# Its headline (persistence vs counterfactual, workers, calibration replications): {best['headline']:.3f}.",
             f'extends = "{extends}"', "", "[run]", 'name = "mekong_calibrated"',
             f'description = "Mekong with calibration set {int(best["set"])} (pattern filtering)"', ""]
    sections: dict[str, list[str]] = {}
    for r in result.ranges:
        head, _, rest = r.key.partition(".")
        value = best[r.key]
        text = str(round(float(value))) if r.integer else f"{float(value):.6g}"
        if "." not in text and "e" not in text and not r.integer:
            text += ".0"
        if head in ("jurisdictions", "zones"):
            name, _, attr = rest.rpartition(".")
            sections.setdefault(f"{head}.{name}", []).append(f"{attr} = {text}")
        else:
            sections.setdefault(head, []).append(f"{rest} = {text}")
    for section, items in sections.items():
        if section == "run":
            continue
        lines += [f"[{section}]", *items, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.analysis.calibration``; bad input is printed to stderr (this module does not use the CLI's helpers)."""
    from sim.common.errors import EXIT_BAD_INPUT
    from sim.scenario.loader import ScenarioError, load_scenario

    ap = argparse.ArgumentParser(prog="python -m sim.analysis.calibration", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--ranges", default=str(DEFAULT_RANGES))
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7, help="seed of the Latin hypercube")
    ap.add_argument("--keep", type=int, default=5, help="sets kept when none reproduces every pattern")
    ap.add_argument("--csv", default="docs/mekong_calibration.csv")
    ap.add_argument("--kept-ranges", default=str(SCENARIOS / "calibration" / "mekong_calibrated_ranges.toml"))
    ap.add_argument("--scenario-out", default=str(SCENARIOS / "mekong_calibrated.toml"))
    args = ap.parse_args(argv)
    try:
        params = load_scenario(args.scenario).params
        ranges = load_ranges(args.ranges)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = calibrate(params, ranges, args.samples, args.replications, args.workers, args.seed, args.keep)
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(args.csv, index=False, float_format="%.6g")
    Path(args.kept_ranges).write_text(kept_ranges_toml(result, Path(args.scenario).name), encoding="utf-8")
    Path(args.scenario_out).write_text(best_scenario_toml(result, Path(args.scenario).name), encoding="utf-8")
    t = result.table
    print(f"{len(t)} sets x {args.replications} replications in {result.seconds:.0f} s")
    print(f"patterns met (of {result.patterns_total} testable): " + ", ".join(
        f"{n}: {c}" for n, c in sorted(t['patterns_met'].value_counts().items(), reverse=True)))
    print(f"kept {len(result.kept)} sets: " + ("every testable pattern reproduced" if result.all_reproduced else
                                              f"none reproduced all; best {len(result.kept)} by patterns then criteria met"))
    print("headline, persistence vs counterfactual (workers): " + ", ".join(
        f"{k} {v:.3f}" for k, v in result.headline_summary().items()))
    print("pass rate by pattern: " + ", ".join(f"{p.id} {t[p.id].mean():.2f}" for p in CATALOGUE.patterns if p.id in t))
    print(f"wrote {args.csv}, {args.kept_ranges} and {args.scenario_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
