"""The analytics API: ``create_api_app`` for the ``api`` target, ``api_router`` for ``all``.

Both serve the same routes under ``/api/v1``. The all-in-one app includes ``api_router``
and calls ``install_error_handlers``; ``create_api_app`` does both itself.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.engine import Engine

from plant_analytics.api.context import ApiContext, binder
from plant_analytics.api.errors import install_error_handlers
from plant_analytics.api.fastpath import FastPathApp, FastPathMiddleware, fast_path_routes
from plant_analytics.api.routers import (
    aggregates,
    emissions,
    generators,
    plants,
    reference,
    regions,
    trends,
    units,
)
from plant_analytics.db.engine import make_engine
from plant_analytics.infra.cache import Cache, DataVersion, get_cache
from plant_analytics.security.openapi import declare_bearer_auth
from plant_analytics.settings import Settings

__all__ = ["API_PREFIX", "api_router", "create_api_app", "install_error_handlers"]

API_PREFIX = "/api/v1"
log = logging.getLogger("plant_analytics.api")

DESCRIPTION = """
US EPA eGRID data: every US power plant's generation, capacity, fuel mix and emissions,
with the state, balancing-authority, subregion, NERC and US totals.

* Every route needs a bearer token (`Authorization: Bearer …`, from `POST /auth/login`).
* Lists share one shape, `{"data": [...], "meta": {"count", "next_cursor", "source",
  "data_version", ...}}`; filters repeat (`?state=CA&state=TX`); `?sort=-net_generation_mwh`;
  pages follow `meta.next_cursor`; `?format=csv|ndjson|parquet` gives every matching row.
* Errors are `application/problem+json`; an invalid parameter is a 422 naming it.
* Responses carry an `ETag` from the data release; send `If-None-Match` for a 304.

See docs/api.md for conventions, examples and the stability promise.
"""


def make_context(
    settings: Settings, *, engine: Engine | None = None, cache: Cache | None = None
) -> ApiContext:
    engine = engine or make_engine(settings.resolved_database_url)
    return ApiContext(
        settings=settings,
        engine=engine,
        cache=cache or get_cache(settings),
        versions=DataVersion(engine),
    )


def api_router(
    settings: Settings,
    *,
    engine: Engine | None = None,
    cache: Cache | None = None,
    include_ingestions: bool = True,
) -> APIRouter:
    """Every analytics route under ``/api/v1``; ``router.api_context`` holds its cache etc."""
    ctx = make_context(settings, engine=engine, cache=cache)
    router = APIRouter(dependencies=[Depends(binder(ctx))])
    modules = (plants, generators, units, regions, aggregates, trends, reference, emissions)
    for module in modules:
        router.include_router(module.router, prefix=API_PREFIX)
    ctx.fast_path_routes = fast_path_routes(
        (route for module in modules for route in module.router.routes), API_PREFIX
    )
    if include_ingestions:
        try:
            from plant_analytics.pipeline.api import router as ingestions_router
        except ModuleNotFoundError:
            log.debug("no ingestion routes: plant_analytics.pipeline.api is not installed")
        else:
            router.include_router(ingestions_router)  # carries its own /api/v1/ingestions
            from plant_analytics.fetch.api import router as catalogue_router

            router.include_router(catalogue_router)  # /api/v1/catalogue (release fetch)
    router.api_context = ctx  # type: ignore[attr-defined]
    return router


def create_api_app(
    settings: Settings, *, engine: Engine | None = None, cache: Cache | None = None
) -> FastAPI:
    """The standalone API app (target ``api``): routes, OpenAPI at /docs, problem+json errors."""
    router = api_router(settings, engine=engine, cache=cache)
    ctx: ApiContext = router.api_context  # type: ignore[attr-defined]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await ctx.cache.close()

    app = FastPathApp(
        title="Plant Analytics API",
        version="1.0.0",
        summary="US EPA eGRID power plant data: generation, capacity, fuel mix, emissions.",
        description=DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.include_router(router)
    # None: the process's context (``configure_security``) until the server sets one. Set,
    # so that reading it per request finds it (Starlette's State raises, and getattr then
    # catches, an AttributeError for a missing name: ~1.5 us of a cached request).
    app.state.security = None
    app.state.api_context = ctx
    app.state.cache = ctx.cache
    install_error_handlers(app)
    # Cached GETs skip the middleware stack, routing and validation (api/fastpath.py);
    # misses go on to the routes.
    app.fast_path = FastPathMiddleware(None, ctx, API_PREFIX + "/")
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_bearer_auth(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
