"""Responses from the data release: ETag, Cache-Control, 304, and the query-result cache.

The ETag is the data version plus a digest of the request's path and query, so it changes
exactly when loaded data changes. JSON bodies are cached under the same parts; a request
with ``Cache-Control: no-cache`` is computed afresh from the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from plant_analytics.api.context import ApiContext
from plant_analytics.api.formats import Format, RowsFactory, export_response

CACHE_CONTROL = "private, max-age=60, must-revalidate"
# column names from SQLAlchemy are str subclasses (quoted_name): orjson needs the option
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def request_key(request: Request) -> str:
    items = sorted(request.query_params.multi_items())
    query = "&".join(f"{k}={v}" for k, v in items)
    return f"{request.url.path}?{query}"


def _etag(version: str, key: str) -> str:
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return f'W/"{version}-{digest}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {c.strip() for c in header.split(",")}
    return "*" in candidates or etag in candidates or etag.removeprefix("W/") in candidates


def _headers(version: str, etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Data-Version": version}


async def cached_json(
    request: Request, ctx: ApiContext, compute: Callable[[str], dict[str, Any]]
) -> Response:
    """``compute(data_version)`` as JSON, from the cache when it can be, with ETag and 304."""
    version = await ctx.versions.current()
    key = request_key(request)
    etag = _etag(version, key)
    headers = _headers(version, etag)
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)

    async def produce() -> bytes:
        return await run_in_threadpool(lambda: orjson.dumps(compute(version), option=JSON_OPTIONS))

    if "no-cache" in request.headers.get("cache-control", ""):
        body = await produce()
    else:
        cache_key = f"{ctx.database_tag}:{version}:{key}"
        body = await ctx.cache.get_or_compute(cache_key, produce, ctx.cache_ttl)
    return Response(body, media_type="application/json", headers=headers)


async def export(
    request: Request,
    ctx: ApiContext,
    fmt: Format,
    columns: Sequence[str],
    rows: RowsFactory,
    filename: str,
) -> Response:
    """Every row of a list as CSV, NDJSON or Parquet, with the same ETag rules as JSON."""
    version = await ctx.versions.current()
    etag = _etag(version, request_key(request))
    headers = _headers(version, etag)
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    return await export_response(fmt, columns, rows, filename, headers)
