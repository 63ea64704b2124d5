"""Responses from the data release: ETag, Cache-Control, 304, and the query-result cache.

The ETag is the data version plus a digest of the request's path and query, so it changes
exactly when loaded data changes. JSON bodies are cached under the same parts; an admin's
request with ``Cache-Control: no-cache`` is computed afresh from the database (anyone else's
is answered from the cache, see ``honours_no_cache``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi import Request
from fastapi.responses import Response
from starlette.types import Scope

from plant_analytics.api.context import ApiContext, run_sync
from plant_analytics.api.formats import Format, RowsFactory, export_response
from plant_analytics.ops.http import route_template

CACHE_CONTROL = "private, max-age=60, must-revalidate"
# column names from SQLAlchemy are str subclasses (quoted_name): orjson needs the option
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS
# Cached entries are "<route template>\n<JSON body>" (see ``pack``); the marker in the key
# keeps processes of an older layout (bodies only) from reading them during a rollout.
ENTRY_LAYOUT = "r2"


def scope_key(scope: Scope) -> str:
    """The request's path and canonical query: parameters sorted, each name and value
    percent-encoded (so ``?q=a%26b%3D1`` and ``?q=a&b=1`` never share a key)."""
    return _canonical(scope["path"], scope.get("query_string", b""))


@lru_cache(maxsize=4096)
def _canonical(path: str, query_string: bytes) -> str:
    items = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    return f"{path}?{urlencode(items)}"


def request_key(request: Request) -> str:
    return scope_key(request.scope)


def cache_key(ctx: ApiContext, version: str, key: str) -> str:
    return _cache_key(ctx.database_tag, version, key)


def _cache_key(database_tag: str, version: str, key: str) -> str:
    return f"{database_tag}:{version}:{ENTRY_LAYOUT}:{key}"


@lru_cache(maxsize=4096)
def request_cache_keys(
    database_tag: str, version: str, path: str, query_string: bytes
) -> tuple[str, str]:
    """``scope_key`` of a request with this path and query, and its ``cache_key`` in this
    database and data version (the same strings again for a repeated request)."""
    key = _canonical(path, query_string)
    return key, _cache_key(database_tag, version, key)


def pack(template: str, body: bytes) -> bytes:
    return template.encode() + b"\n" + body


def unpack(entry: bytes) -> tuple[str, bytes]:
    template, _, body = entry.partition(b"\n")
    return template.decode(), body


def etag_of(version: str, key: str) -> str:
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return f'W/"{version}-{digest}"'


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {c.strip() for c in header.split(",")}
    return "*" in candidates or etag in candidates or etag.removeprefix("W/") in candidates


def _matches(request: Request, etag: str) -> bool:
    return etag_matches(request.headers.get("if-none-match"), etag)


def honours_no_cache(cache_control: str | None, principal: Any) -> bool:
    """Whether ``Cache-Control: no-cache`` is obeyed: for admins only (each such request
    costs a query, so anyone else's would be a way around the cache; the gateway gives
    admins' own a budget of their own). Others get the cached answer, which is as fresh as
    the data: the cache key holds the data version."""
    return (
        cache_control is not None
        and "no-cache" in cache_control.lower()
        and bool(getattr(principal, "is_admin", False))
    )


def version_headers(version: str, etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Data-Version": version}


def json_response(body: bytes, version: str, etag: str) -> Response:
    """The response of a JSON route, built the same way by the slow and the fast path."""
    return Response(body, media_type="application/json", headers=version_headers(version, etag))


def not_modified(version: str, etag: str) -> Response:
    return Response(status_code=304, headers=version_headers(version, etag))


async def cached_json(
    request: Request,
    ctx: ApiContext,
    compute: Callable[[str], dict[str, Any]],
    small: Callable[[str], bool] | None = None,
) -> Response:
    """``compute(data_version)`` as JSON, from the cache when it can be, with ETag and 304.

    The cached entry also names the route template, which lets ``FastPathMiddleware`` serve
    the next identical request without entering the routing (see api/fastpath.py).
    ``small(version)`` True: the computation is a bounded index lookup, run on the event loop
    when the database allows it (``ApiContext.inline_small_queries``).
    """
    version = await ctx.versions.current()
    key = request_key(request)
    etag = etag_of(version, key)
    if _matches(request, etag):
        return not_modified(version, etag)
    template = route_template(request.scope)

    def render() -> bytes:
        return orjson.dumps(compute(version), option=JSON_OPTIONS)

    async def produce() -> bytes:
        if ctx.inline_small_queries and small is not None and small(version):
            return pack(template, render())
        return pack(template, await run_sync(render))

    principal = getattr(request.state, "principal", None)
    if honours_no_cache(request.headers.get("cache-control"), principal):
        entry = await produce()
    else:
        entry = await ctx.cache.get_or_compute(cache_key(ctx, version, key), produce, ctx.cache_ttl)
    return json_response(unpack(entry)[1], version, etag)


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
    etag = etag_of(version, request_key(request))
    if _matches(request, etag):
        return not_modified(version, etag)
    return await export_response(fmt, columns, rows, filename, version_headers(version, etag))
