"""The app's Inspect panel: the current figures of one jurisdiction or one compound, refreshed every frame.

A static picture cannot be clicked, so the item is picked from a menu: every jurisdiction of the map,
then the compounds holding the most people (``LARGEST``) and whichever compound is already picked.
Compounds are named by their Mesa ``unique_id``, which stays with a compound when it moves (its table
slot may be reused by another compound once it closes), so a picked compound is followed until it
closes. The figures are read, never recomputed: ``model.climate`` is the raid hazard operators read,
``weekly_raids`` the agency's budget, ``protection_eff`` the ground after the policy's levers.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import solara

if TYPE_CHECKING:
    from sim.core.agents import Compound
    from sim.core.model import ScamModel

#: Compounds offered in the menu besides the jurisdictions: the largest by people held.
LARGEST = 10
COMPOUND_PREFIX = "compound "


def compound_choice(compound: Compound) -> str:
    """The menu entry of a compound, e.g. 'compound 812' (its unique_id)."""
    return f"{COMPOUND_PREFIX}{compound.unique_id}"


def largest_compounds(model: ScamModel, n: int = LARGEST) -> list[Compound]:
    """The ``n`` compounds holding the most people now, largest first (ties: the older id first)."""
    compounds = list(model.compound_by_slot.values())
    compounds.sort(key=lambda c: (-int(c.workers), c.unique_id))
    return compounds[:n]


def choices(model: ScamModel, picked: str | None = None) -> list[str]:
    """The menu: jurisdictions in the map's order, then the largest compounds, then ``picked`` if not among them."""
    out = list(model.region.jurisdiction_names) + [compound_choice(c) for c in largest_compounds(model)]
    if picked and picked not in out:
        out.append(picked)
    return out


def find_compound(model: ScamModel, choice: str) -> Compound | None:
    """The compound a menu entry names, or None once it has closed (or moved off the map, overseas)."""
    uid = int(choice.removeprefix(COMPOUND_PREFIX))
    return next((c for c in model.compound_by_slot.values() if c.unique_id == uid), None)


def _raids_this_week(model: ScamModel, j: int) -> tuple[int, int]:
    """Raids made in jurisdiction ``j`` in the week last stepped, and how many succeeded."""
    flat = model.region.flat_jurisdiction
    made = succeeded = 0
    for week, cell, ok in reversed(model.raid_log):  # the log is in week order: stop at the week before
        if week != model.week:
            break
        if flat[cell] == j:
            made, succeeded = made + 1, succeeded + bool(ok)
    return made, succeeded


def jurisdiction_rows(model: ScamModel, name: str) -> list[tuple[str, str]]:
    """(label, value) rows of a jurisdiction now: people, compounds, raid risk and raids, protection, governance."""
    region = model.region
    j = region.jurisdiction_names.index(name)
    t = model.compound_table
    slots = t.slots
    here = region.flat_jurisdiction[t.site[slots]] == j
    made, succeeded = _raids_this_week(model, j)
    land = region.flat_jurisdiction == j
    protection = float(np.asarray(model.protection_eff).ravel()[land & region.land.ravel()].mean()) if land.any() else float("nan")
    climate = getattr(model, "climate", None)
    budget = getattr(model, "weekly_raids", None)
    return [
        ("jurisdiction", f"{name} (country {region.jurisdiction_country[j]})" if region.jurisdiction_country else name),
        ("people held", f"{int(t.workers[slots][here].sum()):,}"),
        ("compounds (known to the agency)", f"{int(here.sum())} ({int((t.known[slots] & here).sum())})"),
        ("perceived raid risk (per compound-week)", "-" if climate is None else f"{float(climate[j]):.3g}"),
        ("raid budget this week", "-" if budget is None else f"{float(budget[j]):.2f}"),
        ("raids this week (succeeded)", f"{made} ({succeeded})"),
        ("protection (effective, mean over its land)", f"{protection:.3f}"),
        ("governance", f"{float(region.jurisdiction_governance[j]):.3f}"),
    ]


def compound_rows(model: ScamModel, choice: str) -> list[tuple[str, str]]:
    """(label, value) rows of a compound now: operator, people, capacity, age, known, site and its jurisdiction."""
    c = find_compound(model, choice)
    if c is None:
        return [("compound", f"{choice.removeprefix(COMPOUND_PREFIX)}: closed, or moved off the map (overseas)")]
    region = model.region
    site = int(c.site)
    x, y = divmod(site, region.height)
    op = c.operator
    j = int(region.flat_jurisdiction[site])
    return [
        ("compound", str(c.unique_id)),
        ("operator", f"{op.unique_id} ({int(op.n_compounds)} compounds, capital US${float(op.capital):,.0f})"),
        ("people held", f"{int(c.workers):,}"),
        ("capacity", f"{int(c.capacity):,}"),
        ("age (weeks at this site)", str(int(c.age))),
        ("known to the agency", "yes" if bool(c.known) else "no"),
        ("moving (weeks of production lost)", str(int(c.relocating))),
        ("site jurisdiction", region.jurisdiction_names[j]),
        ("site cell (x, y)", f"({x}, {y})"),
        ("protection at the site (effective)", f"{float(np.asarray(model.protection_eff).ravel()[site]):.3f}"),
    ]


def rows(model: ScamModel, choice: str) -> list[tuple[str, str]]:
    """The rows of whichever item ``choice`` names (a jurisdiction or a compound)."""
    if choice in model.region.jurisdiction_names:
        return jurisdiction_rows(model, choice)
    return compound_rows(model, choice)


@solara.component
def InspectView(app, week: int):
    """The panel: a menu of items and the picked one's figures, read under the app's lock every frame."""
    model = app.simulation
    picked, set_picked = solara.use_state(model.region.jurisdiction_names[0])
    if picked not in model.region.jurisdiction_names and not picked.startswith(COMPOUND_PREFIX):
        picked = model.region.jurisdiction_names[0]  # a new scenario's map
    with app.lock:
        options = choices(model, picked)
        table = rows(model, picked)
    body = "".join(f'<tr><td>{html.escape(label)}</td><td style="text-align:right; padding-left:8px"><b>{html.escape(value)}</b></td></tr>'
                   for label, value in table)
    with solara.Column(gap="2px", style={"padding": "4px 8px", "height": "100%", "overflow-y": "auto"}) as main:
        solara.Select("Inspect", value=picked, values=options, on_value=set_picked)
        solara.HTML(tag="table", unsafe_innerHTML=body, style={"width": "100%", "font-size": "12px"}, classes=["scamsim-inspect"])
        solara.Text(f"Week {week}. Jurisdictions first, then the {LARGEST} compounds holding the most people now.",
                    style={"font-size": "11px", "color": "#666"})
    return main
