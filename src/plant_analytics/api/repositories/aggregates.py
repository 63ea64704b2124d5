"""Sums of a level table's columns, per group: the inputs of every aggregate the API computes.

SQL's SUM skips NULLs and is NULL when every input is NULL: eGRID's rule for regional
totals ("where all inputs are NA the result is NA", ``plant_file_create.R``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.api.filters import Filters
from plant_analytics.api.repositories.rows import where
from plant_analytics.db.tables import level_table
from plant_analytics.egrid.levels import Level


def sums(
    engine: Engine,
    level: Level,
    filters: Filters,
    group_by: str | None,
    columns: Sequence[str],
    names: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """One row per group (or one row): ``group``, ``data_year``, ``row_count``, Σ of ``columns``.

    ``names`` are text columns reported as one value per group (the max), e.g. the region name.
    """
    table = level_table(level)
    present = [c for c in columns if c in table.c]
    group_cols = [table.c.data_year] + ([table.c[group_by]] if group_by else [])
    query = (
        sa.select(
            table.c[group_by].label("group") if group_by else sa.literal(None).label("group"),
            table.c.data_year,
            sa.func.count().label("row_count"),
            *(sa.func.max(table.c[n]).label(n) for n in names if n in table.c),
            *(sa.func.sum(table.c[c]).label(c) for c in present),
        )
        .where(*where(table, filters))
        .group_by(*group_cols)
        .order_by(table.c.data_year, *(group_cols[1:]))
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
