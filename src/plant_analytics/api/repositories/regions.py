"""Rows of the region sheets (ST, BA, SRL, NRL, US) as loaded."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import data_columns, level_table
from plant_analytics.egrid.levels import Level


def sheet_rows(
    engine: Engine, level: Level, year: int, key: str | None, code: str | None
) -> list[dict[str, Any]]:
    table = level_table(level)
    columns = ["data_year", *data_columns(level), "release_id"]
    query = sa.select(*(table.c[c] for c in columns)).where(table.c.data_year == year)
    if key and code is not None:
        query = query.where(sa.func.upper(table.c[key]) == code.upper())
    query = query.order_by(table.c[key] if key else table.c.id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
