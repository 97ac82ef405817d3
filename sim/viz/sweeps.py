"""Figures of a sweep: a measure against a parameter (one line per policy type), a heatmap over two
parameters, and the distribution of relocation distances.

Every figure shows the mean over replications with a Student-t 95% interval (few replications make
1.96 too narrow). Axis labels are words with units, taken from the ``Params`` field metadata for
parameters and from ``sim.measures.names.MEASURE_LABELS`` for measures. Figures are saved as PNG and SVG through
``sim.common.files.save_figure``, so the same results give the same bytes.
"""

from __future__ import annotations

import math
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.colors import CenteredNorm, Normalize

from sim.common.files import save_figure
from sim.common.stats import t_interval
from sim.experiments.fields import param_fields
from sim.experiments.store import Results
from sim.measures.names import MEASURE_LABELS
from sim.params.declarations import POLICY_TYPES
from sim.scenario.loader import suggest as _suggest

#: Measures that are ratios to a reference, drawn with a dashed line at 1 ("no change").
RATIO_MEASURES = ("persistence.persistence_workers", "persistence.persistence_revenue",
                  "counterfactual.persistence_vs_counterfactual_workers", "counterfactual.persistence_vs_counterfactual_revenue")
PALETTE = plt.get_cmap("tab10")
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8, "axes.spines.top": False,
         "axes.spines.right": False, "svg.hashsalt": "scamsim", "svg.fonttype": "path"}


class PlotError(ValueError):
    """The results cannot give the figure asked for; the message says what to change."""


# ---- labels -----------------------------------------------------------------------------------------

def param_label(key: str, width: int = 48) -> str:
    """A parameter's axis label in words with its unit, from the field metadata."""
    f = param_fields().get(key)
    if f is None:
        return key
    doc, unit = f.metadata.get("doc", key), f.metadata.get("unit", "-")
    if key == "policy.type":
        return "Policy type"
    text = doc[:1].upper() + doc[1:]
    if unit and unit != "-":
        text += f" ({unit})"
    return "\n".join(textwrap.wrap(text, width))


def measure_label(measure: str, width: int = 52) -> str:
    text = MEASURE_LABELS.get(measure)
    if text is None:
        section, _, name = measure.partition(".")
        text = f"{name.replace('_', ' ').capitalize()} ({section.replace('_', ' ')})"
    return "\n".join(textwrap.wrap(text, width))


def value_label(key: str, value: Any) -> str:
    if key == "policy.type" and isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer() and abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:g}"
    return str(value)


def _color(key: str | None, value: Any, order: list[Any]) -> Any:
    if key == "policy.type" and value in POLICY_TYPES:
        return PALETTE(POLICY_TYPES.index(value) % 10)
    return PALETTE(order.index(value) % 10)


# ---- statistics ---------------------------------------------------------------------------------------

def summary_table(frame: pd.DataFrame, by: list[str], y: str) -> pd.DataFrame:
    """Mean, t-interval and n of ``y`` per combination of ``by``."""
    rows = []
    for keys, g in frame.groupby(by, sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        mean, lo, hi, n = t_interval(g[y].to_numpy(float))
        rows.append({**dict(zip(by, keys, strict=True)), "mean": mean, "lo": lo, "hi": hi, "n": n})
    return pd.DataFrame(rows)


# ---- choosing what to draw ----------------------------------------------------------------------------

def parse_where(items: list[str] | None, parameters: list[str]) -> dict[str, Any]:
    out = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise PlotError(f"--where {item!r}: expected PARAMETER=VALUE, e.g. policy.type=case_by_case")
        if key not in parameters:
            raise PlotError(f"--where {key}: not a parameter of this sweep{_suggest(key, parameters)}; "
                            f"parameters: {', '.join(parameters)}")
        try:
            out[key] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = raw.strip()
    return out


def _filter(frame: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    for key, value in where.items():
        col = frame[key]
        mask = np.isclose(col.astype(float), float(value)) if pd.api.types.is_numeric_dtype(col) and not isinstance(value, str) \
            else col.astype(str) == str(value)
        if not mask.any():
            raise PlotError(f"--where {key}={value}: no run has this value; values: "
                            f"{', '.join(value_label(key, v) for v in sorted(col.unique()))}")
        frame = frame[mask]
    return frame


def _numeric(frame: pd.DataFrame, key: str) -> bool:
    return pd.api.types.is_numeric_dtype(frame[key]) and not pd.api.types.is_bool_dtype(frame[key])


def choose(results: Results, x: str | None, y: str | None, hue: str | None, where: dict[str, Any],
           kind: str = "auto") -> dict[str, Any]:
    """Resolve the figure: kind, x, y, hue and the runs to draw (policy runs after ``where``)."""
    params, measures = results.parameters, results.measure_names
    for name, key in (("--x", x), ("--hue", hue)):
        if key is not None and key not in params:
            raise PlotError(f"{name} {key}: not a parameter of this sweep{_suggest(key, params)}; "
                            f"parameters: {', '.join(params) or 'none'}")
    if y is not None and y not in measures:
        raise PlotError(f"--y {y}: not a measure kept by this sweep{_suggest(y, measures)}; measures: {', '.join(measures)}")
    wide = results.wide()
    if wide.empty:
        raise PlotError(f"{results.path}: no finished runs to plot")
    runs = _filter(wide[wide["role"] == "policy"], where)
    if y is None:  # the first preferred measure that is defined in some run: the no-policy comparison when there is one
        preferred = ["persistence.persistence_workers", *measures]
        if results.manifest.get("counterfactual"):
            preferred.insert(0, "counterfactual.persistence_vs_counterfactual_workers")
        y = next((m for m in preferred if m in measures and np.isfinite(runs[m].to_numpy(float)).any()), measures[0])
    varied = [p for p in params if p not in where and runs[p].nunique() > 1]
    numeric = [p for p in varied if _numeric(runs, p)]
    if kind == "relocation":
        return {"kind": kind, "x": x, "y": y, "hue": hue or ("policy.type" if "policy.type" in varied else None), "runs": runs,
                "pooled": [p for p in varied if p != (hue or "policy.type")]}
    if kind == "heatmap" or (kind == "auto" and x is None and hue is None and len(varied) == 2 and len(numeric) == 2):
        if len(numeric) < 2 and (x is None or hue is None):
            raise PlotError("a heatmap needs two numeric parameters that vary; "
                            f"varied here: {', '.join(varied) or 'none'}")
        hx = x or ("policy.raid_frequency" if "policy.raid_frequency" in numeric else numeric[0])
        hy = hue or next(p for p in numeric if p != hx)
        rest = [p for p in varied if p not in (hx, hy)]
        if rest:
            raise PlotError(f"also varied: {', '.join(rest)}; pick one value with --where, e.g. --where {rest[0]}="
                            f"{value_label(rest[0], runs[rest[0]].iloc[0]).replace(' ', '_')}")
        return {"kind": "heatmap", "x": hx, "y": y, "hue": hy, "runs": runs}
    if x is None:
        if not varied:
            raise PlotError("no parameter varies across these runs; nothing to put on the x axis")
        x = "policy.raid_frequency" if "policy.raid_frequency" in numeric else (numeric or varied)[0]
    if hue is None:
        others = [p for p in varied if p != x]
        hue = "policy.type" if "policy.type" in others else (others[0] if len(others) == 1 else None)
    rest = [p for p in varied if p not in (x, hue)]
    if rest:
        raise PlotError(f"also varied: {', '.join(rest)}; choose one with --hue, or pick one value with --where "
                        f"{rest[0]}=VALUE (values: {', '.join(value_label(rest[0], v) for v in sorted(runs[rest[0]].unique()))})")
    return {"kind": "line", "x": x, "y": y, "hue": hue, "runs": runs}


def _check_defined(runs: pd.DataFrame, y: str) -> None:
    if not np.isfinite(runs[y].to_numpy(float)).any():
        raise PlotError(f"{y} is undefined (NaN) in every selected run, so there is nothing to draw (a displacement "
                        f"measure, for example, needs jurisdictions outside the policy); choose another --y")


def _order(key: str, values: Any) -> list[Any]:
    """Values in display order: policy types in their documented order, others sorted."""
    values = list(pd.unique(pd.Series(values)))
    if key == "policy.type":
        return sorted(values, key=lambda v: POLICY_TYPES.index(v) if v in POLICY_TYPES else len(POLICY_TYPES))
    return sorted(values)


# ---- figures ------------------------------------------------------------------------------------------

def _title(results: Results, where: dict[str, Any]) -> str:
    """The experiment's description (what the analyst wrote it for), else its name; ``--where`` choices appended."""
    exp = results.manifest.get("experiment", {})
    name = (exp.get("description") or "").strip() or exp.get("name") or results.path.name
    bits = [f"{value_label(k, v)}" if k == "policy.type" else f"{k.split('.')[-1].replace('_', ' ')} = {value_label(k, v)}"
            for k, v in where.items()]
    return "\n".join(textwrap.wrap(name + (f" ({'; '.join(bits)})" if bits else ""), 80))


def _footer(fig: Any, results: Results, n: int) -> None:
    m = results.manifest
    reps = f"{n} replication{'s' if n != 1 else ''}" if n else "replications"
    # A figure-level label, so the constrained layout keeps room for it below the axes.
    fig.supxlabel(f"mean and Student-t 95% interval over {reps}; {m.get('weeks', '?')} weeks per run; "
                  f"base seed {m.get('base_seed', '?')}", fontsize=7, color="0.35")


def line_figure(results: Results, choice: dict[str, Any], where: dict[str, Any]) -> Any:
    runs, x, y, hue = choice["runs"], choice["x"], choice["y"], choice["hue"]
    _check_defined(runs, y)
    by = [x] if hue is None else [hue, x]
    table = summary_table(runs, by, y)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
        numeric_x = _numeric(runs, x)
        groups = [(None, table)] if hue is None else list(table.groupby(hue, sort=False))
        order = [g for g, _ in groups]
        if hue == "policy.type":
            groups.sort(key=lambda g: POLICY_TYPES.index(g[0]) if g[0] in POLICY_TYPES else 99)
        xcats = sorted(runs[x].unique(), key=str) if not numeric_x else None
        for value, g in groups:
            g = g.sort_values(x)
            xs = g[x].to_numpy(float) if numeric_x else np.array([xcats.index(v) for v in g[x]], dtype=float)
            color = PALETTE(0) if hue is None else _color(hue, value, order)
            label = None if hue is None else value_label(hue, value)
            ax.plot(xs, g["mean"], marker="o", ms=3.5, lw=1.6, color=color, label=label)
            ax.fill_between(xs, g["lo"].to_numpy(float), g["hi"].to_numpy(float), color=color, alpha=0.18, lw=0)
        if y in RATIO_MEASURES:
            ax.axhline(1.0, color="0.4", lw=0.8, ls="--", zorder=0)
        if numeric_x:
            vals = runs[x].to_numpy(float)
            if vals.min() > 0 and vals.max() / vals.min() >= 20:  # e.g. doubling steps
                ax.set_xscale("log")
                ticks = np.unique(vals)
                ax.set_xticks(ticks, [f"{t:g}" for t in ticks])  # the design's values, in plain numbers
                ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        else:
            ax.set_xticks(range(len(xcats)), [value_label(x, v) for v in xcats])
        ax.set_xlabel(param_label(x))
        ax.set_ylabel(measure_label(y))
        ax.set_title(_title(results, where))
        if hue is not None:
            ax.legend(title=param_label(hue, 24), frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(True, lw=0.4, alpha=0.4)
        _footer(fig, results, int(table["n"].max()) if len(table) else 0)
    return fig


def heatmap_figure(results: Results, choice: dict[str, Any], where: dict[str, Any]) -> Any:
    runs, x, y, row = choice["runs"], choice["x"], choice["y"], choice["hue"]
    _check_defined(runs, y)
    table = summary_table(runs, [row, x], y)
    grid = table.pivot(index=row, columns=x, values="mean")
    grid = grid.reindex(index=_order(row, grid.index), columns=_order(x, grid.columns))
    data = grid.to_numpy(float)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
        finite = data[np.isfinite(data)]
        if y in RATIO_MEASURES and len(finite):
            # Diverging around 1 (no change), symmetric so equal distances from 1 get equal colour.
            norm, cmap = CenteredNorm(vcenter=1.0, halfrange=max(float(np.abs(finite - 1.0).max()), 1e-9)), "RdBu_r"
        else:
            norm, cmap = Normalize(*((finite.min(), finite.max()) if len(finite) else (0, 1))), "viridis"
        im = ax.imshow(data, origin="lower", aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
        colormap = plt.get_cmap(cmap)
        ax.set_xticks(range(data.shape[1]), [value_label(x, v) for v in grid.columns])
        ax.set_yticks(range(data.shape[0]), [value_label(row, v) for v in grid.index])
        if data.shape[0] * data.shape[1] <= 150:
            for (i, j), v in np.ndenumerate(data):
                if np.isfinite(v):
                    r, g, b, _ = colormap(norm(v))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
                else:
                    ax.text(j, i, "undefined", ha="center", va="center", fontsize=6, color="0.4")
        ax.set_xlabel(param_label(x))
        ax.set_ylabel(param_label(row))
        ax.set_title(_title(results, where))
        ax.spines[["top", "right"]].set_visible(True)
        cb = fig.colorbar(im, ax=ax, shrink=0.9)
        cb.set_label(measure_label(y, 40))
        _footer(fig, results, int(table["n"].max()) if len(table) else 0)
    return fig


def relocation_figure(results: Results, choice: dict[str, Any], where: dict[str, Any]) -> Any:
    """Share of moves by distance band (per run, then mean and t-interval across runs)."""
    moves = results.moves
    if moves.empty:
        raise PlotError(f"{results.path}: no relocations recorded (experiment.moves = false, or no compound moved)")
    runs, hue = choice["runs"], choice["hue"]
    wide = results.wide()
    cf_runs = wide[wide["role"] == "counterfactual"]
    km = moves["km"].to_numpy(float)
    top = float(np.quantile(km, 0.99)) if len(km) else 1.0
    step = 25.0 * max(1, math.ceil(top / 25.0 / 24))
    edges = np.arange(0.0, max(top, step) + step, step)
    by_run = {rid: g["km"].to_numpy(float) for rid, g in moves.groupby("run_id", sort=True)}

    def shares(ids: list[str]) -> np.ndarray:
        rows = []
        for rid in ids:
            k = by_run.get(rid, np.zeros(0))
            if len(k):
                h, _ = np.histogram(np.clip(k, 0, edges[-1] - 1e-9), edges)
                rows.append(h / len(k))
        return np.array(rows).reshape(-1, len(edges) - 1)

    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.2, 4.0), layout="constrained")
        groups = [(None, runs)] if hue is None else list(runs.groupby(hue, sort=False))
        if hue == "policy.type":
            groups.sort(key=lambda g: POLICY_TYPES.index(g[0]) if g[0] in POLICY_TYPES else 99)
        order = [g for g, _ in groups]
        n_max = 0
        series = [(value_label(hue, v) if hue else "policy runs", _color(hue, v, order) if hue else PALETTE(0), "-", g)
                  for v, g in groups]
        if len(cf_runs) and "none" not in order:  # a "none" line already is the counterfactual
            series.append(("no-policy run", "black", "--", cf_runs))
        for label, color, ls, g in series:
            s = shares(list(g["run_id"]))
            if not len(s):
                continue
            stats = [t_interval(s[:, b]) for b in range(s.shape[1])]
            mean = np.array([st[0] for st in stats])
            hi = np.array([st[2] for st in stats])
            lo = np.clip([st[1] for st in stats], 0, None)  # a share is never negative
            ax.stairs(mean, edges, color=color, ls=ls, lw=1.2, label=label)
            band = np.isfinite(lo) & np.isfinite(hi)
            if band.any():
                ax.stairs(np.where(band, hi, 0), edges, baseline=np.where(band, lo, 0), fill=True, color=color, alpha=0.15, lw=0)
            n_max = max(n_max, len(s))
        ax.set_xlabel("Distance of a compound's move since the policy started (km)")
        ax.set_ylabel(f"Share of a run's moves per {step:g} km band")
        title = _title(results, where)
        pooled = choice.get("pooled") or []
        if pooled:
            title += "\n" + "pooled over " + ", ".join(p.split(".")[-1].replace("_", " ") for p in pooled)
        ax.set_title(title)
        ax.set_xlim(0, edges[-1])
        ax.legend(title=param_label(hue, 24) if hue else None, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(True, lw=0.4, alpha=0.4)
        _footer(fig, results, 0)
    return fig


FIGURES = {"line": line_figure, "heatmap": heatmap_figure, "relocation": relocation_figure}


def save(fig: Any, stem: Path) -> list[Path]:
    """Write ``stem``.png and ``stem``.svg (reproducible bytes) and close the figure."""
    paths = [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.svg"]
    try:
        with plt.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"]}):  # fixed SVG element ids (read at save time)
            for p in paths:
                save_figure(fig, p)
    finally:
        plt.close(fig)
    return paths


def _slug(text: str) -> str:
    return text.split(".")[-1]


def plot_results(results: Results, x: str | None = None, y: str | None = None, hue: str | None = None,
                 where: list[str] | None = None, kind: str = "auto", out: str | Path | None = None) -> list[Path]:
    """Draw the figure(s) asked for and return the files written.

    With ``out`` one figure is written to ``out`` (.png and .svg); without it the main figure and,
    when relocations were recorded, the relocation-distance figure go to ``RESULTS/figures/``.
    """
    w = parse_where(where, results.parameters)
    choice = choose(results, x, y, hue, w, kind)
    fig = FIGURES[choice["kind"]](results, choice, w)
    if choice["kind"] == "relocation":
        name = "relocation-distance"
    else:
        name = f"{choice['kind']}-{_slug(choice['y'])}-vs-{_slug(choice['x'])}"
        if choice["kind"] == "heatmap":
            name += f"-{_slug(choice['hue'])}"
    suffix = "".join(f"-{_slug(k)}-{value_label(k, v).replace(' ', '_')}" for k, v in w.items())
    if out is not None:
        stem = Path(out)
        stem = stem.with_suffix("") if stem.suffix.lower() in (".png", ".svg", ".pdf") else stem
        return save(fig, stem)
    folder = results.path / "figures"
    written = save(fig, folder / (name + suffix))
    if kind == "auto" and not results.moves.empty:
        rchoice = choose(results, x, y, hue, w, "relocation")
        written += save(relocation_figure(results, rchoice, w), folder / ("relocation-distance" + suffix))
    return written
