"""Reads for the ZIP lookup and the emissions estimate: locations, subregion rates, grid loss."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import level_table, release
from plant_analytics.egrid.levels import Level

LOCATION_COLUMNS = ("zip_code", "state", "utility_id_eia", "utility_name", "subregion")
PROVENANCE_COLUMNS = (
    "id",
    "level",
    "data_year",
    "revision",
    "file_name",
    "sheet",
    "sha256",
    "source_profile",
    "loaded_at",
)


def locations_of_zip(engine: Engine, year: int, zip_code: str) -> list[dict[str, Any]]:
    """The rows of one ZIP code in the ``year`` lookup table: predominant utility first."""
    table = level_table(Level.LOCATION)
    query = (
        sa.select(*(table.c[c] for c in LOCATION_COLUMNS), table.c.predominant_utility)
        .where(table.c.data_year == year, table.c.zip_code == zip_code)
        .order_by(table.c.predominant_utility.desc().nulls_last(), table.c.source_row)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def all_locations(engine: Engine, year: int) -> list[tuple[str, str | None, int | None]]:
    """(zip, subregion, predominant) of every row of the ``year`` lookup table."""
    table = level_table(Level.LOCATION)
    query = sa.select(table.c.zip_code, table.c.subregion, table.c.predominant_utility).where(
        table.c.data_year == year
    )
    with engine.connect() as conn:
        return [(z, s, p) for z, s, p in conn.execute(query)]


def region_rows(
    engine: Engine, level: Level, year: int, columns: list[str]
) -> list[dict[str, Any]]:
    """The rows of a region sheet (subregion, us, ggl) of one year, with the columns asked
    that the table has."""
    table = level_table(level)
    wanted = [table.c[c] for c in columns if c in table.c]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*wanted).where(table.c.data_year == year)).mappings()
        return [dict(r) for r in rows]


def current_release(engine: Engine, level: Level, year: int) -> dict[str, Any] | None:
    query = sa.select(*(release.c[c] for c in PROVENANCE_COLUMNS)).where(
        release.c.level == level.value,
        release.c.data_year == year,
        release.c.superseded_at.is_(None),
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None
