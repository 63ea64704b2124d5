"""Rows of a level table: filtered, sorted, keyset-paginated or streamed whole."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.api.filters import Filters
from plant_analytics.api.pagination import Position
from plant_analytics.api.sorting import Sort
from plant_analytics.db.tables import data_columns, level_table
from plant_analytics.egrid.levels import Level

STREAM_BATCH = 1000


def list_columns(level: Level) -> list[str]:
    """What a list row holds: the year, every canonical column, and the release it came from."""
    return ["data_year", *data_columns(level), "release_id"]


def where(table: sa.Table, filters: Filters) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    for column, values in filters.equals.items():
        if column not in table.c:
            clauses.append(sa.false())
            continue
        col = table.c[column]
        clauses.append(col == values[0] if len(values) == 1 else col.in_(values))
    for column, (low, high) in filters.ranges.items():
        if low is not None:
            clauses.append(table.c[column] >= low)
        if high is not None:
            clauses.append(table.c[column] <= high)
    if filters.name_contains:
        needle = filters.name_contains.lower()
        clauses.append(sa.func.lower(table.c.plant_name).contains(needle, autoescape=True))
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        clauses += [
            table.c.longitude.between(min_lon, max_lon),
            table.c.latitude.between(min_lat, max_lat),
        ]
    return clauses


def _order(table: sa.Table, sort: Sort) -> list[sa.ColumnElement[Any]]:
    """Sorted column first with nulls last (either direction), then the row id."""
    if sort.column is None:
        return [table.c.id]
    col = table.c[sort.column]
    return [
        sa.case((col.is_(None), 1), else_=0),
        col.desc() if sort.descending else col.asc(),
        table.c.id,
    ]


def _after(table: sa.Table, sort: Sort, position: Position) -> sa.ColumnElement[bool]:
    """Rows after ``position`` in the order of ``_order``."""
    row_id = table.c.id
    if sort.column is None:
        return row_id > position.row_id
    col = table.c[sort.column]
    if position.value is None:  # in the null tail, ordered by id
        return sa.and_(col.is_(None), row_id > position.row_id)
    beyond = col < position.value if sort.descending else col > position.value
    return sa.or_(col.is_(None), beyond, sa.and_(col == position.value, row_id > position.row_id))


def select_rows(
    level: Level, filters: Filters, sort: Sort, columns: Sequence[str]
) -> sa.Select[Any]:
    table = level_table(level)
    return (
        sa.select(*(table.c[c] for c in columns), table.c.id)
        .where(*where(table, filters))
        .order_by(*_order(table, sort))
    )


def page(
    engine: Engine,
    level: Level,
    filters: Filters,
    sort: Sort,
    after: Position | None,
    limit: int,
    columns: Sequence[str],
) -> tuple[list[dict[str, Any]], Position | None, int]:
    """One page of rows, where the next page starts (None at the end), and the total."""
    table = level_table(level)
    query = select_rows(level, filters, sort, columns)
    if after is not None:
        query = query.where(_after(table, sort, after))
    total_query = sa.select(sa.func.count()).select_from(table).where(*where(table, filters))
    with engine.connect() as conn:
        result = conn.execute(query.limit(limit + 1)).all()
        total = int(conn.execute(total_query).scalar_one())
    more = len(result) > limit
    result = result[:limit]
    names = list(columns)
    rows = [dict(zip(names, r[:-1], strict=True)) for r in result]
    next_position = None
    if more and result:
        last = result[-1]
        value = last[names.index(sort.column)] if sort.column else None
        next_position = Position(sort=sort.spec, value=value, row_id=int(last[-1]))
    return rows, next_position, total


def stream(
    engine: Engine, level: Level, filters: Filters, sort: Sort, columns: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """Every matching row in order, fetched in batches through a server-side cursor."""
    query = select_rows(level, filters, sort, columns)
    width = len(columns)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(query)
        for row in result:
            yield tuple(row[:width])
