"""The map of a scenario: jurisdictions, zones and their layout (validated by ``sim.scenario.mapspec``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JurisdictionSpec:
    """One jurisdiction of the map and its agency."""

    name: str
    symbol: str
    governance: float = 0.5
    protection: float = 0.1
    infrastructure: float = 0.8
    labour_access: float = 0.8
    country: str = ""


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """An enclave: a special economic zone or armed-group territory laid over jurisdictions."""

    name: str
    symbol: str
    kind: str = "sez"
    protection: float = 0.7
    infrastructure: float = 0.9
    concession: float = 1.0
    labour_access: float = 1.0


JURISDICTION_FIELDS = {
    "symbol": ("-", "one character marking the jurisdiction in map.layout"),
    "governance": ("0-1", "state capacity: scales the agency's raid budget and detection"),
    "protection": ("0-1", "elite or armed-group protection sold to operators on ordinary cells"),
    "infrastructure": ("0-1", "power and internet quality; multiplies revenue"),
    "labour_access": ("0-1", "how easily compounds here hire from the pool"),
    "country": ("-", "country it belongs to (default: its own name); moves between jurisdictions of one country cross no border"),
}
ZONE_FIELDS = {
    "symbol": ("-", "one character marking the zone in map.zones"),
    "kind": ("-", "sez, armed_group or other"),
    "protection": ("0-1", "protection inside the zone (replaces the jurisdiction's)"),
    "infrastructure": ("0-1", "infrastructure inside the zone"),
    "concession": ("0-1", "legal carve-out: lowers running cost and shields from detection"),
    "labour_access": ("0-1", "labour access inside the zone"),
}


@dataclass(frozen=True, slots=True)
class MapSpec:
    """The region: a character map of jurisdictions with enclave zones laid over it."""

    layout: tuple[str, ...]
    zones_layout: tuple[str, ...]
    jurisdictions: tuple[JurisdictionSpec, ...]
    zones: tuple[ZoneSpec, ...]
