"""The list every level shares: filters, sort, keyset pages, or every row for exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.filters import Filters
from plant_analytics.api.pagination import Position, encode_cursor
from plant_analytics.api.repositories import rows as repo
from plant_analytics.api.sorting import Sort
from plant_analytics.egrid.levels import Level


def list_page(
    engine: Engine,
    cursor_key: bytes,
    level: Level,
    filters: Filters,
    sort: Sort,
    after: Position | None,
    limit: int,
    version: str,
) -> dict[str, Any]:
    columns = repo.list_columns(level)
    data, next_position, total = repo.page(engine, level, filters, sort, after, limit, columns)
    return {
        "data": data,
        "meta": {
            "count": len(data),
            "total": total,
            "next_cursor": encode_cursor(cursor_key, next_position) if next_position else None,
            "limit": limit,
            "sort": sort.spec or None,
            "source": level.value,
            "data_version": version,
        },
    }


def list_columns(level: Level) -> list[str]:
    return repo.list_columns(level)


def all_rows(
    engine: Engine, level: Level, filters: Filters, sort: Sort
) -> Iterator[tuple[Any, ...]]:
    return repo.stream(engine, level, filters, sort, repo.list_columns(level))
