"""Pictures of a running model for the browser app: the map and the headline measures.

Plain functions and small classes of a model (no Solara here), so they can be tested, timed and
reused in a notebook: ``map_figure(model)`` returns an ordinary matplotlib figure, ``headline(model)``
the measures as text (computed by ``sim.measures``). The charts are in ``sim.viz.charts``.

The app redraws every few weeks, and on a shared 2-core machine a full matplotlib draw of a figure
costs 0.1-0.2 s, mostly laying out text. So the app keeps one ``Painter`` per picture and model: the
static part (ground, borders, axes, legends) is drawn once and kept as a bitmap, and each frame only
redraws the artists that change (Agg blitting) before encoding the PNG.

Every figure is a ``matplotlib.figure.Figure`` with its own Agg canvas (no pyplot): nothing is kept
in pyplot's global figure registry, and the app's worker thread can draw safely.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from sim.measures.run import result_of, summarise
from sim.world.space import SEA

if TYPE_CHECKING:
    from sim.core.model import ScamModel

#: Jurisdiction colours (tab10 order); the ground shows them paled, the charts at full strength.
JURISDICTION_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                        "#17becf")
SEA_COLOUR = "#dbe9f4"
ZONE_COLOURS = {"sez": "#d4a017", "armed_group": "#7b1e1e", "other": "#555555"}
ZONE_LABELS = {"sez": "special economic zone", "armed_group": "armed-group enclave", "other": "other enclave"}
OPERATOR_COLOURS = np.asarray(matplotlib.colormaps["tab20"].colors)
RAID_SUCCEEDED, RAID_FAILED = "#c00000", "#ff9900"
MOVE_WITHIN, MOVE_ACROSS = "#333333", "#6a0dad"
GROUND_PALE = 0.55  # share of white mixed into jurisdiction colours on the map
RAID_WEEKS = 4  # raids of this many most recent weeks are marked, older ones fading
TRAIL_WEEKS = 12  # relocations of this many most recent weeks are drawn as trails
DPI = 100


def jurisdiction_colour(k: int) -> str:
    return JURISDICTION_COLOURS[k % len(JURISDICTION_COLOURS)]


# ---- what the map shows, as arrays ---------------------------------------------------------------

def ground_rgb(model: ScamModel) -> np.ndarray:
    """The map's ground as an RGB image indexed [y, x] (for ``imshow`` with ``origin="lower"``).

    Jurisdictions in pale colours, enclave zones tinted by kind, sea light blue.
    """
    r = model.region
    jur = r.jurisdiction
    colours = np.array([to_rgb(jurisdiction_colour(k)) for k in range(r.n_jurisdictions)])
    table = np.vstack([GROUND_PALE + (1 - GROUND_PALE) * colours, [to_rgb(SEA_COLOUR)]]) if len(colours) else np.array([to_rgb(SEA_COLOUR)])
    rgb = table[np.where(jur == SEA, len(table) - 1, jur)]
    if len(r.zone_names):
        kinds = np.array([to_rgb(ZONE_COLOURS.get(k, ZONE_COLOURS["other"])) for k in r.zone_kinds])
        inside = r.zone >= 0
        rgb[inside] = 0.35 * rgb[inside] + 0.65 * kinds[r.zone[inside]]
    return rgb.transpose(1, 0, 2)


def edges(labels: np.ndarray, outline_only: bool = False) -> np.ndarray:
    """Cell-edge segments between neighbouring cells whose labels differ, as an (n, 2, 2) array.

    ``labels`` is indexed [x, y] and cell (x, y) is centred on (x, y). With ``outline_only`` an edge
    between two cells labelled -1 is never drawn (which outlines zones: -1 is outside every zone).
    """
    segs = []
    for axis in (0, 1):
        a = labels[:-1, :] if axis == 0 else labels[:, :-1]
        b = labels[1:, :] if axis == 0 else labels[:, 1:]
        diff = a != b
        if outline_only:
            diff &= (a >= 0) | (b >= 0)
        xs, ys = np.nonzero(diff)
        if axis == 0:  # x-neighbours share a vertical edge at x + 0.5
            p0, p1 = np.stack([xs + 0.5, ys - 0.5], 1), np.stack([xs + 0.5, ys + 0.5], 1)
        else:  # y-neighbours share a horizontal edge at y + 0.5
            p0, p1 = np.stack([xs - 0.5, ys + 0.5], 1), np.stack([xs + 0.5, ys + 0.5], 1)
        segs.append(np.stack([p0, p1], 1).astype(float))
    return np.concatenate(segs)


def compound_marker_size(workers: np.ndarray | float, cell_points: float = 11.0) -> np.ndarray:
    """Marker area (points^2) of a compound holding ``workers`` people on cells ``cell_points`` wide.

    Area grows linearly with workers: a 1,000-worker compound is about two thirds of a cell across.
    """
    return cell_points**2 * (0.08 + 0.4 * np.asarray(workers, dtype=float) / 1000.0)


def compound_points(model: ScamModel, cell_points: float = 11.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y) offsets jittered within the cell, marker sizes and RGBA colours of every live compound.

    Colour is the operator's (the syndicate's when the scenario has syndicates); a compound that is
    moving, and so producing nothing, is drawn faint.
    """
    t, r = model.compound_table, model.region
    slots = t.slots
    sites = t.site[slots]
    angle = slots * 2.399963  # golden angle: compounds sharing a cell land apart, fixed per slot
    xy = np.column_stack([sites // r.height + 0.28 * np.cos(angle), sites % r.height + 0.28 * np.sin(angle)])
    owner = t.operator[slots]
    key = model.operator_table.syndicate[owner] if model.params.operators.syndicates > 0 else owner
    colours = np.ones((len(slots), 4))
    colours[:, :3] = OPERATOR_COLOURS[np.mod(key, len(OPERATOR_COLOURS))]
    colours[t.relocating[slots] > 0, 3] = 0.3
    return xy, compound_marker_size(t.workers[slots], cell_points), colours


def recent_raids(model: ScamModel, weeks: int = RAID_WEEKS) -> tuple[np.ndarray, np.ndarray]:
    """Cells (as x, y offsets) and RGBA colours of raids in the last ``weeks`` weeks (this week's opaque)."""
    r, week = model.region, model.week
    rows = []
    for w, cell, ok in reversed(model.raid_log):
        if w <= week - weeks:
            break
        rows.append((cell, ok, week - w))
    if not rows:
        return np.zeros((0, 2)), np.zeros((0, 4))
    cells = np.array([c for c, _, _ in rows])
    colours = np.array([to_rgba(RAID_SUCCEEDED if ok else RAID_FAILED) for _, ok, _ in rows])
    colours[:, 3] = 1.0 - np.array([age for _, _, age in rows]) / weeks
    return np.column_stack([cells // r.height, cells % r.height]).astype(float), colours


def recent_trails(model: ScamModel, weeks: int = TRAIL_WEEKS) -> tuple[np.ndarray, np.ndarray]:
    """Segments from old to new site of the relocations of the last ``weeks`` weeks, and their colours."""
    r, week = model.region, model.week
    rows = []
    for w, origin, dest, _km, cross, _forced in reversed(model.moves):
        if w <= week - weeks:
            break
        rows.append((origin, dest, cross, week - w))
    if not rows:
        return np.zeros((0, 2, 2)), np.zeros((0, 4))
    a = np.array([[o, d] for o, d, _, _ in rows])
    segs = np.stack([np.column_stack([a[:, 0] // r.height, a[:, 0] % r.height]),
                     np.column_stack([a[:, 1] // r.height, a[:, 1] % r.height])], 1).astype(float)
    colours = np.array([to_rgba(MOVE_ACROSS if cross else MOVE_WITHIN) for _, _, cross, _ in rows])
    colours[:, 3] = 0.1 + 0.9 * (1.0 - np.array([age for _, _, _, age in rows]) / weeks)
    return segs, colours


# ---- painters: a figure drawn once, with the changing artists redrawn each frame ------------------

class Painter:
    """A figure whose ``dynamic`` artists are redrawn over a cached bitmap of everything else."""

    def __init__(self, figsize: tuple[float, float]) -> None:
        self.figure = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.dynamic: list = []  # (axes, artist) pairs, drawn in this order
        self._background = None

    def animate(self, ax, artist):
        artist.set_animated(True)
        self.dynamic.append((ax, artist))
        return artist

    def invalidate(self) -> None:
        """The static part changed (e.g. an axis grew): redraw it on the next frame."""
        self._background = None

    def render(self) -> np.ndarray:
        """Draw the current frame into the canvas and return it as an RGBA array (height x width x 4)."""
        if self._background is None:
            self.canvas.draw()  # animated artists are left out
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        for ax, artist in self.dynamic:
            if artist.get_visible():
                ax.draw_artist(artist)
        return np.asarray(self.canvas.buffer_rgba())

    def png(self) -> bytes:
        """The current frame as PNG bytes (what the app sends to the browser)."""
        buf = io.BytesIO()
        Image.fromarray(self.render()[..., :3]).save(buf, format="png", compress_level=1)
        return buf.getvalue()


class MapPainter(Painter):
    """The region with compounds sized by workers, this week's raids and recent relocation trails."""

    #: Largest map box (inches) and legend width; at the app's 100 dpi the figure is about 660 px wide.
    MAP_BOX = (4.5, 3.6)
    LEGEND_WIDTH = 2.05

    def __init__(self, model: ScamModel) -> None:
        r = model.region
        scale = min(self.MAP_BOX[0] / r.width, self.MAP_BOX[1] / r.height)
        map_w, map_h = r.width * scale, r.height * scale
        self.cell_points = scale * 72.0
        super().__init__((map_w + self.LEGEND_WIDTH + 0.1, max(map_h + 0.3, 3.3)))
        fw, fh = self.figure.get_size_inches()
        ax = self.figure.add_axes((0.03 / fw, (fh - map_h - 0.27) / fh, map_w / fw, map_h / fh))
        self.ax = ax
        w, h = r.width, r.height
        ax.imshow(ground_rgb(model), origin="lower", extent=(-0.5, w - 0.5, -0.5, h - 0.5), interpolation="nearest")
        ax.add_collection(LineCollection(edges(r.jurisdiction), colors="#222222", linewidths=0.9))
        if len(r.zone_names):
            ax.add_collection(LineCollection(edges(r.zone, outline_only=True), colors="black", linewidths=0.6, linestyles=(0, (2, 1.5))))
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(-0.5, h - 0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("compounds (size: people held), raids and relocations", fontsize=8.5, loc="left")
        self.figure.legend(handles=legend_handles(model, self.cell_points), loc="upper left",
                           bbox_to_anchor=((map_w + 0.12) / fw, 1 - 0.05 / fh), fontsize=7, frameon=False, borderaxespad=0.0,
                           handlelength=1.5, labelspacing=0.3)
        self.trails = self.animate(ax, ax.add_collection(LineCollection([], linewidths=1.0)))
        self.compounds = self.animate(ax, ax.scatter(np.zeros(0), np.zeros(0), edgecolors="black", linewidths=0.4, zorder=3))
        self.raids = self.animate(ax, ax.scatter(np.zeros(0), np.zeros(0), s=0.6 * self.cell_points**2, marker="x", linewidths=1.6,
                                                 zorder=4))
        self.week = self.animate(ax, ax.text(0.99, 0.015, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                                             bbox={"boxstyle": "round", "fc": "white", "ec": "0.6", "alpha": 0.8}))
        self.update(model)

    def update(self, model: ScamModel) -> MapPainter:
        segs, colours = recent_trails(model)
        self.trails.set_segments(segs)
        self.trails.set_color(colours)
        xy, sizes, colours = compound_points(model, self.cell_points)
        self.compounds.set_offsets(xy)
        self.compounds.set_sizes(sizes)
        self.compounds.set_facecolors(colours)
        self.compounds.set_edgecolors(np.where(colours[:, 3:] < 1, [0.4, 0.4, 0.4, 0.5], [0, 0, 0, 1]) if len(colours) else "black")
        xy, colours = recent_raids(model)
        self.raids.set_offsets(xy)
        self.raids.set_color(colours)
        self.week.set_text(f"week {model.week}")
        return self


def legend_handles(model: ScamModel, cell_points: float = 11.0) -> list:
    """Proxy artists for the map's legend."""
    r = model.region
    handles: list = [Patch(facecolor=GROUND_PALE + (1 - GROUND_PALE) * np.array(to_rgb(jurisdiction_colour(k))), edgecolor="#222222",
                           linewidth=0.6, label=name) for k, name in enumerate(r.jurisdiction_names)]
    for kind in dict.fromkeys(r.zone_kinds):
        handles.append(Patch(facecolor=ZONE_COLOURS.get(kind, ZONE_COLOURS["other"]), edgecolor="black", linestyle=(0, (2, 1.5)),
                             linewidth=0.6, label=ZONE_LABELS.get(kind, kind)))
    by = "syndicate" if model.params.operators.syndicates > 0 else "operator"
    for n in (100, 300, 1000):
        size = float(np.sqrt(compound_marker_size(n, cell_points)))
        handles.append(Line2D([], [], ls="", marker="o", markersize=size, markerfacecolor="#bbbbbb", markeredgecolor="black",
                              markeredgewidth=0.4, label=f"compound, {n} held"))
    handles.append(Line2D([], [], ls="", label=f"  colour: {by}; faint: moving"))
    handles.append(Line2D([], [], ls="", marker="x", color=RAID_SUCCEEDED, markeredgewidth=1.8, label="raid that succeeded"))
    handles.append(Line2D([], [], ls="", marker="x", color=RAID_FAILED, markeredgewidth=1.8, label="raid failed or tipped off"))
    handles.append(Line2D([], [], color=MOVE_WITHIN, lw=1.0, label="move within a jurisdiction"))
    handles.append(Line2D([], [], color=MOVE_ACROSS, lw=1.0, label="move across a border"))
    handles.append(Line2D([], [], ls="", label=f"  raids: last {RAID_WEEKS} weeks"))
    handles.append(Line2D([], [], ls="", label=f"  moves: last {TRAIL_WEEKS} weeks"))
    return handles


# ---- plain functions ----------------------------------------------------------------------------

def map_figure(model: ScamModel) -> Figure:
    """The map of ``model`` now, as a figure (save it with ``fig.savefig``)."""
    return MapPainter(model).figure


def fmt(value: float | None, digits: int = 3) -> str:
    """A measure for display: 'undefined' for None (never a made-up number)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "undefined"
    return f"{value:.{digits}f}"


LEVER_LABELS = {"aml_share": "AML", "inflow_reduction": "inflow cut", "protection_sanctions": "sanctions",
                "demand_reduction": "demand cut", "infrastructure_cut": "infrastructure cut"}


def lever_text(policy) -> str:
    """The root-cause levers a policy sets away from neutral, e.g. 'AML 0.2, inflow cut 0.5' ('none')."""
    parts = [f"{label} {getattr(policy, key):g}" for key, label in LEVER_LABELS.items() if getattr(policy, key, 0.0) > 0]
    if policy.repatriation_share >= 0:
        parts.append(f"repatriation {policy.repatriation_share:g}")
    return ", ".join(parts) or "none"


def raid_text(model: ScamModel) -> str:
    """The policy's raid frequency, or 'background' for types that do not set their own."""
    if getattr(model.policy, "raids", False):
        return f"{model.params.policy.raid_frequency:g} per agency-year"
    return f"background ({model.params.enforcement.background_raid_frequency:g})"


def headline(model: ScamModel, counterfactual: ScamModel | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs of the headline measures so far.

    The measures are ``sim.measures.run.summarise`` of the weeks logged so far (with the no-policy run
    as counterfactual when given), so they are the figures ``scamsim run`` writes to ``summary.json``
    and match it at the end of the same run. Persistence compares the last 52 weeks with the 52 before
    the policy starts, so the values settle as the run goes on; before anything is logged every
    measure is undefined.
    """
    policy = model.params.policy
    rows = [
        ("week", f"{model.week} of {model.params.run.weeks}"),
        ("policy", f"{policy.type}, from week {policy.start_week}"),
        ("raids / seed", f"{raid_text(model)} / {model.seed}"),
        ("levers", lever_text(policy) if getattr(model.policy, "root_causes", False)
         else "none" if policy.type == "none" else f"not used by {policy.type}"),
        ("people held", f"{model.workers_held():,}"),
        ("compounds / operators", f"{len(model.compound_table.slots)} / {model.operator_table.count()}"),
    ]
    logged = len(model.log.by_jurisdiction) > 0
    if not logged:
        basis = "vs no-policy run" if counterfactual is not None else "before/after"
        rows += [("persistence", fmt(None))]
        if counterfactual is not None:
            rows.append(("persistence vs no-policy run", fmt(None)))
        rows += [(f"displacement share ({basis})", fmt(None)), ("buffer WDQ", fmt(None)), ("jurisdictions hosting", "0"),
                 ("Herfindahl", fmt(None))]
        return rows
    summary = summarise(result_of(model), None if counterfactual is None else result_of(counterfactual))
    displacement = summary["displacement"]
    rows.append(("persistence", fmt(summary["persistence"]["persistence_workers"])))
    if "counterfactual" in summary:
        rows.append(("persistence vs no-policy run", fmt(summary["counterfactual"]["persistence_vs_counterfactual_workers"])))
    basis = "vs no-policy run" if displacement["basis"] == "counterfactual" else "before/after"
    rows += [
        (f"displacement share ({basis})", fmt(displacement["displacement_share"])),
        ("buffer WDQ", fmt(displacement["wdq_buffer"])),
        ("jurisdictions hosting", str(displacement["spread_jurisdictions_last_year"])),
        ("Herfindahl", fmt(displacement["herfindahl_last_year"])),
    ]
    return rows
