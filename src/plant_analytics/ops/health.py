"""Operational endpoints every target serves: /health, /ready, /metrics, /config, /buildinfo.

``/ready`` reports only the components running in this process, each with the dependencies
it needs. A check is *critical* (the component cannot work without it: 503) or not (Redis
for the cache: the API keeps serving from the database, so it reports ``degraded``, 200).
"""

from __future__ import annotations

import asyncio
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.engine import Engine

from plant_analytics import __version__
from plant_analytics.ops.metrics import database_connections_active, database_pool_size
from plant_analytics.settings import Settings

CheckFn = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_SECONDS = 2.0
STARTED_AT = time.time()


@dataclass(frozen=True)
class Check:
    name: str  # the dependency: database, redis, broker, auth, api
    run: CheckFn  # raises when the dependency is unusable
    critical: bool = True


@dataclass
class Readiness:
    """What /ready reports: component -> its dependency checks."""

    components: dict[str, list[Check]] = field(default_factory=dict)

    def add(self, component: str, *checks: Check) -> None:
        self.components.setdefault(component, []).extend(checks)

    async def report(self) -> tuple[int, dict[str, Any]]:
        results: dict[str, dict[str, Any]] = {}
        failed = degraded = False
        for component, checks in self.components.items():
            outcomes = await asyncio.gather(*(_run(check) for check in checks))
            entry: dict[str, Any] = {}
            for check, error in zip(checks, outcomes, strict=True):
                if error is None:
                    entry[check.name] = {"status": "ok"}
                elif check.critical:
                    failed = True
                    entry[check.name] = {"status": "failing", "detail": error}
                else:
                    degraded = True
                    entry[check.name] = {"status": "degraded", "detail": error}
            results[component] = entry
        status = "not ready" if failed else "degraded" if degraded else "ready"
        return (503 if failed else 200), {"status": status, "components": results}


async def _run(check: Check) -> str | None:
    try:
        await asyncio.wait_for(check.run(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def database_check(engine: Engine) -> Check:
    import sqlalchemy as sa

    def ping() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    async def run() -> None:
        await asyncio.to_thread(ping)

    return Check("database", run)


def redis_check(url: str, critical: bool = False) -> Check:
    import redis.asyncio as aioredis

    async def run() -> None:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            await client.ping()
        finally:
            await client.aclose()

    return Check("redis", run, critical=critical)


def broker_check(url: str) -> Check:
    def connect() -> None:
        import pika

        params = pika.URLParameters(url)
        params.socket_timeout = 1.5
        params.blocked_connection_timeout = 1.5
        params.connection_attempts = 1
        pika.BlockingConnection(params).close()

    async def run() -> None:
        await asyncio.to_thread(connect)

    return Check("broker", run)


def http_check(name: str, url: str) -> Check:
    async def run() -> None:
        import httpx

        async with httpx.AsyncClient(timeout=1.5) as client:
            response = await client.get(url)
            response.raise_for_status()

    return Check(name, run)


def update_pool_metrics(engine: Engine | None) -> None:
    if engine is None:
        return
    pool = engine.pool
    checked_out = getattr(pool, "checkedout", None)
    if callable(checked_out):
        database_connections_active.set(checked_out())
    size = getattr(pool, "size", None)
    if callable(size):
        database_pool_size.set(size())


def build_info(service: str) -> dict[str, Any]:
    return {
        "service": service,
        "version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "started_at": STARTED_AT,
    }


def ops_router(
    service: str,
    settings: Settings,
    readiness: Readiness,
    engine: Callable[[], Engine | None] = lambda: None,
) -> APIRouter:
    """The operational endpoints, to include in any FastAPI app (hidden from its OpenAPI)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        status, body = await readiness.report()
        return JSONResponse(body, status_code=status)

    @router.get("/metrics")
    async def metrics() -> Response:
        update_pool_metrics(engine())
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/config")
    async def config() -> dict[str, Any]:
        return settings.redacted()

    @router.get("/buildinfo")
    async def buildinfo() -> dict[str, Any]:
        return build_info(service)

    return router
