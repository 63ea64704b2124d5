"""Query filters shared by the lists: multi-valued (``?state=CA&state=TX``), ranges, search, bbox.

Each level's list takes a ``Filters`` built by one of the dependencies below; the repository
turns it into SQL. ``Filters.key`` is its canonical text, part of cache keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field, StringConstraints

from plant_analytics.api.errors import invalid

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
StateCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$")]
Year = Annotated[int, Field(ge=1996, le=2100)]
# The largest integer both databases store (PostgreSQL BIGINT, SQLite INTEGER): an id above
# it cannot exist, and SQLite's driver cannot even bind it (OverflowError, a 500 before).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=0, le=MAX_ID)]

YearQuery = Annotated[
    list[Year] | None,
    Query(description="Data year; repeat for several (`?year=2022&year=2023`).", examples=[2022]),
]
StateQuery = Annotated[
    list[StateCode] | None,
    Query(
        description="Two-letter state code; repeat for several (`?state=CA&state=TX`).",
        examples=["NE"],
    ),
]
FuelQuery = Annotated[
    list[Code] | None,
    Query(
        description="Plant primary fuel category (eGRID PLFUELCT: COAL, GAS, OIL, NUCLEAR, "
        "HYDRO, WIND, SOLAR, BIOMASS, GEOTHERMAL, OFSL, OTHF); repeatable.",
        examples=["WIND"],
    ),
]
SubregionQuery = Annotated[
    list[Code] | None,
    Query(description="eGRID subregion acronym (SUBRGN); repeatable.", examples=["MROW"]),
]
BaQuery = Annotated[
    list[Code] | None,
    Query(description="Balancing authority code (BACODE); repeatable.", examples=["SWPP"]),
]
NercQuery = Annotated[
    list[Code] | None, Query(description="NERC region (NERC); repeatable.", examples=["MRO"])
]
PlantIdQuery = Annotated[
    list[Id] | None,
    Query(description="Plant id (ORISPL, `plant_id_eia`); repeatable.", examples=[2291]),
]
CapacityMin = Annotated[
    float | None, Query(description="Minimum nameplate capacity, MW (inclusive).", examples=[100])
]
CapacityMax = Annotated[
    float | None, Query(description="Maximum nameplate capacity, MW (inclusive).", examples=[500])
]
NameQuery = Annotated[
    str | None,
    Query(
        description="Plant name contains this text (case-insensitive).",
        max_length=100,
        examples=["wind"],
    ),
]
BboxQuery = Annotated[
    str | None,
    Query(
        description="Bounding box `minLon,minLat,maxLon,maxLat` (WGS84 degrees).",
        examples=["-104.1,40.0,-95.3,43.0"],
    ),
]


@dataclass(frozen=True)
class Filters:
    equals: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    name_contains: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def key(self) -> str:
        parts = [f"{c}={','.join(map(str, sorted(v)))}" for c, v in sorted(self.equals.items())]
        parts += [f"{c}~{lo}..{hi}" for c, (lo, hi) in sorted(self.ranges.items())]
        if self.name_contains:
            parts.append(f"q={self.name_contains.lower()}")
        if self.bbox:
            parts.append("bbox=" + ",".join(map(str, self.bbox)))
        return "&".join(parts)

    def value(self, column: str) -> tuple[Any, ...]:
        return self.equals.get(column, ())


def _upper(values: list[str] | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip().upper() for v in values or [] if v.strip()}))


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in text.split(","))
    except ValueError as exc:
        raise invalid("bbox", "expected four numbers: minLon,minLat,maxLon,maxLat") from exc
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise invalid(
            "bbox", "expected minLon<=maxLon within -180..180 and minLat<=maxLat within -90..90"
        )
    return (min_lon, min_lat, max_lon, max_lat)


def _range(lo: float | None, hi: float | None) -> dict[str, tuple[float | None, float | None]]:
    if lo is not None and hi is not None and lo > hi:
        raise invalid("capacity_min", f"capacity_min ({lo}) is above capacity_max ({hi})")
    return {"nameplate_capacity_mw": (lo, hi)} if lo is not None or hi is not None else {}


def top_filters(state: list[str] | None, fuel: list[str] | None) -> Filters:
    """The filters of /plants/top (its year is a single value, handled by the service)."""
    return _build({"state": _upper(state), "fuel_category": _upper(fuel)})


def _build(equals: dict[str, tuple[Any, ...]], **kwargs: Any) -> Filters:
    return Filters(equals={k: v for k, v in equals.items() if v}, **kwargs)


async def plant_filters(
    year: YearQuery = None,
    state: StateQuery = None,
    fuel: FuelQuery = None,
    subregion: SubregionQuery = None,
    ba: BaQuery = None,
    nerc: NercQuery = None,
    capacity_min: CapacityMin = None,
    capacity_max: CapacityMax = None,
    q: NameQuery = None,
    bbox: BboxQuery = None,
) -> Filters:
    return _build(
        {
            "data_year": tuple(sorted(set(year or []))),
            "state": _upper(state),
            "fuel_category": _upper(fuel),
            "subregion": _upper(subregion),
            "ba_code": _upper(ba),
            "nerc_region": _upper(nerc),
        },
        ranges=_range(capacity_min, capacity_max),
        name_contains=(q or "").strip() or None,
        bbox=parse_bbox(bbox),
    )


GeneratorFuelQuery = Annotated[
    list[Code] | None,
    Query(
        description="Generator primary fuel (eGRID FUELG1, e.g. NG, SUN, WND); repeatable.",
        examples=["NG"],
    ),
]
UnitFuelQuery = Annotated[
    list[Code] | None,
    Query(
        description="Unit primary fuel (eGRID FUELU1, e.g. BIT, NG); repeatable.", examples=["NG"]
    ),
]


async def generator_filters(
    year: YearQuery = None,
    state: StateQuery = None,
    plant_id: PlantIdQuery = None,
    fuel: GeneratorFuelQuery = None,
    capacity_min: CapacityMin = None,
    capacity_max: CapacityMax = None,
    q: NameQuery = None,
) -> Filters:
    return _build(
        {
            "data_year": tuple(sorted(set(year or []))),
            "state": _upper(state),
            "plant_id_eia": tuple(sorted(set(plant_id or []))),
            "energy_source": _upper(fuel),
        },
        ranges=_range(capacity_min, capacity_max),
        name_contains=(q or "").strip() or None,
    )


async def unit_filters(
    year: YearQuery = None,
    state: StateQuery = None,
    plant_id: PlantIdQuery = None,
    fuel: UnitFuelQuery = None,
    q: NameQuery = None,
) -> Filters:
    return _build(
        {
            "data_year": tuple(sorted(set(year or []))),
            "state": _upper(state),
            "plant_id_eia": tuple(sorted(set(plant_id or []))),
            "primary_fuel": _upper(fuel),
        },
        name_contains=(q or "").strip() or None,
    )


async def plant_generator_filters(
    year: YearQuery = None,
    fuel: GeneratorFuelQuery = None,
    capacity_min: CapacityMin = None,
    capacity_max: CapacityMax = None,
) -> Filters:
    """Filters of /plants/{plant_id}/generators (the plant comes from the path)."""
    return await generator_filters(
        year=year, fuel=fuel, capacity_min=capacity_min, capacity_max=capacity_max
    )
