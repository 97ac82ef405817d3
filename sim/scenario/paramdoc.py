"""Generate the parameter reference (docs/parameters.md) from the metadata declared in ``sim.params.declarations``.

Every parameter is declared once, in ``sim.params.declarations``, with its unit, meaning, allowed range and source;
this module only lays that out as Markdown, so the reference cannot say anything the code does not.
The output is deterministic (no dates, declaration order), and tests/test_docs.py checks that the
committed file is exactly what this module generates now.

    python -m sim.scenario.paramdoc > docs/parameters.md     # print
    python -m sim.scenario.paramdoc --write                  # write docs/parameters.md atomically
    python -m sim.scenario.paramdoc --check                  # exit 1 if docs/parameters.md is out of date

``--write`` and ``--check`` act on the checkout's docs/parameters.md unless ``--path`` names another file;
an installed package has no docs/ folder, so there they need ``--path``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from sim.common.errors import EXIT_BAD_INPUT
from sim.common.resources import source_root
from sim.params.declarations import (
    JURISDICTION_FIELDS,
    RAID_MODES,
    ROOT_CAUSE_LEVERS,
    SECTIONS,
    ZONE_FIELDS,
    ZONE_KINDS,
    JurisdictionSpec,
    ZoneSpec,
)
from sim.scenario.loader import GENERATED_MAP, MAP_KEYS, TOP_LEVEL

#: Where the reference lives, relative to the repository root.
DOC_RELATIVE = Path("docs") / "parameters.md"
REGENERATE = "python -m sim.scenario.paramdoc --write"

#: The [map] keys: (allowed values, meaning). The checks themselves live in ``sim.scenario.loader._check_map``;
#: ``render`` fails if a key of ``sim.scenario.loader.MAP_KEYS`` has no entry here, so a new key cannot go
#: undocumented.
MAP_DOCS: dict[str, tuple[str, str]] = {
    "layout": ("list of equal-length strings", "character map, one string per row, north first; each character is a "
               "jurisdiction's `symbol`, and `.`, `~` or space marks a cell outside every jurisdiction (sea)"),
    "zones": ("list of strings, same shape as `layout`", "enclave zones laid over the layout: each character is a zone's "
              "`symbol`, `.` none (default: no zones)"),
    "generator": ("`voronoi`", "generate a seeded map instead of giving `layout` (cannot be combined with `layout`)"),
    "width": ("whole number 3 to 500", "generated map: cells west to east"),
    "height": ("whole number 3 to 500", "generated map: cells south to north"),
    "jurisdictions": ("whole number 1 to 26", "generated map: Voronoi jurisdictions around seeded centres"),
    "zone_count": ("whole number 0 to 26", "generated map: 3 x 3-cell enclave zones on jurisdiction borders"),
    "seed": ("whole number 0 up", "generated map: seed of the map (independent of `run.seed`)"),
}

#: Name-list parameters: what the names must be (checked in ``sim.scenario.loader.check_names``).
NAME_RULES: dict[str, str] = {
    "policy.jurisdictions": "jurisdiction names",
    "policy.buffer": "jurisdiction names",
    "policy.control": "jurisdiction names",
    "policy.cut_zones": "zone or jurisdiction names",
    "policy.revoke_concessions": "zone or jurisdiction names",
    "policy.mix": "raid modes: " + ", ".join(RAID_MODES),
}


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def fmt_value(value: Any) -> str:
    """A default as it would be written in a scenario file (TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            mantissa, exponent = f"{value:e}".split("e")
            mantissa = mantissa.rstrip("0")
            mantissa = mantissa + "0" if mantissa.endswith(".") else mantissa
            return f"{mantissa}e{int(exponent)}"
        return repr(value)
    return str(value)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e5 else fmt_value(float(x))


def _type_name(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    return {int: "int", float: "float", str: "string", tuple: "list"}.get(type(default), type(default).__name__)


def allowed(key: str, f: dataclasses.Field) -> str:
    """The allowed values of a parameter, as ``sim.scenario.loader.check_value`` enforces them."""
    meta, default = f.metadata, f.default
    if meta.get("choices"):
        return "one of: " + ", ".join(f"`{c}`" for c in meta["choices"])
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, tuple):
        return "list of " + NAME_RULES.get(key, "names")
    if isinstance(default, str):
        return "any text"
    lo, hi = meta.get("lo"), meta.get("hi")
    whole = "whole number" if isinstance(default, int) else "number"
    if lo is not None and hi is not None:
        return f"{whole} {_num(lo)} to {_num(hi)}"
    if lo is not None:
        return f"{whole} {_num(lo)} up"
    if hi is not None:
        return f"{whole} up to {_num(hi)}"
    return f"any {whole}"


def section_rows(section: str) -> list[dict[str, str]]:
    """One row per field of a parameter section: key, type, default, unit, allowed, meaning, source."""
    rows = []
    for f in dataclasses.fields(SECTIONS[section]):
        key = f"{section}.{f.name}"
        rows.append({
            "key": key,
            "type": _type_name(f.default),
            "default": fmt_value(f.default),
            "unit": f.metadata.get("unit", ""),
            "allowed": allowed(key, f),
            "meaning": f.metadata.get("doc", ""),
            "source": f.metadata.get("source", "assumption"),
        })
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _summary(cls: type) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0]


def _spec_defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls)}


def _entity_rows(fields: dict[str, tuple[str, str]], cls: type) -> list[list[str]]:
    defaults = _spec_defaults(cls)
    rows = []
    for key, (unit, doc) in fields.items():
        default = defaults.get(key, dataclasses.MISSING)
        if key == "symbol":
            rng = "one character other than `.`, `~` or space"
        elif key == "kind":
            rng = "one of: " + ", ".join(f"`{k}`" for k in ZONE_KINDS)
        elif key == "country":
            rng = "any text"
        else:
            rng = "number 0 to 1"
        shown = "required" if default is dataclasses.MISSING else fmt_value(default)
        rows.append([f"`{key}`", shown, unit, rng, doc])
    return rows


def render() -> str:
    """The whole of docs/parameters.md."""
    missing = [k for k in MAP_KEYS if k not in MAP_DOCS]
    if missing:
        raise KeyError(f"sim.scenario.paramdoc.MAP_DOCS has no entry for the [map] key(s) {missing}; add one")
    lines = [
        "# Parameter reference",
        "",
        f"<!-- Generated by sim/scenario/paramdoc.py from the metadata in sim/params/declarations.py; do not edit by hand. "
        f"Regenerate with `{REGENERATE}`. -->",
        "",
        "Every parameter of a scamsim run, generated from its single declaration in `sim/params/declarations.py`: the key as it",
        "is written in a scenario file (`[section]` table, `key = value`) or on the command line",
        "(`scamsim run FILE --set section.key=value`), its default, unit, allowed values, meaning and source.",
        "A source of \"assumption\" means the value is a modelling choice, not an estimate from the literature:",
        "those are the values a sensitivity analysis should vary first. Anything a scenario does not set takes",
        "the default shown here. How each parameter enters the model is described in `docs/ODD.md` (Submodels).",
        "",
        "## Scenario file layout",
        "",
        "A scenario file is TOML with these top-level keys and tables, in any order: "
        + ", ".join(f"`{k}`" if k == "extends" else f"`[{k}]`" for k in TOP_LEVEL) + ".",
        "",
        "- `extends = \"other.toml\"` (optional, first line by convention): a path relative to this file. The other file's",
        "  tables are read first and this file's values replace them key by key, recursively (a chain of files is",
        "  allowed, a cycle is an error). The scenario's recorded file hash covers every file in the chain.",
        "- One table per parameter section below (`[run]`, `[market]`, ... `[policy]`); unknown keys are errors that",
        "  name the file and the key, with the closest known key suggested.",
        "- `[map]`, `[jurisdictions.NAME]` and `[zones.NAME]` describe the region (see the last sections).",
        "",
        "Sections: " + ", ".join(f"[`[{s}]`](#{s})" for s in SECTIONS) + ", [`[map]`](#map), "
        "[`[jurisdictions.NAME]`](#jurisdictionsname), [`[zones.NAME]`](#zonesname).",
        "",
    ]
    header = ["key", "type", "default", "unit", "allowed", "meaning", "source"]
    for section, cls in SECTIONS.items():
        lines += [f"## {section}", "", _summary(cls), ""]
        if section == "policy":
            lines += [
                "The root-cause levers (" + ", ".join(f"`policy.{k}`" for k in ROOT_CAUSE_LEVERS) + ") may be set only",
                "when `policy.type` is `root_causes` or `combined`; `policy.mix` only with `combined`. Names in list",
                "parameters must exist on the map.",
                "",
                "**Timelines.** Instead of one `[policy]`, a scenario may hold a list of policy events, each a `[[timeline]]`",
                "table with the keys of `[policy]` below and a required `name` (a letter, then letters, digits, `_` or `-`;",
                "unique in the scenario: it keys the event's own random stream). With `run.start_date` set, an event may give",
                "`start = \"2022-09-15\"` and `end = \"...\"` (ISO dates) instead of `start_week` and `end_week`; a date falls",
                "in week `(date - start_date) // 7 + 1`. Events act together (how each mechanism combines: docs/ODD.md,",
                "Policy timelines). A file's `[[timeline]]` replaces the timeline and the `[policy]` it inherits through",
                "`extends`; `[[timeline_append]]` adds events to the inherited timeline. A `[policy]` with a type other",
                "than `none` next to a timeline is an error, and `--set` cannot edit timeline events. Every problem names",
                "the file, the event (`[[timeline]] #3 (name)`, counted from 1) and the key.",
                "",
            ]
        rows = section_rows(section)
        lines += _table(header, [[f"`{r['key']}`", r["type"], f"`{r['default']}`", r["unit"], r["allowed"], r["meaning"],
                                  r["source"]] for r in rows])
        lines.append("")
    generated = ", ".join(f"`map.{k} = {fmt_value(v)}`" for k, v in GENERATED_MAP.items())
    lines += [
        "## map",
        "",
        "The region. Either a hand-drawn `layout` (with a `[jurisdictions.NAME]` table for each symbol it uses and a",
        "`[zones.NAME]` table for each zone symbol), or `generator = \"voronoi\"` with the generator's keys. A",
        f"scenario with no `[map]` gets the generated default map: {generated}.",
        "Generated jurisdictions are named `JA`, `JB`, ... and zones `Z1`, `Z2`, ...; their attributes are drawn from",
        "the map seed by `sim.world.space.seeded_map`, and `[jurisdictions.NAME]` / `[zones.NAME]` tables in the file may",
        "override them by name.",
        "",
    ]
    lines += _table(["key", "default (generated map)", "allowed", "meaning"],
                    [[f"`map.{k}`", f"`{fmt_value(GENERATED_MAP[k])}`" if k in GENERATED_MAP else "-", MAP_DOCS[k][0],
                      MAP_DOCS[k][1]] for k in MAP_KEYS])
    lines += [
        "",
        "## jurisdictions.NAME",
        "",
        _summary(JurisdictionSpec) + " The table name is the jurisdiction's name (used in `policy.jurisdictions`,",
        "`policy.buffer`, `policy.control` and in the `workers_NAME` output columns).",
        "",
    ]
    lines += _table(["key", "default", "unit", "allowed", "meaning"], _entity_rows(JURISDICTION_FIELDS, JurisdictionSpec))
    lines += [
        "",
        "## zones.NAME",
        "",
        _summary(ZoneSpec) + " A zone's values replace those of the jurisdiction under it (governance always stays",
        "the jurisdiction's); outside every zone a cell's concession is 0.",
        "",
    ]
    lines += _table(["key", "default", "unit", "allowed", "meaning"], _entity_rows(ZONE_FIELDS, ZoneSpec))
    lines.append("")
    return "\n".join(lines)


def doc_path() -> Path:
    """docs/parameters.md of the checkout this package runs from; FileNotFoundError when it is installed."""
    root = source_root()
    if root is None:
        raise FileNotFoundError(f"scamsim is installed, not run from a checkout, so there is no {DOC_RELATIVE.as_posix()} "
                                f"to write or check; name the file with --path FILE (or run from a checkout)")
    return root / DOC_RELATIVE


def write(path: Path | None = None) -> Path:
    """Write the reference atomically to ``path`` (default: the checkout's docs/parameters.md); returns the file."""
    from sim.common.files import atomic_write

    target = doc_path() if path is None else Path(path)
    text = render()
    atomic_write(target, lambda p: p.write_text(text, encoding="utf-8"))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.scenario.paramdoc", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"write {DOC_RELATIVE.as_posix()} (or --path) atomically")
    group.add_argument("--check", action="store_true", help="exit 1 if the committed file differs from what would be generated")
    parser.add_argument("--path", type=Path, metavar="FILE",
                        help=f"the file to write or check (default: {DOC_RELATIVE.as_posix()} of the checkout)")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(render())
        return 0
    try:
        path = doc_path() if args.path is None else args.path
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.write:
        write(path)
        print(f"wrote {path}", file=sys.stderr)
        return 0
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != render():
        print(f"{path} is out of date; regenerate with `{REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
