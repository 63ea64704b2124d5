"""The request log line written without a LogRecord (ops/http.py) is the line JsonFormatter
writes for the same request, and logging's own path is used whenever it is not the plain
configure_logging setup (extra handlers such as caplog, filters)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from starlette.types import Message

from plant_analytics.ops import http
from plant_analytics.ops.logging import JsonFormatter, JsonStreamHandler, request_id_var


@contextmanager
def json_stream(handler_type: type = logging.StreamHandler) -> Iterator[io.StringIO]:
    """Logging as configure_logging sets it (inside the test: pytest adds its own handlers
    to the root logger for the test's call)."""
    stream = io.StringIO()
    handler = handler_type(stream)
    handler.setFormatter(JsonFormatter("api"))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


FIELDS = {
    "request_id": "rid-1",
    "user": "analyst@example.com",
    "method": "GET",
    "route": "/api/v1/plants/top",
    "path": "/api/v1/plants/top",
    "status": 200,
    "duration_ms": 1.23,
    "client": "127.0.0.1",
}


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    for line in lines:
        line.pop("time")
    return lines


def test_fast_line_equals_the_formatters() -> None:
    token = request_id_var.set("rid-1")
    try:
        with json_stream() as stream:
            handler = http._json_handler()
            assert handler is not None
            http._emit_access_line(handler, "GET", "/api/v1/plants/top", 200, dict(FIELDS))
            http.access_log.info("%s %s %s", "GET", "/api/v1/plants/top", 200, extra=dict(FIELDS))
    finally:
        request_id_var.reset(token)
    fast, slow = stream.getvalue().splitlines()
    assert list(json.loads(fast)) == list(json.loads(slow))  # same keys, same order
    assert _lines(stream)[0] == _lines(stream)[1]


def test_other_setups_go_through_logging() -> None:
    assert http._json_handler() is None  # pytest's capture handlers are on the root
    with json_stream():
        assert http._json_handler() is not None
        http.access_log.addFilter(lambda record: True)
        try:
            assert http._json_handler() is None
        finally:
            http.access_log.filters.clear()
        logging.getLogger().addHandler(logging.NullHandler())
        assert http._json_handler() is None


def _fast_and_slow(
    fields: dict[str, object], handler_type: type = logging.StreamHandler
) -> list[str]:
    token = request_id_var.set("rid-var")
    try:
        with json_stream(handler_type) as stream:
            handler = http._json_handler()
            assert handler is not None
            for _ in range(2):  # the second line from the cached template
                http._emit_access_line(handler, "GET", "/api/v1/x", 404, dict(fields))
            http.access_log.info("%s %s %s", "GET", "/api/v1/x", 404, extra=dict(fields))
            handler.flush()
    finally:
        request_id_var.reset(token)
    return stream.getvalue().split("\n")[:-1]  # not splitlines: U+2028 is not escaped


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"user": None},
        {"path": '/api/v1/x/"quoted"\\é\u2028\x00i\x00', "client": None},
        {"request_id": "not safe: spaces"},
        {"request_id": None},
        {"duration_ms": 0.0},
        {"duration_ms": 12345678.25},
        {"route": "/api/v1/plants/top", "status": 200},  # not the message's: no template
        {"status": 404.0},
    ],
)
def test_template_lines_equal_the_formatters(changes: dict[str, object]) -> None:
    fields = {**FIELDS, "route": "/api/v1/x", "status": 404, **changes}
    for handler_type in (logging.StreamHandler, JsonStreamHandler):
        first, second, slow = (json.loads(line) for line in _fast_and_slow(fields, handler_type))
        assert list(first) == list(second) == list(slow)
        for line in (first, second, slow):
            assert line.pop("time")
        assert first == second == slow


def test_buffered_lines_keep_their_order_and_are_written_at_shutdown() -> None:
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)
    handler.setFormatter(JsonFormatter("api"))
    handler.write_line("a\n")  # no event loop: at once
    assert stream.getvalue() == "a\n"

    async def serve() -> None:
        handler.write_line("b\n")
        handler.write_line("c\n")
        assert stream.getvalue() == "a\n"  # buffered
        handler.emit(logging.LogRecord("x", logging.INFO, "", 0, "other", (), None))
        assert stream.getvalue().splitlines()[:3] == ["a", "b", "c"]  # in order
        handler.write_line("d\n")
        await asyncio.sleep(handler.interval * 3)
        assert stream.getvalue().endswith("d\n")  # written by the timer
        handler.write_line("e\n")

    asyncio.run(serve())
    assert not stream.getvalue().endswith("e\n")  # the loop ended before the timer
    handler.close()  # logging.shutdown at exit calls flush and close
    assert stream.getvalue().endswith("d\ne\n")


def test_buffer_is_written_when_full() -> None:
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)

    async def serve() -> None:
        for i in range(handler.max_pending):
            handler.write_line(f"{i}\n")
        assert len(stream.getvalue().splitlines()) == handler.max_pending

    asyncio.run(serve())


def test_request_metrics_export_as_the_prometheus_client_metrics() -> None:
    """The request series export what ``Counter``/``Histogram`` children of the same names,
    labels and buckets export for the same requests: same samples and values, ``_created``
    included, and the same names registered."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from plant_analytics.ops.metrics import REQUEST_DURATION_BUCKETS, RequestMetrics

    ours, theirs = CollectorRegistry(), CollectorRegistry()
    metrics = RequestMetrics(ours)
    requests = Counter(
        "http_requests_total",
        "HTTP requests served",
        ["service", "method", "route", "status"],
        registry=theirs,
    )
    durations = Histogram(
        "http_request_duration_seconds",
        "HTTP request latency",
        ["service", "method", "route"],
        buckets=REQUEST_DURATION_BUCKETS,
        registry=theirs,
    )
    calls = Counter("api_calls_by_endpoint", "Analytics API calls", ["route"], registry=theirs)
    assert set(ours._names_to_collectors) == set(theirs._names_to_collectors)
    requests_seen = [
        ("api", "GET", "/api/v1/plants/top", "200", True),
        ("api", "GET", "/api/v1/plants/top", "304", True),
        ("api", "GET", "/api/v1/years", "200", True),
        ("api", "POST", "/api/v1/years", "405", True),
        ("all", "GET", "/health", "200", False),
        ("gateway", "GET", "/api/v1/years", "200", False),
    ]
    durations_seen = [0.0, 0.001, 0.0010001, 0.005, 0.3, 7.5, 10.0, 99.0]
    for i, duration in enumerate(durations_seen * 3):
        service, method, route, status, api_call = requests_seen[i % len(requests_seen)]
        metrics.series(service, method, route, status, api_call).record(duration)
        requests.labels(service, method, route, status).inc()
        durations.labels(service, method, route).observe(duration)
        if api_call:
            calls.labels(route).inc()

    def samples(
        registry: CollectorRegistry,
    ) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for metric in registry.collect()
            for s in metric.samples
        }

    expected, found = samples(theirs), samples(ours)
    assert set(found) == set(expected)
    for key, value in expected.items():
        if key[0].endswith("_created"):  # when the child was made: the same moment here
            assert abs(found[key] - value) < 5, key
        else:
            assert found[key] == value, key
    assert len(expected) > 100


def test_lines_are_written_when_the_app_shuts_down() -> None:
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]
    sent: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        handler.write_line("last\n")
        await send({"type": "lifespan.shutdown.complete"})  # type: ignore[operator]

    async def send(message: dict[str, object]) -> None:
        sent.append(str(message["type"]))
        assert stream.getvalue() == "last\n"  # written before uvicorn hears of it

    try:
        middleware = http.ObservabilityMiddleware(app, service="api")  # type: ignore[arg-type]
        asyncio.run(middleware({"type": "lifespan"}, None, send))  # type: ignore[arg-type]
    finally:
        root.handlers[:] = saved
    assert sent == ["lifespan.shutdown.complete"]


def test_request_ids_are_uuid4_hex() -> None:
    ids = [http.new_request_id() for _ in range(3 * 256 + 7)]  # across batches
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        parsed = uuid.UUID(hex=request_id)
        assert parsed.hex == request_id
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_durations_are_written_as_orjson_writes_them() -> None:
    for hundredths in [*range(0, 3000), 123_456_789, 2**40 - 1]:
        text = f"{hundredths // 100}{http._HUNDREDTHS[hundredths % 100]}"
        assert text == orjson.dumps(hundredths / 100).decode(), hundredths


def _serve_once(app: Any, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    middleware = http.ObservabilityMiddleware(app, service="api")
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/x",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
    }
    asyncio.run(middleware(scope, receive, send))
    return sent


def test_middleware_line_ids_and_metrics() -> None:
    """One request through the middleware: one line, as JsonFormatter writes it; the id in
    the answer (the app's own replaced); the request counted by route template."""
    from prometheus_client import REGISTRY

    class Route:
        path = "/api/v1/{thing}"

    class Caller:
        email = "analyst@example.com"

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["route"] = Route()
        scope["state"]["principal"] = Caller()
        headers = [(b"content-type", b"text/plain"), (b"x-request-id", b"the-apps-own")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    labels = {"service": "api", "method": "GET", "route": "/api/v1/{thing}", "status": "201"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0
    with json_stream(JsonStreamHandler) as stream:
        sent = _serve_once(app, [(b"host", b"x"), (b"x-request-id", b"caller-id-1")])
        logging.getLogger().handlers[0].flush()
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 1
    assert sent[0]["headers"] == [
        (b"content-type", b"text/plain"),
        (b"x-request-id", b"caller-id-1"),
    ]
    (line,) = stream.getvalue().splitlines()
    written = json.loads(line)
    fields = {
        "request_id": "caller-id-1",
        "user": "analyst@example.com",
        "method": "GET",
        "route": "/api/v1/{thing}",
        "path": "/api/v1/x",
        "status": 201,
        "duration_ms": written["duration_ms"],
        "client": "127.0.0.1",
    }
    record = logging.LogRecord(http.access_log.name, logging.INFO, "", 0, "%s %s %s", (), None)
    record.args = ("GET", "/api/v1/{thing}", 201)
    record.__dict__.update(fields)
    token = request_id_var.set("caller-id-1")
    try:
        expected = json.loads(JsonFormatter("api").format(record))
    finally:
        request_id_var.reset(token)
    assert list(written) == list(expected)
    assert written.pop("time")
    assert expected.pop("time")
    assert written == expected
