"""The fast path: a cached GET answered without entering FastAPI's routing and validation.

``cached_json`` stores each JSON body with the template of the route that produced it,
under a key made of the database, the data version, the path and the canonical query. An
identical request can then only be answered with that body: the fast path authenticates the
caller exactly as ``require_principal`` does (same verifier, same token cache, the gateway's
signature when the API runs as its own target), finds the entry, and sends the response the
route would send (same body, ETag, Cache-Control, X-Data-Version; 304 on If-None-Match).

Whatever it is not sure of goes through FastAPI unchanged: no or a bad token (the route
answers the 401), no entry (the route validates, computes and fills the cache), an
admin's ``Cache-Control: no-cache`` (anyone else's is answered from the cache), a route
that needs more than an authenticated user, a dependency override of ``require_principal``
(tests). A request is never refused here.

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

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from plant_analytics.api.context import ApiContext
from plant_analytics.api.responses import (
    etag_matches,
    etag_of,
    request_cache_keys,
    unpack,
    version_headers,
)
from plant_analytics.ops.http import increment
from plant_analytics.ops.metrics import cache_hits_total
from plant_analytics.security.deps import require_admin, security_context_of
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


class CachedAnswer:
    """Everything sent for one cached entry: its body, ETag and both header lists (200 and
    304), made once per entry (``FastPathMiddleware`` keeps them next to the entry)."""

    __slots__ = ("body", "entry", "etag", "headers", "not_modified_headers", "route")

    def __init__(
        self, body: bytes, version: str, key: str, entry: bytes = b"", route: Any = None
    ) -> None:
        etag, raw = _answer_headers(version, key)
        self.entry = entry
        self.route = route
        self.body = body
        self.etag = etag
        self.not_modified_headers = raw
        self.headers = [
            *raw,
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]


def answer_messages(
    answer: CachedAnswer, if_none_match: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two messages ``json_response`` (or ``not_modified`` on a matching If-None-Match)
    sends, without building a Response (the header list copied: a middleware may add to
    it)."""
    if if_none_match is not None and etag_matches(if_none_match, answer.etag):
        status, headers, body = 304, answer.not_modified_headers, b""
    else:
        status, headers, body = 200, answer.headers, answer.body
    return (
        {"type": "http.response.start", "status": status, "headers": [*headers]},
        {"type": "http.response.body", "body": body},
    )


async def send_answer(send: Send, answer: CachedAnswer, if_none_match: str | None) -> None:
    """What ``json_response`` (or ``not_modified`` on a matching If-None-Match) sends,
    without building a Response."""
    start, body = answer_messages(answer, if_none_match)
    await send(start)
    await send(body)


async def send_cached(
    send: Send, body: bytes, version: str, key: str, if_none_match: str | None
) -> None:
    """What ``json_response(body, version, etag)`` (or ``not_modified`` on a matching
    If-None-Match) sends, without building a Response."""
    await send_answer(send, CachedAnswer(body, version, key), if_none_match)


# what the fast path reads of a request's headers: token, If-None-Match, ``no-cache``
CacheRequest = tuple[str, str | None, bool]


def _cache_request(headers: Iterable[tuple[bytes, bytes]]) -> CacheRequest | None:
    """The bearer token, If-None-Match and whether ``no-cache`` is asked, of a request the
    fast path may take: exactly one ``Authorization: Bearer <token>``, If-None-Match and
    Cache-Control at most once each. None: leave it to the routes (``require_principal``
    answers a missing or malformed token, whatever is repeated is theirs too)."""
    authorization = if_none_match = None
    no_cache = False
    for name, value in headers:
        if name == b"authorization":
            if authorization is not None:
                return None
            authorization = value
        elif name == b"if-none-match":
            if if_none_match is not None:
                return None
            if_none_match = value.decode("latin-1")
        elif name == b"cache-control":
            if no_cache:
                return None
            no_cache = b"no-cache" in value
    if authorization is None:
        return None
    if len(authorization) <= _TOKENS_KEPT_BYTES:
        token = _bearer_token(authorization)
    else:
        token = _bearer_token.__wrapped__(authorization)
    if token is None:
        return None
    return token, if_none_match, no_cache


_TOKENS_KEPT_BYTES = 4096


@lru_cache(maxsize=256)
def _bearer_token(authorization: bytes) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value (as ``bearer_token`` reads
    it), None for anything else. Kept per value (up to ``_TOKENS_KEPT_BYTES``): a repeated
    header gives the same string, whose hash, the verified-token cache's lookup, is not
    computed again."""
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


ANSWERS_KEPT = 1024
ANSWER_BYTES_KEPT = 64 * 1024 * 1024


class FastPathMiddleware:
    """The fast path in front of ``app``. ``fastapi_app``: the FastAPI app whose security
    context and dependency overrides apply, when ``scope["app"]`` is not set yet (the
    middleware wraps the app from outside, as in ``--target all``)."""

    compute_top = True  # /plants/top misses too (tests turn it off to watch the routes)

    def __init__(
        self, app: ASGIApp | None, ctx: ApiContext, prefix: str, fastapi_app: FastAPI | None = None
    ) -> None:
        self.app = app
        self.ctx = ctx
        self.prefix = prefix
        self.fastapi_app = fastapi_app
        self.top_path = prefix.rstrip("/") + "/plants/top"
        self.routes: dict[str, TemplateRoute] = {t: TemplateRoute(t) for t in ctx.fast_path_routes}
        # cache key -> the answer made from the entry last found under it (bounded)
        self._answers: dict[str, CachedAnswer] = {}
        self._answer_bytes = 0
        self._count_hit = increment(cache_hits_total)  # what infra.cache's count(hit=True) does

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
        """Answer ``scope`` from the cache when it may be (True), else leave it (False).

        One coroutine with sync steps: the checks are those of ``require_principal`` and
        ``cached_json``, the awaits only those that may need I/O (a token not verified yet,
        the data version, the cache)."""
        try:
            request = _cache_request(scope["headers"])
            if request is None:
                return False
            token, if_none_match, no_cache = request
            app: FastAPI | None = scope.get("app") or self.fastapi_app
            if app is None or app.dependency_overrides:
                return False
            security = security_context_of(app)
            state: dict[str, Any] | None = scope.get("state")
            if state is None:
                state = scope["state"] = {}
            if security.require_gateway_signature and not state.get("gateway_verified"):
                return False
            verifier = security.verifier
            principal = verifier.cached(token)
            if principal is None:
                try:
                    principal = await verifier.verify(token)
                except InvalidTokenError:
                    return False
            found = None
            if not (no_cache and principal.is_admin):  # others' no-cache: from the cache too
                ctx = self.ctx
                version = await ctx.versions.current()
                key, full_key = request_cache_keys(
                    ctx.database_tag, version, scope["path"], scope.get("query_string", b"")
                )
                entry = await ctx.cache.get(full_key)
                if entry is not None:
                    found = self._answers.get(full_key)
                    if found is None or (found.entry is not entry and found.entry != entry):
                        found = self._new_answer(full_key, version, key, entry)
        except Exception:  # an unexpected failure: the route handles it (and answers it)
            return False
        if found is not None:
            self._count_hit(1)
            state["principal"] = principal  # for the request log line, as require_principal
            state["pa_api"] = self.ctx
            scope["route"] = found.route
            if if_none_match is None:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": [*found.headers]}
                )
                await send({"type": "http.response.body", "body": found.body})
            else:
                start, body = answer_messages(found, if_none_match)
                await send(start)
                await send(body)
            return True
        if self.compute_top and scope["path"] == self.top_path:
            return await self._top(scope, receive, send, principal)
        return False

    def _new_answer(
        self, full_key: str, version: str, key: str, entry: bytes
    ) -> CachedAnswer | None:
        """The answer made of ``entry``, kept for the next requests of ``full_key``; None when
        its route may not be served here."""
        template, body = unpack(entry)
        route = self.routes.get(template)
        if route is None:
            return None
        answer = CachedAnswer(body, version, key, entry, route)
        if len(self._answers) >= ANSWERS_KEPT or self._answer_bytes > ANSWER_BYTES_KEPT:
            self._answers.clear()
            self._answer_bytes = 0
        self._answers[full_key] = answer
        self._answer_bytes += 2 * len(entry)
        return answer

    async def _top(self, scope: Scope, receive: Receive, send: Send, principal: Any) -> bool:
        """``/plants/top`` not in the cache (or ``no-cache``): its parameters checked by hand
        (only the plain forms; anything else, every invalid value included, goes to FastAPI,
        so its 422 problems stay its own), then the route's own function called."""
        params = top_parameters(scope.get("query_string", b""))
        route = self.routes.get(self.top_path)
        if params is None or route is None:
            return False
        year, state_code, metric, limit = params
        if metric not in _top_metrics():
            return False  # the route's 422
        from plant_analytics.api.formats import Format
        from plant_analytics.api.routers.plants import top_plants

        state: dict[str, Any] = scope["state"]
        state["principal"] = principal
        state["pa_api"] = self.ctx
        scope["route"] = route
        try:
            response = await top_plants(
                Request(scope, receive),
                self.ctx,
                principal,
                year,
                None if state_code is None else [state_code],
                None,
                metric,
                limit,
                Format.JSON,
            )
        except Exception:  # a problem (404, ...): the route raises it again, and answers it
            del state["principal"], state["pa_api"], scope["route"]
            return False
        await response(scope, receive, send)
        return True


_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_]{1,80}")
_YEAR = re.compile(r"[0-9]{4}")
_LIMIT = re.compile(r"[1-9][0-9]{0,3}")
_STATE = re.compile(r"[A-Za-z]{2}")


@lru_cache(maxsize=4096)
def top_parameters(query_string: bytes) -> tuple[int | None, str | None, str, int] | None:
    """``year``, ``state``, ``metric`` and ``limit`` of a /plants/top query in their plain
    forms (each at most once, digits and letters only, in range): what FastAPI would make of
    them. None for anything else (repeats, other parameters, encodings, blanks, values out
    of range), which FastAPI then validates itself."""
    seen: dict[str, str] = {}
    if query_string:
        for part in query_string.decode("latin-1").split("&"):
            name, sep, value = part.partition("=")
            if not sep or name in seen or not _PLAIN_VALUE.fullmatch(value):
                return None
            seen[name] = value
    year = state = limit = None
    metric = "net_generation_mwh"
    for name, value in seen.items():
        if name == "year" and _YEAR.fullmatch(value) and 1996 <= int(value) <= 2100:
            year = int(value)
        elif name == "state" and _STATE.fullmatch(value):
            state = value
        elif name == "limit" and _LIMIT.fullmatch(value) and int(value) <= 1000:
            limit = int(value)
        elif name == "metric":
            metric = value
        else:
            return None
    return year, state, metric, 10 if limit is None else limit


@lru_cache(maxsize=1)
def _top_metrics() -> frozenset[str]:
    """The metrics ``validate_top_metric`` accepts."""
    from plant_analytics.api.services.aggregation import additive_columns
    from plant_analytics.api.sorting import numeric_columns
    from plant_analytics.egrid.levels import Level

    return frozenset(numeric_columns(Level.PLANT)) | frozenset(additive_columns(Level.GENERATOR))


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
