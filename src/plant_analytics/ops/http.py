"""ASGI middleware for every target: request id, metrics by route template, one log line.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses stream and the cost stays low.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plant_analytics.ops.logging import JsonFormatter, request_id_var
from plant_analytics.ops.metrics import (
    api_calls_by_endpoint,
    http_request_duration_seconds,
    http_requests_total,
)

REQUEST_ID_HEADER = "x-request-id"
UNMATCHED = "unmatched"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("plant_analytics.access")


def incoming_request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is sane, else a new one (ids end up in logs)."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/v1/plants/{plant_id}``), never the raw path."""
    # FastAPI keeps included routers nested: the route's own path lacks their prefixes, the
    # effective route context has the full template.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    if not isinstance(path, str):
        path = getattr(scope.get("route"), "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return str(path) or "/"


class ObservabilityMiddleware:
    """Give each request an id, count and time it by route template, log it as JSON."""

    def __init__(self, app: ASGIApp, service: str, count_api_calls: bool = True) -> None:
        self.app = app
        self.service = service
        self.count_api_calls = count_api_calls
        # (method, route template, status) -> the labelled children: ``labels()`` looks them
        # up under a lock on every call. Bounded: templates and statuses are few.
        self._children: dict[tuple[str, str, int], tuple[tuple[Any, ...], Any]] = {}

    def _metric_children(self, method: str, route: str, status: int) -> tuple[tuple[Any, ...], Any]:
        counters: list[Any] = [http_requests_total.labels(self.service, method, route, str(status))]
        if self.count_api_calls and route.startswith("/api/"):
            counters.append(api_calls_by_endpoint.labels(route))
        children = (
            tuple(counters),
            http_request_duration_seconds.labels(self.service, method, route),
        )
        if len(self._children) < 10_000:
            self._children[(method, route, status)] = children
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            self._record(scope, state, status, duration)
            request_id_var.reset(token)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, duration: float) -> None:
        method = scope["method"]
        route = route_template(scope)
        children = self._children.get((method, route, status))
        if children is None:
            children = self._metric_children(method, route, status)
        for counter in children[0]:
            counter.inc()
        children[1].observe(duration)
        if not access_log.isEnabledFor(logging.INFO):
            return
        principal = state.get("principal")
        fields = {
            "request_id": state.get("request_id"),
            "user": getattr(principal, "email", None),
            "method": method,
            "route": route,
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round(duration * 1000, 2),
            "client": (scope.get("client") or (None,))[0],
        }
        handler = _json_handler()
        if handler is not None:
            _emit_access_line(handler, method, route, status, fields)
        else:
            access_log.info("%s %s %s", method, route, status, extra=fields)


def _json_handler() -> logging.StreamHandler[Any] | None:
    """The one handler an access line goes to when logging is as ``configure_logging`` sets
    it (one JSON stream handler on the root, nothing in between); None otherwise (tests'
    caplog, other handlers or filters), and the line goes through ``logging`` as usual."""
    logger: logging.Logger | None = access_log
    while logger is not None and logger is not logging.root:
        if logger.handlers or logger.filters or not logger.propagate or logger.disabled:
            return None
        logger = logger.parent
    root = logging.root
    if len(root.handlers) != 1 or root.filters:
        return None
    handler = root.handlers[0]
    if (
        type(handler) is not logging.StreamHandler
        or handler.filters
        or handler.level > logging.INFO
        or type(handler.formatter) is not JsonFormatter
    ):
        return None
    return handler


def _emit_access_line(
    handler: logging.StreamHandler[Any],
    method: str,
    route: str,
    status: int,
    fields: dict[str, Any],
) -> None:
    """The line ``JsonFormatter`` would write for ``access_log.info``, without building a
    LogRecord (a third of the cost of a cached request). tests/ops checks they are equal."""
    formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]
    entry: dict[str, Any] = {
        "time": dt.datetime.fromtimestamp(time.time(), dt.UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "service": formatter.service,
        "logger": access_log.name,
        "message": f"{method} {route} {status}",
    }
    request_id = request_id_var.get()
    if request_id:
        entry["request_id"] = request_id
    entry.update(fields)
    line = orjson.dumps(entry, default=str).decode() + handler.terminator
    handler.acquire()
    try:
        handler.stream.write(line)
        handler.flush()
    except Exception:
        handler.release()
        access_log.info("%s %s %s", method, route, status, extra=fields)
        return
    handler.release()
