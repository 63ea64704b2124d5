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

Where it runs: in the ``api`` target, ``FastPathApp`` (the app ``create_api_app`` returns)
tries it first thing in its ``__call__``, before Starlette's middleware stack (error and
exception middleware, FastAPI's exit stack), which cost as much as the rest of a cached
request. In ``--target all`` it wraps the combined app inside the gateway's guard (token
check and rate limits first), see targets.py. The headers of a cached answer are built once
per (data version, request) and sent as they are; tests/api/test_fast_path.py checks they
are byte for byte those of ``json_response`` / ``not_modified``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from plant_analytics.api.context import ApiContext
from plant_analytics.api.responses import (
    cache_key,
    etag_matches,
    etag_of,
    scope_key,
    unpack,
    version_headers,
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


@lru_cache(maxsize=4096)
def _answer_headers(version: str, key: str) -> tuple[str, list[tuple[bytes, bytes]]]:
    """The ETag and the headers ``json_response``/``not_modified`` send for this request,
    without their content-length and content-type (Starlette puts those last)."""
    etag = etag_of(version, key)
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in version_headers(version, etag).items()
    ]
    return etag, raw


async def send_cached(send: Send, body: bytes, version: str, key: str,
                      if_none_match: str | None) -> None:
    """What ``json_response(body, version, etag)`` (or ``not_modified`` on a matching
    If-None-Match) sends, without building a Response."""
    etag, raw = _answer_headers(version, key)
    if etag_matches(if_none_match, etag):
        await send({"type": "http.response.start", "status": 304, "headers": list(raw)})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [*raw, (b"content-length", str(len(body)).encode("latin-1")),
               (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FastPathMiddleware:
    """The fast path in front of ``app``. ``fastapi_app``: the FastAPI app whose security
    context and dependency overrides apply, when ``scope["app"]`` is not set yet (the
    middleware wraps the app from outside, as in ``--target all``)."""

    def __init__(self, app: ASGIApp | None, ctx: ApiContext, prefix: str,
                 fastapi_app: FastAPI | None = None) -> None:
        self.app = app
        self.ctx = ctx
        self.prefix = prefix
        self.fastapi_app = fastapi_app
        self.routes: dict[str, TemplateRoute] = {t: TemplateRoute(t) for t in ctx.fast_path_routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(self.prefix)
            and await self._serve(scope, receive, send)
        ):
            return
        assert self.app is not None
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> bool:
        try:
            found = await self._lookup(scope)
        except Exception:  # an unexpected failure: the route handles it (and answers it)
            return False
        if found is None:
            return False
        body, version, key, if_none_match = found
        await send_cached(send, body, version, key, if_none_match)
        return True

    async def _lookup(self, scope: Scope) -> tuple[bytes, str, str, str | None] | None:
        """The cached body for this request, when it may be served here; else None."""
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"cache-control" and b"no-cache" in value:
                return None  # computed afresh by the route
        if authorization is None:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        app: FastAPI | None = scope.get("app") or self.fastapi_app
        if app is None or require_principal in app.dependency_overrides:
            return None
        security = security_context_of(app)
        state: dict[str, Any] = scope.setdefault("state", {})
        if security.require_gateway_signature and not state.get("gateway_verified"):
            return None
        try:
            principal = await security.verifier.verify(token)
        except InvalidTokenError:
            return None
        ctx = self.ctx
        version = await ctx.versions.current()
        key = scope_key(scope)
        entry = await ctx.cache.get(cache_key(ctx, version, key))
        if entry is None:
            return None
        template, body = unpack(entry)
        route = self.routes.get(template)
        if route is None:
            return None
        count(hit=True)
        state["principal"] = principal  # for the request log line, as require_principal does
        state["pa_api"] = ctx
        scope["route"] = route
        return body, version, key, if_none_match


class FastPathApp(FastAPI):
    """FastAPI with the fast path tried before Starlette's middleware stack."""

    fast_path: FastPathMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.fast_path
        if (
            fast is not None
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(fast.prefix)
        ):
            scope["app"] = self  # as Starlette sets it: the security context, the overrides
            if await fast._serve(scope, receive, send):
                return
        await super().__call__(scope, receive, send)
