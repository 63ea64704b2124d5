"""The two ways a route answers with a list: a level table (paged or exported) or computed rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from plant_analytics.api.context import ApiContext
from plant_analytics.api.filters import Filters
from plant_analytics.api.formats import Format
from plant_analytics.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor
from plant_analytics.api.responses import cached_json, export
from plant_analytics.api.services import listing
from plant_analytics.api.sorting import parse_sort
from plant_analytics.egrid.levels import Level

SortQuery = Annotated[
    str | None,
    Query(
        description="A numeric column to sort on; `-` first for descending.",
        examples=["-net_generation_mwh"],
        max_length=80,
    ),
]
CursorQuery = Annotated[
    str | None,
    Query(description="`meta.next_cursor` of the previous page, unchanged.", max_length=400),
]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (1-{MAX_LIMIT}).")
]


async def level_list(
    request: Request,
    ctx: ApiContext,
    level: Level,
    filters: Filters,
    sort_text: str | None,
    cursor: str | None,
    limit: int,
    fmt: Format,
) -> Response:
    sort = parse_sort(level, sort_text)
    if fmt is not Format.JSON:
        return await export(
            request,
            ctx,
            fmt,
            listing.list_columns(level),
            lambda: listing.all_rows(ctx.engine, level, filters, sort),
            f"{level}s",
        )
    after = decode_cursor(ctx.cursor_key, cursor, sort.spec)
    return await cached_json(
        request,
        ctx,
        lambda v: listing.list_page(
            ctx.engine, ctx.cursor_key, level, filters, sort, after, limit, v
        ),
    )


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


async def computed_list(
    request: Request,
    ctx: ApiContext,
    fmt: Format,
    compute: Callable[[str], dict[str, Any]],
    filename: str,
    small: Callable[[str], bool] | None = None,
) -> Response:
    """A list computed whole (regions, aggregates, reference data), in any format."""
    if fmt is Format.JSON:
        return await cached_json(request, ctx, compute, small)
    version = await ctx.versions.current()
    rows: list[dict[str, Any]] = (await run_in_threadpool(compute, version))["data"]
    columns = _columns(rows)
    return await export(
        request, ctx, fmt, columns, lambda: ([r.get(c) for c in columns] for r in rows), filename
    )


__all__ = ["DEFAULT_LIMIT", "CursorQuery", "LimitQuery", "SortQuery", "computed_list", "level_list"]
