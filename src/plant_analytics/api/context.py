"""What every route of the API needs: settings, database, cache, data version."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from plant_analytics.infra.cache import Cache, DataVersion
from plant_analytics.settings import Settings

T = TypeVar("T")
# Database work of the JSON routes runs here, off the event loop. A plain executor costs
# about a third of anyio's ``run_in_threadpool`` per call; the context (request id for the
# logs) is carried over the same way.
_executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="pa-api")


async def run_sync(function: Callable[[], T]) -> T:
    """``function()`` on a worker thread, with this task's context variables."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_executor, context.run, function)


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    cache: Cache
    versions: DataVersion
    cache_ttl: int = 3600
    cursor_key: bytes = b""
    database_tag: str = field(default="")
    # Route templates whose cached responses the fast path may serve: GET routes that any
    # authenticated user may call (set by ``api_router``; see api/fastpath.py).
    fast_path_routes: frozenset[str] = frozenset()
    # SQLite is a file in this process: a query known to be small (an index range scan with
    # a LIMIT) costs less run on the event loop than the hop to a thread and back. Only the
    # routes that pass ``small=`` to ``cached_json`` use it; on PostgreSQL (network round
    # trips) everything runs on threads.
    inline_small_queries: bool = False

    def __post_init__(self) -> None:
        secret = self.settings.internal_secret.get_secret_value()
        self.cursor_key = hashlib.sha256(f"cursor:{secret}".encode()).digest()
        url = self.engine.url.render_as_string(hide_password=True)
        self.database_tag = hashlib.sha256(url.encode()).hexdigest()[:8]
        self.cache_ttl = self.settings.cache_ttl_seconds
        self.inline_small_queries = self.engine.dialect.name == "sqlite"


def binder(ctx: ApiContext):  # type: ignore[no-untyped-def]
    """A router dependency that hands ``ctx`` to the routes.

    Calls per route (``api_calls_by_endpoint``) are counted by ``ObservabilityMiddleware``,
    with the full route template, for the fast path as for the routes: counting here too
    counted every call twice, the second time under the template without its prefix.
    """

    async def bind(request: Request) -> None:  # async: sync dependencies cost a thread hop
        request.state.pa_api = ctx

    return bind


async def _context(request: Request) -> ApiContext:
    return request.state.pa_api  # type: ignore[no-any-return]


Ctx = Annotated[ApiContext, Depends(_context)]
