"""The fast path: a cached GET answered without entering FastAPI's routing and validation.

``cached_json`` stores each JSON body with the template of the route that produced it,
under a key made of the database, the data version, the path and the canonical query. An
identical request can then only be answered with that body: the fast path authenticates the
caller exactly as ``require_principal`` does (same verifier, same token cache, the gateway's
signature when the API runs as its own target), finds the entry, and sends the response the
route would send (same body, ETag, Cache-Control, X-Data-Version; 304 on If-None-Match).

Whatever it is not sure of goes through FastAPI unchanged: no or a bad token (the route
answers the 401), no entry (the route validates, computes and fills the cache),
``Cache-Control: no-cache``, a route that needs more than an authenticated user, a
dependency override of ``require_principal`` (tests). A request is never refused here.

The request log line and the metrics are those of the route: ``ObservabilityMiddleware``
reads the route template from ``scope["route"]``, set here from the entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from plant_analytics.api.context import ApiContext
from plant_analytics.api.responses import (
    cache_key,
    etag_matches,
    etag_of,
    json_response,
    not_modified,
    scope_key,
    unpack,
)
from plant_analytics.infra.cache.base import count
from plant_analytics.security.deps import require_admin, require_principal, security_context_of
from plant_analytics.security.tokens import InvalidTokenError


class TemplateRoute:
    """What ``scope["route"]`` holds for a request the fast path served: its template."""

    __slots__ = ("name", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = path


def _needs_admin(dependant: Any) -> bool:
    return any(
        d.call is require_admin or _needs_admin(d) for d in getattr(dependant, "dependencies", ())
    )


def fast_path_routes(routes: Iterable[Any], prefix: str) -> frozenset[str]:
    """The templates of the GET routes any authenticated user may call."""
    return frozenset(
        prefix + route.path
        for route in routes
        if isinstance(route, APIRoute)
        and "GET" in (route.methods or ())
        and not _needs_admin(route.dependant)
    )


class FastPathMiddleware:
    def __init__(self, app: ASGIApp, ctx: ApiContext, prefix: str) -> None:
        self.app = app
        self.ctx = ctx
        self.prefix = prefix
        self.routes: dict[str, TemplateRoute] = {t: TemplateRoute(t) for t in ctx.fast_path_routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(self.prefix)
            and await self._serve(scope, receive, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> bool:
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"cache-control" and b"no-cache" in value:
                return False  # computed afresh by the route
        if authorization is None:
            return False
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        app: FastAPI | None = scope.get("app")
        if app is None or require_principal in app.dependency_overrides:
            return False
        security = security_context_of(app)
        state: dict[str, Any] = scope.setdefault("state", {})
        if security.require_gateway_signature and not state.get("gateway_verified"):
            return False
        try:
            principal = await security.verifier.verify(token)
        except InvalidTokenError:
            return False
        ctx = self.ctx
        version = await ctx.versions.current()
        key = scope_key(scope)
        entry = await ctx.cache.get(cache_key(ctx, version, key))
        if entry is None:
            return False
        template, body = unpack(entry)
        route = self.routes.get(template)
        if route is None:
            return False
        count(hit=True)
        state["principal"] = principal  # for the request log line, as require_principal does
        state["pa_api"] = ctx
        scope["route"] = route
        etag = etag_of(version, key)
        if etag_matches(if_none_match, etag):
            response = not_modified(version, etag)
        else:
            response = json_response(body, version, etag)
        await response(scope, receive, send)
        return True
