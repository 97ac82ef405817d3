"""Scenario discovery: which parameter box concentrates the runs of interest (PRIM), ``scamsim discover``.

PRIM (Friedman and Fisher 1999, the Patient Rule Induction Method, as used for scenario discovery by
Bryant and Lempert 2010 and the EMA Workbench) looks for a box ``low <= x <= high`` in parameter space
inside which the runs of interest (e.g. raids leaving at least 90% of the counterfactual's workers
held) are dense, while still holding most of them:

- coverage = runs of interest in the box / all runs of interest,
- density  = runs of interest in the box / runs in the box,
- mass     = runs in the box / all runs.

Peeling starts from the box holding every run and repeatedly cuts a slice of about ``alpha`` of the
remaining runs off the low or high end of one parameter, choosing the cut that leaves the highest
density, until fewer than ``mass_min`` of the runs would remain. Each step is a box on the *peeling
trajectory*: coverage falls as density rises. A box is chosen from the trajectory (by default the one
with the highest coverage whose density reaches ``threshold``), then *pasted*: widened again by slices
of about ``alpha`` of its runs wherever that does not lower its density.

Implemented on numpy and pandas only. ``discover`` runs PRIM on a results folder and writes the
box, the trajectory and its figure; the ``scamsim discover`` command (``sim.cli.sensitivity``) calls
it. ``sim.analysis.ema`` exposes the model to EMA Workbench users (its own PRIM, CART and samplers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.figure_files import save_figure_pair


class DiscoveryError(ValueError):
    """Data PRIM cannot work on (no runs of interest, non-numeric parameters, unknown measure...)."""


@dataclass
class Box:
    """Limits (inclusive) per parameter, and how well the box concentrates the runs of interest."""

    limits: pd.DataFrame  # index: parameter; columns: low, high
    coverage: float
    density: float
    mass: float
    n: int  # runs in the box
    hits: int  # runs of interest in the box

    def restricted(self, X: pd.DataFrame) -> pd.DataFrame:
        """The limits that cut the data's range, with the full range alongside."""
        full_lo, full_hi = X.min(), X.max()
        lim = self.limits.copy()
        lim["min"], lim["max"] = full_lo, full_hi
        return lim[(lim["low"] > lim["min"]) | (lim["high"] < lim["max"])]

    def contains(self, X: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(X), dtype=bool)
        for c in self.limits.index:
            x = X[c].to_numpy(float)
            inside &= (x >= self.limits.at[c, "low"]) & (x <= self.limits.at[c, "high"])
        return inside


@dataclass
class PrimResult:
    trajectory: pd.DataFrame  # one row per peeling step: coverage, density, mass, n, restricted, low/high per parameter
    boxes: list[Box]  # the peeling trajectory's boxes, step by step
    chosen: int  # index of the box chosen on the trajectory
    box: Box  # the chosen box after pasting
    threshold: float | None

    def summary(self, X: pd.DataFrame) -> str:
        b = self.box
        lines = [f"box: coverage {b.coverage:.2f}, density {b.density:.2f}, mass {b.mass:.2f} "
                 f"({b.hits} of {b.n} runs in the box are of interest; step {self.chosen} of the peeling trajectory, "
                 f"then pasted)"]
        lim = b.restricted(X)
        if lim.empty:
            lines.append("  no parameter is restricted: the runs of interest are spread over the whole space")
        for name, row in lim.iterrows():
            lines.append(f"  {name:36s} {row['low']:.4g} .. {row['high']:.4g}   (sampled {row['min']:.4g} .. {row['max']:.4g})")
        return "\n".join(lines)


def _stats(inside: np.ndarray, y: np.ndarray, total_hits: int) -> tuple[float, float, float, int, int]:
    n = int(inside.sum())
    hits = int(y[inside].sum())
    return hits / total_hits, (hits / n if n else math.nan), n / len(y), n, hits


def _inside(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.all((values >= low) & (values <= high), axis=1)


def _peel_candidates(values: np.ndarray, inside: np.ndarray, alpha: float) -> list[tuple[int, str, float]]:
    """For each parameter, the new low and high limits that cut about ``alpha`` of the box's runs."""
    out = []
    box = values[inside]
    for j in range(values.shape[1]):
        v = np.sort(box[:, j])
        if v[0] == v[-1]:
            continue
        k = max(1, math.floor(alpha * len(v)))
        low = v[k]  # keeps x >= low: cuts the k smallest (and any ties with them below low)
        if low == v[0]:  # ties at the bottom: cut them all
            low = v[v > v[0]][0]
        high = v[len(v) - 1 - k]
        if high == v[-1]:
            high = v[v < v[-1]][-1]
        out.append((j, "low", float(low)))
        out.append((j, "high", float(high)))
    return out


def prim(X: pd.DataFrame, y: Any, alpha: float = 0.05, mass_min: float = 0.05, threshold: float | None = 0.8,
         paste: bool = True) -> PrimResult:
    """Peel, choose and paste a box for the runs where ``y`` is true (see the module docstring).

    ``X``: one numeric column per parameter; ``y``: booleans, one per row. ``threshold``: the
    chosen box is the one of highest coverage with density >= threshold, the densest of those on ties (if none reaches it, or
    ``threshold`` is None, the box of highest density, the latest on ties).
    """
    if not 0 < alpha < 0.5:
        raise DiscoveryError(f"alpha = {alpha!r} must be between 0 and 0.5 (a share of the box's runs peeled per step)")
    if not 0 < mass_min < 1:
        raise DiscoveryError(f"mass_min = {mass_min!r} must be between 0 and 1 (the smallest share of runs a box keeps)")
    if threshold is not None and not 0 < threshold <= 1:
        raise DiscoveryError(f"threshold = {threshold!r} must be a density between 0 and 1")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    if bad:
        raise DiscoveryError(f"PRIM needs numeric parameters; not numeric: {', '.join(map(str, bad))} "
                             f"(filter on them instead, e.g. --where {bad[0]}=VALUE)")
    y = np.asarray(y, dtype=bool)
    if len(y) != len(X):
        raise DiscoveryError(f"{len(y)} outcomes for {len(X)} runs")
    values = X.to_numpy(float)
    if not np.isfinite(values).all():
        raise DiscoveryError("parameters must be finite numbers (drop runs with missing values first)")
    total = int(y.sum())
    if total == 0:
        raise DiscoveryError(f"no run of interest among {len(y)} runs; nothing to find (try another threshold)")
    low, high = values.min(axis=0), values.max(axis=0)
    inside = np.ones(len(y), dtype=bool)
    boxes: list[Box] = []

    def box_now() -> Box:
        cov, den, mass, n, hits = _stats(inside, y, total)
        return Box(pd.DataFrame({"low": low, "high": high}, index=list(X.columns)), cov, den, mass, n, hits)

    boxes.append(box_now())
    while True:
        best = None
        for j, side, limit in _peel_candidates(values, inside, alpha):
            keep = inside & ((values[:, j] >= limit) if side == "low" else (values[:, j] <= limit))
            n = int(keep.sum())
            if n < mass_min * len(y) or n == 0:
                continue
            score = (y[keep].mean(), n)  # highest density; on ties the smaller cut
            if best is None or score > best[0]:
                best = (score, j, side, limit, keep)
        if best is None:
            break
        _, j, side, limit, inside = best
        low, high = low.copy(), high.copy()
        if side == "low":
            low[j] = limit
        else:
            high[j] = limit
        boxes.append(box_now())
    dens = np.array([b.density for b in boxes])
    cov = np.array([b.coverage for b in boxes])
    ok = np.flatnonzero(dens >= threshold - 1e-12) if threshold is not None else np.array([], dtype=int)
    # The highest coverage, then the highest density among equal coverages; else the densest (latest on ties).
    best = ok[np.lexsort((dens[ok], cov[ok]))[-1]] if len(ok) else np.flatnonzero(dens == dens.max())[-1]
    chosen = int(best)
    box = _paste(values, y, boxes[chosen], alpha, total, list(X.columns)) if paste else boxes[chosen]
    rows = []
    full_lo, full_hi = values.min(axis=0), values.max(axis=0)
    for i, b in enumerate(boxes):
        lo, hi = b.limits["low"].to_numpy(), b.limits["high"].to_numpy()
        restricted = [c for c, a, bb, fa, fb in zip(X.columns, lo, hi, full_lo, full_hi, strict=True) if a > fa or bb < fb]
        row = {"step": i, "coverage": b.coverage, "density": b.density, "mass": b.mass, "n": b.n, "hits": b.hits,
               "restricted": len(restricted), "restricted_parameters": ",".join(map(str, restricted))}
        for c, a, bb in zip(X.columns, lo, hi, strict=True):
            row[f"{c}:low"], row[f"{c}:high"] = a, bb
        rows.append(row)
    return PrimResult(pd.DataFrame(rows), boxes, chosen, box, threshold)


def _paste(values: np.ndarray, y: np.ndarray, box: Box, alpha: float, total: int, names: list[str]) -> Box:
    """Widen the box a slice at a time wherever that does not lower its density."""
    low, high = box.limits["low"].to_numpy(float).copy(), box.limits["high"].to_numpy(float).copy()
    full_lo, full_hi = values.min(axis=0), values.max(axis=0)
    inside = _inside(values, low, high)
    while True:
        density = y[inside].mean()
        k = max(1, math.floor(alpha * int(inside.sum())))
        best = None
        for j in range(values.shape[1]):
            others = np.ones(len(y), dtype=bool)
            for jj in range(values.shape[1]):
                if jj != j:
                    others &= (values[:, jj] >= low[jj]) & (values[:, jj] <= high[jj])
            for side in ("low", "high"):
                if (side == "low" and low[j] <= full_lo[j]) or (side == "high" and high[j] >= full_hi[j]):
                    continue
                if side == "low":
                    out = np.sort(values[others & (values[:, j] < low[j]), j])[::-1]
                else:
                    out = np.sort(values[others & (values[:, j] > high[j]), j])
                if len(out) == 0:
                    continue
                limit = out[min(k, len(out)) - 1]
                new = others & ((values[:, j] >= limit) & (values[:, j] <= high[j]) if side == "low"
                                else (values[:, j] >= low[j]) & (values[:, j] <= limit))
                d = y[new].mean()
                if d >= density - 1e-12 and (best is None or (d, new.sum()) > best[0]):
                    best = ((d, new.sum()), j, side, limit, new)
        if best is None:
            break
        _, j, side, limit, inside = best
        if side == "low":
            low[j] = limit
        else:
            high[j] = limit
    cov, den, mass, n, hits = _stats(inside, y, total)
    return Box(pd.DataFrame({"low": low, "high": high}, index=names), cov, den, mass, n, hits)


# ---- results folders ---------------------------------------------------------------------------------

def discovery_data(results: Any, measure: str, above: float | None = None, below: float | None = None,
                   where: dict[str, str] | None = None, parameters: list[str] | None = None
                   ) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Parameters (numeric, varied) and the runs of interest from a sweep's results.

    Returns (X, y, dropped): runs whose measure is undefined (NaN) are dropped and counted.
    """
    import difflib

    wide = results.wide()
    wide = wide[wide["role"] == "policy"]
    names = results.measure_names
    if measure not in names:
        close = difflib.get_close_matches(measure, names, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise DiscoveryError(f"--measure {measure}: not a measure of {results.path}{hint}; allowed: {', '.join(names)}")
    if (above is None) == (below is None):
        raise DiscoveryError("give exactly one of --above X or --below X")
    for key, value in (where or {}).items():
        if key not in results.parameters:
            raise DiscoveryError(f"--where {key}: not a parameter of {results.path}; allowed: {', '.join(results.parameters)}")
        wide = wide[wide[key].astype(str) == value]
        if wide.empty:
            raise DiscoveryError(f"--where {key}={value}: no run has this value")
    candidates = parameters or results.parameters
    for p in candidates:
        if p not in results.parameters:
            raise DiscoveryError(f"--params {p}: not a parameter of {results.path}; allowed: {', '.join(results.parameters)}")
    cols = [p for p in candidates if pd.api.types.is_numeric_dtype(wide[p]) and not pd.api.types.is_bool_dtype(wide[p])
            and wide[p].nunique() > 1]
    if not cols:
        raise DiscoveryError(f"{results.path}: no numeric parameter varies across the runs; nothing to box")
    value = wide[measure].to_numpy(float)
    keep = np.isfinite(value)
    y = value[keep] > above if above is not None else value[keep] < below
    return wide.loc[keep, cols].reset_index(drop=True).astype(float), y, int((~keep).sum())


def trajectory_figure(result: PrimResult, title: str = "") -> Any:
    """Coverage against density along the peeling trajectory; the chosen box and the pasted box marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.trajectory
    with plt.rc_context({"font.size": 8, "axes.spines.top": False, "axes.spines.right": False}):
        fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
        sc = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=14)
        ax.plot(t["coverage"], t["density"], color="0.7", lw=0.6, zorder=0)
        c = t.iloc[result.chosen]
        ax.scatter([c["coverage"]], [c["density"]], s=80, facecolor="none", edgecolor="red", label="chosen box")
        ax.scatter([result.box.coverage], [result.box.density], marker="x", color="red", label="after pasting")
        if result.threshold is not None:
            ax.axhline(result.threshold, color="0.5", ls="--", lw=0.6)
        ax.set_xlabel("Coverage (share of the runs of interest inside the box)")
        ax.set_ylabel("Density (share of the box's runs that are of interest)")
        fig.colorbar(sc, ax=ax, label="Parameters restricted")
        ax.legend(frameon=False, loc="lower left")
        if title:
            ax.set_title(title)
    return fig


# ---- a results folder in, the box and its files out ----------------------------------------------------

def condition(measure: str, above: float | None, below: float | None) -> str:
    """The runs of interest in words, e.g. ``victims.victim_weeks > 1.5``."""
    return f"{measure} {'>' if above is not None else '<'} {above if above is not None else below}"


@dataclass
class Discovery:
    """What ``discover`` found in a results folder and the files it wrote."""

    result: PrimResult
    X: pd.DataFrame  # the parameters PRIM boxed, one row per run kept
    y: np.ndarray  # runs of interest
    dropped: int  # runs whose measure was undefined
    condition: str
    files: list[Path]

    def summary(self) -> str:
        dropped = f" ({self.dropped} undefined runs dropped)" if self.dropped else ""
        return f"{int(self.y.sum())} of {len(self.y)} runs have {self.condition}{dropped}\n{self.result.summary(self.X)}"


def write_discovery(folder: Path, result: PrimResult, title: str) -> list[Path]:
    """``trajectory.csv``, ``box.csv`` (the pasted box with its coverage, density and mass) and the figure."""
    from sim.common.files import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    box = result.box.limits.assign(coverage=result.box.coverage, density=result.box.density, mass=result.box.mass)
    files = [folder / "trajectory.csv", folder / "box.csv"]
    atomic_write(files[0], lambda p: result.trajectory.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(files[1], lambda p: box.to_csv(p, index_label="parameter", float_format="%.6g"))
    return files + save_figure_pair(trajectory_figure(result, title), folder / "trajectory")


def discover(results: str | Path, measure: str, above: float | None = None, below: float | None = None,
             where: dict[str, str] | None = None, parameters: list[str] | None = None, alpha: float = 0.05,
             mass_min: float = 0.05, threshold: float | None = 0.8, out: str | Path | None = None) -> Discovery:
    """PRIM on a results folder (``scamsim sweep`` or ``scamsim sensitivity``), written to ``out``.

    ``out`` defaults to ``RESULTS/discovery``. Raises ``StoreError`` for an unreadable folder and
    ``DiscoveryError`` for data PRIM cannot work on; nothing is written then.
    """
    from sim.experiments.store import load_results

    data = load_results(results)
    X, y, dropped = discovery_data(data, measure, above, below, where, parameters)
    result = prim(X, y, alpha=alpha, mass_min=mass_min, threshold=threshold)
    cond = condition(measure, above, below)
    folder = Path(out) if out is not None else Path(results) / "discovery"
    files = write_discovery(folder, result, f"PRIM: {cond}")
    return Discovery(result, X, y, dropped, cond, files)
