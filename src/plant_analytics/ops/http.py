"""ASGI middleware for every target: request id, metrics by route template, one log line.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses stream and the cost stays low.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from operator import itemgetter
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plant_analytics.ops.logging import JsonFormatter, JsonStreamHandler, request_id_var
from plant_analytics.ops.metrics import RequestSeries, request_metrics

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_NAME = b"x-request-id"
_CONNECTION_CLOSE = (b"connection", b"close")
_name_of = itemgetter(0)  # of a header: ``name in map(_name_of, headers)`` scans in C
UNMATCHED = "unmatched"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("plant_analytics.access")


def incoming_request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is sane, else a new one (ids end up in logs)."""
    headers = scope.get("headers", ())
    if _REQUEST_ID_NAME not in map(_name_of, headers):
        return new_request_id()
    for name, value in headers:
        if name == _REQUEST_ID_NAME:
            candidate: str = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
            break
    return new_request_id()


# uuid4's version and variant bits, as byte -> byte tables (``bytes.translate``)
_UUID4_VERSION = bytes((b & 0x0F) | 0x40 for b in range(256))
_UUID4_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))
_REQUEST_IDS_PER_BATCH = 256
_request_ids: list[str] = []


def new_request_id() -> str:
    """What ``uuid.uuid4().hex`` returns (random, version 4 and variant bits set), taken
    from a batch made at once: one ``os.urandom`` call and C-level byte operations per 256
    ids, where ``uuid.UUID``'s constructor (or the same work per id) was most of a cached
    request's id cost."""
    try:
        return _request_ids.pop()
    except IndexError:
        batch = request_id_batch(_REQUEST_IDS_PER_BATCH)
        request_id = batch.pop()
        _request_ids.extend(batch)
        return request_id


def request_id_batch(count: int) -> list[str]:
    """``count`` ids as ``uuid.uuid4().hex`` makes them (tests/ops checks they parse so)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_UUID4_VERSION)
    raw[8::16] = raw[8::16].translate(_UUID4_VARIANT)
    return raw.hex(" ", 16).split()


# A forked child must not hand out the ids its parent holds (the parent hands them out too).
os.register_at_fork(after_in_child=_request_ids.clear)


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/v1/plants/{plant_id}``), never the raw path."""
    # FastAPI keeps included routers nested: the route's own path lacks their prefixes, the
    # effective route context has the full template.
    fastapi = scope.get("fastapi")
    if fastapi:
        path = getattr(fastapi.get("effective_route_context"), "path_format", None)
        if isinstance(path, str):
            return path or "/"
    path = getattr(scope.get("route"), "path", None)
    return (path or "/") if isinstance(path, str) else UNMATCHED


def increment(counter: Any) -> Callable[[float], None]:
    """``counter.inc`` (of an unlabelled prometheus_client Counter) without its wrapper's
    checks (labels, a negative amount, exemplars: none can apply to adding 1): the inc of
    the locked value it updates, when the counter has that layout; else the method."""
    inc = getattr(getattr(counter, "_value", None), "inc", None)
    return inc if callable(inc) else counter.inc  # type: ignore[no-any-return]


class ObservabilityMiddleware:
    """Give each request an id, count and time it by route template, log it as JSON."""

    def __init__(self, app: ASGIApp, service: str, count_api_calls: bool = True) -> None:
        self.app = app
        self.service = service
        self.count_api_calls = count_api_calls
        # (method, route template, status) -> the metrics series such a request is counted
        # and timed in (ops/metrics.py). Bounded: templates and statuses are few.
        self._children: dict[tuple[str, str, int], RequestSeries] = {}

    def _metric_children(self, method: str, route: str, status: int) -> RequestSeries:
        series = request_metrics.series(
            self.service,
            method,
            route,
            str(status),
            self.count_api_calls and route.startswith("/api/"),
        )
        if len(self._children) < 10_000:
            self._children[(method, route, status)] = series
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                send = _flushing_at_shutdown(send)
            await self.app(scope, receive, send)
            return
        if _REQUEST_ID_NAME in map(_name_of, scope["headers"]):
            request_id = incoming_request_id(scope)
        else:
            request_id = new_request_id()
        id_header = (_REQUEST_ID_NAME, request_id.encode("latin-1"))
        state: dict[str, Any] | None = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        # A plain function handing back ``send``'s awaitable (ASGI's ``send`` is any callable
        # returning one): the same messages, one coroutine less per message.
        def send_with_id(message: Message) -> Awaitable[None]:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ())]
                if _REQUEST_ID_NAME in map(_name_of, headers):  # the app's own: replaced
                    headers = [h for h in headers if h[0] != _REQUEST_ID_NAME]
                headers.append(id_header)
                if status >= 500 and status != 503 and _CONNECTION_CLOSE not in headers:
                    # A server error may leave the exchange broken (uvicorn closes the
                    # connection after an unhandled exception): say so, as HTTP requires.
                    headers.append(_CONNECTION_CLOSE)
                message = {**message, "headers": headers}
            return send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, state, status, time.perf_counter() - started, request_id)
            request_id_var.reset(token)

    def _record(
        self, scope: Scope, state: dict[str, Any], status: int, duration: float, request_id: str
    ) -> None:
        """Count and time the request; its log line. ``request_id``: the id this middleware
        gave it (and checked): ``state["request_id"]`` is logged, which is that one unless
        the app replaced it."""
        method = scope["method"]
        route = route_template(scope)
        series = self._children.get((method, route, status))
        if series is None:
            series = self._metric_children(method, route, status)
        series.record(duration)
        if not access_log.isEnabledFor(logging.INFO):
            return
        logged_id = state.get("request_id")
        user = getattr(state.get("principal"), "email", None)
        path = scope.get("path")
        hundredths = round(duration * 100_000)  # the duration in 0.01 ms
        client = (scope.get("client") or (None,))[0]
        handler = _json_handler()
        line = None
        if handler is not None and logged_id is request_id:
            # the common case, without a dict of fields: the id is this middleware's (safe)
            line = _templated_line(
                handler,
                method,
                route,
                status,
                request_id,
                user,
                path,
                f"{hundredths // 100}{_HUNDREDTHS[hundredths % 100]}"
                if 0 <= hundredths < _PLAIN_HUNDREDTHS
                else orjson.dumps(hundredths / 100).decode(),
                client,
            )
            if line is not None and _write_access_line(handler, line):
                return
        fields = {
            "request_id": logged_id,
            "user": user,
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": hundredths / 100,
            "client": client,
        }
        if handler is not None and line is None:
            _emit_access_line(handler, method, route, status, fields)
        else:
            access_log.info("%s %s %s", method, route, status, extra=fields)


# ".0", ".01", ..., ".1", ".11", ...: the decimals of hundredths as orjson writes the float
# hundredths / 100 (its shortest form), for values written without an exponent
_HUNDREDTHS = tuple(f".{k // 10}" if k % 10 == 0 else f".{k:02d}" for k in range(100))
_PLAIN_HUNDREDTHS = 2**40


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
    root = logging.root
    logger: logging.Logger | None = access_log
    while logger is not root:
        if (
            logger is None
            or logger.handlers
            or logger.filters
            or not logger.propagate
            or logger.disabled
        ):
            return None
        logger = logger.parent
    handlers = root.handlers
    if len(handlers) != 1 or root.filters:
        return None
    handler = handlers[0]
    kind = type(handler)
    if (
        (kind is JsonStreamHandler or kind is logging.StreamHandler)
        and not handler.filters
        and handler.level <= logging.INFO
        and type(handler.formatter) is JsonFormatter
    ):
        return handler  # type: ignore[return-value]
    return None


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
    line = None
    request_id = fields.get("request_id")
    duration = fields.get("duration_ms")
    if (
        tuple(fields) == _FIELD_ORDER
        and type(request_id) is str
        and _SAFE_REQUEST_ID.match(request_id)
        and type(duration) is float
        # the template has the message's method, route and status in the fields too
        and (fields["method"], fields["route"], fields["status"]) == (method, route, status)
        and type(fields["status"]) is type(status)
    ):
        line = _templated_line(
            handler,
            method,
            route,
            status,
            request_id,
            fields["user"],
            fields["path"],
            orjson.dumps(duration).decode(),
            fields["client"],
        )
    if line is None:
        line = orjson.dumps(_entry(formatter, method, route, status, fields), default=str).decode()
        line += handler.terminator
    if not _write_access_line(handler, line):
        access_log.info("%s %s %s", method, route, status, extra=fields)


def _templated_line(
    handler: logging.StreamHandler[Any],
    method: str,
    route: str,
    status: int,
    request_id: str,
    user: Any,
    path: Any,
    duration_ms: str,
    client: Any,
) -> str | None:
    """The line from the template of (route, status, user, ...): ``request_id`` must be
    one ``_SAFE_REQUEST_ID`` accepts (put in as it is), ``duration_ms`` the float as orjson
    writes it. None when the values make no template (a marker inside them)."""
    formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]
    key = (formatter.service, method, route, status, user, path, client)
    template = _line_templates.get(key, _MISSING)
    if template is _MISSING:
        template = _line_template(key)
    if template is None:
        return None
    head, middle, tail = template
    # ``_log_time(time.time())``, without the call
    now = time.time()
    second = int(now)
    date = _time_prefix if second == _time_second else _date_part(second)
    return (
        f'{{"time":"{date}{_MILLISECONDS[int((now - second) * 1000)]}"{head}"{request_id}"'
        f"{middle}{duration_ms}{tail}{handler.terminator}"
    )


def _write_access_line(handler: logging.StreamHandler[Any], line: str) -> bool:
    """``line`` to ``handler``: into a ``JsonStreamHandler``'s buffer (it takes its lock),
    or written to the stream at once. False when that failed."""
    try:
        if type(handler) is JsonStreamHandler:
            handler.write_line(line)
            return True
        handler.acquire()
        try:
            handler.stream.write(line)
            handler.flush()
        finally:
            handler.release()
    except Exception:
        return False
    return True


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


def _line_template(key: tuple[Any, ...]) -> Any:
    """The line of ``_entry`` cut around its time, request id and duration, or None when a
    value contains a marker. Kept per ``key`` (a few thousand at most)."""
    service, method, route, status, user, path, client = key
    entry = {
        "time": _TIME,
        "level": "info",
        "service": service,
        "logger": access_log.name,
        "message": f"{method} {route} {status}",
        "request_id": _ID,
        "user": user,
        "method": method,
        "route": route,
        "path": path,
        "status": status,
        "duration_ms": _DURATION,
        "client": client,
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
# ".000+00:00" ... ".999+00:00": the milliseconds and offset of every time
_MILLISECONDS = tuple(f".{ms:03d}+00:00" for ms in range(1000))


def _log_time(now: float) -> str:
    """``JsonFormatter``'s time (ISO 8601, UTC, milliseconds), the date part made once a
    second."""
    second = int(now)
    date = _time_prefix if second == _time_second else _date_part(second)
    return date + _MILLISECONDS[int((now - second) * 1000)]


def _date_part(second: int) -> str:
    """``2026-11-28T14:31:05`` of ``second``, kept as the current one."""
    global _time_second, _time_prefix
    _time_prefix = dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    _time_second = second
    return _time_prefix
