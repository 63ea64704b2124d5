"""Serving a target: start its components, build its one ASGI app, run uvicorn, stop cleanly."""

from __future__ import annotations

import copy
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from plant_analytics import __version__
from plant_analytics.ops.connections import protocol_class
from plant_analytics.ops.headers import SecurityHeadersMiddleware
from plant_analytics.ops.health import ops_router
from plant_analytics.ops.http import ObservabilityMiddleware
from plant_analytics.ops.limits import BodyLimitMiddleware, route_limits
from plant_analytics.ops.logging import configure_logging
from plant_analytics.problems import install_problem_handlers
from plant_analytics.security.openapi import declare_bearer_auth
from plant_analytics.settings import Settings, get_settings
from plant_analytics.targets import (
    ComponentStartError,
    Process,
    _optional_module,
    port_for,
    start,
)

log = logging.getLogger(__name__)
TITLE = "Plant Analytics"
DESCRIPTION = (
    "Analytics on the US EPA's eGRID: every US power plant's generation, capacity, fuel mix "
    "and emissions. Log in with `POST /auth/login`, then send `Authorization: Bearer <token>`."
)
GRACEFUL_SHUTDOWN_SECONDS = 15


def new_app() -> FastAPI:
    app = FastAPI(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    install_problem_handlers(app)
    return app


def combined_openapi(settings: Settings) -> dict[str, Any]:
    """The OpenAPI of the platform as the public sees it through the gateway: auth + API.

    Built from the code, so the gateway serves the same document whether the API runs in its
    process or not (one package, one version). The dashboard's client is generated from it.
    """
    from plant_analytics.auth.router import router, well_known
    from plant_analytics.targets import api_placeholder_router

    app = new_app()
    app.include_router(router)
    app.include_router(well_known)
    module = _optional_module("plant_analytics.api.app")
    app.include_router(module.api_router(settings) if module else api_placeholder_router())
    return declare_bearer_auth(copy.deepcopy(app.openapi()))


def build_app(process: Process) -> ASGIApp:
    """One ASGI app for the whole process: the components' routes, ops endpoints, middleware."""
    settings = process.settings
    app = process.base_app or new_app()
    for key, value in process.state.items():
        setattr(app.state, key, value)
    app.include_router(
        ops_router(process.target, settings, process.readiness, lambda: process.engine)
    )
    for router in [*process.routers, *process.last_routers]:
        app.include_router(router)
    if process.state.get("combined_openapi"):
        cached: dict[str, Any] = {}

        def openapi() -> dict[str, Any]:
            if not cached:
                cached.update(combined_openapi(settings))
            return cached

        app.openapi = openapi  # type: ignore[method-assign]

    inner_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with AsyncExitStack() as stack:
            for hook in process.lifespans:
                await stack.enter_async_context(hook())
            process.start_background()
            try:
                async with inner_lifespan(asgi_app) as state:
                    yield state
            finally:
                process.stop_background()

    app.router.lifespan_context = lifespan
    asgi: ASGIApp = app
    for wrap in process.middleware:
        asgi = wrap(asgi)
    # Outermost, so that 413s and other early answers get the security headers too.
    return SecurityHeadersMiddleware(
        guarded(
            ObservabilityMiddleware(
                asgi, service=process.target, count_api_calls=process.has("api")
            ),
            settings,
        )
    )


def trusted_proxies(settings: Settings) -> list[str]:
    """``PA_TRUSTED_PROXIES`` as a list of IPs and CIDRs (empty: trust no forwarded header)."""
    return [item.strip() for item in settings.trusted_proxies.split(",") if item.strip()]


def guarded(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The limits every target applies before anything else: request body sizes (a 413
    before reading), then who the client is (X-Forwarded-For believed only from
    ``PA_TRUSTED_PROXIES``; uvicorn's own proxy handling is off, see ``serve``)."""
    app = BodyLimitMiddleware(app, settings.max_body_bytes, route_limits(settings.max_upload_bytes))
    proxies = trusted_proxies(settings)
    if proxies:
        app = ProxyHeadersMiddleware(app, trusted_hosts=proxies)  # type: ignore[arg-type,assignment]
    return app


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    target: str, settings: Settings | None = None, host: str | None = None, port: int | None = None
) -> int:
    """Run a target until SIGINT/SIGTERM; the exit status is 0 unless a component failed."""
    settings = settings or get_settings()
    configure_logging(target, settings.log_level)
    bind_host, bind_port = host or settings.host, port or port_for(target, settings)
    if not port_is_free(bind_host, bind_port):
        log.error(
            "port %d on %s is already in use (another Plant Analytics still running?): "
            "stop it, or pick another port with --port",
            bind_port,
            bind_host,
        )
        return 1
    try:
        process = start(target, settings)
    except ComponentStartError as exc:
        log.error(str(exc), extra={"component": exc.component})
        return 1
    config = uvicorn.Config(
        build_app(process),
        host=host or settings.host,
        port=port or process.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
        # Forwarded headers are handled in the app (``guarded``), from PA_TRUSTED_PROXIES
        # only: uvicorn's default would believe any X-Forwarded-For from 127.0.0.1.
        proxy_headers=False,
        forwarded_allow_ips="",
        # Slow clients (docs/operations.md, "Connections and timeouts").
        http=protocol_class(
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
            max_header_bytes=settings.max_header_bytes,
            max_per_client=settings.max_connections_per_client,
        ),
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        limit_concurrency=settings.max_connections,
    )
    server = uvicorn.Server(config)
    failures: list[str] = []

    def on_failure(component: str, _exc: BaseException) -> None:
        failures.append(component)
        server.should_exit = True

    process.on_failure = on_failure
    log.info(
        "serving target %s (%s) on %s:%d",
        target,
        ", ".join(process.components),
        config.host,
        config.port,
    )
    server.run()
    if not server.started:
        log.error("target %s did not start (see above)", target)
        return 1
    if failures:
        log.error("stopped because component(s) failed: %s", ", ".join(failures))
        return 1
    return 0
