"""The region: jurisdictions, enclave zones and the cell layers built from a scenario's map.

Everything here is whole-grid numpy, and the region is the one place the model reads its static
layers from. Arrays are indexed ``[x, y]`` like Mesa's property layers, with
``y`` growing northwards, so the first line of a character map is the northern edge. Cells are also
numbered flat (``i = x * height + y``), the order in which site choice scores them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from sim.params.declarations import MapSpec
from sim.world.land import LandIndex

SEA = -1
#: Characters that mark cells outside every jurisdiction (sea, or land outside the region).
OUTSIDE = frozenset(".~ ")

#: Move-cost vectors cached per (origin, cost terms) (site choice reuses them every week; the cap bounds memory).
MOVE_COST_CACHE_ENTRIES = 2048
#: Raid heat spreads to cells within this many standard deviations of the raided cell.
KERNEL_REACH_SIGMAS = 2
#: Ranges of the attributes drawn for the jurisdictions of a generated map (``seeded_map``).
GENERATED_GOVERNANCE = (0.2, 0.9)
GENERATED_PROTECTION = (0.0, 0.3)
GENERATED_INFRASTRUCTURE = (0.5, 1.0)
GENERATED_LABOUR_ACCESS = (0.5, 1.0)


def outside_last(jurisdiction: np.ndarray, n: int) -> np.ndarray:
    """``jurisdiction`` with -1 (outside the region) replaced by ``n``: an index into a per-jurisdiction vector padded with one value."""
    return np.where(jurisdiction < 0, n, jurisdiction).astype(np.intp)


@dataclass
class Region:
    """Static geography of a run plus the derived lookups site choice needs."""

    width: int
    height: int
    km_per_cell: float
    jurisdiction_names: tuple[str, ...]
    zone_names: tuple[str, ...]
    zone_kinds: tuple[str, ...]
    jurisdiction: np.ndarray  # int, SEA outside
    zone: np.ndarray  # int, -1 outside every zone
    governance: np.ndarray
    protection: np.ndarray
    infrastructure: np.ndarray
    labour_access: np.ndarray
    concession: np.ndarray
    jurisdiction_governance: np.ndarray  # one value per jurisdiction: its agency's capacity
    home_protection: np.ndarray  # the host jurisdiction's protection, ignoring zones
    jurisdiction_country: tuple[str, ...] = ()  # country of each jurisdiction (its own name when none is given)
    adjacency: np.ndarray = field(init=False)  # [j, k] jurisdictions share an edge
    border_cell: np.ndarray = field(init=False)  # cell touches another jurisdiction
    _abroad_cache: dict[int, np.ndarray] = field(init=False, default_factory=dict, repr=False)
    _border_cache: dict[tuple, np.ndarray] = field(init=False, default_factory=dict, repr=False)
    _per_km_cache: dict[float, np.ndarray] = field(init=False, default_factory=dict, repr=False)
    _move_cache: dict[tuple, tuple[np.ndarray, float]] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.adjacency, self.border_cell = _borders(self.jurisdiction, len(self.jurisdiction_names))
        self.land = self.jurisdiction != SEA
        self.flat_jurisdiction = self.jurisdiction.ravel()
        self.cell_x, self.cell_y = (a.ravel() for a in np.indices((self.width, self.height)))
        self.jurisdiction_cells = np.bincount(self.flat_jurisdiction[self.land.ravel()], minlength=self.n_jurisdictions)
        countries = self.jurisdiction_country or self.jurisdiction_names
        names = sorted(set(countries))
        self.country_of = np.array([names.index(c) for c in countries] + [-1])  # index -1 (outside) -> -1
        self.flat_country = self.country_of[self.flat_jurisdiction]

    @property
    def n_cells(self) -> int:
        return self.width * self.height

    @property
    def n_jurisdictions(self) -> int:
        return len(self.jurisdiction_names)

    def xy(self, i: int) -> tuple[int, int]:
        return int(i // self.height), int(i % self.height)

    def distance_km(self, origin: int) -> np.ndarray:
        """Straight-line km from one cell to every cell: a window of the offset table, times km a cell.

        The same value for each cell as ``hypot(x - ox, y - oy) * km_per_cell`` computed over the grid
        (the table holds that very ``hypot`` for every offset), at the cost of one copy and one product.
        """
        return (self._window(self.hypot_table, origin) * self.km_per_cell).ravel()

    def distance_between(self, a: int, b: int) -> float:
        """``distance_km(a)[b]`` without the vector: the table's entry for the offset, times km a cell (same bits)."""
        h = self.height
        return self._hypot_list[b // h - a // h + self.width - 1][b % h - a % h + h - 1] * self.km_per_cell

    @functools.cached_property
    def _hypot_list(self) -> list[list[float]]:
        """``hypot_table`` as Python floats (the same doubles), for one entry at a time without numpy's overhead."""
        return self.hypot_table.tolist()

    @functools.cached_property
    def hypot_table(self) -> np.ndarray:
        """``hypot(dx, dy)`` for every offset between two cells, at ``[dx + width - 1, dy + height - 1]`` (read-only).

        Computed once from whole-number offsets exactly as a distance row would compute them, so a window of
        it holds the same bits as ``hypot`` over the grid; a region of ``w x h`` cells has only
        ``(2w - 1)(2h - 1)`` offsets, where caching a row per origin would hold ``w * h`` rows of ``w * h``.
        """
        dx, dy = np.indices((2 * self.width - 1, 2 * self.height - 1))
        table = np.hypot(dx - (self.width - 1), dy - (self.height - 1))
        table.flags.writeable = False
        return table

    def _window(self, table: np.ndarray, origin: int) -> np.ndarray:
        """The ``w x h`` view of an offset table centred on ``origin``: entry ``[x, y]`` is the offset from it to cell (x, y)."""
        w, h = self.width, self.height
        ox, oy = int(origin // h), int(origin % h)
        return table[w - 1 - ox : 2 * w - 1 - ox, h - 1 - oy : 2 * h - 1 - oy]

    @functools.cached_property
    def jurisdiction_index(self) -> np.ndarray:
        """``flat_jurisdiction`` as an index (intp) with cells outside the region at ``n_jurisdictions``.

        Indexes a per-jurisdiction vector with one value appended for the outside (shared: do not write to it).
        """
        return outside_last(self.flat_jurisdiction, self.n_jurisdictions)

    @functools.cached_property
    def flat_jurisdiction_int64(self) -> np.ndarray:
        """``flat_jurisdiction`` as int64, computed once (shared: do not write to it)."""
        return self.flat_jurisdiction.astype(np.int64)

    def abroad(self, origin: int) -> np.ndarray:
        """1.0 for cells in another country than the origin cell (a border to cross), else 0.0."""
        c = int(self.flat_country[origin])
        mask = self._abroad_cache.get(c)
        if mask is None:
            mask = self._abroad_cache[c] = (self.flat_country != c).astype(float)
        return mask

    def move_cost(self, origin: int, fixed: float, per_km: float, per_border: float, free_origin: bool) -> np.ndarray:
        """``fixed + per_km * km + per_border * abroad`` from ``origin`` to every cell, read-only and cached.

        Computed exactly as written (left to right), so a cached vector is bit-identical to a fresh one.
        ``free_origin`` sets the origin's own entry to 0 (staying costs nothing). An ``origin`` of -1
        (no origin) gives ``fixed`` everywhere.
        """
        return self.move_cost_and_max(origin, fixed, per_km, per_border, free_origin)[0]

    def move_cost_and_max(self, origin: int, fixed: float, per_km: float, per_border: float,
                          free_origin: bool) -> tuple[np.ndarray, float]:
        """``move_cost`` and its largest entry, cached together (site choice asks whether every cell is affordable)."""
        key = (origin, fixed, per_km, per_border, free_origin)
        hit = self._move_cache.get(key)
        if hit is None:
            if origin >= 0:
                # fixed + per_km * km + per_border * abroad, left to right as written, from per-price tables:
                # per_km * km for every offset (the same products a distance row would give), then the
                # border term of the origin's country.
                per_km_km = self._per_km_cache.get(per_km)
                if per_km_km is None:
                    per_km_km = self._per_km_cache[per_km] = per_km * (self.hypot_table * self.km_per_cell)
                move = np.add(fixed, self._window(per_km_km, origin)).ravel()
                np.add(move, self._border_term(origin, per_border), out=move)
                if free_origin:
                    move[origin] = 0.0
            else:
                move = np.full(self.n_cells, fixed)
            move.flags.writeable = False
            hit = (move, float(move.max()))
            if len(self._move_cache) < MOVE_COST_CACHE_ENTRIES:
                self._move_cache[key] = hit
        return hit

    @functools.cached_property
    def land_index(self) -> LandIndex:
        """The land cells and the move-cost terms on them (``sim.world.land``), built on first use."""
        return LandIndex(self)

    def _border_term(self, origin: int, per_border: float) -> np.ndarray:
        """``per_border * abroad(origin)``, one vector per country and price."""
        key = (int(self.flat_country[origin]), per_border)
        term = self._border_cache.get(key)
        if term is None:
            term = self._border_cache[key] = per_border * self.abroad(origin)
        return term

    def crosses_border(self, a: int, b: int) -> bool:
        """Whether a move from cell a to cell b crosses an international border."""
        countries = self._country_list
        return countries[a] != countries[b]

    @functools.cached_property
    def _country_list(self) -> list[int]:
        """``flat_country`` as Python ints, for one cell at a time."""
        return self.flat_country.tolist()

    def neighbours_of(self, members: np.ndarray) -> np.ndarray:
        """Jurisdictions adjacent to any of ``members`` but not among them (the buffer ring)."""
        mask = np.zeros(self.n_jurisdictions, dtype=bool)
        mask[members] = True
        return np.flatnonzero(self.adjacency[mask].any(axis=0) & ~mask)

    def zone_mask(self, names: list[str] | tuple[str, ...]) -> np.ndarray:
        """Cells inside the named zones or jurisdictions (names already validated)."""
        mask = np.zeros((self.width, self.height), dtype=bool)
        for name in names:
            if name in self.zone_names:
                mask |= self.zone == self.zone_names.index(name)
            else:
                mask |= self.jurisdiction == self.jurisdiction_names.index(name)
        return mask


def build_region(spec: MapSpec, km_per_cell: float) -> Region:
    """Turn a validated map specification into the region's layers."""
    height = len(spec.layout)
    width = len(spec.layout[0])
    jur_index = {j.symbol: k for k, j in enumerate(spec.jurisdictions)}
    zone_index = {z.symbol: k for k, z in enumerate(spec.zones)}

    jurisdiction = np.full((width, height), SEA, dtype=np.int16)
    zone = np.full((width, height), -1, dtype=np.int16)
    for row, line in enumerate(spec.layout):
        y = height - 1 - row
        for x, ch in enumerate(line):
            if ch not in OUTSIDE:
                jurisdiction[x, y] = jur_index[ch]
    for row, line in enumerate(spec.zones_layout):
        y = height - 1 - row
        for x, ch in enumerate(line):
            if ch not in OUTSIDE and jurisdiction[x, y] != SEA:
                zone[x, y] = zone_index[ch]

    def per_jurisdiction(attr: str) -> np.ndarray:
        return np.array([getattr(j, attr) for j in spec.jurisdictions] + [0.0], dtype=float)[jurisdiction]  # SEA -> 0

    def per_zone(attr: str, outside: np.ndarray | float) -> np.ndarray:
        values = np.array([getattr(z, attr) for z in spec.zones] + [0.0], dtype=float)
        return np.where(zone >= 0, values[zone], outside)

    def layer(attr: str) -> np.ndarray:
        """A jurisdiction attribute, replaced inside zones by the zone's own value."""
        return per_zone(attr, per_jurisdiction(attr))

    return Region(
        width=width,
        height=height,
        km_per_cell=km_per_cell,
        jurisdiction_names=tuple(j.name for j in spec.jurisdictions),
        zone_names=tuple(z.name for z in spec.zones),
        zone_kinds=tuple(z.kind for z in spec.zones),
        jurisdiction=jurisdiction,
        zone=zone,
        governance=per_jurisdiction("governance"),
        protection=layer("protection"),
        infrastructure=layer("infrastructure"),
        labour_access=layer("labour_access"),
        concession=per_zone("concession", 0.0),  # only zones hold concessions
        jurisdiction_governance=np.array([j.governance for j in spec.jurisdictions], dtype=float),
        home_protection=per_jurisdiction("protection"),
        jurisdiction_country=tuple(j.country or j.name for j in spec.jurisdictions),
    )


def _borders(jurisdiction: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Jurisdiction adjacency (edge-sharing, Moore) and the cells that lie on a border."""
    adjacency = np.zeros((n, n), dtype=bool)
    border = np.zeros(jurisdiction.shape, dtype=bool)
    w, h = jurisdiction.shape
    for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
        a = jurisdiction[max(0, -dx) : w - max(0, dx), max(0, -dy) : h - max(0, dy)]
        b = jurisdiction[max(0, dx) : w - max(0, -dx) : 1, max(0, dy) : h - max(0, -dy)]
        differ = (a != b) & (a != SEA) & (b != SEA)
        adjacency[a[differ], b[differ]] = True
        border[max(0, -dx) : w - max(0, dx), max(0, -dy) : h - max(0, dy)] |= differ
        border[max(0, dx) : w - max(0, -dx), max(0, dy) : h - max(0, -dy)] |= differ
    adjacency |= adjacency.T
    return adjacency, border


def box_sum(counts: np.ndarray, radius: int) -> np.ndarray:
    """Sum of ``counts`` over the (2r+1)^2 square around each cell, by an integral image.

    Counts are whole numbers, so every partial sum is exact in float64 and the order of the four
    corner terms cannot change a bit of the result: rows are differenced first, then columns.
    """
    if radius <= 0:
        return counts.astype(float)
    w, h = counts.shape
    s = np.zeros((w + 1, h + 1))
    np.cumsum(counts, axis=0, out=s[1:, 1:])
    np.cumsum(s[1:, 1:], axis=1, out=s[1:, 1:])
    x0, x1, y0, y1 = _box_edges(w, h, radius)
    rows = s.take(x1, axis=0) - s.take(x0, axis=0)
    return rows.take(y1, axis=1) - rows.take(y0, axis=1)


#: Largest radius ``box_counts`` sums by shifted slices (4r additions); beyond it, the integral image of ``box_sum``.
BOX_SLICES_MAX_RADIUS = 4


def box_counts(counts: np.ndarray, radius: int) -> np.ndarray:
    """``box_sum`` of whole-number counts, as whole numbers (int64): the same values, with fewer array calls.

    Sums of whole numbers are exact in any order, so this equals ``box_sum(counts, radius)`` cell for cell
    (as integers). A small radius adds ``2r + 1`` shifted rows, then ``2r + 1`` shifted columns, of the
    zero-padded grid; a larger one converts ``box_sum``'s exact float sums.
    """
    if radius <= 0:
        return counts.astype(np.int64)
    if radius > BOX_SLICES_MAX_RADIUS:
        return box_sum(counts, radius).astype(np.int64)
    w, h = counts.shape
    padded = np.zeros((w + 2 * radius, h + 2 * radius), dtype=np.int64)
    padded[radius : radius + w, radius : radius + h] = counts
    rows = padded[0:w] + padded[1 : w + 1]
    for k in range(2, 2 * radius + 1):
        rows += padded[k : k + w]
    box = rows[:, 0:h] + rows[:, 1 : h + 1]
    for k in range(2, 2 * radius + 1):
        box += rows[:, k : k + h]
    return box


@functools.cache
def _box_edges(w: int, h: int, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each cell's square along x and y, clipped at the grid's edge."""
    x0 = np.clip(np.arange(w) - radius, 0, w)
    x1 = np.clip(np.arange(w) + radius + 1, 0, w)
    y0 = np.clip(np.arange(h) - radius, 0, h)
    y1 = np.clip(np.arange(h) + radius + 1, 0, h)
    return x0, x1, y0, y1


def gaussian_kernel(radius_cells: float) -> np.ndarray:
    """Normalised 2-D Gaussian stencil used to spread raid heat to nearby cells (peak cell = 1)."""
    if radius_cells <= 0:
        return np.ones((1, 1))
    r = int(np.ceil(KERNEL_REACH_SIGMAS * radius_cells))
    ax = np.arange(-r, r + 1)
    k = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * radius_cells**2))
    return k / k.max()


def stamp(grid: np.ndarray, x: int, y: int, kernel: np.ndarray, amount: float) -> None:
    """Add ``amount * kernel`` centred on (x, y), clipped at the grid's edge, in place."""
    r = kernel.shape[0] // 2
    w, h = grid.shape
    gx0, gx1 = max(0, x - r), min(w, x + r + 1)
    gy0, gy1 = max(0, y - r), min(h, y + r + 1)
    grid[gx0:gx1, gy0:gy1] += amount * kernel[gx0 - (x - r) : gx1 - (x - r), gy0 - (y - r) : gy1 - (y - r)]


def seeded_map(
    width: int, height: int, n_jurisdictions: int, n_zones: int, seed: int
) -> tuple[tuple[str, ...], tuple[str, ...], list[dict], list[dict]]:
    """A map of Voronoi jurisdictions around seeded centres, with zones on their borders.

    Returns character layouts plus jurisdiction and zone attribute tables, the same shape a scenario
    file gives, so a generated map goes through exactly the same validation and building path.
    """
    rng = np.random.default_rng(seed)
    symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    centres = np.column_stack([rng.uniform(0, width, n_jurisdictions), rng.uniform(0, height, n_jurisdictions)])
    xs, ys = np.indices((width, height))
    d = (xs[..., None] - centres[:, 0]) ** 2 + (ys[..., None] - centres[:, 1]) ** 2
    owner = d.argmin(axis=-1)
    layout = tuple("".join(symbols[owner[x, y]] for x in range(width)) for y in reversed(range(height)))
    jurisdictions = [
        {
            "name": f"J{symbols[k]}",
            "symbol": symbols[k],
            "governance": round(float(rng.uniform(*GENERATED_GOVERNANCE)), 3),
            "protection": round(float(rng.uniform(*GENERATED_PROTECTION)), 3),
            "infrastructure": round(float(rng.uniform(*GENERATED_INFRASTRUCTURE)), 3),
            "labour_access": round(float(rng.uniform(*GENERATED_LABOUR_ACCESS)), 3),
        }
        for k in range(n_jurisdictions)
    ]
    # Zones sit on border cells, like the enclaves of the real region.
    _, border = _borders(owner, n_jurisdictions)
    bx, by = np.nonzero(border)
    zone_grid = np.full((width, height), ".", dtype="<U1")
    zones = []
    zone_symbols = "abcdefghijklmnopqrstuvwxyz"
    for z in range(min(n_zones, len(bx))):
        k = int(rng.integers(len(bx)))
        cx, cy = int(bx[k]), int(by[k])
        zone_grid[max(0, cx - 1) : cx + 2, max(0, cy - 1) : cy + 2] = zone_symbols[z]
        zones.append({"name": f"Z{z + 1}", "symbol": zone_symbols[z], "kind": "sez" if z % 2 == 0 else "armed_group"})
    zones_layout = tuple("".join(zone_grid[x, y] for x in range(width)) for y in reversed(range(height)))
    return layout, zones_layout, jurisdictions, zones
