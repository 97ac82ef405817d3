"""Out-of-sample comparison: what was reported about a shock, held against the model's predictive distribution.

The record (``experiments/observed_2023_2026.toml``, docs/predictions.md) lists reported responses to
shocks as observations on the replay's measures (``sim.analysis.replay.MEASURES``): an interval, a
one-sided bound or a direction. A replay folder's ``per_replication.csv`` holds every replication's
value of every measure. The world is one draw, so each observation is compared with the spread of the
measure across replications (the predictive distribution), never with an interval for the mean.

Every observation is a set of values: ``[lo, hi]`` for an interval, ``[lo, inf)`` or ``(-inf, hi]`` for a
bound, ``(-inf, v)`` or ``(v, inf)`` for a direction. For it the comparison reports the predictive mass of
the set (the share of runs whose value lies in it), the predictive quantile of each finite end
(mid-distribution: runs below plus half the runs equal), the median and the central 90% predictive
interval, and a verdict: **consistent** when the set meets the central 90% interval, **miss** when it
does not, **undefined** when the measure has no value in most runs, **not comparable** for entries with
measure ``none``. Under a calibrated model a point observation misses with probability 0.10 (a little
more with few runs, ``miss_rate``) and a set with at most that, so the number of misses is held against
Binomial(n, 0.10) and its finite-run version: a conservative test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from sim.analysis.replay import MEASURES
from sim.common.resources import shipped
from sim.measures.shocks import BAND

#: The record shipped with scamsim.
RECORD = shipped("experiments") / "observed_2023_2026.toml"
KINDS = ("interval", "at_least", "at_most", "direction", "none")
RELATIONS = ("<", ">")
MAPPINGS = ("close", "loose", "weak")
KEYS = {"id", "shock", "measure", "kind", "lo", "hi", "relation", "value", "date", "source", "mapping", "note"}
#: What each kind needs besides the common keys, and may not have.
KIND_KEYS = {"interval": {"lo", "hi"}, "at_least": {"lo"}, "at_most": {"hi"}, "direction": {"relation", "value"}, "none": set()}
#: Under a calibrated model an observation falls outside the central 90% interval with at most this probability.
MISS_RATE = 1.0 - (BAND[1] - BAND[0])
COLUMNS = ("replication", "seed", "shock", "measure", "value")
DATE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2]))?(-(\d{2}))?$")


class PredictionError(ValueError):
    """A record or a replay folder that cannot be compared; ``problems`` names the file, the entry and the key."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Observation:
    """One reported response, as the set of values it allows (ends may be infinite, open or closed)."""

    id: str
    shock: str
    measure: str
    kind: str
    lo: float
    hi: float
    lo_open: bool
    hi_open: bool
    date: str
    source: str
    mapping: str
    note: str

    def describe(self) -> str:
        """The observation as a reader would write it: ``[0.2, 0.88]``, ``>= 0.011``, ``< 1``, ``none``."""
        if self.kind == "none":
            return "none"
        if self.kind == "interval":
            return f"[{self.lo:g}, {self.hi:g}]"
        if math.isinf(self.hi):
            return f"{'>' if self.lo_open else '>='} {self.lo:g}"
        return f"{'<' if self.hi_open else '<='} {self.hi:g}"


# ---- the record -------------------------------------------------------------------------------------
def _number(entry: dict[str, Any], key: str, where: str, problems: list[str]) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{where}: '{key}' is {value!r}; allowed: a finite number")
        return math.nan
    return float(value)


def _date(value: Any) -> str | None:
    """The entry's date as YYYY, YYYY-MM or YYYY-MM-DD text, or None when it is not a valid one."""
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    if not isinstance(value, str) or not (m := DATE.match(value)):
        return None
    if m.group(5):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value


def parse_entry(entry: Any, where: str, problems: list[str]) -> Observation | None:
    """One ``[[observation]]`` table as an ``Observation``; its problems are appended (None when it has any)."""
    if not isinstance(entry, dict):
        problems.append(f"{where}: is {type(entry).__name__}; allowed: a table ([[observation]])")
        return None
    before = len(problems)
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        problems.append(f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(sorted(KEYS))}")
    text = {}
    for key in ("id", "shock", "measure", "kind", "source", "mapping", "note"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: '{key}' is {'missing' if value is None else repr(value)}; allowed: a non-empty string")
        text[key] = value if isinstance(value, str) else ""
    kind, measure = text["kind"], text["measure"]
    if text["kind"] and kind not in KINDS:
        problems.append(f"{where}: 'kind' is {kind!r}; allowed: {', '.join(KINDS)}")
    if text["measure"] and measure != "none" and measure not in MEASURES:
        problems.append(f"{where}: 'measure' is {measure!r}; allowed: none or a replay measure ({', '.join(MEASURES)})")
    if (kind == "none") != (measure == "none") and kind in KINDS and measure:
        problems.append(f"{where}: 'kind' {kind!r} with 'measure' {measure!r}; allowed: both 'none' or neither")
    if text["mapping"] and text["mapping"] not in MAPPINGS:
        problems.append(f"{where}: 'mapping' is {text['mapping']!r}; allowed: {', '.join(MAPPINGS)}")
    date = _date(entry.get("date"))
    if date is None:
        problems.append(f"{where}: 'date' is {entry.get('date')!r}; allowed: a date as YYYY, YYYY-MM or YYYY-MM-DD")
    lo, hi, lo_open, hi_open = -math.inf, math.inf, True, True
    if kind in KINDS:
        needed = KIND_KEYS[kind]
        extra = sorted((KIND_KEYS["interval"] | KIND_KEYS["direction"]) - needed & set(entry))
        missing = sorted(needed - set(entry))
        if missing or extra:
            problems.append(f"{where}: kind {kind!r} " + (f"lacks {', '.join(missing)}" if missing else f"takes no {', '.join(extra)}")
                            + f"; allowed: {', '.join(sorted(needed)) or 'no bound'} with kind {kind!r}")
        elif kind == "direction":
            relation = entry.get("relation")
            value = _number(entry, "value", where, problems)
            if relation not in RELATIONS:
                problems.append(f"{where}: 'relation' is {relation!r}; allowed: {' or '.join(RELATIONS)}")
            elif relation == "<":
                hi = value
            else:
                lo = value
        else:
            if "lo" in needed:
                lo, lo_open = _number(entry, "lo", where, problems), False
            if "hi" in needed:
                hi, hi_open = _number(entry, "hi", where, problems), False
            if lo > hi:
                problems.append(f"{where}: 'lo' {lo:g} is above 'hi' {hi:g}; allowed: lo <= hi")
    if len(problems) > before:
        return None
    return Observation(text["id"], text["shock"], measure, kind, lo, hi, lo_open, hi_open, str(date), text["source"],
                       text["mapping"], text["note"])


def load_record(path: Path | str = RECORD) -> list[Observation]:
    """The observations of a record file; raises ``PredictionError`` naming the file, the entry and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PredictionError([f"{path}: no such record file; give a TOML file of [[observation]] tables"]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PredictionError([f"{path}: cannot be read as TOML ({exc})"]) from None
    entries = data.get("observation")
    other = sorted(set(data) - {"observation"})
    problems = [f"{path}: unknown top-level key {', '.join(other)}; allowed: observation"] if other else []
    if not isinstance(entries, list) or not entries:
        raise PredictionError([*problems, f"{path}: no [[observation]] table; a record lists at least one"])
    out, seen = [], set()
    for k, entry in enumerate(entries):
        name = entry.get("id") if isinstance(entry, dict) else None
        where = f"{path}: observation {k + 1}" + (f" ({name})" if isinstance(name, str) else "")
        obs = parse_entry(entry, where, problems)
        if obs is not None:
            if obs.id in seen:
                problems.append(f"{where}: 'id' {obs.id!r} is used twice; allowed: a unique id")
            seen.add(obs.id)
            out.append(obs)
    if problems:
        raise PredictionError(problems)
    return out


# ---- the replay's values ----------------------------------------------------------------------------
def read_replications(folder: Path | str) -> pd.DataFrame:
    """A replay folder's per_replication.csv, values as floats (NaN: undefined); ``PredictionError`` when unusable."""
    folder = Path(folder)
    path = folder / "per_replication.csv"
    if not folder.is_dir():
        raise PredictionError([f"{folder}: no such replay folder; give a folder written by scamsim replay"])
    if not path.is_file():
        raise PredictionError([f"{path}: missing; the folder was not written by a scamsim replay that writes per_replication.csv"])
    try:
        frame = pd.read_csv(path, dtype={"shock": str, "measure": str, "value": str}, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PredictionError([f"{path}: cannot be read as CSV ({exc})"]) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise PredictionError([f"{path}: lacks the column {', '.join(missing)}; allowed columns: {', '.join(COLUMNS)}"])
    if frame.empty:
        raise PredictionError([f"{path}: has no rows; a replay writes one per replication, shock and measure"])
    text = frame["value"].str.strip()
    values = pd.to_numeric(text.where(~text.isin(["", "undefined"])), errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() & ~text.isin(["", "undefined"]).to_numpy())
    if len(bad):
        raise PredictionError([f"{path}: row {bad[0] + 2}, column 'value' is {frame['value'].iloc[bad[0]]!r}; "
                               "allowed: a number, or empty when undefined"])
    frame = frame.assign(value=values.astype(float))
    if frame.duplicated(["replication", "shock", "measure"]).any():
        raise PredictionError([f"{path}: a replication has two values for one shock and measure; allowed: one each"])
    return frame


def check_against(record: list[Observation], frame: pd.DataFrame, where: str) -> None:
    """Every record entry's shock and measure must be in the replay; raises ``PredictionError`` naming them."""
    shocks = sorted(frame["shock"].unique())
    pairs = set(zip(frame["shock"], frame["measure"], strict=True))
    problems = []
    for obs in record:
        if obs.shock not in shocks:
            problems.append(f"{where}: observation {obs.id}: shock {obs.shock!r} is not in the replay; its shocks: {', '.join(shocks)}")
        elif obs.measure != "none" and (obs.shock, obs.measure) not in pairs:
            problems.append(f"{where}: observation {obs.id}: the replay has no measure {obs.measure!r} for shock {obs.shock!r}")
    if problems:
        raise PredictionError(problems)


# ---- the comparison ---------------------------------------------------------------------------------
def quantile_of(x: np.ndarray, v: float) -> float:
    """Mid-distribution predictive quantile of ``v``: share of values below it plus half the share equal to it."""
    return float(((x < v).sum() + 0.5 * (x == v).sum()) / len(x))


def mass_of(x: np.ndarray, obs: Observation) -> float:
    """The predictive probability of the observation's set: the share of values that lie in it."""
    above = x > obs.lo if obs.lo_open else x >= obs.lo
    below = x < obs.hi if obs.hi_open else x <= obs.hi
    return float((above & below).mean())


def meets(obs: Observation, p05: float, p95: float) -> bool:
    """Whether the observation's set meets the central interval [p05, p95] (ends open or closed as the set says)."""
    low_ok = p95 > obs.lo if obs.lo_open else p95 >= obs.lo
    high_ok = p05 < obs.hi if obs.hi_open else p05 <= obs.hi
    return bool(low_ok and high_ok)


def compare_one(obs: Observation, values: np.ndarray) -> dict[str, Any]:
    """The predictive summary of one observation's measure over replications (NaN: undefined) and its verdict."""
    values = np.asarray(values, dtype=float)
    x = values[np.isfinite(values)]
    row: dict[str, Any] = {"replications": len(values), "defined": len(x), "p05": None, "median": None, "p95": None,
                           "quantile_lo": None, "quantile_hi": None, "mass": None}
    if obs.kind == "none":
        return {**row, "replications": None, "defined": None, "verdict": "not comparable"}
    if len(x) == 0 or 2 * len(x) < len(values):
        return {**row, "verdict": "undefined"}
    p05, med, p95 = (float(q) for q in np.quantile(x, [BAND[0], 0.5, BAND[1]]))
    return {**row, "p05": p05, "median": med, "p95": p95,
            "quantile_lo": quantile_of(x, obs.lo) if math.isfinite(obs.lo) else None,
            "quantile_hi": quantile_of(x, obs.hi) if math.isfinite(obs.hi) else None,
            "mass": mass_of(x, obs), "verdict": "consistent" if meets(obs, p05, p95) else "miss"}


def compare(record: list[Observation], frame: pd.DataFrame) -> pd.DataFrame:
    """comparison.csv: one row per observation, in the record's order."""
    rows = []
    for obs in record:
        sel = frame[(frame["shock"] == obs.shock) & (frame["measure"] == obs.measure)]
        result = compare_one(obs, sel.sort_values("replication")["value"].to_numpy())
        rows.append({"id": obs.id, "shock": obs.shock, "measure": obs.measure, "observed": obs.describe(), "kind": obs.kind,
                     "date": obs.date, "mapping": obs.mapping, **result, "source": obs.source})
    return pd.DataFrame(rows)


def miss_rate(runs: int) -> float:
    """The chance that one more draw falls outside the central 90% interval of ``runs`` draws (linear quantiles).

    A new draw falls below the j-th of n ordered draws with probability j/(n+1); the 5% quantile sits at
    position 0.05(n-1) (counted from 0), so each tail holds about (0.05(n-1) + 1)/(n+1): 0.10 in all as n
    grows, 0.118 with 100 runs, 0.186 with 20.
    """
    return min(1.0, (2 * BAND[0] * (runs - 1) + 2) / (runs + 1)) if runs > 0 else math.nan


def tail_at_least(k: int, rates: list[float]) -> float:
    """P(at least ``k`` misses) when observation i misses with probability ``rates[i]`` independently (Poisson-binomial)."""
    pmf = np.ones(1)
    for p in rates:
        pmf = np.convolve(pmf, [1.0 - p, p])
    return float(min(1.0, pmf[k:].sum()))


def summarise(table: pd.DataFrame) -> dict[str, Any]:
    """Misses against what a calibrated model would give: nominally Binomial(compared, 0.10); with R runs per measure
    each observation misses with probability at most ``miss_rate(R)``, which the finite-run figures use."""
    verdicts = table["verdict"].tolist()
    judged = table[table["verdict"].isin(["consistent", "miss"])]
    compared, misses = len(judged), verdicts.count("miss")
    rates = [miss_rate(int(d)) for d in judged["defined"]]
    by_mapping = {m: int(((table["verdict"] == "miss") & (table["mapping"] == m)).sum()) for m in MAPPINGS}
    return {"observations": len(verdicts), "compared": compared, "consistent": verdicts.count("consistent"), "misses": misses,
            "undefined": verdicts.count("undefined"), "not_comparable": verdicts.count("not comparable"),
            "nominal_miss_rate": MISS_RATE, "nominal_expected_misses": MISS_RATE * compared,
            "nominal_p_at_least_as_many": float(binom.sf(misses - 1, compared, MISS_RATE)) if compared else None,
            "expected_misses": float(sum(rates)), "p_at_least_as_many": tail_at_least(misses, rates) if compared else None,
            "misses_by_mapping": by_mapping}


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def markdown(table: pd.DataFrame, summary: dict[str, Any]) -> str:
    """comparison.md: the table a reader sees, then the multiplicity-aware summary."""
    lines = ["| id | shock | measure | observed | model median | 90% predictive interval | quantile (lo, hi) "
             "| predictive mass | mapping | verdict |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.to_dict("records"):
        interval = f"{_fmt(r['p05'])} - {_fmt(r['p95'])}" if _fmt(r["p05"]) else ""
        q = ", ".join(_fmt(r[k]) or "-" for k in ("quantile_lo", "quantile_hi")) if _fmt(r["mass"]) else ""
        lines.append(f"| {r['id']} | `{r['shock']}` | `{r['measure']}` | {r['observed']} | {_fmt(r['median'])} | {interval} "
                     f"| {q} | {_fmt(r['mass'])} | {r['mapping']} | {r['verdict']} |")
    s = summary
    if not s["compared"]:
        return "\n".join([*lines, "", "No observation could be compared."]) + "\n"
    lines += ["", f"{s['compared']} observations compared ({s['undefined']} undefined in most runs, {s['not_comparable']} "
              f"not comparable): {s['consistent']} consistent, {s['misses']} missed. A calibrated model would miss each "
              f"with probability at most 0.10 (a little more with few runs: the 90% interval of R runs covers one more draw "
              f"with probability about 0.9(R-1)/(R+1)): {s['expected_misses']:.1f} misses expected with these runs, and "
              f"P(at least {s['misses']} misses) = {s['p_at_least_as_many']:.3g} (nominal Binomial({s['compared']}, 0.10): "
              f"{s['nominal_expected_misses']:.1f} expected, P = {s['nominal_p_at_least_as_many']:.3g}). Misses by mapping: "
              + ", ".join(f"{k} {v}" for k, v in s["misses_by_mapping"].items()) + "."]
    return "\n".join(lines) + "\n"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_comparison(out: Path, table: pd.DataFrame, summary: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    """Write comparison.csv, comparison.md and summary.json into ``out``, whole or not at all."""
    from sim.common.files import write_csv, write_folder, write_json

    text = markdown(table, summary)

    def write(tmp: Path) -> None:
        write_csv(tmp / "comparison.csv", table)
        (tmp / "comparison.md").write_text(text, encoding="utf-8")
        write_json(tmp / "summary.json", {**meta, "summary": summary})

    write_folder(out, write)
    return ["comparison.csv", "comparison.md", "summary.json"]


def run_comparison(replay_dir: Path | str, record_path: Path | str = RECORD) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """Read the record and the replay, check one against the other, compare: (table, summary, provenance)."""
    record = load_record(record_path)
    frame = read_replications(replay_dir)
    check_against(record, frame, str(Path(replay_dir) / "per_replication.csv"))
    table = compare(record, frame)
    meta = {"replay_folder": str(replay_dir), "per_replication_sha256": sha256_of(Path(replay_dir) / "per_replication.csv"),
            "record_file": str(record_path), "record_sha256": sha256_of(Path(record_path)),
            "replications": int(frame["replication"].nunique())}
    return table, summarise(table), meta
