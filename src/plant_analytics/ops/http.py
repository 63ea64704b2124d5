"""ASGI middleware for every target: request id, metrics by route template, one log line.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses stream and the cost stays low.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import time
from bisect import bisect_left
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plant_analytics.ops.logging import JsonFormatter, JsonStreamHandler, request_id_var
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
    return new_request_id()


def new_request_id() -> str:
    """What ``uuid.uuid4().hex`` returns (random, version 4 and variant bits set), in a
    sixth of its time: ``uuid.UUID``'s constructor is most of a cached request's id cost."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


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


class _Recorder:
    """Counts one request in ``counters`` and observes its duration in ``histogram`` (all
    labelled children), as ``inc()`` and ``observe()`` do, through the values they update
    (the same locked values): their wrappers' checks (not observable, negative amounts,
    exemplars) cannot apply here, and cost as much again. Public methods when a child is
    not of the known layout."""

    __slots__ = ("_bounds", "_buckets", "_incs", "_observe", "_sum")

    def __init__(self, counters: list[Any], histogram: Any) -> None:
        try:
            self._incs = tuple(counter._value.inc for counter in counters)
            bounds = list(histogram._upper_bounds)
            buckets = tuple(bucket.inc for bucket in histogram._buckets)
            if len(bounds) != len(buckets) or bounds != sorted(bounds) or bounds[-1] != math.inf:
                raise AttributeError("unexpected histogram layout")
            self._sum = histogram._sum.inc
            self._bounds, self._buckets = bounds, buckets
            self._observe = None
        except AttributeError:
            self._incs = tuple(_public_inc(counter) for counter in counters)
            self._observe = histogram.observe

    def record(self, duration: float) -> None:
        for inc in self._incs:
            inc(1)
        if self._observe is not None:
            self._observe(duration)
            return
        self._sum(duration)
        self._buckets[bisect_left(self._bounds, duration)](1)  # the first bound >= duration


def _public_inc(counter: Any) -> Any:
    return lambda amount: counter.inc(amount)


class ObservabilityMiddleware:
    """Give each request an id, count and time it by route template, log it as JSON."""

    def __init__(self, app: ASGIApp, service: str, count_api_calls: bool = True) -> None:
        self.app = app
        self.service = service
        self.count_api_calls = count_api_calls
        # (method, route template, status) -> how to count and time such a request, made
        # from the labelled children once (``labels()`` looks them up under a lock on every
        # call). Bounded: templates and statuses are few.
        self._children: dict[tuple[str, str, int], _Recorder] = {}

    def _metric_children(self, method: str, route: str, status: int) -> _Recorder:
        counters: list[Any] = [http_requests_total.labels(self.service, method, route, str(status))]
        if self.count_api_calls and route.startswith("/api/"):
            counters.append(api_calls_by_endpoint.labels(route))
        recorder = _Recorder(
            counters, http_request_duration_seconds.labels(self.service, method, route)
        )
        if len(self._children) < 10_000:
            self._children[(method, route, status)] = recorder
        return recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                send = _flushing_at_shutdown(send)
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
        recorder = self._children.get((method, route, status))
        if recorder is None:
            recorder = self._metric_children(method, route, status)
        recorder.record(duration)
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


def _flushing_at_shutdown(send: Send) -> Send:
    """``send`` of the lifespan, writing out the buffered request lines once the app has
    shut down (no request is served after it; ``logging.shutdown`` at exit does it again)."""

    async def send_and_flush(message: Message) -> None:
        if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
            flush_access_lines()
        await send(message)

    return send_and_flush


def flush_access_lines() -> None:
    """Write out the request lines the handlers of ``configure_logging`` still hold."""
    for handler in logging.root.handlers:
        if isinstance(handler, JsonStreamHandler):
            handler.flush()


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
        (type(handler) is not JsonStreamHandler and type(handler) is not logging.StreamHandler)
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
    LogRecord (a third of the cost of a cached request): the constant parts come from a
    template per (route, status, user, ...) made by orjson itself, the time, request id and
    duration are put in. tests/ops checks the lines are equal. A ``JsonStreamHandler`` takes
    it into its buffer (written out within ``interval`` seconds, and at exit); any other
    handler writes it at once."""
    formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]
    template = None
    if tuple(fields) == _FIELD_ORDER:
        key = (
            formatter.service,
            method,
            route,
            status,
            fields["user"],
            fields["path"],
            fields["client"],
        )
        template = _line_templates.get(key, _MISSING)
        if template is _MISSING:
            template = _line_template(key, fields)
    request_id = fields.get("request_id")
    duration = fields.get("duration_ms")
    if (
        template is not None
        and type(request_id) is str
        and _SAFE_REQUEST_ID.match(request_id)
        and type(duration) is float
    ):
        head, middle, tail = template
        line = (
            f'{{"time":"{_log_time(time.time())}"{head}"{request_id}"{middle}'
            f"{orjson.dumps(duration).decode()}{tail}{handler.terminator}"
        )
    else:
        line = orjson.dumps(_entry(formatter, method, route, status, fields), default=str).decode()
        line += handler.terminator
    handler.acquire()
    try:
        if type(handler) is JsonStreamHandler:
            handler.write_line(line)
        else:
            handler.stream.write(line)
            handler.flush()
    except Exception:
        handler.release()
        access_log.info("%s %s %s", method, route, status, extra=fields)
        return
    handler.release()


_FIELD_ORDER = ("request_id", "user", "method", "route", "path", "status", "duration_ms", "client")
_line_templates: dict[tuple[Any, ...], Any] = {}
_MISSING = object()
_TIME, _ID, _DURATION = "\x00t\x00", "\x00i\x00", "\x00d\x00"


def _entry(
    formatter: JsonFormatter,
    method: str,
    route: str,
    status: int,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """The object ``JsonFormatter.format`` makes of ``access_log.info`` with ``fields``."""
    entry: dict[str, Any] = {
        "time": _log_time(time.time()),
        "level": "info",
        "service": formatter.service,
        "logger": access_log.name,
        "message": f"{method} {route} {status}",
    }
    request_id = request_id_var.get()
    if request_id:
        entry["request_id"] = request_id
    entry.update(fields)
    return entry


def _line_template(key: tuple[Any, ...], fields: dict[str, Any]) -> Any:
    """The line of ``_entry`` cut around its time, request id and duration, or None when a
    value contains a marker. Kept per ``key`` (a few thousand at most)."""
    service, method, route, status = key[:4]
    entry = {
        "time": _TIME,
        "level": "info",
        "service": service,
        "logger": access_log.name,
        "message": f"{method} {route} {status}",
        **fields,
        "request_id": _ID,
        "duration_ms": _DURATION,
    }
    text = orjson.dumps(entry, default=str).decode()
    markers = [orjson.dumps(m).decode() for m in (_TIME, _ID, _DURATION)]
    template: tuple[str, str, str] | None = None
    if all(text.count(m) == 1 for m in markers):
        start, rest = text.split(markers[0])
        head, rest = rest.split(markers[1])
        middle, tail = rest.split(markers[2])
        if start == '{"time":':
            template = (head, middle, tail)
    if len(_line_templates) >= 4096:
        _line_templates.clear()
    _line_templates[key] = template
    return template


_time_second = -1
_time_prefix = ""


def _log_time(now: float) -> str:
    """``JsonFormatter``'s time (ISO 8601, UTC, milliseconds), the date part made once a
    second."""
    global _time_second, _time_prefix
    second = int(now)
    if second != _time_second:
        _time_prefix = dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _time_second = second
    return f"{_time_prefix}.{int((now - second) * 1000):03d}+00:00"
