"""The components of the platform and the targets that run them (Loki-style), in one registry.

A *component* has a name, the components it depends on, and a ``start`` that adds what it
brings to the process (routes, state, readiness checks, middleware, background threads). A
*target* names the components one process runs; ``all`` runs every one of them, embedded.
``resolve`` puts a target's components and their dependencies in start order; a component
that fails to start stops the process, which names it (``ComponentStartError``).

Components adapt to their neighbours: the gateway forwards to auth and the API only when
they run elsewhere; tokens are checked with the local key store when auth runs here, else
with the auth service's JWKS; the API insists on the gateway's signature when it runs alone.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from plant_analytics.ops.health import (
    Readiness,
    broker_check,
    database_check,
    http_check,
    redis_check,
)
from plant_analytics.problems import problem_response
from plant_analytics.settings import Settings, get_settings

log = logging.getLogger(__name__)


class ComponentStartError(RuntimeError):
    def __init__(self, component: str, reason: str) -> None:
        super().__init__(f"component {component!r} failed to start: {reason}")
        self.component = component
        self.reason = reason


@dataclass
class BackgroundService:
    """A blocking ``run(stop_event)`` on its own thread; it must return once stop is set."""

    name: str
    run: Callable[[threading.Event], None]
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: BaseException | None = None


@dataclass
class Process:
    """What the started components contribute to this process."""

    settings: Settings
    target: str
    components: list[str]
    readiness: Readiness = field(default_factory=Readiness)
    routers: list[APIRouter] = field(default_factory=list)
    last_routers: list[APIRouter] = field(default_factory=list)  # catch-alls (dashboard)
    middleware: list[Callable[[ASGIApp], ASGIApp]] = field(default_factory=list)  # inner first
    state: dict[str, Any] = field(default_factory=dict)  # set on app.state
    lifespans: list[Callable[[], AbstractAsyncContextManager[None]]] = field(default_factory=list)
    background: list[BackgroundService] = field(default_factory=list)
    base_app: FastAPI | None = None  # a component's own standalone app (the API alone)
    engine: Engine | None = None
    on_failure: Callable[[str, BaseException], None] | None = None

    def has(self, component: str) -> bool:
        return component in self.components

    @property
    def port(self) -> int:
        return port_for(self.target, self.settings)

    # -- background threads -------------------------------------------------------------

    def start_background(self) -> None:
        for service in self.background:
            service.thread = threading.Thread(
                target=self._run_background,
                args=(service,),
                name=f"pa-{service.name}",
                daemon=True,
            )
            service.thread.start()

    def _run_background(self, service: BackgroundService) -> None:
        try:
            service.run(service.stop)
        except BaseException as exc:
            service.error = exc
            log.exception("component %r failed", service.name, extra={"component": service.name})
            if self.on_failure:
                self.on_failure(service.name, exc)
            return
        if not service.stop.is_set():
            reason = RuntimeError("it returned before being asked to stop")
            service.error = reason
            log.error("component %r stopped on its own", service.name)
            if self.on_failure:
                self.on_failure(service.name, reason)

    def stop_background(self, timeout: float = 30.0) -> None:
        for service in self.background:
            service.stop.set()
        deadline = time.monotonic() + timeout
        for service in self.background:
            if service.thread is not None:
                service.thread.join(max(0.0, deadline - time.monotonic()))
                if service.thread.is_alive():
                    log.error("component %r did not stop within %.0f s", service.name, timeout)


@dataclass(frozen=True)
class Component:
    name: str
    help: str
    start: Callable[[Process], None]
    depends_on: tuple[str, ...] = ()


def _optional_module(name: str) -> ModuleType | None:
    """A module another component provides, or None when it is not part of this build."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


# -- the internal components --------------------------------------------------------------


def _start_database(process: Process) -> None:
    import sqlalchemy as sa

    from plant_analytics.db.engine import get_engine, make_engine
    from plant_analytics.db.migrate import schema_problem

    settings = process.settings
    engine = (
        get_engine() if settings is get_settings() else make_engine(settings.resolved_database_url)
    )
    timeout = settings.startup_timeout_seconds
    deadline = time.monotonic() + timeout
    while True:  # wait for the database: in a deployment it may come up after us
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            break
        except sa.exc.OperationalError as exc:
            if time.monotonic() >= deadline:
                reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else str(exc)
                raise RuntimeError(
                    f"cannot reach {engine.url.render_as_string()} within {timeout:g} s: {reason}"
                ) from None
            time.sleep(0.5)
    problem = schema_problem(engine)
    if problem:
        raise RuntimeError(problem)
    process.engine = engine


def _start_tokens(process: Process) -> None:
    from plant_analytics.security.deps import local_security, remote_security

    if process.has("auth"):
        process.state["security"] = local_security(process.settings, engine=process.engine)
    else:
        alone = process.has("api") and not process.has("gateway")
        process.state["security"] = remote_security(
            process.settings, require_gateway_signature=alone, engine=process.engine
        )


def _start_signing_keys(process: Process) -> None:
    from plant_analytics.auth.keys import get_keystore

    process.state["keystore"] = get_keystore(process.settings)


# -- the targets' components --------------------------------------------------------------


def _start_auth(process: Process) -> None:
    from plant_analytics.auth.router import router, well_known
    from plant_analytics.auth.service import AuthService

    assert process.engine is not None
    process.state["auth_service"] = AuthService(
        process.engine, process.settings, process.state["keystore"]
    )
    process.routers += [router, well_known]
    process.readiness.add("auth", database_check(process.engine))


def api_placeholder_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def not_installed(path: str) -> Response:
        return problem_response(
            503,
            "the analytics API is not part of this build (plant_analytics.api is missing)",
            type_="not-installed",
        )

    return router


def _start_api(process: Process) -> None:
    from plant_analytics.security.gateway_signature import GatewaySignatureMiddleware

    settings = process.settings
    module = _optional_module("plant_analytics.api.app")
    alone = not process.has("gateway")
    if module is None:
        log.warning("no analytics API installed: /api answers 503")
        process.routers.append(api_placeholder_router())
    elif alone:
        process.base_app = module.create_api_app(settings, engine=process.engine)
    else:
        router = module.api_router(settings, engine=process.engine)
        process.routers.append(router)
        api_context = getattr(router, "api_context", None)
        if api_context is not None:
            from plant_analytics.api.fastpath import FastPathMiddleware

            # Innermost wrapper (index 0): the gateway's guard (token check, rate limits) runs
            # first, then cached GETs skip the routing (api/fastpath.py), as in target api.
            process.middleware.insert(
                0,
                lambda app: FastPathMiddleware(
                    app,
                    api_context,
                    module.API_PREFIX + "/",
                    fastapi_app=app if isinstance(app, FastAPI) else None,
                ),
            )
        cache = getattr(getattr(router, "api_context", None), "cache", None)
        if cache is not None:

            @asynccontextmanager
            async def close_cache() -> AsyncIterator[None]:
                yield
                await cache.close()

            process.lifespans.append(close_cache)
    assert process.engine is not None
    checks = [database_check(process.engine)]
    if settings.redis_url:  # the cache: without it the API serves from the database
        checks.append(redis_check(settings.redis_url, critical=False))
    process.readiness.add("api", *checks)
    if alone:
        secret = settings.internal_secret.get_secret_value().encode()
        max_age = settings.gateway_signature_max_age_seconds
        process.middleware.append(
            lambda app: GatewaySignatureMiddleware(app, secret, max_age_seconds=max_age)
        )


def _start_gateway(process: Process) -> None:
    from plant_analytics.gateway.dashboard import dashboard_router
    from plant_analytics.gateway.middleware import GatewayMiddleware, Limits
    from plant_analytics.gateway.proxy import Upstream, new_client
    from plant_analytics.gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
    from plant_analytics.gateway.upstream import UpstreamClient
    from plant_analytics.security.deps import SecurityContext

    settings = process.settings
    limiter: RateLimiter
    if settings.redis_url:
        redis_limiter = RedisRateLimiter(settings.redis_url, settings.redis_key_prefix)
        limiter = redis_limiter
        process.readiness.add("gateway", redis_check(settings.redis_url, critical=False))

        @asynccontextmanager
        async def close_limiter() -> AsyncIterator[None]:
            yield
            await redis_limiter.close()

        process.lifespans.append(close_limiter)
    else:
        limiter = MemoryRateLimiter()
    limits = Limits(
        per_user_per_minute=settings.rate_limit_per_minute,
        per_ip_per_minute=settings.rate_limit_ip_per_minute,
        anonymous_per_ip_per_minute=settings.rate_limit_anonymous_per_minute,
        no_cache_per_minute=settings.rate_limit_no_cache_per_minute,
    )
    context: SecurityContext = process.state["security"]
    process.middleware.append(lambda app: GatewayMiddleware(app, context.verifier, limiter, limits))

    upstreams: list[tuple[tuple[str, ...], Upstream]] = []
    if not process.has("auth"):
        auth = Upstream("auth", settings.auth_url)
        upstreams.append((("/auth/{path:path}", "/.well-known/{path:path}"), auth))
        process.readiness.add("gateway", http_check("auth", f"{auth.base_url}/health"))
    if not process.has("api"):
        secret = settings.internal_secret.get_secret_value().encode()
        api = Upstream("api", settings.api_url, secret, max_body_bytes=settings.max_upload_bytes)
        upstreams.append((("/api/{path:path}",), api))
        process.readiness.add("gateway", http_check("api", f"{api.base_url}/health"))
    if upstreams:
        holder: dict[str, UpstreamClient] = {}

        @asynccontextmanager
        async def http_client() -> AsyncIterator[None]:
            holder["client"] = new_client()
            try:
                yield
            finally:
                await holder.pop("client").aclose()

        process.lifespans.append(http_client)
        router = APIRouter(include_in_schema=False)
        for paths, upstream in upstreams:

            async def forward(request: Request, _upstream: Upstream = upstream) -> Response:
                return await _upstream.forward(request, holder["client"])

            for path in paths:
                router.add_api_route(
                    path,
                    forward,
                    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                )
        process.routers.append(router)
        process.state["combined_openapi"] = True
    process.last_routers.append(dashboard_router(settings.dashboard_dir))


def _pipeline_runner(name: str, process: Process) -> Callable[[threading.Event], None]:
    module = _optional_module(f"plant_analytics.pipeline.{name}")
    settings = process.settings
    if module is not None:
        run: Callable[[Settings, threading.Event], None] = module.run
        return lambda stop: run(settings, stop)

    def placeholder(stop: threading.Event) -> None:
        log.info("no pipeline installed: the %s only serves its ops endpoints", name)
        stop.wait()

    return placeholder


def _start_background(name: str) -> Callable[[Process], None]:
    def start(process: Process) -> None:
        assert process.engine is not None
        checks = [database_check(process.engine)]
        if process.settings.broker_url:
            checks.append(broker_check(process.settings.broker_url))
        process.readiness.add(name, *checks)
        process.background.append(BackgroundService(name, _pipeline_runner(name, process)))

    return start


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in (
        Component(
            "database",
            "Connection pool; waits for the database and checks migrations.",
            _start_database,
        ),
        Component("signing-keys", "The Ed25519 keys that sign access tokens.", _start_signing_keys),
        Component(
            "tokens", "Access-token verification (local keys or the auth JWKS).", _start_tokens
        ),
        Component(
            "auth",
            "Users, login, refresh tokens, JWKS (/auth/*, /.well-known/*).",
            _start_auth,
            ("database", "signing-keys", "tokens"),
        ),
        Component("api", "The analytics API (/api/v1/*).", _start_api, ("database", "tokens")),
        Component(
            "gateway",
            "Public entry: routing, token check, rate limits, dashboard.",
            _start_gateway,
            ("tokens",),
        ),
        Component(
            "worker",
            "Runs ingestion jobs from the queue.",
            _start_background("worker"),
            ("database",),
        ),
        Component(
            "scheduler",
            "Enqueues periodic jobs (scans for new files).",
            _start_background("scheduler"),
            ("database",),
        ),
    )
}

TARGETS: dict[str, tuple[str, ...]] = {
    "all": ("auth", "api", "gateway", "worker", "scheduler"),
    "gateway": ("gateway",),
    "auth": ("auth",),
    "api": ("api",),
    "worker": ("worker",),
    "scheduler": ("scheduler",),
}
TARGET_HELP: dict[str, str] = {
    "all": "Everything in one process on embedded defaults (SQLite, in-memory cache, "
    "in-process queue, local object store). The default.",
    **{name: COMPONENTS[name].help for name in TARGETS if name != "all"},
}


def port_for(target: str, settings: Settings) -> int:
    return {
        "all": settings.gateway_port,
        "gateway": settings.gateway_port,
        "auth": settings.auth_port,
        "api": settings.api_port,
    }.get(target) or settings.ops_port


def resolve(target: str) -> list[str]:
    """The target's components with their dependencies, each after what it depends on."""
    if target not in TARGETS:
        raise KeyError(f"unknown target {target!r}; choose from: {', '.join(TARGETS)}")
    selected = set(TARGETS[target])
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise RuntimeError(f"dependency cycle: {' -> '.join((*path, name))}")
        for dependency in COMPONENTS[name].depends_on:
            visit(dependency, (*path, name))
        order.append(name)

    for name in TARGETS[target]:
        visit(name, ())
    assert all(name in selected or name not in TARGETS for name in order), order
    return order


def start(target: str, settings: Settings | None = None) -> Process:
    """Start the target's components in order; ``ComponentStartError`` names the one that failed."""
    settings = settings or get_settings()
    process = Process(settings=settings, target=target, components=resolve(target))
    for name in process.components:
        log.info("starting %s", name, extra={"component": name})
        try:
            COMPONENTS[name].start(process)
        except ComponentStartError:
            raise
        except Exception as exc:
            raise ComponentStartError(name, f"{type(exc).__name__}: {exc}") from exc
    return process
