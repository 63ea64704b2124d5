"""What every route of the API needs: settings, database, cache, data version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from plant_analytics.infra.cache import Cache, DataVersion
from plant_analytics.ops.metrics import api_calls_by_endpoint
from plant_analytics.pending_settings import setting
from plant_analytics.settings import Settings


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    cache: Cache
    versions: DataVersion
    cache_ttl: int = 3600
    cursor_key: bytes = b""
    database_tag: str = field(default="")

    def __post_init__(self) -> None:
        secret = self.settings.internal_secret.get_secret_value()
        self.cursor_key = hashlib.sha256(f"cursor:{secret}".encode()).digest()
        url = self.engine.url.render_as_string(hide_password=True)
        self.database_tag = hashlib.sha256(url.encode()).hexdigest()[:8]
        self.cache_ttl = int(setting(self.settings, "cache_ttl_seconds", 3600))


def binder(ctx: ApiContext):  # type: ignore[no-untyped-def]
    """A router dependency that hands ``ctx`` to the routes and counts calls per route."""
    counters: dict[str, object] = {}

    async def bind(request: Request) -> None:  # async: sync dependencies cost a thread hop
        request.state.pa_api = ctx
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unknown"
        counter = counters.get(template)
        if counter is None:
            counter = counters[template] = api_calls_by_endpoint.labels(route=template)
        counter.inc()  # type: ignore[attr-defined]

    return bind


async def _context(request: Request) -> ApiContext:
    return request.state.pa_api  # type: ignore[no-any-return]


Ctx = Annotated[ApiContext, Depends(_context)]
