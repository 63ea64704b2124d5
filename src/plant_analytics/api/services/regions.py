"""Regions: totals, resource mix and emission rates per state, BA, subregion, NERC region, US.

From the region sheet of that year when it is loaded; otherwise computed from the plants
(eGRID's rules, ``aggregation.py``); for states and the US, from generators when a year has
only those. ``meta.source`` says which: ``region_sheet``, ``plants`` or ``generators``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.errors import invalid, not_found
from plant_analytics.api.filters import Filters
from plant_analytics.api.repositories import aggregates, regions
from plant_analytics.api.repositories.releases import loaded_years
from plant_analytics.api.schemas import RegionRow
from plant_analytics.api.services.aggregation import (
    additive_columns,
    computable_metrics,
    compute,
    inputs_of,
)
from plant_analytics.api.services.reference import STATE_NAMES
from plant_analytics.db.tables import data_columns
from plant_analytics.egrid.levels import Level


class RegionLevel(enum.StrEnum):
    STATE = "state"
    BA = "ba"
    SUBREGION = "subregion"
    NERC = "nerc"
    US = "us"


@dataclass(frozen=True)
class RegionKey:
    column: str | None  # the code column, in region sheets and in plants alike
    name: str | None  # the name column


KEYS = {
    Level.STATE: RegionKey("state", None),
    Level.BA: RegionKey("ba_code", "ba_name"),
    Level.SUBREGION: RegionKey("subregion", "subregion_name"),
    Level.NERC: RegionKey("nerc_region", "nerc_name"),
    Level.US: RegionKey(None, None),
}


def _name(level: Level, code: str | None, name: Any) -> Any:
    if level is Level.STATE and code:
        return STATE_NAMES.get(code)
    if level is Level.US:
        return "United States"
    return name


def region_metrics(level: Level) -> list[str]:
    """What a region row computed from plants holds: the region sheet's columns we can compute."""
    sheet = set(data_columns(level))
    return [m for m in computable_metrics(Level.PLANT) if m in sheet]


def _sheet_row(level: Level, row: dict[str, Any]) -> dict[str, Any]:
    key = KEYS[level]
    code = row.pop(key.column) if key.column else "US"
    name = row.pop(key.name) if key.name else None
    return {"code": code, "name": _name(level, code, name), **row}


def _computed_rows(
    engine: Engine, level: Level, year: int, code: str | None, source: Level
) -> list[dict[str, Any]]:
    key = KEYS[level]
    equals: dict[str, tuple[Any, ...]] = {"data_year": (year,)}
    if key.column and code is not None:
        equals[key.column] = (code.upper(),)
    metrics = region_metrics(level)
    if source is Level.GENERATOR:
        metrics = [m for m in metrics if m in additive_columns(Level.GENERATOR)]
    sums = aggregates.sums(
        engine,
        source,
        Filters(equals=equals),
        key.column,
        inputs_of(metrics),
        names=[key.name] if key.name else [],
    )
    count_name = "plant_count" if source is Level.PLANT else "generator_count"
    out = []
    for row in sums:
        code_value = row["group"] if key.column else "US"
        out.append(
            {
                "code": code_value,
                "name": _name(level, code_value, row.get(key.name) if key.name else None),
                "data_year": row["data_year"],
                count_name: row["row_count"],
                **compute(row, metrics),
            }
        )
    return out


# Every field of the documented region row. A row computed from plants or generators holds
# only what they can give (a year of generators alone has no emissions): the others are sent
# as null, never left out, so each row has the shape the OpenAPI document promises.
REGION_FIELDS = tuple(RegionRow.model_fields)


def _complete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for field in REGION_FIELDS:
            row.setdefault(field, None)
    return rows


def region_rows(
    engine: Engine, level: Level, year: int | None, code: str | None, *, complete: bool = True
) -> tuple[list[dict[str, Any]], str, int]:
    """The rows of a level's regions for a year, where they come from, and the year.

    ``complete``: with every field of the documented row (null where the source has none);
    without, a computed row holds only what its source gives (what trends ask)."""
    rows, source, year = _region_rows(engine, level, year, code)
    return (_complete(rows) if complete else rows), source, year


def _region_rows(
    engine: Engine, level: Level, year: int | None, code: str | None
) -> tuple[list[dict[str, Any]], str, int]:
    years = loaded_years(engine)
    sheet_years = years.get(level.value, [])
    plant_years = years.get("plant", [])
    generator_years = years.get("generator", []) if level in (Level.STATE, Level.US) else []
    if year is None:
        candidates = sheet_years + plant_years + generator_years
        if not candidates:
            raise not_found(f"no {level} data is loaded, nor plants to compute it from")
        year = max(candidates)
    key = KEYS[level]
    if year in sheet_years:
        rows = regions.sheet_rows(engine, level, year, key.column, code)
        return [_sheet_row(level, r) for r in rows], "region_sheet", year
    if year in plant_years:
        return _computed_rows(engine, level, year, code, Level.PLANT), "plants", year
    if year in generator_years:
        return _computed_rows(engine, level, year, code, Level.GENERATOR), "generators", year
    loaded = sorted(set(sheet_years + plant_years + generator_years))
    raise not_found(
        f"no {level} data for {year}: the loaded years are {', '.join(map(str, loaded)) or 'none'}"
    )


def list_regions(engine: Engine, level: Level, year: int | None, version: str) -> dict[str, Any]:
    rows, source, year = region_rows(engine, level, year, None)
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "level": level.value,
            "year": year,
            "source": source,
            "data_version": version,
        },
    }


def get_region(
    engine: Engine, level: Level, code: str, year: int | None, version: str
) -> dict[str, Any]:
    if level is Level.US and code.upper() not in ("US", "USA"):
        raise not_found(f"the us level has one region, US, not {code!r}")
    rows, source, year = region_rows(engine, level, year, None if level is Level.US else code)
    if not rows:
        raise not_found(f"no {level} region {code!r} in the {year} data")
    return {
        "data": rows[0],
        "meta": {"level": level.value, "year": year, "source": source, "data_version": version},
    }


def region_level(level: RegionLevel) -> Level:
    return Level(level.value)


def check_code(level: Level, code: str) -> str:
    code = code.strip()
    if not code or len(code) > 16:
        raise invalid("code", "a region code is 1 to 16 characters")
    return code
