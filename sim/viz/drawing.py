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
TRAIL_WEEKS = 4  # relocations of this many most recent weeks are drawn as trails (more become a tangle)
APPLYING_EDGE = "#b00020"  # outline of the jurisdictions that apply the policy
TARGET_HATCH = "////"  # zones the policy targets (infrastructure cut, concession revoked)
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


class Origins:
    """The jurisdiction each compound opened in, kept from the model's ``CompoundOpened`` events.

    A compound already open when the record starts (the model's initial ones) counts as opened where
    it stands when first seen: before any week has run, that is where it opened.
    """

    def __init__(self, model: ScamModel) -> None:
        from sim.core.hooks import CompoundOpened

        self.model = model
        self.by_id: dict[int, int] = {}
        model.hooks.subscribe(CompoundOpened, self._opened)

    def _opened(self, event) -> None:
        self.by_id[event.compound] = int(self.model.region.flat_jurisdiction[event.cell])

    def of(self, slots: np.ndarray, sites: np.ndarray) -> np.ndarray:
        here = self.model.region.flat_jurisdiction[sites]
        handles = self.model.compound_by_slot
        return np.array([self.by_id.setdefault(handles[int(s)].unique_id, int(j)) for s, j in zip(slots, here, strict=True)],
                        dtype=np.int64)


def compound_points(model: ScamModel, cell_points: float = 11.0, origins: Origins | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y) offsets jittered within the cell, marker sizes and RGBA colours of every live compound.

    Colour is the syndicate's when the scenario has syndicates, else the jurisdiction the compound
    opened in (``origins``; where it stands without them): a compound drawn in another jurisdiction's
    colour has moved there. A compound that is moving, and so producing nothing, is drawn faint.
    """
    t, r = model.compound_table, model.region
    slots = t.slots
    sites = t.site[slots]
    angle = slots * 2.399963  # golden angle: compounds sharing a cell land apart, fixed per slot
    xy = np.column_stack([sites // r.height + 0.28 * np.cos(angle), sites % r.height + 0.28 * np.sin(angle)])
    colours = np.ones((len(slots), 4))
    if model.params.operators.syndicates > 0:
        key = model.operator_table.syndicate[t.operator[slots]]
        colours[:, :3] = OPERATOR_COLOURS[np.mod(key, len(OPERATOR_COLOURS))]
    elif len(slots):
        origin = origins.of(slots, sites) if origins is not None else r.flat_jurisdiction[sites]
        table = np.array([to_rgb(jurisdiction_colour(k)) for k in range(max(r.n_jurisdictions, 1))])
        colours[:, :3] = table[np.clip(origin, 0, len(table) - 1)]
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
        if dest >= 0:  # a move overseas (destination -1) leaves the map: no trail to draw
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
        self.figure = Figure(figsize=figsize, dpi=DPI, facecolor="white")  # a fixed light theme, whatever the page's
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

    def export_png(self, dpi: int = 150) -> bytes:
        """The current frame as a standalone PNG at ``dpi`` (the app's Export), the changing artists included."""
        buf = io.BytesIO()
        for _, artist in self.dynamic:
            artist.set_animated(False)
        try:
            self.figure.savefig(buf, format="png", dpi=dpi, facecolor="white")
        finally:
            for _, artist in self.dynamic:
                artist.set_animated(True)
        return buf.getvalue()

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
        self._mark_policy(model)
        self._labels(model)
        self._scale_bar(model)
        self.origins = Origins(model)
        self.figure.legend(handles=legend_handles(model, self.cell_points), loc="upper left",
                           bbox_to_anchor=((map_w + 0.12) / fw, 1 - 0.05 / fh), fontsize=7, frameon=False, borderaxespad=0.0,
                           handlelength=1.5, labelspacing=0.3)
        self.trails = self.animate(ax, ax.add_collection(LineCollection([], linewidths=0.6)))
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
        xy, sizes, colours = compound_points(model, self.cell_points, self.origins)
        self.compounds.set_offsets(xy)
        self.compounds.set_sizes(sizes)
        self.compounds.set_facecolors(colours)
        self.compounds.set_edgecolors(np.where(colours[:, 3:] < 1, [0.4, 0.4, 0.4, 0.5], [0, 0, 0, 1]) if len(colours) else "black")
        xy, colours = recent_raids(model)
        self.raids.set_offsets(xy)
        self.raids.set_color(colours)
        weeks = model.params.run.weeks
        self.week.set_text(f"week {min(model.week, weeks)} of {weeks}" + (" (end)" if model.week >= weeks else ""))
        return self

    def _mark_policy(self, model: ScamModel) -> None:
        """Outline the jurisdictions that apply the policy; hatch the zones it targets (cuts, revoked concessions)."""
        r, p = model.region, model.params.policy
        if p.type == "none":
            return
        if p.jurisdictions:  # all jurisdictions apply it otherwise: nothing to single out
            applying = np.isin(r.jurisdiction, [r.jurisdiction_names.index(j) for j in p.jurisdictions])
            self.ax.add_collection(LineCollection(edges(np.where(applying, 1, -1), outline_only=True), colors=APPLYING_EDGE,
                                                  linewidths=2.0, zorder=2))
        targets = tuple(p.cut_zones) + tuple(p.revoke_concessions) if getattr(model.policy, "root_causes", False) else ()
        if targets:
            mask = r.zone_mask(targets).T.astype(float)
            w, h = r.width, r.height
            self.ax.contourf(np.arange(w), np.arange(h), mask, levels=[0.5, 1.5], hatches=[TARGET_HATCH], colors="none", zorder=2)

    def _labels(self, model: ScamModel) -> None:
        """Jurisdiction names at their centres, zone names in italics beside their zones."""
        r = model.region
        for k, name in enumerate(r.jurisdiction_names):
            xs, ys = np.nonzero(r.jurisdiction == k)
            if len(xs):
                i = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))  # a cell of its own nearest its centre
                self.ax.text(xs[i], ys[i], name, fontsize=6.5, ha="center", va="center", color="#111111", zorder=5,
                             bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6})
        for z, name in enumerate(r.zone_names):
            xs, ys = np.nonzero(r.zone == z)
            if len(xs):
                self.ax.text(xs.max() + 0.7, ys.mean(), name, fontsize=5.5, style="italic", ha="left", va="center",
                             color="#3a1010", zorder=5)

    def _scale_bar(self, model: ScamModel) -> None:
        """A bar of a round number of km in the lower left corner."""
        km_cell = model.region.km_per_cell
        span = model.region.width * km_cell
        km = next((k for k in (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1) if k <= span / 4), 1)
        cells = km / km_cell
        x0, y0 = 0.0, -0.1
        self.ax.plot([x0, x0 + cells], [y0, y0], color="black", lw=2.5, solid_capstyle="butt", zorder=5)
        self.ax.text(x0 + cells / 2, y0 + 0.35, f"{km:g} km", fontsize=6.5, ha="center", va="bottom", zorder=5,
                     bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})


def legend_handles(model: ScamModel, cell_points: float = 11.0) -> list:
    """Proxy artists for the map's legend."""
    r = model.region
    handles: list = [Patch(facecolor=GROUND_PALE + (1 - GROUND_PALE) * np.array(to_rgb(jurisdiction_colour(k))), edgecolor="#222222",
                           linewidth=0.6, label=name) for k, name in enumerate(r.jurisdiction_names)]
    for kind in dict.fromkeys(r.zone_kinds):
        handles.append(Patch(facecolor=ZONE_COLOURS.get(kind, ZONE_COLOURS["other"]), edgecolor="black", linestyle=(0, (2, 1.5)),
                             linewidth=0.6, label=ZONE_LABELS.get(kind, kind)))
    by = "syndicate" if model.params.operators.syndicates > 0 else "where it opened"
    for n in (100, 300, 1000):
        size = float(np.sqrt(compound_marker_size(n, cell_points)))
        handles.append(Line2D([], [], ls="", marker="o", markersize=size, markerfacecolor="#bbbbbb", markeredgecolor="black",
                              markeredgewidth=0.4, label=f"compound, {n} held"))
    handles.append(Line2D([], [], ls="", label=f"  colour: {by}"))
    handles.append(Line2D([], [], ls="", label="  faint: moving"))
    p = model.params.policy
    if p.type != "none" and p.jurisdictions:
        handles.append(Line2D([], [], color=APPLYING_EDGE, lw=2.0, label=f"applies the policy ({', '.join(p.jurisdictions)})"))
    if p.type in ("root_causes", "combined") and (p.cut_zones or p.revoke_concessions):
        handles.append(Patch(facecolor="none", hatch=TARGET_HATCH, edgecolor="black", linewidth=0.4, label="zone targeted by a lever"))
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


# The headline measures live in sim.viz.headline; these names stay importable from here.
from sim.viz.headline import LEVER_LABELS, fmt, headline, lever_text, raid_text  # noqa: E402, F401
