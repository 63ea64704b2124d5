"""Plant queries: top-N from the PLNT sheet or summed from generators, detail and history."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.api.filters import Filters
from plant_analytics.api.repositories.rows import where
from plant_analytics.db.derived import (
    SUMMED_GENERATOR_COLUMNS,
    order_column,
    plant_generator_total,
)
from plant_analytics.db.tables import data_columns, level_table, release
from plant_analytics.egrid.levels import Level

plant = level_table(Level.PLANT)
generator = level_table(Level.GENERATOR)

TOP_PLANT_COLUMNS = (
    "plant_id_eia",
    "plant_name",
    "state",
    "fuel_category",
    "primary_fuel",
    "subregion",
    "ba_code",
    "nerc_region",
    "nameplate_capacity_mw",
    "net_generation_mwh",
)


def _nulls_last(column: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    return sa.case((column.is_(None), 1), else_=0)


def top_from_plants(
    engine: Engine, filters: Filters, metric: str, limit: int
) -> list[dict[str, Any]]:
    value = plant.c[metric]
    columns = [plant.c[c] for c in TOP_PLANT_COLUMNS if c != metric]
    query = (
        sa.select(*columns, value)
        .where(*where(plant, filters))
        .order_by(_nulls_last(value), value.desc(), plant.c.plant_name, plant.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def top_from_generators(
    engine: Engine, filters: Filters, metric: str, limit: int
) -> list[dict[str, Any]]:
    """Plants as the sums of their generators, keyed on ORISPL or, without it, state + name.

    Read from ``plant_generator_total``, where those sums are kept at load time; a metric
    the table does not hold is summed from the generators.
    """
    if (
        metric not in SUMMED_GENERATOR_COLUMNS
        or set(filters.equals) - {"data_year", "state"}
        or filters.ranges
        or filters.name_contains
        or filters.bbox
    ):
        return top_from_generator_rows(engine, filters, metric, limit)
    states = filters.value("state")
    query, names = _top_totals_query(metric, bool(states))
    params: dict[str, Any] = {"year": filters.value("data_year")[0], "limit": limit}
    if states:
        params["states"] = list(states)
    with engine.connect() as conn:
        return [dict(zip(names, row, strict=True)) for row in conn.execute(query, params)]


@cache
def _top_totals_query(metric: str, by_state: bool) -> tuple[sa.Select[Any], tuple[str, ...]]:
    """Built once: the statement (and its compiled form, in the engine's cache) is reused."""
    totals = plant_generator_total
    names = (
        "plant_id_eia",
        "plant_name",
        "state",
        "generator_count",
        *(c for c in ("net_generation_mwh", "nameplate_capacity_mw") if c != metric),
        metric,
    )
    clauses = [totals.c.data_year == sa.bindparam("year")]
    if by_state:
        clauses.append(totals.c.state.in_(sa.bindparam("states", expanding=True)))
    query = (
        sa.select(*(totals.c[n] for n in names))
        .where(*clauses)
        .order_by(totals.c[order_column(metric)])  # descending, nulls last, then by name
        .limit(sa.bindparam("limit"))
    )
    return query, names


def top_from_generator_rows(
    engine: Engine, filters: Filters, metric: str, limit: int
) -> list[dict[str, Any]]:
    """``top_from_generators`` summed from the generator rows themselves, on every call."""
    value = sa.func.sum(generator.c[metric])
    extra = [
        sa.func.sum(generator.c[c]).label(c)
        for c in ("net_generation_mwh", "nameplate_capacity_mw")
        if c != metric
    ]
    query = (
        sa.select(
            generator.c.plant_id_eia,
            generator.c.plant_name,
            generator.c.state,
            sa.func.count().label("generator_count"),
            *extra,
            value.label(metric),
        )
        .where(*where(generator, filters))
        .group_by(generator.c.plant_id_eia, generator.c.state, generator.c.plant_name)
        .order_by(_nulls_last(value), value.desc(), generator.c.plant_name)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def plant_rows(engine: Engine, plant_id: int, year: int | None = None) -> list[dict[str, Any]]:
    """Every stored column of a plant, per year (newest first), with its release."""
    columns = ["data_year", *data_columns(Level.PLANT)]
    query = (
        sa.select(
            *(plant.c[c] for c in columns),
            plant.c.extra,
            plant.c.source_row,
            plant.c.record_key,
            release.c.id.label("release_id"),
            release.c.file_name,
            release.c.sheet,
            release.c.sha256,
            release.c.revision,
            release.c.loaded_at,
        )
        .join(release, release.c.id == plant.c.release_id)
        .where(plant.c.plant_id_eia == plant_id)
        .order_by(plant.c.data_year.desc())
    )
    if year is not None:
        query = query.where(plant.c.data_year == year)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        extra = row.get("extra")
        if isinstance(extra, str):
            row["extra"] = json.loads(extra)
    return rows


def generator_plant_years(engine: Engine, plant_id: int) -> list[int]:
    query = (
        sa.select(generator.c.data_year)
        .where(generator.c.plant_id_eia == plant_id)
        .distinct()
        .order_by(generator.c.data_year)
    )
    with engine.connect() as conn:
        return [int(y) for y in conn.execute(query).scalars()]


def generator_sums_by_year(
    engine: Engine, plant_id: int, metric: str
) -> list[tuple[int, float | None]]:
    query = (
        sa.select(generator.c.data_year, sa.func.sum(generator.c[metric]))
        .where(generator.c.plant_id_eia == plant_id)
        .group_by(generator.c.data_year)
        .order_by(generator.c.data_year)
    )
    with engine.connect() as conn:
        return [(int(y), v) for y, v in conn.execute(query)]
