"""``scamsim table``: a sweep's measures per design point, for a terminal, a spreadsheet or a document.

Every cell is the mean over replications with its Student-t 95% interval, but only when
``sim.viz.readings.assess`` says the measure can be quoted there; otherwise the cell says why not
(undefined, unstable, one run). Design points that differ only in policy types the scenario cannot tell
apart (``sim.viz.equivalence``) are named in a warning, so nobody reads a difference into the same run.

Formats: ``text`` (default; aligned columns with short names, wrapped into blocks that fit the
terminal, full labels and reliability notes below), ``markdown`` (one table with the labels of the
figures), ``csv`` and ``json`` (one record per design point and measure, with mean, interval, n and
the reliability verdict, for programs).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from sim.cli.common import EXIT_OK, print_errors

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments.store import Results
    from sim.params.declarations import Params
    from sim.viz.readings import Reading

FORMATS = ("text", "markdown", "csv", "json")


# ---- numbers and cells -----------------------------------------------------------------------------------

def num(v: float) -> str:
    """A compact number: 3 significant digits, thousands as k and millions as M (US$ sums stay short; no e+03).

    A value under 10 that 3 digits would round onto a whole number it is not (0.99989 to "1", 1.0004 to "1") gets the
    digits that tell it apart, up to 6: whether an interval of a ratio reaches 1 is what a reader looks for.
    """
    if not math.isfinite(v):
        return "nan"
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.3g}G"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 999.5:  # from what 3 digits would print as 1e+03
        return f"{v / 1e3:.3g}k"
    text = f"{v:.3g}"
    for digits in range(4, 7) if a < 10 else ():  # ratios and shares
        if float(text) != round(float(text)) or float(text) == v:
            break
        text = f"{v:.{digits}g}"
    return text


def cell(r: Reading, with_n: bool) -> str:
    """A reading as a table cell: an interval only when the reading is stable."""
    from sim.viz.readings import TOO_FEW, UNDEFINED, UNSTABLE

    n = f" (n={r.n})" if with_n else ""
    if r.status == UNDEFINED:
        return "undefined"
    if r.status == TOO_FEW:
        return f"{num(r.mean)} (one run, no interval)"
    if r.status == UNSTABLE:
        return f"{num(r.mean)} unstable" + (f" (n={r.n})" if with_n else "")
    return f"{num(r.mean)} [{num(r.lo)}, {num(r.hi)}]{n}"


def short(key: str, keys: list[str]) -> str:
    """The last part of a dotted key, or the whole key when another key ends the same way."""
    last = key.rsplit(".", 1)[-1]
    return last if sum(k.rsplit(".", 1)[-1] == last for k in keys) == 1 else key


# ---- the readings -------------------------------------------------------------------------------------------

def readings(wide: pd.DataFrame, params: list[str], measures: list[str]) -> list[dict[str, Any]]:
    """One record per design point and measure: parameter values, the reading and its verdict."""
    from sim.viz.readings import assess

    rows = []
    for point, g in wide.groupby("point", sort=True):
        values = {p: _plain(g[p].iloc[0]) for p in params}
        for m in measures:
            r = assess(g[m].to_numpy(float), m)
            rows.append({"point": int(point), "parameters": values, "measure": m, "reading": r, "runs": len(g)})
    return rows


def _plain(v: Any) -> Any:
    """A parameter value as a JSON-ready Python scalar."""
    if hasattr(v, "item"):
        v = v.item()
    return v


# ---- policy types that cannot differ ------------------------------------------------------------------------

def base_params(manifest: dict[str, Any]) -> Params | None:
    """The sweep's base parameters, rebuilt from the manifest (None when it predates ``base_parameters``)."""
    from sim.params.declarations import SECTIONS, Params
    from sim.params.maps import JurisdictionSpec, MapSpec, ZoneSpec

    base = manifest.get("base_parameters")
    if not isinstance(base, dict):
        return None
    try:
        sections = {s: cls(**base[s]) for s, cls in SECTIONS.items() if s in base}
        m = base.get("map")
        spec = None if m is None else MapSpec(
            layout=tuple(m["layout"]), zones_layout=tuple(m["zones_layout"]),
            jurisdictions=tuple(JurisdictionSpec(**j) for j in m["jurisdictions"]), zones=tuple(ZoneSpec(**z) for z in m["zones"]))
        return Params(**sections, map=spec)
    except (KeyError, TypeError, ValueError):
        return None


def equivalence_notes(results: Results, wide: pd.DataFrame) -> list[str]:
    """Warnings naming design points whose policy types cannot differ under their (otherwise equal) parameters."""
    from sim.viz.equivalence import equivalence_warnings, equivalent_policies

    params = [p for p in results.parameters if p in wide.columns]
    if "policy.type" not in params:
        return []
    base = base_params(results.manifest)
    if base is None:
        return []
    others = [p for p in params if p != "policy.type"]
    points = wide.drop_duplicates("point").sort_values("point")
    notes = []
    for _, group in points.groupby(others, sort=False, dropna=False) if others else [(None, points)]:
        types = list(dict.fromkeys(group["policy.type"]))
        if len(types) < 2:
            continue
        first = group.iloc[0]
        p = base.with_values({k: _plain(first[k]) for k in others})
        at = "; ".join(f"{k} = {_plain(first[k])}" for k in others)
        for types_alike, text in zip(equivalent_policies(p, types), equivalence_warnings(p, types), strict=True):
            ids = [str(int(i)) for i in group.loc[group["policy.type"].isin(types_alike), "point"]]
            notes.append(f"points {', '.join(ids)}{f' ({at})' if at else ''}: {text.replace('`', '')}")
    return notes


# ---- formats -------------------------------------------------------------------------------------------------

def _grid(head: list[str], rows: list[list[str]], fixed: int, width: int) -> list[str]:
    """Aligned columns; the columns after the first ``fixed`` are split into blocks no wider than ``width``.

    Long headers are broken at underscores so that a column is as wide as its values, not its name."""
    def header_lines(h: str, w: int) -> list[str]:
        parts, lines = h.split("_"), [""]
        for k, part in enumerate(parts):
            piece = part + ("_" if k < len(parts) - 1 else "")
            if lines[-1] and len(lines[-1]) + len(piece) > w:
                lines.append("")
            lines[-1] += piece
        return lines

    widths = []
    for j, h in enumerate(head):
        values = max((len(r[j]) for r in rows), default=0)
        parts = h.split("_")
        widths.append(max(values, min(len(h), max(values, 14)), *(len(q) + (k < len(parts) - 1) for k, q in enumerate(parts))))
    fixed_w = sum(widths[:fixed]) + 3 * fixed + 1
    blocks: list[list[int]] = [[]]
    used = fixed_w
    for j in range(fixed, len(head)):
        if blocks[-1] and used + widths[j] + 3 > width:
            blocks.append([])
            used = fixed_w
        blocks[-1].append(j)
        used += widths[j] + 3
    out: list[str] = []
    for b, block in enumerate(blocks):
        cols = [*range(fixed), *block]
        wrapped = {j: header_lines(head[j], widths[j]) for j in cols}
        depth = max(len(v) for v in wrapped.values())
        if b:
            out.append("")
        for k in range(depth):
            out.append("| " + " | ".join((wrapped[j][k] if k < len(wrapped[j]) else "").ljust(widths[j]) for j in cols) + " |")
        out.append("|" + "|".join("-" * (widths[j] + 2) for j in cols) + "|")
        out.extend("| " + " | ".join(r[j].ljust(widths[j]) for j in cols) + " |" for r in rows)
    return out


def _notes(records: list[dict[str, Any]]) -> list[str]:
    """Why a cell has no interval, one line per measure and verdict (the design points listed)."""
    from sim.viz.readings import STABLE

    seen: dict[tuple[str, str, str], list[str]] = {}
    for r in records:
        g = r["reading"]
        if g.status != STABLE:
            seen.setdefault((r["measure"], g.status, g.reason), []).append(str(r["point"]))
    return [f"{m}: {status} at point{'s' if len(ids) > 1 else ''} {', '.join(ids)}{f' ({why})' if why else ''}"
            for (m, status, why), ids in seen.items()]


def _by_point(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for r in records:
        out.setdefault(r["point"], {"parameters": r["parameters"], "runs": r["runs"], "cells": {}})["cells"][r["measure"]] = r["reading"]
    return out


def _point_name(point: int, values: dict[str, Any]) -> str:
    """``point 3: type=network, base_cost=3e+06``: each parameter named (shortest unique name), an empty list as ``[]``."""
    keys = list(values)
    shown = ", ".join(f"{short(k, keys)}={v if str(v) != '' else '[]'}" for k, v in values.items())
    return f"point {point}" + (f": {shown}" if values else "")


def text(records: list[dict[str, Any]], params: list[str], measures: list[str], transpose: bool, width: int) -> str:
    from sim.viz.sweeps import measure_label

    points = _by_point(records)
    lines: list[str] = []
    legend = [""] + [line for p, v in points.items()  # below the table: it starts the output
                     for line in textwrap.wrap(_point_name(p, v["parameters"]), width, subsequent_indent="    ")]
    if transpose:
        head = ["measure", *(f"point {p}" for p in points)]
        rows = [[short(m, measures), *(cell(v["cells"][m], False) for v in points.values())] for m in measures]
        lines += _grid(head, rows, 1, width) + legend
    else:
        inline = params
        if sum(max(len(short(k, params)), *(len(str(v["parameters"][k])) for v in points.values())) + 3 for k in params) > width // 3:
            inline = []  # parameters too wide to repeat in every block: listed below the table instead
        head = ["point", *(short(p, params) for p in inline), *(short(m, measures) for m in measures)]
        rows = [[str(p), *(str(v["parameters"][k]) for k in inline), *(cell(v["cells"][m], False) for m in measures)]
                for p, v in points.items()]
        lines += _grid(head, rows, len(inline) + 1, width) + (legend if not inline and params else [])
    runs = sorted({v["runs"] for v in points.values()})
    lines += ["", f"mean [Student-t 95% interval] over the {'/'.join(map(str, runs))} runs of each design point; measures:"]
    for m in measures:
        lines += textwrap.wrap(f"{short(m, measures)}: {measure_label(m, 10_000)} [{m}]", width,
                               initial_indent="  ", subsequent_indent="      ", break_on_hyphens=False)
    notes = _notes(records)
    if notes:
        lines += ["", "not to be quoted as a number with an interval:"]
        for n in notes:
            lines += textwrap.wrap(n, width, initial_indent="  ", subsequent_indent="      ")
    return "\n".join(lines)


def markdown(records: list[dict[str, Any]], params: list[str], measures: list[str], transpose: bool) -> str:
    from sim.viz.sweeps import measure_label

    points = _by_point(records)

    def table(head: list[str], rows: list[list[str]]) -> list[str]:
        return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]

    if transpose:
        lines = table(["measure", *(_point_name(p, v["parameters"]) for p, v in points.items())],
                      [[measure_label(m, 10_000), *(cell(v["cells"][m], True) for v in points.values())] for m in measures])
    else:
        lines = table(["point", *params, *(measure_label(m, 10_000) for m in measures)],
                      [[str(p), *(str(v["parameters"][k]) for k in params), *(cell(v["cells"][m], True) for m in measures)]
                       for p, v in points.items()])
    notes = _notes(records)
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    return "\n".join(lines)


def flat(records: list[dict[str, Any]], params: list[str]) -> list[dict[str, Any]]:
    """Records for CSV and JSON: numbers as numbers (None where there is none), the verdict in words."""
    from sim.viz.sweeps import measure_label

    def number(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    out = []
    for r in records:
        g: Reading = r["reading"]
        interval = g.n > 1
        out.append({"point": r["point"], **{k: r["parameters"][k] for k in params}, "measure": r["measure"],
                    "label": measure_label(r["measure"], 10_000), "mean": number(g.mean),
                    "lo": number(g.lo) if interval else None, "hi": number(g.hi) if interval else None,
                    "n": g.n, "runs": r["runs"], "reliability": g.status, "reason": g.reason})
    return out


# ---- the command -------------------------------------------------------------------------------------------

def cmd_table(args: argparse.Namespace) -> int:
    from sim.cli.sweep import check_coverage
    from sim.experiments.store import StoreError, load_results

    try:
        results = load_results(args.results)
    except StoreError as exc:
        return print_errors([str(exc)])
    problems = check_coverage(results)
    if problems:
        return print_errors(problems)
    measures = args.measures or list(results.measure_names)
    unknown = [m for m in measures if m not in results.measure_names]
    if unknown:
        return print_errors([f"{args.results}: no measure {m!r}; recorded: {', '.join(results.measure_names)}" for m in unknown])
    if args.width is not None and args.width < 20:
        return print_errors([f"--width {args.width}: give 20 or more columns"])
    wide = results.wide()
    wide = wide[wide["role"] != "counterfactual"]
    params = [c for c in results.parameters if c in wide.columns]
    records = readings(wide, params, measures)
    warnings = equivalence_notes(results, wide)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"results": str(results.path), "experiment": results.manifest.get("experiment", {}).get("name"),
                          "warnings": warnings, "rows": flat(records, params)}, indent=1, allow_nan=False))
    elif args.format == "csv":
        rows = flat(records, params)
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["point", "measure"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif args.format == "markdown":
        print(markdown(records, params, measures, args.transpose))
    else:
        width = args.width or shutil.get_terminal_size((80, 24)).columns
        print(text(records, params, measures, args.transpose, width))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scamsim table`` to ``scamsim``'s parser."""
    p = subparsers.add_parser(
        "table", help="measures of a sweep per design point: mean [t 95%% interval], as text, Markdown, CSV or JSON",
        description="Mean and Student-t 95% interval across replications of each design point (undefined values dropped). "
                    "A cell gives an interval only when the measure can be quoted; otherwise it says 'undefined', "
                    "'unstable' or 'one run', and the notes say why. Design points whose policy types cannot differ "
                    "under the scenario are named in a warning on stderr.")
    p.add_argument("results", help="results folder written by scamsim sweep")
    p.add_argument("--measures", nargs="+", metavar="MEASURE", help="measures to show, in this order (default: all recorded)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text: aligned columns wrapped to the terminal (default); markdown: one table with full labels; "
                        "csv, json: one record per design point and measure, for programs")
    p.add_argument("--transpose", action="store_true", help="one row per measure and one column per design point "
                                                            "(text and markdown)")
    p.add_argument("--width", type=int, metavar="N", help="columns of text to fit (default: the terminal's width, 80 when "
                                                        "not a terminal)")
    p.set_defaults(func=cmd_table)
